// PeerSender's liveness hint: a peer that goes away while nothing is being sent to it is reported
// as it happens, not at the next write (with every client waiting on a commit, the next write may
// be a round timeout away: a killed validator used to stall the cluster for 500 ms that way).
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "node/peer_transport.h"

namespace coal::node {
namespace {

using coalition::v1::PeerEnvelope;

constexpr auto kDeadline = std::chrono::seconds(20);

// A plain-text peer (mutual TLS has its own tests) that counts what it receives.
class Peer {
 public:
  Peer()
      : service_({"node-0", "node-1"}, /*require_tls=*/false,
                 [this](const PeerEnvelope&) {
                   {
                     std::lock_guard lock(mu_);
                     ++received_;
                   }
                   cv_.notify_all();
                 },
                 [](const coalition::v1::SyncRequest&, coalition::v1::SyncResponse*) {
                   return grpc::Status::OK;
                 }) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~Peer() { GoAway(); }

  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  bool WaitForReceived(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return received_ >= n; });
  }
  // As a killed process does: its connections close; nothing is written to it afterwards.
  void GoAway() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  bool listening() const { return port_ > 0 && server_ != nullptr; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int received_ = 0;
  PeerServiceImpl service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

PeerEnvelope Entries(const char* payload) {
  PeerEnvelope e;
  e.add_entries()->set_payload(payload);
  return e;
}

TEST(PeerSender, APeerLostWhileIdleIsReportedAtOnceNotAtTheNextWrite) {
  Peer peer;
  ASSERT_TRUE(peer.listening());
  std::mutex mu;
  std::condition_variable cv;
  int reported = 0;
  PeerSender::Options opts;
  opts.idle_check = std::chrono::hours(1);  // the backstop poll must not be what notices
  opts.on_broken = [&] {
    {
      std::lock_guard lock(mu);
      ++reported;
    }
    cv.notify_all();
  };
  PeerSender sender({1, "node-1", peer.addr()}, 0, grpc::InsecureChannelCredentials(), opts);

  sender.Enqueue(Entries("a"));
  ASSERT_TRUE(peer.WaitForReceived(1));
  EXPECT_FALSE(sender.TakeBroken());

  peer.GoAway();  // nothing more is enqueued: only the channel's state can tell
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kDeadline, [&] { return reported >= 1; }))
        << "the lost peer was not reported while the stream sat idle";
  }
  EXPECT_TRUE(sender.TakeBroken());
  EXPECT_FALSE(sender.TakeBroken());  // once per break
  EXPECT_FALSE(sender.connected());
}

}  // namespace
}  // namespace coal::node

// Node-to-node transport over gRPC with mutual TLS (DESIGN §9). Outbound: one sender thread per
// peer with a bounded queue (oldest dropped when full, counted) and a client stream that reconnects
// with exponential backoff; messages that queued up while a write was on the wire leave merged
// into one (fewer writes and wake-ups under load). Inbound: the PeerService handler checks that the
// TLS certificate's common name is the validator id the message claims, then hands the message to
// `on_message`. Consensus messages also carry their own Ed25519 signatures, checked by the core.
//
// Thread-safe: Send* may be called from any thread; on_message runs on gRPC handler threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/services.grpc.pb.h"

namespace coal::node {

struct TlsFiles {
  std::string ca_cert_pem;
  std::string cert_pem;
  std::string key_pem;
};
absl::StatusOr<TlsFiles> LoadTlsFiles(const std::string& ca, const std::string& cert,
                                      const std::string& key);
std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(const TlsFiles& tls);
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const TlsFiles& tls);

// Moves into `msg` the envelopes at the front of `queue` that can travel with it: the same sender,
// at most one consensus message and one cosignature in all, at most `bytes_max` encoded. The
// receiver handles an envelope's entries, then its cosignature, then its consensus message; these
// three kinds do not depend on each other's order, and consensus messages keep theirs. Returns how
// many envelopes were taken.
size_t TakeMergeable(std::deque<coalition::v1::PeerEnvelope>* queue,
                     coalition::v1::PeerEnvelope* msg, size_t bytes_max);

struct PeerInfo {
  uint32_t index = 0;
  std::string id;
  std::string addr;
};

class PeerSender {
 public:
  struct Options {
    size_t queue_max = 1024;
    // Called on the sender's thread each time a stream breaks after carrying a write, right
    // after TakeBroken turns true: lets the caller react at once instead of at its next poll.
    // It must not block, nor destroy the sender.
    std::function<void()> on_broken;
    // How often an idle stream re-checks its channel. A lost connection is noticed as it happens
    // (a watcher follows the channel's state); this is the backstop.
    std::chrono::milliseconds idle_check{500};
  };
  PeerSender(PeerInfo peer, uint32_t self, std::shared_ptr<grpc::ChannelCredentials> creds,
             Options options);
  ~PeerSender();
  // Asks both threads to stop without waiting for them (the destructor waits): stopping every
  // sender first lets their watchers wind down together.
  void Stop();
  PeerSender(const PeerSender&) = delete;
  PeerSender& operator=(const PeerSender&) = delete;

  void Enqueue(coalition::v1::PeerEnvelope msg);
  bool connected() const { return connected_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  // Queued messages that left merged into an earlier one (TakeMergeable).
  uint64_t merged() const { return merged_.load(); }
  // Messages waiting to be sent (at most queue_max).
  size_t queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  const PeerInfo& info() const { return peer_; }
  // True once each time a stream to the peer broke after it had carried a write (the peer went
  // away, or the link did): the replica's liveness hint for the consensus core. A connection that
  // drops while the stream is idle counts as soon as the channel fails to reconnect, not at the
  // next write: with every client waiting on a commit, that may be a round timeout away.
  bool TakeBroken() { return broken_.exchange(false); }
  // A stub for unary calls (Sync) over the same TLS channel.
  coalition::v1::PeerService::Stub* stub() { return stub_.get(); }

 private:
  void Run();
  // Follows the channel's connectivity: a failure to (re)connect marks the stream lost and
  // wakes Run.
  void Watch();

  // What queued up while the last write was on the wire leaves as one message, up to this size.
  static constexpr size_t kMergedBytesMax = 4 << 20;

  const PeerInfo peer_;
  const uint32_t self_;
  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coalition::v1::PeerService::Stub> stub_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<coalition::v1::PeerEnvelope> queue_;  // guarded by mu_
  bool stop_ = false;                              // guarded by mu_
  bool channel_lost_ = false;                      // guarded by mu_; set by Watch
  std::atomic<bool> broken_{false};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> merged_{0};
  std::thread thread_;
  std::thread watcher_;
};

// The PeerService implementation: authenticates the sender and forwards messages.
class PeerServiceImpl final : public coalition::v1::PeerService::Service {
 public:
  using MessageHandler = std::function<void(const coalition::v1::PeerEnvelope&)>;
  using SyncHandler =
      std::function<grpc::Status(const coalition::v1::SyncRequest&, coalition::v1::SyncResponse*)>;
  PeerServiceImpl(std::vector<std::string> validator_ids, bool require_tls, MessageHandler on_msg,
                  SyncHandler on_sync);

  grpc::Status Send(grpc::ServerContext* ctx,
                    grpc::ServerReader<coalition::v1::PeerEnvelope>* reader,
                    coalition::v1::PeerAck* ack) override;
  grpc::Status Sync(grpc::ServerContext* ctx, const coalition::v1::SyncRequest* req,
                    coalition::v1::SyncResponse* resp) override;

  uint64_t rejected_identity() const { return rejected_identity_.load(); }

 private:
  // Validator index of the authenticated caller, or -1.
  int CallerIndex(grpc::ServerContext* ctx) const;

  const std::vector<std::string> validator_ids_;
  const bool require_tls_;
  MessageHandler on_msg_;
  SyncHandler on_sync_;
  std::atomic<uint64_t> rejected_identity_{0};
};

}  // namespace coal::node

#include "node/peer_transport.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace coal::node {
namespace {

constexpr auto kBackoffMin = std::chrono::milliseconds(50);
constexpr auto kBackoffMax = std::chrono::milliseconds(2000);
constexpr int kPeerMessageBytesMax = 64 << 20;
// How long the channel watcher blocks at a time (bounds how long a PeerSender takes to stop).
constexpr auto kWatchSlice = std::chrono::milliseconds(200);

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read TLS file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

size_t TakeMergeable(std::deque<coalition::v1::PeerEnvelope>* queue,
                     coalition::v1::PeerEnvelope* msg, size_t bytes_max) {
  size_t taken = 0;
  size_t bytes = msg->ByteSizeLong();
  while (!queue->empty()) {
    auto& next = queue->front();
    if (next.sender() != msg->sender()) break;
    if (next.has_consensus() && msg->has_consensus()) break;
    if (next.has_cosignature() && msg->has_cosignature()) break;
    const size_t next_bytes = next.ByteSizeLong();
    if (bytes + next_bytes > bytes_max) break;
    if (next.has_consensus()) *msg->mutable_consensus() = std::move(*next.mutable_consensus());
    if (next.has_cosignature()) {
      *msg->mutable_cosignature() = std::move(*next.mutable_cosignature());
      msg->set_cosigned_size(next.cosigned_size());
      msg->set_cosigned_root(std::move(*next.mutable_cosigned_root()));
    }
    for (auto& e : *next.mutable_entries()) *msg->add_entries() = std::move(e);
    bytes += next_bytes;
    queue->pop_front();
    ++taken;
  }
  return taken;
}

absl::StatusOr<TlsFiles> LoadTlsFiles(const std::string& ca, const std::string& cert,
                                      const std::string& key) {
  TlsFiles f;
  auto a = ReadPem(ca);
  if (!a.ok()) return a.status();
  auto b = ReadPem(cert);
  if (!b.ok()) return b.status();
  auto c = ReadPem(key);
  if (!c.ok()) return c.status();
  f.ca_cert_pem = *a;
  f.cert_pem = *b;
  f.key_pem = *c;
  return f;
}

std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(const TlsFiles& tls) {
  grpc::SslServerCredentialsOptions opts(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = tls.ca_cert_pem;
  opts.pem_key_cert_pairs.push_back({tls.key_pem, tls.cert_pem});
  return grpc::SslServerCredentials(opts);
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const TlsFiles& tls) {
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = tls.ca_cert_pem;
  opts.pem_private_key = tls.key_pem;
  opts.pem_cert_chain = tls.cert_pem;
  return grpc::SslCredentials(opts);
}

PeerSender::PeerSender(PeerInfo peer, uint32_t self,
                       std::shared_ptr<grpc::ChannelCredentials> creds, Options options)
    : peer_(std::move(peer)), self_(self), options_(std::move(options)) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(kPeerMessageBytesMax);
  args.SetMaxReceiveMessageSize(kPeerMessageBytesMax);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetSslTargetNameOverride("localhost");
  channel_ = grpc::CreateCustomChannel(peer_.addr, creds, args);
  stub_ = coalition::v1::PeerService::NewStub(channel_);
  thread_ = std::thread([this] { Run(); });
  watcher_ = std::thread([this] { Watch(); });
}

PeerSender::~PeerSender() {
  Stop();
  thread_.join();
  watcher_.join();
}

void PeerSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void PeerSender::Watch() {
  grpc_connectivity_state state = channel_->GetState(false);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    // Returns at a change of state, or at the deadline so that stop_ is seen.
    if (!channel_->WaitForStateChange(state, std::chrono::system_clock::now() + kWatchSlice)) {
      continue;
    }
    state = channel_->GetState(false);
    // A dropped connection leaves the channel IDLE: try it again at once. A peer that is gone
    // then fails to connect (TRANSIENT_FAILURE) and is reported; one that only closed the
    // connection (a GOAWAY) is READY again, and nothing is.
    if (state == GRPC_CHANNEL_IDLE) state = channel_->GetState(true);
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      {
        std::lock_guard lock(mu_);
        channel_lost_ = true;
      }
      cv_.notify_all();
    }
  }
}

void PeerSender::Enqueue(coalition::v1::PeerEnvelope msg) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.queue_max) {
      queue_.pop_front();
      dropped_.fetch_add(1);
    }
    msg.set_sender(self_);
    queue_.push_back(std::move(msg));
  }
  cv_.notify_one();
}

void PeerSender::Run() {
  auto backoff = kBackoffMin;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stop_) return;
    }
    grpc::ClientContext ctx;
    coalition::v1::PeerAck ack;
    auto writer = stub_->Send(&ctx, &ack);
    bool healthy = true;
    bool wrote_any = false;
    while (healthy) {
      coalition::v1::PeerEnvelope msg;
      {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, options_.idle_check,
                     [this] { return stop_ || !queue_.empty() || channel_lost_; });
        if (stop_) {
          lock.unlock();
          ctx.TryCancel();  // first: a half-close could wait on a connection being attempted
          return;
        }
        if (channel_lost_) {
          channel_lost_ = false;
          // The connection failed, and this stream with it — unless the channel is READY again,
          // and the report is from before this stream's connection.
          if (channel_->GetState(false) != GRPC_CHANNEL_READY) healthy = false;
          continue;
        }
        if (queue_.empty()) {
          // Idle: check that the channel still works so `connected` is truthful.
          auto state = channel_->GetState(true);
          connected_.store(state == GRPC_CHANNEL_READY);
          if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
            healthy = false;
          }
          continue;
        }
        msg = std::move(queue_.front());
        queue_.pop_front();
        // What queued up while the last write was on the wire leaves as one message — once this
        // stream has carried a write: a write that fails loses its message, and on a stream to a
        // peer that is down that must stay one message, not the whole queue.
        if (wrote_any) merged_.fetch_add(TakeMergeable(&queue_, &msg, kMergedBytesMax));
      }
      if (!writer->Write(msg)) {
        healthy = false;
        // The message is lost with the stream; consensus retransmits what matters (timeouts,
        // sync), so we do not requeue and risk a head-of-line loop on a poison message.
        break;
      }
      wrote_any = true;
      connected_.store(true);
      backoff = kBackoffMin;
    }
    connected_.store(false);
    if (wrote_any) {
      broken_.store(true);
      if (options_.on_broken) options_.on_broken();
    }
    ctx.TryCancel();
    (void)writer->Finish();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, backoff, [this] { return stop_; });
    backoff =
        std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kBackoffMax));
  }
}

PeerServiceImpl::PeerServiceImpl(std::vector<std::string> validator_ids, bool require_tls,
                                 MessageHandler on_msg, SyncHandler on_sync)
    : validator_ids_(std::move(validator_ids)),
      require_tls_(require_tls),
      on_msg_(std::move(on_msg)),
      on_sync_(std::move(on_sync)) {}

int PeerServiceImpl::CallerIndex(grpc::ServerContext* ctx) const {
  auto auth = ctx->auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return -1;
  for (const auto& cn : auth->FindPropertyValues("x509_common_name")) {
    const std::string name(cn.data(), cn.size());
    for (size_t i = 0; i < validator_ids_.size(); ++i) {
      if (validator_ids_[i] == name) return static_cast<int>(i);
    }
  }
  return -1;
}

grpc::Status PeerServiceImpl::Send(grpc::ServerContext* ctx,
                                   grpc::ServerReader<coalition::v1::PeerEnvelope>* reader,
                                   coalition::v1::PeerAck*) {
  const int caller = CallerIndex(ctx);
  if (require_tls_ && caller < 0) {
    rejected_identity_.fetch_add(1);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "peer certificate does not name a validator");
  }
  coalition::v1::PeerEnvelope msg;
  while (reader->Read(&msg)) {
    if (require_tls_ && msg.sender() != static_cast<uint32_t>(caller)) {
      rejected_identity_.fetch_add(1);
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "sender index does not match the TLS identity");
    }
    on_msg_(msg);
  }
  return grpc::Status::OK;
}

grpc::Status PeerServiceImpl::Sync(grpc::ServerContext* ctx, const coalition::v1::SyncRequest* req,
                                   coalition::v1::SyncResponse* resp) {
  if (require_tls_ && CallerIndex(ctx) < 0) {
    rejected_identity_.fetch_add(1);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "peer certificate does not name a validator");
  }
  return on_sync_(*req, resp);
}

}  // namespace coal::node

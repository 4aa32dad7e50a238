#include "node/services.h"

#include <chrono>

#include "crypto/dsse.h"
#include "crypto/merkle.h"
#include "crypto/status_macros.h"

namespace coal::node {
namespace {

constexpr absl::Duration kWaitMax = absl::Seconds(60);
constexpr absl::Duration kFollowPoll = absl::Seconds(1);

absl::Time DeadlineOf(const grpc::ServerContextBase* ctx) {
  const auto d = ctx->deadline();
  if (d == std::chrono::system_clock::time_point::max()) return absl::Now() + kWaitMax;
  return std::min(absl::FromChrono(d), absl::Now() + kWaitMax);
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

LedgerServiceImpl::LedgerServiceImpl(ServiceDeps deps)
    : deps_(std::move(deps)), expirer_([this] { ExpireLoop(); }) {}

LedgerServiceImpl::~LedgerServiceImpl() { Shutdown(); }

void LedgerServiceImpl::Shutdown() {
  {
    std::lock_guard lock(expire_mu_);
    if (stop_) return;
    stop_ = true;
  }
  expire_cv_.notify_all();
  if (expirer_.joinable()) expirer_.join();
  deps_.ledger->CancelAllWaiters(absl::UnavailableError("node is shutting down"));
}

void LedgerServiceImpl::ExpireLoop() {
  std::unique_lock lock(expire_mu_);
  while (!expire_cv_.wait_for(lock, kExpireEvery, [this] { return stop_; })) {
    deps_.ledger->ExpireWaiters(absl::Now());
  }
}

namespace {

void FillCommitted(const CommittedEntry& done, coalition::v1::SubmitResponse* resp) {
  resp->set_committed(true);
  resp->set_log_index(done.log_index);
  resp->set_height(done.height);
  resp->set_commit_time_ms(done.block_time_ms);
  *resp->mutable_outcome() = done.outcome;
}

// One Submit call that waits for its commit. Finished exactly once: by the ledger's callback
// (commit, server deadline, shutdown) or, when the client goes away, through OnCancel.
class SubmitReactor final : public grpc::ServerUnaryReactor {
 public:
  SubmitReactor(Ledger* ledger, Metrics* metrics, coalition::v1::SubmitResponse* resp,
                std::chrono::steady_clock::time_point start)
      : ledger_(ledger), metrics_(metrics), resp_(resp), start_(start) {}

  void Wait(const std::string& digest, absl::Time deadline) {
    const uint64_t ticket = ledger_->WhenCommitted(
        digest, deadline, [this](absl::StatusOr<CommittedEntry> done) { Done(std::move(done)); });
    std::lock_guard lock(mu_);
    ticket_ = ticket;
    if (cancelled_ && ticket_ != 0) {
      ledger_->CancelWaiter(ticket_, absl::CancelledError("call cancelled by the client"));
    }
  }

  void OnCancel() override {
    uint64_t ticket = 0;
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      ticket = ticket_;
    }
    if (ticket != 0) {
      ledger_->CancelWaiter(ticket, absl::CancelledError("call cancelled by the client"));
    }
  }

  void OnDone() override { delete this; }

 private:
  void Done(absl::StatusOr<CommittedEntry> done) {
    if (!done.ok()) {
      Finish(ToGrpc(done.status()));
      return;
    }
    FillCommitted(*done, resp_);
    metrics_->commit_latency_ms().Observe(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count());
    Finish(grpc::Status::OK);
  }

  Ledger* const ledger_;
  Metrics* const metrics_;
  coalition::v1::SubmitResponse* const resp_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  uint64_t ticket_ = 0;  // guarded by mu_
  bool cancelled_ = false;  // guarded by mu_
};

}  // namespace

grpc::ServerUnaryReactor* LedgerServiceImpl::Submit(grpc::CallbackServerContext* ctx,
                                                    const coalition::v1::SubmitRequest* req,
                                                    coalition::v1::SubmitResponse* resp) {
  const auto start = std::chrono::steady_clock::now();
  std::string digest;
  bool wait = false;
  const grpc::Status st = Admit(*req, resp, &digest, &wait);
  if (!st.ok() || !wait) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(st);
    return reactor;
  }
  auto* reactor = new SubmitReactor(deps_.ledger, deps_.metrics, resp, start);
  reactor->Wait(digest, DeadlineOf(ctx));
  return reactor;
}

grpc::Status LedgerServiceImpl::Admit(const coalition::v1::SubmitRequest& req,
                                      coalition::v1::SubmitResponse* resp, std::string* digest_out,
                                      bool* wait) {
  auto& metrics = *deps_.metrics;
  auto reject = [&](const absl::Status& st) {
    metrics
        .Labelled("coal_admission_rejected_total", "code", absl::StatusCodeToString(st.code()),
                  "Entries refused at admission, by gRPC code")
        .fetch_add(1);
    return ToGrpc(st);
  };
  if (!req.has_envelope()) return reject(absl::InvalidArgumentError("envelope: missing"));
  const auto& env = req.envelope();
  const size_t bytes = env.ByteSizeLong();
  if (bytes > deps_.limits.entry_bytes_max) {
    return reject(absl::InvalidArgumentError("envelope: " + std::to_string(bytes) +
                                             " bytes exceeds entry_bytes_max " +
                                             std::to_string(deps_.limits.entry_bytes_max)));
  }
  const std::string digest = crypto::EnvelopeDigest(env);
  resp->set_digest(digest);
  // Already committed: answer with where it is (idempotent resubmission).
  if (auto idx = deps_.ledger->IndexOfDigest(digest); idx.ok()) {
    auto rec = deps_.ledger->GetEntry(*idx);
    if (rec.ok()) {
      FillCommitted({*idx, rec->height(), rec->block_time_ms(), rec->outcome()}, resp);
      return grpc::Status::OK;
    }
  }
  if (deps_.writable) {
    if (auto st = deps_.writable(); !st.ok()) return reject(st);
  }
  if (auto st = deps_.admit(env); !st.ok()) return reject(st);
  auto added = deps_.mempool->Add(digest, env, bytes);
  if (added.ok()) {
    metrics.Counter("coal_admitted_total", "Entries admitted to the mempool here").fetch_add(1);
    deps_.forward(env);
  } else if (!absl::IsAlreadyExists(added)) {
    return reject(added);
  }
  *digest_out = digest;
  *wait = req.wait_for_commit();
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetEntry(grpc::ServerContext*,
                                         const coalition::v1::GetEntryRequest* req,
                                         coalition::v1::GetEntryResponse* resp) {
  uint64_t index = 0;
  switch (req->key_case()) {
    case coalition::v1::GetEntryRequest::kLogIndex:
      index = req->log_index();
      break;
    case coalition::v1::GetEntryRequest::kDigest: {
      if (req->digest().size() != 32) {
        return ToGrpc(absl::InvalidArgumentError("digest: must be 32 bytes"));
      }
      auto idx = deps_.ledger->IndexOfDigest(req->digest());
      if (!idx.ok()) return ToGrpc(idx.status());
      index = *idx;
      break;
    }
    default:
      return ToGrpc(absl::InvalidArgumentError("key: set log_index or digest"));
  }
  auto leaf = deps_.ledger->GetLeaf(index);
  if (!leaf.ok()) return ToGrpc(leaf.status());
  if (!resp->mutable_record()->ParseFromString(*leaf)) {
    return ToGrpc(absl::DataLossError("stored entry corrupt"));
  }
  resp->set_leaf(*leaf);
  if (req->with_proof()) {
    if (auto st = FillProof(*deps_.ledger, index, 0, resp->mutable_proof()); !st.ok()) {
      return ToGrpc(st);
    }
  }
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::Follow(grpc::ServerContext* ctx,
                                       const coalition::v1::FollowRequest* req,
                                       grpc::ServerWriter<coalition::v1::EntryRecord>* writer) {
  if (follow_streams_.fetch_add(1) >= deps_.limits.follow_streams_max) {
    follow_streams_.fetch_sub(1);
    return ToGrpc(absl::ResourceExhaustedError("too many follow streams; retry later"));
  }
  uint64_t next = req->from_index();
  grpc::Status result = grpc::Status::OK;
  while (!ctx->IsCancelled()) {
    const uint64_t size = deps_.ledger->WaitForSize(next, absl::Now() + kFollowPoll);
    for (; next < size && !ctx->IsCancelled(); ++next) {
      auto rec = deps_.ledger->GetEntry(next);
      if (!rec.ok()) {
        result = ToGrpc(rec.status());
        break;
      }
      if (!writer->Write(*rec)) break;
    }
    if (!result.ok()) break;
  }
  follow_streams_.fetch_sub(1);
  return result;
}

grpc::Status LedgerServiceImpl::Status(grpc::ServerContext*, const coalition::v1::StatusRequest*,
                                       coalition::v1::StatusResponse* resp) {
  resp->set_node_id(deps_.node_id);
  resp->set_chain_id(deps_.chain_id);
  resp->set_height(deps_.ledger->height());
  resp->set_tree_size(deps_.ledger->tree_size());
  resp->set_root(HashBytes(deps_.ledger->root()));
  if (auto cp = deps_.ledger->LatestQuorumCheckpoint()) resp->set_checkpoint_size(cp->size());
  resp->set_mempool_entries(deps_.mempool->size());
  resp->set_mempool_bytes(deps_.mempool->bytes());
  if (deps_.fill_status) deps_.fill_status(resp);
  return grpc::Status::OK;
}

absl::Status FillProof(const Ledger& ledger, uint64_t index, uint64_t size,
                       coalition::v1::Proof* proof) {
  auto cp = ledger.LatestQuorumCheckpoint();
  if (size == 0) {
    if (!cp) return absl::UnavailableError("no quorum checkpoint yet; retry shortly");
    size = cp->size();
  }
  if (index >= size) {
    return absl::OutOfRangeError("index " + std::to_string(index) + " is not below tree size " +
                                 std::to_string(size) + " (the latest quorum checkpoint)");
  }
  ASSIGN_OR_RETURN(auto hashes, ledger.InclusionProof(index, size));
  ASSIGN_OR_RETURN(auto root, ledger.RootAt(size));
  proof->set_index(index);
  proof->set_size(size);
  for (const auto& h : hashes) proof->add_hashes(HashBytes(h));
  proof->set_root(HashBytes(root));
  ASSIGN_OR_RETURN(*proof->mutable_leaf(), ledger.GetLeaf(index));
  if (cp && cp->size() == size) *proof->mutable_checkpoint() = *cp;
  return absl::OkStatus();
}

grpc::Status ProofServiceImpl::LatestCheckpoint(grpc::ServerContext*,
                                                const coalition::v1::CheckpointRequest*,
                                                coalition::v1::Checkpoint* resp) {
  auto cp = ledger_->LatestQuorumCheckpoint();
  if (!cp) return ToGrpc(absl::UnavailableError("no quorum checkpoint yet; retry shortly"));
  *resp = *cp;
  return grpc::Status::OK;
}

grpc::Status ProofServiceImpl::Inclusion(grpc::ServerContext*,
                                         const coalition::v1::InclusionRequest* req,
                                         coalition::v1::Proof* resp) {
  uint64_t index = 0;
  if (req->key_case() == coalition::v1::InclusionRequest::kLeafHash) {
    auto found = ledger_->IndexOfLeafHash(req->leaf_hash());
    if (!found.ok()) return ToGrpc(found.status());
    index = *found;
  } else if (req->key_case() == coalition::v1::InclusionRequest::kIndex) {
    index = req->index();
  } else {
    return ToGrpc(absl::InvalidArgumentError("key: set index or leaf_hash"));
  }
  return ToGrpc(FillProof(*ledger_, index, req->size(), resp));
}

grpc::Status ProofServiceImpl::Consistency(grpc::ServerContext*,
                                           const coalition::v1::ConsistencyRequest* req,
                                           coalition::v1::ConsistencyResponse* resp) {
  if (req->from_size() > req->to_size()) {
    return ToGrpc(absl::InvalidArgumentError("from_size: must not exceed to_size"));
  }
  auto proof = ledger_->ConsistencyProof(req->from_size(), req->to_size());
  if (!proof.ok()) return ToGrpc(proof.status());
  auto old_root = ledger_->RootAt(req->from_size());
  auto new_root = ledger_->RootAt(req->to_size());
  if (!old_root.ok()) return ToGrpc(old_root.status());
  if (!new_root.ok()) return ToGrpc(new_root.status());
  resp->set_from_size(req->from_size());
  resp->set_to_size(req->to_size());
  for (const auto& h : *proof) resp->add_hashes(HashBytes(h));
  resp->set_old_root(HashBytes(*old_root));
  resp->set_new_root(HashBytes(*new_root));
  return grpc::Status::OK;
}

}  // namespace coal::node

#include "node/replica.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "coalition/v1/ledger.pb.h"
#include "crypto/dsse.h"
#include "crypto/status_macros.h"
#include "node/services.h"

namespace coal::node {
namespace {

using storage::Column;

constexpr char kSafetyKey[] = "consensus/safety";
constexpr int64_t kCatchUpIntervalMs = 500;
constexpr int64_t kPersistRetryMs = 500;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Replica::Replica(ReplicaDeps deps)
    : deps_(std::move(deps)),
      checkpointer_(
          std::make_unique<Checkpointer>(deps_.genesis, deps_.chain_id, deps_.self, deps_.signer)) {
  // Byzantine hook (issue 8).
  std::vector<std::string> ids;
  for (const auto& v : deps_.genesis.validators()) ids.push_back(v.id());
  rejections_ = std::make_unique<PeerRejections>(deps_.metrics, std::move(ids), deps_.self);
  verify_pool_ = std::make_unique<WorkerPool>(
      std::clamp<uint64_t>(deps_.limits.verify_threads, 1, kVerifyThreadsMax), kVerifyQueueMax);
  if (deps_.byzantine_mode) {
    byzantine_ = std::make_unique<ByzantineSender>(
        *deps_.byzantine_mode,
        ByzantineContext{.chain_id = deps_.chain_id,
                         .self = deps_.self,
                         .validators = static_cast<uint32_t>(deps_.genesis.validators_size()),
                         .signer = deps_.signer,
                         .metrics = deps_.metrics,
                         .max_block_bytes = deps_.genesis.timing().max_block_bytes(),
                         .entry_bytes_max = deps_.limits.entry_bytes_max});
  }
}

Replica::~Replica() { Stop(); }

absl::Status Replica::LoadRecovery(consensus::Recovery* recovery) {
  auto safety = deps_.kv->Get(Column::kMeta, kSafetyKey);
  if (safety.ok()) {
    if (!recovery->safety.ParseFromString(*safety)) {
      return absl::DataLossError("stored consensus safety state is corrupt");
    }
  } else if (!absl::IsNotFound(safety.status())) {
    return safety.status();
  }
  // The block tree above the last commit.
  const uint64_t committed = deps_.ledger->height();
  RETURN_IF_ERROR(deps_.kv->Scan(Column::kConsensus, BigEndian64(committed + 1), "",
                                 [&](std::string_view, std::string_view value) {
                                   coalition::v1::Block b;
                                   if (b.ParseFromString(std::string(value)))
                                     recovery->blocks.push_back(b);
                                   return true;
                                 }));
  if (committed > 0) {
    ASSIGN_OR_RETURN(auto last, deps_.ledger->GetBlock(committed));
    recovery->last_committed = last;
  }
  return absl::OkStatus();
}

absl::Status Replica::Start() {
  const auto& validators = deps_.genesis.validators();
  for (int i = 0; i < validators.size(); ++i) {
    if (static_cast<uint32_t>(i) == deps_.self) {
      peers_.push_back(nullptr);
      continue;
    }
    auto dial = deps_.peer_dial.find(validators[i].id());
    PeerInfo info{static_cast<uint32_t>(i), validators[i].id(),
                  dial != deps_.peer_dial.end() ? dial->second : validators[i].peer_addr()};
    PeerSender::Options opts;
    opts.queue_max = deps_.limits.peer_queue_max;
    opts.on_broken = [this] { Push(Event{}); };  // the loop hands the hint to the core at once
    peers_.push_back(
        std::make_unique<PeerSender>(info, deps_.self, deps_.peer_creds, std::move(opts)));
  }
  consensus::Config config;
  config.self = deps_.self;
  for (const auto& v : validators) config.validator_keys.push_back(v.public_key());
  config.signer = deps_.signer;
  config.verifier = &crypto::DefaultVerifier();
  config.chain_id = deps_.chain_id;
  config.genesis_time_ms = deps_.genesis.genesis_time_ms();
  config.base_timeout_ms = deps_.genesis.timing().round_timeout_ms();
  config.max_timeout_ms = deps_.genesis.timing().round_timeout_max_ms();
  config.max_clock_skew_ms = deps_.genesis.timing().max_clock_skew_ms();
  config.max_payload_bytes = deps_.genesis.timing().max_block_bytes();
  config.payload_validator = [this](const std::string& payload) {
    return ValidatePayload(payload);
  };
  consensus::Recovery recovery;
  RETURN_IF_ERROR(LoadRecovery(&recovery));
  last_applied_time_ms_ = recovery.last_committed ? recovery.last_committed->block().time_ms()
                                                  : deps_.genesis.genesis_time_ms();
  ASSIGN_OR_RETURN(core_, consensus::Core::Create(config, recovery));
  committed_height_.store(deps_.ledger->height());
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Replica::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& p : peers_) {
    if (p) p->Stop();  // all at once: each sender's channel watcher takes up to 0.2 s to notice
  }
  peers_.clear();
}

void Replica::Push(Event ev) {
  {
    std::lock_guard lock(mu_);
    if (events_.size() >= kEventQueueMax) {
      if (ev.kind == Event::kWake) return;  // the loop is busy anyway; nothing is lost
      deps_.metrics
          ->Counter("coal_peer_events_dropped_total",
                    "Peer messages dropped because the replica queue was full")
          .fetch_add(1);
      return;
    }
    events_.push_back(std::move(ev));
  }
  cv_.notify_one();
}

void Replica::OnPeerMessage(const coalition::v1::PeerEnvelope& msg) {
  if (msg.sender() >= static_cast<uint32_t>(deps_.genesis.validators_size()) ||
      msg.sender() == deps_.self) {
    return;
  }
  // The consensus message first: it must not wait for the signature checks of entries merged
  // into the same envelope (TakeMergeable), and nothing in it depends on them.
  if (msg.has_consensus()) {
    Event ev;
    ev.kind = Event::kPeer;
    ev.from = msg.sender();
    ev.msg = msg.consensus();
    Push(std::move(ev));
  }
  if (msg.has_cosignature()) OnCosignature(msg);
  // Forwarded entries: admitted here, on this peer's gRPC thread (one per peer, so checks of
  // different peers' forwards run in parallel).
  if (msg.entries_size() > 0) {
    AdmitForwarded(msg.sender(), msg.entries());
    // Wake the loop only if it waits for entries to propose: otherwise the next proposal takes
    // them from the mempool anyway, and a wake-up per forward costs a context switch.
    if (awaiting_payload_.load()) Push(Event{});
  }
}

void Replica::AdmitForwarded(
    uint32_t from, const google::protobuf::RepeatedPtrField<coalition::v1::Envelope>& entries) {
  for (const auto& env : entries) {
    const std::string digest = crypto::EnvelopeDigest(env);
    if (deps_.mempool->Contains(digest)) continue;
    const bool oversized = env.ByteSizeLong() > deps_.limits.entry_bytes_max;
    if (oversized || !deps_.admit(env).ok()) {
      deps_.metrics
          ->Counter("coal_forwarded_rejected_total",
                    "Entries forwarded by peers that failed admission")
          .fetch_add(1);
      rejections_->Record(from, oversized ? "oversized_entry" : "bad_entry");
      continue;
    }
    (void)deps_.mempool->Add(digest, env, env.ByteSizeLong());
  }
}

void Replica::WarmSignatures(const coalition::v1::SyncResponse& resp, int blocks) {
  if (!deps_.warm_signature) return;
  std::vector<coalition::v1::BlockPayload> payloads(blocks);
  std::vector<const coalition::v1::Envelope*> entries;
  for (int i = 0; i < blocks && entries.size() < kWarmEntriesMax; ++i) {
    if (!payloads[i].ParseFromString(resp.blocks(i).block().payload())) continue;
    for (const auto& e : payloads[i].entries()) {
      if (entries.size() < kWarmEntriesMax) entries.push_back(&e);
    }
  }
  verify_pool_->ParallelFor(entries.size(), [&](size_t i) { deps_.warm_signature(*entries[i]); });
}

void Replica::ForwardEntry(const coalition::v1::Envelope& env) {
  {
    std::lock_guard lock(mu_);
    forwards_.push_back(env);
  }
  cv_.notify_one();
}

void Replica::FlushForwards() {
  std::vector<coalition::v1::Envelope> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(forwards_);
  }
  for (size_t start = 0; start < batch.size(); start += kForwardBatchMax) {
    coalition::v1::PeerEnvelope pe;
    for (size_t i = start; i < std::min(batch.size(), start + kForwardBatchMax); ++i) {
      *pe.add_entries() = batch[i];
    }
    for (auto& p : peers_) {
      if (p) p->Enqueue(pe);
    }
  }
}

absl::Status Replica::ValidatePayload(const std::string& payload) {
  if (payload.empty()) return absl::OkStatus();
  coalition::v1::BlockPayload p;
  if (!p.ParseFromString(payload)) return absl::InvalidArgumentError("payload does not decode");
  if (static_cast<uint64_t>(p.entries_size()) > deps_.genesis.timing().max_block_entries()) {
    return absl::InvalidArgumentError("payload has too many entries");
  }
  // Lease what other leaders proposed so we do not propose it again right away.
  deps_.mempool->Lease(payload_digests_.Of(payload, p), NowMs());
  return absl::OkStatus();
}

void Replica::ReleaseAbandoned(const std::string& payload) {
  // Cached, or hashed here without caching (taking a slot for a payload about to be forgotten
  // could evict one a pending commit still wants).
  std::vector<std::string> digests;
  if (const auto* cached = payload_digests_.Find(payload)) {
    digests = *cached;
  } else {
    coalition::v1::BlockPayload p;
    if (!p.ParseFromString(payload)) return;
    digests = EntryDigests(p);
  }
  payload_digests_.Forget(payload);
  deps_.mempool->Release(digests);
  deps_.metrics
      ->Counter("coal_abandoned_entries_total",
                "Entries of blocks that left the chain uncommitted (offered again at once)")
      .fetch_add(digests.size());
}

// Safety state and new blocks go down in one synced batch: one fsync per step, not two.
absl::Status Replica::PersistConsensus(const coalition::v1::SafetyState* safety,
                                       const std::vector<coalition::v1::Block>& blocks) {
  storage::WriteBatch batch;
  if (safety != nullptr) batch.Put(Column::kMeta, kSafetyKey, safety->SerializeAsString());
  for (const auto& b : blocks) {
    std::string key = BigEndian64(b.height());
    key += b.id();
    batch.Put(Column::kConsensus, key, b.SerializeAsString());
  }
  return deps_.kv->Write(batch, {.sync = true});
}

void Replica::SendTo(uint32_t peer, const coalition::v1::ConsensusMessage& msg) {
  if (peer == deps_.self) {
    Event ev;
    ev.kind = Event::kPeer;
    ev.from = deps_.self;
    ev.msg = msg;
    Push(std::move(ev));
    return;
  }
  if (peer >= peers_.size() || !peers_[peer]) return;
  coalition::v1::PeerEnvelope pe;
  *pe.mutable_consensus() = msg;
  peers_[peer]->Enqueue(std::move(pe));
}

void Replica::Broadcast(const coalition::v1::ConsensusMessage& msg) {
  for (auto& p : peers_) {
    if (!p) continue;
    coalition::v1::PeerEnvelope pe;
    *pe.mutable_consensus() = msg;
    p->Enqueue(std::move(pe));
  }
}

void Replica::Handle(consensus::Actions actions) {
  // Safety first: nothing that depends on the new safety state leaves before it is durable.
  if (actions.persist_safety || !actions.persist_blocks.empty()) {
    auto st = StorageWritable();
    if (st.ok())
      st = PersistConsensus(actions.persist_safety ? &*actions.persist_safety : nullptr,
                            actions.persist_blocks);
    if (!st.ok()) {
      if (!storage_paused_) {
        spdlog::error("cannot persist safety state or blocks, withholding messages: {}",
                      st.ToString());
      }
      // Keep a timer running even though this step's actions are dropped: the round times out
      // again and persisting is retried (it succeeds once, e.g., disk space returns).
      if (timer_deadline_ms_ == 0) timer_deadline_ms_ = NowMs() + kPersistRetryMs;
      return;
    }
  }
  if (byzantine_) {
    // Byzantine hook (issue 8): the honest bundle, rewritten by the devnet's misbehaving node.
    for (auto& out : byzantine_->Rewrite(actions.sends, actions.broadcasts, NowMs())) {
      if (out.to == deps_.self) {
        SendTo(out.to, out.envelope.consensus());
        continue;
      }
      for (size_t i = 0; i < peers_.size(); ++i) {
        if (peers_[i] && (out.to == Outgoing::kAllPeers || out.to == i)) {
          peers_[i]->Enqueue(out.envelope);
        }
      }
    }
  } else {
    for (const auto& send : actions.sends) SendTo(send.to, send.message);
    for (const auto& msg : actions.broadcasts) Broadcast(msg);
  }
  for (const auto& cb : actions.commits) ApplyCommitted(cb);
  for (const auto& payload : actions.abandoned_payloads) ReleaseAbandoned(payload);
  if (actions.timer_deadline_ms) timer_deadline_ms_ = *actions.timer_deadline_ms;
  if (actions.payload_request_round) {
    payload_round_ = *actions.payload_request_round;
    payload_requested_ms_ = NowMs();
    awaiting_payload_.store(true);
  }
  round_.store(core_->round());
}

absl::Status Replica::StorageWritable() {
  absl::Status st = deps_.storage_writable ? deps_.storage_writable() : absl::OkStatus();
  if (!st.ok() && !storage_paused_) {
    spdlog::error("pausing storage writes (votes withheld, nothing applied): {}", st.ToString());
  } else if (st.ok() && storage_paused_) {
    spdlog::info("disk space is back: storage writes resume");
  }
  storage_paused_ = !st.ok();
  return st;
}

void Replica::ApplyCommitted(const coalition::v1::CommittedBlock& block) {
  const auto start = std::chrono::steady_clock::now();
  // A paused disk applies nothing; the ledger lags and catches up from peers later.
  if (!StorageWritable().ok()) return;
  const auto& timing = deps_.genesis.timing();
  if (CosignBeforeBlock(deps_.genesis.genesis_time_ms(), timing.checkpoint_interval_ms(),
                        last_applied_time_ms_, block.block().time_ms())) {
    CosignCurrent();  // the log as it stood at the end of the last window
  }
  // Prune the consensus tree below the commit in the block's own batch: the block leaves the tree
  // exactly when it lands in the ledger, even across a power cut (see ledger.h). The scan starts
  // where the last one ended: from "" it would walk every tombstone left by earlier prunes (a cost
  // growing with the chain).
  storage::WriteBatch prune;
  const uint64_t prune_to = block.block().height() + 1;
  const absl::Status scanned =
      deps_.kv->Scan(Column::kConsensus, BigEndian64(pruned_below_height_), BigEndian64(prune_to),
                     [&](std::string_view key, std::string_view) {
                       prune.Delete(Column::kConsensus, key);
                       return true;
                     });
  // A block the ledger holds already (a replay) writes nothing, so its prune goes alone.
  const bool replay = block.block().height() <= deps_.ledger->height();
  const absl::Status pruned_alone =
      replay && !prune.empty() ? deps_.kv->Write(prune, {.sync = false}) : absl::OkStatus();
  auto digests = deps_.ledger->Apply(block, replay ? storage::WriteBatch{} : std::move(prune),
                                     payload_digests_.Find(block.block().payload()));
  payload_digests_.Forget(block.block().payload());
  if (!digests.ok()) {
    // Storage failure (e.g. disk full): stop taking part until an operator fixes it; the block
    // stays in the consensus tree and will be applied again after restart.
    spdlog::error("cannot apply block at height {}: {}", block.block().height(),
                  digests.status().ToString());
    deps_.metrics->Counter("coal_apply_failures_total", "Committed blocks that failed to apply")
        .fetch_add(1);
    return;
  }
  deps_.mempool->RemoveCommitted(*digests);
  committed_height_.store(deps_.ledger->height());
  auto& m = *deps_.metrics;
  for (const auto& d : *digests) {
    auto done = deps_.ledger->WaitForDigest(d, absl::InfinitePast());
    if (done.ok() && !done->outcome.accepted()) {
      m.Labelled("coal_rejected_entries_total", "reason", done->outcome.reason(),
                 "Committed entries the executor rejected, by reason")
          .fetch_add(1);
    }
  }
  m.Gauge("coal_committed_height", "Height of the last committed block")
      .store(static_cast<int64_t>(deps_.ledger->height()));
  m.Counter("coal_committed_entries_total", "Entries committed").fetch_add(digests->size());
  m.Gauge("coal_log_size", "Entries in the Merkle log")
      .store(static_cast<int64_t>(deps_.ledger->tree_size()));
  m.Counter("coal_apply_ms_total", "Milliseconds spent applying committed blocks")
      .fetch_add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - start)
                                           .count()));
  // On failure the next prune scans this range again.
  if (scanned.ok() && pruned_alone.ok()) pruned_below_height_ = prune_to;
  last_applied_time_ms_ = std::max(last_applied_time_ms_, block.block().time_ms());
  if (timing.checkpoint_interval_ms() == 0) CosignCurrent();
}

coalition::v1::PeerEnvelope Replica::CosignatureEnvelope(
    const coalition::v1::Cosignature& cosignature, uint64_t size, const std::string& root) const {
  coalition::v1::PeerEnvelope pe;
  *pe.mutable_cosignature() = cosignature;
  pe.set_cosigned_size(size);
  pe.set_cosigned_root(root);
  if (byzantine_) byzantine_->MutateCosignature(&pe);  // Byzantine hook (issue 8)
  return pe;
}

void Replica::CosignCurrent() {
  if (!checkpointer_) return;
  const uint64_t size = deps_.ledger->tree_size();
  const Hash root = deps_.ledger->root();
  if (const absl::Status st = SyncForCosign(*deps_.kv, size, &durable_size_); !st.ok()) {
    spdlog::error("cannot sync the log before cosigning size {}: {}", size, st.ToString());
    return;
  }
  auto r = checkpointer_->OnLogSize(size, root, NowMs());
  if (r.own) {
    deps_.metrics
        ->Counter(r.again ? "coal_cosignature_requests_total" : "coal_cosignatures_total",
                  r.again ? "Own cosignatures sent again, asking peers for theirs (no quorum yet)"
                          : "Checkpoints this node cosigned")
        .fetch_add(1);
    coalition::v1::PeerEnvelope pe = CosignatureEnvelope(*r.own, size, HashBytes(root));
    pe.set_cosign_wanted(r.again);
    for (auto& p : peers_) {
      if (p) p->Enqueue(pe);
    }
  }
  if (r.quorum) (void)deps_.ledger->StoreQuorumCheckpoint(*r.quorum);
}

void Replica::OnCosignature(const coalition::v1::PeerEnvelope& msg) {
  if (!checkpointer_) return;
  auto q = checkpointer_->OnCosignature(msg.sender(), msg.cosigned_size(), msg.cosigned_root(),
                                        msg.cosignature());
  if (!q.ok()) {
    deps_.metrics
        ->Labelled("coal_bad_cosignatures_total", "code",
                   absl::StatusCodeToString(q.status().code()),
                   "Cosignatures from peers that were refused")
        .fetch_add(1);
    rejections_->Record(msg.sender(), "bad_cosignature");  // Byzantine hook (issue 8)
    return;
  }
  // Called from transport threads: ask the disk guard directly (not the loop's paused flag).
  const bool writable = !deps_.storage_writable || deps_.storage_writable().ok();
  if (q->has_value() && writable) (void)deps_.ledger->StoreQuorumCheckpoint(**q);
  // The sender lacks a quorum for this size: answer with ours, if we cosigned the same root.
  if (msg.cosign_wanted() && msg.sender() < peers_.size() && peers_[msg.sender()]) {
    auto own = checkpointer_->OwnCosignature(msg.cosigned_size());
    if (own && own->root == msg.cosigned_root()) {
      peers_[msg.sender()]->Enqueue(
          CosignatureEnvelope(own->cosignature, msg.cosigned_size(), own->root));
      deps_.metrics
          ->Counter("coal_cosignature_answers_total",
                    "Own cosignatures sent to a peer that asked (it had no quorum yet)")
          .fetch_add(1);
    }
  }
}

void Replica::MaybeAnswerPayload(int64_t now_ms) {
  if (!payload_round_) return;
  const bool have_entries = deps_.mempool->size() > 0;
  const bool pending_commit = core_->PayloadAwaitsCommit();
  if (!have_entries && !pending_commit && now_ms < payload_requested_ms_ + kIdleBlockMs) return;
  // Entries already in an uncommitted block on our branch would commit twice (the copy as a
  // rejected duplicate): leave them out, whatever their lease says (a late forward has none).
  absl::flat_hash_set<std::string> on_branch;
  for (const auto& bytes : core_->PayloadsOnProposalBranch()) {
    const std::vector<std::string>* digests = payload_digests_.Find(bytes);
    coalition::v1::BlockPayload p;
    if (digests == nullptr) {
      if (!p.ParseFromString(bytes)) continue;
      digests = &payload_digests_.Of(bytes, p);
    }
    on_branch.insert(digests->begin(), digests->end());
  }
  const uint64_t entries_max = std::min<uint64_t>(deps_.genesis.timing().max_block_entries(),
                                                  deps_.limits.block_entries_max);
  auto entries =
      deps_.mempool->Take(entries_max, deps_.genesis.timing().max_block_bytes(), now_ms, on_branch);
  coalition::v1::BlockPayload payload;
  for (auto& e : entries) *payload.add_entries() = std::move(e);
  const uint64_t round = *payload_round_;
  payload_round_.reset();
  awaiting_payload_.store(false);
  Handle(core_->OnPayload(round, entries.empty() ? std::string() : payload.SerializeAsString(),
                          now_ms));
}

bool Replica::CatchUp() {
  deps_.metrics
      ->Counter("coal_catchups_total",
                "Times this node, behind, fetched committed blocks by height from a peer")
      .fetch_add(1);
  // Ask peers for committed blocks above our height; verify each against the validator set.
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (!peers_[i] || !peers_[i]->connected()) continue;
    coalition::v1::SyncRequest req;
    req.set_from_height(deps_.ledger->height() + 1);
    req.set_max_blocks(kSyncBlocksMax);
    coalition::v1::SyncResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!peers_[i]->stub()->Sync(&ctx, req, &resp).ok() || resp.blocks_size() == 0) continue;
    // First the commit proofs, in height order: only a proven prefix is worth more work.
    int proven = 0;
    for (const auto& cb : resp.blocks()) {
      if (cb.block().height() != deps_.ledger->height() + 1 + proven) break;
      auto st = core_->VerifyCommitted(cb);
      if (!st.ok()) {
        spdlog::warn("peer {} sent an unverifiable committed block at height {}: {}",
                     peers_[i]->info().id, cb.block().height(), st.ToString());
        break;
      }
      ++proven;
    }
    // Then the entries' signatures, in parallel, so that applying finds them checked.
    WarmSignatures(resp, proven);
    const uint64_t before = deps_.ledger->height();
    for (int k = 0; k < proven; ++k) {
      const auto& cb = resp.blocks(k);
      if (cb.block().height() != deps_.ledger->height() + 1) break;  // storage paused
      ApplyCommitted(cb);
      Handle(core_->AdvanceTo(cb, NowMs()));
    }
    const uint64_t after = deps_.ledger->height();
    // Progress for the operator: at most a line a second while catching up, and one at the end.
    const int64_t now = NowMs();
    const bool done = after >= core_->HighestKnownCommitHeight();
    if (after > before && (done || now >= last_catchup_log_ms_ + 1000)) {
      last_catchup_log_ms_ = now;
      spdlog::info("catching up from {}: height {} of {} known committed{}", peers_[i]->info().id,
                   after, std::max(after, core_->HighestKnownCommitHeight()),
                   done ? " (caught up)" : "");
    }
    return after > before;
  }
  return false;
}

grpc::Status Replica::HandleSync(const coalition::v1::SyncRequest& req,
                                 coalition::v1::SyncResponse* resp) {
  const uint32_t max =
      std::min(req.max_blocks() == 0 ? kSyncBlocksMax : req.max_blocks(), kSyncBlocksMax);
  // Bounded by bytes too: 256 blocks of up to max_block_bytes each would pass the peer channel's
  // message limit, and a node behind a stretch of large blocks could never fetch them.
  auto blocks = deps_.ledger->BlocksFrom(req.from_height(), max, kSyncResponseBytesMax);
  if (!blocks.ok()) return ToGrpc(blocks.status());
  for (auto& b : *blocks) *resp->add_blocks() = std::move(b);
  return grpc::Status::OK;
}

void Replica::FillStatus(coalition::v1::StatusResponse* resp) const {
  resp->set_round(round_.load());
  for (const auto& p : peers_) {
    if (!p) continue;
    auto* ps = resp->add_peers();
    ps->set_id(p->info().id);
    ps->set_addr(p->info().addr);
    ps->set_connected(p->connected());
  }
}

void Replica::Loop() {
  Handle(core_->Start(NowMs()));
  CosignCurrent();
  while (true) {
    std::deque<Event> batch;
    bool have_forwards = false;
    {
      std::unique_lock lock(mu_);
      const int64_t now = NowMs();
      int64_t wait_ms = 50;
      if (timer_deadline_ms_ > 0) wait_ms = std::clamp<int64_t>(timer_deadline_ms_ - now, 0, 50);
      if (payload_round_) wait_ms = std::min<int64_t>(wait_ms, 5);
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this] { return stop_ || !events_.empty() || !forwards_.empty(); });
      if (stop_) return;
      batch.swap(events_);
      have_forwards = !forwards_.empty();
    }
    deps_.metrics->Gauge("coal_replica_events_queued", "Peer messages waiting for the replica loop")
        .store(static_cast<int64_t>(batch.size()));
    if (have_forwards) FlushForwards();
    for (auto& ev : batch) {
      if (ev.kind != Event::kPeer) continue;
      auto actions = core_->OnMessage(ev.from, ev.msg, NowMs());
      rejections_->Record(ev.from, actions);  // Byzantine hook (issue 8): count, log once
      Handle(std::move(actions));
    }
    // A peer whose stream just broke is presumed silent at once (its first message more than a
    // base timeout later clears it).
    for (uint32_t i = 0; i < peers_.size(); ++i) {
      if (peers_[i] && peers_[i]->TakeBroken()) {
        deps_.metrics
            ->Counter("coal_peer_streams_broken_total",
                      "Streams to peers that broke or lost their connection after carrying a write "
                      "(peer presumed silent)")
            .fetch_add(1);
        Handle(core_->OnPeerUnreachable(i, NowMs()));
      }
    }
    const int64_t now = NowMs();
    if (timer_deadline_ms_ > 0 && now >= timer_deadline_ms_) {
      timer_deadline_ms_ = 0;
      consensus::Actions actions = core_->OnTimer(now);
      if (actions.round_timed_out) {  // not a block fetch's retry timer
        deps_.metrics->Counter("coal_round_timeouts_total", "Rounds this node timed out")
            .fetch_add(1);
      }
      Handle(std::move(actions));
    }
    MaybeAnswerPayload(now);
    if (core_->NeedsCatchUp(deps_.ledger->height(), now) &&
        now >= last_catchup_ms_ + kCatchUpIntervalMs) {
      // A batch that moved the ledger is followed by the next one at once: far behind, a node
      // catches up as fast as it can fetch, check and apply blocks, not a batch per interval.
      last_catchup_ms_ = CatchUp() ? 0 : now;
    }
    for (const auto& p : peers_) {
      if (!p) continue;
      deps_.metrics
          ->Labelled("coal_peer_connected", "peer", p->info().id,
                     "1 when the channel to a peer validator is connected")
          .store(p->connected() ? 1 : 0);
      deps_.metrics
          ->Labelled("coal_peer_queue_messages", "peer", p->info().id,
                     "Messages queued for a peer validator (bounded by limits.peer_queue_max)")
          .store(p->queued());
      deps_.metrics
          ->Labelled("coal_peer_send_dropped_total", "peer", p->info().id,
                     "Messages to a peer dropped (oldest first) because its queue was full")
          .store(p->dropped());
      deps_.metrics
          ->Labelled("coal_peer_send_merged_total", "peer", p->info().id,
                     "Messages to a peer that left merged into an earlier one")
          .store(p->merged());
    }
    deps_.metrics->Gauge("coal_round", "Current consensus round")
        .store(static_cast<int64_t>(core_->round()));
    const consensus::Core::Sizes sizes = core_->sizes();
    deps_.metrics->Gauge("coal_consensus_tree_blocks", "Committed root and uncommitted blocks held")
        .store(static_cast<int64_t>(sizes.tree_blocks));
    deps_.metrics
        ->Gauge("coal_consensus_pending_blocks", "Blocks received before their parent, waiting")
        .store(static_cast<int64_t>(sizes.pending_blocks));
    deps_.metrics->Gauge("coal_consensus_fetches", "Block fetches in flight")
        .store(static_cast<int64_t>(sizes.fetches));
    deps_.metrics->Gauge("coal_mempool_entries", "Entries in the mempool")
        .store(static_cast<int64_t>(deps_.mempool->size()));
    deps_.metrics->Gauge("coal_mempool_bytes", "Bytes in the mempool")
        .store(static_cast<int64_t>(deps_.mempool->bytes()));
  }
}

}  // namespace coal::node

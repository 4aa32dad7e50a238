#include "node/ledger.h"

#include <algorithm>

#include "crypto/dsse.h"
#include "crypto/merkle.h"
#include "crypto/status_macros.h"

namespace coal::node {
namespace {

using storage::Column;

constexpr char kHeightKey[] = "ledger/height";
constexpr char kLastBlockKey[] = "ledger/last_block_id";
constexpr char kCheckpointKey[] = "ledger/quorum_checkpoint";
constexpr char kDigestPrefix[] = "digest";
constexpr char kLeafHashPrefix[] = "leafhash";

}  // namespace

std::string LeafHashIndexKey(const Hash& leaf_hash) {
  std::string k(kLeafHashPrefix);
  k.push_back('\0');
  k.append(reinterpret_cast<const char*>(leaf_hash.data()), leaf_hash.size());
  return k;
}

std::string DigestIndexKey(const std::string& digest) {
  std::string k(kDigestPrefix);
  k.push_back('\0');
  k += digest;
  return k;
}

coalition::v1::Outcome AcceptAllExecutor::Apply(const ExecContext&, const coalition::v1::Envelope&,
                                                const std::string&) {
  coalition::v1::Outcome o;
  o.set_accepted(true);
  return o;
}

Ledger::Ledger(storage::KvStore* kv, EntryExecutor* executor) : kv_(kv), executor_(executor) {}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(storage::KvStore* kv,
                                                     EntryExecutor* executor) {
  std::unique_ptr<Ledger> ledger(new Ledger(kv, executor));
  RETURN_IF_ERROR(ledger->Load());
  return ledger;
}

absl::Status Ledger::Load() {
  uint64_t size = 0;
  {
    absl::MutexLock log_lock(&log_mu_);
    log_ = std::make_unique<storage::MerkleLog>(kv_);
    RETURN_IF_ERROR(log_->Load());
    size = log_->size();
  }
  absl::MutexLock lock(&mu_);
  committed_size_ = size;
  auto h = kv_->Get(Column::kMeta, kHeightKey);
  if (h.ok()) {
    height_ = ReadBigEndian64(*h);
  } else if (!absl::IsNotFound(h.status())) {
    return h.status();
  }
  auto last = kv_->Get(Column::kMeta, kLastBlockKey);
  if (last.ok()) last_block_id_ = *last;
  auto cp = kv_->Get(Column::kMeta, kCheckpointKey);
  if (cp.ok()) {
    coalition::v1::Checkpoint c;
    if (!c.ParseFromString(*cp)) return absl::DataLossError("stored quorum checkpoint corrupt");
    checkpoint_ = c;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Ledger::Apply(
    const coalition::v1::CommittedBlock& committed, storage::WriteBatch also,
    const std::vector<std::string>* entry_digests) {
  std::vector<std::pair<Waiter, CommittedEntry>> ready;
  auto digests = ApplyLocked(committed, std::move(also), entry_digests, &ready);
  // Outside every lock: a callback may read the ledger (tree_size, proofs) without deadlocking.
  for (auto& [w, entry] : ready) std::move(w.done)(entry);
  return digests;
}

absl::StatusOr<std::vector<std::string>> Ledger::ApplyLocked(
    const coalition::v1::CommittedBlock& committed, storage::WriteBatch batch,
    const std::vector<std::string>* entry_digests,
    std::vector<std::pair<Waiter, CommittedEntry>>* ready) {
  const auto& block = committed.block();
  {
    absl::MutexLock lock(&mu_);
    if (block.height() <= height_) return std::vector<std::string>{};  // already applied
    if (block.height() != height_ + 1) {
      return absl::FailedPreconditionError("ledger at height " + std::to_string(height_) +
                                           " cannot apply height " +
                                           std::to_string(block.height()));
    }
  }
  coalition::v1::BlockPayload payload;
  if (!block.payload().empty() && !payload.ParseFromString(block.payload())) {
    // Voters validate payloads before voting, so a committed undecodable payload means a broken
    // invariant (or a quorum of faulty validators). Record it as an empty block, never crash.
    payload.Clear();
  }
  absl::WriterMutexLock log_lock(&log_mu_);
  const uint64_t first_index = log_->size();
  std::vector<std::string> leaves;
  std::vector<std::string> digests;
  std::vector<CommittedEntry> results;
  leaves.reserve(payload.entries_size());
  const bool digests_given = entry_digests != nullptr &&
                             entry_digests->size() == static_cast<size_t>(payload.entries_size());
  executor_->BeginBlock();
  for (int i = 0; i < payload.entries_size(); ++i) {
    const auto& env = payload.entries(i);
    const std::string digest = digests_given ? (*entry_digests)[i] : crypto::EnvelopeDigest(env);
#ifndef NDEBUG
    // A wrong digest would index the entry under another name on this node alone.
    COAL_CHECK(digest == crypto::EnvelopeDigest(env));
#endif
    ExecContext ctx{block.height(), first_index + i, block.time_ms()};
    coalition::v1::EntryRecord record;
    *record.mutable_envelope() = env;
    record.set_height(block.height());
    record.set_position(static_cast<uint32_t>(i));
    record.set_log_index(first_index + i);
    record.set_block_time_ms(block.time_ms());
    *record.mutable_outcome() = executor_->Apply(ctx, env, digest);
    std::string leaf;
    record.SerializeToString(&leaf);
    // First commit of a digest wins the index; a later duplicate stays in the log, rejected by
    // the executor (repeated nonce), and is still findable by log index.
    if (!kv_->Get(Column::kIndex, DigestIndexKey(digest)).ok()) {
      batch.Put(Column::kIndex, DigestIndexKey(digest), BigEndian64(first_index + i));
    }
    results.push_back({first_index + i, block.height(), block.time_ms(), record.outcome()});
    leaves.push_back(std::move(leaf));
    digests.push_back(digest);
  }
  auto st = executor_->FinishBlock(&batch);
  if (!st.ok()) {
    executor_->AbortBlock();
    return st;
  }
  std::vector<Hash> leaf_hashes;
  st = log_->AppendTo(leaves, &batch, &leaf_hashes);
  if (!st.ok()) {
    executor_->AbortBlock();
    log_->Abort();
    return st;
  }
  // Leaves are unique (each names its own log index), so this index is one-to-one.
  for (size_t i = 0; i < leaf_hashes.size(); ++i) {
    batch.Put(Column::kIndex, LeafHashIndexKey(leaf_hashes[i]), BigEndian64(first_index + i));
  }
  std::string block_bytes;
  committed.SerializeToString(&block_bytes);
  batch.Put(Column::kBlocks, BigEndian64(block.height()), block_bytes);
  batch.Put(Column::kMeta, kHeightKey, BigEndian64(block.height()));
  batch.Put(Column::kMeta, kLastBlockKey, block.id());
  st = kv_->Write(batch, {.sync = false});  // durable through the consensus tree (see ledger.h)
  if (!st.ok()) {
    executor_->AbortBlock();
    log_->Abort();
    return st;
  }
  log_->Commit();
  {
    absl::MutexLock lock(&mu_);
    height_ = block.height();
    last_block_id_ = block.id();
    committed_size_ = log_->size();
    for (size_t i = 0; i < digests.size(); ++i) {
      const bool first = recent_.emplace(digests[i], results[i]).second;
      if (!first) continue;  // a later duplicate: waiters were answered with the first commit
      recent_order_.push_back(digests[i]);
      auto it = waiters_by_digest_.find(digests[i]);
      if (it == waiters_by_digest_.end()) continue;
      // TakeWaiter edits this list: walk a copy taken out of the map.
      const std::vector<uint64_t> tickets = std::move(it->second);
      waiters_by_digest_.erase(it);
      for (uint64_t ticket : tickets) {
        if (auto w = TakeWaiter(ticket)) ready->emplace_back(std::move(*w), results[i]);
      }
    }
    while (recent_order_.size() > kRecentCommitsMax) {
      recent_.erase(recent_order_.front());
      recent_order_.pop_front();
    }
  }
  committed_cv_.SignalAll();
  return digests;
}

uint64_t Ledger::height() const {
  absl::MutexLock lock(&mu_);
  return height_;
}

uint64_t Ledger::tree_size() const {
  absl::ReaderMutexLock lock(&log_mu_);
  return log_->size();
}

Hash Ledger::root() const {
  absl::ReaderMutexLock lock(&log_mu_);
  return log_->Root();
}

std::string Ledger::last_block_id() const {
  absl::MutexLock lock(&mu_);
  return last_block_id_;
}

absl::StatusOr<std::string> Ledger::GetLeaf(uint64_t log_index) const {
  auto leaf = kv_->Get(Column::kEntries, BigEndian64(log_index));
  if (absl::IsNotFound(leaf.status())) {
    return absl::NotFoundError("no entry at log index " + std::to_string(log_index));
  }
  return leaf;
}

absl::StatusOr<coalition::v1::EntryRecord> Ledger::GetEntry(uint64_t log_index) const {
  ASSIGN_OR_RETURN(std::string leaf, GetLeaf(log_index));
  coalition::v1::EntryRecord record;
  if (!record.ParseFromString(leaf)) {
    return absl::DataLossError("stored entry " + std::to_string(log_index) + " is corrupt");
  }
  return record;
}

absl::StatusOr<uint64_t> Ledger::IndexOfDigest(const std::string& digest) const {
  auto v = kv_->Get(Column::kIndex, DigestIndexKey(digest));
  if (absl::IsNotFound(v.status())) return absl::NotFoundError("no committed entry with digest");
  if (!v.ok()) return v.status();
  if (v->size() != 8) return absl::DataLossError("digest index value corrupt");
  return ReadBigEndian64(*v);
}

absl::StatusOr<uint64_t> Ledger::IndexOfLeafHash(const std::string& leaf_hash) const {
  if (leaf_hash.size() != 32) return absl::InvalidArgumentError("leaf_hash: must be 32 bytes");
  Hash h;
  std::copy(leaf_hash.begin(), leaf_hash.end(), h.begin());
  auto v = kv_->Get(Column::kIndex, LeafHashIndexKey(h));
  if (absl::IsNotFound(v.status())) return absl::NotFoundError("no committed leaf with leaf_hash");
  if (!v.ok()) return v.status();
  if (v->size() != 8) return absl::DataLossError("leaf hash index value corrupt");
  return ReadBigEndian64(*v);
}

absl::StatusOr<coalition::v1::CommittedBlock> Ledger::GetBlock(uint64_t height) const {
  auto v = kv_->Get(Column::kBlocks, BigEndian64(height));
  if (absl::IsNotFound(v.status())) {
    return absl::NotFoundError("no committed block at height " + std::to_string(height));
  }
  if (!v.ok()) return v.status();
  coalition::v1::CommittedBlock b;
  if (!b.ParseFromString(*v)) return absl::DataLossError("stored block corrupt");
  return b;
}

absl::StatusOr<std::vector<coalition::v1::CommittedBlock>> Ledger::BlocksFrom(
    uint64_t from_height, uint32_t blocks_max, size_t bytes_max) const {
  std::vector<coalition::v1::CommittedBlock> out;
  size_t bytes = 0;
  const uint64_t top = height();
  for (uint64_t h = std::max<uint64_t>(from_height, 1); h <= top && out.size() < blocks_max;
       ++h) {
    auto b = GetBlock(h);
    if (!b.ok()) return b.status();
    bytes += b->ByteSizeLong();
    if (bytes > bytes_max && !out.empty()) break;
    out.push_back(std::move(*b));
  }
  return out;
}

absl::StatusOr<std::vector<Hash>> Ledger::InclusionProof(uint64_t index, uint64_t size) const {
  absl::ReaderMutexLock lock(&log_mu_);
  if (size > log_->size()) {
    return absl::OutOfRangeError("tree size " + std::to_string(size) + " > current size " +
                                 std::to_string(log_->size()));
  }
  return log_->InclusionProof(index, size);
}

absl::StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t m, uint64_t n) const {
  absl::ReaderMutexLock lock(&log_mu_);
  if (n > log_->size()) {
    return absl::OutOfRangeError("tree size " + std::to_string(n) + " > current size " +
                                 std::to_string(log_->size()));
  }
  return log_->ConsistencyProof(m, n);
}

absl::StatusOr<Hash> Ledger::RootAt(uint64_t size) const {
  absl::ReaderMutexLock lock(&log_mu_);
  if (size > log_->size()) {
    return absl::OutOfRangeError("tree size " + std::to_string(size) + " > current size " +
                                 std::to_string(log_->size()));
  }
  return log_->RootAt(size);
}

absl::Status Ledger::StoreQuorumCheckpoint(const coalition::v1::Checkpoint& checkpoint) {
  {
    absl::MutexLock lock(&mu_);
    if (checkpoint_ && checkpoint_->size() >= checkpoint.size()) return absl::OkStatus();
  }
  coalition::v1::Checkpoint cp = checkpoint;
  // The height is not in the signed note: it is the block that brought the log to this size,
  // known once this node has applied it (0 otherwise).
  if (cp.height() == 0 && cp.size() > 0) {
    if (auto last = GetEntry(cp.size() - 1); last.ok()) cp.set_height(last->height());
  }
  std::string bytes;
  cp.SerializeToString(&bytes);
  RETURN_IF_ERROR(kv_->Put(Column::kMeta, kCheckpointKey, bytes));
  absl::MutexLock lock(&mu_);
  if (!checkpoint_ || checkpoint_->size() < cp.size()) checkpoint_ = std::move(cp);
  return absl::OkStatus();
}

std::optional<coalition::v1::Checkpoint> Ledger::LatestQuorumCheckpoint() const {
  absl::MutexLock lock(&mu_);
  return checkpoint_;
}

absl::StatusOr<CommittedEntry> Ledger::WaitForDigest(const std::string& digest,
                                                     absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto it = recent_.find(digest);
    if (it != recent_.end()) return it->second;
    if (committed_cv_.WaitWithDeadline(&mu_, deadline)) {
      auto again = recent_.find(digest);
      if (again != recent_.end()) return again->second;
      return absl::DeadlineExceededError("entry not committed before the deadline");
    }
  }
}

std::optional<Ledger::Waiter> Ledger::TakeWaiter(uint64_t ticket) {
  auto it = waiters_.find(ticket);
  if (it == waiters_.end()) return std::nullopt;
  Waiter w = std::move(it->second);
  waiters_.erase(it);
  auto by = waiters_by_digest_.find(w.digest);
  if (by != waiters_by_digest_.end()) {
    std::erase(by->second, ticket);
    if (by->second.empty()) waiters_by_digest_.erase(by);
  }
  return w;
}

uint64_t Ledger::WhenCommitted(const std::string& digest, absl::Time deadline,
                               CommitCallback done) {
  absl::StatusOr<CommittedEntry> now_answer = absl::UnavailableError("node is shutting down");
  {
    absl::MutexLock lock(&mu_);
    if (auto it = recent_.find(digest); it != recent_.end()) {
      now_answer = it->second;
    } else if (!waiters_closed_) {
      const uint64_t ticket = next_ticket_++;
      waiters_.emplace(ticket, Waiter{digest, deadline, std::move(done)});
      waiters_by_digest_[digest].push_back(ticket);
      return ticket;
    }
  }
  std::move(done)(std::move(now_answer));
  return 0;
}

void Ledger::CancelWaiter(uint64_t ticket, const absl::Status& why) {
  std::optional<Waiter> w;
  {
    absl::MutexLock lock(&mu_);
    w = TakeWaiter(ticket);
  }
  if (w) std::move(w->done)(why);
}

void Ledger::ExpireWaiters(absl::Time now) {
  std::vector<Waiter> expired;
  {
    absl::MutexLock lock(&mu_);
    std::vector<uint64_t> tickets;
    for (const auto& [ticket, w] : waiters_) {
      if (w.deadline <= now) tickets.push_back(ticket);
    }
    for (uint64_t t : tickets) {
      if (auto w = TakeWaiter(t)) expired.push_back(std::move(*w));
    }
  }
  for (auto& w : expired) {
    std::move(w.done)(absl::DeadlineExceededError("entry not committed before the deadline"));
  }
}

void Ledger::CancelAllWaiters(const absl::Status& why) {
  std::vector<Waiter> all;
  {
    absl::MutexLock lock(&mu_);
    waiters_closed_ = true;
    for (auto& [ticket, w] : waiters_) all.push_back(std::move(w));
    waiters_.clear();
    waiters_by_digest_.clear();
  }
  for (auto& w : all) std::move(w.done)(why);
}

size_t Ledger::waiters() const {
  absl::MutexLock lock(&mu_);
  return waiters_.size();
}

uint64_t Ledger::WaitForSize(uint64_t index, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  while (committed_size_ <= index) {
    if (committed_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return committed_size_;
}

}  // namespace coal::node

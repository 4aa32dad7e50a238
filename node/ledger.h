// The ledger of one node: applies committed blocks in order and answers reads.
//
// Apply(block): decodes the block payload (a BlockPayload of envelopes), runs every entry through
// the EntryExecutor (domain rules), and writes ONE RocksDB batch: the committed block with its
// commit proof, an EntryRecord per entry (the Merkle leaf), the Merkle nodes, the digest index,
// domain state, the new height, and whatever the caller adds (the replica's prune of the consensus
// tree). A block at or below the stored height is skipped, so replays after a crash or from
// catch-up are harmless. Nothing is visible to readers before the batch is in the write-ahead log.
//
// The batch is not fsynced on its own: a committed block is durable before it is applied, in the
// consensus tree that 2f+1 validators synced before voting, and applying it is a deterministic
// replay. The write-ahead log is one ordered file, so the next synced write of any kind (a
// consensus step that votes or proposes, the sync before cosigning a checkpoint) makes the apply
// durable, and a power cut before it loses the apply together with its prune: the ledger restarts
// below the consensus tree and applies those blocks again once a later commit certificate arrives
// (or fetches them from peers). A kill -9 loses nothing written (the log is in the OS already).
//
// Thread safety: Apply is called from one thread (the replica loop); reads and waits from any.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coalition/v1/consensus.pb.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/ledger.pb.h"
#include "crypto/bytes.h"
#include "storage/kv_store.h"
#include "storage/merkle_log.h"

namespace coal::node {

struct ExecContext {
  uint64_t height = 0;
  uint64_t log_index = 0;
  int64_t block_time_ms = 0;
};

// The plug-in point for domain rules. Deterministic: reads only its state and the block.
class EntryExecutor {
 public:
  virtual ~EntryExecutor() = default;
  virtual void BeginBlock() = 0;
  virtual coalition::v1::Outcome Apply(const ExecContext& ctx,
                                       const coalition::v1::Envelope& envelope,
                                       const std::string& digest) = 0;
  // Stages the block's state writes into `batch`.
  virtual absl::Status FinishBlock(storage::WriteBatch* batch) = 0;
  virtual void AbortBlock() = 0;
};

// Accepts every entry (the node's default before domain rules are plugged in).
class AcceptAllExecutor final : public EntryExecutor {
 public:
  void BeginBlock() override {}
  coalition::v1::Outcome Apply(const ExecContext&, const coalition::v1::Envelope&,
                               const std::string&) override;
  absl::Status FinishBlock(storage::WriteBatch*) override { return absl::OkStatus(); }
  void AbortBlock() override {}
};

struct CommittedEntry {
  uint64_t log_index = 0;
  uint64_t height = 0;
  int64_t block_time_ms = 0;
  coalition::v1::Outcome outcome;
};

class Ledger {
 public:
  // `kv` and `executor` must outlive the ledger.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(storage::KvStore* kv,
                                                      EntryExecutor* executor);

  // Applies one committed block, with `also` in the same batch. Returns the digests of its
  // entries (for the mempool). A block at or below the ledger's height writes nothing, `also`
  // included: the caller writes it itself if it must land. `entry_digests`, when given, must be
  // the digests of the block's entries in order (the replica has them from validating the block);
  // otherwise, or when their count does not match, the ledger hashes the entries itself.
  absl::StatusOr<std::vector<std::string>> Apply(
      const coalition::v1::CommittedBlock& block, storage::WriteBatch also = {},
      const std::vector<std::string>* entry_digests = nullptr);

  uint64_t height() const;
  uint64_t tree_size() const;
  Hash root() const;
  std::string last_block_id() const;

  absl::StatusOr<coalition::v1::EntryRecord> GetEntry(uint64_t log_index) const;
  absl::StatusOr<std::string> GetLeaf(uint64_t log_index) const;
  absl::StatusOr<uint64_t> IndexOfDigest(const std::string& digest) const;
  // The log index of the leaf whose RFC 9162 leaf hash is `leaf_hash` (32 bytes).
  absl::StatusOr<uint64_t> IndexOfLeafHash(const std::string& leaf_hash) const;
  absl::StatusOr<coalition::v1::CommittedBlock> GetBlock(uint64_t height) const;
  // Committed blocks from `from_height` (at least 1) upward, for a peer catching up: at most
  // `blocks_max`, and no more once their encoded size passes `bytes_max` — except the first,
  // always included, so a peer behind a large block still moves. Empty above the ledger's height.
  absl::StatusOr<std::vector<coalition::v1::CommittedBlock>> BlocksFrom(uint64_t from_height,
                                                                       uint32_t blocks_max,
                                                                       size_t bytes_max) const;

  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) const;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t m, uint64_t n) const;
  absl::StatusOr<Hash> RootAt(uint64_t size) const;

  // Quorum checkpoints (2f+1 cosignatures), newest wins.
  absl::Status StoreQuorumCheckpoint(const coalition::v1::Checkpoint& checkpoint);
  std::optional<coalition::v1::Checkpoint> LatestQuorumCheckpoint() const;

  // Blocks until the entry with `digest` is committed or `deadline` passes (DEADLINE_EXCEEDED).
  absl::StatusOr<CommittedEntry> WaitForDigest(const std::string& digest,
                                               absl::Time deadline) const;

  // Waiting without a thread: `done` runs exactly once — at once (on this thread) when `digest`
  // is among the recent commits, else on the applying thread when it commits, or with
  // DEADLINE_EXCEEDED from ExpireWaiters once `deadline` passed, or with the status given to
  // CancelWaiter / CancelAllWaiters. `done` runs outside the ledger's locks and must be quick.
  // Returns a ticket for CancelWaiter (0 when `done` already ran).
  using CommitCallback = absl::AnyInvocable<void(absl::StatusOr<CommittedEntry>) &&>;
  uint64_t WhenCommitted(const std::string& digest, absl::Time deadline, CommitCallback done);
  // Runs the waiter's callback with `why` unless it already ran (then does nothing).
  void CancelWaiter(uint64_t ticket, const absl::Status& why);
  // Runs the callbacks of waiters whose deadline is at or before `now` with DEADLINE_EXCEEDED.
  void ExpireWaiters(absl::Time now);
  // Also closes waiting: later WhenCommitted calls are answered UNAVAILABLE at once.
  void CancelAllWaiters(const absl::Status& why);
  size_t waiters() const;
  // Blocks until tree_size() > index or the deadline passes; returns the tree size.
  uint64_t WaitForSize(uint64_t index, absl::Time deadline) const;

  storage::KvStore* kv() const { return kv_; }

 private:
  Ledger(storage::KvStore* kv, EntryExecutor* executor);
  absl::Status Load();

  static constexpr size_t kRecentCommitsMax = 100'000;

  storage::KvStore* const kv_;
  EntryExecutor* const executor_;
  mutable absl::Mutex log_mu_;  // readers: proofs; writer: Apply
  std::unique_ptr<storage::MerkleLog> log_ ABSL_GUARDED_BY(log_mu_);

  mutable absl::Mutex mu_;
  uint64_t height_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t committed_size_ ABSL_GUARDED_BY(mu_) = 0;  // log size, mirrored for waiters
  std::string last_block_id_ ABSL_GUARDED_BY(mu_);
  std::optional<coalition::v1::Checkpoint> checkpoint_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CommittedEntry> recent_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> recent_order_ ABSL_GUARDED_BY(mu_);
  mutable absl::CondVar committed_cv_;

  struct Waiter {
    std::string digest;
    absl::Time deadline;
    CommitCallback done;
  };
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  bool waiters_closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<uint64_t>> waiters_by_digest_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<std::vector<std::string>> ApplyLocked(
      const coalition::v1::CommittedBlock& block, storage::WriteBatch batch,
      const std::vector<std::string>* entry_digests,
      std::vector<std::pair<Waiter, CommittedEntry>>* ready);
  // Takes the waiter out (nullopt when it already ran).
  std::optional<Waiter> TakeWaiter(uint64_t ticket) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

// Key helpers shared with readers.
std::string DigestIndexKey(const std::string& digest);
std::string LeafHashIndexKey(const Hash& leaf_hash);

}  // namespace coal::node

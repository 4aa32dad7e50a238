// StateMachine: the compliance domain's executor plug-in (DESIGN §2, §5). The node calls, for
// each committed block:
//   BeginBlock(); for each entry: Apply(ctx, envelope, digest); FinishBlock(&batch) (or AbortBlock)
// then writes `batch` atomically together with the block and its Merkle leaves.
//
// Apply runs the entry checks of entry_checks.h, then the time window (created_at_ms not older
// than genesis.entry_max_age_ms and not further than entry_max_future_ms ahead of block time),
// then the (author, nonce) replay check, then the record's own rules. It always returns an
// Outcome: accepted, or rejected with a stable reason code (reasons.h) and a detail naming the
// field. Apply is deterministic: it reads only stored state, the block's earlier entries (held in
// an in-block overlay) and its arguments; never a clock. Nonces of authenticated entries are
// recorded even when the entry is rejected by a domain rule, so a signed entry cannot be
// replayed later when the state has changed.
//
// A storage read error inside Apply cannot become an Outcome (it would differ between nodes): the
// entry is reported rejected with reason "internal" and FinishBlock returns the error, so the
// node must not commit the block and retries it after AbortBlock.
//
// Bootstrap(genesis, batch) stages the real rule sets of data/rules.json (embedded, see
// rule_loader.h) as adopted at genesis; the node calls it once when it initializes a data dir.
//
// Thread safety: not thread-safe; the node's single apply thread owns it. The KvStore must
// outlive it and may be read concurrently by queries (they see only committed batches).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "coalition/v1/envelope.pb.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/ledger.pb.h"
#include "node/domain/entry_checks.h"
#include "node/domain/state_overlay.h"
#include "storage/kv_store.h"

namespace coal::domain {

class StateMachine {
 public:
  struct Context {
    uint64_t height = 0;
    uint64_t log_index = 0;
    int64_t block_time_ms = 0;
  };

  // `chain_id` as node/genesis.h ChainId(genesis) computes it; `verifier` as EntryChecker's.
  StateMachine(const coalition::v1::Genesis& genesis, storage::KvStore* kv, std::string chain_id,
               const crypto::Verifier* verifier = nullptr);
  StateMachine(const StateMachine&) = delete;
  StateMachine& operator=(const StateMachine&) = delete;

  void BeginBlock();
  coalition::v1::Outcome Apply(const Context& ctx, const coalition::v1::Envelope& envelope,
                               const std::string& digest);
  // Stages every state and index write of the block into `batch` and resets the overlay.
  absl::Status FinishBlock(storage::WriteBatch* batch);
  void AbortBlock();

  const EntryChecker& checker() const { return checker_; }

 private:
  absl::Status ApplyChecked(const Context& ctx, const CheckedEntry& entry,
                            const std::string& digest);

  EntryChecker checker_;
  storage::KvStore* kv_;
  StateOverlay overlay_;
  absl::Status io_error_;  // first storage error of the block
};

// Stages the embedded real rule sets (October 2022, October 2023, December 2024) as adopted at
// genesis, with their real effective dates. Idempotent on the key level (same keys, same values).
absl::Status Bootstrap(const coalition::v1::Genesis& genesis, storage::WriteBatch* batch);

}  // namespace coal::domain

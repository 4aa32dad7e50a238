// Checkpoint cosigning (DESIGN §7). After each block that grows the log (or, with the genesis'
// checkpoint_interval_ms, once per window of block time: CosignBeforeBlock), the node cosigns the
// C2SP checkpoint (origin = chain id, size, root) with its validator key (tlog-cosignature v1, key
// name = validator id) and sends the cosignature to the others. Cosignatures for a (size, root) are
// gathered; with 2f+1 distinct valid ones the note is a quorum checkpoint, stored in the ledger.
// Cosignatures that arrive before this node reached their size wait (bounded by kPendingSizesMax).
//
// Thread-safe: all methods lock.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/ledger.pb.h"
#include "crypto/checkpoint_note.h"
#include "crypto/ed25519.h"
#include "storage/kv_store.h"

namespace coal::node {

class Checkpointer {
 public:
  Checkpointer(const coalition::v1::Genesis& genesis, std::string chain_id, uint32_t self,
               const crypto::Signer* signer);

  // This node's log reached (size, root): returns its own cosignature to broadcast, and a quorum
  // checkpoint if one is complete now. Called again for the size it last cosigned while that size
  // has no quorum, it returns the same cosignature with `again` set (peers are asked for theirs);
  // nothing once the quorum is complete, or for a smaller size.
  struct Result {
    std::optional<coalition::v1::Cosignature> own;
    bool again = false;
    std::optional<coalition::v1::Checkpoint> quorum;
  };
  Result OnLogSize(uint64_t size, const Hash& root, int64_t now_ms);

  // This node's cosignature of `size` and the root it cosigned, if it cosigned that size (and
  // still remembers it: the last kPendingSizesMax sizes).
  struct Own {
    coalition::v1::Cosignature cosignature;
    std::string root;
  };
  std::optional<Own> OwnCosignature(uint64_t size);

  // A peer's cosignature for (size, root). A quorum checkpoint when this one completes it.
  // INVALID_ARGUMENT / UNAUTHENTICATED for a malformed or invalid cosignature.
  absl::StatusOr<std::optional<coalition::v1::Checkpoint>> OnCosignature(
      uint32_t from, uint64_t size, const std::string& root,
      const coalition::v1::Cosignature& cosig);

  size_t quorum() const { return quorum_; }
  const std::vector<crypto::NoteVerifierKey>& keys() const { return keys_; }

 private:
  struct Pending {
    std::string root;                                // claimed by the first cosigner
    std::map<uint32_t, crypto::NoteSignature> sigs;  // validator index -> signature
    bool verified_root = false;                      // our own log has this (size, root)
    bool done = false;
  };
  std::optional<coalition::v1::Checkpoint> MaybeQuorum(uint64_t size, Pending& p);

  static constexpr size_t kPendingSizesMax = 256;

  const std::string chain_id_;
  const uint32_t self_;
  const crypto::Signer* const signer_;
  std::vector<crypto::NoteVerifierKey> keys_;  // index = validator index
  size_t quorum_ = 0;

  std::mutex mu_;
  std::map<uint64_t, Pending> pending_;  // guarded by mu_
  uint64_t own_size_ = 0;                // guarded by mu_
};

// The cosigning schedule of a genesis with checkpoint_interval_ms > 0: block time is cut into
// windows of interval_ms from genesis_time_ms, and a node cosigns the log as it stands at the end
// of each window, i.e. before applying the first block of the next one (time `next_ms`, after a
// block of time `prev_ms`). Every node applies the same blocks with the same times, so all cosign
// the same sizes and their cosignatures meet in a quorum. Under load this is one cosigning round
// per window instead of one per block; an idle chain's empty blocks (one per ~150 ms) close the
// last window. Always false for interval_ms == 0 (cosign after every block).
bool CosignBeforeBlock(int64_t genesis_time_ms, uint32_t interval_ms, int64_t prev_ms,
                       int64_t next_ms);

// A node never cosigns more log than is on disk: blocks are applied without an fsync of their own
// (ledger.h), and after a power cut it would otherwise cosign a shorter log, with a newer
// timestamp, than one it cosigned before. Syncs the store's log unless `*durable_size` (the size
// last made durable) covers `size` already, and then records `size`; on error, nothing changes.
absl::Status SyncForCosign(storage::KvStore& kv, uint64_t size, uint64_t* durable_size);

// Builds the Checkpoint proto fields from a note (origin, size, root, cosignatures).
absl::StatusOr<coalition::v1::Checkpoint> CheckpointFromNote(const std::string& note,
                                                             uint64_t height = 0);

}  // namespace coal::node

// MerkleLog: the append-only log of committed entries and its RFC 9162 Merkle tree, kept in a
// KvStore (DESIGN §7, §8). Proofs and past roots read O(log n) stored subtree hashes, never leaves.
//
// Stored layout (keys big-endian, so iteration order is numeric order):
//   Column::kEntries  BE64(index)               -> leaf bytes (the entry record)
//   Column::kMerkle   u8 level || BE64(index)   -> 32-byte hash of the perfect subtree
//                                                  MTH(leaves[index*2^level, (index+1)*2^level))
//   Column::kMeta     "merkle/size"             -> BE64(number of leaves)
// Level 0 holds the leaf hashes; every perfect subtree is written once, when its last leaf lands.
//
// Appending is two-phase so a block commits as one atomic batch with the caller's other data:
//   RETURN_IF_ERROR(log.AppendTo(leaves, &batch));  // stages leaves, hashes and the new size
//   status = store->Write(batch, {.sync = true});
//   if (status.ok()) log.Commit(); else log.Abort();
// Until Commit, readers see the old size and root. At most one append is staged at a time.
// Load() must run once before AppendTo; it rebuilds the compact range from O(log n) stored hashes.
//
// Errors: DATA_LOSS when the store lacks or garbles what the log wrote; OUT_OF_RANGE for a tree
// size beyond the committed size; NOT_FOUND for a leaf index beyond it; the crypto/merkle.h
// INVALID_ARGUMENT messages for bad (index, size) or (m, n); FAILED_PRECONDITION for AppendTo
// before Load or while another append is staged; store errors pass through.
//
// Thread safety: the reading methods may be called from any thread, concurrently with each other
// and with the writer. Load, AppendTo, Commit and Abort belong to one writer at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/bytes.h"
#include "crypto/merkle.h"
#include "storage/kv_store.h"

namespace coal::storage {

// Key in Column::kMeta holding the committed number of leaves.
inline constexpr std::string_view kMerkleSizeKey = "merkle/size";
// Most leaves one AppendTo accepts (a block holds far fewer; bulk loads split their input).
inline constexpr size_t kAppendLeavesMax = size_t{1} << 20;

std::string EntryKey(uint64_t index);                       // Column::kEntries key
std::string MerkleNodeKey(uint32_t level, uint64_t index);  // Column::kMerkle key

class MerkleLog {
 public:
  // `store` is not owned and must outlive the log.
  explicit MerkleLog(KvStore* store);
  MerkleLog(const MerkleLog&) = delete;
  MerkleLog& operator=(const MerkleLog&) = delete;

  // Reads the stored size and rebuilds the in-memory compact range; drops any staged append.
  // DATA_LOSS when the size key, the last entry or a peak hash disagree with each other.
  absl::Status Load();

  // Stages `leaves` as entries size()..size()+leaves.size()-1 into `batch`: the entries, every
  // perfect-subtree hash they complete and the new size. An empty list stages nothing but still
  // needs Commit or Abort. INVALID_ARGUMENT for more than kAppendLeavesMax leaves.
  absl::Status AppendTo(const std::vector<std::string>& leaves, WriteBatch* batch);
  // The staged batch was written: readers now see the new size and root. Aborts the process when
  // nothing is staged, or when the store holds another size than the staged one (the caller
  // committed a batch it did not write).
  void Commit();
  // The staged batch was not written: forget it. No-op when nothing is staged.
  void Abort();

  uint64_t size() const;
  Hash Root() const;
  // Root of the first `size` leaves; OUT_OF_RANGE when size > size().
  absl::StatusOr<Hash> RootAt(uint64_t size) const;
  // The stored leaf bytes / its leaf hash; NOT_FOUND when index >= size().
  absl::StatusOr<std::string> Leaf(uint64_t index) const;
  absl::StatusOr<Hash> LeafHashAt(uint64_t index) const;
  // RFC 9162 proofs against the tree of `size` (or `n`) leaves; OUT_OF_RANGE beyond size().
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) const;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t m, uint64_t n) const;

 private:
  // Reads perfect-subtree hashes from Column::kMerkle; a missing or malformed one is DATA_LOSS.
  merkle::SubtreeSource StoredSubtrees() const;

  KvStore* const store_;
  mutable absl::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  merkle::CompactRange committed_ ABSL_GUARDED_BY(mu_);
  std::optional<merkle::CompactRange> staged_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coal::storage

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
// Reads per proof: a proof hash comes from one of three places, by tree level.
//   - levels >= cache_level(): RAM. The top levels are cached (filled by Load with one range scan
//     per level, extended by Commit); the lowest cached level rises as the tree grows so the
//     cache stays within MerkleLogOptions::cache_bytes_max.
//   - levels below kBottomLevels: computed from the aligned run of 2^kBottomLevels leaf hashes
//     (level 0) that holds them, read with one range scan; a proof touches at most
//     kProofRunsMax such runs.
//   - levels in between: one Get each.
// So a proof costs O(log n) reads at worst and two scans when the cache covers the middle levels.
//
// Errors: DATA_LOSS when the store lacks or garbles what the log wrote; OUT_OF_RANGE for a tree
// size beyond the committed size; NOT_FOUND for a leaf index beyond it; the crypto/merkle.h
// INVALID_ARGUMENT messages for bad (index, size) or (m, n); FAILED_PRECONDITION for AppendTo
// before Load or while another append is staged; store errors pass through.
//
// Thread safety: the reading methods may be called from any thread, concurrently with each other
// and with the writer. Load, AppendTo, Commit and Abort belong to one writer at a time.
#pragma once

#include <array>
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
// Levels 0 .. kBottomLevels-1 of a proof come from one scan of 2^kBottomLevels leaf hashes, so
// the upper-level cache never holds them (they are most of the tree).
inline constexpr uint32_t kBottomLevels = 4;
// Distinct aligned leaf-hash runs one proof may scan (path, ragged right edge, old-tree edge).
inline constexpr size_t kProofRunsMax = 3;

struct MerkleLogOptions {
  // RAM for cached upper-level hashes; 0 disables the cache. 64 MiB holds levels >= 4 of a
  // 16M-entry log (n/8 hashes of 32 bytes); beyond that each doubling costs one Get per proof.
  size_t cache_bytes_max = size_t{64} << 20;
};

std::string EntryKey(uint64_t index);                       // Column::kEntries key
std::string MerkleNodeKey(uint32_t level, uint64_t index);  // Column::kMerkle key

class MerkleLog {
 public:
  // `store` is not owned and must outlive the log.
  explicit MerkleLog(KvStore* store, MerkleLogOptions options = {});
  MerkleLog(const MerkleLog&) = delete;
  MerkleLog& operator=(const MerkleLog&) = delete;

  // Reads the stored size and rebuilds the in-memory compact range; drops any staged append.
  // DATA_LOSS when the size key, the last entry or a peak hash disagree with each other.
  absl::Status Load();

  // Stages `leaves` as entries size()..size()+leaves.size()-1 into `batch`: the entries, every
  // perfect-subtree hash they complete and the new size. An empty list stages nothing but still
  // needs Commit or Abort. INVALID_ARGUMENT for more than kAppendLeavesMax leaves. When
  // `leaf_hashes` is given, it receives each leaf's hash, in order (callers that index leaves by
  // hash need not hash them a second time).
  absl::Status AppendTo(const std::vector<std::string>& leaves, WriteBatch* batch,
                        std::vector<Hash>* leaf_hashes = nullptr);
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

  // The upper-level cache: its lowest level (64 when empty) and its size in bytes.
  uint32_t cache_level() const;
  size_t cache_bytes() const;

 private:
  struct Subtree {
    uint32_t level;
    uint64_t index;
    Hash hash;
  };
  static constexpr uint32_t kCacheLevels = 64;  // also "no level cached"
  using SubtreeCache = std::array<std::vector<Hash>, kCacheLevels>;

  // One perfect-subtree hash from Column::kMerkle; a missing or malformed one is DATA_LOSS.
  absl::StatusOr<Hash> ReadStored(uint32_t level, uint64_t index) const;
  // The cache first, then the store.
  absl::StatusOr<Hash> ReadSubtree(uint32_t level, uint64_t index) const;
  // Appends hashes (level, begin .. end-1) in order with one scan; stops early where the stored
  // run ends, DATA_LOSS on a gap or a malformed record.
  absl::Status ScanLevel(uint32_t level, uint64_t begin, uint64_t end,
                         std::vector<Hash>* out) const;
  // A source for one proof: bottom levels from memoized leaf-hash runs, the rest by ReadSubtree.
  merkle::SubtreeSource ProofSource() const;
  // Lowest level whose hashes (with all above) for a tree of `size` fit in cache_bytes_max.
  uint32_t CacheLevelFor(uint64_t size) const;
  // Reads levels >= `level` of a tree of `size` leaves from the store, one scan per level.
  absl::Status FillCache(uint32_t level, uint64_t size, SubtreeCache* cache) const;
  // Raises the lowest cached level until the cache fits its budget.
  void TrimCache() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  KvStore* const store_;
  const MerkleLogOptions options_;
  mutable absl::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  merkle::CompactRange committed_ ABSL_GUARDED_BY(mu_);
  std::optional<merkle::CompactRange> staged_ ABSL_GUARDED_BY(mu_);
  // Completed subtrees of the staged append at levels >= cache_level_, in completion order.
  std::vector<Subtree> staged_cached_ ABSL_GUARDED_BY(mu_);
  // cache_[L] holds hashes (L, 0 .. committed size >> L) for L >= cache_level_; lower ones empty.
  uint32_t cache_level_ ABSL_GUARDED_BY(mu_) = kCacheLevels;
  SubtreeCache cache_ ABSL_GUARDED_BY(mu_);
  size_t cache_hashes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coal::storage

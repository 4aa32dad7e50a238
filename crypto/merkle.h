// RFC 6962 / RFC 9162 Merkle tree math (DESIGN §7): leaf and node hashing, roots, inclusion and
// consistency proofs and their verification (RFC 9162 §2.1.3.2, §2.1.4.2), and an incremental
// appender (compact range) whose append costs O(log n) and never rereads old leaves.
//
// Proof generation works over a SubtreeSource: a function that returns the hash of a *perfect*
// subtree (level L, index i) = MTH(leaves[i*2^L, (i+1)*2^L)). Storage keeps those hashes, so proofs
// and past roots need O(log n) reads and never touch leaves. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/bytes.h"

namespace coal::merkle {

Hash LeafHash(std::string_view leaf);                // SHA-256(0x00 || leaf)
Hash NodeHash(const Hash& left, const Hash& right);  // SHA-256(0x01 || left || right)
Hash EmptyRoot();                                    // SHA-256("")

// Hash of the perfect subtree at (level, index); level 0 = leaf hashes.
using SubtreeSource = std::function<absl::StatusOr<Hash>(uint32_t level, uint64_t index)>;

// Root of the first `size` leaves.
absl::StatusOr<Hash> RootAt(uint64_t size, const SubtreeSource& source);
// Audit path for leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                 const SubtreeSource& source);
// Consistency proof between sizes m <= n (RFC 9162 §2.1.4.1). Empty when m == n or m == 0.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t m, uint64_t n,
                                                   const SubtreeSource& source);

// Verification; INVALID_ARGUMENT naming what failed (e.g. "inclusion proof: root mismatch").
// Inclusion: "index I >= size N", "wrong length", "root mismatch". The proof length is fixed by
// (index, size), so any added or dropped hash is "wrong length".
// Consistency: "old size M > new size N", "wrong length", "old root mismatch", "new root mismatch",
// "root mismatch at equal sizes". m == n needs an empty proof and equal roots; m == 0 needs an
// empty proof and old_root == EmptyRoot(). When m is a power of two RFC 9162 takes old_root as the
// first path element, so a wrong old_root is reported as "new root mismatch".
absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                             const std::vector<Hash>& proof, const Hash& root);
absl::Status VerifyConsistency(uint64_t m, uint64_t n, const Hash& old_root, const Hash& new_root,
                               const std::vector<Hash>& proof);

// In-memory helpers over a full list of leaf hashes (tests, small trees).
Hash RootOf(const std::vector<Hash>& leaf_hashes);
SubtreeSource SourceFromLeaves(const std::vector<Hash>& leaf_hashes);

// Incremental appender: the compact range [0, size). Append is O(log n) hashing.
class CompactRange {
 public:
  CompactRange() = default;
  // Rebuilds from the stored perfect-subtree hashes of a tree of `size` leaves (O(log n) reads).
  static absl::StatusOr<CompactRange> FromSource(uint64_t size, const SubtreeSource& source);

  // Appends a leaf hash. Calls `on_subtree(level, index, hash)` for every perfect subtree this
  // append completes (level 0 included), so storage can persist them.
  void Append(const Hash& leaf_hash,
              const std::function<void(uint32_t, uint64_t, const Hash&)>& on_subtree = nullptr);

  uint64_t size() const { return size_; }
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> peaks_;  // perfect subtrees from largest (left) to smallest (right)
};

}  // namespace coal::merkle

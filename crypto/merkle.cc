#include "crypto/merkle.h"

#include <algorithm>
#include <bit>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/sha256.h"
#include "crypto/status_macros.h"

namespace coal::merkle {
namespace {

// A tree of 2^64 - 1 leaves has at most 64 levels below the root, so no valid proof is longer.
constexpr size_t kProofHashesMax = 64;

// Largest power of two strictly smaller than n (n >= 2): the split point k of RFC 9162 §2.1.1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

uint32_t Log2(uint64_t power_of_two) {
  return static_cast<uint32_t>(std::countr_zero(power_of_two));
}

// MTH(D[begin:end]) for a range that starts on a multiple of a power of two >= its length, as
// every range of the RFC 9162 recursion does. Reads one perfect subtree per set bit of the length.
absl::StatusOr<Hash> RangeRoot(uint64_t begin, uint64_t end, const SubtreeSource& source) {
  COAL_CHECK(begin < end);
  Hash peaks[64];
  int count = 0;
  uint64_t offset = begin;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((end - begin) & width) {
      COAL_CHECK(offset % width == 0);
      ASSIGN_OR_RETURN(peaks[count], source(static_cast<uint32_t>(level), offset >> level));
      ++count;
      offset += width;
    }
  }
  Hash root = peaks[count - 1];
  for (int i = count - 2; i >= 0; --i) root = NodeHash(peaks[i], root);
  return root;
}

absl::Status InclusionError(const std::string& what) {
  return absl::InvalidArgumentError("inclusion proof: " + what);
}
absl::Status ConsistencyError(const std::string& what) {
  return absl::InvalidArgumentError("consistency proof: " + what);
}

// Shifts fn and sn right together until fn is odd or zero (RFC 9162 §2.1.3.2 / §2.1.4.2).
void ShiftWhileEven(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && (fn & 1) == 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash LeafHash(std::string_view leaf) {
  static constexpr char kLeafPrefix = 0x00;
  return Sha256Hasher().Update(std::string_view(&kLeafPrefix, 1)).Update(leaf).Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // One contiguous buffer and a single-shot hash: the append hot path calls this once per leaf.
  char buf[1 + 2 * sizeof(Hash)];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 1 + sizeof(Hash));
  return Sha256(std::string_view(buf, sizeof(buf)));
}

Hash EmptyRoot() { return Sha256(""); }

absl::StatusOr<Hash> RootAt(uint64_t size, const SubtreeSource& source) {
  if (size == 0) return EmptyRoot();
  return RangeRoot(0, size, source);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                 const SubtreeSource& source) {
  if (index >= size) return InclusionError(absl::StrCat("index ", index, " >= size ", size));
  // Walk down RFC 9162 PATH(m, D[begin:begin+n]) from the root; siblings come out root-first.
  std::vector<Hash> path;
  uint64_t begin = 0;
  uint64_t n = size;
  uint64_t m = index;
  while (n > 1) {
    const uint64_t k = SplitPoint(n);
    if (m < k) {
      // Sibling is the right part D[k:n]; only the first such range can be imperfect.
      ASSIGN_OR_RETURN(Hash right, RangeRoot(begin + k, begin + n, source));
      path.push_back(right);
      n = k;
    } else {
      ASSIGN_OR_RETURN(Hash left, source(Log2(k), begin / k));
      path.push_back(left);
      begin += k;
      m -= k;
      n -= k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t m, uint64_t n,
                                                   const SubtreeSource& source) {
  if (m > n) return ConsistencyError(absl::StrCat("old size ", m, " > new size ", n));
  std::vector<Hash> proof;
  if (m == 0 || m == n) return proof;
  // RFC 9162 SUBPROOF(m, D[begin:begin+n], b), unrolled; hashes come out root-first.
  uint64_t begin = 0;
  bool whole_old_tree = true;  // b: the range still ends where the old tree ends at its root
  while (m != n) {
    const uint64_t k = SplitPoint(n);
    if (m <= k) {
      ASSIGN_OR_RETURN(Hash right, RangeRoot(begin + k, begin + n, source));
      proof.push_back(right);
      n = k;
    } else {
      ASSIGN_OR_RETURN(Hash left, source(Log2(k), begin / k));
      proof.push_back(left);
      begin += k;
      m -= k;
      n -= k;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) {
    ASSIGN_OR_RETURN(Hash old_subtree, RangeRoot(begin, begin + m, source));
    proof.push_back(old_subtree);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                             const std::vector<Hash>& proof, const Hash& root) {
  // RFC 9162 §2.1.3.2, step by step.
  if (index >= size) return InclusionError(absl::StrCat("index ", index, " >= size ", size));
  if (proof.size() > kProofHashesMax) return InclusionError("wrong length");
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return InclusionError("wrong length");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      ShiftWhileEven(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return InclusionError("wrong length");
  if (r != root) return InclusionError("root mismatch");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t m, uint64_t n, const Hash& old_root, const Hash& new_root,
                               const std::vector<Hash>& proof) {
  if (m > n) return ConsistencyError(absl::StrCat("old size ", m, " > new size ", n));
  if (m == 0) {
    // The empty tree is a prefix of every tree; its root can only be SHA-256("").
    if (!proof.empty()) return ConsistencyError("wrong length");
    if (old_root != EmptyRoot()) return ConsistencyError("old root mismatch");
    return absl::OkStatus();
  }
  if (m == n) {
    if (!proof.empty()) return ConsistencyError("wrong length");
    if (old_root != new_root) return ConsistencyError("root mismatch at equal sizes");
    return absl::OkStatus();
  }
  // RFC 9162 §2.1.4.2 for 0 < m < n.
  if (proof.empty() || proof.size() > kProofHashesMax) return ConsistencyError("wrong length");
  size_t next = 0;
  Hash fr;
  if (std::has_single_bit(m)) {
    fr = old_root;  // step 2: prepend first_hash
  } else {
    fr = proof[next++];
  }
  Hash sr = fr;
  uint64_t fn = m - 1;
  uint64_t sn = n - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return ConsistencyError("wrong length");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftWhileEven(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ConsistencyError("wrong length");
  if (fr != old_root) return ConsistencyError("old root mismatch");
  if (sr != new_root) return ConsistencyError("new root mismatch");
  return absl::OkStatus();
}

Hash RootOf(const std::vector<Hash>& leaf_hashes) {
  CompactRange range;
  for (const Hash& h : leaf_hashes) range.Append(h);
  return range.Root();
}

SubtreeSource SourceFromLeaves(const std::vector<Hash>& leaf_hashes) {
  // levels[L][i] = hash of the perfect subtree (L, i); built once, O(n) hashes.
  auto levels = std::make_shared<std::vector<std::vector<Hash>>>();
  levels->push_back(leaf_hashes);
  while (levels->back().size() >= 2) {
    const std::vector<Hash>& below = levels->back();
    std::vector<Hash> above;
    above.reserve(below.size() / 2);
    for (size_t i = 0; i + 1 < below.size(); i += 2)
      above.push_back(NodeHash(below[i], below[i + 1]));
    levels->push_back(std::move(above));
  }
  return [levels](uint32_t level, uint64_t index) -> absl::StatusOr<Hash> {
    if (level >= levels->size() || index >= (*levels)[level].size()) {
      return absl::NotFoundError(
          absl::StrCat("merkle source: no perfect subtree at level ", level, " index ", index));
    }
    return (*levels)[level][index];
  };
}

absl::StatusOr<CompactRange> CompactRange::FromSource(uint64_t size, const SubtreeSource& source) {
  CompactRange range;
  uint64_t offset = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if (size & width) {
      ASSIGN_OR_RETURN(Hash peak, source(static_cast<uint32_t>(level), offset >> level));
      range.peaks_.push_back(peak);
      offset += width;
    }
  }
  range.size_ = size;
  return range;
}

void CompactRange::Append(const Hash& leaf_hash,
                          const std::function<void(uint32_t, uint64_t, const Hash&)>& on_subtree) {
  COAL_CHECK(size_ < UINT64_MAX);
  if (on_subtree) on_subtree(0, size_, leaf_hash);
  Hash h = leaf_hash;
  uint32_t level = 0;
  uint64_t index = size_;
  // Each set low bit of size_ is a peak of equal width to merge with, as in binary carry.
  while ((size_ >> level) & 1) {
    COAL_CHECK(!peaks_.empty());
    h = NodeHash(peaks_.back(), h);
    peaks_.pop_back();
    ++level;
    index >>= 1;
    if (on_subtree) on_subtree(level, index, h);
  }
  peaks_.push_back(h);
  ++size_;
  COAL_CHECK(peaks_.size() == static_cast<size_t>(std::popcount(size_)));
}

Hash CompactRange::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  Hash root = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) root = NodeHash(peaks_[i], root);
  return root;
}

}  // namespace coal::merkle

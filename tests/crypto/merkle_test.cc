// RFC 6962 / RFC 9162 Merkle math: the Certificate Transparency known-answer vectors, exhaustive
// generate-and-verify against a reference written straight from the RFC's recursive definitions,
// tampered proofs with their exact errors, compact-range equality and O(log n) source reads.
#include "crypto/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/bytes.h"
#include "crypto/sha256.h"

namespace coal::merkle {
namespace {

using ::testing::AnyOf;
using ::testing::Eq;

// ---- Reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 as written, over leaf hashes. ----

uint64_t Split(uint64_t n) {  // largest power of two < n
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash RefMth(const std::vector<Hash>& d, uint64_t begin, uint64_t end) {
  if (end == begin) return Sha256("");
  if (end - begin == 1) return d[begin];
  const uint64_t k = Split(end - begin);
  return NodeHash(RefMth(d, begin, begin + k), RefMth(d, begin + k, end));
}

std::vector<Hash> RefPath(const std::vector<Hash>& d, uint64_t m, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 1) return {};
  const uint64_t k = Split(n);
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(d, m, begin, begin + k);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefPath(d, m - k, begin + k, end);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

std::vector<Hash> RefSubproof(const std::vector<Hash>& d, uint64_t m, uint64_t begin, uint64_t end,
                              bool b) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {RefMth(d, begin, end)};
  }
  const uint64_t k = Split(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(d, m, begin, begin + k, b);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefSubproof(d, m - k, begin + k, end, false);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

std::vector<Hash> RefConsistency(const std::vector<Hash>& d, uint64_t m, uint64_t n) {
  if (m == 0) return {};
  return RefSubproof(d, m, 0, n, true);
}

// ---- Helpers ----

Hash H(std::string_view hex) {
  absl::StatusOr<std::string> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  absl::StatusOr<Hash> h = HashFromBytes(*bytes);
  EXPECT_TRUE(h.ok()) << hex;
  return *h;
}

std::vector<Hash> Hs(std::initializer_list<std::string_view> hexes) {
  std::vector<Hash> out;
  for (std::string_view h : hexes) out.push_back(H(h));
  return out;
}

// Leaf hashes of distinct small leaves: leaf i is the two bytes (i, i*7).
std::vector<Hash> SyntheticLeafHashes(size_t count) {
  std::vector<Hash> out;
  for (size_t i = 0; i < count; ++i) {
    const char leaf[2] = {static_cast<char>(i), static_cast<char>(i * 7)};
    out.push_back(LeafHash(std::string_view(leaf, 2)));
  }
  return out;
}

std::vector<Hash> Prefix(const std::vector<Hash>& v, size_t n) {
  return std::vector<Hash>(v.begin(), v.begin() + n);
}

absl::Status Inv(std::string msg) { return absl::InvalidArgumentError(msg); }

const absl::Status kInclusionWrongLength = Inv("inclusion proof: wrong length");
const absl::Status kInclusionRootMismatch = Inv("inclusion proof: root mismatch");
const absl::Status kConsistencyWrongLength = Inv("consistency proof: wrong length");
const absl::Status kConsistencyOldRoot = Inv("consistency proof: old root mismatch");
const absl::Status kConsistencyNewRoot = Inv("consistency proof: new root mismatch");

// ---- Certificate Transparency known answers (RFC 6962-era CT merkle_tree_test data). ----

// The eight inputs of the reference tree, hex.
const char* const kCtInputs[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

// Roots of the reference tree for sizes 0..8.
const char* const kCtRoots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Hash> CtLeafHashes() {
  std::vector<Hash> out;
  for (const char* hex : kCtInputs) out.push_back(LeafHash(FromHex(hex).value()));
  return out;
}

struct InclusionVector {
  uint64_t index;  // 0-based (the CT data numbers leaves from 1)
  uint64_t size;
  std::vector<Hash> proof;
};

std::vector<InclusionVector> CtInclusionVectors() {
  return {
      {0, 1, {}},
      {0, 8,
       Hs({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {5, 8,
       Hs({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 3, Hs({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {1, 5,
       Hs({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
  };
}

struct ConsistencyVector {
  uint64_t m;
  uint64_t n;
  std::vector<Hash> proof;
};

std::vector<ConsistencyVector> CtConsistencyVectors() {
  return {
      {1, 1, {}},
      {1, 8,
       Hs({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {6, 8,
       Hs({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 5,
       Hs({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
  };
}

TEST(MerkleHashingTest, EmptyLeafAndNodeHashes) {
  EXPECT_EQ(EmptyRoot(), H(kCtRoots[0]));
  EXPECT_EQ(LeafHash(""), H(kCtRoots[1]));  // SHA-256(0x00)
  const std::vector<Hash> leaves = CtLeafHashes();
  EXPECT_EQ(NodeHash(leaves[0], leaves[1]), H(kCtRoots[2]));
  // NodeHash is SHA-256(0x01 || left || right), not symmetric.
  EXPECT_EQ(NodeHash(leaves[0], leaves[1]),
            Sha256(std::string(1, '\x01') + HashBytes(leaves[0]) + HashBytes(leaves[1])));
  EXPECT_NE(NodeHash(leaves[1], leaves[0]), NodeHash(leaves[0], leaves[1]));
}

TEST(MerkleCtVectorsTest, RootsForEverySize) {
  const std::vector<Hash> leaves = CtLeafHashes();
  const SubtreeSource source = SourceFromLeaves(leaves);
  CompactRange range;
  EXPECT_EQ(range.Root(), H(kCtRoots[0]));
  for (uint64_t size = 0; size <= 8; ++size) {
    SCOPED_TRACE(absl::StrCat("size ", size));
    EXPECT_EQ(RootOf(Prefix(leaves, size)), H(kCtRoots[size]));
    EXPECT_EQ(RefMth(leaves, 0, size), H(kCtRoots[size]));
    absl::StatusOr<Hash> root = RootAt(size, source);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(*root, H(kCtRoots[size]));
    if (size > 0) {
      range.Append(leaves[size - 1]);
      EXPECT_EQ(range.size(), size);
      EXPECT_EQ(range.Root(), H(kCtRoots[size]));
    }
  }
}

TEST(MerkleCtVectorsTest, InclusionProofs) {
  const std::vector<Hash> leaves = CtLeafHashes();
  const SubtreeSource source = SourceFromLeaves(leaves);
  for (const InclusionVector& v : CtInclusionVectors()) {
    SCOPED_TRACE(absl::StrCat("index ", v.index, " size ", v.size));
    absl::StatusOr<std::vector<Hash>> proof = InclusionProof(v.index, v.size, source);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(*proof, v.proof);
    EXPECT_EQ(VerifyInclusion(v.index, v.size, leaves[v.index], v.proof, H(kCtRoots[v.size])),
              absl::OkStatus());
  }
}

TEST(MerkleCtVectorsTest, ConsistencyProofs) {
  const std::vector<Hash> leaves = CtLeafHashes();
  const SubtreeSource source = SourceFromLeaves(leaves);
  for (const ConsistencyVector& v : CtConsistencyVectors()) {
    SCOPED_TRACE(absl::StrCat("m ", v.m, " n ", v.n));
    absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(v.m, v.n, source);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(*proof, v.proof);
    EXPECT_EQ(VerifyConsistency(v.m, v.n, H(kCtRoots[v.m]), H(kCtRoots[v.n]), v.proof),
              absl::OkStatus());
  }
}

// The proof with its last or first hash dropped, and with a plausible hash prepended or appended.
std::vector<std::vector<Hash>> WrongLengthVariants(const std::vector<Hash>& proof,
                                                   const Hash& prepend, const Hash& append) {
  std::vector<std::vector<Hash>> out;
  if (!proof.empty()) {
    out.emplace_back(proof.begin(), proof.end() - 1);
    out.emplace_back(proof.begin() + 1, proof.end());
  }
  out.push_back(proof);
  out.back().push_back(append);
  out.push_back({prepend});
  out.back().insert(out.back().end(), proof.begin(), proof.end());
  return out;
}

// Every way of damaging a valid inclusion proof fails with the error RFC 9162's procedure implies:
// the proof length is fixed by (index, size), so a length change is "wrong length" and a changed
// hash is "root mismatch".
void CheckInclusionTampering(const std::vector<Hash>& leaves, uint64_t index, uint64_t size,
                             const std::vector<Hash>& proof, const Hash& root) {
  const Hash& leaf = leaves[index];
  for (size_t j = 0; j < proof.size(); ++j) {
    std::vector<Hash> bad = proof;
    bad[j][j % 32] ^= 0x01;
    EXPECT_EQ(VerifyInclusion(index, size, leaf, bad, root), kInclusionRootMismatch) << j;
  }
  for (const std::vector<Hash>& bad : WrongLengthVariants(proof, leaf, root)) {
    EXPECT_EQ(VerifyInclusion(index, size, leaf, bad, root), kInclusionWrongLength) << bad.size();
  }

  // Wrong leaf, wrong root.
  Hash other_leaf = leaf;
  other_leaf[0] ^= 0x80;
  EXPECT_EQ(VerifyInclusion(index, size, other_leaf, proof, root), kInclusionRootMismatch);
  EXPECT_EQ(VerifyInclusion(index, size, leaf, proof, EmptyRoot()), kInclusionRootMismatch);

  // Wrong index or size: the proof length the claimed position needs decides which error.
  auto expect_for = [&](uint64_t i, uint64_t n) {
    const absl::Status got = VerifyInclusion(i, n, leaf, proof, root);
    if (i >= n) {
      EXPECT_EQ(got, Inv(absl::StrCat("inclusion proof: index ", i, " >= size ", n)));
    } else if (RefPath(leaves, i, 0, n).size() != proof.size()) {
      EXPECT_EQ(got, kInclusionWrongLength) << "index " << i << " size " << n;
    } else {
      EXPECT_EQ(got, kInclusionRootMismatch) << "index " << i << " size " << n;
    }
  };
  if (index > 0) expect_for(index - 1, size);
  if (index + 1 <= size) expect_for(index + 1, size);
  expect_for(index ^ 2, size);
  // Sizes that change the tree's height. (A size that keeps the same shape of audit path, such as
  // 3 -> 4 for index 0, verifies the same hashes: there only the root binds the size.)
  expect_for(index, size * 2);
  if (size / 2 > 0) expect_for(index, size / 2);
}

TEST(MerkleExhaustiveTest, InclusionEveryIndexEverySizeUpTo64) {
  const std::vector<Hash> all = SyntheticLeafHashes(128);  // size*2 must stay within the vector
  const SubtreeSource source = SourceFromLeaves(all);
  for (uint64_t size = 1; size <= 64; ++size) {
    const Hash root = RefMth(all, 0, size);
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE(absl::StrCat("index ", index, " size ", size));
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, source);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, RefPath(all, index, 0, size));
      ASSERT_EQ(VerifyInclusion(index, size, all[index], *proof, root), absl::OkStatus());
      CheckInclusionTampering(all, index, size, *proof, root);
    }
  }
}

void CheckConsistencyTampering(const std::vector<Hash>& leaves, uint64_t m, uint64_t n,
                               const std::vector<Hash>& proof, const Hash& old_root,
                               const Hash& new_root) {
  // A changed hash breaks the old root, the new root, or both (the old one is checked first).
  for (size_t j = 0; j < proof.size(); ++j) {
    std::vector<Hash> bad = proof;
    bad[j][31 - j % 32] ^= 0x40;
    EXPECT_THAT(VerifyConsistency(m, n, old_root, new_root, bad),
                AnyOf(Eq(kConsistencyOldRoot), Eq(kConsistencyNewRoot)))
        << j;
  }
  for (const std::vector<Hash>& bad : WrongLengthVariants(proof, old_root, new_root)) {
    EXPECT_EQ(VerifyConsistency(m, n, old_root, new_root, bad), kConsistencyWrongLength)
        << bad.size();
  }

  if (m == 0 || m == n) return;  // the trivial cases are covered by EdgeCases below
  // When m is a power of two, RFC 9162 step 2 prepends old_root to the path, so the recomputed
  // old root is old_root itself and a wrong one surfaces only through the new root.
  const absl::Status wrong_old = std::has_single_bit(m) ? kConsistencyNewRoot : kConsistencyOldRoot;
  Hash bad_root = old_root;
  bad_root[7] ^= 0x01;
  EXPECT_EQ(VerifyConsistency(m, n, bad_root, new_root, proof), wrong_old);
  bad_root = new_root;
  bad_root[7] ^= 0x01;
  EXPECT_EQ(VerifyConsistency(m, n, old_root, bad_root, proof), kConsistencyNewRoot);
  EXPECT_EQ(VerifyConsistency(m, n, new_root, old_root, proof), wrong_old);

  // Wrong sizes: the length the claimed sizes need decides which error.
  auto expect_for = [&](uint64_t mm, uint64_t nn) {
    const absl::Status got = VerifyConsistency(mm, nn, old_root, new_root, proof);
    if (mm > nn) {
      EXPECT_EQ(got, Inv(absl::StrCat("consistency proof: old size ", mm, " > new size ", nn)));
    } else if (mm == 0 || mm == nn) {
      EXPECT_EQ(got, kConsistencyWrongLength);
    } else {
      // A power-of-two old size consumes old_root instead of a proof hash.
      const size_t needed = RefConsistency(leaves, mm, nn).size();
      if (needed != proof.size()) {
        EXPECT_EQ(got, kConsistencyWrongLength) << mm << " " << nn;
      } else {
        EXPECT_THAT(got, AnyOf(Eq(kConsistencyOldRoot), Eq(kConsistencyNewRoot)))
            << mm << " " << nn;
      }
    }
  };
  expect_for(m - 1, n);
  expect_for(m + 1, n);
  expect_for(m ^ 2, n);
  // Sizes that change the new tree's height (as above, only the roots bind same-shape sizes).
  expect_for(m, n * 2);
  expect_for(m, n / 2);
}

TEST(MerkleExhaustiveTest, ConsistencyEveryPairUpTo64) {
  const std::vector<Hash> all = SyntheticLeafHashes(129);
  const SubtreeSource source = SourceFromLeaves(all);
  for (uint64_t n = 1; n <= 64; ++n) {
    const Hash new_root = RefMth(all, 0, n);
    for (uint64_t m = 0; m <= n; ++m) {
      SCOPED_TRACE(absl::StrCat("m ", m, " n ", n));
      const Hash old_root = RefMth(all, 0, m);
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(m, n, source);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, RefConsistency(all, m, n));
      ASSERT_EQ(VerifyConsistency(m, n, old_root, new_root, *proof), absl::OkStatus());
      CheckConsistencyTampering(all, m, n, *proof, old_root, new_root);
    }
  }
}

TEST(MerkleErrorsTest, GenerationRejectsBadPositions) {
  const std::vector<Hash> leaves = SyntheticLeafHashes(8);
  const SubtreeSource source = SourceFromLeaves(leaves);
  EXPECT_EQ(InclusionProof(7, 7, source).status(), Inv("inclusion proof: index 7 >= size 7"));
  EXPECT_EQ(InclusionProof(0, 0, source).status(), Inv("inclusion proof: index 0 >= size 0"));
  EXPECT_EQ(ConsistencyProof(9, 8, source).status(),
            Inv("consistency proof: old size 9 > new size 8"));
  // Asking beyond what the source holds surfaces the source's own error.
  EXPECT_EQ(RootAt(9, source).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(InclusionProof(0, 9, source).status().code(), absl::StatusCode::kNotFound);
}

TEST(MerkleErrorsTest, VerificationEdgeCases) {
  const std::vector<Hash> leaves = CtLeafHashes();
  const Hash empty = EmptyRoot();
  const Hash r5 = H(kCtRoots[5]);
  const Hash r8 = H(kCtRoots[8]);
  EXPECT_EQ(VerifyInclusion(7, 7, leaves[6], {}, H(kCtRoots[7])),
            Inv("inclusion proof: index 7 >= size 7"));
  EXPECT_EQ(VerifyInclusion(0, 0, leaves[0], {}, empty), Inv("inclusion proof: index 0 >= size 0"));
  // A one-leaf tree: the root is the leaf hash and the proof is empty.
  EXPECT_EQ(VerifyInclusion(0, 1, leaves[0], {}, H(kCtRoots[1])), absl::OkStatus());
  EXPECT_EQ(VerifyInclusion(0, 1, leaves[0], {leaves[1]}, H(kCtRoots[1])), kInclusionWrongLength);
  EXPECT_EQ(VerifyInclusion(0, 2, leaves[0], {}, H(kCtRoots[2])), kInclusionWrongLength);
  EXPECT_EQ(VerifyInclusion(0, 1, leaves[1], {}, H(kCtRoots[1])), kInclusionRootMismatch);
  // More hashes than any tree can need.
  EXPECT_EQ(VerifyInclusion(0, UINT64_MAX, leaves[0], std::vector<Hash>(65, empty), empty),
            kInclusionWrongLength);

  // m == 0: empty proof, and the old root must be the empty-tree root.
  EXPECT_EQ(VerifyConsistency(0, 0, empty, empty, {}), absl::OkStatus());
  EXPECT_EQ(VerifyConsistency(0, 8, empty, r8, {}), absl::OkStatus());
  EXPECT_EQ(VerifyConsistency(0, 8, r5, r8, {}), kConsistencyOldRoot);
  EXPECT_EQ(VerifyConsistency(0, 8, empty, r8, {r8}), kConsistencyWrongLength);
  // m == n: empty proof and equal roots.
  EXPECT_EQ(VerifyConsistency(5, 5, r5, r5, {}), absl::OkStatus());
  EXPECT_EQ(VerifyConsistency(5, 5, r5, r8, {}),
            Inv("consistency proof: root mismatch at equal sizes"));
  EXPECT_EQ(VerifyConsistency(5, 5, r5, r5, {r5}), kConsistencyWrongLength);
  // 0 < m < n needs at least one hash; m > n is time travel.
  EXPECT_EQ(VerifyConsistency(5, 8, r5, r8, {}), kConsistencyWrongLength);
  EXPECT_EQ(VerifyConsistency(4, 8, H(kCtRoots[4]), r8, {}), kConsistencyWrongLength);
  EXPECT_EQ(VerifyConsistency(8, 5, r8, r5, {}), Inv("consistency proof: old size 8 > new size 5"));
  EXPECT_EQ(VerifyConsistency(1, 2, H(kCtRoots[1]), H(kCtRoots[2]), std::vector<Hash>(65, empty)),
            kConsistencyWrongLength);
}

TEST(CompactRangeTest, MatchesReferenceForEverySizeUpTo300) {
  const std::vector<Hash> all = SyntheticLeafHashes(300);
  const SubtreeSource source = SourceFromLeaves(all);
  CompactRange range;
  std::vector<std::vector<Hash>> reported;  // reported[level][index]
  for (uint64_t size = 1; size <= 300; ++size) {
    range.Append(all[size - 1], [&](uint32_t level, uint64_t index, const Hash& h) {
      if (reported.size() <= level) reported.resize(level + 1);
      // Subtrees complete in order: each level's next index is the one reported.
      ASSERT_EQ(reported[level].size(), index) << "level " << level;
      reported[level].push_back(h);
    });
    ASSERT_EQ(range.size(), size);
    const Hash expected = RefMth(all, 0, size);
    ASSERT_EQ(range.Root(), expected) << "size " << size;
    ASSERT_EQ(RootOf(Prefix(all, size)), expected) << "size " << size;
    absl::StatusOr<Hash> at = RootAt(size, source);
    ASSERT_TRUE(at.ok()) << at.status();
    ASSERT_EQ(*at, expected) << "size " << size;
  }
  // Every perfect subtree of 300 leaves was reported exactly once, with the right hash.
  for (uint32_t level = 0; level < reported.size(); ++level) {
    ASSERT_EQ(reported[level].size(), 300u >> level) << "level " << level;
    for (uint64_t index = 0; index < reported[level].size(); ++index) {
      EXPECT_EQ(reported[level][index], *source(level, index)) << level << "/" << index;
    }
  }
  EXPECT_EQ(reported.size(), 9u);  // levels 0..8 (256 <= 300 < 512)
}

TEST(CompactRangeTest, FromSourceRoundTripThenAppend) {
  const std::vector<Hash> all = SyntheticLeafHashes(300);
  const SubtreeSource source = SourceFromLeaves(all);
  const Hash final_root = RefMth(all, 0, 300);
  for (uint64_t size = 0; size <= 300; ++size) {
    absl::StatusOr<CompactRange> range = CompactRange::FromSource(size, source);
    ASSERT_TRUE(range.ok()) << range.status();
    ASSERT_EQ(range->size(), size);
    ASSERT_EQ(range->Root(), RefMth(all, 0, size)) << "size " << size;
    for (uint64_t i = size; i < 300; ++i) range->Append(all[i]);
    ASSERT_EQ(range->Root(), final_root) << "rebuilt at " << size;
  }
  EXPECT_EQ(CompactRange::FromSource(301, source).status().code(), absl::StatusCode::kNotFound);
}

// A source over a huge virtual tree that counts reads (the hashes are arbitrary: only the access
// pattern matters here).
struct CountingSource {
  int reads = 0;
  SubtreeSource Get() {
    return [this](uint32_t level, uint64_t index) -> absl::StatusOr<Hash> {
      ++reads;
      std::string key;
      AppendBigEndian32(&key, level);
      AppendBigEndian64(&key, index);
      return Sha256(key);
    };
  }
};

TEST(MerkleCostTest, ProofsAndRootsReadLogarithmicallyManyHashes) {
  const uint64_t sizes[] = {
      1,         2, 3, 1000, 1u << 20, (1u << 20) - 1, 10'000'000, 1ull << 40, (1ull << 40) + 12345,
      UINT64_MAX};
  for (uint64_t n : sizes) {
    const int bits = std::bit_width(n);
    const uint64_t probes[] = {0, n / 3, n / 2, n - 1};
    for (uint64_t i : probes) {
      CountingSource inclusion;
      absl::StatusOr<std::vector<Hash>> path = InclusionProof(i, n, inclusion.Get());
      ASSERT_TRUE(path.ok());
      EXPECT_LE(inclusion.reads, 2 * bits) << "index " << i << " size " << n;
      EXPECT_LE(path->size(), static_cast<size_t>(bits));

      CountingSource consistency;
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(i + 1, n, consistency.Get());
      ASSERT_TRUE(proof.ok());
      EXPECT_LE(consistency.reads, 3 * bits) << "m " << i + 1 << " n " << n;
    }
    CountingSource root;
    ASSERT_TRUE(RootAt(n, root.Get()).ok());
    EXPECT_EQ(root.reads, std::popcount(n));
    CountingSource rebuild;
    ASSERT_TRUE(CompactRange::FromSource(n, rebuild.Get()).ok());
    EXPECT_EQ(rebuild.reads, std::popcount(n));
  }
}

TEST(MerkleCostTest, SourceErrorsPropagate) {
  const SubtreeSource broken = [](uint32_t, uint64_t) -> absl::StatusOr<Hash> {
    return absl::UnavailableError("disk gone");
  };
  const absl::Status want = absl::UnavailableError("disk gone");
  EXPECT_EQ(RootAt(5, broken).status(), want);
  EXPECT_EQ(InclusionProof(1, 5, broken).status(), want);
  EXPECT_EQ(ConsistencyProof(3, 5, broken).status(), want);
  EXPECT_EQ(CompactRange::FromSource(5, broken).status(), want);
  // Trivial answers need no reads at all.
  EXPECT_EQ(RootAt(0, broken).value(), EmptyRoot());
  EXPECT_TRUE(InclusionProof(0, 1, broken).value().empty());
  EXPECT_TRUE(ConsistencyProof(5, 5, broken).value().empty());
  EXPECT_TRUE(ConsistencyProof(0, 5, broken).value().empty());
}

}  // namespace
}  // namespace coal::merkle

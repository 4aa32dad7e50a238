// MerkleLog over MemoryKvStore and RocksKvStore: roots and proofs equal crypto/merkle.h's over the
// same leaves and verify with it, the stored layout, two-phase append (commit, abort, failed
// write), restart, O(log n) reads that never touch leaves, and corruption found on Load.
#include "storage/merkle_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/bytes.h"
#include "crypto/merkle.h"
#include "storage/memory_kv_store.h"
#include "storage/rocks_kv_store.h"

namespace coal::storage {
namespace {

const std::string kGenesis(32, '\x42');

std::string LeafBytes(uint64_t i) {
  return absl::StrCat("entry-", i, "-", std::string(i % 7, 'x'));
}

std::vector<std::string> Leaves(uint64_t begin, uint64_t end) {
  std::vector<std::string> out;
  for (uint64_t i = begin; i < end; ++i) out.push_back(LeafBytes(i));
  return out;
}

std::vector<Hash> LeafHashes(uint64_t count) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < count; ++i) out.push_back(merkle::LeafHash(LeafBytes(i)));
  return out;
}

// Appends [begin, end) as one committed batch.
void AppendCommitted(MerkleLog& log, KvStore& store, uint64_t begin, uint64_t end) {
  ASSERT_EQ(log.size(), begin);
  WriteBatch batch;
  ASSERT_EQ(log.AppendTo(Leaves(begin, end), &batch), absl::OkStatus());
  ASSERT_EQ(store.Write(batch), absl::OkStatus());
  log.Commit();
  ASSERT_EQ(log.size(), end);
}

// Appends leaves 0..total-1 in blocks of varying sizes, empty blocks included.
void AppendInBlocks(MerkleLog& log, KvStore& store, uint64_t total) {
  const uint64_t block_sizes[] = {1, 0, 2, 3, 7, 1, 13, 0, 32, 5};
  uint64_t next = 0;
  for (size_t b = 0; next < total; ++b) {
    const uint64_t end = std::min(total, next + block_sizes[b % std::size(block_sizes)]);
    AppendCommitted(log, store, next, end);
    next = end;
  }
}

// Counts Get calls per column of a wrapped store.
class CountingKvStore final : public KvStore {
 public:
  explicit CountingKvStore(KvStore* inner) : inner_(inner) {}
  absl::StatusOr<std::string> Get(Column c, std::string_view key) const override {
    ++gets_[static_cast<int>(c)];
    return inner_->Get(c, key);
  }
  absl::Status Write(const WriteBatch& batch, WriteOptions options) override {
    return inner_->Write(batch, options);
  }
  absl::Status SyncLog() override { return inner_->SyncLog(); }
  absl::Status Scan(Column c, std::string_view start, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& fn,
                    size_t limit) const override {
    ++scans_;
    return inner_->Scan(c, start, end, fn, limit);
  }
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      Column c, std::string_view start, std::string_view end) const override {
    return inner_->Last(c, start, end);
  }
  int gets(Column c) const { return gets_[static_cast<int>(c)]; }
  int scans() const { return scans_; }
  void Reset() {
    for (auto& g : gets_) g = 0;
    scans_ = 0;
  }

 private:
  KvStore* inner_;
  mutable std::atomic<int> gets_[kColumnCount] = {};
  mutable std::atomic<int> scans_ = 0;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/coal_merkle_log_XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<RocksKvStore> OpenRocks(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<RocksKvStore>> store =
      RocksKvStore::Open(dir, RocksOptions{.expected_genesis_hash = kGenesis});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A loaded, empty log over a MemoryKvStore.
class MerkleLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(log_.Load(), absl::OkStatus()); }
  MemoryKvStore store_;
  MerkleLog log_{&store_};
};

TEST_F(MerkleLogTest, EmptyLog) {
  EXPECT_EQ(log_.size(), 0u);
  EXPECT_EQ(log_.Root(), merkle::EmptyRoot());
  EXPECT_EQ(log_.RootAt(0).value(), merkle::EmptyRoot());
  EXPECT_EQ(log_.RootAt(1).status(), absl::OutOfRangeError("merkle log: tree size 1 > log size 0"));
  EXPECT_EQ(log_.InclusionProof(0, 0).status(),
            absl::InvalidArgumentError("inclusion proof: index 0 >= size 0"));
  EXPECT_TRUE(log_.ConsistencyProof(0, 0).value().empty());
  EXPECT_EQ(log_.Leaf(0).status(),
            absl::NotFoundError("merkle log: no entry at index 0 (log size 0)"));
}

TEST_F(MerkleLogTest, StoredLayout) {
  AppendCommitted(log_, store_, 0, 3);
  EXPECT_EQ(EntryKey(2), std::string("\0\0\0\0\0\0\0\x02", 8));
  EXPECT_EQ(MerkleNodeKey(1, 0), std::string("\x01\0\0\0\0\0\0\0\0", 9));
  EXPECT_EQ(store_.Get(Column::kEntries, EntryKey(2)).value(), LeafBytes(2));
  EXPECT_EQ(store_.Get(Column::kMeta, kMerkleSizeKey).value(), BigEndian64(3));
  const std::vector<Hash> h = LeafHashes(3);
  EXPECT_EQ(store_.Get(Column::kMerkle, MerkleNodeKey(0, 2)).value(), HashBytes(h[2]));
  EXPECT_EQ(store_.Get(Column::kMerkle, MerkleNodeKey(1, 0)).value(),
            HashBytes(merkle::NodeHash(h[0], h[1])));
  // Three leaves: three level-0 hashes and one level-1 hash; (1, 1) is not complete yet.
  EXPECT_EQ(store_.KeyCount(Column::kMerkle), 4u);
  EXPECT_EQ(store_.KeyCount(Column::kEntries), 3u);
  EXPECT_EQ(log_.Leaf(1).value(), LeafBytes(1));
  EXPECT_EQ(log_.LeafHashAt(1).value(), h[1]);
}

TEST_F(MerkleLogTest, RootsAndProofsEqualInMemoryOnesAndVerify) {
  constexpr uint64_t kLeaves = 70;
  AppendInBlocks(log_, store_, kLeaves);
  const std::vector<Hash> hashes = LeafHashes(kLeaves);
  const merkle::SubtreeSource reference = merkle::SourceFromLeaves(hashes);
  EXPECT_EQ(log_.Root(), merkle::RootOf(hashes));
  for (uint64_t n = 0; n <= kLeaves; ++n) {
    const Hash root = log_.RootAt(n).value();
    ASSERT_EQ(root, merkle::RootAt(n, reference).value()) << "size " << n;
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<std::vector<Hash>> proof = log_.InclusionProof(i, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, merkle::InclusionProof(i, n, reference).value()) << i << "/" << n;
      ASSERT_EQ(merkle::VerifyInclusion(i, n, hashes[i], *proof, root), absl::OkStatus());
    }
    for (uint64_t m = 0; m <= n; ++m) {
      absl::StatusOr<std::vector<Hash>> proof = log_.ConsistencyProof(m, n);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, merkle::ConsistencyProof(m, n, reference).value()) << m << "/" << n;
      ASSERT_EQ(merkle::VerifyConsistency(m, n, log_.RootAt(m).value(), root, *proof),
                absl::OkStatus());
    }
  }
  EXPECT_EQ(log_.InclusionProof(3, kLeaves + 1).status(),
            absl::OutOfRangeError("merkle log: tree size 71 > log size 70"));
  EXPECT_EQ(log_.ConsistencyProof(3, kLeaves + 1).status(),
            absl::OutOfRangeError("merkle log: tree size 71 > log size 70"));
  EXPECT_EQ(log_.InclusionProof(70, 70).status(),
            absl::InvalidArgumentError("inclusion proof: index 70 >= size 70"));
  EXPECT_EQ(log_.ConsistencyProof(9, 8).status(),
            absl::InvalidArgumentError("consistency proof: old size 9 > new size 8"));
}

// Store reads per proof: O(log n) Gets without the cache, none with it, and at most
// kProofRunsMax scans of leaf-hash runs either way; never an entry.
void CheckProofReads(const MerkleLogOptions& options, int inclusion_gets_max,
                     int consistency_gets_max) {
  MemoryKvStore inner;
  CountingKvStore store(&inner);
  MerkleLog log(&store, options);
  ASSERT_EQ(log.Load(), absl::OkStatus());
  constexpr uint64_t kLeaves = 5000;
  AppendCommitted(log, store, 0, kLeaves);
  for (uint64_t n : {kLeaves, kLeaves - 1, uint64_t{4096}, uint64_t{3333}}) {
    for (uint64_t i : {uint64_t{0}, uint64_t{17}, n / 2, n - 2, n - 1}) {
      store.Reset();
      ASSERT_TRUE(log.InclusionProof(i, n).ok());
      EXPECT_LE(store.gets(Column::kMerkle), inclusion_gets_max) << i << "/" << n;
      EXPECT_LE(store.scans(), 2) << i << "/" << n;
      store.Reset();
      ASSERT_TRUE(log.ConsistencyProof(i + 1, n).ok());
      EXPECT_LE(store.gets(Column::kMerkle), consistency_gets_max) << i + 1 << "/" << n;
      EXPECT_LE(store.scans(), static_cast<int>(kProofRunsMax)) << i + 1 << "/" << n;
      EXPECT_EQ(store.gets(Column::kEntries), 0);
    }
    store.Reset();
    ASSERT_TRUE(log.RootAt(n).ok());
    EXPECT_LE(store.gets(Column::kMerkle), std::popcount(n));
    EXPECT_LE(store.scans(), 1);
  }
  // Load reads one hash per peak, plus one scan per cached level; never an entry.
  store.Reset();
  MerkleLog reloaded(&store, options);
  ASSERT_EQ(reloaded.Load(), absl::OkStatus());
  EXPECT_EQ(store.gets(Column::kMerkle), std::popcount(kLeaves));
  EXPECT_EQ(store.gets(Column::kEntries), 0);
  EXPECT_EQ(store.scans(), options.cache_bytes_max == 0 ? 0 : std::bit_width(kLeaves) - 4);
  EXPECT_EQ(reloaded.Root(), log.Root());
  EXPECT_EQ(reloaded.cache_level(), log.cache_level());
  EXPECT_EQ(reloaded.cache_bytes(), log.cache_bytes());
}

TEST(MerkleLogStoreTest, ProofsReadLogarithmicallyManyHashesAndNoLeaves) {
  const int bits = std::bit_width(uint64_t{5000});
  CheckProofReads({.cache_bytes_max = 0}, 2 * bits, 3 * bits);
}

TEST(MerkleLogStoreTest, CachedUpperLevelsLeaveOnlyLeafHashScansToTheStore) {
  // 5000 leaves fit a default cache from level kBottomLevels up: no Get at all.
  CheckProofReads({}, 0, 0);
}

TEST(MerkleLogStoreTest, CacheStaysWithinItsBudgetAsTheTreeGrows) {
  constexpr size_t kBudget = 40 * sizeof(Hash);
  constexpr uint64_t kLeaves = 5000;
  MemoryKvStore store;
  MerkleLog log(&store, {.cache_bytes_max = kBudget});
  ASSERT_EQ(log.Load(), absl::OkStatus());
  EXPECT_EQ(log.cache_level(), kBottomLevels);
  uint32_t level = log.cache_level();
  for (uint64_t next = 0; next < kLeaves; next += 37) {
    AppendCommitted(log, store, next, std::min(kLeaves, next + 37));
    ASSERT_LE(log.cache_bytes(), kBudget);
    ASSERT_GE(log.cache_level(), level);
    level = log.cache_level();
  }
  // Levels >= 7 of 5000 leaves hold 39 + 19 + 9 + 4 + 2 + 1 = 74 hashes; levels >= 8 hold 35.
  EXPECT_EQ(log.cache_level(), 8u);
  EXPECT_EQ(log.cache_bytes(), 35 * sizeof(Hash));

  const std::vector<Hash> hashes = LeafHashes(kLeaves);
  const merkle::SubtreeSource reference = merkle::SourceFromLeaves(hashes);
  for (uint64_t n : {kLeaves, uint64_t{4097}, uint64_t{1000}}) {
    for (uint64_t i = 0; i < n; i += 97) {
      ASSERT_EQ(log.InclusionProof(i, n).value(), merkle::InclusionProof(i, n, reference).value());
      ASSERT_EQ(log.ConsistencyProof(i + 1, n).value(),
                merkle::ConsistencyProof(i + 1, n, reference).value());
    }
  }
  MerkleLog reloaded(&store, {.cache_bytes_max = kBudget});
  ASSERT_EQ(reloaded.Load(), absl::OkStatus());
  EXPECT_EQ(reloaded.cache_level(), 8u);
  EXPECT_EQ(reloaded.Root(), merkle::RootOf(hashes));
}

TEST_F(MerkleLogTest, StagedAppendIsInvisibleUntilCommit) {
  AppendCommitted(log_, store_, 0, 5);
  const Hash root5 = log_.Root();

  WriteBatch batch;
  batch.Put(Column::kBlocks, "caller-data", "block");  // the caller's own writes share the batch
  ASSERT_EQ(log_.AppendTo(Leaves(5, 9), &batch), absl::OkStatus());
  // The caller's put, 4 entries, 4 leaf hashes, subtrees (1,2) (1,3) (2,1) (3,0), the size.
  EXPECT_EQ(batch.size(), 1u + 4 + 4 + 4 + 1);
  EXPECT_EQ(log_.size(), 5u);
  EXPECT_EQ(log_.Root(), root5);
  EXPECT_EQ(log_.InclusionProof(0, 6).status().code(), absl::StatusCode::kOutOfRange);
  WriteBatch second;
  EXPECT_EQ(log_.AppendTo(Leaves(5, 6), &second),
            absl::FailedPreconditionError(
                "merkle log: an append is already staged; Commit or Abort it first"));
  EXPECT_TRUE(second.empty());

  ASSERT_EQ(store_.Write(batch), absl::OkStatus());
  log_.Commit();
  EXPECT_EQ(log_.size(), 9u);
  EXPECT_EQ(log_.Root(), merkle::RootOf(LeafHashes(9)));
  EXPECT_EQ(store_.Get(Column::kBlocks, "caller-data").value(), "block");
}

TEST_F(MerkleLogTest, AppendHandsBackTheLeafHashesItStaged) {
  AppendCommitted(log_, store_, 0, 3);
  WriteBatch batch;
  std::vector<Hash> hashes = {Hash{}};  // appended to, not replaced
  ASSERT_EQ(log_.AppendTo(Leaves(3, 7), &batch, &hashes), absl::OkStatus());
  const std::vector<Hash> all = LeafHashes(7);
  EXPECT_EQ(hashes, (std::vector<Hash>{Hash{}, all[3], all[4], all[5], all[6]}));
  ASSERT_EQ(store_.Write(batch), absl::OkStatus());
  log_.Commit();
  for (uint64_t i = 3; i < 7; ++i) EXPECT_EQ(log_.LeafHashAt(i).value(), all[i]) << i;
}

TEST_F(MerkleLogTest, FailedWriteThenAbortKeepsTheOldTreeAndRetrySucceeds) {
  AppendCommitted(log_, store_, 0, 6);
  const Hash root6 = log_.Root();

  store_.FailWritesWith(absl::ResourceExhaustedError("disk full"));
  WriteBatch batch;
  ASSERT_EQ(log_.AppendTo(Leaves(6, 11), &batch), absl::OkStatus());
  EXPECT_EQ(store_.Write(batch), absl::ResourceExhaustedError("disk full"));
  log_.Abort();
  EXPECT_EQ(log_.size(), 6u);
  EXPECT_EQ(log_.Root(), root6);

  store_.FailWritesWith(absl::OkStatus());
  AppendCommitted(log_, store_, 6, 11);
  EXPECT_EQ(log_.Root(), merkle::RootOf(LeafHashes(11)));
  MerkleLog reloaded(&store_);
  ASSERT_EQ(reloaded.Load(), absl::OkStatus());
  EXPECT_EQ(reloaded.Root(), log_.Root());
}

TEST_F(MerkleLogTest, EmptyAppendStagesNothingAndCommits) {
  AppendCommitted(log_, store_, 0, 2);
  WriteBatch batch;
  ASSERT_EQ(log_.AppendTo({}, &batch), absl::OkStatus());
  EXPECT_TRUE(batch.empty());
  log_.Commit();
  EXPECT_EQ(log_.size(), 2u);
}

TEST(MerkleLogStoreTest, MisuseIsRefused) {
  MemoryKvStore store;
  MerkleLog log(&store);
  WriteBatch batch;
  EXPECT_EQ(log.AppendTo(Leaves(0, 1), &batch),
            absl::FailedPreconditionError("merkle log: AppendTo before Load"));
  ASSERT_EQ(log.Load(), absl::OkStatus());
  const std::vector<std::string> too_many(kAppendLeavesMax + 1);
  EXPECT_EQ(log.AppendTo(too_many, &batch),
            absl::InvalidArgumentError("merkle log: 1048577 leaves in one append, max 1048576"));
  EXPECT_TRUE(batch.empty());
  log.Abort();  // nothing staged: a no-op
}

TEST(MerkleLogDeathTest, CommitWithoutWritingTheBatchAborts) {
  MemoryKvStore store;
  MerkleLog log(&store);
  ASSERT_EQ(log.Load(), absl::OkStatus());
  EXPECT_DEATH(log.Commit(), "CHECK failed: staged_.has_value()");
  WriteBatch batch;
  ASSERT_EQ(log.AppendTo(Leaves(0, 3), &batch), absl::OkStatus());
  EXPECT_DEATH(log.Commit(), "CHECK failed: !absl::IsNotFound");
  // A stale size from an earlier block is caught too.
  ASSERT_EQ(store.Write(batch), absl::OkStatus());
  log.Commit();
  ASSERT_EQ(log.AppendTo(Leaves(3, 4), &batch), absl::OkStatus());
  EXPECT_DEATH(log.Commit(), "CHECK failed: .*== staged_->size");
}

TEST(MerkleLogStoreTest, LoadFindsCorruption) {
  {
    MemoryKvStore store;
    ASSERT_EQ(store.Put(Column::kMeta, kMerkleSizeKey, "1234567"), absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError("merkle log: stored size has 7 bytes, want 8"));
  }
  {
    // Size says 5, entries end at 3.
    MemoryKvStore store;
    MerkleLog log(&store);
    ASSERT_EQ(log.Load(), absl::OkStatus());
    AppendCommitted(log, store, 0, 4);
    ASSERT_EQ(store.Put(Column::kMeta, kMerkleSizeKey, BigEndian64(5)), absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError(
                  "merkle log: stored size 5 but the last entry key is 0000000000000003"));
  }
  {
    // Entries without a size.
    MemoryKvStore store;
    ASSERT_EQ(store.Put(Column::kEntries, EntryKey(0), "x"), absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError(
                  "merkle log: stored size 0 but the last entry key is 0000000000000000"));
  }
  {
    // A lost peak hash (size 6 = peaks (2,0) and (1,2)) is found by Load.
    MemoryKvStore store;
    MerkleLog log(&store);
    ASSERT_EQ(log.Load(), absl::OkStatus());
    AppendCommitted(log, store, 0, 6);
    WriteBatch damage;
    damage.Delete(Column::kMerkle, MerkleNodeKey(1, 2));
    ASSERT_EQ(store.Write(damage), absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError("merkle log: missing subtree hash at level 1 index 2"));
    ASSERT_EQ(store.Put(Column::kMerkle, MerkleNodeKey(1, 2), "short"), absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError("merkle log: subtree hash at level 1 index 2 has 5 bytes"));
    // Proofs compute the bottom levels from leaf hashes: a lost leaf hash fails the proofs that
    // need it, a damaged one too.
    damage.Clear();
    damage.Delete(Column::kMerkle, MerkleNodeKey(0, 5));
    ASSERT_EQ(store.Write(damage), absl::OkStatus());
    EXPECT_EQ(log.InclusionProof(0, 6).status(),
              absl::DataLossError("merkle log: missing subtree hash at level 1 index 2"));
    EXPECT_EQ(log.InclusionProof(4, 6).status(),
              absl::DataLossError("merkle log: missing subtree hash at level 0 index 5"));
    ASSERT_EQ(store.Put(Column::kMerkle, MerkleNodeKey(0, 5), "short"), absl::OkStatus());
    EXPECT_EQ(log.InclusionProof(0, 6).status(),
              absl::DataLossError(
                  "merkle log: bad subtree hash record at level 0 key 000000000000000005"));
    damage.Clear();
    damage.Delete(Column::kMerkle, MerkleNodeKey(0, 1));
    ASSERT_EQ(store.Write(damage), absl::OkStatus());
    EXPECT_EQ(log.InclusionProof(3, 6).status(),
              absl::DataLossError(
                  "merkle log: bad subtree hash record at level 0 key 000000000000000002"));
  }
  {
    // A hash missing from a cached level is found by the scan that fills the cache.
    MemoryKvStore store;
    MerkleLog log(&store);
    ASSERT_EQ(log.Load(), absl::OkStatus());
    AppendCommitted(log, store, 0, 200);
    WriteBatch damage;
    damage.Delete(Column::kMerkle, MerkleNodeKey(5, 1));
    ASSERT_EQ(store.Write(damage), absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError(
                  "merkle log: bad subtree hash record at level 5 key 050000000000000002"));
    damage.Clear();
    damage.Delete(Column::kMerkle, MerkleNodeKey(5, 5));  // the last of level 5 (200 >> 5 == 6)
    ASSERT_EQ(store.Write(damage), absl::OkStatus());
    ASSERT_EQ(store.Put(Column::kMerkle, MerkleNodeKey(5, 1), std::string(32, 'h')),
              absl::OkStatus());
    EXPECT_EQ(MerkleLog(&store).Load(),
              absl::DataLossError("merkle log: level 5 holds 5 of 6 subtree hashes"));
  }
}

TEST(MerkleLogStoreTest, ReadersSeeOnlyCommittedTreesWhileTheWriterAppends) {
  constexpr uint64_t kBlocks = 200;
  constexpr uint64_t kBlockLeaves = 3;
  MemoryKvStore store;
  MerkleLog log(&store);
  ASSERT_EQ(log.Load(), absl::OkStatus());
  const std::vector<Hash> hashes = LeafHashes(kBlocks * kBlockLeaves);
  std::atomic<bool> done = false;
  std::atomic<int> failures = 0;
  std::thread reader([&] {
    while (!done.load()) {
      const uint64_t n = log.size();
      if (n == 0) continue;
      // Every committed size has all its hashes stored: the proof must verify.
      const uint64_t i = n / 2;
      absl::StatusOr<std::vector<Hash>> proof = log.InclusionProof(i, n);
      absl::StatusOr<Hash> root = log.RootAt(n);
      if (!proof.ok() || !root.ok() ||
          !merkle::VerifyInclusion(i, n, hashes[i], *proof, *root).ok()) {
        ++failures;
      }
    }
  });
  for (uint64_t b = 0; b < kBlocks; ++b) {
    AppendCommitted(log, store, b * kBlockLeaves, (b + 1) * kBlockLeaves);
  }
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(log.Root(), merkle::RootOf(hashes));
}

TEST(MerkleLogRocksTest, ReopenAfterRestartGivesTheSameTreeAndKeepsGrowing) {
  TempDir dir;
  constexpr uint64_t kFirst = 1000;
  constexpr uint64_t kTotal = 1500;
  Hash root_before;
  std::vector<Hash> proof_before;
  {
    std::unique_ptr<RocksKvStore> store = OpenRocks(dir.path());
    ASSERT_NE(store, nullptr);
    MerkleLog log(store.get());
    ASSERT_EQ(log.Load(), absl::OkStatus());
    AppendInBlocks(log, *store, kFirst);
    root_before = log.Root();
    proof_before = log.InclusionProof(123, kFirst).value();
    // A staged but never written append must leave no trace after the restart.
    WriteBatch lost;
    ASSERT_EQ(log.AppendTo(Leaves(kFirst, kFirst + 10), &lost), absl::OkStatus());
  }
  std::unique_ptr<RocksKvStore> store = OpenRocks(dir.path());
  ASSERT_NE(store, nullptr);
  MerkleLog log(store.get());
  ASSERT_EQ(log.Load(), absl::OkStatus());
  EXPECT_EQ(log.size(), kFirst);
  EXPECT_EQ(log.Root(), root_before);
  EXPECT_EQ(log.Root(), merkle::RootOf(LeafHashes(kFirst)));
  EXPECT_EQ(log.InclusionProof(123, kFirst).value(), proof_before);
  EXPECT_EQ(log.Leaf(999).value(), LeafBytes(999));

  AppendCommitted(log, *store, kFirst, kTotal);
  const std::vector<Hash> hashes = LeafHashes(kTotal);
  const merkle::SubtreeSource reference = merkle::SourceFromLeaves(hashes);
  EXPECT_EQ(log.Root(), merkle::RootOf(hashes));
  EXPECT_EQ(log.RootAt(kFirst).value(), root_before);
  const std::vector<Hash> consistency = log.ConsistencyProof(kFirst, kTotal).value();
  EXPECT_EQ(consistency, merkle::ConsistencyProof(kFirst, kTotal, reference).value());
  EXPECT_EQ(merkle::VerifyConsistency(kFirst, kTotal, root_before, log.Root(), consistency),
            absl::OkStatus());
  for (uint64_t i = 0; i < kTotal; i += 37) {
    const std::vector<Hash> proof = log.InclusionProof(i, kTotal).value();
    EXPECT_EQ(proof, merkle::InclusionProof(i, kTotal, reference).value()) << i;
    EXPECT_EQ(merkle::VerifyInclusion(i, kTotal, hashes[i], proof, log.Root()), absl::OkStatus());
  }
}

}  // namespace
}  // namespace coal::storage

// KvStore contract tests, run against both MemoryKvStore and RocksKvStore, then the parts only
// one implementation has: fault injection (memory), durability, genesis check and checkpoints
// (RocksDB).
#include "storage/kv_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "storage/memory_kv_store.h"
#include "storage/rocks_kv_store.h"

namespace coal::storage {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

const std::string kGenesis = std::string(32, '\x11');

// A fresh empty directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/coal_kv_XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<RocksKvStore> OpenRocks(const std::string& dir,
                                        const std::string& genesis = kGenesis) {
  absl::StatusOr<std::unique_ptr<RocksKvStore>> store =
      RocksKvStore::Open(dir, RocksOptions{.expected_genesis_hash = genesis});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

struct MemoryEnv {
  std::unique_ptr<KvStore> Open() { return std::make_unique<MemoryKvStore>(); }
};

struct RocksEnv {
  TempDir dir;
  std::unique_ptr<KvStore> Open() { return OpenRocks(dir.Sub("db")); }
};

template <typename Env>
class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = env_.Open();
    ASSERT_NE(store_, nullptr);
  }

  KeyValues ScanAll(Column c, std::string_view start, std::string_view end, size_t limit = 0) {
    KeyValues out;
    const absl::Status s = store_->Scan(
        c, start, end,
        [&out](std::string_view k, std::string_view v) {
          out.emplace_back(std::string(k), std::string(v));
          return true;
        },
        limit);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  void PutAll(Column c, const std::vector<std::string>& keys) {
    WriteBatch batch;
    for (const std::string& k : keys) batch.Put(c, k, "v" + k);
    ASSERT_TRUE(store_->Write(batch).ok());
  }

  Env env_;
  std::unique_ptr<KvStore> store_;
};

using Envs = ::testing::Types<MemoryEnv, RocksEnv>;
class EnvNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryEnv> ? "Memory" : "Rocks";
  }
};
TYPED_TEST_SUITE(KvStoreTest, Envs, EnvNames);

TYPED_TEST(KvStoreTest, PutGetOverwriteDelete) {
  KvStore& store = *this->store_;
  ASSERT_TRUE(store.Put(Column::kState, "k", "v1").ok());
  EXPECT_EQ(store.Get(Column::kState, "k").value(), "v1");
  ASSERT_TRUE(store.Put(Column::kState, "k", "v2").ok());
  EXPECT_EQ(store.Get(Column::kState, "k").value(), "v2");

  WriteBatch del;
  del.Delete(Column::kState, "k");
  ASSERT_TRUE(store.Write(del).ok());
  const absl::StatusOr<std::string> gone = store.Get(Column::kState, "k");
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(gone.status().message(), "key not found in state");
}

TYPED_TEST(KvStoreTest, MissingKeyIsNotFoundAndDeletingItIsFine) {
  EXPECT_EQ(this->store_->Get(Column::kBlocks, "nope").status().code(),
            absl::StatusCode::kNotFound);
  WriteBatch del;
  del.Delete(Column::kBlocks, "nope");
  EXPECT_TRUE(this->store_->Write(del).ok());
}

TYPED_TEST(KvStoreTest, EmptyValuesAndBinaryKeys) {
  const std::string key("a\0b\xff", 4);
  ASSERT_TRUE(this->store_->Put(Column::kIndex, key, "").ok());
  EXPECT_EQ(this->store_->Get(Column::kIndex, key).value(), "");
  EXPECT_EQ(this->store_->Get(Column::kIndex, std::string("a\0b", 3)).status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(KvStoreTest, ColumnsAreSeparate) {
  ASSERT_TRUE(this->store_->Put(Column::kBlocks, "k", "block").ok());
  ASSERT_TRUE(this->store_->Put(Column::kEntries, "k", "entry").ok());
  EXPECT_EQ(this->store_->Get(Column::kBlocks, "k").value(), "block");
  EXPECT_EQ(this->store_->Get(Column::kEntries, "k").value(), "entry");
  EXPECT_EQ(this->store_->Get(Column::kMerkle, "k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->ScanAll(Column::kConsensus, "", "").size(), 0u);
}

TYPED_TEST(KvStoreTest, BatchAppliesEveryOpInOrderAcrossColumns) {
  ASSERT_TRUE(this->store_->Put(Column::kState, "old", "x").ok());
  WriteBatch batch;
  batch.Put(Column::kBlocks, "h1", "block1");
  batch.Put(Column::kEntries, "e1", "entry1");
  batch.Delete(Column::kState, "old");
  batch.Put(Column::kState, "k", "first");
  batch.Put(Column::kState, "k", "second");  // later op wins
  batch.Put(Column::kState, "gone", "x");
  batch.Delete(Column::kState, "gone");  // a delete after a put in the same batch wins
  ASSERT_TRUE(this->store_->Write(batch).ok());

  EXPECT_EQ(this->store_->Get(Column::kBlocks, "h1").value(), "block1");
  EXPECT_EQ(this->store_->Get(Column::kEntries, "e1").value(), "entry1");
  EXPECT_EQ(this->ScanAll(Column::kState, "", ""), (KeyValues{{"k", "second"}}));
}

TYPED_TEST(KvStoreTest, EmptyBatchIsANoOp) {
  EXPECT_TRUE(this->store_->Write(WriteBatch(), WriteOptions{.sync = false}).ok());
  EXPECT_EQ(this->ScanAll(Column::kState, "", "").size(), 0u);
}

TYPED_TEST(KvStoreTest, ScanIsHalfOpenAndAscending) {
  this->PutAll(Column::kEntries, {"d", "b", "a", "c", "e"});
  EXPECT_EQ(this->ScanAll(Column::kEntries, "b", "d"), (KeyValues{{"b", "vb"}, {"c", "vc"}}));
  EXPECT_EQ(this->ScanAll(Column::kEntries, "bb", "dd"), (KeyValues{{"c", "vc"}, {"d", "vd"}}));
  EXPECT_EQ(this->ScanAll(Column::kEntries, "c", "").size(), 3u);  // end empty = unbounded
  EXPECT_EQ(this->ScanAll(Column::kEntries, "", "").size(), 5u);
  EXPECT_EQ(this->ScanAll(Column::kEntries, "d", "b").size(), 0u);  // start > end: nothing
  EXPECT_EQ(this->ScanAll(Column::kEntries, "c", "c").size(), 0u);
  EXPECT_EQ(this->ScanAll(Column::kEntries, "f", "").size(), 0u);
}

TYPED_TEST(KvStoreTest, ScanLimitAndEarlyStop) {
  this->PutAll(Column::kEntries, {"a", "b", "c", "d"});
  EXPECT_EQ(this->ScanAll(Column::kEntries, "", "", 2), (KeyValues{{"a", "va"}, {"b", "vb"}}));
  EXPECT_EQ(this->ScanAll(Column::kEntries, "c", "", 10).size(), 2u);

  std::vector<std::string> seen;
  ASSERT_TRUE(this->store_
                  ->Scan(Column::kEntries, "", "",
                         [&seen](std::string_view k, std::string_view) {
                           seen.emplace_back(k);
                           return k != "b";  // stop after "b"
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TYPED_TEST(KvStoreTest, ScanCallbackMayReadTheStore) {
  this->PutAll(Column::kEntries, {"a", "b"});
  int found = 0;
  ASSERT_TRUE(this->store_
                  ->Scan(Column::kEntries, "", "",
                         [&](std::string_view k, std::string_view v) {
                           found += this->store_->Get(Column::kEntries, k).value() == v;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(found, 2);
}

TYPED_TEST(KvStoreTest, ScanSeesASnapshot) {
  this->PutAll(Column::kEntries, {"a", "b", "c"});
  std::vector<std::string> seen;
  ASSERT_TRUE(this->store_
                  ->Scan(Column::kEntries, "", "",
                         [&](std::string_view k, std::string_view) {
                           seen.emplace_back(k);
                           if (k == "a") {  // writes during the scan are not seen by it
                             WriteBatch b;
                             b.Delete(Column::kEntries, "c");
                             b.Put(Column::kEntries, "bb", "new");
                             EXPECT_TRUE(this->store_->Write(b).ok());
                           }
                           return true;
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(this->ScanAll(Column::kEntries, "", "").size(), 3u);  // a, b, bb
}

TYPED_TEST(KvStoreTest, LastInRange) {
  using Item = std::optional<std::pair<std::string, std::string>>;
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "", "").value(), Item());
  this->PutAll(Column::kBlocks, {"a", "b", "c", "e"});
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "", "").value(), Item({"e", "ve"}));
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "", "e").value(), Item({"c", "vc"}));
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "", "d").value(), Item({"c", "vc"}));
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "b", "c").value(), Item({"b", "vb"}));
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "d", "e").value(), Item());  // nothing in [d, e)
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "", "a").value(), Item());
  EXPECT_EQ(this->store_->Last(Column::kBlocks, "f", "").value(), Item());
}

TYPED_TEST(KvStoreTest, BigEndianKeysIterateInNumericOrder) {
  std::vector<uint64_t> numbers = {0,
                                   1,
                                   2,
                                   255,
                                   256,
                                   65535,
                                   65536,
                                   1ull << 32,
                                   1ull << 63,
                                   (1ull << 63) + 1,
                                   UINT64_MAX - 1,
                                   UINT64_MAX};
  std::vector<uint64_t> shuffled = numbers;
  std::mt19937_64 rng(20240601);  // fixed seed: the insertion order is reproducible
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  WriteBatch batch;
  for (uint64_t n : shuffled) batch.Put(Column::kEntries, BigEndian64(n), std::to_string(n));
  ASSERT_TRUE(this->store_->Write(batch).ok());

  std::vector<uint64_t> order;
  for (const auto& [k, v] : this->ScanAll(Column::kEntries, "", "")) {
    ASSERT_EQ(k.size(), 8u);
    EXPECT_EQ(v, std::to_string(ReadBigEndian64(k)));
    order.push_back(ReadBigEndian64(k));
  }
  EXPECT_EQ(order, numbers);
  // The highest height below 2^32: Last over [0, BE(2^32)).
  const auto last = this->store_->Last(Column::kEntries, "", BigEndian64(1ull << 32)).value();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(ReadBigEndian64(last->first), 65536u);
}

TYPED_TEST(KvStoreTest, PrefixScanWithPrefixEnd) {
  // Secondary index keys: "<index>\0<value>\0<log index BE>".
  auto key = [](std::string_view index, std::string_view value, uint64_t log_index) {
    std::string k(index);
    k.push_back('\0');
    k.append(value);
    k.push_back('\0');
    AppendBigEndian64(&k, log_index);
    return k;
  };
  WriteBatch batch;
  batch.Put(Column::kIndex, key("author", "alice", 7), "");
  batch.Put(Column::kIndex, key("author", "alice", 3), "");
  batch.Put(Column::kIndex, key("author", "alicia", 1), "");
  batch.Put(Column::kIndex, key("author", "bob", 2), "");
  batch.Put(Column::kIndex, key("authz", "alice", 9), "");
  ASSERT_TRUE(this->store_->Write(batch).ok());

  std::string prefix("author\0alice\0", 13);
  const KeyValues hits = this->ScanAll(Column::kIndex, prefix, PrefixEnd(prefix));
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, key("author", "alice", 3));
  EXPECT_EQ(hits[1].first, key("author", "alice", 7));
}

TYPED_TEST(KvStoreTest, ReadersNeverSeeHalfABatch) {
  // A writer keeps "a" and "b" equal, one batch per update; readers must never see them differ.
  constexpr int kUpdates = 300;
  ASSERT_TRUE(this->store_->Put(Column::kState, "a", "0").ok());
  ASSERT_TRUE(this->store_->Put(Column::kState, "b", "0").ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= kUpdates; ++i) {
      WriteBatch batch;
      batch.Put(Column::kState, "a", std::to_string(i));
      batch.Put(Column::kState, "b", std::to_string(i));
      EXPECT_TRUE(this->store_->Write(batch, WriteOptions{.sync = false}).ok());
    }
    done = true;
  });
  int torn = 0;
  int reads = 0;
  while (!done || reads == 0) {
    const KeyValues kv = this->ScanAll(Column::kState, "", "");
    ASSERT_EQ(kv.size(), 2u);
    torn += kv[0].second != kv[1].second;
    ++reads;
  }
  writer.join();
  EXPECT_EQ(torn, 0) << "after " << reads << " reads";
  EXPECT_EQ(this->store_->Get(Column::kState, "a").value(), std::to_string(kUpdates));
}

TEST(PrefixEndTest, Cases) {
  EXPECT_EQ(PrefixEnd("abc"), "abd");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), "");  // no bound: scan to the end
  EXPECT_EQ(PrefixEnd(""), "");
  EXPECT_EQ(PrefixEnd(std::string("a\0", 2)), std::string("a\x01", 2));
  EXPECT_EQ(PrefixEnd(BigEndian64(0xff)), std::string("\0\0\0\0\0\0\x01", 7));
}

TEST(ColumnNameTest, AllColumnsNamed) {
  std::vector<std::string> names;
  for (int i = 0; i < kColumnCount; ++i) names.push_back(ColumnName(static_cast<Column>(i)));
  EXPECT_EQ(names, (std::vector<std::string>{"meta", "blocks", "entries", "merkle", "state", "idx",
                                             "consensus"}));
}

// ---- MemoryKvStore only ----

TEST(MemoryKvStoreTest, InjectedWriteFailureAppliesNothingUntilCleared) {
  MemoryKvStore store;
  ASSERT_TRUE(store.Put(Column::kState, "a", "1").ok());
  store.FailWritesWith(absl::ResourceExhaustedError("disk full"));

  WriteBatch batch;
  batch.Put(Column::kState, "a", "2");
  batch.Put(Column::kState, "b", "2");
  const absl::Status failed = store.Write(batch);
  EXPECT_EQ(failed, absl::ResourceExhaustedError("disk full"));
  EXPECT_EQ(store.Put(Column::kMeta, "x", "y"), absl::ResourceExhaustedError("disk full"));
  EXPECT_EQ(store.Get(Column::kState, "a").value(), "1");  // reads still work
  EXPECT_EQ(store.KeyCount(Column::kState), 1u);
  EXPECT_EQ(store.KeyCount(Column::kMeta), 0u);

  store.FailWritesWith(absl::OkStatus());
  ASSERT_TRUE(store.Write(batch).ok());
  EXPECT_EQ(store.Get(Column::kState, "b").value(), "2");
}

TEST(MemoryKvStoreTest, CountsSyncedWrites) {
  MemoryKvStore store;
  WriteBatch batch;
  batch.Put(Column::kMeta, "safety", "s");
  ASSERT_TRUE(store.Write(batch, WriteOptions{.sync = true}).ok());
  ASSERT_TRUE(store.Write(batch, WriteOptions{.sync = false}).ok());
  ASSERT_TRUE(store.Write(WriteBatch()).ok());  // empty: not counted
  EXPECT_EQ(store.write_count(), 2u);
  EXPECT_EQ(store.sync_write_count(), 1u);
}

// ---- RocksKvStore only ----

TEST(RocksKvStoreTest, ReopenKeepsDataAndCreatesEveryColumnFamily) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    std::unique_ptr<RocksKvStore> store = OpenRocks(dir);
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.Put(Column::kBlocks, BigEndian64(1), "block1");
    batch.Put(Column::kConsensus, "safety", "voted");
    ASSERT_TRUE(store->Write(batch, WriteOptions{.sync = true}).ok());
  }
  std::unique_ptr<RocksKvStore> store = OpenRocks(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get(Column::kBlocks, BigEndian64(1)).value(), "block1");
  EXPECT_EQ(store->Get(Column::kConsensus, "safety").value(), "voted");
  EXPECT_EQ(store->Get(Column::kMeta, kGenesisHashKey).value(), kGenesis);

  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &families).ok());
  std::sort(families.begin(), families.end());
  EXPECT_EQ(families, (std::vector<std::string>{"blocks", "consensus", "default", "entries", "idx",
                                                "merkle", "meta", "state"}));
}

// SyncLog makes unsynced writes durable; it cannot simulate a power cut, so this checks the call
// succeeds on a live store and that the data is there after a reopen.
TEST(RocksKvStoreTest, SyncLogAfterUnsyncedWrites) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    std::unique_ptr<RocksKvStore> store = OpenRocks(dir);
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.Put(Column::kEntries, BigEndian64(0), "leaf0");
    ASSERT_TRUE(store->Write(batch, WriteOptions{.sync = false}).ok());
    const absl::Status synced = store->SyncLog();
    EXPECT_TRUE(synced.ok()) << synced;
  }
  std::unique_ptr<RocksKvStore> store = OpenRocks(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get(Column::kEntries, BigEndian64(0)).value(), "leaf0");
}

TEST(MemoryKvStoreTest, SyncLogIsCountedAndFailsLikeAWrite) {
  MemoryKvStore store;
  ASSERT_TRUE(store.SyncLog().ok());
  store.FailWritesWith(absl::ResourceExhaustedError("disk full"));
  EXPECT_TRUE(absl::IsResourceExhausted(store.SyncLog()));
  EXPECT_EQ(store.log_sync_count(), 1u);
}

TEST(RocksKvStoreTest, RefusesADataDirOfAnotherGenesis) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  ASSERT_NE(OpenRocks(dir, std::string(4, '\xab')), nullptr);
  const auto other = RocksKvStore::Open(dir, RocksOptions{.expected_genesis_hash = "\x01\x02"});
  EXPECT_EQ(other.status(),
            absl::FailedPreconditionError("data dir " + dir +
                                          " was created for genesis hash abababab, but this "
                                          "ledger's genesis hash is 0102"));
  // The right genesis still opens it.
  EXPECT_NE(OpenRocks(dir, std::string(4, '\xab')), nullptr);
}

TEST(RocksKvStoreTest, RefusesDataWithoutAGenesisHash) {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    std::unique_ptr<RocksKvStore> store = OpenRocks(dir);
    ASSERT_NE(store, nullptr);
    WriteBatch batch;  // leave data behind but lose the genesis hash
    batch.Put(Column::kBlocks, BigEndian64(1), "block1");
    batch.Delete(Column::kMeta, kGenesisHashKey);
    ASSERT_TRUE(store->Write(batch).ok());
  }
  EXPECT_EQ(RocksKvStore::Open(dir, RocksOptions{.expected_genesis_hash = kGenesis}).status(),
            absl::FailedPreconditionError("data dir " + dir +
                                          " has data in column blocks but no genesis hash"));
}

TEST(RocksKvStoreTest, RejectsEmptyGenesisAndMissingDir) {
  TempDir tmp;
  EXPECT_EQ(RocksKvStore::Open(tmp.Sub("db"), RocksOptions{}).status(),
            absl::InvalidArgumentError("RocksKvStore: expected_genesis_hash is empty"));
  const auto missing = RocksKvStore::Open(
      tmp.Sub("none"), RocksOptions{.expected_genesis_hash = kGenesis, .create_if_missing = false});
  EXPECT_EQ(missing.status(), absl::NotFoundError("no RocksDB data dir at " + tmp.Sub("none")));
}

TEST(RocksKvStoreTest, SecondOpenOfALockedDirIsUnavailable) {
  TempDir tmp;
  std::unique_ptr<RocksKvStore> first = OpenRocks(tmp.Sub("db"));
  ASSERT_NE(first, nullptr);
  const auto second =
      RocksKvStore::Open(tmp.Sub("db"), RocksOptions{.expected_genesis_hash = kGenesis});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(RocksKvStoreTest, CheckpointIsAnOpenableCopy) {
  TempDir tmp;
  std::unique_ptr<RocksKvStore> store = OpenRocks(tmp.Sub("db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(Column::kEntries, BigEndian64(0), "leaf0").ok());
  ASSERT_TRUE(store->CreateCheckpoint(tmp.Sub("backup")).ok());
  ASSERT_TRUE(store->Put(Column::kEntries, BigEndian64(1), "leaf1").ok());  // after the backup

  // Into an existing dir: refused, and the error says so.
  EXPECT_EQ(store->CreateCheckpoint(tmp.Sub("backup")).code(), absl::StatusCode::kInvalidArgument);

  std::unique_ptr<RocksKvStore> copy = OpenRocks(tmp.Sub("backup"));
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->Get(Column::kEntries, BigEndian64(0)).value(), "leaf0");
  EXPECT_EQ(copy->Get(Column::kEntries, BigEndian64(1)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RocksKvStoreTest, ApproximateSizeGrowsWithData) {
  TempDir tmp;
  std::unique_ptr<RocksKvStore> store = OpenRocks(tmp.Sub("db"));
  ASSERT_NE(store, nullptr);
  const uint64_t before = store->ApproximateSizeBytes();
  WriteBatch batch;
  for (uint64_t i = 0; i < 1000; ++i)
    batch.Put(Column::kEntries, BigEndian64(i), std::string(100, 'x'));
  ASSERT_TRUE(store->Write(batch).ok());
  EXPECT_GE(store->ApproximateSizeBytes(), before + 100 * 1000);
}

TEST(RocksKvStoreTest, MapsRocksErrorsToSpecificCodes) {
  EXPECT_EQ(ToAbslStatus(rocksdb::Status::OK(), "x"), absl::OkStatus());
  EXPECT_EQ(ToAbslStatus(rocksdb::Status::NotFound("k"), "get"),
            absl::NotFoundError("get: NotFound: k"));
  EXPECT_EQ(ToAbslStatus(rocksdb::Status::Corruption("bad block"), "read"),
            absl::DataLossError("read: Corruption: bad block"));
  EXPECT_EQ(ToAbslStatus(rocksdb::Status::NoSpace("disk"), "write").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ToAbslStatus(rocksdb::Status::IOError("eio"), "write").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ToAbslStatus(rocksdb::Status::InvalidArgument("x"), "open").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coal::storage

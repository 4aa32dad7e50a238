#include "storage/rocks_kv_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "crypto/bytes.h"
#include "crypto/status_macros.h"

namespace coal::storage {
namespace {

// Most point reads ask for keys that are absent (is this digest committed yet? has this nonce
// been used?): Bloom filters answer those without searching the memtable or reading SST blocks.
rocksdb::ColumnFamilyOptions FamilyOptions() {
  rocksdb::ColumnFamilyOptions options;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// An explicit snapshot for one read, released when the read ends.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;

  rocksdb::ReadOptions read_options() const {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot_;
    return options;
  }

 private:
  rocksdb::DB* const db_;
  const rocksdb::Snapshot* const snapshot_;
};

}  // namespace

absl::Status ToAbslStatus(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(context), ": ", status.ToString());
  // Subcode checks first: IsNoSpace and IsPathNotFound are refinements of IsIOError.
  if (status.IsNoSpace() || status.IsMemoryLimit()) return absl::ResourceExhaustedError(message);
  if (status.IsPathNotFound() || status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError() || status.IsBusy() || status.IsTryAgain() ||
      status.IsShutdownInProgress() || status.IsIncomplete()) {
    return absl::UnavailableError(message);
  }
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsNotSupported()) return absl::UnimplementedError(message);
  if (status.IsTimedOut()) return absl::DeadlineExceededError(message);
  if (status.IsAborted()) return absl::AbortedError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<RocksKvStore>> RocksKvStore::Open(const std::string& dir,
                                                                 const RocksOptions& opts) {
  if (opts.expected_genesis_hash.empty()) {
    return absl::InvalidArgumentError("RocksKvStore: expected_genesis_hash is empty");
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = opts.create_if_missing;
  db_options.create_missing_column_families = true;

  // Our families first, in Column order, then every other family the dir already has: RocksDB
  // refuses to open a DB without naming all of its column families.
  std::vector<std::string> names;
  for (int i = 0; i < kColumnCount; ++i) names.push_back(ColumnName(static_cast<Column>(i)));
  std::vector<std::string> existing = {rocksdb::kDefaultColumnFamilyName};
  const bool has_db = std::filesystem::exists(std::filesystem::path(dir) / "CURRENT");
  if (has_db) {
    existing.clear();
    RETURN_IF_ERROR(ToAbslStatus(rocksdb::DB::ListColumnFamilies(db_options, dir, &existing),
                                 absl::StrCat("list column families in ", dir)));
  } else if (!opts.create_if_missing) {
    return absl::NotFoundError(absl::StrCat("no RocksDB data dir at ", dir));
  }
  for (const std::string& name : existing) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(names.size());
  for (const std::string& name : names) {
    descriptors.emplace_back(name, FamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  RETURN_IF_ERROR(ToAbslStatus(rocksdb::DB::Open(db_options, dir, descriptors, &handles, &db),
                               absl::StrCat("open RocksDB at ", dir)));
  COAL_CHECK(handles.size() == names.size());
  std::unique_ptr<RocksKvStore> store(new RocksKvStore(dir, db, std::move(handles)));
  RETURN_IF_ERROR(store->CheckGenesis(opts.expected_genesis_hash));
  return store;
}

RocksKvStore::RocksKvStore(std::string dir, rocksdb::DB* db,
                           std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : dir_(std::move(dir)), db_(db), handles_(std::move(handles)) {}

RocksKvStore::~RocksKvStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    // Failure here only means the handle was already released; nothing to recover.
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();  // every write was already acknowledged or failed
  delete db_;
}

rocksdb::ColumnFamilyHandle* RocksKvStore::handle(Column c) const {
  const int index = static_cast<int>(c);
  COAL_CHECK(index >= 0 && index < kColumnCount);
  return handles_[static_cast<size_t>(index)];
}

absl::Status RocksKvStore::CheckGenesis(std::string_view expected_genesis_hash) {
  absl::StatusOr<std::string> stored = Get(Column::kMeta, kGenesisHashKey);
  if (stored.ok()) {
    if (*stored == expected_genesis_hash) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir_, " was created for genesis hash ", ToHex(*stored),
                     ", but this ledger's genesis hash is ", ToHex(expected_genesis_hash)));
  }
  if (!absl::IsNotFound(stored.status())) return stored.status();
  // No genesis hash yet: only an empty store may be claimed for this ledger.
  for (int i = 0; i < kColumnCount; ++i) {
    const Column c = static_cast<Column>(i);
    bool has_data = false;
    auto note_data = [&has_data](std::string_view, std::string_view) {
      has_data = true;
      return false;
    };
    RETURN_IF_ERROR(Scan(c, "", "", note_data, 1));
    if (has_data) {
      return absl::FailedPreconditionError(absl::StrCat("data dir ", dir_, " has data in column ",
                                                        ColumnName(c), " but no genesis hash"));
    }
  }
  WriteBatch batch;
  batch.Put(Column::kMeta, kGenesisHashKey, expected_genesis_hash);
  return Write(batch, WriteOptions{.sync = true});
}

absl::StatusOr<std::string> RocksKvStore::Get(Column c, std::string_view key) const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(c), ToSlice(key), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("key not found in ", ColumnName(c)));
  RETURN_IF_ERROR(ToAbslStatus(s, absl::StrCat("get from ", ColumnName(c))));
  return value;
}

absl::Status RocksKvStore::Write(const WriteBatch& batch, WriteOptions options) {
  if (batch.empty()) return absl::OkStatus();
  rocksdb::WriteBatch rocks_batch;
  for (const WriteBatch::Op& op : batch.ops()) {
    const rocksdb::Status s =
        op.is_delete ? rocks_batch.Delete(handle(op.column), ToSlice(op.key))
                     : rocks_batch.Put(handle(op.column), ToSlice(op.key), ToSlice(op.value));
    RETURN_IF_ERROR(ToAbslStatus(s, "build write batch"));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options.sync;
  return ToAbslStatus(db_->Write(write_options, &rocks_batch), "write batch");
}

absl::Status RocksKvStore::SyncLog() { return ToAbslStatus(db_->SyncWAL(), "sync the WAL"); }

absl::Status RocksKvStore::Scan(Column c, std::string_view start, std::string_view end,
                                const std::function<bool(std::string_view, std::string_view)>& fn,
                                size_t limit) const {
  ScopedSnapshot snapshot(db_);
  rocksdb::ReadOptions read_options = snapshot.read_options();
  const rocksdb::Slice upper = ToSlice(end);
  if (!end.empty()) read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handle(c)));
  size_t count = 0;
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    if (limit > 0 && count == limit) break;
    ++count;
    if (!fn(ToView(it->key()), ToView(it->value()))) break;
  }
  return ToAbslStatus(it->status(), absl::StrCat("scan ", ColumnName(c)));
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>> RocksKvStore::Last(
    Column c, std::string_view start, std::string_view end) const {
  ScopedSnapshot snapshot(db_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(snapshot.read_options(), handle(c)));
  if (end.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(ToSlice(end));  // the greatest key <= end
    if (it->Valid() && ToView(it->key()) == end) it->Prev();
  }
  RETURN_IF_ERROR(ToAbslStatus(it->status(), absl::StrCat("last in ", ColumnName(c))));
  if (!it->Valid() || ToView(it->key()) < start) return std::nullopt;
  return std::make_pair(it->key().ToString(), it->value().ToString());
}

absl::Status RocksKvStore::CreateCheckpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(ToAbslStatus(rocksdb::Checkpoint::Create(db_, &raw), "create checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return ToAbslStatus(checkpoint->CreateCheckpoint(dir), absl::StrCat("checkpoint to ", dir));
}

uint64_t RocksKvStore::ApproximateSizeBytes() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    for (const std::string* property : {&rocksdb::DB::Properties::kTotalSstFilesSize,
                                        &rocksdb::DB::Properties::kCurSizeAllMemTables}) {
      uint64_t value = 0;
      if (db_->GetIntProperty(h, *property, &value)) total += value;
    }
  }
  return total;
}

}  // namespace coal::storage

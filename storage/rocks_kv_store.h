// RocksKvStore: the durable KvStore over RocksDB (DESIGN §8). One column family per Column, named
// by ColumnName() and created when missing. A WriteBatch becomes one rocksdb::WriteBatch across
// column families (atomic, fsynced when WriteOptions::sync). Scan and Last read through an
// iterator pinned to a snapshot.
//
// A data dir belongs to one ledger: Open stores the genesis hash in Column::kMeta key
// "genesis_hash" on first use and refuses (FAILED_PRECONDITION) a dir created for another genesis.
//
// Errors: RocksDB statuses map to absl codes with the RocksDB message kept: NotFound -> NOT_FOUND,
// IOError -> UNAVAILABLE (no space -> RESOURCE_EXHAUSTED), Corruption -> DATA_LOSS,
// InvalidArgument -> INVALID_ARGUMENT, anything else -> INTERNAL (see ToAbslStatus).
//
// Thread safety: all methods may be called concurrently (RocksDB is thread-safe and the column
// family handles are fixed after Open).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/kv_store.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Status;
}  // namespace rocksdb

namespace coal::storage {

// Key in Column::kMeta holding the genesis hash the data dir was created for.
inline constexpr std::string_view kGenesisHashKey = "genesis_hash";

struct RocksOptions {
  // Required: the hash of this ledger's genesis (raw bytes, e.g. 32 bytes of SHA-256).
  std::string expected_genesis_hash;
  // Create the data dir when it does not exist; when false a missing dir is NOT_FOUND.
  bool create_if_missing = true;
};

// Maps a RocksDB status to the most specific absl code; `context` prefixes the message.
absl::Status ToAbslStatus(const rocksdb::Status& status, std::string_view context);

class RocksKvStore final : public KvStore {
 public:
  // Opens (or creates) the store in `dir`. INVALID_ARGUMENT when expected_genesis_hash is empty;
  // FAILED_PRECONDITION when the dir holds another genesis hash, or data without a genesis hash;
  // UNAVAILABLE when another process holds the dir's lock.
  static absl::StatusOr<std::unique_ptr<RocksKvStore>> Open(const std::string& dir,
                                                            const RocksOptions& opts);
  ~RocksKvStore() override;
  RocksKvStore(const RocksKvStore&) = delete;
  RocksKvStore& operator=(const RocksKvStore&) = delete;

  absl::StatusOr<std::string> Get(Column c, std::string_view key) const override;
  absl::Status Write(const WriteBatch& batch, WriteOptions options = {}) override;
  absl::Status SyncLog() override;
  absl::Status Scan(Column c, std::string_view start, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& fn,
                    size_t limit = 0) const override;
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      Column c, std::string_view start, std::string_view end) const override;

  // A consistent on-disk copy of the store in `dir` (which must not exist yet), made of hard links
  // where possible: a backup that opens as a RocksKvStore with the same genesis hash.
  absl::Status CreateCheckpoint(const std::string& dir);

  // Estimated bytes used by all column families (SST files plus memtables).
  uint64_t ApproximateSizeBytes() const;

  const std::string& dir() const { return dir_; }

 private:
  RocksKvStore(std::string dir, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles);
  rocksdb::ColumnFamilyHandle* handle(Column c) const;
  absl::Status CheckGenesis(std::string_view expected_genesis_hash);

  const std::string dir_;
  rocksdb::DB* const db_;  // owned; closed in the destructor after the handles
  // All open column families; the first kColumnCount are indexed by Column, then "default" and
  // any families an older or newer build left in the dir.
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace coal::storage

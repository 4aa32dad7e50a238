// The storage seam: an ordered key-value store with column families and atomic write batches.
// Implementations: RocksKvStore (durable, storage/rocks_kv_store.h) and MemoryKvStore (tests,
// storage/memory_kv_store.h). Keys compare bytewise; encode integers big-endian (crypto/bytes.h)
// so iteration order is numeric order.
//
// Thread safety: all methods may be called concurrently; a WriteBatch is applied atomically
// (readers see all of it or none of it). Iterators see a consistent snapshot taken when they were
// created.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace coal::storage {

// Column families named by DESIGN §8. A store opens all of them.
enum class Column : int {
  kMeta = 0,   // genesis hash, safety state, counters
  kBlocks,     // height -> CommittedBlock
  kEntries,    // log index -> EntryRecord bytes (the Merkle leaf)
  kMerkle,     // (level, index) -> perfect subtree hash
  kState,      // domain state
  kIndex,      // secondary indexes: "<index name>\0<field value>\0<log index BE>" -> ""
  kConsensus,  // consensus block tree above the last commit
};
inline constexpr int kColumnCount = 7;
const char* ColumnName(Column c);

class WriteBatch {
 public:
  void Put(Column c, std::string_view key, std::string_view value) {
    ops_.push_back({c, std::string(key), std::string(value), false});
  }
  void Delete(Column c, std::string_view key) {
    ops_.push_back({c, std::string(key), std::string(), true});
  }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }

  struct Op {
    Column column;
    std::string key;
    std::string value;
    bool is_delete;
  };
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

struct WriteOptions {
  bool sync = true;  // fsync the write-ahead log before returning
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // NOT_FOUND when the key is absent.
  virtual absl::StatusOr<std::string> Get(Column c, std::string_view key) const = 0;
  virtual absl::Status Write(const WriteBatch& batch, WriteOptions options = {}) = 0;
  // Makes every earlier write durable, synced or not (fsync of the write-ahead log).
  virtual absl::Status SyncLog() = 0;

  // Calls `fn(key, value)` for keys in [start, end) in ascending order (end empty = unbounded)
  // until it returns false. At most `limit` items when limit > 0.
  virtual absl::Status Scan(Column c, std::string_view start, std::string_view end,
                            const std::function<bool(std::string_view, std::string_view)>& fn,
                            size_t limit = 0) const = 0;

  // Last key-value in [start, end), if any (e.g. the highest height stored).
  virtual absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      Column c, std::string_view start, std::string_view end) const = 0;

  // Convenience: a single synced put.
  absl::Status Put(Column c, std::string_view key, std::string_view value) {
    WriteBatch b;
    b.Put(c, key, value);
    return Write(b);
  }
};

// Smallest key strictly greater than every key with this prefix ("" when none: unbounded).
std::string PrefixEnd(std::string_view prefix);

}  // namespace coal::storage

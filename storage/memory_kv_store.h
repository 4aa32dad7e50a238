// MemoryKvStore: the in-memory KvStore for tests and the simulator. Same contract as
// storage/kv_store.h (bytewise key order, atomic batches, snapshot scans), nothing durable.
// Tests can inject a write failure (FailWritesWith) to exercise disk-full and I/O-error paths:
// a failed Write applies nothing, as a failed RocksDB WriteBatch would.
//
// Thread safety: all methods may be called concurrently. Scan copies the requested range under
// the lock and calls `fn` without it, so `fn` may call back into the store.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/kv_store.h"

namespace coal::storage {

class MemoryKvStore final : public KvStore {
 public:
  MemoryKvStore() = default;
  MemoryKvStore(const MemoryKvStore&) = delete;
  MemoryKvStore& operator=(const MemoryKvStore&) = delete;

  absl::StatusOr<std::string> Get(Column c, std::string_view key) const override;
  absl::Status Write(const WriteBatch& batch, WriteOptions options = {}) override;
  absl::Status SyncLog() override;  // counted (log_sync_count); fails like Write when injected
  absl::Status Scan(Column c, std::string_view start, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& fn,
                    size_t limit = 0) const override;
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      Column c, std::string_view start, std::string_view end) const override;

  // Fault injection: every later Write returns `status` and applies nothing, until called again
  // with absl::OkStatus(). Reads keep working (a full disk still serves reads).
  void FailWritesWith(absl::Status status);

  // Counters of successful, non-empty writes, so tests can assert that a write was synced.
  uint64_t write_count() const;
  uint64_t sync_write_count() const;
  uint64_t log_sync_count() const;
  // Number of keys stored in `c`.
  size_t KeyCount(Column c) const;

 private:
  // std::less<> allows lookups by std::string_view without building a std::string.
  using Map = std::map<std::string, std::string, std::less<>>;

  mutable absl::Mutex mu_;
  std::array<Map, kColumnCount> columns_ ABSL_GUARDED_BY(mu_);
  absl::Status write_failure_ ABSL_GUARDED_BY(mu_);
  uint64_t write_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t sync_write_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t log_sync_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coal::storage

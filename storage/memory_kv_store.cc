#include "storage/memory_kv_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/status_macros.h"

namespace coal::storage {

namespace {

// A Column outside the enum is a bug of ours, not bad input.
size_t Index(Column c) {
  const int index = static_cast<int>(c);
  COAL_CHECK(index >= 0 && index < kColumnCount);
  return static_cast<size_t>(index);
}

}  // namespace

absl::StatusOr<std::string> MemoryKvStore::Get(Column c, std::string_view key) const {
  absl::ReaderMutexLock lock(&mu_);
  const Map& map = columns_[Index(c)];
  auto it = map.find(key);
  if (it == map.end()) return absl::NotFoundError(absl::StrCat("key not found in ", ColumnName(c)));
  return it->second;
}

absl::Status MemoryKvStore::Write(const WriteBatch& batch, WriteOptions options) {
  absl::MutexLock lock(&mu_);
  if (!write_failure_.ok()) return write_failure_;
  if (batch.empty()) return absl::OkStatus();
  // Ops apply in order under one lock, so readers see all of the batch or none of it.
  for (const WriteBatch::Op& op : batch.ops()) {
    Map& map = columns_[Index(op.column)];
    if (op.is_delete) {
      map.erase(op.key);
    } else {
      map.insert_or_assign(op.key, op.value);
    }
  }
  ++write_count_;
  if (options.sync) ++sync_write_count_;
  return absl::OkStatus();
}

absl::Status MemoryKvStore::Scan(Column c, std::string_view start, std::string_view end,
                                 const std::function<bool(std::string_view, std::string_view)>& fn,
                                 size_t limit) const {
  // Copy the range under the lock (the snapshot), then call `fn` without holding it.
  std::vector<std::pair<std::string, std::string>> items;
  {
    absl::ReaderMutexLock lock(&mu_);
    const Map& map = columns_[Index(c)];
    for (auto it = map.lower_bound(start); it != map.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      if (limit > 0 && items.size() == limit) break;
      items.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : items) {
    if (!fn(key, value)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>> MemoryKvStore::Last(
    Column c, std::string_view start, std::string_view end) const {
  absl::ReaderMutexLock lock(&mu_);
  const Map& map = columns_[Index(c)];
  auto it = end.empty() ? map.end() : map.lower_bound(end);
  if (it == map.begin()) return std::nullopt;
  --it;  // the greatest key < end
  if (it->first < start) return std::nullopt;
  return std::make_pair(it->first, it->second);
}

void MemoryKvStore::FailWritesWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  write_failure_ = std::move(status);
}

uint64_t MemoryKvStore::write_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return write_count_;
}

uint64_t MemoryKvStore::sync_write_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return sync_write_count_;
}

absl::Status MemoryKvStore::SyncLog() {
  absl::MutexLock lock(&mu_);
  if (!write_failure_.ok()) return write_failure_;
  ++log_sync_count_;
  return absl::OkStatus();
}

uint64_t MemoryKvStore::log_sync_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return log_sync_count_;
}

size_t MemoryKvStore::KeyCount(Column c) const {
  absl::ReaderMutexLock lock(&mu_);
  return columns_[Index(c)].size();
}

}  // namespace coal::storage

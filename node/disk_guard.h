// Keeps a node off a full data disk. Below limits.disk_free_min_bytes free, client writes are
// refused with a clear RESOURCE_EXHAUSTED (CheckWritable; statvfs at most once per kRefreshMs,
// shown as coal_disk_free_bytes). Below a quarter of it, the storage floor, the replica also
// pauses its own writes (CheckStorage; statvfs on every call): it withholds its votes and applies
// nothing, so RocksDB never runs into ENOSPC, and resumes, catching up from its peers, once space
// returns. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/metrics.h"

namespace coal::node {

class DiskGuard {
 public:
  static constexpr int64_t kRefreshMs = 200;

  // `min_free_bytes` = limits.disk_free_min_bytes; metrics may be null.
  DiskGuard(std::string data_dir, uint64_t min_free_bytes, Metrics* metrics);

  // OK, or RESOURCE_EXHAUSTED naming the free bytes, the folder and the limit.
  absl::Status CheckWritable();
  // OK, or RESOURCE_EXHAUSTED when free space is below the storage floor (min_free_bytes / 4).
  absl::Status CheckStorage() const;
  // Free bytes for unprivileged writers on the data dir's filesystem (statvfs f_bavail); an
  // error when the folder cannot be inspected.
  absl::StatusOr<uint64_t> FreeBytes() const;

 private:
  const std::string data_dir_;
  const uint64_t min_free_bytes_;
  Metrics* const metrics_;
  std::atomic<int64_t> checked_at_ms_{0};
  std::atomic<uint64_t> free_bytes_{UINT64_MAX};
};

}  // namespace coal::node

#include "node/disk_guard.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"

namespace coal::node {

DiskGuard::DiskGuard(std::string data_dir, uint64_t min_free_bytes, Metrics* metrics)
    : data_dir_(std::move(data_dir)), min_free_bytes_(min_free_bytes), metrics_(metrics) {}

absl::StatusOr<uint64_t> DiskGuard::FreeBytes() const {
  struct statvfs vfs {};
  if (::statvfs(data_dir_.c_str(), &vfs) != 0) {
    return absl::UnavailableError("statvfs " + data_dir_ + ": " + std::strerror(errno));
  }
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

absl::Status DiskGuard::CheckStorage() const {
  auto free = FreeBytes();
  const uint64_t floor = min_free_bytes_ / 4;
  if (!free.ok() || *free >= floor) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      "data disk nearly full: " + std::to_string(*free) + " bytes free on " + data_dir_ +
      ", below the storage floor " + std::to_string(floor) +
      " (limits.disk_free_min_bytes / 4); consensus writes pause until space returns");
}

absl::Status DiskGuard::CheckWritable() {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  int64_t last = checked_at_ms_.load();
  if (now >= last + kRefreshMs && checked_at_ms_.compare_exchange_strong(last, now)) {
    // One caller refreshes; a folder we cannot inspect does not block writes (RocksDB will
    // report a real failure itself).
    if (auto free = FreeBytes(); free.ok()) {
      free_bytes_.store(*free);
      if (metrics_ != nullptr) {
        metrics_->Gauge("coal_disk_free_bytes", "Free bytes on the data dir's filesystem")
            .store(static_cast<int64_t>(std::min<uint64_t>(*free, INT64_MAX)));
      }
    }
  }
  const uint64_t free = free_bytes_.load();
  if (free >= min_free_bytes_) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      "data disk full: " + std::to_string(free) + " bytes free on " + data_dir_ +
      ", below limits.disk_free_min_bytes " + std::to_string(min_free_bytes_) +
      "; this node takes no writes until space returns (submit to another node meanwhile)");
}

}  // namespace coal::node

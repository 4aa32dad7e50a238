#include "node/mempool.h"

namespace coal::node {

Mempool::Mempool(uint64_t entries_max, uint64_t bytes_max, int64_t lease_ms)
    : entries_max_(entries_max), bytes_max_(bytes_max), lease_ms_(lease_ms) {}

absl::Status Mempool::Add(const std::string& digest, const coalition::v1::Envelope& envelope,
                          uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  if (items_.contains(digest) || recent_committed_.contains(digest)) {
    return absl::AlreadyExistsError("entry already pending or committed");
  }
  if (items_.size() + 1 > entries_max_ || bytes_ + bytes > bytes_max_) {
    return absl::ResourceExhaustedError("mempool full (" + std::to_string(items_.size()) +
                                        " entries, " + std::to_string(bytes_) +
                                        " bytes); retry later");
  }
  Item item;
  item.envelope = envelope;
  item.bytes = bytes;
  item.seq = next_seq_++;
  order_.emplace_back(item.seq, digest);
  items_.emplace(digest, std::move(item));
  bytes_ += bytes;
  return absl::OkStatus();
}

std::vector<coalition::v1::Envelope> Mempool::Take(
    uint64_t entries_max, uint64_t bytes_max, int64_t now_ms,
    const absl::flat_hash_set<std::string>& exclude) {
  absl::MutexLock lock(&mu_);
  std::vector<coalition::v1::Envelope> out;
  uint64_t taken_bytes = 0;
  // Drop order_ slots whose items are gone (committed) from the front.
  while (!order_.empty()) {
    auto it = items_.find(order_.front().second);
    if (it != items_.end() && it->second.seq == order_.front().first) break;
    order_.pop_front();
  }
  for (const auto& [seq, digest] : order_) {
    if (out.size() >= entries_max) break;
    auto it = items_.find(digest);
    if (it == items_.end() || it->second.seq != seq) continue;
    Item& item = it->second;
    if (item.leased_until_ms > now_ms || exclude.contains(digest)) continue;
    if (taken_bytes + item.bytes > bytes_max) break;
    taken_bytes += item.bytes;
    item.leased_until_ms = now_ms + lease_ms_;
    out.push_back(item.envelope);
  }
  return out;
}

void Mempool::Lease(const std::vector<std::string>& digests, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  for (const auto& d : digests) {
    auto it = items_.find(d);
    if (it != items_.end()) it->second.leased_until_ms = now_ms + lease_ms_;
  }
}

void Mempool::Release(const std::vector<std::string>& digests) {
  absl::MutexLock lock(&mu_);
  for (const auto& d : digests) {
    auto it = items_.find(d);
    if (it != items_.end()) it->second.leased_until_ms = 0;
  }
}

void Mempool::RemoveCommitted(const std::vector<std::string>& digests) {
  absl::MutexLock lock(&mu_);
  for (const auto& d : digests) {
    auto it = items_.find(d);
    if (it != items_.end()) {
      bytes_ -= it->second.bytes;
      items_.erase(it);
    }
    if (recent_committed_.insert(d).second) {
      recent_order_.push_back(d);
      if (recent_order_.size() > kRecentCommittedMax) {
        recent_committed_.erase(recent_order_.front());
        recent_order_.pop_front();
      }
    }
  }
}

bool Mempool::Contains(const std::string& digest) const {
  absl::MutexLock lock(&mu_);
  return items_.contains(digest);
}

uint64_t Mempool::size() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

uint64_t Mempool::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace coal::node

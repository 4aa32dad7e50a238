#include "node/payload_digests.h"

#include <algorithm>
#include <iterator>

#include "crypto/dsse.h"

namespace coal::node {

std::vector<std::string> EntryDigests(const coalition::v1::BlockPayload& payload) {
  std::vector<std::string> digests;
  digests.reserve(payload.entries_size());
  for (const auto& e : payload.entries()) digests.push_back(crypto::EnvelopeDigest(e));
  return digests;
}

PayloadDigests::PayloadDigests(size_t payloads_max, size_t bytes_max)
    : payloads_max_(payloads_max), bytes_max_(bytes_max) {}

std::deque<PayloadDigests::Slot>::const_iterator PayloadDigests::FindSlot(
    const std::string& payload_bytes) const {
  // Newest first: the block asked about is most often the one validated last. A payload is held
  // at most once (Of adds it only when it is not found).
  const auto it = std::find_if(slots_.rbegin(), slots_.rend(),
                               [&](const Slot& s) { return s.payload == payload_bytes; });
  return it == slots_.rend() ? slots_.end() : std::prev(it.base());
}

const std::vector<std::string>* PayloadDigests::Find(const std::string& payload_bytes) const {
  const auto it = FindSlot(payload_bytes);
  if (it == slots_.end()) return nullptr;
  ++hits_;
  return &it->digests;
}

const std::vector<std::string>& PayloadDigests::Of(const std::string& payload_bytes,
                                                   const coalition::v1::BlockPayload& parsed) {
  if (const auto* found = Find(payload_bytes)) return *found;
  ++misses_;
  if (payloads_max_ == 0 || payload_bytes.size() > bytes_max_) {
    uncached_ = EntryDigests(parsed);
    return uncached_;
  }
  while (!slots_.empty() &&
         (slots_.size() >= payloads_max_ || bytes_ + payload_bytes.size() > bytes_max_)) {
    bytes_ -= slots_.front().payload.size();
    slots_.pop_front();
  }
  slots_.push_back(Slot{payload_bytes, EntryDigests(parsed)});
  bytes_ += payload_bytes.size();
  return slots_.back().digests;
}

void PayloadDigests::Forget(const std::string& payload_bytes) {
  const auto it = FindSlot(payload_bytes);
  if (it == slots_.end()) return;
  bytes_ -= it->payload.size();
  slots_.erase(it);
}

}  // namespace coal::node

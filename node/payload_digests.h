// PayloadDigests: the entry digests of block payloads this node handled lately. The replica needs
// a payload's digests when it validates the block (to lease its entries), at each of its own
// proposals while the block is uncommitted on its branch (to leave those entries out), and when
// the block is applied (indexes, mempool, waiters): with this cache each entry is hashed once, not
// three or more times. Keyed by the payload bytes themselves, compared in full, so a hit is exact
// (a few payloads are held, so a scan comparing sizes first beats hashing the key). Bounded by
// count and bytes; the oldest payloads are forgotten first, and a forgotten payload is simply
// hashed again.
//
// Not thread-safe: the replica's loop thread owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "coalition/v1/ledger.pb.h"

namespace coal::node {

// The digests of a block payload's entries, in order.
std::vector<std::string> EntryDigests(const coalition::v1::BlockPayload& payload);

class PayloadDigests {
 public:
  PayloadDigests(size_t payloads_max, size_t bytes_max);

  // The digests of the entries of `payload_bytes`, which `parsed` must be decoded from; hashed
  // now unless cached. The reference is valid until the next call that is not `Find`.
  const std::vector<std::string>& Of(const std::string& payload_bytes,
                                     const coalition::v1::BlockPayload& parsed);
  // The cached digests of `payload_bytes`, or null. Valid as for `Of`.
  const std::vector<std::string>* Find(const std::string& payload_bytes) const;
  // Drops `payload_bytes` (applied, or abandoned): it will not be asked for again.
  void Forget(const std::string& payload_bytes);

  size_t size() const { return slots_.size(); }
  size_t bytes() const { return bytes_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    std::string payload;
    std::vector<std::string> digests;
  };
  // The slot holding `payload_bytes`, or slots_.end().
  std::deque<Slot>::const_iterator FindSlot(const std::string& payload_bytes) const;

  const size_t payloads_max_;
  const size_t bytes_max_;
  std::deque<Slot> slots_;  // oldest first
  size_t bytes_ = 0;        // payload bytes held in slots_
  std::vector<std::string> uncached_;  // the answer for a payload larger than bytes_max
  mutable uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace coal::node

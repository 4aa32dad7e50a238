// Mempool: admitted (already verified) entries waiting to be proposed and committed.
// Deduplicates by entry digest, bounded by count and bytes (RESOURCE_EXHAUSTED when full: the
// client backs off). Entries handed to a proposal are leased, not removed: they return to the
// pool if not committed within `lease_ms`, and leave it when a committed block contains them.
//
// Thread-safe: gRPC handler threads add, the consensus thread takes and removes.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "coalition/v1/envelope.pb.h"

namespace coal::node {

class Mempool {
 public:
  Mempool(uint64_t entries_max, uint64_t bytes_max, int64_t lease_ms = 3000);

  // OK when added; ALREADY_EXISTS when the digest is pooled (or was recently committed);
  // RESOURCE_EXHAUSTED when full.
  absl::Status Add(const std::string& digest, const coalition::v1::Envelope& envelope,
                   uint64_t bytes);

  // Up to `entries_max` entries / `bytes_max` bytes in arrival order that are not leased and whose
  // digest is not in `exclude` (entries already in an uncommitted block the proposal extends);
  // leases them until now_ms + lease_ms.
  std::vector<coalition::v1::Envelope> Take(uint64_t entries_max, uint64_t bytes_max,
                                            int64_t now_ms,
                                            const absl::flat_hash_set<std::string>& exclude = {});

  // Marks digests as seen in a proposal by another leader (leases them, if present).
  void Lease(const std::vector<std::string>& digests, int64_t now_ms);

  // Ends the leases of these digests (their block left the chain uncommitted): Take offers them
  // again at once.
  void Release(const std::vector<std::string>& digests);

  // Removes committed entries and remembers their digests (bounded) so late forwards are ignored.
  void RemoveCommitted(const std::vector<std::string>& digests);

  bool Contains(const std::string& digest) const;
  uint64_t size() const;
  uint64_t bytes() const;

 private:
  struct Item {
    coalition::v1::Envelope envelope;
    uint64_t bytes = 0;
    uint64_t seq = 0;
    int64_t leased_until_ms = 0;
  };
  static constexpr size_t kRecentCommittedMax = 200'000;

  const uint64_t entries_max_;
  const uint64_t bytes_max_;
  const int64_t lease_ms_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<uint64_t, std::string>> order_ ABSL_GUARDED_BY(mu_);  // (seq, digest)
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<std::string> recent_committed_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> recent_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coal::node

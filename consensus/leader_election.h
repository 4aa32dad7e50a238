// Leader choice for a round, behind a small interface so a reputation-based scheme can replace
// round-robin later without touching the core. Implementations must be deterministic: every honest
// replica must compute the same leader for the same round from the same committed history.
//
// Thread safety: implementations are immutable after construction; const methods may be called
// from any thread.
#pragma once

#include <cstdint>

namespace coal::consensus {

class LeaderElection {
 public:
  virtual ~LeaderElection() = default;
  // The validator index that may propose in `round`. Must be < the validator count.
  virtual uint32_t Leader(uint64_t round) const = 0;
};

// leader(r) = r mod n (DESIGN §6).
class RoundRobinLeaderElection final : public LeaderElection {
 public:
  explicit RoundRobinLeaderElection(uint32_t validator_count) : n_(validator_count) {}
  uint32_t Leader(uint64_t round) const override { return static_cast<uint32_t>(round % n_); }

 private:
  uint32_t n_;
};

}  // namespace coal::consensus

// Byzantine replica behaviours for the simulator. A Byzantine replica runs an ordinary core; its
// outgoing messages pass through Transform, which rewrites them according to its behaviour, and
// the messages it receives pass through Observe. It signs only with its own key.
//
// Thread safety: none (owned by one Simulation).
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "coalition/v1/consensus.pb.h"
#include "consensus/sim/sim_keys.h"
#include "consensus/sim/simulation.h"

namespace coal::consensus::sim {

inline constexpr size_t kReplayBufferMax = 256;

class ByzantineBehaviour {
 public:
  using Outbox = std::vector<std::pair<uint32_t, coalition::v1::ConsensusMessage>>;

  ByzantineBehaviour(std::mt19937_64* rng, std::string chain_id, uint32_t n, const SimKeys* keys)
      : rng_(rng), chain_id_(std::move(chain_id)), n_(n), keys_(keys), nodes_(n) {}

  void Assign(uint32_t node, Byzantine b) { nodes_[node].kind = b; }
  Outbox Transform(uint32_t node, Outbox out);
  void Observe(uint32_t node, uint32_t from, const coalition::v1::ConsensusMessage& m);
  std::string Payload(uint32_t node, std::string payload);

 private:
  struct Node {
    Byzantine kind = Byzantine::kHonest;
    std::deque<coalition::v1::ConsensusMessage> seen;  // bounded by kReplayBufferMax
    Outbox extra;                                      // sent with the next Transform
  };
  uint64_t Rand(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(*rng_);
  }
  coalition::v1::Block Resign(uint32_t node, coalition::v1::Block b) const;
  coalition::v1::ConsensusMessage Mutate(const coalition::v1::ConsensusMessage& m);

  std::mt19937_64* rng_;
  std::string chain_id_;
  uint32_t n_;
  const SimKeys* keys_;
  std::vector<Node> nodes_;
};

}  // namespace coal::consensus::sim

// A deterministic simulator: n replicas of the consensus core in one process over a seeded fake
// network, clock and disk. Every random choice comes from one generator seeded by Options::seed,
// so a run replays exactly from (n, seed, ed25519).
//
// Faults (before global stabilization time, GST): message loss, duplication, reordering and delay;
// symmetric and asymmetric partitions that heal; crashes (also in the middle of carrying out an
// action bundle, losing what was not yet persisted) and restarts from the persisted state, each
// crash reported to the others as the transport's hint (Core::OnPeerUnreachable), and now and
// then a false hint about a live peer; slow nodes. Byzantine replicas (f by default) stay active
// for the whole run: silent, equivocating (two blocks or two votes in a round), voting for invalid
// blocks, sending malformed or wrongly signed messages, and replaying old messages.
//
// Checkers after every step: no two honest replicas commit different blocks at one height; each
// replica's committed log only grows by its next height with a valid commit proof; no honest
// replica sends two different votes in one round, even across restarts. Liveness: after GST every
// honest replica commits Options::liveness_blocks new blocks within Options::liveness_window_ms.
//
// Thread safety: a Simulation is single-threaded; separate instances are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "consensus/core.h"

namespace coal::consensus::sim {

enum class Byzantine : uint8_t { kHonest, kSilent, kEquivocate, kVoteInvalid, kGarbage, kReplay };
const char* ByzantineName(Byzantine b);

using CoreFactory = std::function<absl::StatusOr<std::unique_ptr<Core>>(const Config&, Recovery)>;

struct Options {
  uint32_t n = 4;
  uint64_t seed = 1;
  bool ed25519 = false;                 // real signatures (slower) instead of keyed SHA-256
  bool faults = true;                   // a random fault schedule before GST
  int byzantine = -1;                   // number of Byzantine replicas; -1 = f
  int64_t fault_phase_ms = 20000;       // GST
  int64_t liveness_window_ms = 150000;  // after GST
  uint64_t liveness_blocks = 3;         // new commits every honest replica must reach
  int64_t run_ms = 0;                   // > 0: run exactly this long (no liveness stop)
  int64_t base_timeout_ms = 1000;
  int64_t max_timeout_ms = 8000;
  int64_t delay_min_ms = 2;  // one-way delay after GST (and without faults)
  int64_t delay_max_ms = 40;
  uint64_t events_max = 20'000'000;  // a run that needs more is reported as a failure
  CoreFactory honest_factory;        // empty = Core::Create (tests inject broken cores)
};

struct Result {
  uint64_t seed = 0;
  uint32_t n = 0;
  bool safe = true;
  bool live = false;
  std::string violation;  // first safety violation, or why liveness failed
  std::string faults;     // one-line description of the fault schedule
  uint64_t events = 0;
  uint64_t messages = 0;
  uint64_t min_honest_height = 0;
  uint64_t max_honest_height = 0;
  int64_t liveness_ms = -1;  // time after GST until every honest replica progressed
  uint64_t rejected = 0;     // messages honest cores refused
  uint64_t restarts = 0;
  // Commit latency at honest replicas: from the proposer's block time to commit delivery.
  std::vector<int64_t> commit_latency_ms;
  std::vector<uint64_t> commit_latency_rounds;
  uint64_t last_round = 0;

  std::string Summary() const;
};

Result RunSimulation(const Options& options);

}  // namespace coal::consensus::sim

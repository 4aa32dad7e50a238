// The CI sweep of the deterministic simulator (DESIGN §6): at least 500 seeds across n = 4, 7 and
// 10, each with a random fault schedule and f Byzantine replicas; zero safety violations, and
// liveness after global stabilization. Environment:
//   COAL_SIM_SEEDS=100000       long sweep (split 50/30/20 over n = 4, 7, 10)
//   COAL_SIM_REPLAY=7:1234      replay exactly one run (n:seed), printing its summary
//   COAL_SIM_ED25519_EVERY=25   every k-th seed uses real Ed25519 signatures (default 25)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "consensus/sim/simulation.h"
#include "gtest/gtest.h"

namespace coal::consensus::sim {
namespace {

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

Options SweepOptions(uint32_t n, uint64_t seed) {
  Options o;
  o.n = n;
  o.seed = seed;
  const uint64_t every = EnvU64("COAL_SIM_ED25519_EVERY", 25);
  o.ed25519 = every > 0 && seed % every == 0;
  return o;
}

TEST(SimSweep, ReplayOne) {
  const char* replay = std::getenv("COAL_SIM_REPLAY");
  if (replay == nullptr) GTEST_SKIP() << "set COAL_SIM_REPLAY=n:seed";
  const std::string spec(replay);
  const auto colon = spec.find(':');
  ASSERT_NE(colon, std::string::npos);
  const Result r = RunSimulation(
      SweepOptions(std::stoul(spec.substr(0, colon)), std::stoull(spec.substr(colon + 1))));
  std::printf("%s\n", r.Summary().c_str());
  EXPECT_TRUE(r.safe);
  EXPECT_TRUE(r.live);
}

TEST(SimSweep, SafeAndLiveAcrossSeeds) {
  const uint64_t total = EnvU64("COAL_SIM_SEEDS", 500);
  const struct {
    uint32_t n;
    uint64_t seeds;
  } plan[] = {{4, total / 2}, {7, total * 3 / 10}, {10, total - total / 2 - total * 3 / 10}};
  const auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0, unsafe = 0, not_live = 0, events = 0, restarts = 0, rejected = 0;
  for (const auto& p : plan) {
    for (uint64_t seed = 1; seed <= p.seeds; ++seed) {
      const Result r = RunSimulation(SweepOptions(p.n, seed));
      ++runs;
      events += r.events;
      restarts += r.restarts;
      rejected += r.rejected;
      if (!r.safe) ++unsafe;
      if (r.safe && !r.live) ++not_live;
      if (!r.safe || !r.live) {
        ADD_FAILURE() << "replay with COAL_SIM_REPLAY=" << p.n << ":" << seed << "\n"
                      << r.Summary();
      }
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "sweep: %llu runs, %llu unsafe, %llu not live, %llu events, %llu restarts, "
      "%llu rejected messages, %.1f s\n",
      (unsigned long long)runs, (unsigned long long)unsafe, (unsigned long long)not_live,
      (unsigned long long)events, (unsigned long long)restarts, (unsigned long long)rejected, secs);
  EXPECT_EQ(unsafe, 0u);
  EXPECT_EQ(not_live, 0u);
}

}  // namespace
}  // namespace coal::consensus::sim

// A simulated WAN: 31 validators, 50-250 ms one-way delays, real Ed25519, no faults. Reports
// commit latency in rounds and in milliseconds of simulated time (proposer block time to commit
// delivery at each replica).
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "consensus/sim/simulation.h"
#include "gtest/gtest.h"

namespace coal::consensus::sim {
namespace {

template <typename T>
T Percentile(std::vector<T> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

TEST(SimWan, ThirtyOneValidatorsCommitLatency) {
  Options o;
  o.n = 31;
  o.seed = 31;
  o.ed25519 = true;
  o.faults = false;
  o.byzantine = 0;
  o.delay_min_ms = 50;
  o.delay_max_ms = 250;
  o.run_ms = 30'000;
  o.base_timeout_ms = 2000;
  o.max_timeout_ms = 16000;
  const Result r = RunSimulation(o);
  ASSERT_TRUE(r.safe) << r.Summary();
  ASSERT_FALSE(r.commit_latency_ms.empty()) << r.Summary();
  const double mean_ms =
      std::accumulate(r.commit_latency_ms.begin(), r.commit_latency_ms.end(), 0.0) /
      static_cast<double>(r.commit_latency_ms.size());
  std::printf(
      "WAN n=31 delays 50-250ms, 30 s simulated: heights %llu..%llu, last round %llu, "
      "%zu commit deliveries\n  latency ms: mean %.0f p50 %lld p90 %lld p99 %lld\n"
      "  latency rounds: p50 %llu p99 %llu max %llu\n",
      (unsigned long long)r.min_honest_height, (unsigned long long)r.max_honest_height,
      (unsigned long long)r.last_round, r.commit_latency_ms.size(), mean_ms,
      (long long)Percentile(r.commit_latency_ms, 0.5),
      (long long)Percentile(r.commit_latency_ms, 0.9),
      (long long)Percentile(r.commit_latency_ms, 0.99),
      (unsigned long long)Percentile(r.commit_latency_rounds, 0.5),
      (unsigned long long)Percentile(r.commit_latency_rounds, 0.99),
      (unsigned long long)Percentile(r.commit_latency_rounds, 1.0));
  // No timeouts on a fault-free WAN: one block per round, committed two rounds later.
  EXPECT_EQ(Percentile(r.commit_latency_rounds, 0.5), 2u);
  EXPECT_GE(r.min_honest_height + 3, r.last_round);
  EXPECT_LT(Percentile(r.commit_latency_ms, 0.99), 2000);
}

}  // namespace
}  // namespace coal::consensus::sim

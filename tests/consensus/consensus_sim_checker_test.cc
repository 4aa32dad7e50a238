// Proves the simulator's safety checker works: honest replicas running a deliberately broken
// voting rule (an off-by-one that lets a replica vote again in the round it last voted in) are
// caught as a safety violation within the CI sweep's seeds, and the failure replays exactly.
#include <cstdio>
#include <memory>

#include "consensus/core.h"
#include "consensus/sim/simulation.h"
#include "crypto/status_macros.h"
#include "gtest/gtest.h"

namespace coal::consensus::sim {
namespace {

class OffByOneVotingCore final : public Core {
 public:
  static absl::StatusOr<std::unique_ptr<Core>> Make(const Config& config, Recovery recovery) {
    auto core = std::unique_ptr<OffByOneVotingCore>(new OffByOneVotingCore(config));
    RETURN_IF_ERROR(core->Init(std::move(recovery)));
    return std::unique_ptr<Core>(std::move(core));
  }

 private:
  explicit OffByOneVotingCore(const Config& config) : Core(config) {}
  // BROKEN: `>=` where the rule says `>` (DESIGN §6: vote only if r > last_voted_round).
  bool VotingRuleAllows(const coalition::v1::Block& block, uint64_t lvr) const override {
    return Core::VotingRuleAllows(block, lvr > 0 ? lvr - 1 : 0);
  }
};

Options BrokenOptions(uint32_t n, uint64_t seed) {
  Options o;
  o.n = n;
  o.seed = seed;
  o.honest_factory = &OffByOneVotingCore::Make;
  return o;
}

TEST(SimChecker, BrokenVotingRuleIsCaughtWithinTheSweep) {
  // The same seeds (1..250 for n = 4) the CI sweep runs.
  uint64_t caught_seed = 0;
  Result caught;
  for (uint64_t seed = 1; seed <= 250 && caught_seed == 0; ++seed) {
    Result r = RunSimulation(BrokenOptions(4, seed));
    if (!r.safe) {
      caught_seed = seed;
      caught = r;
    }
  }
  ASSERT_NE(caught_seed, 0u) << "the checker missed a broken voting rule";
  std::printf("caught: %s\n", caught.Summary().c_str());
  EXPECT_NE(caught.violation.find("two different votes"), std::string::npos) << caught.violation;
  // The failing seed replays exactly.
  const Result again = RunSimulation(BrokenOptions(4, caught_seed));
  EXPECT_FALSE(again.safe);
  EXPECT_EQ(again.violation, caught.violation);
  EXPECT_EQ(again.events, caught.events);
  // And the correct rule is safe on that seed.
  Options ok = BrokenOptions(4, caught_seed);
  ok.honest_factory = nullptr;
  EXPECT_TRUE(RunSimulation(ok).safe);
}

}  // namespace
}  // namespace coal::consensus::sim

// Crash loops under load on a real 4-node devnet: a load client submits entries round-robin and
// records every acknowledged (committed) one; meanwhile a random node is SIGKILLed at a random
// moment and restarted, cycle after cycle. At the end an independent check reads every node's log:
// every acknowledged entry is at its acknowledged index on every node (zero lost, zero divergent).
//
// COAL_CRASH_CYCLES (default 30) and COAL_CRASH_SEED (default 1) set the run; thousands of cycles
// are a flag away: COAL_CRASH_CYCLES=2000 build/bin/crash_loop_test.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "tests/integration/devnet_fixture.h"
#include "tools/coalctl/devnet.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

class CrashLoopTest : public DevnetTest {};

TEST_F(CrashLoopTest, RandomKillsUnderLoadLoseNothing) {
  const int cycles = EnvInt("COAL_CRASH_CYCLES", 30);
  const int seed = EnvInt("COAL_CRASH_SEED", 1);
  StartDevnet();
  auto key = MemberKey("cloud-a");

  Load load(this, key.get(), 4);

  std::mt19937 rng(seed);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int victim = static_cast<int>(rng() % 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 900));  // a random moment
    ASSERT_TRUE(tools::DevnetKillNode(dir_, victim).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 500));
    ASSERT_TRUE(tools::DevnetStartNode(dir_, victim, BinDir() + "/coalition-node").ok());
    ASSERT_TRUE(WaitFor([&] { return Status(victim).ok(); }, 30s))
        << "cycle " << cycle << ": node " << victim << " did not come back\n"
        << NodeLog(victim);
  }
  load.Stop();
  const auto acked = load.acked();
  const uint64_t needed = CoveringSize(acked);
  std::printf("crash loop: %d cycles, %zu entries acknowledged of %llu submissions\n", cycles,
              acked.size(), static_cast<unsigned long long>(load.attempts()));
  ASSERT_GT(acked.size(), static_cast<size_t>(cycles)) << "the load made too little progress";
  // Every node converges to one tree and holds every acknowledged entry at its index.
  ASSERT_TRUE(WaitConverged(needed, 60s)) << Trees();
  EXPECT_EQ(MissingAcknowledged(acked), 0u)
      << "acknowledged entries missing or different (summed over 4 nodes)";
}

}  // namespace
}  // namespace coal::testing

// Bursts of load, again and again, on a real 4-node devnet. The stall found while benchmarking
// (issue 4: a node left holding blocks that waited for a parent nobody fetched, out of the live
// protocol until restarted) showed after a burst of load. After every burst: all nodes hold one
// tree with every acknowledged entry, none holds a pending block or a fetch in flight, and an
// entry submitted to each node in turn commits.
//
// COAL_SOAK_CYCLES (default 4) bursts of COAL_SOAK_ENTRIES (default 300) acknowledged entries
// from COAL_SOAK_CLIENTS (default 32) clients; a long soak is a flag away:
// COAL_SOAK_CYCLES=500 COAL_SOAK_CLIENTS=64 build/bin/soak_test.
#include <algorithm>
#include <string>

#include "tests/integration/devnet_fixture.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

class SoakTest : public DevnetTest {};

TEST_F(SoakTest, BurstsOfLoadLeaveNoNodeBehind) {
  const int cycles = EnvInt("COAL_SOAK_CYCLES", 4);
  const int clients = EnvInt("COAL_SOAK_CLIENTS", 32);
  const size_t entries = static_cast<size_t>(EnvInt("COAL_SOAK_ENTRIES", 300));
  StartDevnet();
  auto key = MemberKey("cloud-a");
  for (int cycle = 0; cycle < cycles; ++cycle) {
    uint64_t last_index = 0;
    {
      Load load(this, key.get(), clients);
      ASSERT_TRUE(WaitFor([&] { return load.acked().size() >= entries; }, 60s))
          << "cycle " << cycle << ": " << load.acked().size() << " acknowledged" << Trees();
      load.Stop();
      for (const auto& a : load.acked()) last_index = std::max(last_index, a.index);
    }
    ASSERT_TRUE(WaitConverged(last_index + 1, 30s)) << "cycle " << cycle << Trees();
    for (int i = 0; i < 4; ++i) {
      std::string page;
      EXPECT_TRUE(WaitFor(
          [&] {
            page = MetricsPage(i);
            return !page.empty() && MetricValue(page, "coal_consensus_pending_blocks") == 0 &&
                   MetricValue(page, "coal_consensus_fetches") == 0;
          },
          10s))
          << "cycle " << cycle << ": node " << i << " is out of step:\n"
          << "pending " << MetricValue(page, "coal_consensus_pending_blocks") << ", fetches "
          << MetricValue(page, "coal_consensus_fetches") << "\n"
          << NodeLog(i);
    }
    for (int i = 0; i < 4; ++i) {
      coalition::v1::SubmitResponse resp;
      const auto st = Submit(i, Attestation(*key, "cloud-a", "after-burst"), true, &resp, 10000);
      ASSERT_TRUE(st.ok()) << "cycle " << cycle << ", node " << i << ": " << st.error_message()
                           << Trees();
      EXPECT_TRUE(resp.committed());
    }
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace coal::testing

// Network faults between real processes: a 4-node devnet whose every directed peer link i -> j
// runs through its own FaultProxy (node i's config [peer_dial] points at the proxy), so links can
// be delayed, cut, blackholed and healed one by one while clients talk to the nodes directly.
// Scenarios: the current leader isolated; one node blackholed; a 2|2 split and a full isolation,
// in which nothing may commit; links flapping under load with latency. After each, the links heal
// and every node must converge to one tree within a deadline, holding every acknowledged entry.
//
// COAL_FLAP_CYCLES (default 40) and COAL_FLAP_SEED (default 1) size the flapping run.
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/devnet_fixture.h"
#include "tests/integration/fault_proxy.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;
using Mode = FaultProxy::Mode;

constexpr int kNodes = 4;

int PortOf(const std::string& addr) { return std::atoi(addr.substr(addr.rfind(':') + 1).c_str()); }

class PartitionTest : public DevnetTest {
 protected:
  void SetUp() override {
    StartDevnet(kNodes, "", [this](int i, node::NodeConfig* config) {
      if (links_.empty()) {
        // First call: one proxy per directed link, towards each node's peer port.
        links_.resize(kNodes);
        for (int to = 0; to < kNodes; ++to) {
          auto peer = node::LoadNodeConfig(dir_ + "/node-" + std::to_string(to) + "/node.toml");
          ASSERT_TRUE(peer.ok()) << peer.status();
          for (int from = 0; from < kNodes; ++from) {
            links_[from].resize(kNodes);
            if (from != to) {
              links_[from][to] = std::make_unique<FaultProxy>(PortOf(peer->peer_listen));
            }
          }
        }
      }
      for (int to = 0; to < kNodes; ++to) {
        if (to != i) config->peer_dial["node-" + std::to_string(to)] = links_[i][to]->addr();
      }
    });
    ASSERT_FALSE(HasFatalFailure());
    key_ = MemberKey("cloud-a");
  }

  void TearDown() override {
    DevnetTest::TearDown();  // the nodes first, then their links
    links_.clear();
  }

  // Both directions of the link between a and b.
  void SetLink(int a, int b, Mode mode) {
    links_[a][b]->SetMode(mode);
    links_[b][a]->SetMode(mode);
  }
  void Isolate(int node, Mode mode) {
    for (int other = 0; other < kNodes; ++other) {
      if (other != node) SetLink(node, other, mode);
    }
  }
  void SetAll(Mode mode) {
    for (int a = 0; a < kNodes; ++a) {
      for (int b = a + 1; b < kNodes; ++b) SetLink(a, b, mode);
    }
  }
  void HealAll() {
    SetAll(Mode::kPass);
    for (auto& row : links_) {
      for (auto& l : row) {
        if (l) l->SetDelay(0ms);
      }
    }
  }

  uint64_t Size(int node) {
    auto s = Status(node);
    return s.ok() ? s->tree_size() : 0;
  }

  // Submits `count` entries through `node`, each waiting for its commit; returns how many
  // committed.
  int SubmitCommitted(int node, int count, const std::string& tag, int deadline_ms = 15000) {
    int committed = 0;
    for (int k = 0; k < count; ++k) {
      coalition::v1::SubmitResponse resp;
      auto st = Submit(node, Attestation(*key_, "cloud-a", tag + "-" + std::to_string(k)), true,
                       &resp, deadline_ms);
      if (st.ok() && resp.committed()) ++committed;
    }
    return committed;
  }

  std::vector<std::vector<std::unique_ptr<FaultProxy>>> links_;  // links_[from][to]
  std::unique_ptr<crypto::Ed25519Signer> key_;
};

// The leader of the round in progress loses every link mid-round: the other three time the round
// out, elect the next leaders and keep committing; the isolated node gains nothing meanwhile and,
// once healed, catches up to the same tree.
TEST_F(PartitionTest, IsolatedLeaderIsReplacedAndCatchesUp) {
  ASSERT_EQ(SubmitCommitted(0, 2, "warm"), 2);
  ASSERT_TRUE(WaitConverged(Size(0), 15s)) << Trees();  // so nothing in flight can land later
  auto st = Status(0);
  ASSERT_TRUE(st.ok());
  const int leader = static_cast<int>(st->round() % kNodes);
  Isolate(leader, Mode::kCut);
  const uint64_t isolated_size = Size(leader);
  const int via = (leader + 1) % kNodes;
  EXPECT_EQ(SubmitCommitted(via, 5, "no-leader"), 5) << Trees();
  const uint64_t majority_size = Size(via);
  // Cut off, the old leader applies nothing more.
  EXPECT_EQ(Size(leader), isolated_size) << "leader " << leader << Trees();
  EXPECT_LT(isolated_size, majority_size) << Trees();
  HealAll();
  ASSERT_TRUE(WaitConverged(majority_size, 30s)) << "leader " << leader << Trees();
  EXPECT_EQ(SubmitCommitted(leader, 2, "after-heal"), 2) << Trees();
}

// A node whose links silently drop every byte (no reset) is a minority of one: the rest commit;
// when the links come back it rejoins and converges.
TEST_F(PartitionTest, BlackholedNodeRejoins) {
  Isolate(3, Mode::kBlackhole);
  EXPECT_EQ(SubmitCommitted(1, 5, "blackhole"), 5) << Trees();
  EXPECT_GT(links_[3][0]->bytes_dropped() + links_[0][3]->bytes_dropped(), 0u);
  const uint64_t size = Size(1);
  EXPECT_LT(Size(3), size);
  HealAll();
  ASSERT_TRUE(WaitConverged(size, 30s)) << Trees();
  EXPECT_EQ(SubmitCommitted(3, 2, "rejoined"), 2) << Trees();
}

// No side of a 2|2 split, and no node of a full isolation, holds a quorum (3 of 4): nothing
// commits, nothing forks. On healing, the entry submitted during the split commits and all four
// nodes agree.
TEST_F(PartitionTest, NoQuorumCommitsNothingThenHeals) {
  ASSERT_EQ(SubmitCommitted(0, 1, "before"), 1);
  ASSERT_TRUE(WaitConverged(Size(0), 15s)) << Trees();
  uint64_t before = Size(0);
  for (const bool full : {false, true}) {
    SCOPED_TRACE(full ? "full isolation" : "2|2 split");
    if (full) {
      SetAll(Mode::kCut);
    } else {
      SetLink(0, 2, Mode::kCut);
      SetLink(0, 3, Mode::kCut);
      SetLink(1, 2, Mode::kCut);
      SetLink(1, 3, Mode::kCut);
    }
    // A submit during the split is admitted but cannot commit within its deadline.
    coalition::v1::SubmitResponse resp;
    const auto env = Attestation(*key_, "cloud-a", full ? "isolated" : "split");
    auto st = Submit(0, env, true, &resp, 2500);
    EXPECT_FALSE(st.ok() && resp.committed()) << "committed without a quorum" << Trees();
    for (int i = 0; i < kNodes; ++i) EXPECT_EQ(Size(i), before) << "node " << i << Trees();
    HealAll();
    // The pooled entry commits after healing; its retry is idempotent and acknowledges it.
    ASSERT_TRUE(WaitFor(
        [&] {
          coalition::v1::SubmitResponse r;
          return Submit(0, env, true, &r, 3000).ok() && r.committed();
        },
        30s))
        << Trees();
    ASSERT_TRUE(WaitConverged(before + 1, 30s)) << Trees();
    EXPECT_EQ(Size(0), before + 1) << Trees();
    ++before;
  }
}

// Links flap one at a time (cut, blackholed or given 0-80 ms latency for 50-350 ms, then healed)
// while four clients submit; then everything heals and every node must hold every acknowledged
// entry.
TEST_F(PartitionTest, FlappingLinksUnderLoadLoseNothing) {
  const int cycles = EnvInt("COAL_FLAP_CYCLES", 40);
  std::mt19937 rng(static_cast<uint32_t>(EnvInt("COAL_FLAP_SEED", 1)));
  Load load(this, key_.get(), 4);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int a = static_cast<int>(rng() % kNodes);
    const int b = (a + 1 + static_cast<int>(rng() % (kNodes - 1))) % kNodes;
    switch (rng() % 3) {
      case 0:
        SetLink(a, b, Mode::kCut);
        break;
      case 1:
        SetLink(a, b, Mode::kBlackhole);
        break;
      default:
        links_[a][b]->SetDelay(std::chrono::milliseconds(rng() % 80));
        links_[b][a]->SetDelay(std::chrono::milliseconds(rng() % 80));
        break;
    }
    // The fault schedule itself: hold the fault for a random time, then heal that link.
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 300));
    SetLink(a, b, Mode::kPass);
    links_[a][b]->SetDelay(0ms);
    links_[b][a]->SetDelay(0ms);
  }
  HealAll();
  load.Stop();
  const auto acked = load.acked();
  const uint64_t needed = CoveringSize(acked);
  std::printf("flapping: %d cycles, %zu entries acknowledged of %llu submissions\n", cycles,
              acked.size(), static_cast<unsigned long long>(load.attempts()));
  EXPECT_GT(acked.size(), 0u) << "the load made no progress";
  ASSERT_TRUE(WaitConverged(needed, 60s)) << Trees();
  EXPECT_EQ(MissingAcknowledged(acked), 0u) << "acknowledged entries lost or divergent";
}

}  // namespace
}  // namespace coal::testing

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

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

struct Acked {
  uint64_t index;
  std::string digest;
};

class CrashLoopTest : public DevnetTest {};

TEST_F(CrashLoopTest, RandomKillsUnderLoadLoseNothing) {
  const int cycles = EnvInt("COAL_CRASH_CYCLES", 30);
  const int seed = EnvInt("COAL_CRASH_SEED", 1);
  StartDevnet();
  auto key = MemberKey("cloud-a");

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Acked> acked;
  std::atomic<uint64_t> attempts{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      int node = c;
      for (uint64_t i = 0; !stop.load(); ++i) {
        // Each envelope is built once and retried on other nodes until acknowledged or given up:
        // a retry of the same digest is idempotent.
        const auto env =
            Attestation(*key, "cloud-a", "c" + std::to_string(c) + "-" + std::to_string(i));
        for (int tries = 0; tries < 8 && !stop.load(); ++tries) {
          attempts.fetch_add(1);
          coalition::v1::SubmitResponse resp;
          auto st = Submit(node, env, true, &resp, 5000);
          node = (node + 1) % 4;
          if (st.ok() && resp.committed()) {
            std::lock_guard lock(mu);
            acked.push_back({resp.log_index(), crypto::EnvelopeDigest(env)});
            break;
          }
        }
      }
    });
  }

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
  stop.store(true);
  for (auto& t : clients) t.join();

  uint64_t needed = 0;
  for (const auto& a : acked) needed = std::max(needed, a.index + 1);
  std::printf("crash loop: %d cycles, %zu entries acknowledged of %llu submissions\n", cycles,
              acked.size(), static_cast<unsigned long long>(attempts.load()));
  ASSERT_GT(acked.size(), static_cast<size_t>(cycles)) << "the load made too little progress";
  // Every node converges to one tree...
  ASSERT_TRUE(WaitFor(
      [&] {
        std::set<std::string> roots;
        for (int i = 0; i < 4; ++i) {
          auto s = Status(i);
          if (!s.ok() || s->tree_size() < needed) return false;
          roots.insert(std::to_string(s->tree_size()) + ":" + ToHex(s->root()));
        }
        return roots.size() == 1;
      },
      60s));
  // ...and holds every acknowledged entry at its acknowledged index.
  size_t lost = 0;
  for (int i = 0; i < 4; ++i) {
    for (const auto& a : acked) {
      coalition::v1::GetEntryRequest req;
      req.set_log_index(a.index);
      coalition::v1::GetEntryResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 5s);
      auto st = stubs_[i]->GetEntry(&ctx, req, &resp);
      if (!st.ok() || crypto::EnvelopeDigest(resp.record().envelope()) != a.digest) ++lost;
    }
  }
  EXPECT_EQ(lost, 0u) << "acknowledged entries missing or different (summed over 4 nodes)";
}

}  // namespace
}  // namespace coal::testing

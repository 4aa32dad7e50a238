// Floods stay bounded on a real devnet. Node 0 runs with a 32-entry mempool and a 64-message
// queue per peer; node 3 is killed, so everything node 0 sends it piles up. Eight clients then
// submit 800 entries to node 0 as fast as they can, without waiting: the mempool never holds more
// than its limit, the excess is refused with RESOURCE_EXHAUSTED (and never reaches the log), every
// admitted entry commits, the queue towards the dead peer stays at its limit, dropping the oldest,
// and node 0 stays up throughout.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/dsse.h"
#include "tests/integration/devnet_fixture.h"
#include "tools/coalctl/devnet.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMempoolMax = 32;
constexpr uint64_t kPeerQueueMax = 64;
constexpr int kClients = 8;
constexpr int kPerClient = 100;

class FloodTest : public DevnetTest {};

TEST_F(FloodTest, MempoolAndPeerQueuesStayBounded) {
  StartDevnet(4, "", [](int i, node::NodeConfig* config) {
    if (i != 0) return;
    config->limits.mempool_entries_max = kMempoolMax;
    config->limits.peer_queue_max = kPeerQueueMax;
  });
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(tools::DevnetKillNode(dir_, 3).ok());
  auto key = MemberKey("cloud-a");

  std::mutex mu;
  std::vector<std::string> admitted, refused;
  std::vector<std::string> other_errors;
  std::atomic<bool> flooding{true};
  std::atomic<uint64_t> max_pool{0};
  std::thread sampler([&] {  // bounded by the flood: stops when the clients are done
    while (flooding.load()) {
      auto s = Status(0);
      if (s.ok()) max_pool.store(std::max(max_pool.load(), s->mempool_entries()));
    }
  });
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int k = 0; k < kPerClient; ++k) {
        const auto env =
            Attestation(*key, "cloud-a", "flood-" + std::to_string(c) + "-" + std::to_string(k));
        coalition::v1::SubmitResponse resp;
        const auto st = Submit(0, env, false, &resp, 5000);
        std::lock_guard lock(mu);
        if (st.ok()) {
          admitted.push_back(crypto::EnvelopeDigest(env));
        } else if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                   st.error_message().find("mempool full") != std::string::npos) {
          refused.push_back(crypto::EnvelopeDigest(env));
        } else {
          other_errors.push_back(std::to_string(st.error_code()) + " " + st.error_message());
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  flooding.store(false);
  sampler.join();

  std::printf("flood: %zu admitted, %zu refused (mempool full), max mempool seen %llu of %llu\n",
              admitted.size(), refused.size(), static_cast<unsigned long long>(max_pool.load()),
              static_cast<unsigned long long>(kMempoolMax));
  EXPECT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_GT(refused.size(), 0u) << "the flood never filled the mempool";
  EXPECT_LE(max_pool.load(), kMempoolMax);
  ASSERT_TRUE(Status(0).ok()) << NodeLog(0);

  // Every admitted entry commits; no refused one is in the log.
  auto in_log = [&](const std::string& digest) {
    coalition::v1::GetEntryRequest req;
    req.set_digest(digest);
    coalition::v1::GetEntryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    return stubs_[0]->GetEntry(&ctx, req, &resp).ok();
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& d : admitted) {
          if (!in_log(d)) return false;
        }
        return true;
      },
      120s))
      << "admitted entries did not all commit; " << Trees();
  for (const auto& d : refused) EXPECT_FALSE(in_log(d)) << "a refused entry was committed";

  // The queue towards the dead node 3 is full, not growing: the oldest messages were dropped.
  const std::string peer = "{peer=\"" + nodes_[3].id + "\"}";
  ASSERT_TRUE(WaitFor(
      [&] { return MetricValue(MetricsPage(0), "coal_peer_send_dropped_total" + peer) > 0; }, 60s))
      << MetricsPage(0);
  const std::string page = MetricsPage(0);
  EXPECT_LE(MetricValue(page, "coal_peer_queue_messages" + peer), kPeerQueueMax) << page;
}

}  // namespace
}  // namespace coal::testing

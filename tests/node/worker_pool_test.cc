// WorkerPool: bounded queue, ParallelFor covers every index exactly once and returns only when
// all are done, even with every worker busy and the queue full.
#include "node/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace coal::node {
namespace {

// A latch the test opens when it decides: holds workers busy without sleeping.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(WorkerPoolTest, ParallelForRunsEveryIndexExactlyOnce) {
  WorkerPool pool(3, 16);
  std::vector<std::atomic<int>> seen(1000);
  std::set<std::thread::id> threads;
  std::mutex mu;
  pool.ParallelFor(seen.size(), [&](size_t i) {
    seen[i].fetch_add(1);
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << "index " << i;
  EXPECT_GE(threads.size(), 1u);
  pool.ParallelFor(0, [&](size_t) { FAIL() << "no index to run"; });
}

TEST(WorkerPoolTest, QueueIsBoundedAndParallelForStillFinishesWhenWorkersAreBusy) {
  WorkerPool pool(1, 2);
  Gate gate;
  std::atomic<bool> running{false};
  ASSERT_TRUE(pool.TrySubmit([&] {
    running = true;
    gate.Wait();
  }));
  // Wait (bounded) until the single worker holds the first task, so the queue counts are exact.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!running && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(running.load());
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([&] { ran.fetch_add(1); }));
  EXPECT_TRUE(pool.TrySubmit([&] { ran.fetch_add(1); }));
  EXPECT_FALSE(pool.TrySubmit([&] { ran.fetch_add(100); }));  // full: refused, never runs
  EXPECT_EQ(pool.queued(), 2u);
  // The only worker is blocked and the queue is full: the caller does all the work itself.
  std::atomic<int> sum{0};
  pool.ParallelFor(50, [&](size_t i) { sum.fetch_add(static_cast<int>(i)); });
  EXPECT_EQ(sum.load(), 49 * 50 / 2);
  gate.Open();
  const auto done_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ran.load() < 2 && std::chrono::steady_clock::now() < done_by) std::this_thread::yield();
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace coal::node

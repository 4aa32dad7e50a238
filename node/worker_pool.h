// WorkerPool: a fixed set of threads for CPU-bound work the replica spreads over the cores — the
// Ed25519 checks of the entries in blocks fetched during catch-up (limits.verify_threads).
//
// Thread-safe. Destruction stops the threads after the task each is running; queued tasks that
// have not started are dropped (ParallelFor does not depend on them: its caller claims whatever
// work no pool thread took).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace coal::node {

class WorkerPool {
 public:
  // `threads` >= 1; at most `queue_max` tasks wait (TrySubmit refuses beyond).
  WorkerPool(size_t threads, size_t queue_max);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` dropped) when the queue is full.
  bool TrySubmit(std::function<void()> task);

  // Runs fn(0) .. fn(n-1) on the pool's threads and the caller's, returning when all are done.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

  size_t threads() const { return threads_.size(); }
  size_t queued() const;

 private:
  void Run();

  const size_t queue_max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace coal::node

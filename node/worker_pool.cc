#include "node/worker_pool.h"

#include <atomic>
#include <memory>

namespace coal::node {

WorkerPool::WorkerPool(size_t threads, size_t queue_max) : queue_max_(queue_max) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    tasks_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || tasks_.size() >= queue_max_) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // Work is claimed index by index; the caller claims too, so this finishes even when every
  // pool thread is busy or the queue is full.
  struct Shared {
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;  // guarded by mu
  };
  auto shared = std::make_shared<Shared>();
  const size_t total = n;
  auto drain = [shared, total, &fn] {
    size_t finished = 0;
    for (size_t i = shared->next.fetch_add(1); i < total; i = shared->next.fetch_add(1)) {
      fn(i);
      ++finished;
    }
    if (finished == 0) return;
    std::lock_guard lock(shared->mu);
    shared->done += finished;
    if (shared->done == total) shared->cv.notify_all();
  };
  // `fn` is referenced by helpers, so the caller must not return before every claimed index
  // is done: it waits for done == n below, and indexes are claimed only below n.
  for (size_t i = 1; i < std::min(n, threads_.size() + 1); ++i) (void)TrySubmit(drain);
  drain();
  std::unique_lock lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->done == total; });
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void WorkerPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (stop_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace coal::node

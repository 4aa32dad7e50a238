// A small metrics registry rendered in the Prometheus text format (version 0.0.4): counters,
// gauges, labelled counters and one histogram type. Thread-safe: values are atomics; creating a
// labelled series takes a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace coal::node {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  std::string Render(const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};
};

class Metrics {
 public:
  Metrics();
  std::atomic<uint64_t>& Counter(const std::string& name, const std::string& help);
  std::atomic<int64_t>& Gauge(const std::string& name, const std::string& help);
  // A counter with one label, e.g. rejected entries by reason.
  std::atomic<uint64_t>& Labelled(const std::string& name, const std::string& label,
                                  const std::string& value, const std::string& help);
  Histogram& commit_latency_ms() { return commit_latency_ms_; }
  std::string Render() const;

 private:
  struct Series {
    std::string help;
    std::string type;
    std::unique_ptr<std::atomic<uint64_t>> counter;
    std::unique_ptr<std::atomic<int64_t>> gauge;
    std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>> labelled;  // "k=\"v\"" -> n
  };
  mutable std::mutex mu_;
  std::map<std::string, Series> series_;  // guarded by mu_
  Histogram commit_latency_ms_;
};

}  // namespace coal::node

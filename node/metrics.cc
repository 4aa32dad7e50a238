#include "node/metrics.h"

#include <sstream>

namespace coal::node {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1);
  count_.fetch_add(1);
  sum_micro_.fetch_add(static_cast<uint64_t>(v * 1000.0));
}

std::string Histogram::Render(const std::string& name) const {
  std::ostringstream out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load();
    out << name << "_bucket{le=\"" << bounds_[i] << "\"} " << cumulative << "\n";
  }
  cumulative += buckets_[bounds_.size()].load();
  out << name << "_bucket{le=\"+Inf\"} " << cumulative << "\n";
  out << name << "_sum " << static_cast<double>(sum_micro_.load()) / 1000.0 << "\n";
  out << name << "_count " << count_.load() << "\n";
  return out.str();
}

Metrics::Metrics() : commit_latency_ms_({1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}) {}

std::atomic<uint64_t>& Metrics::Counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& s = series_[name];
  if (!s.counter) {
    s.help = help;
    s.type = "counter";
    s.counter = std::make_unique<std::atomic<uint64_t>>(0);
  }
  return *s.counter;
}

std::atomic<int64_t>& Metrics::Gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& s = series_[name];
  if (!s.gauge) {
    s.help = help;
    s.type = "gauge";
    s.gauge = std::make_unique<std::atomic<int64_t>>(0);
  }
  return *s.gauge;
}

std::atomic<uint64_t>& Metrics::Labelled(const std::string& name, const std::string& label,
                                         const std::string& value, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& s = series_[name];
  s.help = help;
  // Labelled series are counters, except 0/1 states named *_connected / *_up.
  const bool state = name.ends_with("_connected") || name.ends_with("_up");
  s.type = state ? "gauge" : "counter";
  std::string escaped;
  for (char c : value) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  auto& slot = s.labelled[label + "=\"" + escaped + "\""];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  return *slot;
}

std::string Metrics::Render() const {
  std::ostringstream out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, s] : series_) {
      out << "# HELP " << name << " " << s.help << "\n# TYPE " << name << " " << s.type << "\n";
      if (s.counter) out << name << " " << s.counter->load() << "\n";
      if (s.gauge) out << name << " " << s.gauge->load() << "\n";
      for (const auto& [labels, v] : s.labelled) {
        out << name << "{" << labels << "} " << v->load() << "\n";
      }
    }
  }
  out << "# HELP coal_commit_latency_ms Submit-to-commit latency of entries admitted here\n"
      << "# TYPE coal_commit_latency_ms histogram\n"
      << commit_latency_ms_.Render("coal_commit_latency_ms");
  return out.str();
}

}  // namespace coal::node

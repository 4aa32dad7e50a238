// coalition-bench: a native gRPC load generator. N concurrent clients each submit signed
// Attestation entries of a given payload size to the nodes (round-robin) and wait for commit;
// prints throughput, p50/p99/p999 commit latency and CPU used. Bounded by --duration-s and
// --max-entries; targets loopback devnets only. Every --progress-s seconds a progress line goes to
// stderr (stdout stays one JSON object with --json).
//
//   coalition-bench --node 127.0.0.1:7000,127.0.0.1:7001 --key keys/cloud-a.key --clients 64
//                   --payload-bytes 512 --duration-s 10 [--json]
#include <grpcpp/alarm.h>
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/synchronization/mutex.h"
#include "coalition/v1/domain.pb.h"
#include "coalition/v1/services.grpc.pb.h"
#include "crypto/dsse.h"
#include "crypto/key_file.h"
#include "tools/coalctl/client.h"

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's Abseil keeps the debug-only lock-order graph on, and gRPC's mutexes pay for it on
  // every lock (2-3% of the bench's CPU here, ~1% of a node's). Release builds turn it off; debug
  // builds and tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  CLI::App app{"coalition-bench: commit throughput and latency against a running cluster"};
  std::string nodes_arg, key_file, member;
  int clients = 64, payload_bytes = 512, duration_s = 10, deadline_ms = 30000, progress_s = 5;
  uint64_t max_entries = 10'000'000;
  bool json = false;
  app.add_option("--node", nodes_arg, "comma-separated client addresses")->required();
  app.add_option("--key", key_file, "member key file")->required();
  app.add_option("--as", member, "member id (default: key file name)");
  app.add_option("--clients", clients, "concurrent clients")->check(CLI::Range(1, 1024));
  app.add_option("--payload-bytes", payload_bytes, "attestation body size")
      ->check(CLI::Range(0, 60000));
  app.add_option("--duration-s", duration_s, "seconds of load")->check(CLI::Range(1, 3600));
  app.add_option("--max-entries", max_entries, "stop after this many submissions");
  app.add_option("--deadline-ms", deadline_ms, "per-submission deadline");
  app.add_option("--progress-s", progress_s, "seconds between progress lines on stderr (0: none)")
      ->check(CLI::Range(0, 3600));
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  if (member.empty()) member = std::filesystem::path(key_file).stem().string();

  auto signer = coal::crypto::LoadKeyFile(key_file);
  if (!signer.ok()) {
    std::cerr << "coalition-bench: " << signer.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> addrs;
  for (size_t pos = 0; pos <= nodes_arg.size();) {
    const size_t comma = std::min(nodes_arg.find(',', pos), nodes_arg.size());
    if (comma > pos) addrs.push_back(nodes_arg.substr(pos, comma - pos));
    pos = comma + 1;
  }
  std::vector<std::unique_ptr<coalition::v1::LedgerService::Stub>> stubs;
  for (const auto& a : addrs)
    stubs.push_back(coalition::v1::LedgerService::NewStub(coal::tools::Connect(a)));
  auto status = coal::tools::FetchStatus(*stubs[0]);
  if (!status.ok()) {
    std::cerr << "coalition-bench: cannot reach " << addrs[0] << ": " << status.status().message()
              << "\n";
    return 1;
  }
  const std::string chain_id = status->chain_id();

  std::atomic<uint64_t> submitted{0}, committed{0}, failed{0};
  std::mutex lat_mu;
  std::vector<double> latencies;
  std::map<std::string, uint64_t> errors;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(duration_s);
  const double cpu0 = CpuSeconds();

  // Each client is a chain of asynchronous calls (gRPC's callback API): a call's completion signs
  // and sends the next one, so no thread per client sits blocked and the bench takes less of the
  // CPU it shares with the nodes. A client ends when the time or --max-entries is up.
  struct Client {
    coalition::v1::LedgerService::Stub* stub = nullptr;
    std::string body;
    std::unique_ptr<grpc::ClientContext> ctx;
    coalition::v1::SubmitRequest req;
    coalition::v1::SubmitResponse resp;
    std::chrono::steady_clock::time_point t0;
    grpc::Alarm backoff;
    std::vector<double> latencies;
  };
  std::vector<Client> pool(static_cast<size_t>(clients));
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  int running = clients;
  std::function<void(Client&)> send = [&](Client& c) {
    if (std::chrono::steady_clock::now() >= end || submitted.fetch_add(1) >= max_entries) {
      {
        std::lock_guard lock(lat_mu);
        latencies.insert(latencies.end(), c.latencies.begin(), c.latencies.end());
      }
      std::lock_guard lock(progress_mu);
      if (--running == 0) progress_cv.notify_all();
      return;
    }
    randombytes_buf(c.body.data(), c.body.size());
    coalition::v1::Attestation att;
    coal::tools::FillHeaderDefaults(att.mutable_header(), member, chain_id);
    att.set_subject("bench");
    att.set_body(c.body);
    *c.req.mutable_envelope() =
        coal::crypto::MakeEnvelope(**signer, "coalition.v1.Attestation", att.SerializeAsString());
    c.req.set_wait_for_commit(true);
    c.resp.Clear();
    c.ctx = std::make_unique<grpc::ClientContext>();
    c.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    c.t0 = std::chrono::steady_clock::now();
    c.stub->async()->Submit(c.ctx.get(), &c.req, &c.resp, [&, client = &c](grpc::Status st) {
      Client& me = *client;
      const auto t1 = std::chrono::steady_clock::now();
      if (st.ok() && me.resp.committed()) {
        committed.fetch_add(1);
        me.latencies.push_back(std::chrono::duration<double, std::milli>(t1 - me.t0).count());
        return send(me);
      }
      failed.fetch_add(1);
      {
        std::lock_guard lock(lat_mu);
        errors[st.ok() ? "not committed" : st.error_message()]++;
      }
      if (!st.ok() && st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        // Back-pressure: try again in 5 ms, without holding one of gRPC's threads.
        me.backoff.Set(std::chrono::system_clock::now() + std::chrono::milliseconds(5),
                       [&send, client](bool) { send(*client); });
        return;
      }
      send(me);
    });
  };
  for (size_t i = 0; i < pool.size(); ++i) {
    pool[i].stub = stubs[i % stubs.size()].get();
    pool[i].body.assign(static_cast<size_t>(payload_bytes), '\0');
    send(pool[i]);
  }

  // Wait for every client to end, with a progress line on stderr every --progress-s seconds.
  {
    std::unique_lock lock(progress_mu);
    const auto step = std::chrono::seconds(progress_s > 0 ? progress_s : duration_s + 3600);
    for (auto next = start + step;
         !progress_cv.wait_until(lock, next, [&] { return running == 0; }); next += step) {
      const double t =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cerr << "coalition-bench: " << static_cast<int>(t) << "/" << duration_s
                << " s, committed " << committed.load() << " ("
                << static_cast<int>(static_cast<double>(committed.load()) / t) << "/s), failed "
                << failed.load() << "\n";
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu0;
  const double p50 = Percentile(latencies, 0.50);
  const double p99 = Percentile(latencies, 0.99);
  const double p999 = Percentile(latencies, 0.999);
  const double throughput = static_cast<double>(committed.load()) / elapsed;
  // What one entry costs the load generator (signing, the gRPC call): on a machine the nodes
  // share, this bounds what the cluster can reach.
  const double cpu_us_per_entry =
      committed.load() > 0 ? cpu * 1e6 / static_cast<double>(committed.load()) : 0.0;
  if (json) {
    nlohmann::json errs = nlohmann::json::object();
    for (const auto& [k, v] : errors) errs[k] = v;
    std::cout << nlohmann::json{{"committed", committed.load()},
                                {"failed", failed.load()},
                                {"elapsed_s", elapsed},
                                {"throughput_per_s", throughput},
                                {"p50_ms", p50},
                                {"p99_ms", p99},
                                {"p999_ms", p999},
                                {"client_cpu_s", cpu},
                                {"client_cpu_us_per_entry", cpu_us_per_entry},
                                {"clients", clients},
                                {"payload_bytes", payload_bytes},
                                {"errors", errs}}
                     .dump()
              << "\n";
  } else {
    std::cout << "committed " << committed.load() << " entries in " << elapsed << " s ("
              << throughput << "/s), failed " << failed.load() << "\n"
              << "commit latency p50 " << p50 << " ms, p99 " << p99 << " ms, p999 " << p999
              << " ms\nclient CPU " << cpu << " s (" << cpu_us_per_entry
              << " us per committed entry)\n";
    for (const auto& [k, v] : errors) std::cout << "  error x" << v << ": " << k << "\n";
  }
  return committed.load() > 0 ? 0 : 1;
}

// A real devnet for integration tests: coalition-node processes on 127.0.0.1 with ephemeral
// ports, in a fresh temp folder, torn down after the test. Waits poll with deadlines, never sleep
// blindly. Not thread-safe (one test thread).
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "coalition/v1/domain.pb.h"
#include "coalition/v1/services.grpc.pb.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/key_file.h"
#include "node/config.h"
#include "tools/coalctl/client.h"
#include "tools/coalctl/devnet.h"

namespace coal::testing {

inline std::string BinDir() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
}

// An integer from the environment (sizes of soaks and sweeps), or `fallback`.
inline int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// Polls `cond` every 20 ms until it is true or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

class DevnetTest : public ::testing::Test {
 protected:
  // Set before StartDevnet to override the devnet's genesis checkpoint_interval_ms.
  std::optional<uint32_t> checkpoint_interval_ms_;

  // `configure`, when set, edits each node's config before the nodes start.
  void StartDevnet(int nodes = 4, const std::string& byzantine = "",
                   const std::function<void(int, node::NodeConfig*)>& configure = nullptr) {
    dir_ = (std::filesystem::temp_directory_path() /
            ("coal_it_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    tools::DevnetOptions o;
    o.dir = dir_;
    o.nodes = nodes;
    o.base_port = 0;
    o.round_timeout_ms = 300;
    o.node_binary = BinDir() + "/coalition-node";
    o.byzantine_node_mode = byzantine;
    if (checkpoint_interval_ms_) o.checkpoint_interval_ms = *checkpoint_interval_ms_;
    ASSERT_TRUE(tools::DevnetInit(o).ok());
    for (int i = 0; configure && i < nodes; ++i) {
      const std::string path = dir_ + "/node-" + std::to_string(i) + "/node.toml";
      auto config = node::LoadNodeConfig(path);
      ASSERT_TRUE(config.ok()) << config.status();
      configure(i, &*config);
      std::ofstream(path) << node::NodeConfigToToml(*config);
    }
    ASSERT_TRUE(tools::DevnetStartAll(dir_, o.node_binary).ok());
    auto st = tools::DevnetStatus(dir_);
    ASSERT_TRUE(st.ok());
    nodes_ = *st;
    for (const auto& n : nodes_) {
      stubs_.push_back(coalition::v1::LedgerService::NewStub(tools::Connect(n.client_addr)));
    }
    for (int i = 0; i < nodes; ++i) {
      ASSERT_TRUE(WaitFor([&] { return Status(i).ok(); }, std::chrono::seconds(20)))
          << "node " << i << " did not answer; log: " << NodeLog(i);
    }
    chain_id_ = Status(0)->chain_id();
  }

  void TearDown() override {
    if (!dir_.empty()) {
      (void)tools::DevnetDown(dir_);
      if (!HasFailure()) std::filesystem::remove_all(dir_);
    }
  }

  std::string NodeLog(int i) const {
    std::ifstream in(dir_ + "/node-" + std::to_string(i) + "/node.log");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
  }

  // A fresh client channel to node i, for a node restarted after a long time down: the old
  // channel (and any channel sharing gRPC's global subchannel pool) may sit in reconnect backoff
  // for many seconds after the node is back.
  void Reconnect(int i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // Retry within 0.1-0.5 s while the node is still starting (gRPC's default backoff grows from
    // 1 s by 1.6x, which alone can add ten seconds here). The minimum backoff stays at its
    // default: gRPC also takes it as the connect timeout, and a busy node may take a while to
    // finish a handshake.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    stubs_[i] =
        coalition::v1::LedgerService::NewStub(tools::Connect(nodes_[i].client_addr, args));
  }

  absl::StatusOr<coalition::v1::StatusResponse> Status(int i) {
    return tools::FetchStatus(*stubs_[i], 2000);
  }

  std::unique_ptr<crypto::Ed25519Signer> MemberKey(const std::string& member) {
    auto k = crypto::LoadKeyFile(dir_ + "/keys/" + member + ".key");
    EXPECT_TRUE(k.ok()) << k.status();
    return std::move(k).value();
  }

  coalition::v1::Envelope Attestation(const crypto::Signer& signer, const std::string& member,
                                      const std::string& subject, size_t body_bytes = 64) {
    coalition::v1::Attestation att;
    auto* h = att.mutable_header();
    h->set_author(member);
    h->set_created_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
    h->set_nonce(subject + "-" + std::to_string(nonce_++) + "-nonce");
    h->set_chain_id(chain_id_);
    att.set_subject(subject);
    att.set_body(std::string(body_bytes, 'x'));
    return crypto::MakeEnvelope(signer, "coalition.v1.Attestation", att.SerializeAsString());
  }

  grpc::Status Submit(int node, const coalition::v1::Envelope& env, bool wait,
                      coalition::v1::SubmitResponse* resp, int deadline_ms = 15000) {
    coalition::v1::SubmitRequest req;
    *req.mutable_envelope() = env;
    req.set_wait_for_commit(wait);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    return stubs_[node]->Submit(&ctx, req, resp);
  }

  // Waits until every node reports one tree (same size and root) of at least `min_size`.
  bool WaitConverged(uint64_t min_size, std::chrono::milliseconds timeout) {
    return WaitFor(
        [&] {
          std::set<std::string> trees;
          for (size_t i = 0; i < stubs_.size(); ++i) {
            auto s = Status(static_cast<int>(i));
            if (!s.ok() || s->tree_size() < min_size) return false;
            trees.insert(std::to_string(s->tree_size()) + ":" + ToHex(s->root()));
          }
          return trees.size() == 1;
        },
        timeout);
  }

  // "node-i=size:root" for every node, for failure messages.
  std::string Trees() {
    std::string out;
    for (size_t i = 0; i < stubs_.size(); ++i) {
      auto s = Status(static_cast<int>(i));
      out +=
          " node-" + std::to_string(i) + "=" +
          (s.ok() ? std::to_string(s->tree_size()) + ":" + ToHex(s->root()).substr(0, 12) : "down");
    }
    return out;
  }

  struct Acked {
    uint64_t index;
    std::string digest;
  };

  // A load client: `clients` threads submit attestations (waiting for commit) round-robin over
  // the nodes, retrying one envelope on the next node until acknowledged (a retry of the same
  // digest is idempotent), and record every acknowledged entry. Bounded: stops on Stop().
  class Load {
   public:
    Load(DevnetTest* t, const crypto::Signer* key, int clients) {
      for (int c = 0; c < clients; ++c) {
        threads_.emplace_back([this, t, key, c] {
          const int n = static_cast<int>(t->stubs_.size());
          int node = c % n;
          for (uint64_t i = 0; !stop_.load(); ++i) {
            const auto env =
                t->Attestation(*key, "cloud-a", "c" + std::to_string(c) + "-" + std::to_string(i));
            for (int tries = 0; tries < 8 && !stop_.load(); ++tries) {
              attempts_.fetch_add(1);
              coalition::v1::SubmitResponse resp;
              auto st = t->Submit(node, env, true, &resp, 5000);
              node = (node + 1) % n;
              if (st.ok() && resp.committed()) {
                std::lock_guard lock(mu_);
                acked_.push_back({resp.log_index(), crypto::EnvelopeDigest(env)});
                break;
              }
            }
          }
        });
      }
    }
    ~Load() { Stop(); }
    void Stop() {
      stop_.store(true);
      for (auto& th : threads_) {
        if (th.joinable()) th.join();
      }
    }
    std::vector<Acked> acked() {
      std::lock_guard lock(mu_);
      return acked_;
    }
    uint64_t attempts() const { return attempts_.load(); }

   private:
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> attempts_{0};
    std::mutex mu_;
    std::vector<Acked> acked_;
    std::vector<std::thread> threads_;
  };

  // The node's /metrics page (empty when it does not answer).
  std::string MetricsPage(int node) {
    httplib::Client cli("http://" + nodes_[node].http_addr);
    cli.set_connection_timeout(2);
    cli.set_read_timeout(2);
    auto res = cli.Get("/metrics");
    return res && res->status == 200 ? res->body : std::string();
  }

  // The value of one series (name with its labels) in a Prometheus text page; 0 when absent.
  static uint64_t MetricValue(const std::string& page, const std::string& series) {
    std::istringstream in(page);
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
          line[series.size()] == ' ') {
        return std::stoull(line.substr(series.size() + 1));
      }
    }
    return 0;
  }

  // The tree size that holds every acknowledged entry.
  static uint64_t CoveringSize(const std::vector<Acked>& acked) {
    uint64_t size = 0;
    for (const auto& a : acked) size = std::max(size, a.index + 1);
    return size;
  }

  // The independent check: how many (node, acknowledged entry) pairs are missing or hold another
  // envelope at the acknowledged index. Must be 0.
  size_t MissingAcknowledged(const std::vector<Acked>& acked) {
    size_t missing = 0;
    for (size_t i = 0; i < stubs_.size(); ++i) {
      for (const auto& a : acked) {
        coalition::v1::GetEntryRequest req;
        req.set_log_index(a.index);
        coalition::v1::GetEntryResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        auto st = stubs_[i]->GetEntry(&ctx, req, &resp);
        if (!st.ok() || crypto::EnvelopeDigest(resp.record().envelope()) != a.digest) ++missing;
      }
    }
    return missing;
  }

  std::string dir_;
  std::string chain_id_;
  std::vector<tools::DevnetNode> nodes_;
  std::vector<std::unique_ptr<coalition::v1::LedgerService::Stub>> stubs_;
  std::atomic<uint64_t> nonce_{0};  // load tests submit from several threads
};

}  // namespace coal::testing

// Local devnet management for `coalctl devnet ...`: creates genesis, member and validator keys,
// TLS material (a devnet CA and one certificate per node, made with the openssl CLI), node configs,
// and starts/stops `coalition-node` processes in the background. No gRPC here.
//
// Layout of DIR:
//   genesis.toml  keys/<member>.key keys/<node>.key  tls/ca.crt tls/<node>.crt tls/<node>.key
//   node-<i>/node.toml node-<i>/data/ node-<i>/node.log node-<i>/node.pid
// Not thread-safe (a CLI helper).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace coal::tools {

struct DevnetOptions {
  std::string dir;
  int nodes = 4;
  int base_port = 7000;  // client = P+i, peer = P+100+i, http = P+200+i; 0 = pick free ports
  int64_t min_notice_ms = 60'000;  // short notice so a demo can watch a rule take effect
  uint32_t round_timeout_ms = 500;
  // Cosign the log at most once per this many ms of block time (0: after every block).
  uint32_t checkpoint_interval_ms = 50;
  std::string node_binary;  // default: coalition-node beside coalctl
  std::string chain_name = "devnet";
  std::string byzantine_node_mode;  // "i:mode" for tests, e.g. "3:equivocate"
};

struct DevnetNode {
  int index = 0;
  std::string id;
  std::string client_addr;
  std::string peer_addr;
  std::string http_addr;
  bool running = false;
  int pid = 0;
};

// Creates DIR (refuses a DIR that already holds a genesis unless `reuse`), then starts all nodes.
absl::Status DevnetInit(const DevnetOptions& options);
absl::Status DevnetStartNode(const std::string& dir, int index, const std::string& node_binary);
absl::Status DevnetStartAll(const std::string& dir, const std::string& node_binary);
// SIGKILL one node; returns once the process has exited (its data dir is free to open again),
// DEADLINE_EXCEEDED if it is still exiting after kKillWait.
inline constexpr std::chrono::seconds kKillWait{10};
absl::Status DevnetKillNode(const std::string& dir, int index);
// SIGTERM all nodes, then SIGKILL (and the wait above) any still running after 10 s.
absl::Status DevnetDown(const std::string& dir);
absl::StatusOr<std::vector<DevnetNode>> DevnetStatus(const std::string& dir);

// True while process `pid` exists and has not finished exiting (reaps it when it is this process's
// child). A process whose main thread is a zombie but which still has other threads counts as
// running: it still holds its files.
bool ProcessRunning(int pid);

// The path of the coalition-node binary installed beside the running executable.
std::string DefaultNodeBinary();

}  // namespace coal::tools

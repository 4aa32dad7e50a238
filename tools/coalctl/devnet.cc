#include "tools/coalctl/devnet.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include "crypto/bytes.h"
#include "crypto/key_file.h"
#include "crypto/status_macros.h"
#include "node/config.h"
#include "node/genesis.h"

namespace coal::tools {
namespace fs = std::filesystem;
namespace {

struct MemberSpec {
  const char* id;
  const char* name;
  const char* country;
  const char* role;
};

// Sample coalition: three authorities, a cloud provider, an enforcement agency, an observer.
constexpr MemberSpec kMembers[] = {
    {"us-bis", "US Department of Commerce, BIS", "US", "authority"},
    {"eu-dg-trade", "European Commission, DG Trade", "BE", "authority"},
    {"jp-meti", "Japan METI", "JP", "authority"},
    {"cloud-a", "Cloud Provider A", "US", "cloud_provider"},
    {"enforce-a", "Customs Enforcement Agency A", "US", "enforcement"},
    {"observer-a", "Observer A", "NL", "observer"},
};
constexpr int kNodesMax = 31;

absl::Status Run(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (rc != 0) return absl::InternalError("command failed (" + std::to_string(rc) + "): " + cmd);
  return absl::OkStatus();
}

absl::Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::InternalError("cannot write " + path.string());
  return absl::OkStatus();
}

// True when nothing holds `port` on 127.0.0.1 right now (0 = let the kernel pick; *port is set).
bool Bindable(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (ok) *port = ntohs(addr.sin_port);
  return ok;
}

// A free port below the kernel's ephemeral range (ip_local_port_range), never given out before
// by this process. Ports inside that range are also the source ports of outgoing connections: one
// picked there can be taken by a connection (even a client connecting to itself) before the node
// binds it, and the node then never answers on it.
int FreePort() {
  static std::mutex mu;
  static std::mt19937 rng(std::random_device{}());
  static std::set<int> given;
  std::lock_guard lock(mu);
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  constexpr int kLowest = 10000;
  for (int tries = 0; ephemeral_low - 1 > kLowest && tries < 1000; ++tries) {
    int port = kLowest + static_cast<int>(rng() % static_cast<unsigned>(ephemeral_low - kLowest));
    if (given.count(port) == 0 && Bindable(&port)) {
      given.insert(port);
      return port;
    }
  }
  int port = 0;  // an unusual port range: let the kernel pick
  (void)Bindable(&port);
  return port;
}

absl::Status MakeTls(const fs::path& tls, int nodes) {
  fs::create_directories(tls);
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  RETURN_IF_ERROR(Run("openssl req -x509 " + ec + " -keyout " + (tls / "ca.key").string() +
                      " -out " + (tls / "ca.crt").string() +
                      " -days 3650 -subj /CN=coalition-devnet-ca"));
  RETURN_IF_ERROR(WriteText(tls / "ext.cnf",
                            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                            "extendedKeyUsage=serverAuth,clientAuth\n"));
  for (int i = 0; i < nodes; ++i) {
    const std::string id = "node-" + std::to_string(i);
    const fs::path key = tls / (id + ".key"), csr = tls / (id + ".csr"), crt = tls / (id + ".crt");
    RETURN_IF_ERROR(Run("openssl req " + ec + " -keyout " + key.string() + " -out " + csr.string() +
                        " -subj /CN=" + id));
    RETURN_IF_ERROR(Run("openssl x509 -req -in " + csr.string() + " -CA " +
                        (tls / "ca.crt").string() + " -CAkey " + (tls / "ca.key").string() +
                        " -CAcreateserial -out " + crt.string() + " -days 3650 -extfile " +
                        (tls / "ext.cnf").string()));
    fs::remove(csr);
    ::chmod(key.c_str(), 0600);
  }
  ::chmod((tls / "ca.key").c_str(), 0600);
  return absl::OkStatus();
}

fs::path NodeDir(const std::string& dir, int index) {
  return fs::path(dir) / ("node-" + std::to_string(index));
}

int ReadPid(const std::string& dir, int index) {
  std::ifstream in(NodeDir(dir, index) / "node.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

enum class ProcessState { kGone, kRunning, kExiting };

ProcessState StateOf(int pid) {
  if (pid <= 0) return ProcessState::kGone;
  // Reap it if it is our own exited child (this process started it). waitpid reports a
  // multi-threaded child only once its last thread is gone.
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return ProcessState::kGone;
  if (::kill(pid, 0) != 0) return ProcessState::kGone;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream stat(proc + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= line.size()) {
    return ProcessState::kGone;
  }
  if (line[close_paren + 2] != 'Z') return ProcessState::kRunning;
  // A zombie main thread is not the end of the process: after SIGKILL a thread inside fsync can
  // outlive it, and the process keeps its files (the data dir's RocksDB lock) until that thread
  // is gone. The process has exited only when its main thread is the last task left.
  std::error_code ec;
  int tasks = 0;
  for (auto it = fs::directory_iterator(proc + "/task", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    ++tasks;
  }
  return !ec && tasks > 1 ? ProcessState::kExiting : ProcessState::kGone;
}

// Waits (bounded) until process `pid` of node `index` has exited and released its data dir.
absl::Status WaitForExit(int index, int pid, std::string_view after) {
  const auto deadline = std::chrono::steady_clock::now() + kKillWait;
  while (StateOf(pid) != ProcessState::kGone) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError("node " + std::to_string(index) + " (pid " +
                                         std::to_string(pid) + ") still exiting " +
                                         std::to_string(kKillWait.count()) + " s after " +
                                         std::string(after));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::OkStatus();
}

}  // namespace

bool ProcessRunning(int pid) { return StateOf(pid) != ProcessState::kGone; }

std::string DefaultNodeBinary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "coalition-node").string();
}

absl::Status DevnetInit(const DevnetOptions& o) {
  if (o.nodes < 1 || o.nodes > kNodesMax) {
    return absl::InvalidArgumentError("--nodes must be between 1 and " + std::to_string(kNodesMax));
  }
  const fs::path dir(o.dir);
  if (fs::exists(dir / "genesis.toml")) {
    return absl::AlreadyExistsError("devnet already initialized in " + o.dir +
                                    " (use 'devnet start' or remove the folder)");
  }
  fs::create_directories(dir / "keys");
  coalition::v1::Genesis g;
  g.set_chain_name(o.chain_name);
  g.set_genesis_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
  g.set_threshold_quorum(2);
  g.set_emergency_quorum(3);
  g.set_min_notice_ms(o.min_notice_ms);
  g.set_emergency_min_notice_ms(0);
  g.set_entry_max_age_ms(24LL * 3600 * 1000);
  g.set_entry_max_future_ms(5LL * 60 * 1000);
  auto* t = g.mutable_timing();
  t->set_round_timeout_ms(o.round_timeout_ms);
  t->set_round_timeout_max_ms(o.round_timeout_ms * 16);
  t->set_max_block_entries(4000);
  t->set_max_block_bytes(4 << 20);
  t->set_max_clock_skew_ms(2000);
  t->set_checkpoint_interval_ms(o.checkpoint_interval_ms);
  for (const auto& spec : kMembers) {
    auto signer = crypto::Ed25519Signer::Generate();
    RETURN_IF_ERROR(
        crypto::WriteKeyFile((dir / "keys" / (std::string(spec.id) + ".key")).string(), *signer));
    auto* m = g.add_members();
    m->set_id(spec.id);
    m->set_name(spec.name);
    m->set_country(spec.country);
    ASSIGN_OR_RETURN(auto role, node::ParseRole(spec.role));
    m->add_roles(role);
    m->set_public_key(signer->public_key());
  }
  std::vector<node::NodeConfig> configs;
  for (int i = 0; i < o.nodes; ++i) {
    const std::string id = "node-" + std::to_string(i);
    auto signer = crypto::Ed25519Signer::Generate();
    RETURN_IF_ERROR(crypto::WriteKeyFile((dir / "keys" / (id + ".key")).string(), *signer));
    const int client = o.base_port ? o.base_port + i : FreePort();
    const int peer = o.base_port ? o.base_port + 100 + i : FreePort();
    const int http = o.base_port ? o.base_port + 200 + i : FreePort();
    auto* v = g.add_validators();
    v->set_id(id);
    v->set_operator_(kMembers[i % 4].id);
    v->set_public_key(signer->public_key());
    v->set_peer_addr("127.0.0.1:" + std::to_string(peer));
    v->set_client_addr("127.0.0.1:" + std::to_string(client));
    node::NodeConfig c;
    c.node_id = id;
    c.genesis_path = "../genesis.toml";
    c.data_dir = "data";
    c.key_file = "../keys/" + id + ".key";
    c.client_listen = v->client_addr();
    c.peer_listen = v->peer_addr();
    c.http_listen = "127.0.0.1:" + std::to_string(http);
    c.tls_ca_cert = "../tls/ca.crt";
    c.tls_cert = "../tls/" + id + ".crt";
    c.tls_key = "../tls/" + id + ".key";
    configs.push_back(c);
  }
  if (!o.byzantine_node_mode.empty()) {
    const auto colon = o.byzantine_node_mode.find(':');
    const int idx = std::atoi(o.byzantine_node_mode.substr(0, colon).c_str());
    if (colon == std::string::npos || idx < 0 || idx >= o.nodes) {
      return absl::InvalidArgumentError("--byzantine must be INDEX:MODE");
    }
    configs[idx].byzantine_mode = o.byzantine_node_mode.substr(colon + 1);
  }
  RETURN_IF_ERROR(node::ValidateGenesis(g));
  RETURN_IF_ERROR(MakeTls(dir / "tls", o.nodes));
  for (int i = 0; i < o.nodes; ++i) {
    fs::create_directories(NodeDir(o.dir, i));
    RETURN_IF_ERROR(WriteText(NodeDir(o.dir, i) / "node.toml", node::NodeConfigToToml(configs[i])));
  }
  // Genesis last: its presence marks a complete devnet folder.
  return WriteText(dir / "genesis.toml", node::GenesisToToml(g));
}

absl::Status DevnetStartNode(const std::string& dir, int index, const std::string& node_binary) {
  const fs::path nd = NodeDir(dir, index);
  if (!fs::exists(nd / "node.toml")) {
    return absl::NotFoundError("no node " + std::to_string(index) + " in " + dir);
  }
  const int old_pid = ReadPid(dir, index);
  switch (StateOf(old_pid)) {
    case ProcessState::kRunning:
      return absl::OkStatus();
    case ProcessState::kExiting:  // killed a moment ago: its data dir is free once it is gone
      RETURN_IF_ERROR(WaitForExit(index, old_pid, "it began to exit"));
      break;
    case ProcessState::kGone:
      break;
  }
  const std::string binary = node_binary.empty() ? DefaultNodeBinary() : node_binary;
  if (::access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError("node binary not found or not executable: " + binary);
  }
  const std::string config = fs::absolute(nd / "node.toml").string();
  const std::string log = fs::absolute(nd / "node.log").string();
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::setsid();
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), nullptr);
    std::_Exit(127);
  }
  return WriteText(nd / "node.pid", std::to_string(pid) + "\n");
}

absl::Status DevnetStartAll(const std::string& dir, const std::string& node_binary) {
  ASSIGN_OR_RETURN(auto nodes, DevnetStatus(dir));
  for (const auto& n : nodes) RETURN_IF_ERROR(DevnetStartNode(dir, n.index, node_binary));
  return absl::OkStatus();
}

absl::Status DevnetKillNode(const std::string& dir, int index) {
  const int pid = ReadPid(dir, index);
  if (!ProcessRunning(pid))
    return absl::FailedPreconditionError("node " + std::to_string(index) + " is not running");
  ::kill(pid, SIGKILL);
  return WaitForExit(index, pid, "SIGKILL");
}

absl::Status DevnetDown(const std::string& dir) {
  ASSIGN_OR_RETURN(auto nodes, DevnetStatus(dir));
  for (const auto& n : nodes) {
    if (n.running) ::kill(n.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const auto& n : nodes) {
    while (n.running && ProcessRunning(n.pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (n.running && ProcessRunning(n.pid)) {
      ::kill(n.pid, SIGKILL);
      RETURN_IF_ERROR(WaitForExit(n.index, n.pid, "SIGKILL"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DevnetNode>> DevnetStatus(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "genesis.toml")) {
    return absl::NotFoundError("no devnet in " + dir + " (run 'coalctl devnet up --dir " + dir +
                               "')");
  }
  std::vector<DevnetNode> out;
  for (int i = 0; i < kNodesMax; ++i) {
    const fs::path cfg_path = NodeDir(dir, i) / "node.toml";
    if (!fs::exists(cfg_path)) break;
    ASSIGN_OR_RETURN(auto cfg, node::LoadNodeConfig(cfg_path.string()));
    DevnetNode n;
    n.index = i;
    n.id = cfg.node_id;
    n.client_addr = cfg.client_listen;
    n.peer_addr = cfg.peer_listen;
    n.http_addr = cfg.http_listen;
    n.pid = ReadPid(dir, i);
    n.running = ProcessRunning(n.pid);
    out.push_back(n);
  }
  return out;
}

}  // namespace coal::tools

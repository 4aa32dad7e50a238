// The devnet tool's port choice (base_port = 0): every port is free, distinct, and below the
// kernel's ephemeral range, so no outgoing connection (nor a client connecting to itself) can take
// it between the choice and the node's bind. Ports in that range made a node unreachable now and
// then (a 4-node test timed out waiting for node 3's Status though it logged "serving").
#include "tools/coalctl/devnet.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "node/config.h"

namespace coal::tools {
namespace {

int Port(const std::string& addr) { return std::stoi(addr.substr(addr.rfind(':') + 1)); }

char ProcessState(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= line.size() ? '?'
                                                                           : line[close_paren + 2];
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The helper process: its main thread exits at once, its second thread when Finish closes its
// standard input.
struct ExitingProcess {
  ExitingProcess() {
    int in[2];
    if (::pipe(in) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::close(in[0]);
      ::close(in[1]);
      ::execl(COAL_EXITING_LEADER_HELPER, COAL_EXITING_LEADER_HELPER, nullptr);
      ::_exit(127);
    }
    ::close(in[0]);
    stdin_fd = in[1];
  }
  ~ExitingProcess() {
    Finish();
    WaitFor([&] { return !ProcessRunning(pid); }, std::chrono::seconds(10));
  }
  bool main_thread_gone() const {
    return pid > 0 && WaitFor([&] { return ProcessState(pid) == 'Z'; }, std::chrono::seconds(10));
  }
  void Finish() const {
    if (stdin_fd >= 0) ::close(stdin_fd);
    stdin_fd = -1;
  }
  pid_t pid = -1;
  mutable int stdin_fd = -1;
};

// A node killed inside fsync: its main thread is a zombie at once, but the thread in fsync keeps
// the process, and the data dir's RocksDB lock, until it returns. A restart in that window failed
// with "While lock file ... Resource temporarily unavailable" (crash loop soak, seed 7, cycle 98),
// because the process counted as gone as soon as its main thread was a zombie.
TEST(DevnetTest, AProcessWhoseMainThreadExitedFirstRunsUntilItsLastThreadEnds) {
  const ExitingProcess helper;
  ASSERT_TRUE(helper.main_thread_gone()) << "state " << ProcessState(helper.pid);
  const pid_t pid = helper.pid;
  EXPECT_TRUE(ProcessRunning(pid)) << "its second thread still runs";
  helper.Finish();  // the second thread reads end of file and returns: the process exits
  EXPECT_TRUE(WaitFor([&] { return !ProcessRunning(pid); }, std::chrono::seconds(10)));
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1) << "ProcessRunning reaps its own exited child";
  EXPECT_EQ(errno, ESRCH);
}

// `devnet start` right after a kill waits for the old process to be gone (it holds the data dir)
// instead of taking it for a running node, or starting a second one beside it.
TEST(DevnetTest, StartWaitsForTheExitOfANodeStillExiting) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("coal_devnet_start_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "node-0");
  std::ofstream(dir / "node-0" / "node.toml") << "# only its presence matters here\n";
  const ExitingProcess old_node;
  ASSERT_TRUE(old_node.main_thread_gone());
  std::ofstream(dir / "node-0" / "node.pid") << old_node.pid << "\n";

  auto started = std::async(std::launch::async,
                            [&] { return DevnetStartNode(dir.string(), 0, "/bin/true"); });
  EXPECT_EQ(started.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "start returned while the old process still held the node";
  old_node.Finish();
  ASSERT_EQ(started.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(started.get().ok());
  int new_pid = 0;
  std::ifstream(dir / "node-0" / "node.pid") >> new_pid;
  EXPECT_GT(new_pid, 0);
  EXPECT_NE(new_pid, old_node.pid) << "a new process was started";
  EXPECT_TRUE(WaitFor([&] { return !ProcessRunning(new_pid); }, std::chrono::seconds(10)));
  std::filesystem::remove_all(dir);
}

TEST(DevnetTest, ProcessRunningIsFalseForNoProcess) {
  EXPECT_FALSE(ProcessRunning(0));
  EXPECT_FALSE(ProcessRunning(-1));
  int max_pid = 4194304;
  std::ifstream("/proc/sys/kernel/pid_max") >> max_pid;
  EXPECT_FALSE(ProcessRunning(max_pid));  // pids are below pid_max
}

TEST(DevnetTest, FreePortsAreDistinctAndOutsideTheEphemeralRange) {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const auto dir =
      std::filesystem::temp_directory_path() / ("coal_devnet_ports_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::set<int> ports;
  for (int net = 0; net < 3; ++net) {  // several devnets from one process never share a port
    DevnetOptions o;
    o.dir = (dir / std::to_string(net)).string();
    o.base_port = 0;
    ASSERT_TRUE(DevnetInit(o).ok());
    for (int i = 0; i < o.nodes; ++i) {
      auto c = node::LoadNodeConfig(o.dir + "/node-" + std::to_string(i) + "/node.toml");
      ASSERT_TRUE(c.ok()) << c.status();
      for (const auto& addr : {c->client_listen, c->peer_listen, c->http_listen}) {
        const int port = Port(addr);
        EXPECT_LT(port, ephemeral_low) << addr;
        EXPECT_GE(port, 1024) << addr;
        EXPECT_TRUE(ports.insert(port).second) << "port " << port << " given twice";
      }
    }
  }
  EXPECT_EQ(ports.size(), 3u * 4u * 3u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace coal::tools

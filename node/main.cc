// coalition-node: one validator of a Coalition Ledger.
//   coalition-node --config node.toml
// Stops cleanly on SIGINT/SIGTERM; a SIGKILL at any point loses no committed entry.
// SIGUSR1 writes a consistent RocksDB checkpoint (a backup) to <data_dir>.backup-<unix ms>.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "node/node.h"

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's Abseil keeps the debug-only lock-order graph on, and gRPC's mutexes pay for it on
  // every lock (2-3% of the bench's CPU here, ~1% of a node's). Release builds turn it off; debug
  // builds and tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  CLI::App app{"coalition-node: a Coalition Ledger validator"};
  std::string config_path;
  app.add_option("--config", config_path, "node config (TOML)")->required();
  CLI11_PARSE(app, argc, argv);

  auto config = coal::node::LoadNodeConfig(config_path);
  if (!config.ok()) {
    std::cerr << "coalition-node: " << config.status().message() << "\n";
    return 2;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + config->node_id + "] %v");
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto node = coal::node::Node::Create(*config);
  if (!node.ok()) {
    spdlog::critical("cannot start: {}", node.status().ToString());
    return 1;
  }
  if (auto st = (*node)->Start(); !st.ok()) {
    spdlog::critical("cannot start: {}", st.ToString());
    return 1;
  }
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGUSR1) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const std::string dir = config->data_dir + ".backup-" + std::to_string(ms);
    if (auto st = (*node)->Backup(dir); st.ok()) {
      spdlog::info("backup written to {}", dir);
    } else {
      spdlog::error("backup to {} failed: {}", dir, st.ToString());
    }
  }
  spdlog::info("signal {} received, stopping", sig);
  (*node)->Stop();
  spdlog::info("stopped");
  return 0;
}

// coalctl subcommands that talk to a node over gRPC. Each registers on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/coalctl/devnet.h"

namespace coal::tools {

// Prints "coalctl: CODE: message" on stderr and ends the command with exit code 1.
[[noreturn]] inline void Die(const absl::Status& st) {
  std::cerr << "coalctl: " << absl::StatusCodeToString(st.code()) << ": " << st.message() << "\n";
  throw CLI::RuntimeError(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> v) {
  if (!v.ok()) Die(v.status());
  return *std::move(v);
}

struct GlobalOptions {
  std::string node;
  std::string key_file;
  std::string member;
  bool json = false;
  int deadline_ms = 10000;
};

void PrintDevnetStatusJson(const std::vector<DevnetNode>& nodes);
void RegisterClientCommands(CLI::App& app, GlobalOptions& g);

}  // namespace coal::tools

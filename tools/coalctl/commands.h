// coalctl subcommands that talk to a node over gRPC. Each registers on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "tools/coalctl/devnet.h"

namespace coal::tools {

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

// coalctl commands for verifiable answers (DESIGN §7): `checkpoint`, `proof inclusion|consistency|
// leaf`, and `verify`, which checks an answer (saved JSON or fetched live) against the genesis
// keys alone and keeps the last verified checkpoint per chain in a small state file.
// Verification logic lives in verifier.h; this file is CLI and gRPC glue only.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/coalctl/commands.h"

namespace coal::tools {

void RegisterProofCommands(CLI::App& app, GlobalOptions& g);

}  // namespace coal::tools

// coalctl subcommands for the compliance domain: evaluate (offline or against a node), rules
// (view and approve threshold updates), commitments, shipments (signed reads).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "coalition/v1/services.pb.h"
#include "crypto/ed25519.h"
#include "tools/coalctl/commands.h"

namespace coal::tools {

void RegisterComplianceCommands(CLI::App& app, GlobalOptions& g);

// "2025-01-31", "2025-01-31T12:00:00Z" or unix milliseconds -> unix ms. INVALID_ARGUMENT else.
absl::StatusOr<int64_t> ParseTimeMs(const std::string& text);

// Signs `query` for `member` the way the node's ComplianceService checks it: a ReadAuth over
// SHA-256 of the query serialized without `auth`, for the Shipments method, now.
void AuthorizeShipmentQuery(const crypto::Signer& signer, const std::string& member,
                            const std::string& chain_id, coalition::v1::ShipmentQuery* query);

}  // namespace coal::tools

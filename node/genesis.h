// Genesis files (DESIGN §4): TOML <-> coalition.v1.Genesis, validation, hash and chain id.
// Every node must start from the same genesis; its hash is the chain id's suffix.
// Pure functions; thread-safe.
//
// Format:
//   chain_name = "coalition-devnet"
//   genesis_time_ms = 1767225600000
//   threshold_quorum = 2          # distinct authorities to adopt a rule-set version
//   emergency_quorum = 3
//   min_notice_ms = 2592000000    # 30 days
//   emergency_min_notice_ms = 0
//   entry_max_age_ms = 86400000
//   entry_max_future_ms = 300000
//   [consensus]
//   round_timeout_ms = 1000, round_timeout_max_ms = 10000, max_block_entries = 4000,
//   max_block_bytes = 4194304, max_clock_skew_ms = 2000
//   [[members]]    id, name, country, roles = ["authority"], public_key = "<base64>"
//   [[validators]] id, operator, public_key = "<base64>", peer_addr, client_addr
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "coalition/v1/genesis.pb.h"

namespace coal::node {

absl::StatusOr<coalition::v1::Genesis> ParseGenesisToml(const std::string& text);
absl::StatusOr<coalition::v1::Genesis> LoadGenesisFile(const std::string& path);
std::string GenesisToToml(const coalition::v1::Genesis& genesis);

// Checks internal consistency (unique ids, 32-byte keys, quorum sizes, at least one validator).
absl::Status ValidateGenesis(const coalition::v1::Genesis& genesis);
// Upper bound of consensus.checkpoint_interval_ms.
inline constexpr uint32_t kCheckpointIntervalMaxMs = 60'000;
// Bounds of consensus.max_block_bytes: a block must hold one entry of the largest size a node
// admits by default (64 KiB), and, with its certificates, fit a peer message (64 MiB) with room
// to spare.
inline constexpr uint32_t kBlockBytesMin = 64 << 10;
inline constexpr uint32_t kBlockBytesMax = 16 << 20;

// SHA-256 over the deterministic serialization (32 raw bytes).
std::string GenesisHash(const coalition::v1::Genesis& genesis);
// chain_name + "-" + first 16 hex digits of the genesis hash.
std::string ChainId(const coalition::v1::Genesis& genesis);

const coalition::v1::Member* FindMember(const coalition::v1::Genesis& genesis,
                                        const std::string& id);
bool HasRole(const coalition::v1::Member& member, coalition::v1::Role role);
absl::StatusOr<coalition::v1::Role> ParseRole(const std::string& name);
std::string RoleName(coalition::v1::Role role);

}  // namespace coal::node

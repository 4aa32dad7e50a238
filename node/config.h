// Node configuration (TOML). Relative paths resolve against the config file's folder.
//
//   node_id = "node-0"                 # must name a validator of the genesis
//   genesis = "genesis.toml"
//   data_dir = "data/node-0"
//   key_file = "keys/node-0.key"       # the validator's consensus key (mode 0600)
//   client_listen = "127.0.0.1:7000"   # client gRPC API
//   peer_listen = "127.0.0.1:7100"     # node-to-node gRPC API (mutual TLS)
//   http_listen = "127.0.0.1:7200"     # /healthz, /metrics, explorer ("" = off)
//   log_level = "info"
//   [tls]  ca_cert = "tls/ca.crt"  cert = "tls/node-0.crt"  key = "tls/node-0.key"
//   [limits] entry_bytes_max, mempool_entries_max, mempool_bytes_max, peer_queue_max,
//            block_entries_max, verify_threads, follow_streams_max, disk_free_min_bytes
//   [peer_dial]  "node-1" = "10.0.0.7:7101"   # optional: dial this validator here instead of
//                                             # its genesis peer_addr (NAT, proxies, tests)
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace coal::node {

struct Limits {
  uint64_t entry_bytes_max = 64 * 1024;  // one serialized envelope
  uint64_t mempool_entries_max = 200'000;
  uint64_t mempool_bytes_max = 256ull << 20;
  uint64_t peer_queue_max = 4096;  // messages queued per peer before dropping
  uint64_t block_entries_max = 4000;
  uint64_t verify_threads = 2;
  uint64_t follow_streams_max = 64;
  uint64_t disk_free_min_bytes = 64ull << 20;  // below: client writes RESOURCE_EXHAUSTED
};

struct NodeConfig {
  std::string node_id;
  std::string genesis_path;
  std::string data_dir;
  std::string key_file;
  std::string client_listen;
  std::string peer_listen;
  std::string http_listen;
  std::string log_level = "info";
  std::string tls_ca_cert;
  std::string tls_cert;
  std::string tls_key;
  Limits limits;
  // Validator id -> address to dial it at, overriding the genesis peer_addr. Ids are checked
  // against the genesis when the node starts.
  std::map<std::string, std::string> peer_dial;
  // Test-only misbehaviour; refused unless the genesis chain_name starts with "devnet".
  std::string byzantine_mode;
};

absl::StatusOr<NodeConfig> ParseNodeConfig(const std::string& text, const std::string& base_dir);
absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path);
std::string NodeConfigToToml(const NodeConfig& config);

}  // namespace coal::node

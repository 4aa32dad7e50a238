#include "node/config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace coal::node {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

absl::Status Missing(const std::string& field) {
  return absl::InvalidArgumentError("node config: " + field + ": missing or not a string");
}

}  // namespace

absl::StatusOr<NodeConfig> ParseNodeConfig(const std::string& text, const std::string& base_dir) {
  toml::table tbl;
  try {
    tbl = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "node config: TOML syntax error at line " << e.source().begin.line << ": "
        << e.description();
    return absl::InvalidArgumentError(msg.str());
  }
  NodeConfig c;
  auto str = [&](const char* key, std::string* out, bool required) -> absl::Status {
    auto v = tbl.at_path(key).value<std::string>();
    if (!v) return required ? Missing(key) : absl::OkStatus();
    *out = *v;
    return absl::OkStatus();
  };
  for (auto [key, out] : {std::pair{"node_id", &c.node_id},
                          {"genesis", &c.genesis_path},
                          {"data_dir", &c.data_dir},
                          {"key_file", &c.key_file},
                          {"client_listen", &c.client_listen},
                          {"peer_listen", &c.peer_listen}}) {
    if (auto st = str(key, out, true); !st.ok()) return st;
  }
  for (auto [key, out] : {std::pair{"http_listen", &c.http_listen},
                          {"log_level", &c.log_level},
                          {"tls.ca_cert", &c.tls_ca_cert},
                          {"tls.cert", &c.tls_cert},
                          {"tls.key", &c.tls_key},
                          {"byzantine_mode", &c.byzantine_mode}}) {
    if (auto st = str(key, out, false); !st.ok()) return st;
  }
  auto lim = [&](const char* key, uint64_t* out) -> absl::Status {
    auto node = tbl.at_path(std::string("limits.") + key);
    if (!node) return absl::OkStatus();
    auto v = node.value<int64_t>();
    if (!v || *v <= 0) {
      return absl::InvalidArgumentError(std::string("node config: limits.") + key +
                                        ": must be a positive integer");
    }
    *out = static_cast<uint64_t>(*v);
    return absl::OkStatus();
  };
  for (auto [key, out] : {std::pair{"entry_bytes_max", &c.limits.entry_bytes_max},
                          {"mempool_entries_max", &c.limits.mempool_entries_max},
                          {"mempool_bytes_max", &c.limits.mempool_bytes_max},
                          {"peer_queue_max", &c.limits.peer_queue_max},
                          {"block_entries_max", &c.limits.block_entries_max},
                          {"verify_threads", &c.limits.verify_threads},
                          {"follow_streams_max", &c.limits.follow_streams_max},
                          {"disk_free_min_bytes", &c.limits.disk_free_min_bytes}}) {
    if (auto st = lim(key, out); !st.ok()) return st;
  }
  if (auto node = tbl.at_path("peer_dial")) {
    const toml::table* dial = node.as_table();
    if (dial == nullptr)
      return absl::InvalidArgumentError("node config: peer_dial: must be a table");
    for (const auto& [id, addr] : *dial) {
      auto v = addr.value<std::string>();
      if (!v || v->empty()) {
        return absl::InvalidArgumentError("node config: peer_dial." + std::string(id.str()) +
                                          ": must be a non-empty \"host:port\" string");
      }
      c.peer_dial.emplace(std::string(id.str()), *v);
    }
  }
  for (std::string* p :
       {&c.genesis_path, &c.data_dir, &c.key_file, &c.tls_ca_cert, &c.tls_cert, &c.tls_key}) {
    *p = Resolve(base_dir, *p);
  }
  return c;
}

absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot open node config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseNodeConfig(ss.str(), std::filesystem::path(path).parent_path().string());
}

std::string NodeConfigToToml(const NodeConfig& c) {
  std::ostringstream out;
  auto q = [](const std::string& s) { return "\"" + s + "\""; };
  out << "node_id = " << q(c.node_id) << "\n"
      << "genesis = " << q(c.genesis_path) << "\n"
      << "data_dir = " << q(c.data_dir) << "\n"
      << "key_file = " << q(c.key_file) << "\n"
      << "client_listen = " << q(c.client_listen) << "\n"
      << "peer_listen = " << q(c.peer_listen) << "\n"
      << "http_listen = " << q(c.http_listen) << "\n"
      << "log_level = " << q(c.log_level) << "\n";
  if (!c.byzantine_mode.empty()) out << "byzantine_mode = " << q(c.byzantine_mode) << "\n";
  out << "\n[tls]\nca_cert = " << q(c.tls_ca_cert) << "\ncert = " << q(c.tls_cert)
      << "\nkey = " << q(c.tls_key) << "\n";
  out << "\n[limits]\nentry_bytes_max = " << c.limits.entry_bytes_max
      << "\nmempool_entries_max = " << c.limits.mempool_entries_max
      << "\nmempool_bytes_max = " << c.limits.mempool_bytes_max
      << "\npeer_queue_max = " << c.limits.peer_queue_max
      << "\nblock_entries_max = " << c.limits.block_entries_max
      << "\nverify_threads = " << c.limits.verify_threads
      << "\nfollow_streams_max = " << c.limits.follow_streams_max
      << "\ndisk_free_min_bytes = " << c.limits.disk_free_min_bytes << "\n";
  if (!c.peer_dial.empty()) {
    out << "\n[peer_dial]\n";
    for (const auto& [id, addr] : c.peer_dial) out << q(id) << " = " << q(addr) << "\n";
  }
  return out.str();
}

}  // namespace coal::node

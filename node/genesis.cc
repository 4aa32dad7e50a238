#include "node/genesis.h"

#include <fstream>
#include <set>
#include <sstream>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <toml++/toml.h>

#include "crypto/bytes.h"
#include "crypto/key_file.h"
#include "crypto/sha256.h"
#include "crypto/status_macros.h"

namespace coal::node {
namespace {

using coalition::v1::Genesis;

absl::Status FieldError(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError("genesis: " + field + ": " + what);
}

template <typename T>
absl::StatusOr<T> Required(const toml::node_view<const toml::node>& node,
                           const std::string& field) {
  auto v = node.value<T>();
  if (!v) return FieldError(field, "missing or wrong type");
  return *v;
}

// An optional integer field: `fallback` when absent; a value of another type (a quoted number) or
// outside [min, max] is refused by name, never read as the default or wrapped.
absl::StatusOr<int64_t> OptionalInteger(const toml::node_view<const toml::node>& node,
                                        const std::string& field, int64_t fallback, int64_t min,
                                        int64_t max) {
  if (!node) return fallback;
  const auto* v = node.as_integer();
  if (v == nullptr || v->get() < min || v->get() > max) {
    return FieldError(
        field, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v->get();
}

// The same for the uint32 fields of the genesis proto.
absl::StatusOr<uint32_t> OptionalUint32(const toml::node_view<const toml::node>& node,
                                        const std::string& field, uint32_t fallback) {
  ASSIGN_OR_RETURN(int64_t v, OptionalInteger(node, field, fallback, 0, UINT32_MAX));
  return static_cast<uint32_t>(v);
}

}  // namespace

absl::StatusOr<coalition::v1::Role> ParseRole(const std::string& name) {
  if (name == "authority") return coalition::v1::ROLE_AUTHORITY;
  if (name == "cloud_provider") return coalition::v1::ROLE_CLOUD_PROVIDER;
  if (name == "enforcement") return coalition::v1::ROLE_ENFORCEMENT;
  if (name == "observer") return coalition::v1::ROLE_OBSERVER;
  return absl::InvalidArgumentError("unknown role '" + name +
                                    "' (authority, cloud_provider, enforcement, observer)");
}

std::string RoleName(coalition::v1::Role role) {
  switch (role) {
    case coalition::v1::ROLE_AUTHORITY: return "authority";
    case coalition::v1::ROLE_CLOUD_PROVIDER: return "cloud_provider";
    case coalition::v1::ROLE_ENFORCEMENT: return "enforcement";
    case coalition::v1::ROLE_OBSERVER: return "observer";
    default: return "unspecified";
  }
}

absl::StatusOr<Genesis> ParseGenesisToml(const std::string& text) {
  toml::table tbl;
  try {
    tbl = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "genesis: TOML syntax error at line " << e.source().begin.line << ": "
        << e.description();
    return absl::InvalidArgumentError(msg.str());
  }
  const toml::node_view<const toml::node> root{static_cast<const toml::node&>(tbl)};
  Genesis g;
  ASSIGN_OR_RETURN(std::string chain_name, Required<std::string>(root["chain_name"], "chain_name"));
  g.set_chain_name(chain_name);
  ASSIGN_OR_RETURN(int64_t t, Required<int64_t>(root["genesis_time_ms"], "genesis_time_ms"));
  g.set_genesis_time_ms(t);
  ASSIGN_OR_RETURN(uint32_t threshold_quorum,
                   OptionalUint32(root["threshold_quorum"], "threshold_quorum", 2));
  g.set_threshold_quorum(threshold_quorum);
  ASSIGN_OR_RETURN(uint32_t emergency_quorum,
                   OptionalUint32(root["emergency_quorum"], "emergency_quorum", 3));
  g.set_emergency_quorum(emergency_quorum);
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  const auto ms = [&](const char* field, int64_t fallback) {
    return OptionalInteger(root[field], field, fallback, 0, INT64_MAX);
  };
  ASSIGN_OR_RETURN(int64_t min_notice_ms, ms("min_notice_ms", 30 * kDayMs));
  g.set_min_notice_ms(min_notice_ms);
  ASSIGN_OR_RETURN(int64_t emergency_min_notice_ms, ms("emergency_min_notice_ms", 0));
  g.set_emergency_min_notice_ms(emergency_min_notice_ms);
  ASSIGN_OR_RETURN(int64_t entry_max_age_ms, ms("entry_max_age_ms", kDayMs));
  g.set_entry_max_age_ms(entry_max_age_ms);
  ASSIGN_OR_RETURN(int64_t entry_max_future_ms, ms("entry_max_future_ms", 5LL * 60 * 1000));
  g.set_entry_max_future_ms(entry_max_future_ms);

  auto* timing = g.mutable_timing();
  const auto c = root["consensus"];
  const auto timing_field = [&](const char* field, uint32_t fallback) {
    return OptionalUint32(c[field], std::string("consensus.") + field, fallback);
  };
  ASSIGN_OR_RETURN(uint32_t round_timeout_ms, timing_field("round_timeout_ms", 1000));
  timing->set_round_timeout_ms(round_timeout_ms);
  ASSIGN_OR_RETURN(uint32_t round_timeout_max_ms, timing_field("round_timeout_max_ms", 10000));
  timing->set_round_timeout_max_ms(round_timeout_max_ms);
  ASSIGN_OR_RETURN(uint32_t max_block_entries, timing_field("max_block_entries", 4000));
  timing->set_max_block_entries(max_block_entries);
  ASSIGN_OR_RETURN(uint32_t max_block_bytes, timing_field("max_block_bytes", 4 << 20));
  timing->set_max_block_bytes(max_block_bytes);
  ASSIGN_OR_RETURN(uint32_t max_clock_skew_ms, timing_field("max_clock_skew_ms", 2000));
  timing->set_max_clock_skew_ms(max_clock_skew_ms);
  // Absent = 0 (cosign after every block): genesis files written before the field keep their
  // hash. Its upper bound is ValidateGenesis's.
  ASSIGN_OR_RETURN(uint32_t checkpoint_interval_ms, timing_field("checkpoint_interval_ms", 0));
  timing->set_checkpoint_interval_ms(checkpoint_interval_ms);

  if (const auto* members = root["members"].as_array()) {
    int i = 0;
    for (const auto& node : *members) {
      const std::string where = "members[" + std::to_string(i++) + "]";
      const auto* m = node.as_table();
      if (m == nullptr) return FieldError(where, "must be a table");
      const toml::node_view<const toml::node> mv{static_cast<const toml::node&>(*m)};
      auto* member = g.add_members();
      ASSIGN_OR_RETURN(std::string id, Required<std::string>(mv["id"], where + ".id"));
      member->set_id(id);
      member->set_name(mv["name"].value_or(id));
      member->set_country(mv["country"].value_or(std::string()));
      if (const auto* roles = mv["roles"].as_array()) {
        for (const auto& r : *roles) {
          auto role = ParseRole(r.value_or(std::string()));
          if (!role.ok()) return FieldError(where + ".roles", std::string(role.status().message()));
          member->add_roles(*role);
        }
      }
      ASSIGN_OR_RETURN(std::string pk_b64,
                       Required<std::string>(mv["public_key"], where + ".public_key"));
      auto pk = crypto::ParsePublicKey(pk_b64);
      if (!pk.ok()) return FieldError(where + ".public_key", std::string(pk.status().message()));
      member->set_public_key(*pk);
    }
  }
  if (const auto* validators = root["validators"].as_array()) {
    int i = 0;
    for (const auto& node : *validators) {
      const std::string where = "validators[" + std::to_string(i++) + "]";
      const auto* v = node.as_table();
      if (v == nullptr) return FieldError(where, "must be a table");
      const toml::node_view<const toml::node> vv{static_cast<const toml::node&>(*v)};
      auto* val = g.add_validators();
      ASSIGN_OR_RETURN(std::string id, Required<std::string>(vv["id"], where + ".id"));
      val->set_id(id);
      val->set_operator_(vv["operator"].value_or(std::string()));
      ASSIGN_OR_RETURN(std::string pk_b64,
                       Required<std::string>(vv["public_key"], where + ".public_key"));
      auto pk = crypto::ParsePublicKey(pk_b64);
      if (!pk.ok()) return FieldError(where + ".public_key", std::string(pk.status().message()));
      val->set_public_key(*pk);
      ASSIGN_OR_RETURN(std::string peer,
                       Required<std::string>(vv["peer_addr"], where + ".peer_addr"));
      val->set_peer_addr(peer);
      ASSIGN_OR_RETURN(std::string client,
                       Required<std::string>(vv["client_addr"], where + ".client_addr"));
      val->set_client_addr(client);
    }
  }
  RETURN_IF_ERROR(ValidateGenesis(g));
  return g;
}

absl::StatusOr<Genesis> LoadGenesisFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot open genesis file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseGenesisToml(ss.str());
}

absl::Status ValidateGenesis(const Genesis& g) {
  if (g.chain_name().empty()) return FieldError("chain_name", "empty");
  if (g.validators_size() == 0) return FieldError("validators", "at least one validator needed");
  std::set<std::string> ids;
  size_t authorities = 0;
  for (const auto& m : g.members()) {
    if (!ids.insert(m.id()).second) return FieldError("members", "duplicate id '" + m.id() + "'");
    if (m.roles_size() == 0) return FieldError("members." + m.id() + ".roles", "empty");
    if (HasRole(m, coalition::v1::ROLE_AUTHORITY)) ++authorities;
  }
  std::set<std::string> vids;
  for (const auto& v : g.validators()) {
    if (!vids.insert(v.id()).second) {
      return FieldError("validators", "duplicate id '" + v.id() + "'");
    }
  }
  if (g.threshold_quorum() == 0 || g.threshold_quorum() > authorities) {
    return FieldError("threshold_quorum", "must be between 1 and the number of authorities (" +
                                              std::to_string(authorities) + ")");
  }
  if (g.emergency_quorum() < g.threshold_quorum() || g.emergency_quorum() > authorities) {
    return FieldError("emergency_quorum",
                      "must be between threshold_quorum and the number of authorities");
  }
  if (g.min_notice_ms() < 0 || g.emergency_min_notice_ms() < 0) {
    return FieldError("min_notice_ms", "must not be negative");
  }
  if (g.timing().round_timeout_ms() == 0) return FieldError("consensus.round_timeout_ms", "zero");
  if (g.timing().max_block_entries() == 0) {
    return FieldError("consensus.max_block_entries", "zero");
  }
  if (g.timing().max_block_bytes() < kBlockBytesMin ||
      g.timing().max_block_bytes() > kBlockBytesMax) {
    return FieldError("consensus.max_block_bytes", "must be between " +
                                                       std::to_string(kBlockBytesMin) + " and " +
                                                       std::to_string(kBlockBytesMax));
  }
  if (g.timing().checkpoint_interval_ms() > kCheckpointIntervalMaxMs) {
    return FieldError("consensus.checkpoint_interval_ms",
                      "must be at most " + std::to_string(kCheckpointIntervalMaxMs) +
                          " (proofs of new entries wait for the next quorum checkpoint)");
  }
  return absl::OkStatus();
}

std::string GenesisToToml(const Genesis& g) {
  std::ostringstream out;
  auto q = [](const std::string& s) {
    std::string r = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') r += '\\';
      r += c;
    }
    return r + "\"";
  };
  out << "# Coalition Ledger genesis. Every node of the chain must use this exact file.\n";
  out << "chain_name = " << q(g.chain_name()) << "\n";
  out << "genesis_time_ms = " << g.genesis_time_ms() << "\n";
  out << "threshold_quorum = " << g.threshold_quorum() << "\n";
  out << "emergency_quorum = " << g.emergency_quorum() << "\n";
  out << "min_notice_ms = " << g.min_notice_ms() << "\n";
  out << "emergency_min_notice_ms = " << g.emergency_min_notice_ms() << "\n";
  out << "entry_max_age_ms = " << g.entry_max_age_ms() << "\n";
  out << "entry_max_future_ms = " << g.entry_max_future_ms() << "\n\n";
  out << "[consensus]\n";
  out << "round_timeout_ms = " << g.timing().round_timeout_ms() << "\n";
  out << "round_timeout_max_ms = " << g.timing().round_timeout_max_ms() << "\n";
  out << "max_block_entries = " << g.timing().max_block_entries() << "\n";
  out << "max_block_bytes = " << g.timing().max_block_bytes() << "\n";
  out << "max_clock_skew_ms = " << g.timing().max_clock_skew_ms() << "\n";
  if (g.timing().checkpoint_interval_ms() != 0) {
    out << "checkpoint_interval_ms = " << g.timing().checkpoint_interval_ms() << "\n";
  }
  for (const auto& m : g.members()) {
    out << "\n[[members]]\n";
    out << "id = " << q(m.id()) << "\nname = " << q(m.name()) << "\ncountry = " << q(m.country())
        << "\nroles = [";
    for (int i = 0; i < m.roles_size(); ++i) {
      out << (i ? ", " : "") << q(RoleName(m.roles(i)));
    }
    out << "]\npublic_key = " << q(Base64Encode(m.public_key())) << "\n";
  }
  for (const auto& v : g.validators()) {
    out << "\n[[validators]]\n";
    out << "id = " << q(v.id()) << "\noperator = " << q(v.operator_())
        << "\npublic_key = " << q(Base64Encode(v.public_key()))
        << "\npeer_addr = " << q(v.peer_addr()) << "\nclient_addr = " << q(v.client_addr()) << "\n";
  }
  return out.str();
}

std::string GenesisHash(const Genesis& g) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    g.SerializeToCodedStream(&cos);
  }
  return HashBytes(Sha256(bytes));
}

std::string ChainId(const Genesis& g) {
  return g.chain_name() + "-" + ToHex(GenesisHash(g)).substr(0, 16);
}

const coalition::v1::Member* FindMember(const Genesis& g, const std::string& id) {
  for (const auto& m : g.members()) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

bool HasRole(const coalition::v1::Member& member, coalition::v1::Role role) {
  for (int r : member.roles()) {
    if (r == role) return true;
  }
  return false;
}

}  // namespace coal::node

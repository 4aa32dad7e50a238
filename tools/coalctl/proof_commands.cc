#include "tools/coalctl/proof_commands.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "coalition/v1/services.grpc.pb.h"
#include "crypto/bytes.h"
#include "crypto/merkle.h"
#include "crypto/status_macros.h"
#include "node/genesis.h"
#include "tools/coalctl/client.h"
#include "tools/coalctl/verifier.h"

namespace coal::tools {
namespace {

using coalition::v1::LedgerService;
using coalition::v1::ProofService;
using nlohmann::json;

constexpr size_t kAnswerFileBytesMax = 64 << 20;

// One node connection with its stubs.
struct Node {
  explicit Node(const GlobalOptions& g)
      : deadline_ms(g.deadline_ms),
        channel(Connect(g.node)),
        ledger(LedgerService::NewStub(channel)),
        proofs(ProofService::NewStub(channel)) {}

  void Prepare(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  }

  absl::StatusOr<coalition::v1::Checkpoint> LatestCheckpoint() const {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    coalition::v1::Checkpoint cp;
    RETURN_IF_ERROR(FromGrpc(proofs->LatestCheckpoint(&ctx, {}, &cp)));
    return cp;
  }

  absl::StatusOr<coalition::v1::Proof> Inclusion(const coalition::v1::InclusionRequest& req) const {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    coalition::v1::Proof proof;
    RETURN_IF_ERROR(FromGrpc(proofs->Inclusion(&ctx, req, &proof)));
    return proof;
  }

  absl::StatusOr<ConsistencyAnswer> Consistency(uint64_t from, uint64_t to) const {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    coalition::v1::ConsistencyRequest req;
    req.set_from_size(from);
    req.set_to_size(to);
    coalition::v1::ConsistencyResponse resp;
    RETURN_IF_ERROR(FromGrpc(proofs->Consistency(&ctx, req, &resp)));
    ConsistencyAnswer c;
    c.from = resp.from_size();
    c.to = resp.to_size();
    for (const auto& h : resp.hashes()) {
      ASSIGN_OR_RETURN(Hash hash, HashFromBytes(h));
      c.proof.push_back(hash);
    }
    ASSIGN_OR_RETURN(c.old_root, HashFromBytes(resp.old_root()));
    ASSIGN_OR_RETURN(c.new_root, HashFromBytes(resp.new_root()));
    return c;
  }

  absl::StatusOr<coalition::v1::GetEntryResponse> Entry(
      const coalition::v1::GetEntryRequest& req) const {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    coalition::v1::GetEntryResponse resp;
    RETURN_IF_ERROR(FromGrpc(ledger->GetEntry(&ctx, req, &resp)));
    return resp;
  }

  int deadline_ms;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<LedgerService::Stub> ledger;
  std::unique_ptr<ProofService::Stub> proofs;
};

json CheckpointOutput(const coalition::v1::Checkpoint& cp) {
  json j = CheckpointJson(OrDie(CheckpointFromProto(cp)));
  j["height"] = cp.height();
  json cosigners = json::array();
  for (const auto& s : cp.cosignatures()) cosigners.push_back(s.signer());
  j["cosigners"] = cosigners;
  return j;
}

// Inclusion proof plus the exact leaf bytes and, when the proof's size is not the latest
// checkpoint's, a consistency proof up to it, so the output verifies on its own.
json InclusionOutput(const Node& node, const coalition::v1::InclusionRequest& req) {
  const auto proof = OrDie(node.Inclusion(req));
  coalition::v1::GetEntryRequest ereq;
  ereq.set_log_index(proof.index());
  const auto entry = OrDie(node.Entry(ereq));
  InclusionAnswer in = OrDie(InclusionFromProto(proof));
  in.leaf = entry.leaf();
  in.leaf_hash = merkle::LeafHash(in.leaf);
  json out = InclusionJson(in);
  if (proof.has_checkpoint()) {
    out["checkpoint"] = CheckpointOutput(proof.checkpoint());
  } else {
    const auto cp = OrDie(node.LatestCheckpoint());
    out["checkpoint"] = CheckpointOutput(cp);
    if (cp.size() > in.size) {
      out["consistency"] =
          json::array({ConsistencyJson(OrDie(node.Consistency(in.size, cp.size())))});
    }
  }
  return out;
}

std::string HexList(const json& arr) {
  std::string s;
  for (const auto& h : arr) s += "\n    " + h.get<std::string>();
  return s;
}

std::string DefaultStatePath() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/coalctl/verify-state.json";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.local/state/coalctl/verify-state.json";
  }
  return ".coalctl-verify-state.json";
}

absl::StatusOr<json> ReadAnswerFile(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError("answer file " + path + ": cannot open");
    ss << in.rdbuf();
  }
  const std::string text = ss.str();
  if (text.size() > kAnswerFileBytesMax) {
    return absl::InvalidArgumentError("answer file " + path + ": larger than 64 MiB");
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("answer file " + path + ": not JSON");
  return j;
}

struct VerifyOptions {
  std::string genesis;
  std::string answer;
  std::vector<uint64_t> indexes;
  std::string state;
  bool offline = false;
  bool no_state = false;
};

void RunVerify(const GlobalOptions& g, const VerifyOptions& o) {
  const auto genesis = OrDie(node::LoadGenesisFile(o.genesis));
  const TrustAnchor anchor = OrDie(TrustAnchorFromGenesis(genesis));
  std::unique_ptr<Node> node;
  if (!o.offline) node = std::make_unique<Node>(g);

  Answer answer;
  std::string source;
  if (!o.answer.empty()) {
    answer = OrDie(ParseAnswerJson(OrDie(ReadAnswerFile(o.answer))));
    source = o.answer;
  } else {
    if (!node) Die(absl::InvalidArgumentError("verify: --offline needs --answer FILE"));
    const auto cp = OrDie(node->LatestCheckpoint());
    answer.checkpoint = OrDie(CheckpointFromProto(cp));
    for (uint64_t index : o.indexes) {
      coalition::v1::InclusionRequest req;
      req.set_index(index);
      req.set_size(cp.size());
      answer.inclusions.push_back(
          OrDie(ParseAnswerJson(InclusionOutput(*node, req))).inclusions.at(0));
    }
    source = "node " + g.node;
  }

  const std::string state_path = o.state.empty() ? DefaultStatePath() : o.state;
  VerifierState state;
  if (!o.no_state) state = OrDie(LoadState(state_path));
  ConsistencyFetcher fetch;
  if (node) {
    fetch = [&node](uint64_t from, uint64_t to) { return node->Consistency(from, to); };
  }
  auto report = VerifyAnswer(anchor, answer, o.no_state ? nullptr : &state, fetch);
  if (!report.ok()) {
    if (g.json) {
      std::cout << json{{"ok", false},
                        {"code", absl::StatusCodeToString(report.status().code())},
                        {"error", std::string(report.status().message())}}
                << "\n";
    }
    std::cerr << "coalctl verify: FAILED: " << report.status().message() << "\n";
    throw CLI::RuntimeError(1);
  }
  if (!o.no_state && report->state_advanced) {
    auto st = SaveState(state_path, state);
    if (!st.ok()) Die(st);
  }
  const auto& cp = report->checkpoint;
  if (g.json) {
    json out{{"ok", true},
             {"chain", cp.origin},
             {"size", cp.size},
             {"root", ToHex(cp.root)},
             {"cosigners", cp.cosigners},
             {"quorum", anchor.quorum},
             {"inclusions", report->inclusions},
             {"state_advanced", report->state_advanced}};
    if (report->previous) out["previous_size"] = report->previous->size;
    if (!o.no_state) out["state_file"] = state_path;
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "OK: " << source << " verifies against genesis " << o.genesis << "\n"
            << "  checkpoint of " << cp.origin << " at size " << cp.size << ", root "
            << ToHex(cp.root) << "\n  cosigned by " << cp.cosigners.size() << " validators (need "
            << anchor.quorum << "):";
  for (const auto& s : cp.cosigners) std::cout << " " << s;
  std::cout << "\n";
  for (uint64_t i : report->inclusions) {
    std::cout << "  entry " << i << ": included, author signature valid\n";
  }
  if (report->previous) {
    std::cout << "  consistent with the last verified checkpoint (size " << report->previous->size
              << ")\n";
  }
}

}  // namespace

void RegisterProofCommands(CLI::App& app, GlobalOptions& g) {
  // Options outlive this function: CLI11 writes into them during parse().
  static uint64_t index = 0, size = 0, from = 0, to = 0;
  static std::string leaf_hash_hex, digest_hex;
  static VerifyOptions vopt;

  auto* checkpoint = app.add_subcommand("checkpoint", "the latest quorum checkpoint (signed note)");
  checkpoint->callback([&g] {
    Node node(g);
    const auto cp = OrDie(node.LatestCheckpoint());
    const json j = CheckpointOutput(cp);
    if (g.json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << "quorum checkpoint of " << cp.origin() << " at size " << cp.size() << " (height "
              << cp.height() << ")\n  root " << ToHex(cp.root()) << "\n  cosigned by "
              << j["cosigners"].size() << " validators\n\n"
              << cp.note();
  });

  auto* proof = app.add_subcommand("proof", "Merkle proofs and leaf bytes");
  proof->require_subcommand(1);

  auto* inclusion = proof->add_subcommand("inclusion", "inclusion proof of one entry");
  auto* index_opt = inclusion->add_option("--index", index, "log index");
  auto* hash_opt = inclusion->add_option("--leaf-hash", leaf_hash_hex, "leaf hash (hex)");
  index_opt->excludes(hash_opt);
  inclusion->add_option("--size", size, "tree size (default: the latest quorum checkpoint)");
  inclusion->callback([&g, index_opt, hash_opt] {
    coalition::v1::InclusionRequest req;
    if (index_opt->count()) {
      req.set_index(index);
    } else if (hash_opt->count()) {
      const std::string h = OrDie(FromHex(leaf_hash_hex));
      if (h.size() != 32) Die(absl::InvalidArgumentError("--leaf-hash: must be 32 bytes of hex"));
      req.set_leaf_hash(h);
    } else {
      Die(absl::InvalidArgumentError("proof inclusion: --index or --leaf-hash is required"));
    }
    req.set_size(size);
    Node node(g);
    const json j = InclusionOutput(node, req);
    if (g.json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << "entry " << j["index"] << " in the tree of size " << j["size"] << "\n  leaf hash "
              << j["leaf_hash"].get<std::string>() << "\n  root " << j["root"].get<std::string>()
              << "\n  audit path (" << j["proof"].size() << " hashes):" << HexList(j["proof"])
              << "\n";
  });

  auto* consistency = proof->add_subcommand("consistency", "consistency proof between sizes");
  consistency->add_option("--from", from, "older tree size")->required();
  consistency->add_option("--to", to, "newer tree size")->required();
  consistency->callback([&g] {
    Node node(g);
    json j = ConsistencyJson(OrDie(node.Consistency(from, to)));
    if (auto cp = node.LatestCheckpoint(); cp.ok() && cp->size() == to) {
      j["checkpoint"] = CheckpointOutput(*cp);
    }
    if (g.json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << "tree " << from << " -> " << to << "\n  old root "
              << j["old_root"].get<std::string>() << "\n  new root "
              << j["new_root"].get<std::string>() << "\n  proof (" << j["proof"].size()
              << " hashes):" << HexList(j["proof"]) << "\n";
  });

  auto* leaf = proof->add_subcommand("leaf", "the exact leaf bytes of one entry");
  auto* leaf_index_opt = leaf->add_option("--index", index, "log index");
  auto* leaf_digest_opt = leaf->add_option("--digest", digest_hex, "entry digest (hex)");
  leaf_index_opt->excludes(leaf_digest_opt);
  leaf->callback([&g, leaf_index_opt, leaf_digest_opt] {
    coalition::v1::GetEntryRequest req;
    if (leaf_index_opt->count()) {
      req.set_log_index(index);
    } else if (leaf_digest_opt->count()) {
      req.set_digest(OrDie(FromHex(digest_hex)));
    } else {
      Die(absl::InvalidArgumentError("proof leaf: --index or --digest is required"));
    }
    Node node(g);
    const auto resp = OrDie(node.Entry(req));
    std::string record_json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(resp.record(), &record_json, opts);
    const json j{{"index", resp.record().log_index()},
                 {"leaf", Base64Encode(resp.leaf())},
                 {"leaf_hash", ToHex(merkle::LeafHash(resp.leaf()))},
                 {"record", json::parse(record_json, nullptr, false)}};
    if (g.json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << "entry " << resp.record().log_index() << ", " << resp.leaf().size()
              << " leaf bytes, leaf hash " << j["leaf_hash"].get<std::string>() << "\n"
              << j["leaf"].get<std::string>() << "\n";
  });

  auto* verify = app.add_subcommand(
      "verify", "verify an answer against the genesis keys alone (exit 0 only if all verifies)");
  verify->add_option("--genesis", vopt.genesis, "genesis.toml of the chain")->required();
  verify->add_option("--answer", vopt.answer,
                     "answer JSON saved from coalctl ... --json ('-' = stdin); "
                     "without it, fetch the latest checkpoint live");
  verify->add_option("--index", vopt.indexes, "live: also prove these log indexes");
  verify->add_option("--state", vopt.state,
                     "last verified checkpoint per chain (default ~/.local/state/coalctl/"
                     "verify-state.json)");
  verify->add_flag("--offline", vopt.offline, "never contact a node");
  verify->add_flag("--no-state", vopt.no_state, "neither read nor update the state file");
  verify->callback([&g] { RunVerify(g, vopt); });
}

}  // namespace coal::tools

// coalctl: the Coalition Ledger command line. Keys, devnet, submit, query, evaluate, verify.
// `--json` prints one JSON object for scripts; without it, tables and sentences for people.
// Exit codes: 0 ok, 1 operation failed (message on stderr), 2 usage error.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "coalition/v1/services.grpc.pb.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/key_file.h"
#include "tools/coalctl/client.h"
#include "tools/coalctl/commands.h"
#include "tools/coalctl/compliance_commands.h"
#include "tools/coalctl/devnet.h"
#if __has_include("tools/coalctl/proof_commands.h")
#include "tools/coalctl/proof_commands.h"
#define COAL_HAVE_PROOF_COMMANDS 1
#endif

namespace coal::tools {
namespace {

int Fail(const absl::Status& st) {
  std::cerr << "coalctl: " << absl::StatusCodeToString(st.code()) << ": " << st.message() << "\n";
  return 1;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"coalctl: Coalition Ledger command line"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json, --node, ...) may follow the subcommand
  GlobalOptions g;
  app.add_option("--node", g.node, "client address of a node")->default_val("127.0.0.1:7000");
  app.add_option("--key", g.key_file, "private key file of the member acting");
  app.add_option("--as", g.member, "member id acting (default: key file name)");
  app.add_flag("--json", g.json, "print JSON for scripts");
  app.add_option("--deadline-ms", g.deadline_ms, "RPC deadline")->default_val(10000);

  // keys
  auto* keys = app.add_subcommand("keys", "key management");
  keys->require_subcommand(1);
  std::string key_out;
  auto* keygen = keys->add_subcommand("generate", "write a new Ed25519 private key file (0600)");
  keygen->add_option("--out", key_out, "path of the key file")->required();
  keygen->callback([&] {
    auto signer = crypto::Ed25519Signer::Generate();
    auto st = crypto::WriteKeyFile(key_out, *signer);
    if (!st.ok()) throw CLI::RuntimeError(Fail(st));
    if (g.json) {
      std::cout << nlohmann::json{{"key_file", key_out},
                                  {"public_key", Base64Encode(signer->public_key())},
                                  {"key_id", ToHex(signer->key_id())}}
                << "\n";
    } else {
      std::cout << "wrote " << key_out << "\npublic key: " << Base64Encode(signer->public_key())
                << "\n";
    }
  });

  // devnet
  auto* devnet = app.add_subcommand("devnet", "a local cluster on loopback");
  devnet->require_subcommand(1);
  DevnetOptions dopt;
  int node_index = 0;
  auto* up = devnet->add_subcommand("up", "create (if needed) and start a local devnet");
  up->add_option("--dir", dopt.dir, "devnet folder")->required();
  up->add_option("--nodes", dopt.nodes, "validators")->default_val(4);
  up->add_option("--base-port", dopt.base_port, "client P+i, peer P+100+i, http P+200+i; 0 = free")
      ->default_val(7000);
  up->add_option("--min-notice-ms", dopt.min_notice_ms, "genesis minimum notice period")
      ->default_val(60000);
  up->add_option("--checkpoint-interval-ms", dopt.checkpoint_interval_ms,
                 "cosign the log once per this many ms of block time (0: after every block)")
      ->default_val(50);
  up->add_option("--round-timeout-ms", dopt.round_timeout_ms, "base round timeout")
      ->default_val(500);
  up->add_option("--node-binary", dopt.node_binary, "coalition-node path");
  up->add_option("--byzantine", dopt.byzantine_node_mode, "INDEX:MODE (tests only)");
  up->callback([&] {
    if (!std::filesystem::exists(std::filesystem::path(dopt.dir) / "genesis.toml")) {
      auto st = DevnetInit(dopt);
      if (!st.ok()) throw CLI::RuntimeError(Fail(st));
    }
    auto st = DevnetStartAll(dopt.dir, dopt.node_binary);
    if (!st.ok()) throw CLI::RuntimeError(Fail(st));
    auto nodes = DevnetStatus(dopt.dir);
    if (!nodes.ok()) throw CLI::RuntimeError(Fail(nodes.status()));
    if (!g.json) {
      std::cout << "devnet in " << dopt.dir << ": " << nodes->size() << " nodes started\n";
      for (const auto& n : *nodes) {
        std::cout << "  " << n.id << "  client " << n.client_addr << "  http " << n.http_addr
                  << "  pid " << n.pid << "\n";
      }
    } else {
      PrintDevnetStatusJson(*nodes);
    }
  });
  std::string ddir;
  auto* down = devnet->add_subcommand("down", "stop every node of the devnet");
  down->add_option("--dir", ddir, "devnet folder")->required();
  down->callback([&] {
    auto st = DevnetDown(ddir);
    if (!st.ok()) throw CLI::RuntimeError(Fail(st));
    if (!g.json) std::cout << "devnet in " << ddir << " stopped\n";
  });
  auto* kill = devnet->add_subcommand("kill", "SIGKILL one node and wait until it has exited");
  kill->add_option("--dir", ddir, "devnet folder")->required();
  kill->add_option("--node", node_index, "node index")->required();
  kill->callback([&] {
    auto st = DevnetKillNode(ddir, node_index);
    if (!st.ok()) throw CLI::RuntimeError(Fail(st));
  });
  std::string node_binary;
  auto* start = devnet->add_subcommand("start", "start one node (or all without --node)");
  start->add_option("--dir", ddir, "devnet folder")->required();
  auto* start_node = start->add_option("--node", node_index, "node index");
  start->add_option("--node-binary", node_binary, "coalition-node path");
  start->callback([&] {
    auto st = start_node->count() ? DevnetStartNode(ddir, node_index, node_binary)
                                  : DevnetStartAll(ddir, node_binary);
    if (!st.ok()) throw CLI::RuntimeError(Fail(st));
  });
  auto* dstatus = devnet->add_subcommand("status", "which nodes run");
  dstatus->add_option("--dir", ddir, "devnet folder")->required();
  dstatus->callback([&] {
    auto nodes = DevnetStatus(ddir);
    if (!nodes.ok()) throw CLI::RuntimeError(Fail(nodes.status()));
    if (g.json) {
      PrintDevnetStatusJson(*nodes);
    } else {
      for (const auto& n : *nodes) {
        std::cout << n.id << "  " << (n.running ? "running" : "stopped") << "  client "
                  << n.client_addr << "\n";
      }
    }
  });

  RegisterClientCommands(app, g);
  RegisterComplianceCommands(app, g);
#ifdef COAL_HAVE_PROOF_COMMANDS
  RegisterProofCommands(app, g);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace coal::tools

int main(int argc, char** argv) { return coal::tools::Main(argc, argv); }

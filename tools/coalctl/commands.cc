#include "tools/coalctl/commands.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/key_file.h"
#include "crypto/status_macros.h"
#include "tools/coalctl/client.h"

namespace coal::tools {
namespace {

using coalition::v1::LedgerService;

void SetDeadline(grpc::ClientContext* ctx, int deadline_ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
}

std::string MessageToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path);
  if (!in) Die(absl::NotFoundError("cannot open " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void PrintDevnetStatusJson(const std::vector<DevnetNode>& nodes) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& n : nodes) {
    arr.push_back({{"index", n.index},
                   {"id", n.id},
                   {"client_addr", n.client_addr},
                   {"peer_addr", n.peer_addr},
                   {"http_addr", n.http_addr},
                   {"running", n.running},
                   {"pid", n.pid}});
  }
  std::cout << nlohmann::json{{"nodes", arr}}.dump() << "\n";
}

std::unique_ptr<crypto::Ed25519Signer> LoadSignerOrDie(const GlobalOptions& g) {
  if (g.key_file.empty()) Die(absl::InvalidArgumentError("--key FILE is required to sign"));
  return OrDie(crypto::LoadKeyFile(g.key_file));
}

std::string MemberOf(const GlobalOptions& g) {
  if (!g.member.empty()) return g.member;
  return std::filesystem::path(g.key_file).stem().string();
}

void RunImport(const GlobalOptions& g, const std::string& type, const std::string& path,
               int concurrency) {
  std::ifstream in(path);
  if (!in) Die(absl::NotFoundError("cannot open " + path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  // Events, deliveries, amendments and closes build on earlier lines (a shipment's states, a
  // commitment's remainder): they go one at a time, in file order.
  for (const char* ordered :
       {"ShipmentEvent", "DeliveryReport", "CommitmentAmendment", "CommitmentClose"}) {
    if (type.ends_with(ordered) && concurrency > 1) {
      if (!g.json) std::cerr << type << " lines apply in file order: importing one at a time\n";
      concurrency = 1;
    }
  }
  auto signer = LoadSignerOrDie(g);
  auto channel = Connect(g.node);
  auto stub = LedgerService::NewStub(channel);
  auto status = OrDie(FetchStatus(*stub, g.deadline_ms));
  // Sign everything first so a malformed line stops the import before anything is sent.
  std::vector<coalition::v1::Envelope> envs;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto env = EnvelopeFromJson(type, lines[i], MemberOf(g), status.chain_id(), *signer);
    if (!env.ok()) {
      Die(absl::InvalidArgumentError(path + ":" + std::to_string(i + 1) + ": " +
                                     std::string(env.status().message())));
    }
    envs.push_back(*std::move(env));
  }
  std::atomic<size_t> next{0}, done{0}, accepted{0};
  std::mutex mu;
  std::vector<std::string> problems;
  const auto start = std::chrono::steady_clock::now();
  auto progress = [&](bool final) {
    const size_t d = done.load();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int width = 30;
    const int filled = envs.empty() ? width : static_cast<int>(width * d / envs.size());
    std::fprintf(stderr, "\r[%s%s] %zu/%zu %s (%.1f/s)", std::string(filled, '=').c_str(),
                 std::string(width - filled, ' ').c_str(), d, envs.size(), type.c_str(),
                 secs > 0 ? d / secs : 0.0);
    if (final) std::fprintf(stderr, "\n");
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < concurrency; ++w) {
    workers.emplace_back([&] {
      auto local_stub = LedgerService::NewStub(channel);
      for (size_t i = next.fetch_add(1); i < envs.size(); i = next.fetch_add(1)) {
        coalition::v1::SubmitRequest req;
        *req.mutable_envelope() = envs[i];
        req.set_wait_for_commit(true);
        coalition::v1::SubmitResponse resp;
        grpc::Status st;
        for (int attempt = 0; attempt < 20; ++attempt) {  // bounded retries on back-pressure
          grpc::ClientContext ctx;
          SetDeadline(&ctx, std::max(g.deadline_ms, 30000));
          st = local_stub->Submit(&ctx, req, &resp);
          if (st.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(50 << std::min(attempt, 5)));
        }
        if (st.ok() && resp.outcome().accepted()) {
          accepted.fetch_add(1);
        } else {
          std::lock_guard lock(mu);
          problems.push_back("line " + std::to_string(i + 1) + ": " +
                             (st.ok() ? resp.outcome().reason() + ": " + resp.outcome().detail()
                                      : st.error_message()));
        }
        done.fetch_add(1);
      }
    });
  }
  while (done.load() < envs.size()) {
    if (!g.json && ::isatty(2)) progress(false);  // redraw only on a terminal
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : workers) t.join();
  if (!g.json) progress(true);
  if (g.json) {
    std::cout << nlohmann::json{{"type", type},
                                {"submitted", envs.size()},
                                {"accepted", accepted.load()},
                                {"problems", problems}}
                     .dump()
              << "\n";
  } else {
    std::cout << "imported " << accepted.load() << " of " << envs.size() << " " << type
              << " entries\n";
    for (const auto& p : problems) std::cout << "  " << p << "\n";
  }
  if (!problems.empty()) throw CLI::RuntimeError(1);
}

void RegisterClientCommands(CLI::App& app, GlobalOptions& g) {
  // status
  auto* status = app.add_subcommand("status", "a node's height, tree size, root, checkpoint");
  status->callback([&] {
    auto stub = LedgerService::NewStub(Connect(g.node));
    auto s = OrDie(FetchStatus(*stub, g.deadline_ms));
    if (g.json) {
      nlohmann::json peers = nlohmann::json::array();
      for (const auto& p : s.peers()) {
        peers.push_back({{"id", p.id()}, {"addr", p.addr()}, {"connected", p.connected()}});
      }
      std::cout << nlohmann::json{{"node_id", s.node_id()},
                                  {"chain_id", s.chain_id()},
                                  {"height", s.height()},
                                  {"tree_size", s.tree_size()},
                                  {"root", ToHex(s.root())},
                                  {"checkpoint_size", s.checkpoint_size()},
                                  {"round", s.round()},
                                  {"mempool_entries", s.mempool_entries()},
                                  {"mempool_bytes", s.mempool_bytes()},
                                  {"peers", peers}}
                       .dump()
                << "\n";
    } else {
      std::cout << "node " << s.node_id() << " on chain " << s.chain_id() << "\n"
                << "  height " << s.height() << ", round " << s.round() << "\n"
                << "  log size " << s.tree_size() << ", root " << ToHex(s.root()) << "\n"
                << "  quorum checkpoint at size " << s.checkpoint_size() << "\n"
                << "  mempool " << s.mempool_entries() << " entries, " << s.mempool_bytes()
                << " bytes\n";
      for (const auto& p : s.peers()) {
        std::cout << "  peer " << p.id() << " " << p.addr() << " "
                  << (p.connected() ? "connected" : "DISCONNECTED") << "\n";
      }
    }
  });

  // submit
  static std::string type, json, file;
  static bool wait = false;
  auto* submit = app.add_subcommand("submit", "sign and submit one payload given as JSON");
  submit->add_option("--type", type, "payload type, e.g. FlaggedShipment")->required();
  submit->add_option("--payload", json, "payload as JSON (proto3 JSON mapping)");
  submit->add_option("--file", file, "read the payload JSON from a file");
  submit->add_flag("--wait", wait, "wait until committed");
  submit->callback([&] {
    if (json.empty() && file.empty()) Die(absl::InvalidArgumentError("--payload or --file"));
    if (!file.empty()) json = ReadFileOrDie(file);
    auto signer = LoadSignerOrDie(g);
    auto stub = LedgerService::NewStub(Connect(g.node));
    auto s = OrDie(FetchStatus(*stub, g.deadline_ms));
    auto env = OrDie(EnvelopeFromJson(type, json, MemberOf(g), s.chain_id(), *signer));
    coalition::v1::SubmitRequest req;
    *req.mutable_envelope() = env;
    req.set_wait_for_commit(wait);
    coalition::v1::SubmitResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx, g.deadline_ms);
    auto st = FromGrpc(stub->Submit(&ctx, req, &resp));
    if (!st.ok()) Die(st);
    if (g.json) {
      std::cout << nlohmann::json{{"digest", ToHex(resp.digest())},
                                  {"committed", resp.committed()},
                                  {"log_index", resp.log_index()},
                                  {"height", resp.height()},
                                  {"accepted", resp.outcome().accepted()},
                                  {"reason", resp.outcome().reason()},
                                  {"detail", resp.outcome().detail()}}
                       .dump()
                << "\n";
    } else if (resp.committed()) {
      std::cout << "committed at log index " << resp.log_index() << " (height " << resp.height()
                << "): "
                << (resp.outcome().accepted()
                        ? "accepted"
                        : "REJECTED " + resp.outcome().reason() + ": " + resp.outcome().detail())
                << "\n";
    } else {
      std::cout << "admitted, digest " << ToHex(resp.digest()) << "\n";
    }
  });

  // import: bulk submission from JSON lines with a progress bar.
  static std::string import_type, import_file;
  static int concurrency = 16;
  auto* import = app.add_subcommand("import", "submit many payloads from a JSON-lines file");
  import->add_option("--type", import_type, "payload type of every line")->required();
  import->add_option("--file", import_file, "JSON lines, one payload per line")->required();
  import->add_option("--concurrency", concurrency, "submissions in flight")
      ->check(CLI::Range(1, 256));
  import->callback([&] { RunImport(g, import_type, import_file, concurrency);
});

// get
static uint64_t index = 0;
static std::string digest_hex;
auto* get = app.add_subcommand("get", "one committed entry by log index or digest");
auto* idx_opt = get->add_option("--index", index, "log index");
get->add_option("--digest", digest_hex, "entry digest (hex)");
get->callback([&g, idx_opt] {
  auto stub = LedgerService::NewStub(Connect(g.node));
  coalition::v1::GetEntryRequest req;
  if (idx_opt->count()) {
    req.set_log_index(index);
  } else {
    req.set_digest(OrDie(FromHex(digest_hex)));
  }
  coalition::v1::GetEntryResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx, g.deadline_ms);
  auto st = FromGrpc(stub->GetEntry(&ctx, req, &resp));
  if (!st.ok()) Die(st);
  std::cout << MessageToJson(resp.record()) << "\n";
});
}  // namespace coal::tools

}  // namespace coal::tools

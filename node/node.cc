#include "node/node.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "crypto/key_file.h"
#include "crypto/status_macros.h"
#include "crypto/verify_cache.h"
#include "node/byzantine.h"
#include "node/compliance_service.h"
#include "node/disk_guard.h"
#include "node/domain/entry_checks.h"
#include "node/executor.h"
#include "node/explorer_api.h"
#include "node/explorer_html.h"
#include "node/genesis.h"
#include "node/http_server.h"
#include "node/ledger.h"
#include "node/mempool.h"
#include "node/metrics.h"
#include "node/peer_transport.h"
#include "node/replica.h"
#include "node/services.h"
#include "storage/rocks_kv_store.h"

namespace coal::node {

// Signature triples remembered (~100 bytes each): well over a minute of entries at full speed.
constexpr size_t kVerifyCacheEntries = 1 << 18;

struct Node::Impl {
  NodeConfig config;
  coalition::v1::Genesis genesis;
  std::string chain_id;
  uint32_t self = 0;
  std::unique_ptr<crypto::Ed25519Signer> signer;
  std::unique_ptr<storage::RocksKvStore> kv;
  std::unique_ptr<crypto::CachingVerifier> verifier;
  std::unique_ptr<domain::EntryChecker> checker;
  std::unique_ptr<EntryExecutor> executor;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Mempool> mempool;
  std::unique_ptr<DiskGuard> disk_guard;
  Metrics metrics;
  std::unique_ptr<Replica> replica;
  std::unique_ptr<LedgerServiceImpl> ledger_service;
  std::unique_ptr<ProofServiceImpl> proof_service;
  std::unique_ptr<grpc::Service> compliance_service;
  std::unique_ptr<PeerServiceImpl> peer_service;
  std::unique_ptr<grpc::Server> client_server;
  std::unique_ptr<grpc::Server> peer_server;
  std::unique_ptr<HttpServer> http;
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() { Stop(); }

absl::StatusOr<std::unique_ptr<Node>> Node::Create(const NodeConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  ASSIGN_OR_RETURN(impl->genesis, LoadGenesisFile(config.genesis_path));
  impl->chain_id = ChainId(impl->genesis);
  bool found = false;
  for (int i = 0; i < impl->genesis.validators_size(); ++i) {
    if (impl->genesis.validators(i).id() == config.node_id) {
      impl->self = static_cast<uint32_t>(i);
      found = true;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError("node_id '" + config.node_id +
                                      "' is not a validator of the genesis");
  }
  for (const auto& [id, addr] : config.peer_dial) {
    bool known = false;
    for (const auto& v : impl->genesis.validators()) known = known || v.id() == id;
    if (!known || id == config.node_id) {
      return absl::InvalidArgumentError("node config: peer_dial." + id + ": " +
                                        (known ? "is this node itself" : "is not a validator"));
    }
  }
  if (!config.byzantine_mode.empty() && impl->genesis.chain_name().rfind("devnet", 0) != 0) {
    return absl::FailedPreconditionError(
        "byzantine_mode is for devnet tests only; refused on chain '" + impl->genesis.chain_name() +
        "'");
  }
  ASSIGN_OR_RETURN(impl->signer, crypto::LoadKeyFile(config.key_file));
  if (impl->signer->public_key() != impl->genesis.validators(impl->self).public_key()) {
    return absl::InvalidArgumentError("key_file " + config.key_file +
                                      " does not hold the genesis key of " + config.node_id);
  }
  storage::RocksOptions ropts;
  ropts.expected_genesis_hash = GenesisHash(impl->genesis);
  ASSIGN_OR_RETURN(impl->kv, storage::RocksKvStore::Open(config.data_dir, ropts));
  // One signature cache for admission, forwards and execution: each entry is verified once here.
  impl->verifier = std::make_unique<crypto::CachingVerifier>(crypto::DefaultVerifier(),
                                                             kVerifyCacheEntries);
  impl->checker = std::make_unique<domain::EntryChecker>(impl->genesis, impl->chain_id,
                                                         impl->verifier.get());
  ASSIGN_OR_RETURN(impl->executor, MakeExecutor(impl->genesis, impl->chain_id, impl->kv.get(),
                                                impl->verifier.get()));
  ASSIGN_OR_RETURN(impl->ledger, Ledger::Open(impl->kv.get(), impl->executor.get()));
  impl->mempool =
      std::make_unique<Mempool>(config.limits.mempool_entries_max, config.limits.mempool_bytes_max);
  spdlog::info("opened {} at height {}, log size {}, chain {}", config.data_dir,
               impl->ledger->height(), impl->ledger->tree_size(), impl->chain_id);
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

absl::Status Node::Start() {
  Impl& n = *impl_;
  // Admission: the domain's checks, plus the executor's age window against this node's clock, so
  // an entry that would only be committed as rejected is refused up front (INVALID_ARGUMENT).
  auto admit = [&n](const coalition::v1::Envelope& env) -> absl::Status {
    auto checked = n.checker->Check(env);
    if (!checked.ok()) return checked.status();
    const int64_t created = checked->header.created_at_ms();
    const int64_t now = absl::ToUnixMillis(absl::Now());
    const auto& g = n.genesis;
    if (g.entry_max_age_ms() > 0 && created < now - g.entry_max_age_ms()) {
      return absl::InvalidArgumentError("header.created_at_ms: " + std::to_string(created) +
                                        " is more than entry_max_age_ms " +
                                        std::to_string(g.entry_max_age_ms()) + " in the past");
    }
    if (created > now + g.entry_max_future_ms()) {
      return absl::InvalidArgumentError("header.created_at_ms: " + std::to_string(created) +
                                        " is more than entry_max_future_ms " +
                                        std::to_string(g.entry_max_future_ms()) + " in the future");
    }
    return absl::OkStatus();
  };
  std::shared_ptr<grpc::ServerCredentials> peer_server_creds;
  std::shared_ptr<grpc::ChannelCredentials> peer_channel_creds;
  const bool tls = !n.config.tls_cert.empty();
  if (tls) {
    ASSIGN_OR_RETURN(auto files,
                     LoadTlsFiles(n.config.tls_ca_cert, n.config.tls_cert, n.config.tls_key));
    peer_server_creds = PeerServerCredentials(files);
    peer_channel_creds = PeerChannelCredentials(files);
  } else {
    spdlog::warn("no [tls] configured: peer traffic is NOT authenticated (tests only)");
    peer_server_creds = grpc::InsecureServerCredentials();
    peer_channel_creds = grpc::InsecureChannelCredentials();
  }

  n.disk_guard = std::make_unique<DiskGuard>(n.config.data_dir, n.config.limits.disk_free_min_bytes,
                                             &n.metrics);
  ReplicaDeps rd;
  rd.genesis = n.genesis;
  rd.chain_id = n.chain_id;
  rd.self = n.self;
  rd.signer = n.signer.get();
  rd.kv = n.kv.get();
  rd.ledger = n.ledger.get();
  rd.mempool = n.mempool.get();
  rd.metrics = &n.metrics;
  rd.limits = n.config.limits;
  rd.peer_creds = peer_channel_creds;
  rd.admit = admit;
  rd.warm_signature = [&n](const coalition::v1::Envelope& env) { (void)n.checker->Check(env); };
  rd.storage_writable = [&n] { return n.disk_guard->CheckStorage(); };
  rd.peer_dial = n.config.peer_dial;
  if (!n.config.byzantine_mode.empty()) {  // Byzantine hook (issue 8); devnet checked in Create
    ASSIGN_OR_RETURN(rd.byzantine_mode, ParseByzantineMode(n.config.byzantine_mode));
    spdlog::warn("BYZANTINE MODE '{}': this node misbehaves on purpose (devnet tests only)",
                 n.config.byzantine_mode);
  }
  n.replica = std::make_unique<Replica>(rd);

  std::vector<std::string> ids;
  for (const auto& v : n.genesis.validators()) ids.push_back(v.id());
  n.peer_service = std::make_unique<PeerServiceImpl>(
      ids, tls, [&n](const coalition::v1::PeerEnvelope& m) { n.replica->OnPeerMessage(m); },
      [&n](const coalition::v1::SyncRequest& req, coalition::v1::SyncResponse* resp) {
        return n.replica->HandleSync(req, resp);
      });
  grpc::ServerBuilder peer_builder;
  peer_builder.AddListeningPort(n.config.peer_listen, peer_server_creds);
  peer_builder.RegisterService(n.peer_service.get());
  peer_builder.SetMaxReceiveMessageSize(64 << 20);
  n.peer_server = peer_builder.BuildAndStart();
  if (!n.peer_server) {
    return absl::UnavailableError("cannot listen on peer_listen " + n.config.peer_listen);
  }

  ServiceDeps sd;
  sd.node_id = n.config.node_id;
  sd.chain_id = n.chain_id;
  sd.ledger = n.ledger.get();
  sd.mempool = n.mempool.get();
  sd.metrics = &n.metrics;
  sd.limits = n.config.limits;
  sd.admit = admit;
  sd.forward = [&n](const coalition::v1::Envelope& env) { n.replica->ForwardEntry(env); };
  sd.writable = [&n] { return n.disk_guard->CheckWritable(); };
  sd.fill_status = [&n](coalition::v1::StatusResponse* r) { n.replica->FillStatus(r); };
  n.ledger_service = std::make_unique<LedgerServiceImpl>(sd);
  n.proof_service = std::make_unique<ProofServiceImpl>(n.ledger.get());
  n.compliance_service =
      std::make_unique<ComplianceServiceImpl>(n.genesis, n.chain_id, n.ledger.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder client_builder;
  client_builder.AddListeningPort(n.config.client_listen, grpc::InsecureServerCredentials());
  client_builder.RegisterService(n.ledger_service.get());
  client_builder.RegisterService(n.proof_service.get());
  if (n.compliance_service) client_builder.RegisterService(n.compliance_service.get());
  client_builder.SetMaxReceiveMessageSize(static_cast<int>(n.config.limits.entry_bytes_max) +
                                          (64 << 10));
  n.client_server = client_builder.BuildAndStart();
  if (!n.client_server) {
    return absl::UnavailableError("cannot listen on client_listen " + n.config.client_listen);
  }

  RETURN_IF_ERROR(n.replica->Start());

  if (!n.config.http_listen.empty()) {
    HttpHandlers h;
    h.metrics = [&n] {
      n.metrics.Gauge("coal_rocksdb_bytes", "Approximate on-disk size of the RocksDB data")
          .store(static_cast<int64_t>(n.kv->ApproximateSizeBytes()));
      n.metrics.Gauge("coal_submits_waiting", "Submit calls waiting for their entry to commit")
          .store(static_cast<int64_t>(n.ledger->waiters()));
      n.metrics
          .Counter("coal_signature_verifications_total",
                   "Entry signatures verified with Ed25519 (cache misses)")
          .store(n.verifier->misses());
      n.metrics
          .Counter("coal_signature_cache_hits_total",
                   "Entry signature checks answered by the cache (verified before on this node)")
          .store(n.verifier->hits());
      return n.metrics.Render();
    };
    h.healthy = [&n](std::string* reason) {
      coalition::v1::StatusResponse s;
      n.replica->FillStatus(&s);
      size_t connected = 0;
      for (const auto& p : s.peers()) connected += p.connected();
      const size_t needed = n.genesis.validators_size() - (n.genesis.validators_size() - 1) / 3;
      if (connected + 1 < needed) {
        *reason = "only " + std::to_string(connected + 1) + " of " + std::to_string(needed) +
                  " validators needed for a quorum are reachable";
        return false;
      }
      return true;
    };
    h.api = MakeExplorerApi(n.genesis, n.chain_id, n.config.node_id,
                            n.genesis.validators(n.self).operator_(), n.ledger.get(),
                            n.mempool.get(), n.replica.get());
    h.explorer_html = kExplorerHtml;
    n.http = std::make_unique<HttpServer>(std::move(h));
    RETURN_IF_ERROR(n.http->Start(n.config.http_listen));
  }
  spdlog::info("{} serving: client {}, peer {}{}, http {}", n.config.node_id,
               n.config.client_listen, n.config.peer_listen, tls ? " (mTLS)" : "",
               n.config.http_listen.empty() ? "off" : n.config.http_listen);
  return absl::OkStatus();
}

absl::Status Node::Backup(const std::string& dir) { return impl_->kv->CreateCheckpoint(dir); }

void Node::Stop() {
  if (!impl_) return;
  Impl& n = *impl_;
  if (n.http) n.http->Stop();
  if (n.ledger_service) n.ledger_service->Shutdown();  // answers calls waiting for a commit
  if (n.client_server)
    n.client_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (n.peer_server)
    n.peer_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (n.replica) n.replica->Stop();
  n.http.reset();
  n.client_server.reset();
  n.peer_server.reset();
  n.replica.reset();
}

}  // namespace coal::node

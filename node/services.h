// Client-facing gRPC services: LedgerService (submit, get, follow, status) and ProofService
// (checkpoints, inclusion and consistency proofs). absl::Status turns into grpc::Status here, at
// the edge, and nowhere else. Thread-safe: handlers run on gRPC's thread pool.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "coalition/v1/services.grpc.pb.h"
#include "node/config.h"
#include "node/ledger.h"
#include "node/mempool.h"
#include "node/metrics.h"

namespace coal::node {

grpc::Status ToGrpc(const absl::Status& st);

struct ServiceDeps {
  std::string node_id;
  std::string chain_id;
  Ledger* ledger = nullptr;
  Mempool* mempool = nullptr;
  Metrics* metrics = nullptr;
  Limits limits;
  // Admission checks of the domain (decode, member, role, signature, schema).
  std::function<absl::Status(const coalition::v1::Envelope&)> admit;
  // Hands an admitted entry to the replica (forwarding to peers).
  std::function<void(const coalition::v1::Envelope&)> forward;
  // OK while this node can store writes (DiskGuard); its error otherwise. May be empty.
  std::function<absl::Status()> writable;
  // Fills round, peers and other replica-owned status fields.
  std::function<void(coalition::v1::StatusResponse*)> fill_status;
};

// Submit is a callback method: a client waiting for its entry to commit holds no server thread
// (a thread per waiting call made gRPC's sync server create and end a thread per request).
class LedgerServiceImpl final
    : public coalition::v1::LedgerService::WithCallbackMethod_Submit<
          coalition::v1::LedgerService::Service> {
 public:
  explicit LedgerServiceImpl(ServiceDeps deps);
  ~LedgerServiceImpl() override;
  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* ctx,
                                   const coalition::v1::SubmitRequest* req,
                                   coalition::v1::SubmitResponse* resp) override;
  // Answers every call still waiting for a commit with UNAVAILABLE (before the server shuts down).
  void Shutdown();
  grpc::Status GetEntry(grpc::ServerContext* ctx, const coalition::v1::GetEntryRequest* req,
                        coalition::v1::GetEntryResponse* resp) override;
  grpc::Status Follow(grpc::ServerContext* ctx, const coalition::v1::FollowRequest* req,
                      grpc::ServerWriter<coalition::v1::EntryRecord>* writer) override;
  grpc::Status Status(grpc::ServerContext* ctx, const coalition::v1::StatusRequest* req,
                      coalition::v1::StatusResponse* resp) override;

 private:
  // Admission of one submitted entry; OK with `resp` filled when the call can be answered now.
  // Sets *wait when the caller should wait for the commit of `*digest`.
  grpc::Status Admit(const coalition::v1::SubmitRequest& req, coalition::v1::SubmitResponse* resp,
                     std::string* digest, bool* wait);
  void ExpireLoop();

  static constexpr auto kExpireEvery = std::chrono::milliseconds(100);

  ServiceDeps deps_;
  std::atomic<uint64_t> follow_streams_{0};
  // Ends waits that passed the server's own limit (client deadlines end them through OnCancel).
  std::mutex expire_mu_;
  std::condition_variable expire_cv_;
  bool stop_ = false;  // guarded by expire_mu_
  std::thread expirer_;
};

class ProofServiceImpl final : public coalition::v1::ProofService::Service {
 public:
  explicit ProofServiceImpl(Ledger* ledger) : ledger_(ledger) {}
  grpc::Status LatestCheckpoint(grpc::ServerContext* ctx,
                                const coalition::v1::CheckpointRequest* req,
                                coalition::v1::Checkpoint* resp) override;
  grpc::Status Inclusion(grpc::ServerContext* ctx, const coalition::v1::InclusionRequest* req,
                         coalition::v1::Proof* resp) override;
  grpc::Status Consistency(grpc::ServerContext* ctx, const coalition::v1::ConsistencyRequest* req,
                           coalition::v1::ConsistencyResponse* resp) override;

 private:
  Ledger* ledger_;
};

// Fills `proof` for `index` against the latest quorum checkpoint (or the current tree when none).
absl::Status FillProof(const Ledger& ledger, uint64_t index, uint64_t size,
                       coalition::v1::Proof* proof);

}  // namespace coal::node

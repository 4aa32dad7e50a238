// Client-facing gRPC services: LedgerService (submit, get, follow, status) and ProofService
// (checkpoints, inclusion and consistency proofs). absl::Status turns into grpc::Status here, at
// the edge, and nowhere else. Thread-safe: handlers run on gRPC's thread pool.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <string>

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

class LedgerServiceImpl final : public coalition::v1::LedgerService::Service {
 public:
  explicit LedgerServiceImpl(ServiceDeps deps);
  grpc::Status Submit(grpc::ServerContext* ctx, const coalition::v1::SubmitRequest* req,
                      coalition::v1::SubmitResponse* resp) override;
  grpc::Status GetEntry(grpc::ServerContext* ctx, const coalition::v1::GetEntryRequest* req,
                        coalition::v1::GetEntryResponse* resp) override;
  grpc::Status Follow(grpc::ServerContext* ctx, const coalition::v1::FollowRequest* req,
                      grpc::ServerWriter<coalition::v1::EntryRecord>* writer) override;
  grpc::Status Status(grpc::ServerContext* ctx, const coalition::v1::StatusRequest* req,
                      coalition::v1::StatusResponse* resp) override;

 private:
  ServiceDeps deps_;
  std::atomic<uint64_t> follow_streams_{0};
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

// ComplianceService: the read side of the compliance domain over gRPC (evaluate, rule sets,
// commitments, shipments). Answers come from committed state (node/domain/queries.h); this file
// only checks who is asking and converts statuses at the edge.
//
// Shipment reads are restricted to enforcement and authority members. The caller proves who it
// is with a signed read request: ShipmentQuery.auth is an Envelope of type coalition.v1.ReadAuth
// whose header names the member, the chain and a fresh time (within kReadAuthSkew of the node's
// clock), whose method is kShipmentsMethod, and whose request_digest is SHA-256 of the query
// serialized with `auth` cleared. The client API runs without TLS on loopback, so the signature,
// not the connection, carries the identity.
//
// Thread-safe: handlers run on gRPC's thread pool and only read.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/services.grpc.pb.h"
#include "node/ledger.h"

namespace coal::node {

inline constexpr std::string_view kShipmentsMethod = "/coalition.v1.ComplianceService/Shipments";
inline constexpr std::string_view kReadAuthType = "coalition.v1.ReadAuth";
inline constexpr absl::Duration kReadAuthSkew = absl::Minutes(5);

// The member id a ShipmentQuery's signed ReadAuth proves, or UNAUTHENTICATED / INVALID_ARGUMENT
// naming what is wrong.
absl::StatusOr<std::string> AuthenticateShipmentQuery(const coalition::v1::Genesis& genesis,
                                                      std::string_view chain_id,
                                                      const coalition::v1::ShipmentQuery& query,
                                                      absl::Time now);

class ComplianceServiceImpl final : public coalition::v1::ComplianceService::Service {
 public:
  ComplianceServiceImpl(coalition::v1::Genesis genesis, std::string chain_id, Ledger* ledger);

  grpc::Status Evaluate(grpc::ServerContext* ctx, const coalition::v1::EvaluateRequest* req,
                        coalition::v1::EvaluateResponse* resp) override;
  grpc::Status RuleSets(grpc::ServerContext* ctx, const coalition::v1::RuleSetRequest* req,
                        coalition::v1::RuleSetResponse* resp) override;
  grpc::Status Commitments(grpc::ServerContext* ctx, const coalition::v1::CommitmentQuery* req,
                           coalition::v1::CommitmentResponse* resp) override;
  grpc::Status Shipments(grpc::ServerContext* ctx, const coalition::v1::ShipmentQuery* req,
                         coalition::v1::ShipmentResponse* resp) override;

 private:
  const coalition::v1::Genesis genesis_;
  const std::string chain_id_;
  Ledger* const ledger_;
};

}  // namespace coal::node

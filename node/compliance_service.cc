#include "node/compliance_service.h"

#include <cstdlib>

#include "crypto/dsse.h"
#include "crypto/sha256.h"
#include "node/domain/queries.h"
#include "node/services.h"

namespace coal::node {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

absl::Status Unauthenticated(std::string_view msg) {
  return absl::UnauthenticatedError(std::string(msg));
}

}  // namespace

absl::StatusOr<std::string> AuthenticateShipmentQuery(const coalition::v1::Genesis& genesis,
                                                      std::string_view chain_id,
                                                      const coalition::v1::ShipmentQuery& query,
                                                      absl::Time now) {
  if (!query.has_auth()) {
    return Unauthenticated(
        "auth: shipment reads need a signed ReadAuth (enforcement and authority members only)");
  }
  const auto& env = query.auth();
  if (env.payload_type() != kReadAuthType) {
    return Unauthenticated("auth.payload_type: expected " + std::string(kReadAuthType) + ", got '" +
                           env.payload_type().substr(0, 128) + "'");
  }
  coalition::v1::ReadAuth ra;
  if (!ra.ParseFromString(env.payload())) {
    return absl::InvalidArgumentError("auth.payload: not a ReadAuth message");
  }
  const auto& h = ra.header();
  if (h.chain_id() != chain_id) {
    return Unauthenticated("auth.header.chain_id: '" + h.chain_id().substr(0, 128) +
                           "' is not this chain");
  }
  const coalition::v1::Member* member = nullptr;
  for (const auto& m : genesis.members()) {
    if (m.id() == h.author()) member = &m;
  }
  if (member == nullptr) {
    return Unauthenticated("auth.header.author: '" + h.author().substr(0, 128) +
                           "' is not a genesis member");
  }
  if (absl::Status sig = crypto::VerifyEnvelopeSignature(env, member->public_key()); !sig.ok()) {
    return Unauthenticated("auth.signatures: no valid signature by '" + h.author() +
                           "': " + std::string(sig.message()));
  }
  if (ra.method() != kShipmentsMethod) {
    return Unauthenticated("auth.method: signed for '" + ra.method().substr(0, 128) + "', not " +
                           std::string(kShipmentsMethod));
  }
  coalition::v1::ShipmentQuery bare = query;
  bare.clear_auth();
  const auto digest = coal::Sha256(bare.SerializeAsString());
  if (ra.request_digest() != std::string(digest.begin(), digest.end())) {
    return Unauthenticated("auth.request_digest: does not match this query (signed for another)");
  }
  const absl::Time signed_at = absl::FromUnixMillis(h.created_at_ms());
  if (signed_at < now - kReadAuthSkew || signed_at > now + kReadAuthSkew) {
    return Unauthenticated("auth.header.created_at_ms: more than " +
                           absl::FormatDuration(kReadAuthSkew) +
                           " away from the node's clock; sign the read again");
  }
  return h.author();
}

ComplianceServiceImpl::ComplianceServiceImpl(coalition::v1::Genesis genesis, std::string chain_id,
                                             Ledger* ledger)
    : genesis_(std::move(genesis)), chain_id_(std::move(chain_id)), ledger_(ledger) {}

grpc::Status ComplianceServiceImpl::Evaluate(grpc::ServerContext*,
                                             const coalition::v1::EvaluateRequest* req,
                                             coalition::v1::EvaluateResponse* resp) {
  auto r = domain::QueryEvaluate(*ledger_->kv(), *req, NowMs());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::RuleSets(grpc::ServerContext*,
                                             const coalition::v1::RuleSetRequest* req,
                                             coalition::v1::RuleSetResponse* resp) {
  auto r = domain::QueryRuleSets(*ledger_->kv(), *req, NowMs());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::Commitments(grpc::ServerContext*,
                                                const coalition::v1::CommitmentQuery* req,
                                                coalition::v1::CommitmentResponse* resp) {
  auto r = domain::QueryCommitments(*ledger_->kv(), *req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::Shipments(grpc::ServerContext*,
                                              const coalition::v1::ShipmentQuery* req,
                                              coalition::v1::ShipmentResponse* resp) {
  auto caller = AuthenticateShipmentQuery(genesis_, chain_id_, *req, absl::Now());
  if (!caller.ok()) return ToGrpc(caller.status());
  auto r = domain::QueryShipments(*ledger_->kv(), genesis_, *req, *caller);
  if (!r.ok()) return ToGrpc(r.status());
  if (req->with_proof()) {
    // Proofs hang on the latest quorum checkpoint; a record committed after it has none yet.
    const auto cp = ledger_->LatestQuorumCheckpoint();
    for (auto& rec : *r->mutable_shipments()) {
      if (!cp || rec.log_index() >= cp->size()) continue;
      if (auto st = FillProof(*ledger_, rec.log_index(), cp->size(), rec.mutable_proof());
          !st.ok()) {
        return ToGrpc(st);
      }
    }
  }
  *resp = *std::move(r);
  return grpc::Status::OK;
}

}  // namespace coal::node

#include "node/compliance_service.h"

#include <cstdlib>

#include "crypto/dsse.h"
#include "crypto/sha256.h"
#include "crypto/status_macros.h"
#include "node/domain/queries.h"
#include "node/services.h"

namespace coal::node {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

absl::Status Unauthenticated(std::string_view msg) {
  return absl::UnauthenticatedError(std::string(msg));
}

// Proofs hang on the latest quorum checkpoint: one inclusion proof per index below its size (an
// entry committed after it has none yet; ask again once the next checkpoint forms).
class Prover {
 public:
  explicit Prover(const Ledger& ledger) : ledger_(ledger), cp_(ledger.LatestQuorumCheckpoint()) {}

  absl::Status Add(uint64_t index, google::protobuf::RepeatedPtrField<coalition::v1::Proof>* out) {
    coalition::v1::Proof proof;
    RETURN_IF_ERROR(Fill(index, &proof));
    if (proof.size() > 0) *out->Add() = std::move(proof);
    return absl::OkStatus();
  }
  absl::Status Fill(uint64_t index, coalition::v1::Proof* proof) {
    if (!cp_ || index >= cp_->size()) return absl::OkStatus();
    return FillProof(ledger_, index, cp_->size(), proof);
  }

 private:
  const Ledger& ledger_;
  const std::optional<coalition::v1::Checkpoint> cp_;
};

absl::Status ProveRuleSet(Prover& prover, coalition::v1::RuleSetStatus* s) {
  if (s->genesis()) return absl::OkStatus();
  RETURN_IF_ERROR(prover.Add(s->log_index(), s->mutable_proofs()));
  if (s->adopted() && s->adopted_log_index() != s->log_index()) {
    RETURN_IF_ERROR(prover.Add(s->adopted_log_index(), s->mutable_proofs()));
  }
  return absl::OkStatus();
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
  const int64_t now = NowMs();
  auto r = domain::QueryEvaluate(*ledger_->kv(), *req, now);
  if (!r.ok()) return ToGrpc(r.status());
  if (req->with_proof()) {
    // The entries of the rule-set version each evaluation applied.
    Prover prover(*ledger_);
    for (auto& ev : *r->mutable_evaluations()) {
      coalition::v1::RuleSetRequest rq;
      rq.set_rule_set_id(ev.rule_set_id());
      rq.set_as_of_ms(req->as_of_ms());
      auto sets = domain::QueryRuleSets(*ledger_->kv(), rq, now);
      if (!sets.ok()) return ToGrpc(sets.status());
      for (auto& h : *sets->mutable_history()) {
        if (h.rule_set().version() != ev.version()) continue;
        if (auto st = ProveRuleSet(prover, &h); !st.ok()) return ToGrpc(st);
        *ev.mutable_proofs() = h.proofs();
        break;
      }
    }
  }
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::RuleSets(grpc::ServerContext*,
                                             const coalition::v1::RuleSetRequest* req,
                                             coalition::v1::RuleSetResponse* resp) {
  auto r = domain::QueryRuleSets(*ledger_->kv(), *req, NowMs());
  if (!r.ok()) return ToGrpc(r.status());
  if (req->with_proof()) {
    Prover prover(*ledger_);
    for (auto* list : {r->mutable_in_force(), r->mutable_pending(), r->mutable_history(),
                       r->mutable_proposed()}) {
      for (auto& s : *list) {
        if (auto st = ProveRuleSet(prover, &s); !st.ok()) return ToGrpc(st);
      }
    }
  }
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status ComplianceServiceImpl::Commitments(grpc::ServerContext*,
                                                const coalition::v1::CommitmentQuery* req,
                                                coalition::v1::CommitmentResponse* resp) {
  auto r = domain::QueryCommitments(*ledger_->kv(), *req);
  if (!r.ok()) return ToGrpc(r.status());
  if (req->with_proof()) {
    Prover prover(*ledger_);
    for (auto& c : *r->mutable_commitments()) {
      auto st = prover.Add(c.log_index(), c.mutable_proofs());
      for (uint64_t i : c.event_log_indexes()) {
        if (st.ok()) st = prover.Add(i, c.mutable_proofs());
      }
      if (!st.ok()) return ToGrpc(st);
    }
  }
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
    Prover prover(*ledger_);
    for (auto& rec : *r->mutable_shipments()) {
      auto st = prover.Fill(rec.log_index(), rec.mutable_proof());
      if (!rec.proof().has_checkpoint()) rec.clear_proof();  // committed after the checkpoint
      for (uint64_t i : rec.event_log_indexes()) {
        if (st.ok()) st = prover.Add(i, rec.mutable_event_proofs());
      }
      if (!st.ok()) return ToGrpc(st);
    }
  }
  *resp = *std::move(r);
  return grpc::Status::OK;
}

}  // namespace coal::node

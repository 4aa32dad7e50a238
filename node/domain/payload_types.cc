#include "node/domain/payload_types.h"

#include "coalition/v1/domain.pb.h"
#include "crypto/status_macros.h"

namespace coal::domain {

using coalition::v1::ROLE_AUTHORITY;
using coalition::v1::ROLE_CLOUD_PROVIDER;
using coalition::v1::ROLE_ENFORCEMENT;
using coalition::v1::ROLE_OBSERVER;

const std::vector<PayloadTypeInfo>& PayloadTypes() {
  static const auto* types = new std::vector<PayloadTypeInfo>{
      {PayloadKind::kAttestation,
       "coalition.v1.Attestation",
       {ROLE_AUTHORITY, ROLE_CLOUD_PROVIDER, ROLE_ENFORCEMENT, ROLE_OBSERVER}},
      {PayloadKind::kThresholdProposal, "coalition.v1.ThresholdProposal", {ROLE_AUTHORITY}},
      {PayloadKind::kThresholdApproval, "coalition.v1.ThresholdApproval", {ROLE_AUTHORITY}},
      {PayloadKind::kProcurementCommitment,
       "coalition.v1.ProcurementCommitment",
       {ROLE_AUTHORITY, ROLE_CLOUD_PROVIDER}},
      {PayloadKind::kDeliveryReport,
       "coalition.v1.DeliveryReport",
       {ROLE_AUTHORITY, ROLE_CLOUD_PROVIDER}},
      {PayloadKind::kCommitmentAmendment,
       "coalition.v1.CommitmentAmendment",
       {ROLE_AUTHORITY, ROLE_CLOUD_PROVIDER}},
      {PayloadKind::kCommitmentClose,
       "coalition.v1.CommitmentClose",
       {ROLE_AUTHORITY, ROLE_CLOUD_PROVIDER}},
      {PayloadKind::kFlaggedShipment, "coalition.v1.FlaggedShipment", {ROLE_ENFORCEMENT}},
      {PayloadKind::kShipmentEvent, "coalition.v1.ShipmentEvent", {ROLE_ENFORCEMENT}},
  };
  return *types;
}

const PayloadTypeInfo* FindPayloadType(std::string_view type_name) {
  for (const auto& t : PayloadTypes()) {
    if (t.type_name == type_name) return &t;
  }
  return nullptr;
}

const PayloadTypeInfo& InfoOf(PayloadKind kind) {
  for (const auto& t : PayloadTypes()) {
    if (t.kind == kind) return t;
  }
  COAL_CHECK(false);
  return PayloadTypes().front();
}

std::unique_ptr<google::protobuf::Message> NewPayload(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kAttestation:
      return std::make_unique<coalition::v1::Attestation>();
    case PayloadKind::kThresholdProposal:
      return std::make_unique<coalition::v1::ThresholdProposal>();
    case PayloadKind::kThresholdApproval:
      return std::make_unique<coalition::v1::ThresholdApproval>();
    case PayloadKind::kProcurementCommitment:
      return std::make_unique<coalition::v1::ProcurementCommitment>();
    case PayloadKind::kDeliveryReport:
      return std::make_unique<coalition::v1::DeliveryReport>();
    case PayloadKind::kCommitmentAmendment:
      return std::make_unique<coalition::v1::CommitmentAmendment>();
    case PayloadKind::kCommitmentClose:
      return std::make_unique<coalition::v1::CommitmentClose>();
    case PayloadKind::kFlaggedShipment:
      return std::make_unique<coalition::v1::FlaggedShipment>();
    case PayloadKind::kShipmentEvent:
      return std::make_unique<coalition::v1::ShipmentEvent>();
  }
  COAL_CHECK(false);
  return nullptr;
}

}  // namespace coal::domain

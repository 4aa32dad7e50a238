// The ledger's payload types: exact type names (Envelope.payload_type), the message each decodes
// to, and the roles allowed to write each (DESIGN §4, §5). Thread safety: constants only.
#pragma once

#include <google/protobuf/message.h>

#include <memory>
#include <string_view>
#include <vector>

#include "coalition/v1/genesis.pb.h"

namespace coal::domain {

enum class PayloadKind {
  kAttestation,
  kThresholdProposal,
  kThresholdApproval,
  kProcurementCommitment,
  kDeliveryReport,
  kCommitmentAmendment,
  kCommitmentClose,
  kFlaggedShipment,
  kShipmentEvent,
};

struct PayloadTypeInfo {
  PayloadKind kind;
  std::string_view type_name;  // "coalition.v1.ThresholdProposal"
  std::vector<coalition::v1::Role> write_roles;
};

const std::vector<PayloadTypeInfo>& PayloadTypes();
// nullptr for a type name the ledger does not know.
const PayloadTypeInfo* FindPayloadType(std::string_view type_name);
const PayloadTypeInfo& InfoOf(PayloadKind kind);
// A fresh, empty message of the kind's type.
std::unique_ptr<google::protobuf::Message> NewPayload(PayloadKind kind);

}  // namespace coal::domain

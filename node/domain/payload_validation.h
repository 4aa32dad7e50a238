// Schema validation of decoded payloads: the stateless checks (required fields, formats, sizes)
// that admission and the executor both run. Every error is INVALID_ARGUMENT with a reason code
// (invalid_field, or invalid_condition for the condition grammar) and a message that starts with
// the field's path, e.g. "rule_set.entries[1].condition.all[0].param: unknown parameter 'x'".
// Stateful rules (quorum, delivery totals, transitions) live with each record kind.
//
// Limits are named below; every repeated field and string is bounded.
// Thread safety: pure functions.
#pragma once

#include <google/protobuf/message.h>

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "coalition/v1/domain.pb.h"
#include "node/domain/payload_types.h"

namespace coal::domain {

inline constexpr size_t kIdBytesMax = 128;     // commitment, shipment, rule-set ids
inline constexpr size_t kNameBytesMax = 256;   // party names, titles, descriptions
inline constexpr size_t kTextBytesMax = 4096;  // notes, reasons, rationale
inline constexpr size_t kSourceJsonBytesMax = 64 * 1024;
inline constexpr size_t kAttestationBodyBytesMax = 64 * 1024;
inline constexpr int kRuleEntriesMax = 64;
inline constexpr int kRuleExclusionsMax = 16;
inline constexpr int kDestinationsMax = 256;
inline constexpr int kSupersedesMax = 16;
inline constexpr int kEffectiveDatesMax = 32;
inline constexpr int kVendorsMax = 16;
inline constexpr int kSecurityStandardsMax = 16;
inline constexpr int kHsCodesMax = 16;
inline constexpr int kItemsMax = 64;
inline constexpr int kSerialsPerShipmentMax = 10000;
inline constexpr int kIntermediariesMax = 16;
inline constexpr int kRouteMax = 32;
inline constexpr int kFlagReasonsMax = 16;
inline constexpr int kEvidenceDigestsMax = 64;
inline constexpr size_t kEvidenceDigestBytes = 32;

// Dispatches on kind; `payload` must be the kind's message type.
absl::Status ValidatePayload(PayloadKind kind, const google::protobuf::Message& payload);

absl::Status ValidateRuleSet(const coalition::v1::RuleSet& rule_set, std::string_view path);
absl::Status ValidateThresholdProposal(const coalition::v1::ThresholdProposal& p);
absl::Status ValidateThresholdApproval(const coalition::v1::ThresholdApproval& p);
absl::Status ValidateCommitment(const coalition::v1::ProcurementCommitment& p);
absl::Status ValidateDelivery(const coalition::v1::DeliveryReport& p);
absl::Status ValidateAmendment(const coalition::v1::CommitmentAmendment& p);
absl::Status ValidateClose(const coalition::v1::CommitmentClose& p);
absl::Status ValidateFlaggedShipment(const coalition::v1::FlaggedShipment& p);
absl::Status ValidateShipmentEvent(const coalition::v1::ShipmentEvent& p);

// "XX" (ISO 3166-1 alpha-2, upper case).
bool IsCountryCode(std::string_view s);
// "USD" (ISO 4217, upper case).
bool IsCurrencyCode(std::string_view s);

}  // namespace coal::domain

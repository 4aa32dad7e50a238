// Rejection reasons: the stable snake_case codes an Outcome carries (Outcome.reason), and the
// absl::Status plumbing that carries a code from a check to the executor. A check returns
// Reject(code, reason, detail); the executor turns it into Outcome{accepted=false, reason, detail}.
// The detail is a human message that names the offending field ("rule_set.version: must be >= 1").
//
// Codes are part of the ledger: every node must produce the same one for the same entry, and
// clients match on them. Never rename one; add new ones.
//
// Thread safety: constants and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "coalition/v1/ledger.pb.h"

namespace coal::domain::reason {

// Envelope and header (admission and executor).
inline constexpr char kUnknownPayloadType[] = "unknown_payload_type";
inline constexpr char kMalformedPayload[] = "malformed_payload";  // does not decode / no header
inline constexpr char kInvalidHeader[] = "invalid_header";        // empty author, bad nonce...
inline constexpr char kWrongChain[] = "wrong_chain";
inline constexpr char kUnknownMember[] = "unknown_member";
inline constexpr char kBadSignature[] = "bad_signature";
inline constexpr char kRoleNotAllowed[] = "role_not_allowed";
inline constexpr char kInvalidField[] = "invalid_field";  // schema check, names field
inline constexpr char kDuplicateNonce[] = "duplicate_nonce";
inline constexpr char kEntryTooOld[] = "entry_too_old";
inline constexpr char kEntryFromFuture[] = "entry_from_future";

// Threshold rule sets.
inline constexpr char kInvalidCondition[] = "invalid_condition";
inline constexpr char kNoticeTooShort[] = "notice_too_short";
inline constexpr char kStaleVersion[] = "stale_version";
inline constexpr char kDuplicateRuleSetVersion[] = "duplicate_rule_set_version";
inline constexpr char kUnknownProposal[] = "unknown_proposal";
inline constexpr char kAlreadyAdopted[] = "already_adopted";
inline constexpr char kDuplicateApproval[] = "duplicate_approval";
inline constexpr char kTooManyRuleSets[] = "too_many_rule_sets";

// Procurement commitments.
inline constexpr char kDuplicateCommitment[] = "duplicate_commitment";
inline constexpr char kUnknownCommitment[] = "unknown_commitment";
inline constexpr char kCommitmentClosed[] = "commitment_closed";
inline constexpr char kNotCommitmentOwner[] = "not_commitment_owner";
inline constexpr char kBuyerNotAllowed[] = "buyer_not_allowed";
inline constexpr char kUnknownVendor[] = "unknown_vendor";
inline constexpr char kCurrencyMismatch[] = "currency_mismatch";
inline constexpr char kDeliveryExceedsAmount[] = "delivery_exceeds_amount";
inline constexpr char kDeliveryExceedsQuantity[] = "delivery_exceeds_quantity";
inline constexpr char kDeliveryBeforePeriod[] = "delivery_before_period";
inline constexpr char kDeliveryBeforeCommitment[] = "delivery_before_commitment";
inline constexpr char kDeliveryInFuture[] = "delivery_in_future";
inline constexpr char kAmendmentBelowDelivered[] = "amendment_below_delivered";
inline constexpr char kInvalidPeriod[] = "invalid_period";
inline constexpr char kTooManyEvents[] = "too_many_events";

// Flagged shipments.
inline constexpr char kDuplicateShipment[] = "duplicate_shipment";
inline constexpr char kUnknownShipment[] = "unknown_shipment";
inline constexpr char kInvalidTransition[] = "invalid_transition";

}  // namespace coal::domain::reason

namespace coal::domain {

// A status carrying a reason code (as a status payload) and a detail message.
absl::Status Reject(absl::StatusCode code, std::string_view reason, std::string detail);
inline absl::Status InvalidField(std::string detail) {
  return Reject(absl::StatusCode::kInvalidArgument, reason::kInvalidField, std::move(detail));
}

// The reason code carried by `status`; when it carries none, a code derived from the status code
// (INVALID_ARGUMENT -> invalid_field, UNAUTHENTICATED -> bad_signature, PERMISSION_DENIED ->
// role_not_allowed, anything else -> "internal").
std::string ReasonOf(const absl::Status& status);

coalition::v1::Outcome Accepted();
coalition::v1::Outcome Rejected(const absl::Status& status);

}  // namespace coal::domain

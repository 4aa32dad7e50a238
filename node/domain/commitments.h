// Procurement commitments (DESIGN §5): create, report deliveries, amend, close.
//
// Rules, with their rejection reasons:
//   - Only cloud_provider and authority members write (entry checks: role_not_allowed); the buyer
//     must be such a member too (buyer_not_allowed).
//   - commitment_id is new (duplicate_commitment); later records name a known one
//     (unknown_commitment) that is still open (commitment_closed).
//   - Only the buyer or the commitment's author may deliver, amend or close (not_commitment_owner).
//   - A delivery names one of the vendors (unknown_vendor), in the commitment's currency
//     (currency_mismatch); delivered totals never exceed the amount (delivery_exceeds_amount) or,
//     when the commitment states one, the quantity (delivery_exceeds_quantity); delivered_at_ms is
//     not before period_start_ms (delivery_before_period), nor before the commitment's
//     created_at_ms (delivery_before_commitment), nor after block time + entry_max_future_ms
//     (delivery_in_future).
//   - An amendment keeps the currency (currency_mismatch), never goes below what was delivered
//     (amendment_below_delivered), and keeps period_end after period_start (invalid_period).
//   - At most kCommitmentEventsMax deliveries/amendments per commitment (too_many_events).
// State: Column::kState "cm/<id>" -> CommitmentStatus (services.proto). Indexes (Column::kIndex,
// keyed by the creating entry's log index): "cm.all", "cm.member\0<buyer>", "cm.vendor\0<vendor>".
// Thread safety: pure functions over the given state.
#pragma once

#include "absl/status/status.h"
#include "coalition/v1/domain.pb.h"
#include "node/domain/handler_context.h"

namespace coal::domain {

inline constexpr int kCommitmentEventsMax = 10000;
inline constexpr char kCommitmentAllIndex[] = "cm.all";
inline constexpr char kCommitmentMemberIndex[] = "cm.member";
inline constexpr char kCommitmentVendorIndex[] = "cm.vendor";

absl::Status ApplyCommitment(const HandlerContext& ctx,
                             const coalition::v1::ProcurementCommitment& c);
absl::Status ApplyDelivery(const HandlerContext& ctx, const coalition::v1::DeliveryReport& d);
absl::Status ApplyAmendment(const HandlerContext& ctx, const coalition::v1::CommitmentAmendment& a);
absl::Status ApplyClose(const HandlerContext& ctx, const coalition::v1::CommitmentClose& c);

}  // namespace coal::domain

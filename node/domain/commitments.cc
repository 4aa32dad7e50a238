#include "node/domain/commitments.h"

#include <algorithm>

#include "coalition/v1/services.pb.h"
#include "crypto/status_macros.h"
#include "node/domain/reasons.h"

namespace coal::domain {
namespace {

using coalition::v1::CommitmentStatus;
using storage::Column;

constexpr char kOpen[] = "open";
constexpr char kClosed[] = "closed";

absl::Status Fail(std::string_view reason, std::string detail) {
  return Reject(absl::StatusCode::kFailedPrecondition, reason, std::move(detail));
}

void Store(const HandlerContext& ctx, const CommitmentStatus& s) {
  std::string bytes;
  s.SerializeToString(&bytes);
  ctx.state.Put(Column::kState, CommitmentKey(s.commitment().commitment_id()), bytes);
}

void UpdateRemaining(CommitmentStatus* s) {
  s->mutable_remaining()->set_currency(s->commitment().amount().currency());
  s->mutable_remaining()->set_units(s->commitment().amount().units() - s->delivered().units());
}

// Loads an open commitment the author may change.
absl::StatusOr<CommitmentStatus> LoadOwned(const HandlerContext& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(auto stored, ctx.state.Get(Column::kState, CommitmentKey(id)));
  if (!stored.has_value()) {
    return Fail(reason::kUnknownCommitment, "commitment_id: '" + id + "' is not a commitment");
  }
  CommitmentStatus s;
  if (!s.ParseFromString(*stored)) return absl::DataLossError("commitment record does not decode");
  if (s.status() == kClosed) {
    return Fail(reason::kCommitmentClosed, "commitment_id: '" + id + "' is closed");
  }
  const std::string& author = ctx.header.author();
  if (author != s.commitment().buyer() && author != s.commitment().header().author()) {
    return Fail(
        reason::kNotCommitmentOwner,
        "header.author: '" + author + "' is neither the buyer nor the author of '" + id + "'");
  }
  if (s.event_log_indexes_size() >= kCommitmentEventsMax) {
    return Fail(reason::kTooManyEvents, "commitment_id: '" + id + "' has " +
                                            std::to_string(kCommitmentEventsMax) + " events");
  }
  return s;
}

}  // namespace

absl::Status ApplyCommitment(const HandlerContext& ctx,
                             const coalition::v1::ProcurementCommitment& c) {
  ASSIGN_OR_RETURN(auto existing, ctx.state.Get(Column::kState, CommitmentKey(c.commitment_id())));
  if (existing.has_value()) {
    return Fail(reason::kDuplicateCommitment,
                "commitment_id: '" + c.commitment_id() + "' already exists");
  }
  const auto* buyer = ctx.checker.FindMember(c.buyer());
  if (buyer == nullptr || !(HasRole(*buyer, coalition::v1::ROLE_CLOUD_PROVIDER) ||
                            HasRole(*buyer, coalition::v1::ROLE_AUTHORITY))) {
    return Fail(reason::kBuyerNotAllowed,
                "buyer: '" + c.buyer() + "' is not a cloud_provider or authority member");
  }
  CommitmentStatus s;
  *s.mutable_commitment() = c;
  s.mutable_delivered()->set_currency(c.amount().currency());
  s.set_status(kOpen);
  s.set_log_index(ctx.log_index);
  s.set_created_at_ms(ctx.block_time_ms);
  UpdateRemaining(&s);
  Store(ctx, s);
  const std::string& id = c.commitment_id();
  ctx.state.Put(Column::kIndex, IndexKey(kCommitmentAllIndex, "", ctx.log_index), id);
  ctx.state.Put(Column::kIndex, IndexKey(kCommitmentMemberIndex, c.buyer(), ctx.log_index), id);
  for (const auto& v : c.vendors()) {
    ctx.state.Put(Column::kIndex, IndexKey(kCommitmentVendorIndex, v, ctx.log_index), id);
  }
  return absl::OkStatus();
}

absl::Status ApplyDelivery(const HandlerContext& ctx, const coalition::v1::DeliveryReport& d) {
  ASSIGN_OR_RETURN(CommitmentStatus s, LoadOwned(ctx, d.commitment_id()));
  const auto& c = s.commitment();
  if (std::find(c.vendors().begin(), c.vendors().end(), d.vendor()) == c.vendors().end()) {
    return Fail(reason::kUnknownVendor,
                "vendor: '" + d.vendor() + "' is not a vendor of '" + c.commitment_id() + "'");
  }
  if (d.amount().currency() != c.amount().currency()) {
    return Fail(reason::kCurrencyMismatch, "amount.currency: '" + d.amount().currency() +
                                               "' but the commitment is in " +
                                               c.amount().currency());
  }
  if (d.amount().units() > c.amount().units() - s.delivered().units()) {
    return Fail(reason::kDeliveryExceedsAmount,
                "amount.units: " + std::to_string(d.amount().units()) + " exceeds the remaining " +
                    std::to_string(c.amount().units() - s.delivered().units()));
  }
  if (c.quantity() > 0 && d.quantity() > c.quantity() - s.delivered_quantity()) {
    return Fail(reason::kDeliveryExceedsQuantity,
                "quantity: " + std::to_string(d.quantity()) + " exceeds the remaining " +
                    std::to_string(c.quantity() - s.delivered_quantity()));
  }
  if (d.delivered_at_ms() < c.period_start_ms()) {
    return Fail(reason::kDeliveryBeforePeriod,
                "delivered_at_ms: " + std::to_string(d.delivered_at_ms()) +
                    " is before period_start_ms " + std::to_string(c.period_start_ms()));
  }
  if (d.delivered_at_ms() < c.header().created_at_ms()) {
    return Fail(reason::kDeliveryBeforeCommitment,
                "delivered_at_ms: " + std::to_string(d.delivered_at_ms()) +
                    " is before the commitment was made (" +
                    std::to_string(c.header().created_at_ms()) + ")");
  }
  if (d.delivered_at_ms() > ctx.block_time_ms + ctx.genesis().entry_max_future_ms()) {
    return Fail(reason::kDeliveryInFuture,
                "delivered_at_ms: " + std::to_string(d.delivered_at_ms()) +
                    " is in the future of block time " + std::to_string(ctx.block_time_ms));
  }
  s.mutable_delivered()->set_units(s.delivered().units() + d.amount().units());
  s.set_delivered_quantity(s.delivered_quantity() + d.quantity());
  s.add_event_log_indexes(ctx.log_index);
  UpdateRemaining(&s);
  Store(ctx, s);
  return absl::OkStatus();
}

absl::Status ApplyAmendment(const HandlerContext& ctx,
                            const coalition::v1::CommitmentAmendment& a) {
  ASSIGN_OR_RETURN(CommitmentStatus s, LoadOwned(ctx, a.commitment_id()));
  auto* c = s.mutable_commitment();
  if (a.has_amount()) {
    if (a.amount().currency() != c->amount().currency()) {
      return Fail(reason::kCurrencyMismatch, "amount.currency: '" + a.amount().currency() +
                                                 "' but the commitment is in " +
                                                 c->amount().currency());
    }
    if (a.amount().units() < s.delivered().units()) {
      return Fail(reason::kAmendmentBelowDelivered,
                  "amount.units: " + std::to_string(a.amount().units()) +
                      " is below the delivered " + std::to_string(s.delivered().units()));
    }
  }
  if (a.quantity() > 0 && a.quantity() < s.delivered_quantity()) {
    return Fail(reason::kAmendmentBelowDelivered, "quantity: " + std::to_string(a.quantity()) +
                                                      " is below the delivered " +
                                                      std::to_string(s.delivered_quantity()));
  }
  if (a.period_end_ms() > 0 && a.period_end_ms() <= c->period_start_ms()) {
    return Fail(reason::kInvalidPeriod, "period_end_ms: " + std::to_string(a.period_end_ms()) +
                                            " is not after period_start_ms " +
                                            std::to_string(c->period_start_ms()));
  }
  if (a.has_amount()) c->mutable_amount()->set_units(a.amount().units());
  if (a.quantity() > 0) c->set_quantity(a.quantity());
  if (a.period_end_ms() > 0) c->set_period_end_ms(a.period_end_ms());
  s.add_event_log_indexes(ctx.log_index);
  UpdateRemaining(&s);
  Store(ctx, s);
  return absl::OkStatus();
}

absl::Status ApplyClose(const HandlerContext& ctx, const coalition::v1::CommitmentClose& c) {
  ASSIGN_OR_RETURN(CommitmentStatus s, LoadOwned(ctx, c.commitment_id()));
  s.set_status(kClosed);
  s.set_closed_at_ms(ctx.block_time_ms);
  s.add_event_log_indexes(ctx.log_index);
  Store(ctx, s);
  return absl::OkStatus();
}

}  // namespace coal::domain

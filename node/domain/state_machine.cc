#include "node/domain/state_machine.h"

#include "coalition/v1/domain.pb.h"
#include "crypto/bytes.h"
#include "crypto/status_macros.h"
#include "node/domain/commitments.h"
#include "node/domain/reasons.h"
#include "node/domain/rule_loader.h"
#include "node/domain/rule_sets.h"
#include "node/domain/shipments.h"

namespace coal::domain {
namespace {

using storage::Column;

template <typename T>
const T& As(const CheckedEntry& e) {
  return static_cast<const T&>(*e.payload);
}

// Storage failures are not outcomes: they must not be recorded as a rejection another node
// would not make.
bool IsStorageError(const absl::Status& st) { return ReasonOf(st) == "internal"; }

}  // namespace

StateMachine::StateMachine(const coalition::v1::Genesis& genesis, storage::KvStore* kv,
                           std::string chain_id, const crypto::Verifier* verifier)
    : checker_(genesis, std::move(chain_id), verifier), kv_(kv), overlay_(kv) {}

void StateMachine::BeginBlock() {
  overlay_.Clear();
  io_error_ = absl::OkStatus();
}

coalition::v1::Outcome StateMachine::Apply(const Context& ctx,
                                           const coalition::v1::Envelope& envelope,
                                           const std::string& digest) {
  auto checked = checker_.Check(envelope);
  if (!checked.ok()) return Rejected(checked.status());
  const auto& h = checked->header;
  const auto& g = checker_.genesis();
  if (g.entry_max_age_ms() > 0 && h.created_at_ms() < ctx.block_time_ms - g.entry_max_age_ms()) {
    return Rejected(Reject(absl::StatusCode::kFailedPrecondition, reason::kEntryTooOld,
                           "header.created_at_ms: " + std::to_string(h.created_at_ms()) +
                               " is more than entry_max_age_ms " +
                               std::to_string(g.entry_max_age_ms()) + " before block time " +
                               std::to_string(ctx.block_time_ms)));
  }
  if (h.created_at_ms() > ctx.block_time_ms + g.entry_max_future_ms()) {
    return Rejected(Reject(absl::StatusCode::kFailedPrecondition, reason::kEntryFromFuture,
                           "header.created_at_ms: " + std::to_string(h.created_at_ms()) +
                               " is more than entry_max_future_ms " +
                               std::to_string(g.entry_max_future_ms()) + " after block time " +
                               std::to_string(ctx.block_time_ms)));
  }
  const std::string nonce_key = NonceKey(h.author(), h.nonce());
  auto seen = overlay_.Get(Column::kState, nonce_key);
  if (!seen.ok()) {
    if (io_error_.ok()) io_error_ = seen.status();
    return Rejected(seen.status());
  }
  if (seen->has_value()) {
    return Rejected(Reject(absl::StatusCode::kAlreadyExists, reason::kDuplicateNonce,
                           "header.nonce: already used by '" + h.author() + "'"));
  }
  absl::Status st = ApplyChecked(ctx, *checked, digest);
  if (st.ok()) {
    overlay_.CommitEntry();
  } else {
    overlay_.AbortEntry();
    if (IsStorageError(st) && io_error_.ok()) io_error_ = st;
  }
  // Recorded whatever the domain rules said: the signed entry may never be replayed.
  overlay_.Put(Column::kState, nonce_key, BigEndian64(ctx.log_index));
  overlay_.CommitEntry();
  return st.ok() ? Accepted() : Rejected(st);
}

absl::Status StateMachine::ApplyChecked(const Context& ctx, const CheckedEntry& e,
                                        const std::string& digest) {
  HandlerContext hc{checker_,          overlay_, ctx.height, ctx.log_index,
                    ctx.block_time_ms, digest,   e.header,   *e.author};
  switch (e.kind) {
    case PayloadKind::kAttestation:
      return absl::OkStatus();  // the envelope rules are the whole contract
    case PayloadKind::kThresholdProposal:
      return ApplyThresholdProposal(hc, As<coalition::v1::ThresholdProposal>(e));
    case PayloadKind::kThresholdApproval:
      return ApplyThresholdApproval(hc, As<coalition::v1::ThresholdApproval>(e));
    case PayloadKind::kProcurementCommitment:
      return ApplyCommitment(hc, As<coalition::v1::ProcurementCommitment>(e));
    case PayloadKind::kDeliveryReport:
      return ApplyDelivery(hc, As<coalition::v1::DeliveryReport>(e));
    case PayloadKind::kCommitmentAmendment:
      return ApplyAmendment(hc, As<coalition::v1::CommitmentAmendment>(e));
    case PayloadKind::kCommitmentClose:
      return ApplyClose(hc, As<coalition::v1::CommitmentClose>(e));
    case PayloadKind::kFlaggedShipment:
      return ApplyFlaggedShipment(hc, As<coalition::v1::FlaggedShipment>(e));
    case PayloadKind::kShipmentEvent:
      return ApplyShipmentEvent(hc, As<coalition::v1::ShipmentEvent>(e));
  }
  return absl::InternalError("unhandled payload kind");
}

absl::Status StateMachine::FinishBlock(storage::WriteBatch* batch) {
  absl::Status st = io_error_;
  if (st.ok()) overlay_.StageInto(batch);
  overlay_.Clear();
  io_error_ = absl::OkStatus();
  return st;
}

void StateMachine::AbortBlock() {
  overlay_.Clear();
  io_error_ = absl::OkStatus();
}

absl::Status Bootstrap(const coalition::v1::Genesis& genesis, storage::WriteBatch* batch) {
  ASSIGN_OR_RETURN(LoadedRuleSets loaded, LoadEmbeddedRuleSets());
  for (const auto& rs : loaded.rule_sets) {
    coalition::v1::RuleSetStatus r = GenesisRecord(rs);
    std::string bytes;
    r.SerializeToString(&bytes);
    batch->Put(Column::kState, RuleSetRecordKey(r.proposal_digest()), bytes);
    batch->Put(Column::kState, RuleSetVersionKey(rs.id(), rs.version()), r.proposal_digest());
  }
  return absl::OkStatus();
}

}  // namespace coal::domain

#include "node/domain/rule_sets.h"

#include <algorithm>

#include "crypto/bytes.h"
#include "crypto/sha256.h"
#include "crypto/status_macros.h"
#include "node/domain/reasons.h"

namespace coal::domain {
namespace {

using coalition::v1::RuleSetStatus;
using storage::Column;

absl::Status Fail(std::string_view reason, std::string detail) {
  return Reject(absl::StatusCode::kFailedPrecondition, reason, std::move(detail));
}

absl::Status Store(const HandlerContext& ctx, const RuleSetStatus& r) {
  std::string bytes;
  r.SerializeToString(&bytes);
  ctx.state.Put(Column::kState, RuleSetRecordKey(r.proposal_digest()), bytes);
  return absl::OkStatus();
}

absl::Status CheckNotice(const HandlerContext& ctx, const RuleSetStatus& r, const char* when) {
  const int64_t notice = NoticeFor(ctx.genesis(), r.emergency());
  if (r.rule_set().effective_at_ms() < ctx.block_time_ms + notice) {
    return Fail(reason::kNoticeTooShort,
                "rule_set.effective_at_ms: " + std::to_string(r.rule_set().effective_at_ms()) +
                    " is earlier than " + when + " time " + std::to_string(ctx.block_time_ms) +
                    " + " + (r.emergency() ? "emergency_min_notice_ms " : "min_notice_ms ") +
                    std::to_string(notice));
  }
  return absl::OkStatus();
}

void Adopt(const HandlerContext& ctx, RuleSetStatus* r) {
  r->set_adopted(true);
  r->set_adopted_at_ms(ctx.block_time_ms);
  r->set_adopted_log_index(ctx.log_index);
}

bool Supersedes(const RuleSetStatus& newer, const RuleSetStatus& older) {
  if (&newer == &older) return false;
  const auto& n = newer.rule_set();
  const auto& o = older.rule_set();
  if (n.id() == o.id() && n.version() > o.version()) return true;
  const std::string ref = RuleSetRef(o);
  return std::find(n.supersedes().begin(), n.supersedes().end(), ref) != n.supersedes().end();
}

bool EffectiveBy(const RuleSetStatus& r, int64_t as_of_ms) {
  return AdoptedBy(r, as_of_ms) && r.rule_set().effective_at_ms() <= as_of_ms;
}

}  // namespace

uint32_t QuorumFor(const coalition::v1::Genesis& g, bool emergency) {
  uint32_t q = emergency && g.emergency_quorum() > 0 ? g.emergency_quorum() : g.threshold_quorum();
  return std::max<uint32_t>(q, 1);
}

int64_t NoticeFor(const coalition::v1::Genesis& g, bool emergency) {
  return emergency ? g.emergency_min_notice_ms() : g.min_notice_ms();
}

std::string RuleSetRef(const coalition::v1::RuleSet& rs) {
  return rs.id() + "@" + std::to_string(rs.version());
}

absl::StatusOr<std::vector<RuleSetStatus>> LoadRuleSetRecords(const StateOverlay& state) {
  std::vector<RuleSetStatus> out;
  absl::Status parse = absl::OkStatus();
  RETURN_IF_ERROR(state.ScanPrefix(Column::kState, kRuleSetRecordPrefix, kRuleSetRecordsMax + 1,
                                   [&](std::string_view, std::string_view v) {
                                     RuleSetStatus r;
                                     if (!r.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
                                       parse = absl::DataLossError(
                                           "stored rule-set record does not decode");
                                       return false;
                                     }
                                     out.push_back(std::move(r));
                                     return true;
                                   }));
  RETURN_IF_ERROR(parse);
  std::sort(out.begin(), out.end(), [](const RuleSetStatus& a, const RuleSetStatus& b) {
    if (a.genesis() != b.genesis()) return a.genesis();
    if (a.genesis()) return a.rule_set().effective_at_ms() < b.rule_set().effective_at_ms();
    return a.log_index() < b.log_index();
  });
  return out;
}

absl::Status ApplyThresholdProposal(const HandlerContext& ctx,
                                    const coalition::v1::ThresholdProposal& p) {
  const auto& rs = p.rule_set();
  auto existing = ctx.state.Get(Column::kState, RuleSetVersionKey(rs.id(), rs.version()));
  RETURN_IF_ERROR(existing.status());
  if (existing->has_value()) {
    return Fail(reason::kDuplicateRuleSetVersion,
                "rule_set.version: " + RuleSetRef(rs) + " was already proposed");
  }
  ASSIGN_OR_RETURN(auto records, LoadRuleSetRecords(ctx.state));
  if (records.size() >= kRuleSetRecordsMax) {
    return Fail(reason::kTooManyRuleSets,
                "rule_set: the ledger holds " + std::to_string(kRuleSetRecordsMax) + " already");
  }
  for (const auto& r : records) {
    if (r.adopted() && r.rule_set().id() == rs.id() && r.rule_set().version() >= rs.version()) {
      return Fail(reason::kStaleVersion, "rule_set.version: " + std::to_string(rs.version()) +
                                             " is not above adopted version " +
                                             std::to_string(r.rule_set().version()));
    }
  }
  for (int i = 0; i < rs.supersedes_size(); ++i) {
    bool known = std::any_of(records.begin(), records.end(), [&](const RuleSetStatus& r) {
      return RuleSetRef(r.rule_set()) == rs.supersedes(i);
    });
    if (!known) {
      return InvalidField("rule_set.supersedes[" + std::to_string(i) + "]: '" + rs.supersedes(i) +
                          "' is not a known rule set");
    }
  }
  RuleSetStatus r;
  *r.mutable_rule_set() = rs;
  r.set_proposal_digest(ctx.digest);
  r.add_approvers(ctx.header.author());
  r.set_log_index(ctx.log_index);
  r.set_emergency(p.emergency());
  r.set_proposer(ctx.header.author());
  r.set_proposed_at_ms(ctx.block_time_ms);
  r.set_rationale(p.rationale());
  RETURN_IF_ERROR(CheckNotice(ctx, r, "proposal"));
  if (QuorumFor(ctx.genesis(), p.emergency()) <= 1) Adopt(ctx, &r);
  ctx.state.Put(Column::kState, RuleSetVersionKey(rs.id(), rs.version()), ctx.digest);
  return Store(ctx, r);
}

absl::Status ApplyThresholdApproval(const HandlerContext& ctx,
                                    const coalition::v1::ThresholdApproval& a) {
  auto stored = ctx.state.Get(Column::kState, RuleSetRecordKey(a.proposal_digest()));
  RETURN_IF_ERROR(stored.status());
  if (!stored->has_value()) {
    return Fail(reason::kUnknownProposal,
                "proposal_digest: " + ToHex(a.proposal_digest()) + " is not a proposal");
  }
  RuleSetStatus r;
  if (!r.ParseFromString(**stored)) return absl::DataLossError("rule-set record does not decode");
  if (r.adopted()) {
    return Fail(reason::kAlreadyAdopted,
                "proposal_digest: " + RuleSetRef(r.rule_set()) + " is already adopted");
  }
  const std::string& author = ctx.header.author();
  if (std::find(r.approvers().begin(), r.approvers().end(), author) != r.approvers().end()) {
    return Fail(reason::kDuplicateApproval,
                "header.author: '" + author + "' already signed " + RuleSetRef(r.rule_set()));
  }
  r.add_approvers(author);
  if (static_cast<uint32_t>(r.approvers_size()) >= QuorumFor(ctx.genesis(), r.emergency())) {
    RETURN_IF_ERROR(CheckNotice(ctx, r, "adoption"));
    Adopt(ctx, &r);
  }
  return Store(ctx, r);
}

bool AdoptedBy(const RuleSetStatus& r, int64_t as_of_ms) {
  return r.adopted() && r.adopted_at_ms() <= as_of_ms;
}

bool IsInForce(const RuleSetStatus& r, const std::vector<RuleSetStatus>& all, int64_t as_of_ms) {
  if (!EffectiveBy(r, as_of_ms)) return false;
  return std::none_of(all.begin(), all.end(), [&](const RuleSetStatus& other) {
    return EffectiveBy(other, as_of_ms) && Supersedes(other, r);
  });
}

coalition::v1::RuleSetResponse RuleSetsAsOf(const std::vector<RuleSetStatus>& all, int64_t as_of_ms,
                                            std::string_view id) {
  coalition::v1::RuleSetResponse out;
  for (const auto& r : all) {
    if (!id.empty() && r.rule_set().id() != id) continue;
    RuleSetStatus s = r;
    s.set_in_force(IsInForce(r, all, as_of_ms));
    if (AdoptedBy(r, as_of_ms)) {
      if (s.in_force()) *out.add_in_force() = s;
      if (r.rule_set().effective_at_ms() > as_of_ms) *out.add_pending() = s;
      *out.add_history() = s;
    } else if (r.genesis() || r.proposed_at_ms() <= as_of_ms) {
      if (!r.genesis()) *out.add_proposed() = s;
    }
  }
  return out;
}

RuleSetStatus GenesisRecord(const coalition::v1::RuleSet& rs) {
  RuleSetStatus r;
  *r.mutable_rule_set() = rs;
  r.set_proposal_digest(HashBytes(Sha256("coalition-genesis-rule-set:" + RuleSetRef(rs))));
  r.set_genesis(true);
  r.set_adopted(true);
  const int64_t at = rs.announced_at_ms() > 0 ? std::min(rs.announced_at_ms(), rs.effective_at_ms())
                                              : rs.effective_at_ms();
  r.set_adopted_at_ms(at);
  r.set_proposed_at_ms(at);
  return r;
}

}  // namespace coal::domain

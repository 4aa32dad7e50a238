// Threshold rule sets (DESIGN §5): proposals, approvals, adoption, and what is in force when.
//
// Rules, with their rejection reasons:
//   - Only authorities propose and approve (entry checks: role_not_allowed).
//   - A proposal's id@version must be new (duplicate_rule_set_version) and its version above every
//     adopted version of the same id (stale_version); each supersedes "id@version" must name a
//     known rule set (invalid_field); conditions must follow the grammar (invalid_condition).
//   - Notice: effective_at_ms >= block time + genesis.min_notice_ms (emergency proposals:
//     emergency_min_notice_ms), checked at the proposal and again at adoption (notice_too_short).
//   - An approval names the proposal's entry digest: unknown digest -> unknown_proposal, adopted
//     proposal -> already_adopted, an authority that already signed (the proposer counts as one)
//     -> duplicate_approval.
//   - Adopted when threshold_quorum distinct authorities have signed (emergency: emergency_quorum);
//     a quorum of 1 adopts at the proposal.
// Records: Column::kState "rs/r/<digest>" -> RuleSetStatus (services.proto), at most
// kRuleSetRecordsMax (too_many_rule_sets).
//
// As of time T: a version is *in force* if adopted at or before T, effective at or before T, and
// not superseded by another version in force at T (a later version of the same id, or one whose
// supersedes names it); *pending* if adopted at or before T but effective after T; *history* is
// every version adopted at or before T; *proposed* lists proposals not adopted at T.
// Thread safety: pure functions over the given state.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/domain.pb.h"
#include "coalition/v1/services.pb.h"
#include "node/domain/handler_context.h"

namespace coal::domain {

inline constexpr size_t kRuleSetRecordsMax = 4096;

absl::Status ApplyThresholdProposal(const HandlerContext& ctx,
                                    const coalition::v1::ThresholdProposal& proposal);
absl::Status ApplyThresholdApproval(const HandlerContext& ctx,
                                    const coalition::v1::ThresholdApproval& approval);

uint32_t QuorumFor(const coalition::v1::Genesis& genesis, bool emergency);
int64_t NoticeFor(const coalition::v1::Genesis& genesis, bool emergency);

// Every record, genesis ones first, then in log order.
absl::StatusOr<std::vector<coalition::v1::RuleSetStatus>> LoadRuleSetRecords(
    const StateOverlay& state);

// "id@version".
std::string RuleSetRef(const coalition::v1::RuleSet& rule_set);
bool AdoptedBy(const coalition::v1::RuleSetStatus& r, int64_t as_of_ms);
bool IsInForce(const coalition::v1::RuleSetStatus& r,
               const std::vector<coalition::v1::RuleSetStatus>& all, int64_t as_of_ms);
// The view above; `id` filters by rule-set id when not empty. in_force flags are set.
coalition::v1::RuleSetResponse RuleSetsAsOf(const std::vector<coalition::v1::RuleSetStatus>& all,
                                            int64_t as_of_ms, std::string_view id);

// The record Bootstrap stores for a rule set installed at genesis: adopted at its announcement
// date (or its effective date when none is known), approvers empty, genesis = true.
coalition::v1::RuleSetStatus GenesisRecord(const coalition::v1::RuleSet& rule_set);

}  // namespace coal::domain

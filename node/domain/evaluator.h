// The evaluation engine (DESIGN §5): classifies a chip under a rule set, says which condition
// branch fired, whether a licence is required to a destination, and the headroom to every
// threshold. The same engine serves the ledger query (queries.h), shipment screening and
// `coalctl evaluate` (EvaluateOfflineJson, over the embedded rules).
//
// Semantics (data/rules.json evaluation_note): exclusions first — a matching exclusion makes the
// classification "none" (excluded_by = its id); then entries in order, the first match wins
// (classification = its eccn, branch = the innermost labelled sub-condition that held, e.g. "a.2",
// else the eccn). A missing parameter is an error only when the outcome depends on it:
// INVALID_ARGUMENT naming the chip field and the grammar parameter. Headroom: one row per
// numeric leaf of the exclusions and entries whose parameter is known, value - threshold in the
// parameter's units, labelled with its branch id or its entry's eccn/id.
//
// Licence: required when the classification is not "none" and the destination is listed in
// license_required_to (or a dated addition effective at as_of, or "*"), and not in excluded.
// When the rule set lists only examples of a country group (Destinations.exhaustive = false) and
// the destination is not among them, licence_required is false and licence_note says the
// membership is unknown. Licence exceptions whose conditions hold are listed, never applied.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/domain.pb.h"
#include "coalition/v1/services.pb.h"
#include "node/domain/chip_catalog.h"
#include "node/domain/condition.h"

namespace coal::domain {

absl::StatusOr<coalition::v1::Evaluation> EvaluateRuleSet(const coalition::v1::RuleSet& rule_set,
                                                          const ChipValues& chip,
                                                          std::string_view destination,
                                                          int64_t as_of_ms);

// Answers an EvaluateRequest against rule-set records (rule_sets.h): rule_set_id empty = every
// version in force at as_of; "id" = the highest version of id adopted and effective by as_of
// (superseded or not: Evaluation.in_force says); "id@version" = that version if adopted by as_of
// (even before it is effective). as_of_ms 0 means now_ms.
// NOT_FOUND when no rule set matches.
absl::StatusOr<coalition::v1::EvaluateResponse> EvaluateAgainst(
    const std::vector<coalition::v1::RuleSetStatus>& records,
    const coalition::v1::EvaluateRequest& request, const ChipCatalog& catalog, int64_t now_ms);

nlohmann::json EvaluationToJson(const coalition::v1::Evaluation& evaluation);

// `coalctl evaluate` offline: the embedded real rule sets (as installed at genesis) and catalog.
// The object has "classification", "branch", "licence_required", "headroom", "rule_set_id",
// "version", "excluded_by" of the first evaluation that classifies the chip (else the first),
// and "evaluations" with every rule set evaluated.
// `rules_path` empty = the embedded rules; else a rules file in the grammar of data/rules.json.
absl::StatusOr<nlohmann::json> EvaluateOfflineJson(const coalition::v1::EvaluateRequest& request,
                                                   int64_t now_ms,
                                                   const std::string& rules_path = "");

// The same JSON object for an answer from a node (ComplianceService.Evaluate); INVALID_ARGUMENT
// when no evaluation succeeded (the first error says why).
absl::StatusOr<nlohmann::json> EvaluationsToJson(const coalition::v1::EvaluateResponse& response);

}  // namespace coal::domain

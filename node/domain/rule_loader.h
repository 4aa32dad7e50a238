// Converts the rule sets of data/rules.json (schema "coalition-ledger/rules/v1") into RuleSet
// protos: exclusions, entries, licence exceptions, destinations (with dated additions such as
// Macau in January 2023), the effective date and the other real dates (effective_detail,
// accelerations, compliance_dates), supersedes ("id@1"), and the rule set's JSON object byte for
// byte in source_json. Every loaded rule set has version 1 and passes ValidateRuleSet.
//
// Rule sets without machine-readable entries (corrections, guidance, is-informed letters, the
// rescinded diffusion framework) are skipped and listed in `skipped` with the reason.
// Dates "YYYY-MM-DD" become UTC midnight in unix ms.
//
// Limits: kRulesJsonBytesMax of input. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/domain.pb.h"

namespace coal::domain {

inline constexpr size_t kRulesJsonBytesMax = 4 << 20;

struct LoadedRuleSets {
  std::vector<coalition::v1::RuleSet> rule_sets;  // in file order
  std::vector<std::string> skipped;               // "<id>: <reason>"
};

absl::StatusOr<LoadedRuleSets> LoadRuleSetsFromJson(std::string_view json_text);
absl::StatusOr<LoadedRuleSets> LoadRuleSetsFromFile(const std::string& path);
// The rules compiled into the binary (embedded_data.h).
absl::StatusOr<LoadedRuleSets> LoadEmbeddedRuleSets();

// "2023-11-17" -> 1700179200000. INVALID_ARGUMENT otherwise.
absl::StatusOr<int64_t> ParseDateMs(std::string_view date);

// Reads a whole file, at most `max_bytes` (RESOURCE_EXHAUSTED above, NOT_FOUND when missing).
absl::StatusOr<std::string> ReadFileBytes(const std::string& path, size_t max_bytes);

}  // namespace coal::domain

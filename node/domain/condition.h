// The condition grammar of data/rules.json (condition_grammar): leaves compare one chip parameter
// with a number or a bool; "all", "any" and "not" combine; "ref" names an earlier entry (eccn) or
// exclusion (id) of the same rule set. This file validates conditions and evaluates them.
//
// Evaluation is three-valued: a leaf whose parameter the chip does not give is Unknown, "all" is
// False when any item is False, "any" is True when any item is True. So a missing parameter is an
// error only when the answer depends on it (see evaluator.h), and the caller learns which
// parameters were missing.
//
// Limits: kConditionDepthMax nesting, kConditionNodesMax nodes per rule set, ids of at most
// kConditionIdBytesMax bytes. Thread safety: pure functions; ConditionEvaluator is not shared.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "coalition/v1/domain.pb.h"

namespace coal::domain {

inline constexpr int kConditionDepthMax = 16;
inline constexpr int kConditionNodesMax = 512;
inline constexpr size_t kConditionIdBytesMax = 32;

enum class ParamType { kNumber, kBool };

struct ParamSpec {
  std::string_view name;
  ParamType type;
  std::string_view unit;
};

// The parameters of condition_grammar.params; nullptr for an unknown name.
const ParamSpec* FindParam(std::string_view name);
const std::vector<ParamSpec>& AllParams();

// Parameter values of one chip, keyed by the grammar's parameter names.
struct ChipValues {
  std::map<std::string, double, std::less<>> numbers;
  std::map<std::string, bool, std::less<>> flags;
};

// Checks one condition tree. `refs` are the entry/exclusion ids defined before it in the rule set
// (so references cannot form cycles); `path` names the field in error messages; `nodes` counts
// nodes across a whole rule set. INVALID_ARGUMENT with reason invalid_condition.
absl::Status ValidateCondition(const coalition::v1::Condition& condition,
                               const std::set<std::string, std::less<>>& refs,
                               const std::string& path, int* nodes);

enum class Truth { kFalse, kTrue, kUnknown };

class ConditionEvaluator {
 public:
  // `resolve_ref(id)` returns the condition an id refers to, or nullptr.
  using RefResolver = std::function<const coalition::v1::Condition*(std::string_view)>;
  ConditionEvaluator(const ChipValues& values, RefResolver resolve_ref);

  // `branch` receives the id of the innermost labelled sub-condition that made a True result
  // (e.g. "a.2"), or stays empty. Parameters found missing are added to missing().
  Truth Eval(const coalition::v1::Condition& condition, std::string* branch);

  const std::set<std::string>& missing() const { return missing_; }

 private:
  Truth EvalAt(const coalition::v1::Condition& condition, int depth, std::string* branch);
  Truth EvalLeaf(const coalition::v1::Condition::Leaf& leaf);

  const ChipValues& values_;
  RefResolver resolve_ref_;
  std::set<std::string> missing_;
};

// Compares with the grammar's operators; false for an unknown operator.
bool CompareNumber(double value, std::string_view op, double threshold);

}  // namespace coal::domain

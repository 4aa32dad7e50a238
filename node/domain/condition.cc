#include "node/domain/condition.h"

#include <cmath>
#include <vector>

#include "node/domain/reasons.h"

namespace coal::domain {
namespace {

using coalition::v1::Condition;

absl::Status Invalid(const std::string& path, const std::string& what) {
  return Reject(absl::StatusCode::kInvalidArgument, reason::kInvalidCondition, path + ": " + what);
}

bool IsOp(std::string_view op) {
  return op == ">=" || op == ">" || op == "<" || op == "<=" || op == "==";
}

absl::Status ValidateAt(const Condition& c, const std::set<std::string, std::less<>>& refs,
                        const std::string& path, int depth, int* nodes) {
  if (depth > kConditionDepthMax) {
    return Invalid(path, "nested deeper than " + std::to_string(kConditionDepthMax));
  }
  if (++*nodes > kConditionNodesMax) {
    return Invalid(path, "more than " + std::to_string(kConditionNodesMax) + " condition nodes");
  }
  if (c.id().size() > kConditionIdBytesMax) {
    return Invalid(path + ".id", "longer than " + std::to_string(kConditionIdBytesMax) + " bytes");
  }
  switch (c.kind_case()) {
    case Condition::kLeaf: {
      const auto& leaf = c.leaf();
      const ParamSpec* spec = FindParam(leaf.param());
      if (spec == nullptr)
        return Invalid(path + ".param", "unknown parameter '" + leaf.param() + "'");
      if (!IsOp(leaf.op())) return Invalid(path + ".op", "unknown operator '" + leaf.op() + "'");
      if (spec->type == ParamType::kBool) {
        if (leaf.value_case() != Condition::Leaf::kFlag) {
          return Invalid(path + ".value", "parameter '" + leaf.param() + "' needs a bool");
        }
        if (leaf.op() != "==") return Invalid(path + ".op", "a bool compares only with ==");
      } else if (leaf.value_case() != Condition::Leaf::kNumber) {
        return Invalid(path + ".value", "parameter '" + leaf.param() + "' needs a number");
      } else if (!std::isfinite(leaf.number())) {
        return Invalid(path + ".value", "not a finite number");
      }
      return absl::OkStatus();
    }
    case Condition::kAll:
    case Condition::kAny: {
      const bool all = c.kind_case() == Condition::kAll;
      const auto& items = all ? c.all().items() : c.any().items();
      const std::string name = path + (all ? ".all" : ".any");
      if (items.empty()) return Invalid(name, "empty");
      for (int i = 0; i < items.size(); ++i) {
        auto st =
            ValidateAt(items[i], refs, name + "[" + std::to_string(i) + "]", depth + 1, nodes);
        if (!st.ok()) return st;
      }
      return absl::OkStatus();
    }
    case Condition::kNot:
      return ValidateAt(c.not_(), refs, path + ".not", depth + 1, nodes);
    case Condition::kRef:
      if (!refs.contains(c.ref())) {
        return Invalid(path + ".ref", "'" + c.ref() + "' is not an earlier entry of this rule set");
      }
      return absl::OkStatus();
    case Condition::KIND_NOT_SET:
      break;
  }
  return Invalid(path, "empty condition (needs param/op/value, all, any, not or ref)");
}

Truth Not(Truth t) {
  if (t == Truth::kUnknown) return t;
  return t == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
}

}  // namespace

const std::vector<ParamSpec>& AllParams() {
  static const auto* params = new std::vector<ParamSpec>{
      {"tpp", ParamType::kNumber, "TOPS x bit"},
      {"performance_density", ParamType::kNumber, "TPP/mm^2"},
      {"io_aggregate_bidirectional_GBps", ParamType::kNumber, "GB/s"},
      {"datacenter", ParamType::kBool, ""},
      {"hbm_memory_bandwidth_density", ParamType::kNumber, "GB/s/mm^2"},
      {"hbm_copackaged_with_logic_primary", ParamType::kBool, ""},
  };
  return *params;
}

const ParamSpec* FindParam(std::string_view name) {
  for (const auto& p : AllParams()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

absl::Status ValidateCondition(const Condition& condition,
                               const std::set<std::string, std::less<>>& refs,
                               const std::string& path, int* nodes) {
  return ValidateAt(condition, refs, path, 0, nodes);
}

bool CompareNumber(double value, std::string_view op, double threshold) {
  if (op == ">=") return value >= threshold;
  if (op == ">") return value > threshold;
  if (op == "<") return value < threshold;
  if (op == "<=") return value <= threshold;
  if (op == "==") return value == threshold;
  return false;
}

ConditionEvaluator::ConditionEvaluator(const ChipValues& values, RefResolver resolve_ref)
    : values_(values), resolve_ref_(std::move(resolve_ref)) {}

Truth ConditionEvaluator::Eval(const Condition& condition, std::string* branch) {
  return EvalAt(condition, 0, branch);
}

Truth ConditionEvaluator::EvalLeaf(const Condition::Leaf& leaf) {
  if (leaf.value_case() == Condition::Leaf::kFlag) {
    auto it = values_.flags.find(leaf.param());
    if (it == values_.flags.end()) {
      missing_.insert(leaf.param());
      return Truth::kUnknown;
    }
    return (it->second == leaf.flag()) ? Truth::kTrue : Truth::kFalse;
  }
  auto it = values_.numbers.find(leaf.param());
  if (it == values_.numbers.end()) {
    missing_.insert(leaf.param());
    return Truth::kUnknown;
  }
  return CompareNumber(it->second, leaf.op(), leaf.number()) ? Truth::kTrue : Truth::kFalse;
}

Truth ConditionEvaluator::EvalAt(const Condition& c, int depth, std::string* branch) {
  // Validation bounds depth; this guards unvalidated input (and reference chains) as well.
  if (depth > 2 * kConditionDepthMax) return Truth::kUnknown;
  std::string inner;
  Truth result = Truth::kUnknown;
  switch (c.kind_case()) {
    case Condition::kLeaf:
      result = EvalLeaf(c.leaf());
      break;
    case Condition::kAll: {
      result = Truth::kTrue;
      for (const auto& item : c.all().items()) {
        std::string b;
        Truth t = EvalAt(item, depth + 1, &b);
        if (t == Truth::kFalse) {
          result = Truth::kFalse;
        } else if (t == Truth::kUnknown && result == Truth::kTrue) {
          result = Truth::kUnknown;
        }
        if (inner.empty()) inner = b;
      }
      break;
    }
    case Condition::kAny: {
      result = Truth::kFalse;
      for (const auto& item : c.any().items()) {
        std::string b;
        Truth t = EvalAt(item, depth + 1, &b);
        if (t == Truth::kTrue) {
          if (result != Truth::kTrue) inner = b;
          result = Truth::kTrue;
        } else if (t == Truth::kUnknown && result == Truth::kFalse) {
          result = Truth::kUnknown;
        }
      }
      break;
    }
    case Condition::kNot: {
      std::string ignored;  // a branch inside a negation did not "fire"
      result = Not(EvalAt(c.not_(), depth + 1, &ignored));
      break;
    }
    case Condition::kRef: {
      const Condition* target = resolve_ref_ ? resolve_ref_(c.ref()) : nullptr;
      std::string ignored;  // a referenced entry's branch belongs to that entry
      result = target == nullptr ? Truth::kUnknown : EvalAt(*target, depth + 1, &ignored);
      break;
    }
    case Condition::KIND_NOT_SET:
      result = Truth::kUnknown;
      break;
  }
  if (result == Truth::kTrue) *branch = c.id().empty() ? inner : c.id();
  return result;
}

}  // namespace coal::domain

#include "node/domain/evaluator.h"

#include <algorithm>

#include "crypto/status_macros.h"
#include "node/domain/rule_loader.h"
#include "node/domain/rule_sets.h"

namespace coal::domain {
namespace {

using coalition::v1::Condition;
using coalition::v1::Evaluation;
using coalition::v1::RuleEntry;
using coalition::v1::RuleSet;

std::string ChipFieldFor(std::string_view param) {
  if (param == "tpp") return "chip.tpp (or chip.dense_tops and chip.bit_length)";
  if (param == "performance_density") return "chip.performance_density (or chip.die_area_mm2)";
  if (param == "io_aggregate_bidirectional_GBps") return "chip.io_bandwidth_gbps";
  if (param == "datacenter") return "chip.datacenter";
  if (param == "hbm_memory_bandwidth_density") return "chip.hbm_bandwidth_density";
  if (param == "hbm_copackaged_with_logic_primary") return "chip.hbm_copackaged_with_logic_primary";
  return "chip." + std::string(param);
}

absl::Status Missing(const RuleSet& rs, const std::string& label,
                     const std::set<std::string>& missing) {
  std::string names;
  for (const auto& m : missing) {
    if (!names.empty()) names += ", ";
    names += ChipFieldFor(m) + " [" + m + "]";
  }
  return absl::InvalidArgumentError(names + ": needed by " + RuleSetRef(rs) + " " + label +
                                    " but not given");
}

void CollectHeadroom(const Condition& c, const std::string& label, const ChipValues& chip,
                     Evaluation* out) {
  const std::string branch = c.id().empty() ? label : c.id();
  switch (c.kind_case()) {
    case Condition::kLeaf: {
      if (c.leaf().value_case() != Condition::Leaf::kNumber) return;
      auto it = chip.numbers.find(c.leaf().param());
      if (it == chip.numbers.end()) return;
      auto* h = out->add_headroom();
      h->set_param(c.leaf().param());
      h->set_op(c.leaf().op());
      h->set_threshold(c.leaf().number());
      h->set_value(it->second);
      h->set_headroom(it->second - c.leaf().number());
      h->set_branch(branch);
      return;
    }
    case Condition::kAll:
      for (const auto& i : c.all().items()) CollectHeadroom(i, branch, chip, out);
      return;
    case Condition::kAny:
      for (const auto& i : c.any().items()) CollectHeadroom(i, branch, chip, out);
      return;
    case Condition::kNot:
      CollectHeadroom(c.not_(), branch, chip, out);
      return;
    default:
      return;  // refs repeat another entry's thresholds
  }
}

bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& c) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& x) { return x == c || x == "*"; });
}

void DecideLicence(const RuleSet& rs, std::string_view destination_in, int64_t as_of_ms,
                   Evaluation* out) {
  if (out->classification() == "none") return;
  std::string dest;
  for (char ch : destination_in) dest.push_back(static_cast<char>(std::toupper(ch)));
  const auto& d = rs.destinations();
  if (dest.empty()) {
    out->set_licence_note("no destination given");
    return;
  }
  if (std::find(d.excluded().begin(), d.excluded().end(), dest) != d.excluded().end()) {
    out->set_licence_note(dest + " is excluded from the licence requirement");
    return;
  }
  bool listed = Listed(d.license_required_to(), dest);
  for (const auto& add : d.additions()) {
    if (add.effective_at_ms() <= as_of_ms && Listed(add.countries(), dest)) listed = true;
  }
  if (listed) {
    out->set_licence_required(true);
  } else if (d.license_required_to().empty() && d.additions().empty()) {
    out->set_licence_note("the rule set lists no destinations");
  } else if (!d.exhaustive()) {
    out->set_licence_note(dest + " is not among the listed examples of '" + d.description() +
                          "'; country-group membership is not encoded");
  }
}

}  // namespace

absl::StatusOr<Evaluation> EvaluateRuleSet(const RuleSet& rs, const ChipValues& chip,
                                           std::string_view destination, int64_t as_of_ms) {
  auto resolve = [&rs](std::string_view id) -> const Condition* {
    for (const auto* list : {&rs.exclusions(), &rs.entries()}) {
      for (const RuleEntry& e : *list) {
        if ((list == &rs.entries() ? e.eccn() : e.id()) == id && e.has_condition()) {
          return &e.condition();
        }
      }
    }
    return nullptr;
  };
  Evaluation out;
  out.set_rule_set_id(rs.id());
  out.set_version(rs.version());
  out.set_effective_at_ms(rs.effective_at_ms());
  out.set_classification("none");
  for (const RuleEntry& e : rs.exclusions()) CollectHeadroom(e.condition(), e.id(), chip, &out);
  for (const RuleEntry& e : rs.entries()) CollectHeadroom(e.condition(), e.eccn(), chip, &out);

  bool decided = false;
  for (const RuleEntry& e : rs.exclusions()) {
    ConditionEvaluator ev(chip, resolve);
    std::string branch;
    Truth t = ev.Eval(e.condition(), &branch);
    if (t == Truth::kUnknown) return Missing(rs, "exclusion " + e.id(), ev.missing());
    if (t == Truth::kTrue) {
      out.set_excluded_by(e.id());
      decided = true;
      break;
    }
  }
  for (int i = 0; !decided && i < rs.entries_size(); ++i) {
    const RuleEntry& e = rs.entries(i);
    ConditionEvaluator ev(chip, resolve);
    std::string branch;
    Truth t = ev.Eval(e.condition(), &branch);
    if (t == Truth::kUnknown) return Missing(rs, "entry " + e.eccn(), ev.missing());
    if (t == Truth::kTrue) {
      out.set_classification(e.eccn());
      out.set_branch(branch.empty() ? e.eccn() : branch);
      decided = true;
    }
  }
  if (out.classification() != "none") {
    for (const RuleEntry& x : rs.license_exceptions()) {
      if (!x.has_condition()) continue;
      ConditionEvaluator ev(chip, resolve);
      std::string branch;
      if (ev.Eval(x.condition(), &branch) == Truth::kTrue) out.add_licence_exceptions(x.id());
    }
  }
  DecideLicence(rs, destination, as_of_ms, &out);
  return out;
}

absl::StatusOr<coalition::v1::EvaluateResponse> EvaluateAgainst(
    const std::vector<coalition::v1::RuleSetStatus>& records,
    const coalition::v1::EvaluateRequest& request, const ChipCatalog& catalog, int64_t now_ms) {
  const int64_t as_of = request.as_of_ms() != 0 ? request.as_of_ms() : now_ms;
  ASSIGN_OR_RETURN(ChipValues chip, ResolveChip(request.chip(), catalog));
  std::vector<const coalition::v1::RuleSetStatus*> chosen;
  const std::string& want = request.rule_set_id();
  if (want.empty()) {
    for (const auto& r : records) {
      if (IsInForce(r, records, as_of)) chosen.push_back(&r);
    }
  } else {
    const size_t at = want.find('@');
    const std::string id = want.substr(0, at);
    const std::string version = at == std::string::npos ? "" : want.substr(at + 1);
    const coalition::v1::RuleSetStatus* best = nullptr;
    for (const auto& r : records) {
      if (r.rule_set().id() != id || !AdoptedBy(r, as_of)) continue;
      if (!version.empty() && std::to_string(r.rule_set().version()) != version) continue;
      // Without a version, only versions already effective: a pending one is not yet the rule.
      if (version.empty() && r.rule_set().effective_at_ms() > as_of) continue;
      if (best == nullptr || r.rule_set().version() > best->rule_set().version()) best = &r;
    }
    if (best != nullptr) chosen.push_back(best);
  }
  if (chosen.empty()) {
    return absl::NotFoundError("rule_set_id: no rule set " +
                               (want.empty() ? std::string("in force") : "'" + want + "' adopted") +
                               " at as_of_ms " + std::to_string(as_of));
  }
  // Over every rule set in force, one that needs a parameter the chip lacks is reported in its
  // Evaluation.error; the request fails only when no rule set could be evaluated.
  coalition::v1::EvaluateResponse out;
  absl::Status first_error;
  bool any_ok = false;
  for (const auto* r : chosen) {
    auto e = EvaluateRuleSet(r->rule_set(), chip, request.destination(), as_of);
    if (!e.ok() && !want.empty()) return e.status();
    Evaluation ev;
    if (e.ok()) {
      ev = std::move(*e);
      any_ok = true;
    } else {
      if (first_error.ok()) first_error = e.status();
      ev.set_rule_set_id(r->rule_set().id());
      ev.set_version(r->rule_set().version());
      ev.set_effective_at_ms(r->rule_set().effective_at_ms());
      ev.set_error(std::string(e.status().message()));
    }
    ev.set_in_force(IsInForce(*r, records, as_of));
    *out.add_evaluations() = std::move(ev);
  }
  if (!any_ok) return first_error;
  return out;
}

nlohmann::json EvaluationToJson(const Evaluation& e) {
  nlohmann::json headroom = nlohmann::json::array();
  for (const auto& h : e.headroom()) {
    headroom.push_back({{"param", h.param()},
                        {"op", h.op()},
                        {"threshold", h.threshold()},
                        {"value", h.value()},
                        {"headroom", h.headroom()},
                        {"branch", h.branch()}});
  }
  nlohmann::json j = {{"rule_set_id", e.rule_set_id()},           {"version", e.version()},
                      {"classification", e.classification()},     {"branch", e.branch()},
                      {"licence_required", e.licence_required()}, {"headroom", headroom},
                      {"excluded_by", e.excluded_by()},           {"in_force", e.in_force()},
                      {"effective_at_ms", e.effective_at_ms()}};
  j["licence_exceptions"] = nlohmann::json::array();
  for (const auto& x : e.licence_exceptions()) j["licence_exceptions"].push_back(x);
  if (!e.licence_note().empty()) j["licence_note"] = e.licence_note();
  if (!e.error().empty()) j["error"] = e.error();
  return j;
}

absl::StatusOr<nlohmann::json> EvaluationsToJson(const coalition::v1::EvaluateResponse& response) {
  const Evaluation* lead = nullptr;
  for (const auto& e : response.evaluations()) {
    if (lead == nullptr && e.error().empty()) lead = &e;
    if (e.error().empty() && e.classification() != "none") {
      lead = &e;
      break;
    }
  }
  if (lead == nullptr) {
    std::string why = response.evaluations().empty() ? "no rule set to evaluate against"
                                                     : response.evaluations(0).error();
    return absl::InvalidArgumentError("evaluation failed: " + why);
  }
  nlohmann::json out = EvaluationToJson(*lead);
  out["evaluations"] = nlohmann::json::array();
  for (const auto& e : response.evaluations()) out["evaluations"].push_back(EvaluationToJson(e));
  return out;
}

absl::StatusOr<nlohmann::json> EvaluateOfflineJson(const coalition::v1::EvaluateRequest& request,
                                                   int64_t now_ms, const std::string& rules_path) {
  LoadedRuleSets loaded;
  if (rules_path.empty()) {
    ASSIGN_OR_RETURN(loaded, LoadEmbeddedRuleSets());
  } else {
    ASSIGN_OR_RETURN(loaded, LoadRuleSetsFromFile(rules_path));
  }
  std::vector<coalition::v1::RuleSetStatus> records;
  for (const auto& rs : loaded.rule_sets) records.push_back(GenesisRecord(rs));
  ASSIGN_OR_RETURN(auto response,
                   EvaluateAgainst(records, request, ChipCatalog::Embedded(), now_ms));
  return EvaluationsToJson(response);
}

}  // namespace coal::domain

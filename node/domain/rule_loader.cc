#include "node/domain/rule_loader.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/status_macros.h"
#include "node/domain/embedded_data.h"
#include "node/domain/payload_validation.h"

namespace coal::domain {
namespace {

using coalition::v1::Condition;
using nlohmann::json;

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError("rules.json " + path + ": " + what);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Byte spans of the top-level objects of the array that follows "rule_sets": the verbatim text.
absl::StatusOr<std::vector<std::string_view>> RuleSetSpans(std::string_view text) {
  const size_t key = text.find("\"rule_sets\"");
  if (key == std::string_view::npos) return Bad("rule_sets", "missing");
  size_t i = text.find('[', key);
  if (i == std::string_view::npos) return Bad("rule_sets", "not an array");
  std::vector<std::string_view> spans;
  int depth = 0;
  size_t start = 0;
  bool in_string = false;
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (depth++ == 0) start = i;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return spans;  // the closing bracket of rule_sets
      if (--depth == 0) spans.push_back(text.substr(start, i - start + 1));
    }
  }
  return Bad("rule_sets", "unterminated array");
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

absl::Status ToCondition(const json& j, const std::string& path, int depth, Condition* out) {
  if (depth > 32) return Bad(path, "nested too deeply");
  if (!j.is_object()) return Bad(path, "a condition must be an object");
  out->set_id(Str(j, "id"));
  if (j.contains("param")) {
    auto* leaf = out->mutable_leaf();
    leaf->set_param(Str(j, "param"));
    leaf->set_op(Str(j, "op"));
    const json& v = j.value("value", json());
    if (v.is_boolean()) {
      leaf->set_flag(v.get<bool>());
    } else if (v.is_number()) {
      leaf->set_number(v.get<double>());
    } else {
      return Bad(path + ".value", "must be a number or a bool");
    }
    return absl::OkStatus();
  }
  for (const char* combinator : {"all", "any"}) {
    if (!j.contains(combinator)) continue;
    const json& items = j[combinator];
    if (!items.is_array()) return Bad(path + "." + combinator, "must be an array");
    auto* list = std::string_view(combinator) == "all" ? out->mutable_all() : out->mutable_any();
    for (size_t k = 0; k < items.size(); ++k) {
      RETURN_IF_ERROR(ToCondition(items[k], path + "." + combinator + "[" + std::to_string(k) + "]",
                                  depth + 1, list->add_items()));
    }
    return absl::OkStatus();
  }
  if (j.contains("not"))
    return ToCondition(j["not"], path + ".not", depth + 1, out->mutable_not_());
  if (j.contains("ref")) {
    out->set_ref(Str(j, "ref"));
    return absl::OkStatus();
  }
  return Bad(path, "no param, all, any, not or ref");
}

absl::Status ToEntries(const json& j, const char* key, const std::string& path,
                       google::protobuf::RepeatedPtrField<coalition::v1::RuleEntry>* out) {
  if (!j.contains(key) || !j[key].is_array()) return absl::OkStatus();
  const json& list = j[key];
  for (size_t k = 0; k < list.size(); ++k) {
    if (!list[k].is_object()) continue;  // e.g. licence exceptions given only by name
    const std::string p = path + "." + key + "[" + std::to_string(k) + "]";
    auto* e = out->Add();
    e->set_eccn(Str(list[k], "eccn"));
    e->set_id(Str(list[k], "id"));
    e->set_effect(Str(list[k], "effect"));
    e->set_summary(Str(list[k], "text_summary"));
    if (list[k].contains("condition") && !list[k]["condition"].is_null()) {
      RETURN_IF_ERROR(
          ToCondition(list[k]["condition"], p + ".condition", 0, e->mutable_condition()));
    }
  }
  return absl::OkStatus();
}

absl::Status AddDates(const json& j, const char* key, const char* kind, const char* text_key,
                      const std::string& path, coalition::v1::RuleSet* rs) {
  if (!j.contains(key) || !j[key].is_array()) return absl::OkStatus();
  for (const json& d : j[key]) {
    ASSIGN_OR_RETURN(int64_t at, ParseDateMs(Str(d, "date")));
    auto* e = rs->add_effective_dates();
    e->set_at_ms(at);
    e->set_kind(kind);
    e->set_applies_to(Str(d, text_key));
  }
  return absl::OkStatus();
}

absl::Status ToDestinations(const json& j, const std::string& path,
                            coalition::v1::Destinations* out) {
  if (!j.is_object()) return absl::OkStatus();
  const json& req = j.value("license_required_to", json());
  if (req.is_array()) {
    for (const json& c : req) out->add_license_required_to(c.get<std::string>());
    out->set_exhaustive(true);
  } else if (req.is_string()) {
    // A country-group description: only its listed examples are known.
    out->set_description(req.get<std::string>());
    for (const json& c : j.value("examples", json::array())) {
      out->add_license_required_to(c.get<std::string>());
    }
    out->set_exhaustive(false);
  }
  for (const json& c : j.value("excluded_examples", json::array())) {
    out->add_excluded(c.get<std::string>());
  }
  if (j.contains("later_amendment")) {
    const json& a = j["later_amendment"];
    auto* add = out->add_additions();
    ASSIGN_OR_RETURN(int64_t at, ParseDateMs(Str(a, "date")));
    add->set_effective_at_ms(at);
    for (const json& c : a.value("adds", json::array())) add->add_countries(c.get<std::string>());
    add->set_citation(Str(a, "citation"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ToRuleSet(std::string_view span, coalition::v1::RuleSet* rs,
                               std::string* skip_reason) {
  json j = json::parse(span.begin(), span.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("rule_sets[]", "not a JSON object");
  const std::string id = Str(j, "id");
  const std::string path = "rule_sets[" + id + "]";
  if (!j.contains("entries") || !j["entries"].is_array() || j["entries"].empty()) {
    *skip_reason = id + ": no machine-readable entries";
    return false;
  }
  rs->set_id(id);
  rs->set_version(1);
  rs->set_title(Str(j, "title"));
  rs->set_citation(Str(j, "citation"));
  RETURN_IF_ERROR(ToEntries(j, "exclusions", path, rs->mutable_exclusions()));
  RETURN_IF_ERROR(ToEntries(j, "entries", path, rs->mutable_entries()));
  RETURN_IF_ERROR(ToEntries(j, "license_exceptions", path, rs->mutable_license_exceptions()));
  RETURN_IF_ERROR(
      ToDestinations(j.value("destinations", json()), path, rs->mutable_destinations()));
  ASSIGN_OR_RETURN(int64_t effective, ParseDateMs(Str(j, "effective")));
  rs->set_effective_at_ms(effective);
  const std::string announced =
      !Str(j, "released").empty() ? Str(j, "released") : Str(j, "published");
  if (!announced.empty()) {
    ASSIGN_OR_RETURN(int64_t at, ParseDateMs(announced));
    rs->set_announced_at_ms(at);
  }
  RETURN_IF_ERROR(AddDates(j, "effective_detail", "effective_detail", "applies_to", path, rs));
  RETURN_IF_ERROR(AddDates(j, "accelerations", "acceleration", "summary", path, rs));
  RETURN_IF_ERROR(AddDates(j, "compliance_dates", "compliance_date", "applies_to", path, rs));
  if (!Str(j, "supersedes").empty()) rs->add_supersedes(Str(j, "supersedes") + "@1");
  rs->set_source_json(std::string(span));
  absl::Status valid = ValidateRuleSet(*rs, path);
  if (!valid.ok()) return Bad(path, std::string(valid.message()));
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseDateMs(std::string_view s) {
  auto digits = [&](size_t from, size_t n, int* out) {
    *out = 0;
    for (size_t k = from; k < from + n; ++k) {
      if (k >= s.size() || !std::isdigit(static_cast<unsigned char>(s[k]))) return false;
      *out = *out * 10 + (s[k] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !digits(0, 4, &y) || !digits(5, 2, &m) ||
      !digits(8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return absl::InvalidArgumentError("date: '" + std::string(s) + "' is not YYYY-MM-DD");
  }
  return DaysFromCivil(y, m, d) * 86400000;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  std::string out(max_bytes + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (in.bad()) return absl::UnavailableError("cannot read " + path);
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() > max_bytes) {
    return absl::ResourceExhaustedError(path + " is larger than " + std::to_string(max_bytes) +
                                        " bytes");
  }
  return out;
}

absl::StatusOr<LoadedRuleSets> LoadRuleSetsFromJson(std::string_view text) {
  if (text.size() > kRulesJsonBytesMax) return absl::ResourceExhaustedError("rules.json too large");
  json whole = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (whole.is_discarded()) return Bad("", "not valid JSON");
  if (Str(whole, "schema") != "coalition-ledger/rules/v1") {
    return Bad("schema", "expected coalition-ledger/rules/v1");
  }
  ASSIGN_OR_RETURN(auto spans, RuleSetSpans(text));
  LoadedRuleSets out;
  for (std::string_view span : spans) {
    coalition::v1::RuleSet rs;
    std::string skip;
    ASSIGN_OR_RETURN(bool loaded, ToRuleSet(span, &rs, &skip));
    if (loaded) {
      out.rule_sets.push_back(std::move(rs));
    } else {
      out.skipped.push_back(skip);
    }
  }
  return out;
}

absl::StatusOr<LoadedRuleSets> LoadRuleSetsFromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, kRulesJsonBytesMax));
  return LoadRuleSetsFromJson(text);
}

absl::StatusOr<LoadedRuleSets> LoadEmbeddedRuleSets() {
  return LoadRuleSetsFromJson(EmbeddedRulesJson());
}

}  // namespace coal::domain

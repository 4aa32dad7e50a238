#include "node/explorer_api.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "crypto/bytes.h"
#include "node/domain/entry_checks.h"
#include "node/domain/queries.h"
#include "node/replica.h"

namespace coal::node {
namespace {

using nlohmann::json;

// Ledger strings come from signed but otherwise arbitrary entries: never let invalid UTF-8 throw.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json Strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return json(std::vector<std::string>(list.begin(), list.end()));
}

ApiAnswer Ok(const json& j) { return {200, Dump(j)}; }

ApiAnswer Error(int http, const std::string& message) { return {http, Dump({{"error", message}})}; }

// absl status -> the HTTP status that means the same, with the message.
ApiAnswer Error(const absl::Status& st) {
  int http = 500;
  switch (st.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      http = 400;
      break;
    case absl::StatusCode::kNotFound:
      http = 404;
      break;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      http = 403;
      break;
    case absl::StatusCode::kResourceExhausted:
      http = 429;
      break;
    default:
      break;
  }
  return Error(http, std::string(st.message()));
}

// The query string of one endpoint, checked: every name known (short names and the proto field
// names both accepted), none repeated, no value longer than kApiParamBytesMax.
class Params {
 public:
  // `allowed` holds canonical names; kAliases maps other accepted names onto them.
  static absl::Status Parse(const ApiParams& raw, std::initializer_list<const char*> allowed,
                            Params* out) {
    static const std::map<std::string, std::string, std::less<>> kAliases = {
        {"as_of_ms", "as_of"},     {"serial_number", "serial"}, {"chip_model", "model"},
        {"hs_code", "hs"},         {"search", "entity"},        {"commitment_id", "id"},
        {"exact_entity", "exact"}, {"rule_set_id", "id"}};
    for (const auto& [name, value] : raw) {
      std::string key = name;
      if (auto a = kAliases.find(key);
          a != kAliases.end() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        key = a->second;
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return absl::InvalidArgumentError(
            "unknown parameter '" + name.substr(0, 64) + "' (this endpoint takes: " +
            (allowed.size() ? absl::StrJoin(allowed, ", ") : std::string("none")) + ")");
      }
      if (value.size() > kApiParamBytesMax) {
        return absl::InvalidArgumentError(key + ": longer than " +
                                          std::to_string(kApiParamBytesMax) + " bytes");
      }
      if (!out->values_.emplace(key, value).second) {
        return absl::InvalidArgumentError(key + ": given more than once");
      }
    }
    return absl::OkStatus();
  }

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? "" : it->second;
  }
  // An integer >= 0 (unix ms and the like); `fallback` when absent or empty.
  absl::StatusOr<int64_t> NonNegative(const std::string& name, int64_t fallback) const {
    const std::string v = Get(name);
    if (v.empty()) return fallback;
    int64_t n = 0;
    if (!absl::SimpleAtoi(v, &n) || n < 0) {
      return absl::InvalidArgumentError(
          name + ": expected a non-negative integer (unix ms), got '" + v.substr(0, 64) + "'");
    }
    return n;
  }
  absl::StatusOr<bool> Flag(const std::string& name) const {
    const std::string v = Get(name);
    if (v.empty() || v == "0" || v == "false") return false;
    if (v == "1" || v == "true") return true;
    return absl::InvalidArgumentError(name + ": expected 1, 0, true or false, got '" +
                                      v.substr(0, 64) + "'");
  }

 private:
  std::map<std::string, std::string> values_;
};

// Every numeric leaf of a condition (thresholds such as tpp >= 4800), tagged with the entry's ECCN.
void Thresholds(const coalition::v1::Condition& c, const std::string& eccn, json* out) {
  switch (c.kind_case()) {
    case coalition::v1::Condition::kLeaf:
      if (c.leaf().value_case() == coalition::v1::Condition::Leaf::kNumber) {
        out->push_back({{"eccn", eccn},
                        {"param", c.leaf().param()},
                        {"op", c.leaf().op()},
                        {"value", c.leaf().number()}});
      }
      break;
    case coalition::v1::Condition::kAll:
      for (const auto& i : c.all().items()) Thresholds(i, eccn, out);
      break;
    case coalition::v1::Condition::kAny:
      for (const auto& i : c.any().items()) Thresholds(i, eccn, out);
      break;
    case coalition::v1::Condition::kNot:
      Thresholds(c.not_(), eccn, out);
      break;
    default:
      break;
  }
}

// `status`: in force / pending / superseded / proposed, as of the request's time.
json RuleSetJson(const coalition::v1::RuleSetStatus& s, int64_t as_of_ms, const char* status) {
  const auto& rs = s.rule_set();
  json thresholds = json::array();
  for (const auto& e : rs.entries()) Thresholds(e.condition(), e.eccn(), &thresholds);
  // The TPP lower bounds, ascending and distinct: what the chart plots per version.
  std::set<double> tpp;
  for (const auto& t : thresholds) {
    if (t["param"] == "tpp" && (t["op"] == ">=" || t["op"] == ">"))
      tpp.insert(t["value"].get<double>());
  }
  std::string st = status;
  if (st.empty()) {
    st = s.in_force() ? "in force" : rs.effective_at_ms() > as_of_ms ? "pending" : "superseded";
  }
  return {{"id", rs.id()},
          {"version", rs.version()},
          {"title", rs.title()},
          {"citation", rs.citation()},
          {"effective_at_ms", rs.effective_at_ms()},
          {"announced_at_ms", rs.announced_at_ms()},
          {"supersedes", Strings(rs.supersedes())},
          {"status", st},
          {"in_force", s.in_force()},
          {"adopted", s.adopted() || s.genesis()},
          {"adopted_at_ms", s.adopted_at_ms()},
          {"genesis", s.genesis()},
          {"emergency", s.emergency()},
          {"proposer", s.proposer()},
          {"approvers", Strings(s.approvers())},
          {"log_index", s.log_index()},
          {"thresholds", thresholds},
          {"tpp_thresholds", tpp}};
}

std::string StateName(coalition::v1::ShipmentState st) {
  if (st == coalition::v1::SHIPMENT_STATE_UNSPECIFIED) return "update";
  std::string n = coalition::v1::ShipmentState_Name(st);
  if (n.rfind("SHIPMENT_", 0) == 0) n = n.substr(9);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

json ShipmentRow(const coalition::v1::ShipmentRecord& rec) {
  const auto& sh = rec.shipment();
  std::vector<std::string> models;
  for (const auto& item : sh.items()) {
    if (std::find(models.begin(), models.end(), item.chip_model()) == models.end()) {
      models.push_back(item.chip_model());
    }
  }
  return {{"log_index", rec.log_index()},
          {"shipment_id", sh.shipment_id()},
          {"flagged_at_ms", rec.flagged_at_ms()},
          {"flagged_by", sh.header().author()},
          {"shipper", sh.shipper().name()},
          {"consignee", sh.consignee().name()},
          {"consignee_country", sh.consignee().country()},
          {"declared_destination", sh.declared_destination()},
          {"suspected_destination", sh.suspected_destination()},
          {"route", Strings(sh.route())},
          {"hs_codes", Strings(sh.hs_codes())},
          {"models", models},
          {"state", StateName(rec.state())},
          {"flag_reasons", Strings(sh.flag_reasons())},
          {"matched_entities", Strings(rec.matched_entities())}};
}

// One shipment with its history: the flag, then every event in commit order, and the screening
// against the rules in force when it was flagged.
json ShipmentDetail(const coalition::v1::ShipmentRecord& rec) {
  json out = ShipmentRow(rec);
  json items = json::array();
  for (const auto& it : rec.shipment().items()) {
    items.push_back({{"model", it.chip_model()},
                     {"quantity", it.quantity()},
                     {"serials", Strings(it.serial_numbers())},
                     {"declared_description", it.declared_description()}});
  }
  json events = json::array();
  events.push_back({{"state", "flagged"},
                    {"by", rec.shipment().header().author()},
                    {"at_ms", rec.flagged_at_ms()},
                    {"note", absl::StrJoin(rec.shipment().flag_reasons(), "; ")},
                    {"log_index", rec.log_index()}});
  for (int i = 0; i < rec.events_size(); ++i) {
    const auto& e = rec.events(i);
    events.push_back(
        {{"state", StateName(e.new_state())},
         {"by", e.header().author()},
         {"at_ms", e.header().created_at_ms()},
         {"note", e.note()},
         {"log_index", i < rec.event_log_indexes_size() ? rec.event_log_indexes(i) : uint64_t{0}}});
  }
  json screening = json::array();
  for (const auto& ev : rec.screening()) {
    screening.push_back({{"rule_set_id", ev.rule_set_id()},
                         {"version", ev.version()},
                         {"model", ev.chip_model()},
                         {"classification", ev.classification()},
                         {"licence_required", ev.licence_required()},
                         {"error", ev.error()}});
  }
  out["items"] = items;
  out["events"] = events;
  out["screening"] = screening;
  return out;
}

ApiAnswer RuleSets(const storage::KvStore& kv, const ApiParams& raw, int64_t now_ms) {
  Params p;
  if (auto st = Params::Parse(raw, {"as_of", "id"}, &p); !st.ok()) return Error(st);
  auto as_of = p.NonNegative("as_of", now_ms);
  if (!as_of.ok()) return Error(as_of.status());
  coalition::v1::RuleSetRequest req;
  req.set_as_of_ms(*as_of);
  req.set_rule_set_id(p.Get("id"));
  auto r = domain::QueryRuleSets(kv, req, now_ms);
  if (!r.ok()) return Error(r.status());
  json in_force = json::array(), pending = json::array(), history = json::array(),
       proposed = json::array();
  for (const auto& x : r->in_force()) in_force.push_back(RuleSetJson(x, *as_of, "in force"));
  for (const auto& x : r->pending()) pending.push_back(RuleSetJson(x, *as_of, "pending"));
  for (const auto& x : r->history()) history.push_back(RuleSetJson(x, *as_of, ""));
  for (const auto& x : r->proposed()) proposed.push_back(RuleSetJson(x, *as_of, "proposed"));
  return Ok({{"as_of_ms", *as_of},
             {"in_force", in_force},
             {"pending", pending},
             {"history", history},
             {"proposed", proposed}});
}

ApiAnswer Commitments(const storage::KvStore& kv, const ApiParams& raw) {
  Params p;
  if (auto st = Params::Parse(raw, {"id", "member", "vendor", "status", "page_token"}, &p);
      !st.ok()) {
    return Error(st);
  }
  const std::string status = p.Get("status");
  if (!status.empty() && status != "open" && status != "closed") {
    return Error(400, "status: expected 'open' or 'closed', got '" + status.substr(0, 64) + "'");
  }
  coalition::v1::CommitmentQuery q;
  q.set_commitment_id(p.Get("id"));
  q.set_member(p.Get("member"));
  q.set_vendor(p.Get("vendor"));
  q.set_status(status);
  q.set_page_token(p.Get("page_token"));
  q.set_page_size(domain::kPageSizeMax);
  auto r = domain::QueryCommitments(kv, q);
  if (!r.ok()) return Error(r.status());
  json rows = json::array();
  for (const auto& c : r->commitments()) {
    const auto& cm = c.commitment();
    rows.push_back({{"id", cm.commitment_id()},
                    {"buyer", cm.buyer()},
                    {"vendors", Strings(cm.vendors())},
                    {"chip_category", cm.chip_category()},
                    {"committed", cm.amount().units()},
                    {"delivered", c.delivered().units()},
                    {"remaining", c.remaining().units()},
                    {"currency", cm.amount().currency()},
                    {"quantity", cm.quantity()},
                    {"delivered_quantity", c.delivered_quantity()},
                    {"period_start_ms", cm.period_start_ms()},
                    {"period_end_ms", cm.period_end_ms()},
                    {"status", c.status()},
                    {"log_index", c.log_index()}});
  }
  auto aggregates = [](const auto& list) {
    json out = json::array();
    for (const auto& a : list) {
      out.push_back({{"key", a.key()},
                     {"currency", a.currency()},
                     {"committed", a.committed()},
                     {"delivered", a.delivered()},
                     {"remaining", a.remaining()}});
    }
    return out;
  };
  return Ok({{"commitments", rows},
             {"by_member", aggregates(r->by_member())},
             {"by_vendor", aggregates(r->by_vendor())},
             {"next_page_token", r->next_page_token()}});
}

ApiAnswer Shipments(const storage::KvStore& kv, const coalition::v1::Genesis& genesis,
                    const std::string& operator_member, const std::string& path,
                    const ApiParams& raw) {
  using Q = coalition::v1::ShipmentQuery;
  using Setter = void (Q::*)(const std::string&);
  static const std::vector<std::pair<std::string, Setter>> kKeys = {
      {"shipment_id", &Q::set_shipment_id},
      {"entity", &Q::set_entity},
      {"serial", &Q::set_serial_number},
      {"model", &Q::set_chip_model},
      {"country", &Q::set_country},
      {"hs", &Q::set_hs_code},
      {"reason", &Q::set_reason}};
  Params p;
  const bool one = path == "shipment";
  auto parsed = one ? Params::Parse(raw, {"id"}, &p)
                    : Params::Parse(raw,
                                    {"shipment_id", "entity", "serial", "model", "country", "hs",
                                     "reason", "from_ms", "to_ms", "exact", "page_token"},
                                    &p);
  if (!parsed.ok()) return Error(parsed);
  Q q;
  if (one) {
    if (p.Get("id").empty()) return Error(400, "id: required (a shipment id)");
    q.set_shipment_id(p.Get("id"));
  } else {
    std::vector<std::string> given;
    for (const auto& [key, set] : kKeys) {
      if (!p.Has(key)) continue;
      if (p.Get(key).empty()) return Error(400, key + ": empty");
      given.push_back(key);
      (q.*set)(p.Get(key));
    }
    if (given.size() > 1) {
      return Error(400, "give one search key, not several: " + absl::StrJoin(given, ", "));
    }
    auto from = p.NonNegative("from_ms", 0);
    if (!from.ok()) return Error(from.status());
    auto to = p.NonNegative("to_ms", 0);
    if (!to.ok()) return Error(to.status());
    if (*to != 0 && *to < *from) return Error(400, "to_ms: before from_ms");
    auto exact = p.Flag("exact");
    if (!exact.ok()) return Error(exact.status());
    q.set_from_ms(*from);
    q.set_to_ms(*to);
    q.set_exact_entity(*exact);
    q.set_page_token(p.Get("page_token"));
  }
  q.set_page_size(domain::kPageSizeMax);
  auto r = domain::QueryShipments(kv, genesis, q, operator_member);
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kPermissionDenied ||
        r.status().code() == absl::StatusCode::kUnauthenticated) {
      return Error(403, "this node's operator '" + operator_member +
                            "' may not read shipments (only enforcement agencies and authorities "
                            "may): " +
                            std::string(r.status().message()));
    }
    return Error(r.status());
  }
  if (one) {
    if (r->shipments().empty()) return Error(404, "no shipment with id '" + q.shipment_id() + "'");
    return Ok(ShipmentDetail(r->shipments(0)));
  }
  json rows = json::array();
  for (const auto& rec : r->shipments()) rows.push_back(ShipmentRow(rec));
  return Ok({{"shipments", rows}, {"next_page_token", r->next_page_token()}});
}

json CheckpointJson(const std::optional<coalition::v1::Checkpoint>& cp) {
  if (!cp) return nullptr;
  json cosigners = json::array();
  for (const auto& c : cp->cosignatures()) {
    cosigners.push_back({{"signer", c.signer()}, {"timestamp", c.timestamp()}});
  }
  return {{"origin", cp->origin()}, {"size", cp->size()},     {"root", ToHex(cp->root())},
          {"height", cp->height()}, {"cosigners", cosigners}, {"note", cp->note()}};
}

}  // namespace

ApiAnswer ExplorerQuery(const storage::KvStore& kv, const coalition::v1::Genesis& genesis,
                        const std::string& operator_member, const std::string& path,
                        const ApiParams& params, int64_t now_ms) {
  if (path == "rulesets") return RuleSets(kv, params, now_ms);
  if (path == "commitments") return Commitments(kv, params);
  if (path == "shipments" || path == "shipment") {
    return Shipments(kv, genesis, operator_member, path, params);
  }
  return Error(404, "no such endpoint: /api/" + path.substr(0, 64) +
                        " (status, rulesets, commitments, shipments, shipment)");
}

ExplorerApi MakeExplorerApi(const coalition::v1::Genesis& genesis, const std::string& chain_id,
                            const std::string& node_id, const std::string& operator_member,
                            Ledger* ledger, Mempool* mempool, Replica* replica) {
  const bool may_read_shipments = domain::CheckShipmentReadAccess(genesis, operator_member).ok();
  return [=](const std::string& path, const ApiParams& params) -> ApiAnswer {
    try {
      if (path != "status") {
        return ExplorerQuery(*ledger->kv(), genesis, operator_member, path, params,
                             absl::ToUnixMillis(absl::Now()));
      }
      if (!params.empty()) {
        return Error(400, "unknown parameter '" + params.begin()->first.substr(0, 64) +
                              "' (this endpoint takes: none)");
      }
      coalition::v1::StatusResponse s;
      replica->FillStatus(&s);
      json peers = json::array();
      for (const auto& p : s.peers()) {
        peers.push_back({{"id", p.id()}, {"addr", p.addr()}, {"connected", p.connected()}});
      }
      return Ok({{"chain_id", chain_id},
                 {"node_id", node_id},
                 {"operator", operator_member},
                 {"operator_may_read_shipments", may_read_shipments},
                 {"height", ledger->height()},
                 {"round", s.round()},
                 {"tree_size", ledger->tree_size()},
                 {"root", ToHex(ledger->root())},
                 {"checkpoint", CheckpointJson(ledger->LatestQuorumCheckpoint())},
                 {"validators", genesis.validators_size()},
                 {"mempool_entries", mempool->size()},
                 {"peers", peers}});
      // nlohmann::json throws (Dump() already tolerates bad UTF-8); a read never takes the node
      // down, it answers 500.
    } catch (const std::exception& e) {
      return Error(500, std::string("internal error: ") + e.what());
    }
  };
}

}  // namespace coal::node

#include "node/explorer_api.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "node/domain/queries.h"
#include "node/replica.h"

namespace coal::node {
namespace {

std::pair<int, std::string> Error(int http, const std::string& message) {
  return {http, nlohmann::json{{"error", message}}.dump()};
}

// absl status -> HTTP status with the message.
std::pair<int, std::string> Error(const absl::Status& st) {
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
    default:
      break;
  }
  return Error(http, std::string(st.message()));
}

std::string Param(const std::multimap<std::string, std::string>& params, const std::string& key) {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

// TPP thresholds (">=" leaves on tpp) anywhere in the rule set's entries, for the chart.
void TppThresholds(const coalition::v1::Condition& c, nlohmann::json* out) {
  switch (c.kind_case()) {
    case coalition::v1::Condition::kLeaf:
      if (c.leaf().param() == "tpp" && c.leaf().op() == ">=" &&
          c.leaf().value_case() == coalition::v1::Condition::Leaf::kNumber) {
        out->push_back(c.leaf().number());
      }
      break;
    case coalition::v1::Condition::kAll:
      for (const auto& i : c.all().items()) TppThresholds(i, out);
      break;
    case coalition::v1::Condition::kAny:
      for (const auto& i : c.any().items()) TppThresholds(i, out);
      break;
    default:
      break;
  }
}

nlohmann::json RuleSetJson(const coalition::v1::RuleSetStatus& s) {
  nlohmann::json tpp = nlohmann::json::array();
  for (const auto& e : s.rule_set().entries()) TppThresholds(e.condition(), &tpp);
  nlohmann::json approvers = nlohmann::json::array();
  for (const auto& a : s.approvers()) approvers.push_back(a);
  if (s.genesis()) approvers.push_back("(genesis)");
  return {{"id", s.rule_set().id()},       {"version", s.rule_set().version()},
          {"title", s.rule_set().title()}, {"effective_at_ms", s.rule_set().effective_at_ms()},
          {"in_force", s.in_force()},      {"approvers", approvers},
          {"tpp_thresholds", tpp}};
}

std::string StateName(coalition::v1::ShipmentState st) {
  std::string n = coalition::v1::ShipmentState_Name(st);
  if (n.rfind("SHIPMENT_", 0) == 0) n = n.substr(9);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

}  // namespace

ExplorerApi MakeExplorerApi(const coalition::v1::Genesis& genesis, const std::string& chain_id,
                            const std::string& node_id, const std::string& operator_member,
                            Ledger* ledger, Mempool* mempool, Replica* replica) {
  return [=](const std::string& path,
             const std::multimap<std::string, std::string>& params) -> std::pair<int, std::string> {
    if (path == "status") {
      coalition::v1::StatusResponse s;
      replica->FillStatus(&s);
      nlohmann::json peers = nlohmann::json::array();
      for (const auto& p : s.peers()) {
        peers.push_back({{"id", p.id()}, {"addr", p.addr()}, {"connected", p.connected()}});
      }
      auto cp = ledger->LatestQuorumCheckpoint();
      return {200, nlohmann::json{{"chain_id", chain_id},
                                  {"node_id", node_id},
                                  {"height", ledger->height()},
                                  {"round", s.round()},
                                  {"tree_size", ledger->tree_size()},
                                  {"root", ToHex(ledger->root())},
                                  {"checkpoint_size", cp ? cp->size() : 0},
                                  {"checkpoint_note", cp ? cp->note() : ""},
                                  {"mempool_entries", mempool->size()},
                                  {"peers", peers}}
                       .dump()};
    }
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    if (path == "rulesets") {
      coalition::v1::RuleSetRequest req;
      const std::string as_of = Param(params, "as_of_ms");
      int64_t ms = 0;
      if (!as_of.empty() && !absl::SimpleAtoi(as_of, &ms)) {
        return Error(400,
                     "as_of_ms: not an integer (unix milliseconds): '" + as_of.substr(0, 64) + "'");
      }
      req.set_as_of_ms(ms);
      req.set_rule_set_id(Param(params, "id"));
      auto r = domain::QueryRuleSets(*ledger->kv(), req, now_ms);
      if (!r.ok()) return Error(r.status());
      nlohmann::json in_force = nlohmann::json::array(), pending = nlohmann::json::array();
      for (const auto& x : r->in_force()) in_force.push_back(RuleSetJson(x));
      for (const auto& x : r->pending()) pending.push_back(RuleSetJson(x));
      return {200, nlohmann::json{{"in_force", in_force}, {"pending", pending}}.dump()};
    }
    if (path == "commitments") {
      coalition::v1::CommitmentQuery q;
      q.set_member(Param(params, "member"));
      q.set_vendor(Param(params, "vendor"));
      q.set_status(Param(params, "status"));
      q.set_page_size(domain::kPageSizeMax);
      auto r = domain::QueryCommitments(*ledger->kv(), q);
      if (!r.ok()) return Error(r.status());
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& c : r->commitments()) {
        nlohmann::json vendors = nlohmann::json::array();
        for (const auto& v : c.commitment().vendors()) vendors.push_back(v);
        rows.push_back({{"id", c.commitment().commitment_id()},
                        {"buyer", c.commitment().buyer()},
                        {"vendors", vendors},
                        {"committed", c.commitment().amount().units()},
                        {"delivered", c.delivered().units()},
                        {"currency", c.commitment().amount().currency()},
                        {"status", c.status()}});
      }
      return {200, nlohmann::json{{"commitments", rows}}.dump()};
    }
    if (path == "shipments" || path == "shipment") {
      coalition::v1::ShipmentQuery q;
      const std::string id = Param(params, path == "shipment" ? "id" : "shipment_id");
      if (path == "shipment" && id.empty()) return Error(400, "id: required");
      if (!id.empty()) q.set_shipment_id(id);
      for (const auto& [key, set] : std::vector<
               std::pair<std::string, void (coalition::v1::ShipmentQuery::*)(const std::string&)>>{
               {"entity", &coalition::v1::ShipmentQuery::set_entity},
               {"serial_number", &coalition::v1::ShipmentQuery::set_serial_number},
               {"chip_model", &coalition::v1::ShipmentQuery::set_chip_model},
               {"country", &coalition::v1::ShipmentQuery::set_country},
               {"hs_code", &coalition::v1::ShipmentQuery::set_hs_code},
               {"reason", &coalition::v1::ShipmentQuery::set_reason}}) {
        const std::string v = Param(params, key);
        if (!v.empty()) (q.*set)(v);
      }
      if (params.count("entity") && Param(params, "entity").empty()) {
        return Error(400, "entity: empty");
      }
      q.set_page_size(domain::kPageSizeMax);
      auto r = domain::QueryShipments(*ledger->kv(), genesis, q, operator_member);
      if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kPermissionDenied ||
            r.status().code() == absl::StatusCode::kUnauthenticated) {
          return Error(403, "this node's operator '" + operator_member +
                                "' may not read shipments: " + std::string(r.status().message()));
        }
        return Error(r.status());
      }
      if (path == "shipment") {
        if (r->shipments().empty()) return Error(404, "no shipment with id '" + id + "'");
        const auto& rec = r->shipments(0);
        nlohmann::json events = nlohmann::json::array();
        events.push_back({{"state", "flagged"},
                          {"note", "flagged by " + rec.shipment().header().author()},
                          {"log_index", rec.log_index()}});
        for (int i = 0; i < rec.events_size(); ++i) {
          events.push_back(
              {{"state", StateName(rec.events(i).new_state())},
               {"note", rec.events(i).note()},
               {"log_index", i < rec.event_log_indexes_size() ? rec.event_log_indexes(i) : 0}});
        }
        return {200, nlohmann::json{{"shipment_id", id}, {"events", events}}.dump()};
      }
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& rec : r->shipments()) {
        const auto& sh = rec.shipment();
        nlohmann::json reasons = nlohmann::json::array();
        for (const auto& x : sh.flag_reasons()) reasons.push_back(x);
        rows.push_back({{"log_index", rec.log_index()},
                        {"shipment_id", sh.shipment_id()},
                        {"consignee", sh.consignee().name()},
                        {"declared_destination", sh.declared_destination()},
                        {"suspected_destination", sh.suspected_destination()},
                        {"state", StateName(rec.state())},
                        {"flag_reasons", reasons}});
      }
      return {200, nlohmann::json{{"shipments", rows}}.dump()};
    }
    return Error(404, "no such endpoint: /api/" + path);
  };
}

}  // namespace coal::node

#include "tools/coalctl/compliance_commands.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "coalition/v1/services.grpc.pb.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/key_file.h"
#include "crypto/sha256.h"
#include "node/domain/evaluator.h"
#include "tools/coalctl/client.h"
#include "tools/coalctl/verifier.h"

namespace coal::tools {
namespace {

using coalition::v1::ComplianceService;

void CallOrDie(const grpc::Status& st) {
  if (!st.ok()) Die(FromGrpc(st));
}

std::unique_ptr<grpc::ClientContext> Context(const GlobalOptions& g) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(g.deadline_ms));
  return ctx;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string Date(int64_t ms) {
  if (ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string Member(const GlobalOptions& g) {
  if (!g.member.empty()) return g.member;
  if (g.key_file.empty()) Die(absl::InvalidArgumentError("--key FILE is required"));
  std::string stem = g.key_file.substr(g.key_file.find_last_of('/') + 1);
  return stem.substr(0, stem.find('.'));
}

std::string Bar(double fraction, int width = 24) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * width + 0.5);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

// ---- evaluate -------------------------------------------------------------------------------

struct EvalFlags {
  std::string rules, rule_set, model, destination, as_of, datacenter;
  std::optional<double> tpp, die_area, pd, io, hbm;
  bool offline = false;
  bool with_proof = false;
};

// With proofs asked for: the verifier's bundle ("checkpoint", "inclusions") goes beside the answer
// in JSON, so `coalctl verify --genesis G --answer FILE` checks the answer as saved; in text, one
// line says what is proven.
void AddProofs(const google::protobuf::Message& resp, bool json, nlohmann::json* out) {
  auto answer = AnswerFromProofs(resp);
  if (!answer.ok()) {
    std::cerr << "proofs: " << answer.status().message() << "\n";
    return;
  }
  if (json) {
    (*out)["checkpoint"] = CheckpointJson(*answer->checkpoint);
    (*out)["inclusions"] = nlohmann::json::array();
    for (const auto& in : answer->inclusions) (*out)["inclusions"].push_back(InclusionJson(in));
  } else {
    std::cout << "proven: " << answer->inclusions.size()
              << " ledger entries against the quorum checkpoint of size "
              << *answer->checkpoint->size << " (save with --json and check with coalctl verify)\n";
  }
}

coalition::v1::EvaluateRequest BuildEvaluate(const EvalFlags& f) {
  coalition::v1::EvaluateRequest req;
  auto* chip = req.mutable_chip();
  chip->set_model(f.model);
  if (f.tpp) chip->set_tpp(*f.tpp);
  if (f.die_area) chip->set_die_area_mm2(*f.die_area);
  if (f.pd) chip->set_performance_density(*f.pd);
  if (f.io) chip->set_io_bandwidth_gbps(*f.io);
  if (f.hbm) chip->set_hbm_bandwidth_density(*f.hbm);
  if (!f.datacenter.empty()) {
    if (f.datacenter != "true" && f.datacenter != "false") {
      Die(absl::InvalidArgumentError("--datacenter: must be true or false, got '" + f.datacenter +
                                     "'"));
    }
    chip->set_datacenter(f.datacenter == "true");
  }
  if (f.model.empty() && !f.tpp) {
    Die(absl::InvalidArgumentError("give --model NAME or the parameters (at least --tpp)"));
  }
  req.set_rule_set_id(f.rule_set);
  req.set_destination(f.destination);
  if (!f.as_of.empty()) req.set_as_of_ms(OrDie(ParseTimeMs(f.as_of)));
  return req;
}

void PrintEvaluation(const nlohmann::json& j) {
  const bool licence = j.value("licence_required", false);
  std::cout << j.value("rule_set_id", "") << " v" << j.value("version", 0) << ": "
            << j.value("classification", "none");
  if (!j.value("branch", "").empty()) std::cout << " (branch " << j.value("branch", "") << ")";
  std::cout << ", licence " << (licence ? "REQUIRED" : "not required");
  if (!j.value("licence_note", "").empty()) std::cout << " — " << j.value("licence_note", "");
  std::cout << "\n";
  if (j.contains("headroom")) {
    for (const auto& h : j["headroom"]) {
      std::printf("    %-28s %-6s %-3s %10.2f  value %10.2f  headroom %+10.2f\n",
                  h.value("param", "").c_str(), h.value("branch", "").c_str(),
                  h.value("op", "").c_str(), h.value("threshold", 0.0), h.value("value", 0.0),
                  h.value("headroom", 0.0));
    }
  }
  if (j.contains("evaluations") && j["evaluations"].size() > 1) {
    std::cout << "  every rule set evaluated:\n";
    for (const auto& e : j["evaluations"]) {
      std::cout << "    " << e.value("rule_set_id", "") << " v" << e.value("version", 0) << ": "
                << (e.value("error", "").empty() ? e.value("classification", "none")
                                                 : "error: " + e.value("error", ""))
                << (e.value("licence_required", false) ? ", licence required" : "") << "\n";
    }
  }
}

// ---- commitments ----------------------------------------------------------------------------

void PrintCommitments(const coalition::v1::CommitmentResponse& r) {
  if (r.commitments().empty()) std::cout << "no commitments match\n";
  for (const auto& c : r.commitments()) {
    const auto& cm = c.commitment();
    const double total = static_cast<double>(cm.amount().units());
    const double done = static_cast<double>(c.delivered().units());
    std::printf("%-24s %-12s %-7s %s %5.1f%%  %lld of %lld %s delivered, %lld remaining\n",
                cm.commitment_id().c_str(), cm.buyer().c_str(), c.status().c_str(),
                Bar(total > 0 ? done / total : 0).c_str(), total > 0 ? 100 * done / total : 0.0,
                static_cast<long long>(c.delivered().units()),
                static_cast<long long>(cm.amount().units()), cm.amount().currency().c_str(),
                static_cast<long long>(c.remaining().units()));
  }
  auto aggregates = [](const char* title, const auto& rows) {
    if (rows.empty()) return;
    std::cout << title << "\n";
    for (const auto& a : rows) {
      std::printf("  %-24s %-4s committed %lld, delivered %lld, remaining %lld\n", a.key().c_str(),
                  a.currency().c_str(), static_cast<long long>(a.committed()),
                  static_cast<long long>(a.delivered()), static_cast<long long>(a.remaining()));
    }
  };
  aggregates("by member:", r.by_member());
  aggregates("by vendor:", r.by_vendor());
  if (!r.next_page_token().empty())
    std::cout << "more: --page-token " << r.next_page_token() << "\n";
}

// ---- shipments ------------------------------------------------------------------------------

std::string StateName(coalition::v1::ShipmentState s) {
  std::string n = coalition::v1::ShipmentState_Name(s);
  if (n.rfind("SHIPMENT_", 0) == 0) n = n.substr(9);
  std::transform(n.begin(), n.end(), n.begin(), [](char c) { return std::tolower(c); });
  return n;
}

void PrintShipments(const coalition::v1::ShipmentResponse& r, bool history) {
  if (r.shipments().empty()) std::cout << "no shipments match\n";
  for (const auto& rec : r.shipments()) {
    const auto& s = rec.shipment();
    std::string route;
    for (const auto& hop : s.route()) route += (route.empty() ? "" : ">") + hop;
    std::printf("%-16s %-12s flagged %s  %s -> %s (declared %s, suspected %s) via %s  [log %llu]\n",
                s.shipment_id().c_str(), StateName(rec.state()).c_str(),
                Date(rec.flagged_at_ms()).c_str(), s.shipper().name().c_str(),
                s.consignee().name().c_str(), s.declared_destination().c_str(),
                s.suspected_destination().c_str(), route.c_str(),
                static_cast<unsigned long long>(rec.log_index()));
    if (!history) continue;
    for (const auto& item : s.items()) {
      std::printf("    item %s x%llu (declared \"%s\")\n", item.chip_model().c_str(),
                  static_cast<unsigned long long>(item.quantity()),
                  item.declared_description().c_str());
    }
    for (const auto& e : rec.screening()) {
      std::printf("    screening %s v%u: %s%s\n", e.rule_set_id().c_str(), e.version(),
                  e.error().empty() ? e.classification().c_str() : ("error: " + e.error()).c_str(),
                  e.licence_required() ? ", licence required" : "");
    }
    for (int i = 0; i < rec.events_size(); ++i) {
      const auto& e = rec.events(i);
      std::printf("    event %-12s %s  [log %llu]\n", StateName(e.new_state()).c_str(),
                  e.note().c_str(),
                  static_cast<unsigned long long>(
                      i < rec.event_log_indexes_size() ? rec.event_log_indexes(i) : 0));
    }
  }
}

}  // namespace

absl::StatusOr<int64_t> ParseTimeMs(const std::string& text) {
  int64_t ms = 0;
  if (absl::SimpleAtoi(text, &ms)) return ms;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err) ||
      absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixMillis(t);
  }
  return absl::InvalidArgumentError("time '" + text +
                                    "': use YYYY-MM-DD, RFC 3339 or unix milliseconds");
}

void AuthorizeShipmentQuery(const crypto::Signer& signer, const std::string& member,
                            const std::string& chain_id, coalition::v1::ShipmentQuery* query) {
  query->clear_auth();
  const auto digest = coal::Sha256(query->SerializeAsString());
  coalition::v1::ReadAuth ra;
  auto* h = ra.mutable_header();
  h->set_author(member);
  h->set_created_at_ms(absl::ToUnixMillis(absl::Now()));
  std::string nonce(16, '\0');
  std::random_device rd;
  for (auto& c : nonce) c = static_cast<char>(rd());
  h->set_nonce(nonce);
  h->set_chain_id(chain_id);
  ra.set_method("/coalition.v1.ComplianceService/Shipments");
  ra.set_request_digest(std::string(digest.begin(), digest.end()));
  *query->mutable_auth() =
      crypto::MakeEnvelope(signer, "coalition.v1.ReadAuth", ra.SerializeAsString());
}

// The answer as proto JSON, plus the verifier's bundle when proofs were asked for.
void PrintJson(const google::protobuf::Message& resp, bool with_proof) {
  if (!with_proof) {
    std::cout << ToJson(resp) << "\n";
    return;
  }
  auto out = nlohmann::json::parse(ToJson(resp));
  AddProofs(resp, true, &out);
  std::cout << out.dump() << "\n";
}

void RegisterComplianceCommands(CLI::App& app, GlobalOptions& g) {
  // evaluate
  static EvalFlags ef;
  auto* eval = app.add_subcommand(
      "evaluate", "classify a chip under the rules: offline (--rules FILE or --offline) or online");
  eval->add_option("--rules", ef.rules, "rules file (data/rules.json grammar): evaluate offline");
  eval->add_flag("--offline", ef.offline, "evaluate offline against the built-in real rules");
  eval->add_option("--rule-set", ef.rule_set, "rule set id (or id@version); default: all in force");
  eval->add_option("--model", ef.model, "catalog model, e.g. nvidia-h100-sxm5-80gb");
  eval->add_option("--tpp", ef.tpp, "total processing performance");
  eval->add_option("--die-area", ef.die_area, "die area, mm^2");
  eval->add_option("--pd", ef.pd, "performance density (TPP / mm^2), instead of --die-area");
  eval->add_option("--datacenter", ef.datacenter,
                   "designed or marketed for datacenters: true|false");
  eval->add_option("--io-bandwidth", ef.io, "aggregate bidirectional I/O, GB/s");
  eval->add_option("--hbm-bandwidth-density", ef.hbm, "HBM bandwidth density, GB/s/mm^2");
  eval->add_option("--destination", ef.destination, "ISO country code, e.g. CN");
  eval->add_option("--as-of", ef.as_of, "date: YYYY-MM-DD, RFC 3339 or unix ms (default now)");
  eval->add_flag("--with-proof", ef.with_proof,
                 "online: inclusion proofs of the rule-set entries applied");
  eval->callback([&g] {
    auto req = BuildEvaluate(ef);
    nlohmann::json out;
    coalition::v1::EvaluateResponse resp;
    const bool offline = ef.offline || !ef.rules.empty();
    if (offline) {
      if (ef.with_proof) {
        Die(absl::InvalidArgumentError("--with-proof: only online (an offline answer has no log)"));
      }
      out = OrDie(domain::EvaluateOfflineJson(req, absl::ToUnixMillis(absl::Now()), ef.rules));
    } else {
      req.set_with_proof(ef.with_proof);
      auto stub = ComplianceService::NewStub(Connect(g.node));
      auto ctx = Context(g);
      CallOrDie(stub->Evaluate(ctx.get(), req, &resp));
      out = OrDie(domain::EvaluationsToJson(resp));
    }
    if (g.json) {
      if (ef.with_proof) AddProofs(resp, true, &out);
      std::cout << out.dump() << "\n";
    } else {
      PrintEvaluation(out);
      if (ef.with_proof) AddProofs(resp, false, &out);
    }
  });

  // rules
  static std::string rs_id, rs_as_of, approve_digest;
  static bool approve_wait = false, rs_proof = false;
  auto* rules = app.add_subcommand("rules", "threshold rule sets: in force, pending, history");
  rules->add_option("--rule-set", rs_id, "one rule set id");
  rules->add_option("--as-of", rs_as_of, "view as of this time (default now)");
  rules->add_flag("--with-proof", rs_proof, "inclusion proofs of proposal and adoption entries");
  rules->callback([&g, rules] {
    if (rules->get_subcommands().size() > 0) return;  // `rules approve` ran instead
    coalition::v1::RuleSetRequest req;
    req.set_rule_set_id(rs_id);
    if (!rs_as_of.empty()) req.set_as_of_ms(OrDie(ParseTimeMs(rs_as_of)));
    req.set_with_proof(rs_proof);
    auto stub = ComplianceService::NewStub(Connect(g.node));
    coalition::v1::RuleSetResponse resp;
    auto ctx = Context(g);
    CallOrDie(stub->RuleSets(ctx.get(), req, &resp));
    if (g.json) return PrintJson(resp, rs_proof);
    auto section = [](const char* title, const auto& rows) {
      std::cout << title << ":" << (rows.empty() ? " none" : "") << "\n";
      for (const auto& s : rows) {
        std::string approvers;
        for (const auto& a : s.approvers()) approvers += (approvers.empty() ? "" : ",") + a;
        std::printf("  %-28s v%-3u effective %s  %s%s\n", s.rule_set().id().c_str(),
                    s.rule_set().version(), Date(s.rule_set().effective_at_ms()).c_str(),
                    s.genesis() ? "installed at genesis" : ("signed by " + approvers).c_str(),
                    s.emergency() ? " (emergency)" : "");
      }
    };
    section("in force", resp.in_force());
    section("adopted, not yet effective", resp.pending());
    section("proposed, not adopted", resp.proposed());
    section("history", resp.history());
    if (rs_proof) AddProofs(resp, false, nullptr);
  });
  auto* approve = rules->add_subcommand("approve", "approve a proposed rule set (authorities)");
  approve->add_option("--proposal", approve_digest, "digest (hex) of the proposal entry")
      ->required();
  approve->add_flag("--wait", approve_wait, "wait until committed");
  approve->callback([&g] {
    const std::string digest = OrDie(FromHex(approve_digest));
    if (digest.size() != 32) Die(absl::InvalidArgumentError("--proposal: must be 32 bytes hex"));
    auto signer = OrDie(crypto::LoadKeyFile(g.key_file));
    auto ledger = coalition::v1::LedgerService::NewStub(Connect(g.node));
    auto status = OrDie(FetchStatus(*ledger, g.deadline_ms));
    const std::string json = nlohmann::json{{"proposal_digest", Base64Encode(digest)}}.dump();
    auto env = OrDie(EnvelopeFromJson("coalition.v1.ThresholdApproval", json, Member(g),
                                      status.chain_id(), *signer));
    coalition::v1::SubmitRequest req;
    *req.mutable_envelope() = env;
    req.set_wait_for_commit(approve_wait);
    coalition::v1::SubmitResponse resp;
    auto ctx = Context(g);
    CallOrDie(ledger->Submit(ctx.get(), req, &resp));
    if (g.json) {
      std::cout << nlohmann::json{{"digest", ToHex(resp.digest())},
                                  {"committed", resp.committed()},
                                  {"log_index", resp.log_index()},
                                  {"accepted", resp.outcome().accepted()},
                                  {"reason", resp.outcome().reason()}}
                       .dump()
                << "\n";
    } else if (!resp.committed()) {
      std::cout << "approval admitted, digest " << ToHex(resp.digest()) << "\n";
    } else if (resp.outcome().accepted()) {
      std::cout << "approval by " << Member(g) << " committed at log index " << resp.log_index()
                << "\n";
    } else {
      Die(absl::FailedPreconditionError("approval committed but REJECTED: " +
                                        resp.outcome().reason() + ": " + resp.outcome().detail()));
    }
  });

  // commitments
  static coalition::v1::CommitmentQuery cq;
  static std::string cq_id, cq_member, cq_vendor, cq_status, cq_from, cq_to, cq_token;
  static uint32_t cq_size = 0;
  static bool cq_proof = false;
  auto* commitments = app.add_subcommand("commitments", "procurement commitments and progress");
  commitments->add_option("--id", cq_id, "one commitment");
  commitments->add_option("--member", cq_member, "buyer member id");
  commitments->add_option("--vendor", cq_vendor, "vendor");
  commitments->add_option("--status", cq_status, "open | closed");
  commitments->add_option("--from", cq_from, "period overlaps from this time");
  commitments->add_option("--to", cq_to, "period overlaps up to this time");
  commitments->add_option("--page-token", cq_token, "next page");
  commitments->add_option("--page-size", cq_size, "results per page");
  commitments->add_flag("--with-proof", cq_proof, "inclusion proofs of each commitment's entries");
  commitments->callback([&g] {
    cq.set_commitment_id(cq_id);
    cq.set_member(cq_member);
    cq.set_vendor(cq_vendor);
    cq.set_status(cq_status);
    if (!cq_from.empty()) cq.set_period_from_ms(OrDie(ParseTimeMs(cq_from)));
    if (!cq_to.empty()) cq.set_period_to_ms(OrDie(ParseTimeMs(cq_to)));
    cq.set_page_token(cq_token);
    cq.set_page_size(cq_size);
    cq.set_with_proof(cq_proof);
    auto stub = ComplianceService::NewStub(Connect(g.node));
    coalition::v1::CommitmentResponse resp;
    auto ctx = Context(g);
    CallOrDie(stub->Commitments(ctx.get(), cq, &resp));
    if (g.json) {
      PrintJson(resp, cq_proof);
    } else {
      PrintCommitments(resp);
      if (cq_proof) AddProofs(resp, false, nullptr);
    }
  });

  // shipments
  static std::string sq_id, sq_entity, sq_model, sq_serial, sq_country, sq_hs, sq_reason, sq_from,
      sq_to, sq_token;
  static bool sq_exact = false, sq_all = false, sq_proof = false;
  static uint32_t sq_size = 0;
  auto* shipments = app.add_subcommand(
      "shipments", "flagged shipments and their history (enforcement and authority members)");
  shipments->add_option("--id", sq_id, "shipment id (bill of lading)");
  shipments->add_option("--entity", sq_entity, "party name; spelling variants match too");
  shipments->add_flag("--exact", sq_exact, "entity: normalized exact match only");
  shipments->add_option("--model", sq_model, "chip model");
  shipments->add_option("--serial", sq_serial, "serial number");
  shipments->add_option("--country", sq_country, "destination, hub or party country");
  shipments->add_option("--hs", sq_hs, "HS code or heading");
  shipments->add_option("--reason", sq_reason, "flag reason");
  shipments->add_option("--from", sq_from, "flagged at or after");
  shipments->add_option("--to", sq_to, "flagged at or before");
  shipments->add_option("--page-token", sq_token, "next page");
  shipments->add_option("--page-size", sq_size, "results per page");
  shipments->add_flag("--all-pages", sq_all, "follow page tokens to the end");
  shipments->add_flag("--with-proof", sq_proof, "inclusion proofs against the quorum checkpoint");
  shipments->callback([&g] {
    coalition::v1::ShipmentQuery q;
    int keys = 0;
    auto key = [&](const std::string& v, auto setter) {
      if (v.empty()) return;
      ++keys;
      setter(v);
    };
    key(sq_id, [&](const std::string& v) { q.set_shipment_id(v); });
    key(sq_entity, [&](const std::string& v) { q.set_entity(v); });
    key(sq_model, [&](const std::string& v) { q.set_chip_model(v); });
    key(sq_serial, [&](const std::string& v) { q.set_serial_number(v); });
    key(sq_country, [&](const std::string& v) { q.set_country(v); });
    key(sq_hs, [&](const std::string& v) { q.set_hs_code(v); });
    key(sq_reason, [&](const std::string& v) { q.set_reason(v); });
    if (keys > 1) {
      Die(absl::InvalidArgumentError(
          "give one of --id, --entity, --model, --serial, --country, --hs, --reason"));
    }
    q.set_exact_entity(sq_exact);
    if (!sq_from.empty()) q.set_from_ms(OrDie(ParseTimeMs(sq_from)));
    if (!sq_to.empty()) q.set_to_ms(OrDie(ParseTimeMs(sq_to)));
    q.set_page_size(sq_size);
    q.set_page_token(sq_token);
    q.set_with_proof(sq_proof);
    if (g.key_file.empty()) {
      Die(absl::InvalidArgumentError(
          "--key FILE is required: shipment reads are signed by an enforcement or authority "
          "member"));
    }
    auto signer = OrDie(crypto::LoadKeyFile(g.key_file));
    auto channel = Connect(g.node);
    auto ledger = coalition::v1::LedgerService::NewStub(channel);
    const std::string chain_id = OrDie(FetchStatus(*ledger, g.deadline_ms)).chain_id();
    auto stub = ComplianceService::NewStub(channel);
    coalition::v1::ShipmentResponse all;
    for (int page = 0; page < 10000; ++page) {
      AuthorizeShipmentQuery(*signer, Member(g), chain_id, &q);
      coalition::v1::ShipmentResponse resp;
      auto ctx = Context(g);
      CallOrDie(stub->Shipments(ctx.get(), q, &resp));
      for (auto& s : *resp.mutable_shipments()) *all.add_shipments() = std::move(s);
      all.set_next_page_token(resp.next_page_token());
      if (!sq_all || resp.next_page_token().empty()) break;
      q.set_page_token(resp.next_page_token());
    }
    if (g.json) {
      PrintJson(all, sq_proof);
    } else {
      if (sq_proof) AddProofs(all, false, nullptr);
      PrintShipments(all, !sq_id.empty() || !sq_entity.empty() || all.shipments_size() <= 5);
      if (!all.next_page_token().empty()) {
        std::cout << "more: --page-token " << all.next_page_token() << " (or --all-pages)\n";
      }
    }
  });
}

}  // namespace coal::tools

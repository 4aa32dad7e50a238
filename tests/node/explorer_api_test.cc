// The explorer's JSON endpoints over committed domain state in a MemoryKvStore: rule sets as of a
// time with their TPP thresholds, commitment progress, shipment search and history, the read
// check on the node's operator, and a 400 naming the parameter for every kind of bad input.
#include "node/explorer_api.h"

#include <nlohmann/json.hpp>

#include "tests/domain/domain_fixture.h"

namespace coal::node {
namespace {

using domain::testing::kDayMs;
using nlohmann::json;

constexpr int64_t kMs2023Jan1 = 1672531200000;
constexpr int64_t kMs2024Jan1 = 1704067200000;

class ExplorerApiTest : public domain::testing::DomainTest {
 protected:
  // (HTTP status, parsed body); the body must always be JSON.
  std::pair<int, json> Call(const std::string& path, ApiParams params = {},
                            const std::string& operator_member = "us-bis") {
    auto [http, body] = ExplorerQuery(kv_, genesis_, operator_member, path, params, now_ms_);
    auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << body;
    return {http, j};
  }

  coalition::v1::FlaggedShipment Shipment(const std::string& id, const std::string& consignee) {
    coalition::v1::FlaggedShipment s;
    s.set_shipment_id(id);
    s.add_hs_codes("8473.30");
    auto* item = s.add_items();
    item->set_chip_model("H100 SXM5 80GB");
    item->set_quantity(8);
    item->add_serial_numbers("SN-" + id);
    s.mutable_shipper()->set_name("Alpha-One Logistics Pte. Ltd.");
    s.mutable_consignee()->set_name(consignee);
    s.mutable_consignee()->set_country("MY");
    s.set_declared_destination("MY");
    s.set_suspected_destination("CN");
    s.add_route("SG");
    s.add_flag_reasons("Payment from third country");
    s.set_shipped_at_ms(kMs2024Jan1);
    return s;
  }

  void LoadShipments() {
    EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-1", "Lucky Star Trading Co."))));
    EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-2", "Golden Harbor Logistics"))));
    coalition::v1::ShipmentEvent e;
    e.set_shipment_id("BL-1");
    e.set_new_state(coalition::v1::SHIPMENT_DETAINED);
    e.set_note("held at Port Klang");
    EXPECT_ACCEPTED(Apply(Sign("sg-customs", e)));
  }

  static std::vector<std::string> Ids(const json& list, const char* field) {
    std::vector<std::string> out;
    for (const auto& x : list) out.push_back(x[field].get<std::string>());
    return out;
  }
};

TEST_F(ExplorerApiTest, RuleSetsAsOfWithTppThresholds) {
  auto [http, j] = Call("rulesets", {{"as_of", std::to_string(kMs2024Jan1)}});
  ASSERT_EQ(http, 200) << j.dump();
  EXPECT_EQ(j["as_of_ms"], kMs2024Jan1);
  const auto in_force = Ids(j["in_force"], "id");
  EXPECT_NE(std::find(in_force.begin(), in_force.end(), "US-BIS-2023-10-ACS"), in_force.end());
  // The 2023 rule superseded the 2022 one: history holds both, with their TPP lower bounds.
  json by_id;
  for (const auto& r : j["history"]) by_id[r["id"].get<std::string>()] = r;
  ASSERT_TRUE(by_id.contains("US-BIS-2022-10-ACSME")) << j["history"].dump();
  ASSERT_TRUE(by_id.contains("US-BIS-2023-10-ACS"));
  EXPECT_EQ(by_id["US-BIS-2022-10-ACSME"]["tpp_thresholds"], json::parse("[4800.0]"));
  EXPECT_EQ(by_id["US-BIS-2023-10-ACS"]["tpp_thresholds"], json::parse("[1600.0,2400.0,4800.0]"));
  EXPECT_EQ(by_id["US-BIS-2023-10-ACS"]["status"], "in force");
  EXPECT_EQ(by_id["US-BIS-2022-10-ACSME"]["status"], "superseded");
  EXPECT_EQ(by_id["US-BIS-2023-10-ACS"]["genesis"], true);

  // As of 2023-01-01 the 2023 rule was not yet announced: only the 2022 rule is in force.
  auto [http2, early] = Call("rulesets", {{"as_of_ms", std::to_string(kMs2023Jan1)}});
  ASSERT_EQ(http2, 200);
  EXPECT_EQ(Ids(early["in_force"], "id"), std::vector<std::string>{"US-BIS-2022-10-ACSME"});
  for (const auto& r : early["history"]) EXPECT_NE(r["id"], "US-BIS-2023-10-ACS");
}

TEST_F(ExplorerApiTest, CommitmentProgress) {
  coalition::v1::ProcurementCommitment c;
  c.set_commitment_id("c-1");
  c.set_buyer("cloud-a");
  c.add_vendors("NVIDIA");
  c.mutable_amount()->set_units(1000);
  c.mutable_amount()->set_currency("USD");
  c.set_quantity(100);
  c.set_period_start_ms(domain::testing::kGenesisTimeMs);
  c.set_period_end_ms(domain::testing::kGenesisTimeMs + 365 * kDayMs);
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", c)));
  coalition::v1::DeliveryReport d;
  d.set_commitment_id("c-1");
  d.set_vendor("NVIDIA");
  d.mutable_amount()->set_units(250);
  d.mutable_amount()->set_currency("USD");
  d.set_quantity(25);
  d.set_delivered_at_ms(now_ms_);
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", d)));

  auto [http, j] = Call("commitments", {{"member", "cloud-a"}, {"status", "open"}});
  ASSERT_EQ(http, 200) << j.dump();
  ASSERT_EQ(j["commitments"].size(), 1u);
  const auto& row = j["commitments"][0];
  EXPECT_EQ(row["id"], "c-1");
  EXPECT_EQ(row["committed"], 1000);
  EXPECT_EQ(row["delivered"], 250);
  EXPECT_EQ(row["remaining"], 750);
  EXPECT_EQ(row["vendors"], json::parse(R"(["NVIDIA"])"));
  EXPECT_EQ(Call("commitments", {{"member", "cloud-b"}}).second["commitments"].size(), 0u);

  auto [bad, err] = Call("commitments", {{"status", "pending"}});
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(err["error"], "status: expected 'open' or 'closed', got 'pending'");
}

TEST_F(ExplorerApiTest, ShipmentSearchAndHistory) {
  LoadShipments();
  auto [http, j] = Call("shipments", {{"entity", "Lucky Star Trading"}}, "us-hsi");
  ASSERT_EQ(http, 200) << j.dump();
  EXPECT_EQ(Ids(j["shipments"], "shipment_id"), std::vector<std::string>{"BL-1"});
  EXPECT_EQ(j["shipments"][0]["state"], "detained");
  EXPECT_EQ(j["shipments"][0]["consignee"], "Lucky Star Trading Co.");

  EXPECT_EQ(Ids(Call("shipments", {{"serial", "SN-BL-2"}}).second["shipments"], "shipment_id"),
            std::vector<std::string>{"BL-2"});
  EXPECT_EQ(Ids(Call("shipments", {{"hs", "8473"}}).second["shipments"], "shipment_id"),
            (std::vector<std::string>{"BL-1", "BL-2"}));
  EXPECT_EQ(Ids(Call("shipments").second["shipments"], "shipment_id"),
            (std::vector<std::string>{"BL-1", "BL-2"}));

  auto [hh, h] = Call("shipment", {{"id", "BL-1"}});
  ASSERT_EQ(hh, 200) << h.dump();
  ASSERT_EQ(h["events"].size(), 2u);
  EXPECT_EQ(h["events"][0]["state"], "flagged");
  EXPECT_EQ(h["events"][0]["by"], "us-hsi");
  EXPECT_EQ(h["events"][1]["state"], "detained");
  EXPECT_EQ(h["events"][1]["by"], "sg-customs");
  EXPECT_EQ(h["events"][1]["note"], "held at Port Klang");
  EXPECT_EQ(h["events"][1]["log_index"], 2);
  EXPECT_FALSE(h["screening"].empty());

  auto [missing, m] = Call("shipment", {{"id", "BL-404"}});
  EXPECT_EQ(missing, 404);
  EXPECT_EQ(m["error"], "shipment_id: 'BL-404' is not flagged");
}

TEST_F(ExplorerApiTest, ShipmentReadsRefusedUnlessOperatorIsEnforcementOrAuthority) {
  LoadShipments();
  EXPECT_EQ(Call("shipments", {{"entity", "Lucky Star"}}, "us-bis").first, 200);
  for (const std::string member : {"cloud-a", "observer", "nobody"}) {
    auto [http, j] = Call("shipments", {{"entity", "Lucky Star"}}, member);
    EXPECT_EQ(http, 403) << member;
    EXPECT_NE(j["error"].get<std::string>().find("this node's operator '" + member +
                                                 "' may not read shipments"),
              std::string::npos)
        << j.dump();
    EXPECT_EQ(Call("shipment", {{"id", "BL-1"}}, member).first, 403);
  }
}

TEST_F(ExplorerApiTest, BadParametersAre400NamingTheParameter) {
  struct Case {
    std::string path;
    ApiParams params;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"rulesets",
       {{"as_of", "yesterday"}},
       "as_of: expected a non-negative integer (unix ms), got 'yesterday'"},
      {"rulesets", {{"as_of", "-5"}}, "as_of: expected a non-negative integer (unix ms), got '-5'"},
      {"rulesets", {{"asof", "1"}}, "unknown parameter 'asof' (this endpoint takes: as_of, id)"},
      {"rulesets", {{"as_of", "1"}, {"as_of_ms", "2"}}, "as_of: given more than once"},
      {"shipments", {{"entity", ""}}, "entity: empty"},
      {"shipments",
       {{"entity", "x"}, {"serial", "y"}},
       "give one search key, not several: entity, serial"},
      {"shipments", {{"to_ms", "5"}, {"from_ms", "9"}}, "to_ms: before from_ms"},
      {"shipments", {{"exact", "maybe"}}, "exact: expected 1, 0, true or false, got 'maybe'"},
      {"shipments", {{"entity", std::string(600, 'a')}}, "entity: longer than 512 bytes"},
      {"shipment", {}, "id: required (a shipment id)"},
      {"commitments", {{"member", "a"}, {"member", "b"}}, "member: given more than once"},
  };
  for (const auto& c : cases) {
    auto [http, j] = Call(c.path, c.params);
    EXPECT_EQ(http, 400) << c.path << " " << j.dump();
    EXPECT_EQ(j["error"], c.error) << c.path;
  }
  // A malformed page token is the domain's INVALID_ARGUMENT, naming the token.
  auto [http, j] = Call("shipments", {{"page_token", "zzz"}});
  EXPECT_EQ(http, 400);
  EXPECT_NE(j["error"].get<std::string>().find("page_token"), std::string::npos) << j.dump();

  auto [nf, e] = Call("nope");
  EXPECT_EQ(nf, 404);
  EXPECT_EQ(e["error"],
            "no such endpoint: /api/nope (status, rulesets, commitments, shipments, "
            "shipment)");
}

}  // namespace
}  // namespace coal::node

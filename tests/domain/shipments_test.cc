// Flagged shipments: flagging, the event state machine, screening, indexes and every query key,
// entity normalization and fuzzy matching, paging, time ranges and the read check.
#include "node/domain/shipments.h"

#include "node/domain/entity_names.h"
#include "node/domain/queries.h"
#include "tests/domain/domain_fixture.h"

namespace coal::domain::testing {
namespace {

using coalition::v1::FlaggedShipment;
using coalition::v1::ShipmentEvent;
using coalition::v1::ShipmentQuery;
using coalition::v1::ShipmentState;

class ShipmentTest : public DomainTest {
 protected:
  FlaggedShipment Shipment(const std::string& id, const std::string& consignee) {
    FlaggedShipment s;
    s.set_shipment_id(id);
    s.add_hs_codes("8473.30");
    auto* item = s.add_items();
    item->set_chip_model("H100 SXM5 80GB");
    item->set_quantity(8);
    item->add_serial_numbers("sn-" + id + "-1");
    item->add_serial_numbers("SN-" + id + "-2");
    item->set_declared_description("adapter modules");
    s.mutable_shipper()->set_name("Alpha-One Logistics Pte. Ltd.");
    s.mutable_shipper()->set_country("SG");
    s.mutable_consignee()->set_name(consignee);
    s.mutable_consignee()->set_country("MY");
    s.set_declared_destination("MY");
    s.set_suspected_destination("CN");
    s.add_route("SG");
    s.add_route("Port Klang");
    s.add_flag_reasons("Payment from third country");
    s.add_evidence_digests(std::string(32, 'e'));
    return s;
  }
  ShipmentEvent Event(const std::string& id, ShipmentState state) {
    ShipmentEvent e;
    e.set_shipment_id(id);
    e.set_new_state(state);
    e.set_note("update");
    return e;
  }
  coalition::v1::ShipmentResponse Query(ShipmentQuery q, const std::string& caller = "us-hsi") {
    auto r = QueryShipments(kv_, genesis_, q, caller);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : coalition::v1::ShipmentResponse();
  }
  std::vector<std::string> Ids(const coalition::v1::ShipmentResponse& r) {
    std::vector<std::string> out;
    for (const auto& s : r.shipments()) out.push_back(s.shipment().shipment_id());
    return out;
  }
};

TEST_F(ShipmentTest, FlagScreensItemsAgainstRulesInForce) {
  auto s = Shipment("BL-1", "Shenzhen Huaxin Trading Co., Ltd.");
  s.add_items()->set_chip_model("Mystery Accelerator");
  s.set_shipped_at_ms(1700179200000);  // 2023-11-17: the 2023 rule in force
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", s)));
  ShipmentQuery q;
  q.set_shipment_id("BL-1");
  auto r = Query(q);
  ASSERT_EQ(r.shipments_size(), 1);
  const auto& rec = r.shipments(0);
  EXPECT_EQ(rec.state(), coalition::v1::SHIPMENT_FLAGGED);
  EXPECT_EQ(rec.log_index(), 0u);
  EXPECT_EQ(rec.flagged_at_ms(), now_ms_);
  ASSERT_EQ(rec.screening_size(), 2);
  EXPECT_EQ(rec.screening(0).rule_set_id(), "US-BIS-2023-10-ACS");
  EXPECT_EQ(rec.screening(0).classification(), "3A090.a");
  EXPECT_TRUE(rec.screening(0).licence_required());  // suspected destination CN
  EXPECT_EQ(rec.screening(0).chip_model(), "H100 SXM5 80GB");
  EXPECT_EQ(rec.screening(1).chip_model(), "Mystery Accelerator");
  EXPECT_EQ(rec.screening(1).error(),
            "chip.model: 'Mystery Accelerator' is not in the chip catalog (data/chips.json)");
}

TEST_F(ShipmentTest, FlagRules) {
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-1", "X Ltd"))));
  EXPECT_REJECTED(Apply(Sign("sg-customs", Shipment("BL-1", "Y Ltd"))), "duplicate_shipment");
  EXPECT_REJECTED(Apply(Sign("us-bis", Shipment("BL-2", "Y Ltd"))), "role_not_allowed");
  auto bad = Shipment("BL-2", "Y Ltd");
  bad.set_hs_codes(0, "84x3");
  auto o = Apply(Sign("us-hsi", bad));
  EXPECT_REJECTED(o, "invalid_field");
  EXPECT_EQ(o.detail(), "hs_codes[0]: '84x3' is not an HS code");
  bad = Shipment("BL-2", "Y Ltd");
  bad.clear_items();
  EXPECT_EQ(Apply(Sign("us-hsi", bad)).detail(), "items: at least 1 required");
  bad = Shipment("BL-2", "Y Ltd");
  bad.set_evidence_digests(0, "short");
  EXPECT_EQ(Apply(Sign("us-hsi", bad)).detail(),
            "evidence_digests[0]: must be a 32-byte SHA-256 digest");
  bad = Shipment("BL-2", "Y Ltd");
  bad.clear_flag_reasons();
  EXPECT_EQ(Apply(Sign("us-hsi", bad)).detail(), "flag_reasons: at least 1 required");
}

TEST_F(ShipmentTest, EventsFollowTheStateMachine) {
  using namespace coalition::v1;  // NOLINT: states
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-1", "X Ltd"))));
  EXPECT_REJECTED(Apply(Sign("us-hsi", Event("BL-9", SHIPMENT_UNDER_REVIEW))), "unknown_shipment");
  EXPECT_REJECTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_CHARGED))), "invalid_transition");
  EXPECT_REJECTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_FLAGGED))), "invalid_transition");
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_UNDER_REVIEW))));
  EXPECT_REJECTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_UNDER_REVIEW))),
                  "invalid_transition");
  EXPECT_ACCEPTED(Apply(Sign("sg-customs", Event("BL-1", SHIPMENT_DETAINED))));
  EXPECT_ACCEPTED(Apply(Sign("sg-customs", Event("BL-1", SHIPMENT_STATE_UNSPECIFIED))));
  EXPECT_ACCEPTED(Apply(Sign("sg-customs", Event("BL-1", SHIPMENT_SEIZED))));
  EXPECT_REJECTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_DETAINED))), "invalid_transition");
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_REFERRED))));
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_CHARGED))));
  EXPECT_REJECTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_CLEARED))), "invalid_transition");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Event("BL-1", SHIPMENT_CLOSED))), "role_not_allowed");
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_CLOSED))));
  auto o_closed_ = Apply(Sign("us-hsi", Event("BL-1", SHIPMENT_STATE_UNSPECIFIED)));
  EXPECT_REJECTED(o_closed_, "invalid_transition");
  EXPECT_EQ(o_closed_.detail(),
            "new_state: SHIPMENT_STATE_UNSPECIFIED is not allowed after SHIPMENT_CLOSED");
  ShipmentQuery q;
  q.set_shipment_id("BL-1");
  auto r = Query(q);
  ASSERT_EQ(r.shipments_size(), 1);
  EXPECT_EQ(r.shipments(0).state(), SHIPMENT_CLOSED);
  ASSERT_EQ(r.shipments(0).events_size(), 7);  // history in commit order
  EXPECT_EQ(r.shipments(0).events(0).new_state(), SHIPMENT_UNDER_REVIEW);
  EXPECT_EQ(r.shipments(0).event_log_indexes(0), 4u);
}

TEST(ShipmentTransitions, TableMatchesTheHeader) {
  using namespace coalition::v1;  // NOLINT: states
  EXPECT_TRUE(IsAllowedTransition(SHIPMENT_FLAGGED, SHIPMENT_CLEARED));
  EXPECT_FALSE(IsAllowedTransition(SHIPMENT_FLAGGED, SHIPMENT_CHARGED));
  EXPECT_TRUE(IsAllowedTransition(SHIPMENT_DETAINED, SHIPMENT_UNDER_REVIEW));
  EXPECT_FALSE(IsAllowedTransition(SHIPMENT_UNDER_REVIEW, SHIPMENT_UNDER_REVIEW));
  EXPECT_TRUE(IsAllowedTransition(SHIPMENT_SEIZED, SHIPMENT_CLEARED));
  EXPECT_FALSE(IsAllowedTransition(SHIPMENT_REFERRED, SHIPMENT_SEIZED));
  EXPECT_FALSE(IsAllowedTransition(SHIPMENT_CLEARED, SHIPMENT_SEIZED));
  EXPECT_TRUE(IsAllowedTransition(SHIPMENT_CLEARED, SHIPMENT_STATE_UNSPECIFIED));
  EXPECT_FALSE(IsAllowedTransition(SHIPMENT_CLOSED, SHIPMENT_STATE_UNSPECIFIED));
}

TEST_F(ShipmentTest, QueriesByEveryKey) {
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-1", "Shenzhen Huaxin Trading Co., Ltd."))));
  auto other = Shipment("BL-2", "Kuala Lumpur Adapter Sdn Bhd");
  other.set_hs_codes(0, "8542.31");
  other.mutable_items(0)->set_chip_model("A100 SXM4 80GB");
  other.set_flag_reasons(0, "Residential delivery address");
  other.clear_route();
  other.add_route("TH");
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", other)));
  auto by = [&](auto set) {
    ShipmentQuery q;
    set(&q);
    return Ids(Query(q));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_entity("SHENZHEN HUAXIN TRADING LIMITED"); }),
            V{"BL-1"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_entity("alpha one logistics"); }),
            (V{"BL-1", "BL-2"}));
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_chip_model("a100-sxm4-80gb"); }), V{"BL-2"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_serial_number(" SN-BL-1-1 "); }), V{"BL-1"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_country("cn"); }), (V{"BL-1", "BL-2"}));
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_country("TH"); }), V{"BL-2"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_country("PORT KLANG"); }), V{"BL-1"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_hs_code("847330"); }), V{"BL-1"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_hs_code("8542"); }), V{"BL-2"});
  EXPECT_EQ(by([](ShipmentQuery* q) { q->set_reason("residential delivery address"); }), V{"BL-2"});
  EXPECT_EQ(by([](ShipmentQuery*) {}), (V{"BL-1", "BL-2"}));
  ShipmentQuery q;
  q.set_entity("Kuala Lumpur Adapter");
  auto r = Query(q);
  ASSERT_EQ(r.shipments_size(), 1);
  EXPECT_EQ(r.shipments(0).log_index(), 1u);
  ASSERT_EQ(r.shipments(0).matched_entities_size(), 1);
  EXPECT_EQ(r.shipments(0).matched_entities(0), "kuala lumpur adapter");
}

TEST_F(ShipmentTest, FuzzyEntityMatchFindsSpellingVariants) {
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-1", "Shenzhen Huaxin Trading Co., Ltd."))));
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-2", "Shenzen Huaxin Trading Limited"))));
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-3", "Shenzhen Huaxing Tradng Co Ltd"))));
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-4", "Shenzhen Global Trading Co Ltd"))));
  ShipmentQuery q;
  q.set_entity("Shenzhen Huaxin Trading");
  auto r = Query(q);
  // "shenzen" (1 deletion) matches; "huaxing"+"tradng" is 1 edit in each of two tokens, also a
  // match; "global" is not a spelling variant.
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"BL-1", "BL-2", "BL-3"}));
  q.set_exact_entity(true);
  EXPECT_EQ(Ids(Query(q)), std::vector<std::string>{"BL-1"});
}

TEST_F(ShipmentTest, PagingAndTimeRange) {
  for (int i = 0; i < 5; ++i) {
    now_ms_ += 1000;
    EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-" + std::to_string(i), "Same Buyer Ltd"))));
  }
  const int64_t t0 = now_ms_ - 4000;  // flag time of BL-0
  ShipmentQuery q;
  q.set_entity("same buyer");
  q.set_page_size(2);
  std::vector<std::string> all;
  for (int page = 0; page < 5; ++page) {
    auto r = Query(q);
    for (const auto& id : Ids(r)) all.push_back(id);
    if (r.next_page_token().empty()) break;
    q.set_page_token(r.next_page_token());
  }
  EXPECT_EQ(all, (std::vector<std::string>{"BL-0", "BL-1", "BL-2", "BL-3", "BL-4"}));
  ShipmentQuery t;
  t.set_from_ms(t0 + 1000);
  t.set_to_ms(t0 + 3000);
  EXPECT_EQ(Ids(Query(t)), (std::vector<std::string>{"BL-1", "BL-2", "BL-3"}));
  t.set_page_size(2);
  auto first = Query(t);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"BL-1", "BL-2"}));
  t.set_page_token(first.next_page_token());
  EXPECT_EQ(Ids(Query(t)), std::vector<std::string>{"BL-3"});
  ShipmentQuery e;
  e.set_entity("same buyer");
  e.set_from_ms(t0 + 4000);
  EXPECT_EQ(Ids(Query(e)), std::vector<std::string>{"BL-4"});
}

TEST_F(ShipmentTest, ReadAccess) {
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Shipment("BL-1", "X Ltd"))));
  ShipmentQuery q;
  q.set_shipment_id("BL-1");
  EXPECT_TRUE(QueryShipments(kv_, genesis_, q, "us-bis").ok());  // authority
  EXPECT_EQ(QueryShipments(kv_, genesis_, q, "cloud-a").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(QueryShipments(kv_, genesis_, q, "observer").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(QueryShipments(kv_, genesis_, q, "stranger").status().code(),
            absl::StatusCode::kUnauthenticated);
  q.set_shipment_id("BL-404");
  EXPECT_EQ(QueryShipments(kv_, genesis_, q, "us-hsi").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(EntityNames, Normalization) {
  EXPECT_EQ(NormalizeEntityName("Shenzhen Huaxin Trading Co., Ltd."), "shenzhen huaxin trading");
  EXPECT_EQ(NormalizeEntityName("ALPHA-ONE Logistics Pte. Ltd"), "alpha one logistics");
  EXPECT_EQ(NormalizeEntityName("Kuala Lumpur Adapter Sdn. Bhd."), "kuala lumpur adapter");
  EXPECT_EQ(NormalizeEntityName("Acme Holdings LLC"), "acme holdings");
  EXPECT_EQ(NormalizeEntityName("Bright Star (HK) Limited"), "bright star");
  EXPECT_EQ(NormalizeEntityName("Limited"), "limited");  // never empties a name
  EXPECT_EQ(NormalizeEntityName("  ...  "), "");
}

TEST(EntityNames, FuzzyMatchIsBounded) {
  EXPECT_TRUE(FuzzyNameMatch("shenzhen huaxin", "shenzen huaxin"));
  EXPECT_FALSE(FuzzyNameMatch("huaxin trading", "huaxin tradnig"));  // transposition: 2 edits
  EXPECT_FALSE(FuzzyNameMatch("acme", "acme trading"));              // token counts differ
  EXPECT_FALSE(FuzzyNameMatch("abc", "abd"));                        // short tokens must be equal
  EXPECT_EQ(BoundedEditDistance("kitten", "sitting", 5), 3);
  EXPECT_EQ(BoundedEditDistance("kitten", "sitting", 1), 2);  // capped at max + 1
  EXPECT_EQ(DeletionVariants("abcd").size(), 5u);
  // "ab cdef": the name, then "ab" is too short to vary, "cdef" yields 4 one-deletion variants.
  EXPECT_EQ(NameVariants("ab cdef"),
            (std::vector<std::string>{"ab cdef", "ab def", "ab cef", "ab cdf", "ab cde"}));
}

}  // namespace
}  // namespace coal::domain::testing

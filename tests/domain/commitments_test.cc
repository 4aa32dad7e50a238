// Procurement commitments through the executor, every rule with its exact reason, and the
// commitment queries with aggregates and paging.
#include "node/domain/commitments.h"

#include "node/domain/queries.h"
#include "tests/domain/domain_fixture.h"

namespace coal::domain::testing {
namespace {

using coalition::v1::CommitmentAmendment;
using coalition::v1::CommitmentClose;
using coalition::v1::DeliveryReport;
using coalition::v1::ProcurementCommitment;

class CommitmentTest : public DomainTest {
 protected:
  ProcurementCommitment Commitment(const std::string& id, const std::string& buyer,
                                   int64_t units = 1000, const std::string& currency = "USD") {
    ProcurementCommitment c;
    c.set_commitment_id(id);
    c.set_buyer(buyer);
    c.add_vendors("NVIDIA");
    c.add_vendors("AMD");
    c.mutable_amount()->set_units(units);
    c.mutable_amount()->set_currency(currency);
    c.set_chip_category("3A090.a datacenter accelerators");
    c.set_quantity(100);
    c.set_period_start_ms(period_start_);
    c.set_period_end_ms(period_start_ + 365 * kDayMs);
    c.add_security_standards("aligned-tech-security-2025");
    return c;
  }
  DeliveryReport Delivery(const std::string& id, int64_t units, uint64_t quantity,
                          const std::string& vendor = "NVIDIA") {
    DeliveryReport d;
    d.set_commitment_id(id);
    d.set_vendor(vendor);
    d.mutable_amount()->set_units(units);
    d.mutable_amount()->set_currency("USD");
    d.set_quantity(quantity);
    d.set_delivered_at_ms(now_ms_);
    return d;
  }
  coalition::v1::CommitmentResponse Query(coalition::v1::CommitmentQuery q) {
    auto r = QueryCommitments(kv_, q);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }
  const int64_t period_start_ = kGenesisTimeMs;
};

TEST_F(CommitmentTest, CreateDeliverAmendClose) {
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Commitment("c-1", "cloud-a"))));
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Delivery("c-1", 400, 40))));
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Delivery("c-1", 100, 10, "AMD"))));
  coalition::v1::CommitmentQuery q;
  q.set_commitment_id("c-1");
  auto r = Query(q);
  ASSERT_EQ(r.commitments_size(), 1);
  EXPECT_EQ(r.commitments(0).delivered().units(), 500);
  EXPECT_EQ(r.commitments(0).delivered_quantity(), 50u);
  EXPECT_EQ(r.commitments(0).remaining().units(), 500);
  EXPECT_EQ(r.commitments(0).status(), "open");
  EXPECT_EQ(r.commitments(0).log_index(), 0u);
  EXPECT_EQ(r.commitments(0).event_log_indexes_size(), 2);
  CommitmentAmendment a;
  a.set_commitment_id("c-1");
  a.mutable_amount()->set_units(2000);
  a.mutable_amount()->set_currency("USD");
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", a)));
  CommitmentClose c;
  c.set_commitment_id("c-1");
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", c)));
  r = Query(q);
  EXPECT_EQ(r.commitments(0).remaining().units(), 1500);
  EXPECT_EQ(r.commitments(0).status(), "closed");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Delivery("c-1", 1, 1))), "commitment_closed");
}

TEST_F(CommitmentTest, CreationRules) {
  EXPECT_REJECTED(Apply(Sign("us-hsi", Commitment("c-1", "us-hsi"))), "role_not_allowed");
  EXPECT_REJECTED(Apply(Sign("observer", Commitment("c-1", "observer"))), "role_not_allowed");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Commitment("c-1", "us-hsi"))), "buyer_not_allowed");
  EXPECT_ACCEPTED(Apply(Sign("eu-dgtrade", Commitment("c-1", "eu-dgtrade"))));  // authority
  EXPECT_REJECTED(Apply(Sign("cloud-a", Commitment("c-1", "cloud-a"))), "duplicate_commitment");
  auto bad = Commitment("c-2", "cloud-a", 10, "usd");
  auto o = Apply(Sign("cloud-a", bad));
  EXPECT_REJECTED(o, "invalid_field");
  EXPECT_EQ(o.detail(), "amount.currency: 'usd' is not an ISO 4217 code");
  bad = Commitment("c-2", "cloud-a");
  bad.set_period_end_ms(bad.period_start_ms());
  o = Apply(Sign("cloud-a", bad));
  EXPECT_EQ(o.detail(), "period_end_ms: must be after period_start_ms");
  bad = Commitment("c-2", "cloud-a");
  bad.clear_vendors();
  EXPECT_EQ(Apply(Sign("cloud-a", bad)).detail(), "vendors: at least 1 required");
}

TEST_F(CommitmentTest, DeliveryRules) {
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Commitment("c-1", "cloud-a"))));
  EXPECT_REJECTED(Apply(Sign("cloud-a", Delivery("c-9", 1, 1))), "unknown_commitment");
  EXPECT_REJECTED(Apply(Sign("cloud-b", Delivery("c-1", 1, 1))), "not_commitment_owner");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Delivery("c-1", 1, 1, "Intel"))), "unknown_vendor");
  auto eur = Delivery("c-1", 1, 1);
  eur.mutable_amount()->set_currency("EUR");
  EXPECT_REJECTED(Apply(Sign("cloud-a", eur)), "currency_mismatch");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Delivery("c-1", 1001, 1))), "delivery_exceeds_amount");
  EXPECT_REJECTED(Apply(Sign("cloud-a", Delivery("c-1", 1, 101))), "delivery_exceeds_quantity");
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Delivery("c-1", 1000, 100))));  // exactly the total
  EXPECT_REJECTED(Apply(Sign("cloud-a", Delivery("c-1", 1, 0))), "delivery_exceeds_amount");
}

TEST_F(CommitmentTest, DeliveryDates) {
  auto c = Commitment("c-1", "cloud-a");
  c.set_period_start_ms(now_ms_ - 10 * kDayMs);
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", c)));  // created_at = now_ms_
  auto early = Delivery("c-1", 1, 1);
  early.set_delivered_at_ms(now_ms_ - 11 * kDayMs);
  EXPECT_REJECTED(Apply(Sign("cloud-a", early)), "delivery_before_period");
  early.set_delivered_at_ms(now_ms_ - 1);
  EXPECT_REJECTED(Apply(Sign("cloud-a", early)), "delivery_before_commitment");
  auto future = Delivery("c-1", 1, 1);
  future.set_delivered_at_ms(now_ms_ + 300001);
  EXPECT_REJECTED(Apply(Sign("cloud-a", future)), "delivery_in_future");
}

TEST_F(CommitmentTest, AmendmentRules) {
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Commitment("c-1", "cloud-a"))));
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Delivery("c-1", 600, 60))));
  CommitmentAmendment a;
  a.set_commitment_id("c-1");
  a.mutable_amount()->set_units(500);
  a.mutable_amount()->set_currency("USD");
  EXPECT_REJECTED(Apply(Sign("cloud-a", a)), "amendment_below_delivered");
  a.mutable_amount()->set_currency("EUR");
  a.mutable_amount()->set_units(5000);
  EXPECT_REJECTED(Apply(Sign("cloud-a", a)), "currency_mismatch");
  CommitmentAmendment q;
  q.set_commitment_id("c-1");
  q.set_quantity(59);
  EXPECT_REJECTED(Apply(Sign("cloud-a", q)), "amendment_below_delivered");
  CommitmentAmendment p;
  p.set_commitment_id("c-1");
  p.set_period_end_ms(period_start_);
  EXPECT_REJECTED(Apply(Sign("cloud-a", p)), "invalid_period");
  EXPECT_REJECTED(Apply(Sign("cloud-b", q)), "not_commitment_owner");
  CommitmentAmendment empty;
  empty.set_commitment_id("c-1");
  EXPECT_REJECTED(Apply(Sign("cloud-a", empty)), "invalid_field");
  CommitmentClose close;
  close.set_commitment_id("c-1");
  EXPECT_REJECTED(Apply(Sign("cloud-b", close)), "not_commitment_owner");
}

TEST_F(CommitmentTest, QueriesAndAggregatesPerCurrency) {
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Commitment("a-usd", "cloud-a", 1000))));
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Commitment("a-eur", "cloud-a", 40, "EUR"))));
  auto single = Commitment("b-usd", "cloud-b", 300);
  single.clear_vendors();
  single.add_vendors("NVIDIA");
  EXPECT_ACCEPTED(Apply(Sign("cloud-b", single)));
  EXPECT_ACCEPTED(Apply(Sign("cloud-a", Delivery("a-usd", 250, 10))));
  CommitmentClose close;
  close.set_commitment_id("b-usd");
  EXPECT_ACCEPTED(Apply(Sign("cloud-b", close)));

  coalition::v1::CommitmentQuery q;
  q.set_member("cloud-a");
  auto r = Query(q);
  ASSERT_EQ(r.commitments_size(), 2);
  EXPECT_EQ(r.commitments(0).commitment().commitment_id(), "a-usd");  // commit order
  ASSERT_EQ(r.by_member_size(), 2);                                   // EUR and USD rows
  EXPECT_EQ(r.by_member(0).currency(), "EUR");
  EXPECT_EQ(r.by_member(1).committed(), 1000);
  EXPECT_EQ(r.by_member(1).delivered(), 250);
  EXPECT_EQ(r.by_member(1).remaining(), 750);

  q.Clear();
  q.set_vendor("NVIDIA");
  r = Query(q);
  EXPECT_EQ(r.commitments_size(), 3);
  ASSERT_EQ(r.by_vendor_size(), 3);  // AMD+NVIDIA in EUR, in USD; NVIDIA in USD
  EXPECT_EQ(r.by_vendor(2).key(), "NVIDIA");
  EXPECT_EQ(r.by_vendor(2).committed(), 300);

  q.Clear();
  q.set_status("closed");
  r = Query(q);
  ASSERT_EQ(r.commitments_size(), 1);
  EXPECT_EQ(r.commitments(0).commitment().commitment_id(), "b-usd");

  q.Clear();
  q.set_period_from_ms(period_start_ + 400 * kDayMs);  // after every period
  EXPECT_EQ(Query(q).commitments_size(), 0);

  q.Clear();
  q.set_page_size(2);
  r = Query(q);
  ASSERT_EQ(r.commitments_size(), 2);
  ASSERT_FALSE(r.next_page_token().empty());
  q.set_page_token(r.next_page_token());
  r = Query(q);
  ASSERT_EQ(r.commitments_size(), 1);
  EXPECT_EQ(r.commitments(0).commitment().commitment_id(), "b-usd");
  EXPECT_TRUE(r.next_page_token().empty());

  q.Clear();
  q.set_commitment_id("nope");
  EXPECT_EQ(QueryCommitments(kv_, q).status().code(), absl::StatusCode::kNotFound);
  q.Clear();
  q.set_page_token("garbage");
  EXPECT_EQ(QueryCommitments(kv_, q).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coal::domain::testing

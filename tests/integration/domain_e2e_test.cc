// The compliance domain end to end on a 4-node devnet, through the client gRPC API only:
// a threshold update adopted by the authorities with notice changes evaluation exactly at its
// effective time; every answer asked for with proofs verifies against the genesis alone (and a
// tampered one does not); a cloud provider's commitment and deliveries aggregate; an enforcement
// agency flags shipments and finds them by a misspelt entity name; a cloud provider is refused.
#include <algorithm>
#include <chrono>
#include <string>

#include "coalition/v1/domain.pb.h"
#include "crypto/sha256.h"
#include "node/domain/rule_loader.h"
#include "node/genesis.h"
#include "tests/integration/devnet_fixture.h"
#include "tools/coalctl/verifier.h"

namespace coal::testing {
namespace {

using namespace std::chrono_literals;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DomainE2ETest : public DevnetTest {
 protected:
  void SetUp() override {
    StartDevnet();
    compliance_ = coalition::v1::ComplianceService::NewStub(tools::Connect(nodes_[1].client_addr));
  }

  template <typename T>
  coalition::v1::Envelope Sign(const std::string& member, T payload, const std::string& type) {
    auto* h = payload.mutable_header();
    h->set_author(member);
    h->set_created_at_ms(NowMs());
    h->set_nonce("e2e-nonce-" + std::to_string(nonce_++));
    h->set_chain_id(chain_id_);
    return crypto::MakeEnvelope(*MemberKey(member), "coalition.v1." + type,
                                payload.SerializeAsString());
  }

  // Submits and waits for commit; returns the outcome.
  coalition::v1::Outcome Commit(const coalition::v1::Envelope& env, int node = 0) {
    coalition::v1::SubmitResponse resp;
    auto st = Submit(node, env, true, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    last_digest_ = resp.digest();
    log_size_ = std::max(log_size_, resp.log_index() + 1);
    return resp.outcome();
  }

  // Reads go to node 1, which may apply a block after the node that acknowledged it: wait until
  // it holds everything committed so far.
  void AwaitReader() {
    ASSERT_TRUE(WaitFor([&] { return Status(1).ok() && Status(1)->tree_size() >= log_size_; }, 20s))
        << NodeLog(1);
  }

  // A signed read request for `q` by `member` (the server's ReadAuth rules).
  void Authorize(const std::string& member, coalition::v1::ShipmentQuery* q) {
    q->clear_auth();
    const auto digest = coal::Sha256(q->SerializeAsString());
    coalition::v1::ReadAuth ra;
    ra.set_method("/coalition.v1.ComplianceService/Shipments");
    ra.set_request_digest(std::string(digest.begin(), digest.end()));
    *q->mutable_auth() = Sign(member, ra, "ReadAuth");
  }

  grpc::Status Shipments(const coalition::v1::ShipmentQuery& q,
                         coalition::v1::ShipmentResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    return compliance_->Shipments(&ctx, q, resp);
  }

  coalition::v1::Evaluation Evaluate(int64_t as_of_ms) {
    coalition::v1::EvaluateRequest req;
    req.set_rule_set_id("US-BIS-2023-10-ACS");
    req.set_as_of_ms(as_of_ms);
    req.set_destination("CN");
    auto* chip = req.mutable_chip();
    chip->set_tpp(2000);
    chip->set_die_area_mm2(2000);  // performance density 1.0: below every density branch
    chip->set_datacenter(true);
    coalition::v1::EvaluateResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    auto st = compliance_->Evaluate(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.evaluations_size(), 1);
    return resp.evaluations_size() > 0 ? resp.evaluations(0) : coalition::v1::Evaluation();
  }

  // Proofs hang on the latest quorum checkpoint: wait until the reader's covers everything.
  void AwaitCheckpoint() {
    ASSERT_TRUE(
        WaitFor([&] { return Status(1).ok() && Status(1)->checkpoint_size() >= log_size_; }, 20s))
        << NodeLog(1);
  }

  // Checks every proof in a compliance answer the way `coalctl verify` does, trusting only the
  // genesis file; returns the log indexes proven, in answer order.
  absl::StatusOr<std::vector<uint64_t>> VerifyProofs(const google::protobuf::Message& answer) {
    auto genesis = node::LoadGenesisFile(dir_ + "/genesis.toml");
    if (!genesis.ok()) return genesis.status();
    auto anchor = tools::TrustAnchorFromGenesis(*genesis);
    if (!anchor.ok()) return anchor.status();
    auto bundle = tools::AnswerFromProofs(answer);
    if (!bundle.ok()) return bundle.status();
    tools::VerifierState state;
    auto report = tools::VerifyAnswer(*anchor, *bundle, &state);
    if (!report.ok()) return report.status();
    return report->inclusions;
  }

  std::unique_ptr<coalition::v1::ComplianceService::Stub> compliance_;
  std::string last_digest_;
  uint64_t log_size_ = 0;
};

TEST_F(DomainE2ETest, ThresholdUpdateTakesEffectExactlyAtEffectiveTime) {
  // Version 2 of the October 2023 rule lowers the a.1 TPP threshold from 4800 to 1000.
  auto loaded = domain::LoadEmbeddedRuleSets();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  coalition::v1::ThresholdProposal p;
  *p.mutable_rule_set() = loaded->rule_sets[1];
  ASSERT_EQ(p.rule_set().id(), "US-BIS-2023-10-ACS");
  auto* leaf = p.mutable_rule_set()
                   ->mutable_entries(0)
                   ->mutable_condition()
                   ->mutable_any()
                   ->mutable_items(0)
                   ->mutable_leaf();
  ASSERT_EQ(leaf->param(), "tpp");
  ASSERT_EQ(leaf->number(), 4800);
  leaf->set_number(1000);
  p.mutable_rule_set()->set_version(2);
  // The devnet's minimum notice is 60 s; five minutes leaves room for slow CI.
  const int64_t effective = NowMs() + 5 * 60 * 1000;
  p.mutable_rule_set()->set_effective_at_ms(effective);
  p.set_rationale("e2e: tighten a.1");

  // Too little notice is refused with the reason in the log.
  auto hasty = p;
  hasty.mutable_rule_set()->set_effective_at_ms(NowMs() + 1000);
  auto o = Commit(Sign("us-bis", hasty, "ThresholdProposal"));
  EXPECT_FALSE(o.accepted());
  const std::string hasty_digest = last_digest_;
  coalition::v1::ThresholdApproval early;
  early.set_proposal_digest(hasty_digest);
  o = Commit(Sign("eu-dg-trade", early, "ThresholdApproval"));
  EXPECT_FALSE(o.accepted()) << "approval of a proposal that was never accepted";

  o = Commit(Sign("us-bis", p, "ThresholdProposal"));
  ASSERT_TRUE(o.accepted()) << o.reason() << ": " << o.detail();
  const std::string proposal = last_digest_;
  // A cloud provider cannot approve; the second authority adopts (devnet quorum: 2 of 3).
  coalition::v1::ThresholdApproval a;
  a.set_proposal_digest(proposal);
  coalition::v1::SubmitResponse resp;
  auto st = Submit(2, Sign("cloud-a", a, "ThresholdApproval"), false, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  o = Commit(Sign("eu-dg-trade", a, "ThresholdApproval"), 2);
  ASSERT_TRUE(o.accepted()) << o.reason() << ": " << o.detail();
  // The third authority's approval comes after adoption: recorded, rejected with a reason.
  o = Commit(Sign("jp-meti", a, "ThresholdApproval"), 3);
  EXPECT_FALSE(o.accepted());
  EXPECT_FALSE(o.reason().empty());

  AwaitReader();
  coalition::v1::RuleSetRequest rq;
  rq.set_rule_set_id("US-BIS-2023-10-ACS");
  coalition::v1::RuleSetResponse rs;
  grpc::ClientContext ctx;
  ASSERT_TRUE(compliance_->RuleSets(&ctx, rq, &rs).ok());
  ASSERT_EQ(rs.pending_size(), 1);
  EXPECT_EQ(rs.pending(0).rule_set().version(), 2u);
  EXPECT_EQ(rs.pending(0).approvers_size(), 2);
  ASSERT_EQ(rs.in_force_size(), 1);
  EXPECT_EQ(rs.in_force(0).rule_set().version(), 1u);

  const auto before = Evaluate(effective - 1);
  EXPECT_EQ(before.version(), 1u);
  EXPECT_EQ(before.classification(), "none");
  EXPECT_FALSE(before.licence_required());
  const auto at = Evaluate(effective);
  EXPECT_EQ(at.version(), 2u);
  EXPECT_EQ(at.classification(), "3A090.a");
  EXPECT_EQ(at.branch(), "a.1");
  EXPECT_TRUE(at.licence_required());

  // With proofs: the rule-set answer proves the proposal and the adopting approval, and so does
  // the evaluation that applied version 2; genesis version 1 is proven by the genesis file.
  AwaitCheckpoint();
  rq.set_with_proof(true);
  grpc::ClientContext pctx;
  ASSERT_TRUE(compliance_->RuleSets(&pctx, rq, &rs).ok());
  ASSERT_EQ(rs.pending_size(), 1);
  const auto& v2 = rs.pending(0);
  ASSERT_EQ(v2.proofs_size(), 2);
  EXPECT_EQ(v2.proofs(0).index(), v2.log_index());
  EXPECT_EQ(v2.proofs(1).index(), v2.adopted_log_index());
  EXPECT_EQ(rs.in_force(0).proofs_size(), 0);  // installed at genesis
  auto proven = VerifyProofs(rs);
  ASSERT_TRUE(proven.ok()) << proven.status();
  EXPECT_GE(proven->size(), 2u);
  coalition::v1::EvaluateRequest ereq;
  ereq.set_rule_set_id("US-BIS-2023-10-ACS");
  ereq.set_as_of_ms(effective);
  ereq.mutable_chip()->set_tpp(2000);
  ereq.mutable_chip()->set_die_area_mm2(2000);
  ereq.mutable_chip()->set_datacenter(true);
  ereq.set_destination("CN");
  ereq.set_with_proof(true);
  coalition::v1::EvaluateResponse eresp;
  grpc::ClientContext ectx;
  auto est = compliance_->Evaluate(&ectx, ereq, &eresp);
  ASSERT_TRUE(est.ok()) << est.error_message();
  ASSERT_EQ(eresp.evaluations_size(), 1);
  proven = VerifyProofs(eresp);
  ASSERT_TRUE(proven.ok()) << proven.status();
  EXPECT_EQ(*proven, (std::vector<uint64_t>{v2.log_index(), v2.adopted_log_index()}));

  // Tampered: another leaf, a proof hash, a cosignature. Each fails, naming what failed.
  auto bad_leaf = eresp;
  bad_leaf.mutable_evaluations(0)->mutable_proofs(1)->set_leaf(
      eresp.evaluations(0).proofs(0).leaf());
  auto st1 = VerifyProofs(bad_leaf);
  EXPECT_NE(st1.status().message().find("inclusion of index " +
                                        std::to_string(v2.adopted_log_index()) + " at size"),
            std::string::npos)
      << st1.status();
  auto bad_hash = eresp;
  std::string* h = bad_hash.mutable_evaluations(0)->mutable_proofs(0)->mutable_hashes(0);
  (*h)[0] = static_cast<char>((*h)[0] ^ 1);
  auto st2 = VerifyProofs(bad_hash);
  EXPECT_NE(st2.status().message().find("inclusion of index " + std::to_string(v2.log_index()) +
                                        " at size"),
            std::string::npos)
      << st2.status();
  auto bad_note = eresp;
  for (auto& pr : *bad_note.mutable_evaluations(0)->mutable_proofs()) {
    std::string* note = pr.mutable_checkpoint()->mutable_note();
    (*note)[note->size() - 3] = (*note)[note->size() - 3] == 'A' ? 'B' : 'A';
  }
  auto st3 = VerifyProofs(bad_note);
  EXPECT_EQ(st3.status().code(), absl::StatusCode::kUnauthenticated) << st3.status();
}

TEST_F(DomainE2ETest, CommitmentAndDeliveriesAggregate) {
  coalition::v1::ProcurementCommitment c;
  c.set_commitment_id("C-E2E-1");
  c.set_buyer("cloud-a");
  c.add_vendors("nvidia");
  c.mutable_amount()->set_units(1000000);
  c.mutable_amount()->set_currency("USD");
  c.set_chip_category("3A090.a datacenter accelerators");
  c.set_quantity(100);
  c.set_period_start_ms(NowMs() - 86400000);
  c.set_period_end_ms(NowMs() + 365LL * 86400000);
  auto o = Commit(Sign("cloud-a", c, "ProcurementCommitment"));
  ASSERT_TRUE(o.accepted()) << o.reason() << ": " << o.detail();
  for (auto [units, qty] : {std::pair<int64_t, uint64_t>{300000, 30}, {200000, 20}}) {
    coalition::v1::DeliveryReport d;
    d.set_commitment_id("C-E2E-1");
    d.set_vendor("nvidia");
    d.mutable_amount()->set_units(units);
    d.mutable_amount()->set_currency("USD");
    d.set_quantity(qty);
    d.set_delivered_at_ms(NowMs());
    o = Commit(Sign("cloud-a", d, "DeliveryReport"), 1);
    ASSERT_TRUE(o.accepted()) << o.reason() << ": " << o.detail();
  }
  // More than what is left is refused.
  coalition::v1::DeliveryReport over;
  over.set_commitment_id("C-E2E-1");
  over.set_vendor("nvidia");
  over.mutable_amount()->set_units(600000);
  over.mutable_amount()->set_currency("USD");
  over.set_quantity(10);
  over.set_delivered_at_ms(NowMs());
  o = Commit(Sign("cloud-a", over, "DeliveryReport"));
  EXPECT_FALSE(o.accepted());

  AwaitReader();
  coalition::v1::CommitmentQuery q;
  q.set_member("cloud-a");
  coalition::v1::CommitmentResponse r;
  grpc::ClientContext ctx;
  auto st = compliance_->Commitments(&ctx, q, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(r.commitments_size(), 1);
  EXPECT_EQ(r.commitments(0).delivered().units(), 500000);
  EXPECT_EQ(r.commitments(0).delivered_quantity(), 50u);
  EXPECT_EQ(r.commitments(0).remaining().units(), 500000);
  EXPECT_EQ(r.commitments(0).status(), "open");
  ASSERT_EQ(r.by_member_size(), 1);
  EXPECT_EQ(r.by_member(0).key(), "cloud-a");
  EXPECT_EQ(r.by_member(0).currency(), "USD");
  EXPECT_EQ(r.by_member(0).committed(), 1000000);
  EXPECT_EQ(r.by_member(0).delivered(), 500000);
  EXPECT_EQ(r.by_member(0).remaining(), 500000);

  // With proofs: the commitment entry and its two accepted deliveries (the refused one is in the
  // log too, but not part of this commitment's history).
  AwaitCheckpoint();
  q.set_with_proof(true);
  grpc::ClientContext pctx;
  ASSERT_TRUE(compliance_->Commitments(&pctx, q, &r).ok());
  ASSERT_EQ(r.commitments_size(), 1);
  std::vector<uint64_t> want{r.commitments(0).log_index()};
  for (uint64_t i : r.commitments(0).event_log_indexes()) want.push_back(i);
  EXPECT_EQ(want.size(), 3u);
  auto proven = VerifyProofs(r);
  ASSERT_TRUE(proven.ok()) << proven.status();
  EXPECT_EQ(*proven, want);
}

TEST_F(DomainE2ETest, EnforcementFindsShipmentsByMisspeltEntityAndCloudIsRefused) {
  auto flag = [&](const std::string& id, const std::string& consignee) {
    coalition::v1::FlaggedShipment s;
    s.set_shipment_id(id);
    s.add_hs_codes("8473.30");
    auto* item = s.add_items();
    item->set_chip_model("H100 SXM5 80GB");
    item->set_quantity(8);
    item->add_serial_numbers("SN-" + id);
    s.mutable_shipper()->set_name("Alpha-One Logistics Pte. Ltd.");
    s.mutable_shipper()->set_country("SG");
    s.mutable_consignee()->set_name(consignee);
    s.mutable_consignee()->set_country("MY");
    s.set_declared_destination("MY");
    s.set_suspected_destination("CN");
    s.add_route("SG");
    s.add_flag_reasons("Payment from third country");
    s.set_shipped_at_ms(NowMs() - 86400000);
    auto o = Commit(Sign("enforce-a", s, "FlaggedShipment"));
    EXPECT_TRUE(o.accepted()) << o.reason() << ": " << o.detail();
  };
  flag("BL-E2E-1", "Megaspeed International Pte. Ltd.");
  flag("BL-E2E-2", "Bright Harbor Trading LLC");
  flag("BL-E2E-3", "MEGASPEED INTERNATIONAL LIMITED");

  AwaitReader();
  coalition::v1::ShipmentQuery q;
  q.set_entity("Megaspead Internatonal");  // one mistake in each word
  Authorize("enforce-a", &q);
  coalition::v1::ShipmentResponse r;
  auto st = Shipments(q, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(r.shipments_size(), 2) << r.DebugString();
  EXPECT_EQ(r.shipments(0).shipment().shipment_id(), "BL-E2E-1");
  EXPECT_EQ(r.shipments(1).shipment().shipment_id(), "BL-E2E-3");
  EXPECT_LT(r.shipments(0).log_index(), r.shipments(1).log_index());
  // Screening ran against the rules in force: the H100 is 3A090.a.
  ASSERT_GT(r.shipments(0).screening_size(), 0);
  bool classified = false;
  for (const auto& e : r.shipments(0).screening()) classified |= e.classification() == "3A090.a";
  EXPECT_TRUE(classified);

  // An authority may read too.
  coalition::v1::ShipmentQuery by_serial;
  by_serial.set_serial_number("SN-BL-E2E-2");
  Authorize("jp-meti", &by_serial);
  ASSERT_TRUE(Shipments(by_serial, &r).ok());
  ASSERT_EQ(r.shipments_size(), 1);
  EXPECT_EQ(r.shipments(0).shipment().consignee().name(), "Bright Harbor Trading LLC");

  // With proofs: the flag entry of each shipment found.
  AwaitCheckpoint();
  by_serial.set_with_proof(true);
  Authorize("jp-meti", &by_serial);
  ASSERT_TRUE(Shipments(by_serial, &r).ok());
  ASSERT_EQ(r.shipments_size(), 1);
  auto proven = VerifyProofs(r);
  ASSERT_TRUE(proven.ok()) << proven.status();
  EXPECT_EQ(*proven, std::vector<uint64_t>{r.shipments(0).log_index()});

  // A cloud provider is refused; no signature, or a signature over another query, is refused.
  Authorize("cloud-a", &q);
  st = Shipments(q, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  coalition::v1::ShipmentQuery anonymous;
  anonymous.set_entity("Megaspeed");
  st = Shipments(anonymous, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(st.error_message().find("auth"), std::string::npos) << st.error_message();
  coalition::v1::ShipmentQuery swapped;
  swapped.set_entity("Bright Harbor");
  Authorize("enforce-a", &swapped);
  swapped.set_entity("Megaspeed");  // the signature covered another query
  st = Shipments(swapped, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(st.error_message().find("auth.request_digest"), std::string::npos)
      << st.error_message();
}

}  // namespace
}  // namespace coal::testing

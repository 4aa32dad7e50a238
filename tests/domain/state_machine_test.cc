// The executor contract: envelope checks with exact reasons, time window, nonce replay, in-block
// overlay, FinishBlock/AbortBlock, storage errors, Bootstrap.
#include "node/domain/state_machine.h"

#include "node/domain/reasons.h"
#include "node/domain/rule_sets.h"
#include "tests/domain/domain_fixture.h"

namespace coal::domain::testing {
namespace {

using coalition::v1::Attestation;
using coalition::v1::Envelope;

Attestation Note(const std::string& subject) {
  Attestation a;
  a.set_subject(subject);
  return a;
}

TEST_F(DomainTest, AcceptsSignedAttestationFromAnyRole) {
  EXPECT_ACCEPTED(Apply(Sign("observer", Note("x"))));
  EXPECT_ACCEPTED(Apply(Sign("us-hsi", Note("y"))));
}

TEST_F(DomainTest, RejectsUnknownPayloadType) {
  Envelope env = Sign("us-bis", Note("x"));
  env.set_payload_type("coalition.v1.Nope");
  EXPECT_REJECTED(Apply(env), "unknown_payload_type");
}

TEST_F(DomainTest, RejectsUndecodablePayload) {
  Envelope env = crypto::MakeEnvelope(*signers_.at("us-bis"), "coalition.v1.Attestation",
                                      std::string("\xff\xff\xff", 3));
  auto o = Apply(env);
  EXPECT_REJECTED(o, "malformed_payload");
  EXPECT_EQ(o.detail(), "payload: does not decode as coalition.v1.Attestation");
}

TEST_F(DomainTest, RejectsMissingHeader) {
  Envelope env = crypto::MakeEnvelope(*signers_.at("us-bis"), "coalition.v1.Attestation",
                                      Note("x").SerializeAsString());
  auto o = Apply(env);
  EXPECT_REJECTED(o, "malformed_payload");
  EXPECT_EQ(o.detail(), "header: missing");
}

TEST_F(DomainTest, RejectsWrongChain) {
  Attestation a = Note("x");
  a.mutable_header()->set_chain_id("other-chain");
  EXPECT_REJECTED(Apply(Sign("us-bis", a)), "wrong_chain");
}

TEST_F(DomainTest, RejectsShortNonce) {
  Attestation a = Note("x");
  a.mutable_header()->set_nonce("1234567");
  auto o = Apply(Sign("us-bis", a));
  EXPECT_REJECTED(o, "invalid_header");
  EXPECT_EQ(o.detail(), "header.nonce: must be 8..32 bytes, got 7");
}

TEST_F(DomainTest, RejectsUnknownMemberAsUnauthenticated) {
  Attestation a = Note("x");
  a.mutable_header()->set_author("mallory");
  Envelope env = Sign("us-bis", a);
  EXPECT_REJECTED(Apply(env), "unknown_member");
  EntryChecker checker(genesis_, kChainId);
  EXPECT_EQ(checker.Check(env).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(DomainTest, RejectsSignatureByAnotherMember) {
  Envelope env = Sign("us-bis", Note("x"), /*signer=*/"eu-dgtrade");
  EXPECT_REJECTED(Apply(env), "bad_signature");
  EntryChecker checker(genesis_, kChainId);
  EXPECT_EQ(checker.Check(env).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(DomainTest, RejectsTamperedPayload) {
  Envelope env = Sign("us-bis", Note("x"));
  Attestation a;
  ASSERT_TRUE(a.ParseFromString(env.payload()));
  a.set_subject("y");
  env.set_payload(a.SerializeAsString());
  EXPECT_REJECTED(Apply(env), "bad_signature");
}

TEST_F(DomainTest, RejectsUnsignedEnvelope) {
  Envelope env = Sign("us-bis", Note("x"));
  env.clear_signatures();
  EXPECT_REJECTED(Apply(env), "bad_signature");
}

TEST_F(DomainTest, RejectsRoleNotAllowedAsPermissionDenied) {
  coalition::v1::FlaggedShipment s;
  s.set_shipment_id("BL-1");
  Envelope env = Sign("cloud-a", s);
  auto o = Apply(env);
  EXPECT_REJECTED(o, "role_not_allowed");
  EXPECT_EQ(
      o.detail(),
      "header.author: member 'cloud-a' has no role that may write coalition.v1.FlaggedShipment");
  EntryChecker checker(genesis_, kChainId);
  EXPECT_EQ(checker.Check(env).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(DomainTest, SchemaErrorNamesTheField) {
  coalition::v1::ThresholdApproval a;
  a.set_proposal_digest("short");
  Envelope env = Sign("us-bis", a);
  auto o = Apply(env);
  EXPECT_REJECTED(o, "invalid_field");
  EXPECT_EQ(o.detail(), "proposal_digest: must be the 32-byte digest of a proposal entry");
  EntryChecker checker(genesis_, kChainId);
  EXPECT_EQ(checker.Check(env).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DomainTest, RejectsRepeatedNonceAcrossBlocksAndWithinABlock) {
  Attestation a = Note("x");
  a.mutable_header()->set_nonce("nonce-0001");
  Envelope first = Sign("us-bis", a);
  EXPECT_ACCEPTED(Apply(first));
  EXPECT_REJECTED(Apply(first), "duplicate_nonce");
  Attestation b = Note("y");
  b.mutable_header()->set_nonce("nonce-0002");
  Envelope second = Sign("us-bis", b);
  auto outcomes = ApplyBlock({second, second});
  EXPECT_ACCEPTED(outcomes[0]);
  EXPECT_REJECTED(outcomes[1], "duplicate_nonce");
  // The same nonce is fine for another author.
  Attestation c = Note("z");
  c.mutable_header()->set_nonce("nonce-0001");
  EXPECT_ACCEPTED(Apply(Sign("eu-dgtrade", c)));
}

TEST_F(DomainTest, RejectsEntriesOutsideTheTimeWindow) {
  Attestation old = Note("x");
  old.mutable_header()->set_created_at_ms(now_ms_ - kDayMs - 1);
  auto o = Apply(Sign("us-bis", old));
  EXPECT_REJECTED(o, "entry_too_old");
  Attestation edge = Note("x");
  edge.mutable_header()->set_created_at_ms(now_ms_ - kDayMs);
  EXPECT_ACCEPTED(Apply(Sign("us-bis", edge)));
  Attestation future = Note("x");
  future.mutable_header()->set_created_at_ms(now_ms_ + 300001);
  EXPECT_REJECTED(Apply(Sign("us-bis", future)), "entry_from_future");
  Attestation near = Note("x");
  near.mutable_header()->set_created_at_ms(now_ms_ + 300000);
  EXPECT_ACCEPTED(Apply(Sign("us-bis", near)));
}

TEST_F(DomainTest, LaterEntriesOfABlockSeeEarlierWrites) {
  coalition::v1::ProcurementCommitment c;
  c.set_commitment_id("c-1");
  c.set_buyer("cloud-a");
  c.add_vendors("NVIDIA");
  c.mutable_amount()->set_units(100);
  c.mutable_amount()->set_currency("USD");
  c.set_period_start_ms(now_ms_ - kDayMs);
  c.set_period_end_ms(now_ms_ + 365 * kDayMs);
  coalition::v1::DeliveryReport d;
  d.set_commitment_id("c-1");
  d.set_vendor("NVIDIA");
  d.mutable_amount()->set_units(40);
  d.mutable_amount()->set_currency("USD");
  d.set_delivered_at_ms(now_ms_);
  auto outcomes = ApplyBlock({Sign("cloud-a", c), Sign("cloud-a", d)});
  EXPECT_ACCEPTED(outcomes[0]);
  EXPECT_ACCEPTED(outcomes[1]);
}

TEST_F(DomainTest, AbortBlockDropsTheBlocksWrites) {
  const size_t before = kv_.KeyCount(storage::Column::kState);
  sm_->BeginBlock();
  EXPECT_ACCEPTED(sm_->Apply({1, 0, now_ms_}, Sign("us-bis", Note("x")), std::string(32, 'd')));
  sm_->AbortBlock();
  storage::WriteBatch batch;
  EXPECT_TRUE(sm_->FinishBlock(&batch).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(kv_.KeyCount(storage::Column::kState), before);
}

TEST_F(DomainTest, FinishBlockStagesEverythingIntoTheCallersBatch) {
  sm_->BeginBlock();
  EXPECT_ACCEPTED(sm_->Apply({1, 0, now_ms_}, Sign("us-bis", Note("x")), std::string(32, 'd')));
  storage::WriteBatch batch;
  ASSERT_TRUE(sm_->FinishBlock(&batch).ok());
  ASSERT_EQ(batch.size(), 1u);  // the nonce
  EXPECT_EQ(batch.ops()[0].column, storage::Column::kState);
}

// A store whose reads fail: Apply must not turn an I/O error into a rejection that other nodes
// would not make; FinishBlock reports it.
class FailingReadStore final : public storage::KvStore {
 public:
  absl::StatusOr<std::string> Get(storage::Column, std::string_view) const override {
    return absl::UnavailableError("disk gone");
  }
  absl::Status Write(const storage::WriteBatch&, storage::WriteOptions) override {
    return absl::OkStatus();
  }
  absl::Status SyncLog() override { return absl::OkStatus(); }
  absl::Status Scan(storage::Column, std::string_view, std::string_view,
                    const std::function<bool(std::string_view, std::string_view)>&,
                    size_t) const override {
    return absl::UnavailableError("disk gone");
  }
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      storage::Column, std::string_view, std::string_view) const override {
    return absl::UnavailableError("disk gone");
  }
};

TEST_F(DomainTest, StorageErrorFailsTheBlock) {
  FailingReadStore store;
  StateMachine sm(genesis_, &store, kChainId);
  sm.BeginBlock();
  auto o = sm.Apply({1, 0, now_ms_}, Sign("us-bis", Note("x")), std::string(32, 'd'));
  EXPECT_REJECTED(o, "internal");
  storage::WriteBatch batch;
  EXPECT_EQ(sm.FinishBlock(&batch).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(batch.empty());
}

TEST_F(DomainTest, BootstrapInstallsTheRealRuleSets) {
  StateOverlay view(&kv_);
  auto records = LoadRuleSetRecords(view);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].rule_set().id(), "US-BIS-2022-10-ACSME");
  EXPECT_EQ((*records)[1].rule_set().id(), "US-BIS-2023-10-ACS");
  EXPECT_EQ((*records)[2].rule_set().id(), "US-BIS-2024-12-FDPR-HBM");
  for (const auto& r : *records) {
    EXPECT_TRUE(r.adopted());
    EXPECT_TRUE(r.genesis());
  }
}

TEST(ShipmentReadAccess, OnlyEnforcementAndAuthority) {
  coalition::v1::Genesis g;
  auto add = [&](const char* id, coalition::v1::Role r) {
    auto* m = g.add_members();
    m->set_id(id);
    m->add_roles(r);
  };
  add("gov", coalition::v1::ROLE_AUTHORITY);
  add("police", coalition::v1::ROLE_ENFORCEMENT);
  add("cloud", coalition::v1::ROLE_CLOUD_PROVIDER);
  add("watcher", coalition::v1::ROLE_OBSERVER);
  EXPECT_TRUE(CheckShipmentReadAccess(g, "gov").ok());
  EXPECT_TRUE(CheckShipmentReadAccess(g, "police").ok());
  EXPECT_EQ(CheckShipmentReadAccess(g, "cloud").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckShipmentReadAccess(g, "watcher").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckShipmentReadAccess(g, "nobody").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckShipmentReadAccess({coalition::v1::ROLE_CLOUD_PROVIDER}).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace coal::domain::testing

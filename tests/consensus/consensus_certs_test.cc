// Certificate and commit-proof verification (consensus/validator_set.h) and the canonical block
// id: exact status codes for each way a certificate can be wrong.
#include "consensus/core.h"
#include "consensus/encoding.h"
#include "consensus/validator_set.h"
#include "crypto/bytes.h"
#include "gtest/gtest.h"
#include "tests/consensus/consensus_test_cluster.h"

namespace coal::consensus::testing {
namespace {

using coalition::v1::Block;

class CertsTest : public ::testing::Test {
 protected:
  Cluster c{4};
  ValidatorSet vs{c.keys().public_keys, kChain, c.keys().verifier.get()};
  Block b1 = MakeBlock(c.keys(), 1, 1, GenesisQuorumCert(kChain), 1001, "b1");
};

TEST_F(CertsTest, QuorumSizes) {
  EXPECT_EQ(QuorumSize(4), 3u);
  EXPECT_EQ(QuorumSize(7), 5u);
  EXPECT_EQ(QuorumSize(10), 7u);
  EXPECT_EQ(QuorumSize(31), 21u);
  EXPECT_EQ(MaxFaulty(4), 1u);
  EXPECT_EQ(MaxFaulty(10), 3u);
}

TEST_F(CertsTest, QuorumCertificate) {
  EXPECT_TRUE(vs.VerifyQuorumCert(GenesisQuorumCert(kChain)).ok());
  EXPECT_TRUE(vs.VerifyQuorumCert(MakeQc(c.keys(), b1, {0, 1, 2})).ok());
  EXPECT_EQ(vs.VerifyQuorumCert(MakeQc(c.keys(), b1, {0, 1})).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vs.VerifyQuorumCert(MakeQc(c.keys(), b1, {0, 1, 1})).code(),
            absl::StatusCode::kInvalidArgument);
  auto qc = MakeQc(c.keys(), b1, {0, 1, 2});
  qc.mutable_sigs(2)->set_signer(9);
  EXPECT_EQ(vs.VerifyQuorumCert(qc).code(), absl::StatusCode::kInvalidArgument);
  qc = MakeQc(c.keys(), b1, {0, 1, 2});
  qc.set_round(2);  // signed round 1
  EXPECT_EQ(vs.VerifyQuorumCert(qc).code(), absl::StatusCode::kUnauthenticated);
  // Signatures made for another chain never verify here.
  ValidatorSet other{c.keys().public_keys, "other-chain", c.keys().verifier.get()};
  EXPECT_EQ(other.VerifyQuorumCert(MakeQc(c.keys(), b1, {0, 1, 2})).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(CertsTest, TimeoutCertificate) {
  EXPECT_TRUE(vs.VerifyTimeoutCert(MakeTc(c.keys(), 5, {{0, 3}, {2, 4}, {3, 1}})).ok());
  EXPECT_EQ(MaxHighQcRound(MakeTc(c.keys(), 5, {{0, 3}, {2, 4}, {3, 1}})), 4u);
  EXPECT_EQ(vs.VerifyTimeoutCert(MakeTc(c.keys(), 5, {{0, 3}, {2, 4}})).code(),
            absl::StatusCode::kFailedPrecondition);
  auto tc = MakeTc(c.keys(), 5, {{0, 3}, {2, 4}, {3, 1}});
  tc.set_hqc_rounds(1, 2);  // signed 4
  EXPECT_EQ(vs.VerifyTimeoutCert(tc).code(), absl::StatusCode::kUnauthenticated);
  tc.mutable_hqc_rounds()->RemoveLast();
  EXPECT_EQ(vs.VerifyTimeoutCert(tc).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(vs.VerifyTimeoutCert(MakeTc(c.keys(), 5, {{0, 5}, {2, 4}, {3, 1}})).code(),
            absl::StatusCode::kInvalidArgument);  // a high-QC round must be below the TC round
}

TEST_F(CertsTest, BlockIdIsCanonicalAndCoversEveryHeaderField) {
  const std::string id = ComputeBlockId(kChain, b1);
  EXPECT_EQ(id, b1.id());
  EXPECT_EQ(id.size(), kIdBytes);
  for (int field = 0; field < 6; ++field) {
    Block m = b1;
    switch (field) {
      case 0:
        m.set_round(2);
        break;
      case 1:
        m.set_height(2);
        break;
      case 2:
        m.set_author(2);
        break;
      case 3:
        m.set_time_ms(1002);
        break;
      case 4:
        m.set_payload("b1!");
        break;
      default:
        m.mutable_qc()->set_round(1);
        break;
    }
    EXPECT_NE(ComputeBlockId(kChain, m), id) << "field " << field;
  }
  EXPECT_NE(ComputeBlockId("other-chain", b1), id);
  // Stripping the payload keeps the id when payload_hash carries its digest.
  Block stripped = b1;
  stripped.set_payload_hash(PayloadDigest(b1));
  stripped.clear_payload();
  EXPECT_EQ(ComputeBlockId(kChain, stripped), id);
}

TEST_F(CertsTest, CommitProofDirectAndThroughDescendants) {
  // B1 <- B2 (round 2) <- B4 (round 4, after TC(3)) <- B5 (round 5): QC(B5) commits B4 directly
  // and B1, B2 through the descendant headers.
  const auto& k = c.keys();
  const auto qc1 = MakeQc(k, b1, {0, 1, 2});
  const Block b2 = MakeBlock(k, 2, 2, qc1, 1002, "b2");
  const auto qc2 = MakeQc(k, b2, {0, 1, 2});
  const auto tc3 = MakeTc(k, 3, {{0, 2}, {1, 2}, {2, 2}});
  const Block b4 = MakeBlock(k, 0, 4, qc2, 1004, "b4", &tc3);
  const auto qc4 = MakeQc(k, b4, {1, 2, 3});
  const Block b5 = MakeBlock(k, 1, 5, qc4, 1005, "b5");
  const auto qc5 = MakeQc(k, b5, {0, 2, 3});
  auto strip = [](Block b) {
    b.set_payload_hash(PayloadDigest(b));
    b.clear_payload();
    return b;
  };
  coalition::v1::CommittedBlock direct;
  *direct.mutable_block() = b4;
  *direct.mutable_commit_qc() = qc5;
  *direct.mutable_child_qc() = qc4;
  EXPECT_TRUE(vs.VerifyCommittedBlock(direct).ok());

  coalition::v1::CommittedBlock deep;
  *deep.mutable_block() = b1;
  *deep.mutable_commit_qc() = qc5;
  *deep.mutable_child_qc() = qc1;
  *deep.add_descendants() = strip(b2);
  *deep.add_descendants() = strip(b4);
  EXPECT_TRUE(vs.VerifyCommittedBlock(deep).ok());

  // B2 is certified but its child B4 is not at round 3: QC(B4) alone commits nothing.
  coalition::v1::CommittedBlock not_two_chain;
  *not_two_chain.mutable_block() = b2;
  *not_two_chain.mutable_commit_qc() = qc4;
  EXPECT_EQ(vs.VerifyCommittedBlock(not_two_chain).code(), absl::StatusCode::kInvalidArgument);

  auto tampered = deep;
  tampered.mutable_block()->set_payload("forged");
  EXPECT_EQ(vs.VerifyCommittedBlock(tampered).code(), absl::StatusCode::kInvalidArgument);
  tampered = deep;
  tampered.mutable_descendants()->RemoveLast();  // the chain no longer reaches QC(B5)'s parent
  EXPECT_EQ(vs.VerifyCommittedBlock(tampered).code(), absl::StatusCode::kInvalidArgument);
  tampered = direct;
  tampered.mutable_commit_qc()->mutable_sigs(0)->set_sig(std::string(32, 'x'));
  EXPECT_EQ(vs.VerifyCommittedBlock(tampered).code(), absl::StatusCode::kUnauthenticated);
  tampered = direct;
  tampered.mutable_commit_qc()->mutable_sigs()->RemoveLast();
  EXPECT_EQ(vs.VerifyCommittedBlock(tampered).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CertsTest, HostileMessagesAreCountedNotFatal) {
  auto core = Core::Create(c.MakeConfig(0), Recovery{});
  ASSERT_TRUE(core.ok());
  (*core)->Start(1000);
  Block wrong_leader = MakeBlock(c.keys(), 2, 1, GenesisQuorumCert(kChain), 1001, "x");
  Actions a = (*core)->OnMessage(2, Proposal(wrong_leader), 1001);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kWrongLeader)], 1u);
  Block bad_sig = b1;
  bad_sig.set_sig(std::string(32, 's'));
  a = (*core)->OnMessage(1, Proposal(bad_sig), 1001);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kBadSignature)], 1u);
  Block bad_id = b1;
  bad_id.set_payload("changed");
  a = (*core)->OnMessage(1, Proposal(bad_id), 1001);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kBadBlockId)], 1u);
  Block future = MakeBlock(c.keys(), 1, 1, GenesisQuorumCert(kChain), 1000 + 60000, "late");
  a = (*core)->OnMessage(1, Proposal(future), 1001);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kBadTime)], 1u);
  a = (*core)->OnMessage(7, Proposal(b1), 1001);  // unknown sender index
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kMalformed)], 1u);
  a = (*core)->OnMessage(1, coalition::v1::ConsensusMessage(), 1001);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kMalformed)], 1u);
  EXPECT_EQ((*core)->safety_state().last_voted_round(), 0u);
  // Leader 1 already proposed `future` in round 1 (refused for its time, not voted): b1 is a
  // second proposal in the round, counted as an equivocation, and still the first one we vote.
  a = (*core)->OnMessage(1, Proposal(b1), 1001);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kEquivocation)], 1u);
  EXPECT_EQ(a.rejected_total(), 1u);
  EXPECT_EQ(VotesIn(a).size(), 1u);
}

}  // namespace
}  // namespace coal::consensus::testing

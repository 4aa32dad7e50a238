// Golden scenarios for the protocol's key transitions (DESIGN §6), each citing the rule it
// exercises. Messages are delivered in FIFO order; every outcome asserted is exact.
#include <algorithm>

#include "consensus/core.h"
#include "consensus/encoding.h"
#include "gtest/gtest.h"
#include "tests/consensus/consensus_test_cluster.h"

namespace coal::consensus::testing {
namespace {

using coalition::v1::Block;
using coalition::v1::CommittedBlock;

std::vector<uint64_t> Rounds(const std::vector<CommittedBlock>& commits) {
  std::vector<uint64_t> out;
  for (const auto& c : commits) out.push_back(c.block().round());
  return out;
}

// Rule: 2-chain commit. A QC for B(r+1) whose parent is B(r) commits B(r) and its ancestors; the
// QC is the commit proof. With leaders answering payloads for rounds 1..5 only, QC(5) is formed
// by leader(6) = 2 alone, so node 2 commits B1..B4 and everyone else B1..B3 (they saw QC(4)).
TEST(Scenario, HappyPathCommitsTwoChains) {
  Cluster c(4);
  c.propose_until_round = 5;
  c.StartAll();
  c.DeliverAll();
  for (uint32_t i = 0; i < 4; ++i) {
    const auto& commits = c.commits(i);
    const std::vector<uint64_t> want =
        i == 2 ? std::vector<uint64_t>{1, 2, 3, 4} : std::vector<uint64_t>{1, 2, 3};
    EXPECT_EQ(Rounds(commits), want) << "node " << i;
    for (size_t k = 0; k < commits.size(); ++k) {
      const CommittedBlock& cb = commits[k];
      EXPECT_EQ(cb.block().height(), k + 1);
      EXPECT_EQ(cb.block().author(), cb.block().round() % 4);  // round-robin leaders
      EXPECT_EQ(cb.block().payload(), "payload-r" + std::to_string(cb.block().round()));
      EXPECT_EQ(cb.commit_qc().round(), cb.block().round() + 1);  // direct 2-chain
      EXPECT_EQ(cb.commit_qc().parent_id(), cb.block().id());
      EXPECT_EQ(cb.descendants_size(), 0);
      EXPECT_TRUE(c.core(i)->VerifyCommitted(cb).ok());
      EXPECT_TRUE(VerifyCommittedBlock(c.keys().public_keys, kChain, *c.keys().verifier, cb).ok());
    }
    EXPECT_EQ(c.core(i)->round(), i == 2 ? 6u : 5u);
    EXPECT_EQ(c.core(i)->safety_state().last_voted_round(), 5u);
    EXPECT_EQ(c.core(i)->safety_state().locked_round(), 4u);
  }
  // A commit proof from another chain id never verifies.
  EXPECT_FALSE(
      VerifyCommittedBlock(c.keys().public_keys, "other-chain", *c.keys().verifier, c.commits(0)[0])
          .ok());
}

// A leader must not re-propose entries of the uncommitted blocks it extends (they would commit
// twice, the copy as a rejected duplicate). PayloadsOnProposalBranch gives those payloads: the
// blocks from the high QC's block back to, not including, the last committed block.
TEST(Scenario, PayloadsOnProposalBranchAreTheUncommittedAncestors) {
  Cluster c(4);
  c.propose_until_round = 5;
  c.StartAll();
  c.DeliverAll();
  // Node 2 committed B4 and holds QC(5); the others committed B3 and hold QC(4).
  EXPECT_EQ(c.core(2)->PayloadsOnProposalBranch(), std::vector<std::string>{"payload-r5"});
  // Their trees: the committed root and the blocks above it (B5 at node 2; B4, B5 elsewhere).
  EXPECT_EQ(c.core(2)->sizes().tree_blocks, 2u);
  EXPECT_EQ(c.core(0)->sizes().tree_blocks, 3u);
  EXPECT_EQ(c.core(0)->sizes().pending_blocks, 0u);
  EXPECT_EQ(c.core(0)->sizes().fetches, 0u);
  for (uint32_t i : {0u, 1u, 3u}) {
    EXPECT_EQ(c.core(i)->PayloadsOnProposalBranch(), std::vector<std::string>{"payload-r4"})
        << "node " << i;
  }
  Cluster idle(4);
  idle.StartAll();
  EXPECT_TRUE(idle.core(0)->PayloadsOnProposalBranch().empty());  // nothing above genesis
}

// An idle leader waits before proposing an empty block, except while a payload still needs
// rounds to commit: PayloadAwaitsCommit. Only B1 carries a payload. After round 2, leader(3) =
// node 3 alone holds QC(B2), so it alone knows B1 is committed: it must propose now, or the
// others (and the client waiting on one of them) learn of the commit one idle period later.
// After round 3 every node knows; leader(4) = node 0 holds QC(B3) over two empty blocks: idle.
// (The old check, a payload above the committed root, said idle for node 3 after round 2.)
TEST(Scenario, PayloadAwaitsCommitUntilTheCommitIsCarried) {
  // B1 carries a payload; leaders of rounds 2..last propose empty blocks, later ones nothing.
  const auto RunWithOnePayload = [](Cluster& cluster, uint64_t last) {
    cluster.payload_until_round = 1;
    cluster.propose_until_round = last;
    cluster.StartAll();
    cluster.DeliverAll();
  };
  Cluster c(4);
  RunWithOnePayload(c, 1);
  // QC(B1) is at leader(2) = node 2; B1 is above everyone's committed root.
  EXPECT_TRUE(c.core(2)->PayloadAwaitsCommit());

  Cluster two(4);
  RunWithOnePayload(two, 2);
  ASSERT_EQ(Rounds(two.commits(3)), std::vector<uint64_t>{1});
  for (uint32_t i : {0u, 1u, 2u}) EXPECT_TRUE(two.commits(i).empty()) << "node " << i;
  EXPECT_TRUE(two.core(3)->PayloadAwaitsCommit());

  Cluster three(4);
  RunWithOnePayload(three, 3);
  // Node 0 formed QC(B3) and so also committed the empty B2.
  EXPECT_EQ(Rounds(three.commits(0)), (std::vector<uint64_t>{1, 2}));
  for (uint32_t i : {1u, 2u, 3u}) {
    EXPECT_EQ(Rounds(three.commits(i)), std::vector<uint64_t>{1}) << "node " << i;
  }
  EXPECT_FALSE(three.core(0)->PayloadAwaitsCommit());
}

// Rules: timeout rule, TC formation, and the voting rule's TC branch. The leader of round 2
// (node 2) is crashed: QC(1) is never formed (votes for B1 go to it), round 1 and round 2 time
// out, TC(2) lets leader 3 extend the genesis QC in round 3 (r == tc.round+1 and qc.round >=
// max hqc round), and QC(B4) commits B3 at height 1 with its TC.
TEST(Scenario, LeaderCrashTimeoutCertificate) {
  Cluster c(4);
  c.propose_until_round = 6;
  c.StartAll();
  c.Crash(2);
  c.DeliverAll();
  for (uint32_t i : {0u, 1u, 3u}) {
    EXPECT_EQ(c.core(i)->round(), 1u);
    EXPECT_TRUE(c.commits(i).empty());
  }
  c.FireTimers(2000);  // round 1 times out everywhere -> TC(1) -> round 2 (leader 2 is down)
  c.DeliverAll();
  for (uint32_t i : {0u, 1u, 3u}) EXPECT_EQ(c.core(i)->round(), 2u);
  // Round 2's timer (backoff starts only after two rounds without a commit); fire past it.
  c.FireTimers(10000);
  c.DeliverAll();
  for (uint32_t i : {0u, 1u, 3u}) {
    const auto& commits = c.commits(i);
    // B4 and B5 follow. Leader(6) is node 2 again, silent by now, so the voters of B5 also send
    // their votes to leader(7) = node 3, which forms QC(B5) as a stand-in and shares it in a
    // sync: the 2-chains B3 <- B4 and B4 <- B5 both complete.
    ASSERT_EQ(Rounds(commits), (std::vector<uint64_t>{3, 4})) << "node " << i;
    EXPECT_EQ(commits[1].commit_qc().round(), 5u);
    EXPECT_TRUE(c.core(i)->VerifyCommitted(commits[1]).ok());
    EXPECT_EQ(c.core(i)->round(), 6u);
    // B1 was never certified; committing B3 (which extends genesis) drops it from the tree, and
    // its payload is reported so its entries can be proposed again at once.
    std::vector<std::string> abandoned;
    for (const Actions& a : c.bundles(i)) {
      abandoned.insert(abandoned.end(), a.abandoned_payloads.begin(), a.abandoned_payloads.end());
    }
    EXPECT_EQ(abandoned, std::vector<std::string>{"payload-r1"}) << "node " << i;
    const Block& first = commits[0].block();
    EXPECT_EQ(first.round(), 3u);
    EXPECT_EQ(first.height(), 1u);
    EXPECT_EQ(first.author(), 3u);
    EXPECT_TRUE(first.has_tc());
    EXPECT_EQ(first.tc().round(), 2u);
    EXPECT_EQ(first.tc().sigs_size(), 3);
    EXPECT_EQ(first.qc().round(), 0u);  // extends genesis: nobody ever saw QC(B1)
    EXPECT_TRUE(c.core(i)->VerifyCommitted(commits[0]).ok());
  }
}

// Rule: voting rule with a lock. A node that voted for B2 (whose QC certifies B1) has
// locked_round 1. After TC(2) reporting high-QC round 1, a round-3 block extending only the
// genesis QC violates qc.round >= max_hqc_round and is refused; one extending QC(B1) is voted.
TEST(Scenario, LockedNodeRefusesUnsafeBlock) {
  Cluster c(4);
  const auto& keys = c.keys();
  auto core = Core::Create(c.MakeConfig(0), Recovery{});
  ASSERT_TRUE(core.ok());
  (*core)->Start(1000);
  const Block b1 = MakeBlock(keys, 1, 1, GenesisQuorumCert(kChain), 1001, "b1");
  Actions a = (*core)->OnMessage(1, Proposal(b1), 1001);
  ASSERT_EQ(VotesIn(a).size(), 1u);
  const auto qc1 = MakeQc(keys, b1, {0, 1, 2});
  const Block b2 = MakeBlock(keys, 2, 2, qc1, 1002, "b2");
  a = (*core)->OnMessage(2, Proposal(b2), 1002);
  ASSERT_EQ(VotesIn(a).size(), 1u);
  EXPECT_EQ((*core)->safety_state().locked_round(), 1u);
  EXPECT_EQ((*core)->safety_state().last_voted_round(), 2u);

  const auto tc2 = MakeTc(keys, 2, {{1, 1}, {2, 1}, {3, 0}});
  const Block unsafe = MakeBlock(keys, 3, 3, GenesisQuorumCert(kChain), 1003, "fork", &tc2);
  a = (*core)->OnMessage(3, Proposal(unsafe), 1003);
  EXPECT_TRUE(VotesIn(a).empty());
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kUnsafeBlock)], 1u);
  EXPECT_FALSE(a.persist_safety.has_value());
  EXPECT_EQ((*core)->round(), 3u);
  EXPECT_EQ((*core)->safety_state().last_voted_round(), 2u);

  const Block safe = MakeBlock(keys, 3, 3, qc1, 1004, "safe", &tc2);
  a = (*core)->OnMessage(3, Proposal(safe), 1004);
  // leader(4) is node 0 itself, so the vote stays inside the core; the persisted state shows it.
  ASSERT_TRUE(a.persist_safety.has_value());
  EXPECT_EQ(a.persist_safety->last_vote().block_id(), safe.id());
  EXPECT_EQ(a.persist_safety->last_voted_round(), 3u);
  EXPECT_EQ(a.persist_safety->locked_round(), 1u);
}

// Rules: safety state persisted before the vote leaves; restart resumes from it. A node votes
// for B1, crashes, restarts from its persisted SafetyState and block tree: it re-sends the very
// same signed vote and refuses to vote for an equivocating B1' in the same round.
TEST(Scenario, RestartMidRoundDoesNotDoubleVote) {
  Cluster c(4);
  const auto& keys = c.keys();
  auto core = Core::Create(c.MakeConfig(3), Recovery{});
  ASSERT_TRUE(core.ok());
  (*core)->Start(1000);
  const Block b1 = MakeBlock(keys, 1, 1, GenesisQuorumCert(kChain), 1001, "b1");
  Actions a = (*core)->OnMessage(1, Proposal(b1), 1001);
  ASSERT_TRUE(a.persist_safety.has_value());
  ASSERT_EQ(a.persist_blocks.size(), 1u);
  const auto votes = VotesIn(a);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(a.sends[0].to, 2u);  // leader(2)
  EXPECT_EQ(a.persist_safety->last_voted_round(), 1u);
  EXPECT_EQ(a.persist_safety->last_vote().sig(), votes[0].sig());

  Recovery r;
  r.safety = *a.persist_safety;
  r.blocks = a.persist_blocks;
  core->reset();
  auto restarted = Core::Create(c.MakeConfig(3), std::move(r));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  a = (*restarted)->Start(1500);
  EXPECT_EQ((*restarted)->round(), 1u);
  const auto resent = VotesIn(a);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].sig(), votes[0].sig());
  EXPECT_EQ(resent[0].block_id(), b1.id());

  const Block b1_prime = MakeBlock(keys, 1, 1, GenesisQuorumCert(kChain), 1002, "b1-prime");
  a = (*restarted)->OnMessage(1, Proposal(b1_prime), 1600);
  EXPECT_TRUE(VotesIn(a).empty());
  EXPECT_FALSE(a.persist_safety.has_value());
  EXPECT_EQ((*restarted)->safety_state().last_vote().block_id(), b1.id());
  // It may still time out in round 1 (the timeout rule allows it after a vote).
  a = (*restarted)->OnTimer(3000);
  ASSERT_EQ(a.broadcasts.size(), 1u);
  EXPECT_TRUE(a.broadcasts[0].has_timeout());
  EXPECT_EQ(a.broadcasts[0].timeout().round(), 1u);
  ASSERT_TRUE(a.persist_safety.has_value());
  EXPECT_EQ(a.persist_safety->last_voted_round(), 1u);
}

// Rule: f+1 timeouts from others make a node time out early, before its own timer.
TEST(Scenario, EarlyTimeoutAfterFPlusOneTimeouts) {
  Cluster c(4);
  const auto& keys = c.keys();
  auto core = Core::Create(c.MakeConfig(0), Recovery{});
  ASSERT_TRUE(core.ok());
  (*core)->Start(1000);
  auto timeout_from = [&](uint32_t voter) {
    coalition::v1::ConsensusMessage m;
    auto* t = m.mutable_timeout();
    t->set_round(1);
    *t->mutable_high_qc() = GenesisQuorumCert(kChain);
    t->set_voter(voter);
    t->set_sig(keys.signers[voter]->Sign(TimeoutSignBytes(kChain, 1, 0)));
    return m;
  };
  Actions a = (*core)->OnMessage(1, timeout_from(1), 1100);
  EXPECT_TRUE(a.broadcasts.empty());
  a = (*core)->OnMessage(2, timeout_from(2), 1200);  // f+1 = 2 others
  ASSERT_EQ(a.broadcasts.size(), 1u);
  EXPECT_EQ(a.broadcasts[0].timeout().round(), 1u);
  EXPECT_EQ((*core)->round(), 2u);  // own timeout + 2 others = 2f+1 -> TC(1) -> round 2
}

// Blocks b1..b4 by the round-robin leaders 1, 2, 3, 0, each certified by nodes 0..2, as a node
// that missed them would get them later.
struct Chain {
  explicit Chain(const sim::SimKeys& keys) {
    b1 = MakeBlock(keys, 1, 1, GenesisQuorumCert(kChain), 1001, "b1");
    qc1 = MakeQc(keys, b1, {0, 1, 2});
    b2 = MakeBlock(keys, 2, 2, qc1, 1002, "b2");
    qc2 = MakeQc(keys, b2, {0, 1, 2});
    b3 = MakeBlock(keys, 3, 3, qc2, 1003, "b3");
    qc3 = MakeQc(keys, b3, {0, 1, 2});
    b4 = MakeBlock(keys, 0, 4, qc3, 1004, "b4");
    committed_b2.mutable_block()->CopyFrom(b2);  // proven by QC(b3): b3.round == b2.round + 1
    *committed_b2.mutable_commit_qc() = qc3;
    *committed_b2.mutable_child_qc() = qc2;
  }
  Block b1, b2, b3, b4;
  coalition::v1::QuorumCert qc1, qc2, qc3;
  CommittedBlock committed_b2;
};

// Node 2, fresh at genesis, after b3 arrived without its parent: *a is what that step did.
std::unique_ptr<Core> NodeHoldingB3(const Cluster& c, const Chain& chain, Actions* a) {
  auto core = Core::Create(c.MakeConfig(2), Recovery{});
  EXPECT_TRUE(core.ok()) << core.status();
  if (!core.ok()) return nullptr;
  (*core)->Start(1000);
  *a = (*core)->OnMessage(3, Proposal(chain.b3), 1003);
  return std::move(*core);
}

// Liveness: a block that waits for its parent connects when that parent arrives by any route.
// Node 2 holds b3 as pending (parent b2 missing) when ledger catch-up installs b2 as the new
// committed root (AdvanceTo): b3 must join the tree, so b4 on top of it gets a vote. (It stayed
// pending, and so did every later block, leaving the node out of the live protocol for good.)
TEST(Scenario, PendingBlockConnectsToTheRootCatchUpInstalls) {
  Cluster c(4);
  const Chain chain(c.keys());
  Actions a;
  auto core = NodeHoldingB3(c, chain, &a);
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(a.rejected[static_cast<size_t>(Reject::kUnknownParent)], 1u);
  EXPECT_EQ(core->sizes().pending_blocks, 1u);

  ASSERT_TRUE(core->VerifyCommitted(chain.committed_b2).ok());
  a = core->AdvanceTo(chain.committed_b2, 1004);
  EXPECT_EQ(core->committed_height(), 2u);
  EXPECT_EQ(core->sizes().pending_blocks, 0u);
  EXPECT_EQ(core->sizes().tree_blocks, 2u);  // root b2 and b3
  EXPECT_EQ(core->sizes().fetches, 0u);

  a = core->OnMessage(0, Proposal(chain.b4), 1005);
  const auto votes = VotesIn(a);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].block_id(), chain.b4.id());
}

// Catch-up drops blocks as a commit does: AdvanceTo reports the payloads of the blocks it drops
// uncommitted, so their entries can be proposed again at once (their mempool leases used to wait
// out their expiry). Node 0 holds b1 and a fork x2 (round 2, extending genesis through TC(1));
// catch-up installs b2 (on b1) as the root: x2 is abandoned; genesis and b1 are committed.
TEST(Scenario, CatchUpReportsTheBlocksItDropsUncommitted) {
  Cluster c(4);
  const Chain chain(c.keys());
  auto core = Core::Create(c.MakeConfig(0), Recovery{});
  ASSERT_TRUE(core.ok()) << core.status();
  (*core)->Start(1000);
  (*core)->OnMessage(1, Proposal(chain.b1), 1001);
  const auto tc1 = MakeTc(c.keys(), 1, {{1, 0}, {2, 0}, {3, 0}});
  const Block x2 = MakeBlock(c.keys(), 2, 2, GenesisQuorumCert(kChain), 1002, "x2", &tc1);
  (*core)->OnMessage(2, Proposal(x2), 1002);
  ASSERT_EQ((*core)->sizes().tree_blocks, 3u);  // genesis, b1, x2

  const Actions a = (*core)->AdvanceTo(chain.committed_b2, 1004);
  EXPECT_EQ((*core)->committed_height(), 2u);
  EXPECT_EQ((*core)->sizes().tree_blocks, 1u);
  EXPECT_EQ(a.abandoned_payloads, std::vector<std::string>{"x2"});
}

// The one timer deadline serves the round and block fetches; OnTimer says which one expired, so
// the node counts round timeouts (coal_round_timeouts_total), not fetch retries nor a timeout's
// retransmission. Node 2 holding b3 (round 3: two rounds past its committed genesis, so a
// backed-off 2 s round timeout) fetches b2; the fetch's retry falls due after 1 s, the round at
// 3003.
TEST(Scenario, OnTimerTellsARoundTimeoutFromAFetchRetry) {
  Cluster c(4);
  const Chain chain(c.keys());
  Actions a;
  auto core = NodeHoldingB3(c, chain, &a);
  ASSERT_NE(core, nullptr);
  ASSERT_EQ(core->round(), 3u);
  ASSERT_EQ(a.fetches.size(), 1u);
  ASSERT_EQ(a.timer_deadline_ms, 2003);
  a = core->OnTimer(2003);
  EXPECT_FALSE(a.round_timed_out);
  EXPECT_TRUE(a.broadcasts.empty());  // no timeout message
  a = core->OnTimer(3003);
  EXPECT_TRUE(a.round_timed_out);
  ASSERT_EQ(a.broadcasts.size(), 1u);
  EXPECT_TRUE(a.broadcasts[0].has_timeout());
  // Still in round 3 later on: the same timeout goes out again (at the round's deadline; fetch
  // retries fall due in between), and is not counted again.
  int resent = 0;
  for (int i = 0; i < 20 && resent == 0; ++i) {
    ASSERT_TRUE(a.timer_deadline_ms.has_value());
    a = core->OnTimer(*a.timer_deadline_ms);
    EXPECT_FALSE(a.round_timed_out);
    for (const auto& m : a.broadcasts) resent += m.has_timeout() ? 1 : 0;
  }
  EXPECT_EQ(resent, 1);
  EXPECT_EQ(core->round(), 3u);
}

// Liveness: when the fetch of a pending chain's missing ancestor has given up, the next block
// built on that chain asks for the missing ancestor again (it used to ask for nothing, since its
// own parent was "already held"), and the answer connects the whole chain.
TEST(Scenario, BlockOnAPendingChainFetchesItsMissingAncestorAgain) {
  Cluster c(4);
  const Chain chain(c.keys());
  Actions a;
  auto core = NodeHoldingB3(c, chain, &a);
  ASSERT_NE(core, nullptr);
  ASSERT_EQ(a.fetches.size(), 1u);
  EXPECT_EQ(a.fetches[0].block_id, chain.b2.id());
  // Nobody answers: the fetch is retried through every peer, then given up.
  int64_t now = 1003;
  for (int i = 0; i < 100 && core->sizes().fetches > 0; ++i) {
    now += 1000;
    core->OnTimer(now);
  }
  ASSERT_EQ(core->sizes().fetches, 0u);
  EXPECT_EQ(core->sizes().pending_blocks, 1u);

  a = core->OnMessage(0, Proposal(chain.b4), now + 1);
  ASSERT_EQ(a.fetches.size(), 1u);
  EXPECT_EQ(a.fetches[0].block_id, chain.b2.id());
  EXPECT_EQ(a.fetches[0].count, 2u);  // b2 and b1: everything down to the committed genesis
  EXPECT_EQ(core->sizes().pending_blocks, 2u);

  coalition::v1::ConsensusMessage answer;
  answer.mutable_blocks()->set_responder(a.fetches[0].peer);
  *answer.mutable_blocks()->add_blocks() = chain.b2;
  *answer.mutable_blocks()->add_blocks() = chain.b1;
  a = core->OnMessage(a.fetches[0].peer, answer, now + 2);
  EXPECT_EQ(core->sizes().pending_blocks, 0u);
  // QC(b3), carried by b4, commits b1 and b2: root b2, with b3 and b4 above it.
  EXPECT_EQ(core->committed_height(), 2u);
  EXPECT_EQ(core->sizes().tree_blocks, 3u);
  const auto votes = VotesIn(a);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].block_id(), chain.b4.id());
}

// Liveness: a round led by a validator nothing has arrived from for two base timeouts (crashed,
// cut off) times out after 1/200 of the base timeout (5 ms), with no backoff; a leader heard from
// recently keeps the full timeout. Node 0 reaches round 3 (leader 3) through QC(b2) in a sync.
TEST(Scenario, RoundOfASilentLeaderTimesOutQuickly) {
  Cluster c(4);
  const Chain chain(c.keys());
  constexpr int64_t kStart = 1000;
  constexpr int64_t kLater = kStart + 2 * 1000 + 1;  // past the silence window (base 1000 ms)
  const auto deadline_in_round_3 = [&](bool heard_from_3) -> std::optional<int64_t> {
    auto core = Core::Create(c.MakeConfig(0), Recovery{});
    EXPECT_TRUE(core.ok());
    (*core)->Start(kStart);
    (*core)->OnMessage(1, Proposal(chain.b1), kLater - 30);
    (*core)->OnMessage(2, Proposal(chain.b2), kLater - 20);
    coalition::v1::ConsensusMessage sync;
    if (heard_from_3) {
      *sync.mutable_sync()->mutable_high_qc() = chain.qc1;
      (*core)->OnMessage(3, sync, kLater - 10);
    }
    *sync.mutable_sync()->mutable_high_qc() = chain.qc2;
    Actions a = (*core)->OnMessage(1, sync, kLater);
    EXPECT_EQ((*core)->round(), 3u);
    EXPECT_EQ((*core)->committed_height(), 1u);  // QC(b2) commits b1: no backoff either way
    return a.timer_deadline_ms;
  };
  EXPECT_EQ(deadline_in_round_3(/*heard_from_3=*/false), kLater + 5);
  EXPECT_EQ(deadline_in_round_3(/*heard_from_3=*/true), kLater + 1000);
}

// The transport's hint (Core::OnPeerUnreachable): a peer whose stream broke is silent at once,
// well inside the silence window. The current round it leads gets the short deadline unless this
// node voted in it already; a round it leads later starts with it; a hint about a peer that does
// not lead changes nothing; a message from it within a base timeout of the hint does not clear it;
// a vote this node sent it as the next leader goes to the leader after it too; and a node that
// lost every peer (cut off itself) suspects nobody.
TEST(Scenario, APeerTheTransportLostIsSilentAtOnce) {
  Cluster c(4);
  const Chain chain(c.keys());
  constexpr int64_t kStart = 1000;  // base timeout 1000 ms: silent leaders get 5 ms
  const auto started = [&] {
    auto core = Core::Create(c.MakeConfig(0), Recovery{});
    EXPECT_TRUE(core.ok());
    (*core)->Start(kStart);  // round 1, led by validator 1; deadline kStart + 1000
    return std::move(core).value();
  };
  const auto into_round_3 = [&](Core& core, int64_t at) {  // by a sync: no vote in round 3
    core.OnMessage(1, Proposal(chain.b1), at - 20);
    core.OnMessage(2, Proposal(chain.b2), at - 10);
    coalition::v1::ConsensusMessage sync;
    *sync.mutable_sync()->mutable_high_qc() = chain.qc2;
    Actions a = core.OnMessage(1, sync, at);
    EXPECT_EQ(core.round(), 3u);  // led by validator 3
    return a.timer_deadline_ms;
  };
  {
    auto core = started();
    EXPECT_EQ(into_round_3(*core, kStart + 100), kStart + 100 + 1000);  // 3 was heard at Start
    EXPECT_EQ(core->OnPeerUnreachable(2, kStart + 150).timer_deadline_ms, kStart + 1100);
    EXPECT_EQ(core->OnPeerUnreachable(3, kStart + 150).timer_deadline_ms, kStart + 155);
  }
  {
    auto core = started();
    core->OnPeerUnreachable(3, kStart + 50);
    EXPECT_EQ(into_round_3(*core, kStart + 100), kStart + 105);
  }
  {
    // What it sent just before it went away may arrive after the hint: within one base timeout
    // of the hint a message does not clear it (it used to, and its rounds then timed out in full
    // for the whole silence window); the first one after that does.
    coalition::v1::ConsensusMessage hello;
    *hello.mutable_sync()->mutable_high_qc() = GenesisQuorumCert(kChain);
    auto early = started();
    early->OnPeerUnreachable(3, kStart + 50);
    early->OnMessage(3, hello, kStart + 60);
    EXPECT_EQ(into_round_3(*early, kStart + 100), kStart + 105);
    auto late = started();
    late->OnPeerUnreachable(3, kStart + 50);
    late->OnMessage(3, hello, kStart + 50 + 1001);
    EXPECT_EQ(into_round_3(*late, kStart + 1100), kStart + 1100 + 1000);
  }
  {
    // Voted in round 1 (the vote went to validator 2, round 2's leader). Losing 1 now changes
    // no deadline; losing 2 sends the same vote to validator 3 as well.
    auto core = started();
    const auto voted = VotesIn(core->OnMessage(1, Proposal(chain.b1), kStart + 10));
    ASSERT_EQ(voted.size(), 1u);
    EXPECT_EQ(core->OnPeerUnreachable(1, kStart + 20).timer_deadline_ms, kStart + 1000);
    Actions a = core->OnPeerUnreachable(2, kStart + 30);
    ASSERT_EQ(a.sends.size(), 1u);
    EXPECT_EQ(a.sends[0].to, 3u);
    ASSERT_TRUE(a.sends[0].message.has_vote());
    EXPECT_EQ(a.sends[0].message.vote().sig(), voted[0].sig());
    EXPECT_EQ(a.sends[0].message.vote().round(), 1u);
    EXPECT_FALSE(a.persist_safety.has_value());  // no new vote
  }
  {
    // Cut off: 3 and 2 lost first, then 1 (round 1's leader) — no peer is heard from any more,
    // so none looks silent and round 1 keeps its deadline. Only 1 lost: the short one.
    auto core = started();
    core->OnPeerUnreachable(3, kStart + 50);
    core->OnPeerUnreachable(2, kStart + 50);
    EXPECT_EQ(core->OnPeerUnreachable(1, kStart + 50).timer_deadline_ms, kStart + 1000);
    auto alone = started();
    EXPECT_EQ(alone->OnPeerUnreachable(1, kStart + 50).timer_deadline_ms, kStart + 55);
  }
}

// Catch-up: a node that knows of a commit above its own committed height reports since when
// (BehindSinceMs), so the node can fetch committed blocks by height once that lasts — the blocks
// it misses may be below every peer's tree root, where block fetches cannot reach (a simulator
// run stalled that way with the lag under the "far behind" threshold). Caught up: 0 again.
TEST(Scenario, BehindSinceReportsAKnownCommitAboveOurOwn) {
  Cluster c(4);
  const Chain chain(c.keys());
  auto core = Core::Create(c.MakeConfig(2), Recovery{});
  ASSERT_TRUE(core.ok());
  (*core)->Start(1000);
  EXPECT_EQ((*core)->BehindSinceMs(), 0);
  (*core)->OnMessage(0, Proposal(chain.b4), 1004);  // carries QC(b3): b2 is committed
  EXPECT_EQ((*core)->HighestKnownCommitHeight(), 2u);
  EXPECT_EQ((*core)->committed_height(), 0u);
  EXPECT_EQ((*core)->BehindSinceMs(), 1004);
  (*core)->OnTimer(1500);
  EXPECT_EQ((*core)->BehindSinceMs(), 1004);  // still behind: the time it started
  // The catch-up rule: 2 behind is not "far" (more than kCatchUpLagBlocks), but behind for
  // kCatchUpStuckMs is "stuck".
  EXPECT_FALSE((*core)->NeedsCatchUp(0, 1004 + Core::kCatchUpStuckMs - 1));
  EXPECT_TRUE((*core)->NeedsCatchUp(0, 1004 + Core::kCatchUpStuckMs));
  EXPECT_TRUE((*core)->NeedsCatchUp(0, 1004 + Core::kCatchUpStuckMs + 500));
  (*core)->AdvanceTo(chain.committed_b2, 2100);
  EXPECT_EQ((*core)->committed_height(), 2u);
  EXPECT_EQ((*core)->BehindSinceMs(), 0);
  EXPECT_FALSE((*core)->NeedsCatchUp(2, 9000));
}

}  // namespace
}  // namespace coal::consensus::testing

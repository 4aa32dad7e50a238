// Test helpers for scripted consensus scenarios: a tiny in-memory cluster that carries out action
// bundles exactly as the node must (persist safety, persist blocks, then send), delivers messages
// in FIFO order with an optional drop filter, and answers payload requests up to a round limit.
// Also builders for hand-made blocks and certificates signed with the test keys.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "consensus/core.h"
#include "consensus/encoding.h"
#include "consensus/sim/sim_keys.h"
#include "gtest/gtest.h"

namespace coal::consensus::testing {

inline constexpr char kChain[] = "test-chain";

struct Msg {
  uint32_t from;
  uint32_t to;
  coalition::v1::ConsensusMessage message;
};

class Cluster {
 public:
  explicit Cluster(uint32_t n) : n_(n), keys_(sim::MakeSimKeys(n, 7, false)), nodes_(n) {}

  Config MakeConfig(uint32_t i) const {
    Config c;
    c.self = i;
    c.validator_keys = keys_.public_keys;
    c.signer = keys_.signers[i].get();
    c.verifier = keys_.verifier.get();
    c.chain_id = kChain;
    c.base_timeout_ms = 1000;
    c.max_timeout_ms = 8000;
    return c;
  }
  const sim::SimKeys& keys() const { return keys_; }
  uint32_t n() const { return n_; }

  void StartAll() {
    for (uint32_t i = 0; i < n_; ++i) Restart(i);
  }
  // (Re)creates node i from its persisted state, as the node does after a crash.
  void Restart(uint32_t i) {
    Node& node = nodes_[i];
    Recovery r;
    if (node.safety) r.safety = *node.safety;
    for (const auto& [id, b] : node.blocks) r.blocks.push_back(b);
    auto core = Core::Create(MakeConfig(i), std::move(r));
    ASSERT_TRUE(core.ok()) << core.status();
    node.core = std::move(*core);
    Handle(i, node.core->Start(now_ms));
  }
  void Crash(uint32_t i) { nodes_[i].core.reset(); }
  Core* core(uint32_t i) { return nodes_[i].core.get(); }
  const std::vector<coalition::v1::CommittedBlock>& commits(uint32_t i) {
    return nodes_[i].commits;
  }
  const std::vector<Actions>& bundles(uint32_t i) { return nodes_[i].bundles; }

  void Handle(uint32_t i, Actions a) {
    Node& node = nodes_[i];
    // Contract: a vote or timeout never leaves without the safety state that covers it.
    for (const auto& s : a.sends) CheckCovered(i, a, s.message);
    for (const auto& m : a.broadcasts) CheckCovered(i, a, m);
    if (a.persist_safety) node.safety = *a.persist_safety;
    for (const auto& b : a.persist_blocks) node.blocks[b.id()] = b;
    for (const auto& s : a.sends) inflight_.push_back({i, s.to, s.message});
    for (const auto& m : a.broadcasts) {
      for (uint32_t to = 0; to < n_; ++to) {
        if (to != i) inflight_.push_back({i, to, m});
      }
    }
    for (const auto& c : a.commits) node.commits.push_back(c);
    if (a.payload_request_round) node.payload_round = a.payload_request_round;
    node.bundles.push_back(a);
    if (node.payload_round && *node.payload_round <= propose_until_round && node.core) {
      const uint64_t r = *node.payload_round;
      node.payload_round.reset();
      const std::string payload = r <= payload_until_round ? absl::StrCat("payload-r", r) : "";
      Handle(i, node.core->OnPayload(r, payload, now_ms));
    }
  }

  // Delivers until quiet (bounded), skipping messages to crashed nodes and those `drop` refuses.
  void DeliverAll(size_t max_messages = 100000) {
    for (size_t k = 0; k < max_messages && !inflight_.empty(); ++k) {
      Msg m = std::move(inflight_.front());
      inflight_.pop_front();
      if (drop && drop(m)) continue;
      if (!nodes_[m.to].core) continue;
      Handle(m.to, nodes_[m.to].core->OnMessage(m.from, m.message, now_ms));
    }
  }
  void FireTimers(int64_t at_ms) {
    now_ms = at_ms;
    for (uint32_t i = 0; i < n_; ++i) {
      if (nodes_[i].core) Handle(i, nodes_[i].core->OnTimer(now_ms));
    }
  }

  int64_t now_ms = 1000;
  uint64_t propose_until_round = 1000;
  uint64_t payload_until_round = 1000;  // leaders of later rounds propose empty payloads
  std::function<bool(const Msg&)> drop;

 private:
  struct Node {
    std::unique_ptr<Core> core;
    std::optional<coalition::v1::SafetyState> safety;
    std::map<std::string, coalition::v1::Block> blocks;
    std::vector<coalition::v1::CommittedBlock> commits;
    std::optional<uint64_t> payload_round;
    std::vector<Actions> bundles;
  };
  // Contract: a vote or timeout never leaves unless the safety state that records it is in the
  // same bundle or already persisted.
  void CheckCovered(uint32_t i, const Actions& a, const coalition::v1::ConsensusMessage& m) {
    if (!m.has_vote() && !m.has_timeout()) return;
    const coalition::v1::SafetyState* st =
        a.persist_safety ? &*a.persist_safety : (nodes_[i].safety ? &*nodes_[i].safety : nullptr);
    ASSERT_NE(st, nullptr);
    if (m.has_vote()) {
      EXPECT_EQ(st->last_vote().sig(), m.vote().sig()) << "vote sent without persisted state";
    } else {
      EXPECT_EQ(st->last_timeout().sig(), m.timeout().sig()) << "timeout without persisted state";
    }
  }

  uint32_t n_;
  sim::SimKeys keys_;
  std::vector<Node> nodes_;
  std::deque<Msg> inflight_;
};

// Hand-made, correctly signed protocol objects.
inline coalition::v1::Block MakeBlock(const sim::SimKeys& keys, uint32_t author, uint64_t round,
                                      const coalition::v1::QuorumCert& qc, int64_t time_ms,
                                      const std::string& payload,
                                      const coalition::v1::TimeoutCert* tc = nullptr) {
  coalition::v1::Block b;
  b.set_round(round);
  b.set_height(qc.height() + 1);
  b.set_parent_id(qc.block_id());
  *b.mutable_qc() = qc;
  if (tc != nullptr) *b.mutable_tc() = *tc;
  b.set_author(author);
  b.set_time_ms(time_ms);
  b.set_payload(payload);
  b.set_id(ComputeBlockId(kChain, b));
  b.set_sig(keys.signers[author]->Sign(ProposalSignBytes(kChain, b.id())));
  return b;
}

inline coalition::v1::QuorumCert MakeQc(const sim::SimKeys& keys, const coalition::v1::Block& b,
                                        const std::vector<uint32_t>& signers) {
  coalition::v1::QuorumCert qc;
  qc.set_block_id(b.id());
  qc.set_round(b.round());
  qc.set_height(b.height());
  qc.set_parent_id(b.parent_id());
  qc.set_parent_round(b.qc().round());
  for (uint32_t s : signers) {
    auto* sig = qc.add_sigs();
    sig->set_signer(s);
    sig->set_sig(keys.signers[s]->Sign(VoteSignBytes(kChain, qc)));
  }
  return qc;
}

inline coalition::v1::TimeoutCert MakeTc(const sim::SimKeys& keys, uint64_t round,
                                         const std::vector<std::pair<uint32_t, uint64_t>>& votes) {
  coalition::v1::TimeoutCert tc;
  tc.set_round(round);
  for (const auto& [signer, hqc_round] : votes) {
    tc.add_hqc_rounds(hqc_round);
    auto* sig = tc.add_sigs();
    sig->set_signer(signer);
    sig->set_sig(keys.signers[signer]->Sign(TimeoutSignBytes(kChain, round, hqc_round)));
  }
  return tc;
}

inline coalition::v1::ConsensusMessage Proposal(const coalition::v1::Block& b) {
  coalition::v1::ConsensusMessage m;
  *m.mutable_proposal() = b;
  return m;
}

inline std::vector<coalition::v1::Vote> VotesIn(const Actions& a) {
  std::vector<coalition::v1::Vote> out;
  for (const auto& s : a.sends) {
    if (s.message.has_vote()) out.push_back(s.message.vote());
  }
  return out;
}

}  // namespace coal::consensus::testing

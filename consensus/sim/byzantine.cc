#include "consensus/sim/byzantine.h"

#include "consensus/encoding.h"

namespace coal::consensus::sim {

using coalition::v1::Block;
using coalition::v1::ConsensusMessage;

Block ByzantineBehaviour::Resign(uint32_t node, Block b) const {
  b.set_id(ComputeBlockId(chain_id_, b));
  b.set_sig(keys_->signers[node]->Sign(ProposalSignBytes(chain_id_, b.id())));
  return b;
}

std::string ByzantineBehaviour::Payload(uint32_t node, std::string payload) {
  // A block honest validators must refuse (the simulator's PayloadValidator rejects "BAD...").
  if (nodes_[node].kind == Byzantine::kVoteInvalid) return "BAD" + payload;
  return payload;
}

void ByzantineBehaviour::Observe(uint32_t node, uint32_t from, const ConsensusMessage& m) {
  Node& me = nodes_[node];
  if (me.kind == Byzantine::kReplay) {
    me.seen.push_back(m);
    if (me.seen.size() > kReplayBufferMax) me.seen.pop_front();
  }
  if (me.kind == Byzantine::kVoteInvalid && m.has_proposal()) {
    // Vote for every proposal, whatever the voting rule, payload or round says.
    const Block& b = m.proposal();
    ConsensusMessage v;
    auto* vote = v.mutable_vote();
    vote->set_block_id(b.id());
    vote->set_round(b.round());
    vote->set_height(b.height());
    vote->set_parent_id(b.parent_id());
    vote->set_parent_round(b.qc().round());
    vote->set_voter(node);
    vote->set_sig(keys_->signers[node]->Sign(VoteSignBytes(chain_id_, *vote)));
    me.extra.emplace_back(static_cast<uint32_t>((b.round() + 1) % n_), std::move(v));
  }
}

ConsensusMessage ByzantineBehaviour::Mutate(const ConsensusMessage& in) {
  ConsensusMessage m = in;
  switch (Rand(0, 6)) {
    case 0:  // a wrong signature
      if (m.has_proposal()) m.mutable_proposal()->set_sig(std::string(32, 'x'));
      if (m.has_vote()) m.mutable_vote()->mutable_sig()->append("!");
      if (m.has_timeout()) m.mutable_timeout()->set_sig(std::string(64, '\0'));
      break;
    case 1:  // a field changed after signing
      if (m.has_proposal()) m.mutable_proposal()->set_round(m.proposal().round() + Rand(1, 3));
      if (m.has_vote()) m.mutable_vote()->set_round(m.vote().round() + Rand(1, 3));
      if (m.has_timeout()) m.mutable_timeout()->set_round(m.timeout().round() + Rand(1, 3));
      break;
    case 2:  // claims to be somebody else (or nobody)
      if (m.has_proposal()) m.mutable_proposal()->set_author(static_cast<uint32_t>(Rand(0, n_)));
      if (m.has_vote()) m.mutable_vote()->set_voter(static_cast<uint32_t>(Rand(0, n_)));
      if (m.has_timeout()) m.mutable_timeout()->set_voter(static_cast<uint32_t>(Rand(0, n_)));
      break;
    case 3: {  // a forged or broken certificate
      coalition::v1::QuorumCert* qc = nullptr;
      if (m.has_proposal()) qc = m.mutable_proposal()->mutable_qc();
      if (m.has_vote()) qc = m.mutable_vote()->mutable_high_qc();
      if (m.has_timeout()) qc = m.mutable_timeout()->mutable_high_qc();
      if (qc != nullptr) {
        qc->set_round(qc->round() + 5);
        if (qc->sigs_size() > 0) *qc->add_sigs() = qc->sigs(0);  // a repeated signer
      }
      break;
    }
    case 4: {  // random bytes that happen to parse
      std::string junk(Rand(0, 96), '\0');
      for (char& c : junk) c = static_cast<char>(Rand(0, 255));
      ConsensusMessage parsed;
      if (parsed.ParseFromString(junk)) m = parsed;
      break;
    }
    case 5:  // absurd sizes
      m.Clear();
      m.mutable_fetch()->set_block_id(std::string(32, 'f'));
      m.mutable_fetch()->set_count(UINT32_MAX);
      break;
    default: {  // unrequested or tampered blocks
      ConsensusMessage r;
      auto* resp = r.mutable_blocks();
      if (in.has_proposal()) {
        Block b = in.proposal();
        b.set_payload(b.payload() + "tampered");
        *resp->add_blocks() = b;
      } else {
        resp->add_blocks()->set_round(Rand(0, 100));
      }
      m = r;
      break;
    }
  }
  return m;
}

ByzantineBehaviour::Outbox ByzantineBehaviour::Transform(uint32_t node, Outbox out) {
  Node& me = nodes_[node];
  Outbox result;
  for (auto& e : me.extra) result.push_back(std::move(e));
  me.extra.clear();
  switch (me.kind) {
    case Byzantine::kHonest:
    case Byzantine::kVoteInvalid:
      for (auto& e : out) result.push_back(std::move(e));
      break;
    case Byzantine::kSilent:
      result.clear();
      break;
    case Byzantine::kEquivocate:
      for (auto& [to, m] : out) {
        if (m.has_proposal()) {
          // Two blocks in one round: everyone gets one, some get both, in either order.
          Block alt = m.proposal();
          alt.set_payload(alt.payload() + "~equivocation");
          ConsensusMessage a;
          *a.mutable_proposal() = Resign(node, std::move(alt));
          const uint64_t pick = Rand(0, 3);
          if (pick == 0) {
            result.emplace_back(to, std::move(a));
          } else if (pick == 1) {
            result.emplace_back(to, a);
            result.emplace_back(to, std::move(m));
          } else if (pick == 2) {
            result.emplace_back(to, m);
            result.emplace_back(to, std::move(a));
          } else {
            result.emplace_back(to, std::move(m));
          }
        } else if (m.has_vote()) {
          // Two votes in one round.
          ConsensusMessage v2 = m;
          auto* v = v2.mutable_vote();
          v->set_block_id(std::string(32, static_cast<char>(Rand(0, 255))));
          v->set_sig(keys_->signers[node]->Sign(VoteSignBytes(chain_id_, *v)));
          result.emplace_back(to, std::move(m));
          result.emplace_back(to, std::move(v2));
        } else {
          result.emplace_back(to, std::move(m));
        }
      }
      break;
    case Byzantine::kGarbage:
      for (auto& [to, m] : out) {
        if (Rand(0, 1) == 0) result.emplace_back(to, Mutate(m));
        result.emplace_back(to, std::move(m));
      }
      break;
    case Byzantine::kReplay:
      for (auto& e : out) result.push_back(std::move(e));
      if (!me.seen.empty()) {
        for (uint64_t k = Rand(0, 3); k > 0; --k) {
          const auto& old = me.seen[Rand(0, me.seen.size() - 1)];
          result.emplace_back(static_cast<uint32_t>(Rand(0, n_ - 1)), old);
        }
      }
      break;
  }
  return result;
}

}  // namespace coal::consensus::sim

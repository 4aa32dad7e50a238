// The core's message handlers: proposals (and the voting rule), votes (QC formation), timeouts
// (early timeout and TC formation), block fetches and sync info. Every handler checks shape,
// then certificates, then signatures, and drops what fails with a counted reason.
#include <algorithm>

#include "consensus/core_state.h"
#include "consensus/encoding.h"

namespace coal::consensus {

using coalition::v1::Block;
using coalition::v1::ConsensusMessage;
using coalition::v1::QuorumCert;
using coalition::v1::TimeoutCert;

void CoreAccess::OnMessage(uint32_t from, const ConsensusMessage& message) {
  switch (message.kind_case()) {
    case ConsensusMessage::kProposal:
      return OnProposal(from, message.proposal());
    case ConsensusMessage::kVote:
      return OnVote(from, message.vote());
    case ConsensusMessage::kTimeout:
      return OnTimeout(from, message.timeout());
    case ConsensusMessage::kFetch:
      return OnFetch(from, message.fetch());
    case ConsensusMessage::kBlocks:
      return OnBlocks(from, message.blocks());
    case ConsensusMessage::kSync:
      return OnSync(from, message.sync());
    case ConsensusMessage::KIND_NOT_SET:
      break;
  }
  Count(Reject::kMalformed);
}

// Everything a block must satisfy regardless of our state: shape, leader, id, author signature,
// and the validity of its QC (and TC).
bool CoreAccess::CheckBlock(const Block& b, enum Reject* why) {
  *why = Reject::kMalformed;
  if (b.id().size() != kIdBytes || b.parent_id().size() != kIdBytes || b.round() == 0 ||
      b.height() == 0 || b.author() >= s.n || !b.payload_hash().empty() || !b.has_qc() ||
      b.sig().size() > kSignatureBytesMax) {
    return false;
  }
  // The block extends the block its QC certifies; a TC justifies skipping to the next round.
  if (b.parent_id() != b.qc().block_id() || b.height() != b.qc().height() + 1 ||
      b.round() <= b.qc().round() || (b.has_tc() && b.tc().round() + 1 != b.round())) {
    return false;
  }
  if (b.payload().size() > s.config.max_payload_bytes) {
    *why = Reject::kBadPayload;
    return false;
  }
  if (s.leader->Leader(b.round()) != b.author()) {
    *why = Reject::kWrongLeader;
    return false;
  }
  if (ComputeBlockId(s.config.chain_id, b) != b.id()) {
    *why = Reject::kBadBlockId;
    return false;
  }
  if (!s.validators.VerifyProposal(b).ok()) {
    *why = Reject::kBadSignature;
    return false;
  }
  if (!CheckQc(b.qc()) || (b.has_tc() && !CheckTc(b.tc()))) {
    *why = Reject::kBadCertificate;
    return false;
  }
  return true;
}

void CoreAccess::OnProposal(uint32_t from, const Block& b) {
  enum Reject why;
  if (!CheckBlock(b, &why)) return Count(why);
  if (b.round() <= s.tree.root().round()) return Count(Reject::kStaleRound);
  ApplyQc(b.qc(), from);
  if (b.has_tc()) ApplyTc(b.tc());
  if (b.round() + 1 >= s.round) {
    auto& ids = s.proposals[b.round()];
    if (std::find(ids.begin(), ids.end(), b.id()) == ids.end()) {
      if (!ids.empty()) Count(Reject::kEquivocation);
      if (ids.size() >= kProposalsPerRoundMax) return;
      ids.push_back(b.id());
    }
  }
  if (s.tree.Contains(b.parent_id())) {
    if (InsertBlock(b)) TryVote(b);
    return;
  }
  // The parent is being fetched (ApplyQc asked for it); keep the block until it connects.
  Count(Reject::kUnknownParent);
  if (s.pending.size() >= kPendingBlocksMax) return Count(Reject::kCapacity);
  s.pending.emplace(b.id(), Core::State::Pending{b, from});
}

// Votes for a block in the current round that the voting rule, the clock and the payload
// validator accept; persists the safety state (in the bundle) before the vote leaves.
void CoreAccess::TryVote(const Block& b) {
  if (b.round() != s.round || !s.tree.Contains(b.id())) return;
  const uint64_t lvr = s.safety.last_voted_round();
  if (!core.VotingRuleAllows(b, lvr)) {
    // Having voted or timed out in this round already is normal; anything else is unsafe.
    if (b.round() > lvr) Count(Reject::kUnsafeBlock);
    return;
  }
  const Block* parent = s.tree.Get(b.parent_id());
  if (parent == nullptr) return;
  if (b.time_ms() <= parent->time_ms() || b.time_ms() > s.now_ms + s.config.max_clock_skew_ms) {
    return Count(Reject::kBadTime);
  }
  if (s.config.payload_validator && !s.config.payload_validator(b.payload()).ok()) {
    return Count(Reject::kBadPayload);
  }
  ConsensusMessage m;
  auto* v = m.mutable_vote();
  v->set_block_id(b.id());
  v->set_round(b.round());
  v->set_height(b.height());
  v->set_parent_id(b.parent_id());
  v->set_parent_round(b.qc().round());
  v->set_voter(s.config.self);
  v->set_sig(s.config.signer->Sign(VoteSignBytes(s.config.chain_id, *v)));
  s.safety.set_last_voted_round(b.round());
  s.safety.set_locked_round(std::max(s.safety.locked_round(), b.qc().round()));
  *s.safety.mutable_last_vote() = *v;
  s.safety_dirty = true;
  *v->mutable_high_qc() = s.high_qc;
  SendVoteToStandIn(b.round(), m);
  SendTo(s.leader->Leader(b.round() + 1), std::move(m));
}

void CoreAccess::OnVote(uint32_t from, const coalition::v1::Vote& v) {
  if (v.voter() >= s.n || v.block_id().size() != kIdBytes || v.parent_id().size() != kIdBytes ||
      v.round() == 0 || v.height() == 0 || v.parent_round() >= v.round() ||
      v.sig().size() > kSignatureBytesMax) {
    return Count(Reject::kMalformed);
  }
  if (v.has_high_qc() && !ProcessQc(v.high_qc(), from)) return;
  // Ours to aggregate as the next leader, or as the one after it (stand-in for a silent leader).
  const bool next_leader = s.leader->Leader(v.round() + 1) == s.config.self;
  if (!next_leader && s.leader->Leader(v.round() + 2) != s.config.self) return;
  if (v.round() + 1 < s.round) {
    MaybeSendSync(from, v.round());
    return Count(Reject::kStaleRound);
  }
  if (v.round() > s.round + kRoundsAheadMax) return Count(Reject::kFutureRound);
  if (!s.validators.VerifyVote(v).ok()) return Count(Reject::kBadSignature);
  auto& vr = s.votes[v.round()];
  std::string digest = VoteSignBytes(s.config.chain_id, v);
  auto [it, fresh] = vr.digest_by_voter.emplace(v.voter(), digest);
  if (!fresh) {
    if (it->second != digest) Count(Reject::kEquivocation);
    return;
  }
  QuorumCert& qc = vr.partial[digest];
  if (qc.sigs_size() == 0) {
    qc.set_block_id(v.block_id());
    qc.set_round(v.round());
    qc.set_height(v.height());
    qc.set_parent_id(v.parent_id());
    qc.set_parent_round(v.parent_round());
  }
  auto* sig = qc.add_sigs();
  sig->set_signer(v.voter());
  sig->set_sig(v.sig());
  if (vr.formed || static_cast<uint32_t>(qc.sigs_size()) < s.validators.quorum()) return;
  vr.formed = true;
  QuorumCert formed = qc;
  std::sort(formed.mutable_sigs()->begin(), formed.mutable_sigs()->end(),
            [](const auto& a, const auto& b) { return a.signer() < b.signer(); });
  RememberVerified(QuorumCertDigest(formed));
  ApplyQc(formed, from);
  // As a stand-in nobody else learns of the QC from a proposal: tell them, so they enter the
  // silent leader's round (and time it out) instead of waiting out this one.
  if (!next_leader) s.out->broadcasts.push_back(SyncMessage());
}

void CoreAccess::OnTimeout(uint32_t from, const coalition::v1::Timeout& t) {
  if (t.voter() >= s.n || t.round() == 0 || !t.has_high_qc() || t.high_qc().round() >= t.round() ||
      t.sig().size() > kSignatureBytesMax) {
    return Count(Reject::kMalformed);
  }
  if (!ProcessQc(t.high_qc(), from)) return;
  if (t.has_high_tc() && !ProcessTc(t.high_tc())) return;
  if (t.round() < s.round) {
    MaybeSendSync(from, t.round());
    return Count(Reject::kStaleRound);
  }
  if (t.round() > s.round + kRoundsAheadMax) return Count(Reject::kFutureRound);
  if (!s.validators.VerifyTimeout(t).ok()) return Count(Reject::kBadSignature);
  auto& tr = s.timeouts[t.round()];
  auto [it, fresh] = tr.by_voter.emplace(t.voter(), std::make_pair(t.high_qc().round(), t.sig()));
  if (!fresh) {
    if (it->second.first != t.high_qc().round()) Count(Reject::kEquivocation);
    return;
  }
  // Early timeout: f+1 timeouts from others include an honest one, so the round is lost.
  const uint64_t others = tr.by_voter.size() - tr.by_voter.count(s.config.self);
  if (others >= s.validators.max_faulty() + 1 && s.timeout_joined_round < t.round()) {
    EnterRound(t.round());
    if (s.round == t.round()) LocalTimeout();
  }
  if (tr.formed || tr.by_voter.size() < s.validators.quorum()) return;
  tr.formed = true;
  TimeoutCert tc;
  tc.set_round(t.round());
  for (const auto& [voter, entry] : tr.by_voter) {  // ascending voter order
    tc.add_hqc_rounds(entry.first);
    auto* sig = tc.add_sigs();
    sig->set_signer(voter);
    sig->set_sig(entry.second);
  }
  RememberVerified(TimeoutCertDigest(tc));
  ApplyTc(tc);
}

void CoreAccess::OnFetch(uint32_t from, const coalition::v1::FetchBlocks& f) {
  if (f.block_id().size() != kIdBytes || f.count() == 0) return Count(Reject::kMalformed);
  const auto blocks = s.tree.Ancestors(f.block_id(), std::min(f.count(), kFetchBlocksMax));
  if (blocks.empty()) return;
  ConsensusMessage m;
  auto* resp = m.mutable_blocks();
  resp->set_responder(s.config.self);
  size_t bytes = 0;
  for (const Block* b : blocks) {
    if (b->height() == 0) break;  // genesis is virtual; everybody has it
    bytes += b->ByteSizeLong();
    if (bytes > kFetchResponseBytesMax && resp->blocks_size() > 0) break;
    *resp->add_blocks() = *b;
  }
  if (resp->blocks_size() > 0) SendTo(from, std::move(m));
}

void CoreAccess::OnBlocks(uint32_t from, const coalition::v1::BlocksResponse& r) {
  if (r.blocks_size() == 0 || static_cast<uint32_t>(r.blocks_size()) > kFetchBlocksMax) {
    return Count(Reject::kMalformed);
  }
  // Accept a chain (highest first) that starts at a block we asked for.
  std::vector<const Block*> chain;
  for (const Block& b : r.blocks()) {
    const bool wanted =
        chain.empty() ? s.fetching.count(b.id()) > 0 : b.id() == chain.back()->parent_id();
    if (!wanted) {
      if (chain.empty()) Count(Reject::kUnrequested);
      break;
    }
    enum Reject why;
    if (!CheckBlock(b, &why)) {
      Count(why);
      break;
    }
    chain.push_back(&b);
  }
  if (chain.empty()) return;
  for (const Block* b : chain) s.fetching.erase(b->id());
  // Lowest first, so each block finds its parent.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Block& b = **it;
    if (b.height() <= s.tree.root().height()) continue;
    if (s.tree.Contains(b.parent_id())) {
      if (InsertBlock(b)) {
        ApplyQc(b.qc(), from);
        if (b.has_tc()) ApplyTc(b.tc());
        TryVote(b);
      }
      continue;
    }
    if (s.pending.size() >= kPendingBlocksMax) return Count(Reject::kCapacity);
    s.pending.emplace(b.id(), Core::State::Pending{b, from});
    if (it == chain.rbegin()) RequestFetch(b.parent_id(), b.height() - 1, from);
  }
}

void CoreAccess::OnSync(uint32_t from, const coalition::v1::SyncInfo& sync) {
  if (sync.has_high_qc() && !ProcessQc(sync.high_qc(), from)) return;
  if (sync.has_high_tc() && !ProcessTc(sync.high_tc())) return;
  if (sync.has_high_commit_qc() && !ProcessQc(sync.high_commit_qc(), from)) return;
  const uint64_t their_round = std::max(sync.high_qc().round(), sync.high_tc().round()) + 1;
  MaybeSendSync(from, their_round);
}

}  // namespace coal::consensus

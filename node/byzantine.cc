#include "node/byzantine.h"

#include <spdlog/spdlog.h>

#include "coalition/v1/ledger.pb.h"
#include "consensus/encoding.h"
#include "consensus/validator_set.h"

namespace coal::node {
namespace {

using coalition::v1::Block;
using coalition::v1::ConsensusMessage;
using coalition::v1::PeerEnvelope;

constexpr std::pair<std::string_view, ByzantineMode> kModes[] = {
    {"equivocate", ByzantineMode::kEquivocate}, {"double_vote", ByzantineMode::kDoubleVote},
    {"garbage", ByzantineMode::kGarbage},       {"replay", ByzantineMode::kReplay},
    {"withhold", ByzantineMode::kWithhold},     {"oversized", ByzantineMode::kOversized},
};

// replay: a message is replayed once this many newer ones have been sent, so the copy is stale.
constexpr size_t kReplayLagMessages = 16;

// Inverts every byte, so the length stays plausible and only the signature check can object.
void Spoil(std::string* sig) {
  if (sig->empty()) sig->assign(64, '\x5a');
  for (char& c : *sig) c = static_cast<char>(~c);
}

void SpoilQc(coalition::v1::QuorumCert* qc) {
  for (auto& s : *qc->mutable_sigs()) Spoil(s.mutable_sig());
}

// Reports whether anything was spoiled (fetch requests carry no signature).
bool SpoilSignatures(ConsensusMessage* m) {
  switch (m->kind_case()) {
    case ConsensusMessage::kProposal:
      Spoil(m->mutable_proposal()->mutable_sig());
      return true;
    case ConsensusMessage::kVote:
      Spoil(m->mutable_vote()->mutable_sig());
      return true;
    case ConsensusMessage::kTimeout:
      Spoil(m->mutable_timeout()->mutable_sig());
      return true;
    case ConsensusMessage::kBlocks:
      for (auto& b : *m->mutable_blocks()->mutable_blocks()) Spoil(b.mutable_sig());
      return true;
    case ConsensusMessage::kSync: {
      auto* s = m->mutable_sync();
      if (s->has_high_qc()) SpoilQc(s->mutable_high_qc());
      if (s->has_high_commit_qc()) SpoilQc(s->mutable_high_commit_qc());
      if (s->has_high_tc()) {
        for (auto& sig : *s->mutable_high_tc()->mutable_sigs()) Spoil(sig.mutable_sig());
      }
      return true;
    }
    case ConsensusMessage::kFetch:
    case ConsensusMessage::KIND_NOT_SET:
      break;
  }
  return false;
}

// Reasons an honest peer can trigger too (it is late, early or we are): logged at info, not warn.
bool Benign(std::string_view reason) {
  return reason == "stale_round" || reason == "future_round" || reason == "unknown_parent" ||
         reason == "unrequested" || reason == "capacity";
}

PeerEnvelope Wrap(const ConsensusMessage& m) {
  PeerEnvelope pe;
  *pe.mutable_consensus() = m;
  return pe;
}

}  // namespace

absl::StatusOr<ByzantineMode> ParseByzantineMode(std::string_view name) {
  std::string valid;
  for (const auto& [n, mode] : kModes) {
    if (n == name) return mode;
    valid += valid.empty() ? "" : ", ";
    valid += n;
  }
  return absl::InvalidArgumentError("byzantine_mode '" + std::string(name) +
                                    "' is not one of: " + valid);
}

const char* ByzantineModeName(ByzantineMode mode) {
  for (const auto& [n, m] : kModes) {
    if (m == mode) return n.data();
  }
  return "?";
}

ByzantineSender::ByzantineSender(ByzantineMode mode, ByzantineContext context)
    : mode_(mode), ctx_(std::move(context)) {}

void ByzantineSender::Count(const char* action, uint64_t n) {
  ctx_.metrics
      ->Labelled("coal_byzantine_messages_total", "action", action,
                 "Misbehaviour this devnet node committed on purpose (byzantine_mode)")
      .fetch_add(n);
}

std::vector<Outgoing> ByzantineSender::Rewrite(const std::vector<consensus::Send>& sends,
                                               const std::vector<ConsensusMessage>& broadcasts,
                                               int64_t now_ms) {
  std::vector<Outgoing> out;
  for (const auto& s : sends) {
    if (s.to == ctx_.self) {
      out.push_back({s.to, Wrap(s.message)});
      continue;
    }
    Emit(s.to, s.message, now_ms, &out);
  }
  for (const auto& m : broadcasts) Emit(Outgoing::kAllPeers, m, now_ms, &out);
  return out;
}

void ByzantineSender::Emit(uint32_t to, const ConsensusMessage& msg, int64_t now_ms,
                           std::vector<Outgoing>* out) {
  switch (mode_) {
    case ByzantineMode::kEquivocate:
      if (msg.has_proposal() && to == Outgoing::kAllPeers) return EmitEquivocation(msg, out);
      out->push_back({to, Wrap(msg)});
      return;
    case ByzantineMode::kDoubleVote:
      out->push_back({to, Wrap(msg)});
      if (msg.has_vote()) {
        out->push_back({to, Wrap(DoubleVote(msg.vote()))});
        Count("double_vote");
      }
      return;
    case ByzantineMode::kGarbage: {
      ConsensusMessage bad = msg;
      if (SpoilSignatures(&bad)) Count("spoiled_signature");
      out->push_back({to, Wrap(bad)});
      return;
    }
    case ByzantineMode::kReplay:
      out->push_back({to, Wrap(msg)});
      Remember(to, msg);
      if (ring_.size() > kReplayLagMessages) {
        auto& [old_to, old] = ring_.front();
        out->push_back({old_to, Wrap(old)});
        ring_bytes_ -= old.ByteSizeLong();
        ring_.pop_front();
        Count("replayed");
      }
      return;
    case ByzantineMode::kWithhold:
      if (msg.has_vote() || msg.has_timeout()) {
        Count(msg.has_vote() ? "withheld_vote" : "withheld_timeout");
        return;
      }
      out->push_back({to, Wrap(msg)});
      return;
    case ByzantineMode::kOversized:
      if (msg.has_proposal()) last_proposal_ = msg.proposal();
      out->push_back({to, Wrap(msg)});
      EmitOversized(now_ms, out);
      return;
  }
}

Block ByzantineSender::Twin(const Block& block) const {
  Block twin = block;
  coalition::v1::BlockPayload payload;
  if (!block.payload().empty() && payload.ParseFromString(block.payload()) &&
      payload.entries_size() > 0) {
    payload.mutable_entries()->RemoveLast();  // a different (still valid) batch
    twin.set_payload(payload.entries_size() == 0 ? std::string() : payload.SerializeAsString());
  } else {
    twin.set_time_ms(block.time_ms() + 1);  // nothing to drop: differ in time instead
  }
  twin.set_id(consensus::ComputeBlockId(ctx_.chain_id, twin));
  twin.set_sig(ctx_.signer->Sign(consensus::ProposalSignBytes(ctx_.chain_id, twin.id())));
  return twin;
}

void ByzantineSender::EmitEquivocation(const ConsensusMessage& msg, std::vector<Outgoing>* out) {
  ConsensusMessage twin;
  *twin.mutable_proposal() = Twin(msg.proposal());
  std::vector<uint32_t> peers;
  for (uint32_t i = 0; i < ctx_.validators; ++i) {
    if (i != ctx_.self) peers.push_back(i);
  }
  // First half: original first. Second half (the larger one): twin first. Each peer votes for
  // what it sees first and holds both signed blocks as proof.
  const size_t half = peers.size() / 2;
  for (size_t k = 0; k < peers.size(); ++k) {
    const bool original_first = k < half;
    out->push_back({peers[k], Wrap(original_first ? msg : twin)});
    out->push_back({peers[k], Wrap(original_first ? twin : msg)});
  }
  Count("equivocating_proposal");
}

ConsensusMessage ByzantineSender::DoubleVote(const coalition::v1::Vote& vote) const {
  ConsensusMessage m;
  auto* v = m.mutable_vote();
  *v = vote;
  std::string fabricated = vote.block_id();
  for (char& c : fabricated) c = static_cast<char>(c ^ 0x5a);  // a block nobody proposed
  v->set_block_id(fabricated);
  v->set_sig(ctx_.signer->Sign(consensus::VoteSignBytes(ctx_.chain_id, *v)));
  return m;
}

void ByzantineSender::Remember(uint32_t to, const ConsensusMessage& msg) {
  ring_bytes_ += msg.ByteSizeLong();
  ring_.emplace_back(to, msg);
  while (ring_.size() > kReplayRingMessagesMax ||
         (ring_bytes_ > kReplayRingBytesMax && ring_.size() > 1)) {
    ring_bytes_ -= ring_.front().second.ByteSizeLong();
    ring_.pop_front();
  }
}

void ByzantineSender::EmitOversized(int64_t now_ms, std::vector<Outgoing>* out) {
  if (now_ms < last_oversized_ms_ + kOversizedIntervalMs) return;
  last_oversized_ms_ = now_ms;
  const std::string id(consensus::kIdBytes, '\x01');
  // Just over the limits.
  if (last_proposal_) {
    ConsensusMessage m;
    *m.mutable_proposal() = *last_proposal_;
    m.mutable_proposal()->set_payload(std::string(ctx_.max_block_bytes + 1, 'o'));
    out->push_back({Outgoing::kAllPeers, Wrap(m)});
    Count("oversized_proposal");
  }
  {
    ConsensusMessage m;
    auto* v = m.mutable_vote();
    v->set_block_id(id);
    v->set_parent_id(id);
    v->set_round(1);
    v->set_height(1);
    v->set_voter(ctx_.self);
    v->set_sig(std::string(consensus::kSignatureBytesMax + 1, 's'));
    out->push_back({Outgoing::kAllPeers, Wrap(m)});
    Count("oversized_vote_signature");
  }
  {
    PeerEnvelope pe;
    auto* e = pe.add_entries();
    e->set_payload_type("coalition.v1.Attestation");
    e->set_payload(std::string(ctx_.entry_bytes_max + 1, 'e'));
    out->push_back({Outgoing::kAllPeers, std::move(pe)});
    Count("oversized_entry");
  }
  // Malformed: fields missing, bytes that do not parse.
  out->push_back({Outgoing::kAllPeers, Wrap(ConsensusMessage())});  // no kind at all
  {
    ConsensusMessage m;
    auto* t = m.mutable_timeout();
    t->set_round(1);
    t->set_voter(ctx_.self);
    t->set_sig(std::string(64, 't'));  // and no high_qc
    out->push_back({Outgoing::kAllPeers, Wrap(m)});
  }
  {
    PeerEnvelope pe;
    auto* e = pe.add_entries();
    e->set_payload_type("coalition.v1.Attestation");
    e->set_payload("\xff\xff\xff\xff\x0f not protobuf");
    out->push_back({Outgoing::kAllPeers, std::move(pe)});
  }
  Count("malformed", 3);
}

void ByzantineSender::MutateCosignature(PeerEnvelope* envelope) {
  if (mode_ != ByzantineMode::kGarbage || !envelope->has_cosignature()) return;
  Spoil(envelope->mutable_cosignature()->mutable_sig());
  Count("spoiled_signature");
}

PeerRejections::PeerRejections(Metrics* metrics, std::vector<std::string> validator_ids,
                               uint32_t self)
    : metrics_(metrics), ids_(std::move(validator_ids)), self_(self) {}

std::string PeerRejections::LogLine(std::string_view peer_id, std::string_view reason) {
  return "peer " + std::string(peer_id) + " sent a message rejected as " + std::string(reason) +
         "; further ones are only counted in coal_peer_rejected_total";
}

void PeerRejections::Record(uint32_t peer, std::string_view reason, uint64_t count) {
  // Self-addressed messages are our own; a peer index outside the set never reaches here.
  if (count == 0 || peer == self_ || peer >= ids_.size()) return;
  const std::string& id = ids_[peer];
  // Metrics has one label per series; the label name carries the first pair (ids are validator
  // ids from the genesis, which hold no quotes).
  metrics_
      ->Labelled("coal_peer_rejected_total", "peer=\"" + id + "\",reason", std::string(reason),
                 "Messages from peer validators that were refused, by peer and reason")
      .fetch_add(count);
  {
    std::lock_guard lock(mu_);
    if (!logged_.emplace(peer, std::string(reason)).second) return;
  }
  if (Benign(reason)) {
    spdlog::info("{}", LogLine(id, reason));
  } else {
    spdlog::warn("{}", LogLine(id, reason));
  }
}

void PeerRejections::Record(uint32_t peer, const consensus::Actions& actions) {
  for (size_t i = 0; i < actions.rejected.size(); ++i) {
    Record(peer, consensus::RejectName(static_cast<consensus::Reject>(i)), actions.rejected[i]);
  }
}

}  // namespace coal::node

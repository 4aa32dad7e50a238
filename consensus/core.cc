// Core lifecycle, pacemaker, certificate handling, commits and block fetching. Message handlers
// live in core_messages.cc. Rule references are to DESIGN §6.
#include "consensus/core.h"

#include <algorithm>
#include <limits>
#include <set>

#include "consensus/core_state.h"
#include "consensus/encoding.h"
#include "crypto/status_macros.h"

namespace coal::consensus {

using coalition::v1::Block;
using coalition::v1::CommittedBlock;
using coalition::v1::ConsensusMessage;
using coalition::v1::QuorumCert;
using coalition::v1::TimeoutCert;

const char* RejectName(Reject reason) {
  switch (reason) {
    case Reject::kMalformed:
      return "malformed";
    case Reject::kBadSignature:
      return "bad_signature";
    case Reject::kBadCertificate:
      return "bad_certificate";
    case Reject::kBadBlockId:
      return "bad_block_id";
    case Reject::kWrongLeader:
      return "wrong_leader";
    case Reject::kBadTime:
      return "bad_time";
    case Reject::kBadPayload:
      return "bad_payload";
    case Reject::kUnsafeBlock:
      return "unsafe_block";
    case Reject::kEquivocation:
      return "equivocation";
    case Reject::kStaleRound:
      return "stale_round";
    case Reject::kFutureRound:
      return "future_round";
    case Reject::kUnknownParent:
      return "unknown_parent";
    case Reject::kUnrequested:
      return "unrequested";
    case Reject::kCapacity:
      return "capacity";
    case Reject::kCount:
      break;
  }
  return "unknown";
}

uint32_t Actions::rejected_total() const {
  uint32_t total = 0;
  for (uint32_t c : rejected) total += c;
  return total;
}

Core::State::State(const Config& c)
    : config(c),
      validators(c.validator_keys, c.chain_id, c.verifier),
      round_robin(static_cast<uint32_t>(std::max<size_t>(c.validator_keys.size(), 1))),
      leader(c.leader_election != nullptr ? c.leader_election : &round_robin),
      n(static_cast<uint32_t>(c.validator_keys.size())),
      tree(GenesisBlock(c.chain_id, c.genesis_time_ms)),
      high_qc(GenesisQuorumCert(c.chain_id)),
      sync_replied_round(c.validator_keys.size(), 0) {}

// ----------------------------------------------------------------------------------------------
// Outputs.

void CoreAccess::Count(enum Reject reason) { ++s.out->rejected[static_cast<size_t>(reason)]; }

void CoreAccess::SendTo(uint32_t to, ConsensusMessage message) {
  if (to == s.config.self) {
    if (s.self_queue.size() < kSelfMessagesMax) s.self_queue.push_back(std::move(message));
    return;
  }
  s.out->sends.push_back(Send{to, std::move(message)});
}

void CoreAccess::Broadcast(const ConsensusMessage& message) {
  s.out->broadcasts.push_back(message);
  if (s.self_queue.size() < kSelfMessagesMax) s.self_queue.push_back(message);
}

void CoreAccess::DrainSelf() {
  // Each self message may queue more (own vote -> QC -> ...); the queue bound ends the loop.
  for (size_t i = 0; i < kSelfMessagesMax && !s.self_queue.empty(); ++i) {
    ConsensusMessage m = std::move(s.self_queue.front());
    s.self_queue.pop_front();
    OnMessage(s.config.self, m);
  }
  s.self_queue.clear();
}

void CoreAccess::Finish() {
  DrainSelf();
  RetryFetches();
  if (s.highest_known_commit_height > s.tree.root().height()) {
    if (s.behind_since_ms == 0) s.behind_since_ms = std::max<int64_t>(s.now_ms, 1);
  } else {
    s.behind_since_ms = 0;
  }
  if (s.safety_dirty) {
    *s.safety.mutable_high_qc() = s.high_qc;
    if (s.high_tc.round() > 0) *s.safety.mutable_high_tc() = s.high_tc;
    s.out->persist_safety = s.safety;
    s.safety_dirty = false;
  }
  int64_t deadline = s.round_deadline_ms;
  for (const auto& [id, f] : s.fetching) {
    deadline = std::min(deadline, f.sent_ms + s.config.base_timeout_ms);
  }
  s.out->timer_deadline_ms = deadline;
}

// ----------------------------------------------------------------------------------------------
// Certificates.

void CoreAccess::RememberVerified(const std::string& digest) {
  if (!s.verified_certs.insert(digest).second) return;
  s.verified_order.push_back(digest);
  if (s.verified_order.size() > kVerifiedCertCacheMax) {
    s.verified_certs.erase(s.verified_order.front());
    s.verified_order.pop_front();
  }
}

bool CoreAccess::CheckQc(const QuorumCert& qc) {
  const std::string digest = QuorumCertDigest(qc);
  if (s.verified_certs.count(digest)) return true;
  if (!s.validators.VerifyQuorumCert(qc).ok()) return false;
  RememberVerified(digest);
  return true;
}

bool CoreAccess::CheckTc(const TimeoutCert& tc) {
  const std::string digest = TimeoutCertDigest(tc);
  if (s.verified_certs.count(digest)) return true;
  if (!s.validators.VerifyTimeoutCert(tc).ok()) return false;
  RememberVerified(digest);
  return true;
}

bool CoreAccess::ProcessQc(const QuorumCert& qc, uint32_t from) {
  if (!CheckQc(qc)) {
    Count(Reject::kBadCertificate);
    return false;
  }
  ApplyQc(qc, from);
  return true;
}

bool CoreAccess::ProcessTc(const TimeoutCert& tc) {
  // A TC that changes nothing for us is not worth verifying.
  if (tc.round() <= s.high_tc.round() && tc.round() < s.round) return true;
  if (!CheckTc(tc)) {
    Count(Reject::kBadCertificate);
    return false;
  }
  ApplyTc(tc);
  return true;
}

void CoreAccess::ApplyQc(const QuorumCert& qc, uint32_t from) {
  if (qc.round() > s.high_qc.round()) s.high_qc = qc;
  if (qc.round() == qc.parent_round() + 1 && qc.height() > 0) {
    s.highest_known_commit_height = std::max(s.highest_known_commit_height, qc.height() - 1);
    if (qc.round() > s.best_commit_qc.round()) s.best_commit_qc = qc;
  }
  if (!s.tree.Contains(qc.block_id()) && qc.height() > s.tree.root().height()) {
    RequestFetch(qc.block_id(), qc.height(), from);
  }
  TryCommit();  // before EnterRound, so the new round's timer starts from the reset backoff
  if (qc.round() + 1 > s.round) EnterRound(qc.round() + 1);
  MaybeRequestPayload();
}

void CoreAccess::ApplyTc(const TimeoutCert& tc) {
  if (tc.round() > s.high_tc.round()) s.high_tc = tc;
  if (tc.round() + 1 > s.round) EnterRound(tc.round() + 1);
  MaybeRequestPayload();
}

// The 2-chain commit rule: a QC for B1 whose parent B0 has B1.round == B0.round + 1 commits B0 and
// its ancestors. Each delivered block carries a proof VerifyCommittedBlock accepts.
void CoreAccess::TryCommit() {
  const QuorumCert& qc = s.best_commit_qc;
  const Block& root = s.tree.root();
  if (qc.round() == 0 || qc.height() <= root.height() + 1) return;
  const Block* b1 = s.tree.Get(qc.block_id());
  const Block* b0 = s.tree.Get(qc.parent_id());
  if (b1 == nullptr || b0 == nullptr) return;  // fetching; retried when blocks arrive
  if (b1->parent_id() != b0->id() || b0->round() != qc.parent_round()) return;
  std::vector<const Block*> path = s.tree.PathFromRoot(b0->id());
  if (path.empty()) return;  // does not extend our committed chain (impossible with <= f faults)
  path.push_back(b1);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    CommittedBlock cb;
    *cb.mutable_block() = *path[i];
    *cb.mutable_commit_qc() = qc;
    *cb.mutable_child_qc() = path[i + 1]->qc();
    for (size_t j = i + 1; j + 1 < path.size(); ++j) {
      Block* h = cb.add_descendants();
      *h = *path[j];
      h->set_payload_hash(PayloadDigest(*path[j]));
      h->clear_payload();
    }
    s.out->commits.push_back(std::move(cb));
  }
  const std::string new_root = b0->id();
  std::set<std::string> committed_ids = {s.tree.root().id()};  // the earlier commit, and these
  for (const Block* b : path) committed_ids.insert(b->id());
  ReportAbandoned(s.tree.PruneTo(new_root), committed_ids);
  DropPendingUpTo(s.tree.root().height());
}

void CoreAccess::ReportAbandoned(std::vector<Block> dropped,
                                 const std::set<std::string>& committed) {
  for (Block& b : dropped) {
    if (!committed.count(b.id()) && !b.payload().empty()) {
      s.out->abandoned_payloads.push_back(std::move(*b.mutable_payload()));
    }
  }
}

void CoreAccess::DropPendingUpTo(uint64_t committed_height) {
  for (auto it = s.pending.begin(); it != s.pending.end();) {
    it = it->second.block.height() <= committed_height ? s.pending.erase(it) : std::next(it);
  }
}

// ----------------------------------------------------------------------------------------------
// Pacemaker.

int64_t CoreAccess::RoundTimeoutMs() const {
  // Rounds since the last commit: 2 on the happy path (commit of r-2 happens on entering r).
  const uint64_t since = s.round - std::min(s.round, s.tree.root().round());
  const int exponent =
      static_cast<int>(std::min<uint64_t>(since > 2 ? since - 2 : 0, kBackoffExponentMax));
  const int64_t t = s.config.base_timeout_ms << exponent;
  return std::min(t, s.config.max_timeout_ms);
}

bool CoreAccess::LeaderSilent(uint64_t round) const {
  const uint32_t leader = s.leader->Leader(round);
  if (leader == s.config.self || leader >= s.heard_ms.size()) return false;
  // Measured against the validator heard from last, not our clock: when this node itself stalls
  // (a long fsync, a paused VM) or is cut off from everyone, all its peers age alike and none
  // looks silent.
  int64_t latest = kHeardNever;  // all lost (cut off ourselves): nobody looks silent
  for (uint32_t i = 0; i < s.heard_ms.size(); ++i) {
    if (i != s.config.self) latest = std::max(latest, s.heard_ms[i]);
  }
  return latest - s.heard_ms[leader] >
         std::max<int64_t>(kSilentAfterBaseTimeouts * s.config.base_timeout_ms,
                           kSilentAfterMsPerValidator * s.n);
}

void CoreAccess::SendVoteToStandIn(uint64_t round, const ConsensusMessage& vote) {
  if (!LeaderSilent(round + 1)) return;
  const uint32_t after = s.leader->Leader(round + 2);
  if (after != s.leader->Leader(round + 1)) SendTo(after, vote);
}

int64_t CoreAccess::SilentLeaderTimeoutMs() const {
  return std::max(kSilentLeaderTimeoutMinMs,
                  s.config.base_timeout_ms / kSilentLeaderTimeoutDivisor);
}

void CoreAccess::EnterRound(uint64_t round) {
  if (round <= s.round) return;
  s.round = round;
  s.round_deadline_ms =
      s.now_ms + (LeaderSilent(round) ? SilentLeaderTimeoutMs() : RoundTimeoutMs());
  // Votes for round r-1 are still useful (we may lead r); older aggregations are not.
  s.votes.erase(s.votes.begin(), s.votes.lower_bound(round > 1 ? round - 1 : 0));
  s.timeouts.erase(s.timeouts.begin(), s.timeouts.lower_bound(round));
  s.proposals.erase(s.proposals.begin(), s.proposals.lower_bound(round > 1 ? round - 1 : 0));
  MaybeRequestPayload();
}

void CoreAccess::MaybeRequestPayload() {
  if (!s.started || s.leader->Leader(s.round) != s.config.self) return;
  if (s.proposed_round >= s.round || s.payload_requested_round >= s.round) return;
  // A proposal needs a QC or TC for the previous round (we may have entered this round through
  // f+1 timeouts or a restart); asked again when a certificate or the parent block arrives.
  if (s.high_qc.round() + 1 != s.round && s.high_tc.round() + 1 != s.round) return;
  if (!s.tree.Contains(s.high_qc.block_id())) return;
  s.payload_requested_round = s.round;
  s.out->payload_request_round = s.round;
}

void CoreAccess::Propose(std::string payload) {
  const Block* parent = s.tree.Get(s.high_qc.block_id());
  if (parent == nullptr || s.tree.full()) return;
  if (s.high_qc.round() + 1 != s.round && s.high_tc.round() + 1 != s.round) return;
  if (payload.size() > s.config.max_payload_bytes) {
    Count(Reject::kBadPayload);
    payload.clear();
  }
  Block b;
  b.set_round(s.round);
  b.set_height(parent->height() + 1);
  b.set_parent_id(parent->id());
  *b.mutable_qc() = s.high_qc;
  if (s.high_qc.round() + 1 != s.round) {
    COAL_CHECK(s.high_tc.round() + 1 == s.round);  // we only enter a round through a QC or TC
    *b.mutable_tc() = s.high_tc;
  }
  b.set_author(s.config.self);
  b.set_time_ms(std::max(s.now_ms, parent->time_ms() + 1));
  b.set_payload(std::move(payload));
  b.set_id(ComputeBlockId(s.config.chain_id, b));
  b.set_sig(s.config.signer->Sign(ProposalSignBytes(s.config.chain_id, b.id())));
  s.proposed_round = s.round;
  ConsensusMessage m;
  *m.mutable_proposal() = std::move(b);
  Broadcast(m);  // we vote on our own proposal through the self queue
}

// The timeout rule: sign (r, high_qc.round) only if high_qc.round >= locked_round; then
// last_voted_round = max(last_voted_round, r), persisted before the timeout leaves.
bool CoreAccess::TimedOutThisRound() const {
  return s.safety.has_last_timeout() && s.safety.last_timeout().round() == s.round;
}

void CoreAccess::LocalTimeout() {
  const uint64_t r = s.round;
  ConsensusMessage m;
  if (TimedOutThisRound()) {
    *m.mutable_timeout() = s.safety.last_timeout();  // retransmit the very same timeout
  } else {
    if (s.high_qc.round() < s.safety.locked_round()) return;  // would contradict our lock
    if (r < s.safety.last_voted_round()) return;  // never sign for a round we have passed
    auto* t = m.mutable_timeout();
    t->set_round(r);
    *t->mutable_high_qc() = s.high_qc;
    t->set_voter(s.config.self);
    t->set_sig(s.config.signer->Sign(TimeoutSignBytes(s.config.chain_id, r, s.high_qc.round())));
    s.safety.set_last_voted_round(std::max(s.safety.last_voted_round(), r));
    *s.safety.mutable_last_timeout() = *t;
    s.safety_dirty = true;
  }
  s.timeout_joined_round = r;
  if (s.high_tc.round() > 0) *m.mutable_timeout()->mutable_high_tc() = s.high_tc;
  Broadcast(m);
}

// ----------------------------------------------------------------------------------------------
// Blocks and fetching.

bool CoreAccess::InsertBlock(Block block) {
  const std::string id = block.id();
  if (s.tree.Contains(id)) return true;
  if (s.tree.full()) {
    Count(Reject::kCapacity);
    return false;
  }
  if (!s.tree.Get(block.parent_id())) return false;
  s.out->persist_blocks.push_back(block);
  if (!s.tree.Insert(std::move(block))) {
    s.out->persist_blocks.pop_back();
    Count(Reject::kMalformed);
    return false;
  }
  s.fetching.erase(id);
  ConnectPending({id});
  return true;
}

void CoreAccess::ConnectPending(std::vector<std::string> ready) {
  // Children that waited for these blocks connect now (iteratively, bounded by kPendingBlocksMax).
  std::vector<std::pair<QuorumCert, uint32_t>> connected_qcs;
  while (!ready.empty()) {
    const std::string parent = ready.back();
    ready.pop_back();
    for (auto it = s.pending.begin(); it != s.pending.end();) {
      if (it->second.block.parent_id() != parent) {
        ++it;
        continue;
      }
      Block child = std::move(it->second.block);
      connected_qcs.emplace_back(child.qc(), it->second.from);
      it = s.pending.erase(it);
      const std::string child_id = child.id();
      s.out->persist_blocks.push_back(child);
      if (s.tree.Insert(child)) {
        s.fetching.erase(child_id);
        ready.push_back(child_id);
        if (child.round() == s.round) TryVote(child);
      } else {
        s.out->persist_blocks.pop_back();
      }
    }
  }
  // Certificates of the connected children were verified on arrival; apply them now that the
  // pending map is no longer being walked (a commit prunes it).
  for (const auto& [qc, from] : connected_qcs) ApplyQc(qc, from);
  TryCommit();
  MaybeRequestPayload();
}

void CoreAccess::RequestFetch(const std::string& wanted, uint64_t wanted_height, uint32_t peer) {
  // A block held as pending waits for its own parent: what is missing is the parent of the
  // lowest pending block of that chain. Asking only for `wanted` would ask for nothing once the
  // fetch of that ancestor gave up, and every later block would pile up as pending for good.
  std::string id = wanted;
  uint64_t height = wanted_height;
  for (size_t hops = 0; hops <= kPendingBlocksMax; ++hops) {
    auto p = s.pending.find(id);
    if (p == s.pending.end()) break;
    id = p->second.block.parent_id();
    height = p->second.block.height() - 1;
  }
  if (s.pending.count(id)) return;  // a cycle of ids: only a forged set of blocks does that
  if (s.tree.Contains(id)) {
    // The chain's missing parent is here after all (e.g. the root AdvanceTo installed).
    if (id != wanted) ConnectPending({id});
    return;
  }
  auto it = s.fetching.find(id);
  if (it == s.fetching.end()) {
    if (s.fetching.size() >= kFetchesInFlightMax) {
      Count(Reject::kCapacity);
      return;
    }
    const uint64_t gap = height - std::min(height, s.tree.root().height());
    Core::State::Fetch f;
    f.peer = peer == s.config.self ? (peer + 1) % s.n : peer;
    f.count = static_cast<uint32_t>(std::clamp<uint64_t>(gap, 1, kFetchBlocksMax));
    f.height = height;
    f.sent_ms = s.now_ms - s.config.base_timeout_ms;  // due now
    it = s.fetching.emplace(id, f).first;
  }
  RetryFetches();
}

void CoreAccess::RetryFetches() {
  const uint64_t committed = s.tree.root().height();
  for (auto it = s.fetching.begin(); it != s.fetching.end();) {
    const bool give_up = it->second.height <= committed || it->second.attempts >= 3 * s.n;
    it = give_up ? s.fetching.erase(it) : std::next(it);
  }
  for (auto& [id, f] : s.fetching) {
    if (s.now_ms < f.sent_ms + s.config.base_timeout_ms) continue;
    // First ask the peer that showed us the certificate; then rotate through the others.
    uint32_t peer = (f.peer + f.attempts) % s.n;
    if (peer == s.config.self) peer = (peer + 1) % s.n;
    ++f.attempts;
    f.sent_ms = s.now_ms;
    if (peer == s.config.self) continue;  // n == 1: nobody to ask
    ConsensusMessage m;
    auto* req = m.mutable_fetch();
    req->set_block_id(id);
    req->set_count(f.count);
    req->set_requester(s.config.self);
    s.out->fetches.push_back(FetchRequest{peer, id, f.count});
    SendTo(peer, std::move(m));
  }
}

ConsensusMessage CoreAccess::SyncMessage() const {
  ConsensusMessage m;
  auto* sync = m.mutable_sync();
  *sync->mutable_high_qc() = s.high_qc;
  if (s.high_tc.round() > 0) *sync->mutable_high_tc() = s.high_tc;
  if (s.best_commit_qc.round() > 0) *sync->mutable_high_commit_qc() = s.best_commit_qc;
  sync->set_sender(s.config.self);
  return m;
}

// A peer showed us a round behind ours: help it catch up, at most once per peer per round of ours
// so a hostile peer cannot turn us into an amplifier.
void CoreAccess::MaybeSendSync(uint32_t peer, uint64_t their_round) {
  if (peer == s.config.self || peer >= s.n || their_round >= s.round) return;
  if (s.sync_replied_round[peer] >= s.round) return;
  s.sync_replied_round[peer] = s.round;
  SendTo(peer, SyncMessage());
}

// ----------------------------------------------------------------------------------------------
// Core.

Core::Core(const Config& config) : s_(std::make_unique<State>(config)) {}
Core::~Core() = default;

absl::StatusOr<std::unique_ptr<Core>> Core::Create(const Config& config, Recovery recovery) {
  auto core = std::unique_ptr<Core>(new Core(config));
  RETURN_IF_ERROR(core->Init(std::move(recovery)));
  return core;
}

absl::Status Core::Init(Recovery recovery) {
  State& s = *s_;
  const Config& c = s.config;
  if (c.validator_keys.empty() || c.validator_keys.size() > kValidatorsMax) {
    return absl::InvalidArgumentError("validator count out of range");
  }
  if (c.self >= c.validator_keys.size() || c.signer == nullptr || c.verifier == nullptr) {
    return absl::InvalidArgumentError("self index, signer and verifier are required");
  }
  if (c.signer->public_key() != c.validator_keys[c.self]) {
    return absl::InvalidArgumentError("signer key is not validator_keys[self]");
  }
  if (c.base_timeout_ms <= 0 || c.max_timeout_ms < c.base_timeout_ms || c.max_clock_skew_ms < 0) {
    return absl::InvalidArgumentError("bad round timeouts or clock skew");
  }
  s.safety = std::move(recovery.safety);
  if (s.safety.last_vote().round() > s.safety.last_voted_round() ||
      s.safety.last_timeout().round() > s.safety.last_voted_round()) {
    return absl::DataLossError("safety state: last vote/timeout above last_voted_round");
  }
  if (recovery.last_committed) {
    const CommittedBlock& lc = *recovery.last_committed;
    if (lc.block().id() != ComputeBlockId(c.chain_id, lc.block())) {
      return absl::DataLossError("last committed block id does not match its header");
    }
    s.tree.Reset(lc.block());
    if (lc.commit_qc().round() > 0) s.best_commit_qc = lc.commit_qc();
    for (const QuorumCert* qc : {&lc.commit_qc(), &lc.child_qc()}) {
      if (qc->round() > s.high_qc.round()) s.high_qc = *qc;
    }
  }
  if (s.safety.high_qc().round() > s.high_qc.round()) s.high_qc = s.safety.high_qc();
  s.high_tc = s.safety.high_tc();
  std::sort(recovery.blocks.begin(), recovery.blocks.end(),
            [](const Block& a, const Block& b) { return a.height() < b.height(); });
  for (Block& b : recovery.blocks) {
    if (b.id() != ComputeBlockId(c.chain_id, b)) continue;  // torn or foreign: ignore
    if (b.qc().round() > s.high_qc.round()) s.high_qc = b.qc();
    s.tree.Insert(std::move(b));  // blocks off the committed chain simply do not connect
  }
  // Our own persisted QCs imply commits; re-derive them so blocks committed but not applied
  // before a crash are delivered again (the node skips heights it already applied).
  for (const Block& b : s.tree.BlocksAboveRoot()) {
    if (b.qc().round() == b.qc().parent_round() + 1 && b.qc().round() > s.best_commit_qc.round()) {
      s.best_commit_qc = b.qc();
    }
  }
  if (s.high_qc.round() == s.high_qc.parent_round() + 1 &&
      s.high_qc.round() > s.best_commit_qc.round()) {
    s.best_commit_qc = s.high_qc;
  }
  if (s.best_commit_qc.height() > 0) {
    s.highest_known_commit_height = s.best_commit_qc.height() - 1;
  }
  s.highest_known_commit_height = std::max(s.highest_known_commit_height, s.tree.root().height());
  return absl::OkStatus();
}

Actions Core::Start(int64_t now_ms) {
  Actions out;
  State& s = *s_;
  s.out = &out;
  s.now_ms = now_ms;
  s.started = true;
  s.heard_ms.assign(s.n, now_ms);  // everybody is presumed up until proven silent
  s.lost_ms.assign(s.n, 0);
  CoreAccess a{*this, s};
  a.TryCommit();
  // Resume in the round after our highest certificate, and never below a round we already voted
  // or timed out in (we may not vote there again, but we may time out there).
  a.EnterRound(std::max<uint64_t>(
      {s.high_qc.round() + 1, s.high_tc.round() + 1, s.safety.last_voted_round(), 1}));
  if (s.safety.last_vote().round() == s.round) {
    ConsensusMessage m;
    *m.mutable_vote() = s.safety.last_vote();  // the same signed vote, never a new one
    a.SendTo(s.leader->Leader(s.round + 1), std::move(m));
  }
  out.broadcasts.push_back(a.SyncMessage());  // peers ahead of us answer with theirs
  a.Finish();
  s.out = nullptr;
  return out;
}

Actions Core::OnMessage(uint32_t from, const ConsensusMessage& message, int64_t now_ms) {
  Actions out;
  State& s = *s_;
  s.out = &out;
  s.now_ms = std::max(s.now_ms, now_ms);
  CoreAccess a{*this, s};
  if (from >= s.n || from == s.config.self) {
    a.Count(Reject::kMalformed);
  } else {
    // A peer the transport lost stays silent for one base timeout whatever arrives from it: what
    // it sent just before it went away is still being delivered, and restoring it on that had
    // its rounds time out in full for the whole silence window (2 s of 500 ms stalls).
    if (from < s.heard_ms.size() &&
        (s.lost_ms[from] == 0 || s.now_ms - s.lost_ms[from] > s.config.base_timeout_ms)) {
      s.heard_ms[from] = s.now_ms;
      s.lost_ms[from] = 0;
    }
    a.OnMessage(from, message);
  }
  a.Finish();
  s.out = nullptr;
  return out;
}

Actions Core::OnTimer(int64_t now_ms) {
  Actions out;
  State& s = *s_;
  s.out = &out;
  s.now_ms = std::max(s.now_ms, now_ms);
  CoreAccess a{*this, s};
  if (s.started && s.now_ms >= s.round_deadline_ms) {
    out.round_timed_out = !a.TimedOutThisRound();
    a.LocalTimeout();
    // Retransmit at the same pace while the round does not change (lossy links).
    s.round_deadline_ms = s.now_ms + a.RoundTimeoutMs();
  }
  a.Finish();
  s.out = nullptr;
  return out;
}

Actions Core::OnPeerUnreachable(uint32_t peer, int64_t now_ms) {
  Actions out;
  State& s = *s_;
  s.out = &out;
  s.now_ms = std::max(s.now_ms, now_ms);
  CoreAccess a{*this, s};
  if (s.started && peer < s.heard_ms.size() && peer != s.config.self) {
    // Heard from in the far past: silent as long as anyone else has been heard from (LeaderSilent
    // measures against the peer heard from last, so a node cut off from everyone suspects nobody).
    s.heard_ms[peer] = kHeardNever;
    s.lost_ms[peer] = std::max<int64_t>(s.now_ms, 1);
    const bool voted = s.safety.last_vote().round() == s.round;
    // It leads this round and we have not voted: its proposal will not come. (After our vote the
    // round's fate lies with the next leader's QC; a quick timeout would only race it.)
    if (!voted && s.leader->Leader(s.round) == peer && a.LeaderSilent(s.round)) {
      s.round_deadline_ms = std::min(s.round_deadline_ms, s.now_ms + a.SilentLeaderTimeoutMs());
    }
    // It leads the next round and holds our vote for this one: the leader after it gathers the
    // QC as well (as when the vote is cast for a silent next leader), so send it the same vote.
    if (voted && s.leader->Leader(s.round + 1) == peer) {
      ConsensusMessage m;
      *m.mutable_vote() = s.safety.last_vote();  // the same signed vote, never a new one
      *m.mutable_vote()->mutable_high_qc() = s.high_qc;
      a.SendVoteToStandIn(s.round, m);
    }
  }
  a.Finish();
  s.out = nullptr;
  return out;
}

Actions Core::OnPayload(uint64_t round, std::string payload, int64_t now_ms) {
  Actions out;
  State& s = *s_;
  s.out = &out;
  s.now_ms = std::max(s.now_ms, now_ms);
  CoreAccess a{*this, s};
  if (s.started && round == s.round && s.leader->Leader(round) == s.config.self &&
      s.proposed_round < round) {
    a.Propose(std::move(payload));
  }
  a.Finish();
  s.out = nullptr;
  return out;
}

absl::Status Core::VerifyCommitted(const CommittedBlock& block) const {
  return s_->validators.VerifyCommittedBlock(block);
}

Actions Core::AdvanceTo(const CommittedBlock& block, int64_t now_ms) {
  Actions out;
  State& s = *s_;
  s.out = &out;
  s.now_ms = std::max(s.now_ms, now_ms);
  CoreAccess a{*this, s};
  if (block.block().height() > s.tree.root().height()) {
    if (!s.validators.VerifyCommittedBlock(block).ok()) {
      a.Count(Reject::kBadCertificate);
    } else {
      // The old root and the blocks from it up to the new root's parent were committed (the
      // ledger applied them); every other block dropped leaves the chain uncommitted.
      std::set<std::string> committed = {s.tree.root().id()};
      for (const Block* b : s.tree.Ancestors(block.block().parent_id(),
                                             std::numeric_limits<size_t>::max())) {
        committed.insert(b->id());
      }
      a.ReportAbandoned(s.tree.Reset(block.block()), committed);
      s.highest_known_commit_height =
          std::max(s.highest_known_commit_height, block.block().height());
      a.DropPendingUpTo(block.block().height());
      // Blocks that waited for the new root (or for blocks kept above it) connect now; without
      // this they, and every block built on them, would wait for a parent nobody fetches.
      std::vector<std::string> held = {block.block().id()};
      for (const auto& b : s.tree.BlocksAboveRoot()) held.push_back(b.id());
      a.ConnectPending(std::move(held));
      a.RememberVerified(QuorumCertDigest(block.commit_qc()));
      a.ApplyQc(block.commit_qc(), s.config.self == 0 ? 1 : 0);
    }
  }
  a.Finish();
  s.out = nullptr;
  return out;
}

uint64_t Core::round() const { return s_->round; }
uint64_t Core::committed_height() const { return s_->tree.root().height(); }
uint64_t Core::HighestKnownCommitHeight() const { return s_->highest_known_commit_height; }
int64_t Core::BehindSinceMs() const { return s_->behind_since_ms; }
bool Core::NeedsCatchUp(uint64_t applied_height, int64_t now_ms) const {
  const bool far = s_->highest_known_commit_height > applied_height + kCatchUpLagBlocks;
  const bool stuck = s_->behind_since_ms > 0 && now_ms - s_->behind_since_ms >= kCatchUpStuckMs;
  return far || stuck;
}
bool Core::PayloadAwaitsCommit() const {
  if (s_->tree.AnyPayloadAboveRoot()) return true;
  for (const Block* b : s_->tree.Ancestors(s_->high_qc.block_id(), 2)) {
    if (!b->payload().empty()) return true;
  }
  return false;
}

std::vector<std::string> Core::PayloadsOnProposalBranch() const {
  std::vector<std::string> out;
  for (const Block* b : s_->tree.PathFromRoot(s_->high_qc.block_id())) {
    if (!b->payload().empty()) out.push_back(b->payload());
  }
  return out;
}
const coalition::v1::SafetyState& Core::safety_state() const { return s_->safety; }
Core::Sizes Core::sizes() const {
  return {s_->tree.size(), s_->pending.size(), s_->fetching.size()};
}
uint64_t Core::high_qc_round() const { return s_->high_qc.round(); }

// The voting rule: vote for B in round r only if r > last_voted_round and either r == B.qc.round+1
// or (r == B.tc.round+1 and B.qc.round >= max high-QC round in B.tc).
bool Core::VotingRuleAllows(const Block& block, uint64_t last_voted_round) const {
  const uint64_t r = block.round();
  if (r <= last_voted_round) return false;
  if (r == block.qc().round() + 1) return true;
  return block.has_tc() && r == block.tc().round() + 1 &&
         block.qc().round() >= MaxHighQcRound(block.tc());
}

}  // namespace coal::consensus

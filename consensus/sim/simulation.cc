#include "consensus/sim/simulation.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "consensus/encoding.h"
#include "consensus/sim/byzantine.h"
#include "consensus/sim/sim_keys.h"
#include "crypto/status_macros.h"

namespace coal::consensus::sim {
namespace {

using coalition::v1::Block;
using coalition::v1::CommittedBlock;
using coalition::v1::ConsensusMessage;

constexpr int64_t kSyncIntervalMs = 1000;
constexpr uint32_t kSyncBlocksMax = 64;
constexpr int64_t kPayloadDelayMaxMs = 10;
constexpr uint32_t kPayloadBytesMax = 64;

struct Partition {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::set<uint32_t> group;
  bool symmetric = true;  // else only messages from the group to the rest are lost
};

struct Schedule {
  double loss = 0;
  double duplicate = 0;
  int64_t delay_max_ms = 0;
  double crash_mid_bundle = 0;
  std::vector<Partition> partitions;
  std::set<uint32_t> slow;
  std::string description;
};

struct Event {
  enum Kind {
    kDeliver,
    kTimer,
    kPayload,
    kCrash,
    kRestart,
    kSyncRequest,
    kSyncResponse,
    kPeerLost,  // the transport's hint to `node` that its link to `from` broke
  } kind;
  uint32_t node = 0;
  uint32_t from = 0;
  uint64_t value = 0;  // timer generation, payload round, sync from-height
  ConsensusMessage message = {};
  std::vector<CommittedBlock> blocks = {};
};

struct Host {
  std::unique_ptr<Core> core;
  Byzantine byzantine = Byzantine::kHonest;
  // The disk: survives crashes.
  std::optional<coalition::v1::SafetyState> safety;
  std::map<std::string, Block> blocks;
  std::vector<CommittedBlock> ledger;
  // Volatile.
  int64_t timer_at = -1;
  uint64_t timer_gen = 0;
  int64_t last_sync_ms = -kSyncIntervalMs;
  bool crash_planned = false;  // crash in the middle of the next bundle (pre-GST only)
};

class Simulation {
 public:
  explicit Simulation(const Options& o)
      : o_(o), rng_(o.seed), keys_(MakeSimKeys(o.n, o.seed, o.ed25519)), hosts_(o.n) {
    chain_id_ = "sim-chain";
    genesis_id_ = GenesisBlock(chain_id_, 0).id();
    result_.seed = o.seed;
    result_.n = o.n;
    gst_ms_ = o.faults ? o.fault_phase_ms : 0;
  }

  Result Run();

 private:
  uint64_t Rand(uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  bool Honest(uint32_t i) const { return hosts_[i].byzantine == Byzantine::kHonest; }

  void Schedule(int64_t at, Event ev) {
    events_.emplace(std::make_pair(at, seq_++), std::move(ev));
  }
  Config MakeConfig(uint32_t i) const;
  void PlanFaults();
  void StartHost(uint32_t i);
  void Handle(uint32_t i, Actions actions);
  void SendRaw(uint32_t from, uint32_t to, ConsensusMessage m);
  void Transmit(uint32_t from, uint32_t to, Event ev);
  void CheckVote(uint32_t i, const ConsensusMessage& m);
  void Apply(uint32_t i, const CommittedBlock& cb);
  void Violation(const std::string& what);
  void MaybeSync(uint32_t i);
  void OnEvent(Event& ev);
  bool Live() const;
  void Trace(const Event& ev) const;
  bool trace_ = std::getenv("COAL_SIM_TRACE") != nullptr;

  Options o_;
  std::mt19937_64 rng_;
  SimKeys keys_;
  std::vector<Host> hosts_;
  std::string chain_id_;
  std::string genesis_id_;
  int64_t now_ms_ = 0;
  int64_t gst_ms_ = 0;
  uint64_t seq_ = 0;
  std::map<std::pair<int64_t, uint64_t>, Event> events_;
  struct Schedule sched_;
  std::unique_ptr<ByzantineBehaviour> byz_;
  std::map<uint64_t, std::string> committed_;                   // height -> id (honest)
  std::map<std::pair<uint32_t, uint64_t>, std::string> votes_;  // (honest node, round) -> bytes
  uint64_t gst_height_ = 0;
  bool gst_seen_ = false;
  Result result_;
};

Config Simulation::MakeConfig(uint32_t i) const {
  Config c;
  c.self = i;
  c.validator_keys = keys_.public_keys;
  c.signer = keys_.signers[i].get();
  c.verifier = keys_.verifier.get();
  c.chain_id = chain_id_;
  c.base_timeout_ms = o_.base_timeout_ms;
  c.max_timeout_ms = o_.max_timeout_ms;
  c.max_clock_skew_ms = 1000;
  c.max_payload_bytes = 4096;
  c.payload_validator = [](const std::string& p) {
    return p.rfind("BAD", 0) == 0 ? absl::InvalidArgumentError("invalid payload")
                                  : absl::OkStatus();
  };
  return c;
}

void Simulation::PlanFaults() {
  const uint32_t n = o_.n;
  const uint32_t f = MaxFaulty(n);
  const uint32_t byz = o_.byzantine < 0 ? f : static_cast<uint32_t>(o_.byzantine);
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng_);
  std::string d;
  for (uint32_t k = 0; k < byz && k < n; ++k) {
    hosts_[order[k]].byzantine = static_cast<Byzantine>(Rand(1, 5));
    absl::StrAppend(&d, "byz", order[k], "=", ByzantineName(hosts_[order[k]].byzantine), " ");
  }
  if (!o_.faults) {
    sched_.description = d + "no-network-faults";
    return;
  }
  sched_.loss = Chance(0.7) ? static_cast<double>(Rand(0, 30)) / 100 : 0;
  sched_.duplicate = static_cast<double>(Rand(0, 10)) / 100;
  sched_.delay_max_ms = static_cast<int64_t>(Rand(20, 1500));
  sched_.crash_mid_bundle = Chance(0.5) ? 0.02 : 0;
  const int partitions = static_cast<int>(Rand(0, 3));
  for (int k = 0; k < partitions; ++k) {
    Partition p;
    p.start_ms = static_cast<int64_t>(Rand(0, gst_ms_ - 1000));
    p.end_ms = std::min<int64_t>(gst_ms_, p.start_ms + static_cast<int64_t>(Rand(500, 8000)));
    const uint32_t size = static_cast<uint32_t>(Rand(1, n - 1));
    for (uint32_t j = 0; j < size; ++j) p.group.insert(static_cast<uint32_t>(Rand(0, n - 1)));
    p.symmetric = Chance(0.5);
    absl::StrAppend(&d, p.symmetric ? "partition" : "asym-partition", "[", p.start_ms, ",",
                    p.end_ms, ")x", p.group.size(), " ");
    sched_.partitions.push_back(std::move(p));
  }
  if (Chance(0.3)) {
    sched_.slow.insert(static_cast<uint32_t>(Rand(0, n - 1)));
    absl::StrAppend(&d, "slow=", *sched_.slow.begin(), " ");
  }
  // Crashes of honest replicas, each restarted before GST.
  const int crashes = static_cast<int>(Rand(0, 3));
  for (int k = 0; k < crashes; ++k) {
    const uint32_t node = static_cast<uint32_t>(Rand(0, n - 1));
    if (!Honest(node)) continue;
    const int64_t at = static_cast<int64_t>(Rand(0, gst_ms_ - 2000));
    const int64_t back = std::min<int64_t>(gst_ms_, at + static_cast<int64_t>(Rand(100, 6000)));
    Schedule(at, Event{Event::kCrash, node});
    Schedule(back, Event{Event::kRestart, node});
    absl::StrAppend(&d, "crash", node, "[", at, ",", back, ") ");
  }
  absl::StrAppend(&d, "loss=", sched_.loss, " dup=", sched_.duplicate,
                  " delay<=", sched_.delay_max_ms, " midbundle=", sched_.crash_mid_bundle);
  sched_.description = d;
}

void Simulation::StartHost(uint32_t i) {
  Host& h = hosts_[i];
  Recovery r;
  if (h.safety) r.safety = *h.safety;
  for (const auto& [id, b] : h.blocks) r.blocks.push_back(b);
  if (!h.ledger.empty()) r.last_committed = h.ledger.back();
  const Config config = MakeConfig(i);
  auto core = (Honest(i) && o_.honest_factory) ? o_.honest_factory(config, std::move(r))
                                               : Core::Create(config, std::move(r));
  if (!core.ok())
    return Violation(absl::StrCat("replica ", i, " failed to restart: ", core.status().ToString()));
  h.core = std::move(*core);
  h.timer_at = -1;
  ++h.timer_gen;
  Handle(i, h.core->Start(now_ms_));
}

void Simulation::Violation(const std::string& what) {
  if (!result_.safe) return;
  result_.safe = false;
  result_.violation = absl::StrCat("t=", now_ms_, "ms: ", what);
}

void Simulation::Transmit(uint32_t from, uint32_t to, Event ev) {
  ++result_.messages;
  int64_t delay = static_cast<int64_t>(Rand(o_.delay_min_ms, o_.delay_max_ms));
  if (now_ms_ < gst_ms_) {
    for (const Partition& p : sched_.partitions) {
      if (now_ms_ < p.start_ms || now_ms_ >= p.end_ms) continue;
      const bool from_in = p.group.count(from) > 0;
      const bool to_in = p.group.count(to) > 0;
      if (from_in != to_in && (p.symmetric || from_in)) return;
    }
    if (Chance(sched_.loss)) return;
    delay = static_cast<int64_t>(Rand(0, sched_.delay_max_ms));
    if (sched_.slow.count(from) || sched_.slow.count(to)) delay += 500;
    if (Chance(sched_.duplicate)) {
      Event copy = ev;
      Schedule(now_ms_ + static_cast<int64_t>(Rand(0, sched_.delay_max_ms)), std::move(copy));
    }
  }
  Schedule(now_ms_ + delay, std::move(ev));
}

void Simulation::SendRaw(uint32_t from, uint32_t to, ConsensusMessage m) {
  if (to == from || to >= o_.n) return;
  Event ev{Event::kDeliver, to, from};
  ev.message = std::move(m);
  Transmit(from, to, std::move(ev));
}

void Simulation::CheckVote(uint32_t i, const ConsensusMessage& m) {
  if (!Honest(i) || !m.has_vote()) return;
  const auto& v = m.vote();
  const std::string bytes = VoteSignBytes(chain_id_, v);
  auto [it, fresh] = votes_.emplace(std::make_pair(i, v.round()), bytes);
  if (!fresh && it->second != bytes) {
    Violation(absl::StrCat("honest replica ", i, " sent two different votes in round ", v.round()));
  }
}

void Simulation::Apply(uint32_t i, const CommittedBlock& cb) {
  Host& h = hosts_[i];
  const uint64_t height = cb.block().height();
  if (!Honest(i)) {
    if (height == h.ledger.size() + 1) h.ledger.push_back(cb);
    return;
  }
  if (height >= 1 && height <= h.ledger.size()) {
    if (h.ledger[height - 1].block().id() != cb.block().id()) {
      Violation(absl::StrCat("replica ", i, " re-delivered a different block at height ", height));
    }
    return;  // re-delivery after a restart: already applied
  }
  if (height != h.ledger.size() + 1) {
    return Violation(
        absl::StrCat("replica ", i, " committed height ", height, " after ", h.ledger.size()));
  }
  const std::string& parent = h.ledger.empty() ? genesis_id_ : h.ledger.back().block().id();
  if (cb.block().parent_id() != parent) {
    return Violation(
        absl::StrCat("replica ", i, " committed a block not extending its log at ", height));
  }
  if (auto st = h.core->VerifyCommitted(cb); !st.ok()) {
    return Violation(absl::StrCat("replica ", i, " delivered an unverifiable commit at ", height,
                                  ": ", st.ToString()));
  }
  auto [it, fresh] = committed_.emplace(height, cb.block().id());
  if (!fresh && it->second != cb.block().id()) {
    return Violation(
        absl::StrCat("fork: replica ", i, " committed a different block at height ", height));
  }
  h.ledger.push_back(cb);
  for (auto b = h.blocks.begin(); b != h.blocks.end();) {
    b = b->second.height() <= height ? h.blocks.erase(b) : std::next(b);
  }
  result_.commit_latency_ms.push_back(now_ms_ - cb.block().time_ms());
  result_.commit_latency_rounds.push_back(h.core->round() - cb.block().round());
}

// Carries out a bundle the way the node must: safety, blocks, sends, commits, timer, payload. A
// planned crash cuts the bundle at a random point, losing everything after it.
void Simulation::Handle(uint32_t i, Actions actions) {
  Host& h = hosts_[i];
  if (!h.core) return;
  for (uint32_t c : actions.rejected) result_.rejected += Honest(i) ? c : 0;
  int cut = -1;
  if (h.crash_planned && now_ms_ < gst_ms_) {
    h.crash_planned = false;
    cut = static_cast<int>(Rand(0, 3));
  }
  auto crash = [&] {
    h.core.reset();
    ++h.timer_gen;
    ++result_.restarts;
    Schedule(now_ms_ + static_cast<int64_t>(Rand(50, 2000)), Event{Event::kRestart, i});
  };
  if (cut == 0) return crash();
  if (actions.persist_safety) h.safety = *actions.persist_safety;
  if (cut == 1) return crash();
  for (const Block& b : actions.persist_blocks) h.blocks[b.id()] = b;
  if (cut == 2) return crash();
  std::vector<std::pair<uint32_t, ConsensusMessage>> out;
  for (auto& s : actions.sends) out.emplace_back(s.to, std::move(s.message));
  for (auto& m : actions.broadcasts) {
    for (uint32_t to = 0; to < o_.n; ++to) {
      if (to != i) out.emplace_back(to, m);
    }
  }
  if (byz_ && !Honest(i)) out = byz_->Transform(i, std::move(out));
  const size_t send_count = cut == 3 ? out.size() / 2 : out.size();
  for (size_t k = 0; k < send_count; ++k) {
    CheckVote(i, out[k].second);
    SendRaw(i, out[k].first, std::move(out[k].second));
  }
  if (cut == 3) return crash();
  for (const auto& cb : actions.commits) Apply(i, cb);
  if (actions.timer_deadline_ms && *actions.timer_deadline_ms != h.timer_at) {
    h.timer_at = *actions.timer_deadline_ms;
    Event ev{Event::kTimer, i};
    ev.value = ++h.timer_gen;
    Schedule(std::max(now_ms_, h.timer_at), std::move(ev));
  }
  if (actions.payload_request_round) {
    Event ev{Event::kPayload, i};
    ev.value = *actions.payload_request_round;
    Schedule(now_ms_ + static_cast<int64_t>(Rand(0, kPayloadDelayMaxMs)), std::move(ev));
  }
  MaybeSync(i);
}

// The node's catch-up by height range (DESIGN §6): far behind, fetch committed blocks from a peer.
void Simulation::MaybeSync(uint32_t i) {
  Host& h = hosts_[i];
  if (!h.core) return;
  if (!h.core->NeedsCatchUp(h.ledger.size(), now_ms_)) return;
  if (now_ms_ < h.last_sync_ms + kSyncIntervalMs) return;
  h.last_sync_ms = now_ms_;
  uint32_t peer = static_cast<uint32_t>(Rand(0, o_.n - 2));
  if (peer >= i) ++peer;
  Event ev{Event::kSyncRequest, peer, i};
  ev.value = h.ledger.size() + 1;
  Transmit(i, peer, std::move(ev));
}

void Simulation::OnEvent(Event& ev) {
  Host& h = hosts_[ev.node];
  switch (ev.kind) {
    case Event::kDeliver:
      if (!h.core) return;
      if (byz_ && !Honest(ev.node)) byz_->Observe(ev.node, ev.from, ev.message);
      return Handle(ev.node, h.core->OnMessage(ev.from, ev.message, now_ms_));
    case Event::kTimer:
      if (!h.core || ev.value != h.timer_gen) return;
      h.timer_at = -1;
      // Before GST the transport's hint is also wrong at times (a link breaks, the peer lives):
      // liveness may suffer, safety must not.
      if (now_ms_ < gst_ms_ && Chance(0.05)) {
        uint32_t peer = static_cast<uint32_t>(Rand(0, o_.n - 2));
        if (peer >= ev.node) ++peer;
        Schedule(now_ms_ + static_cast<int64_t>(Rand(0, 50)),
                 Event{Event::kPeerLost, ev.node, peer});
      }
      return Handle(ev.node, h.core->OnTimer(now_ms_));
    case Event::kPayload: {
      if (!h.core) return;
      std::string payload = absl::StrCat("p", ev.node, "-r", ev.value, "-");
      payload.append(Rand(0, kPayloadBytesMax), static_cast<char>('a' + Rand(0, 25)));
      if (byz_ && !Honest(ev.node)) payload = byz_->Payload(ev.node, std::move(payload));
      return Handle(ev.node, h.core->OnPayload(ev.value, std::move(payload), now_ms_));
    }
    case Event::kCrash:
      if (!h.core) return;
      if (sched_.crash_mid_bundle > 0 && Chance(0.5)) {
        h.crash_planned = true;  // the next bundle is cut short instead
        return;
      }
      h.core.reset();
      ++h.timer_gen;
      ++result_.restarts;
      // The others' streams to it break: their transports tell them, a little later each.
      for (uint32_t j = 0; j < o_.n; ++j) {
        if (j != ev.node && hosts_[j].core) {
          Schedule(now_ms_ + static_cast<int64_t>(Rand(1, 50)),
                   Event{Event::kPeerLost, j, ev.node});
        }
      }
      return;
    case Event::kPeerLost:
      if (!h.core) return;
      return Handle(ev.node, h.core->OnPeerUnreachable(ev.from, now_ms_));
    case Event::kRestart:
      if (h.core) return;
      return StartHost(ev.node);
    case Event::kSyncRequest: {
      if (!h.core || !Honest(ev.node)) return;
      Event resp{Event::kSyncResponse, ev.from, ev.node};
      for (uint64_t height = ev.value;
           height <= h.ledger.size() && resp.blocks.size() < kSyncBlocksMax; ++height) {
        resp.blocks.push_back(h.ledger[height - 1]);
      }
      if (!resp.blocks.empty()) Transmit(ev.node, ev.from, std::move(resp));
      return;
    }
    case Event::kSyncResponse:
      for (const CommittedBlock& cb : ev.blocks) {
        if (!h.core || cb.block().height() != h.ledger.size() + 1) return;
        const std::string& parent = h.ledger.empty() ? genesis_id_ : h.ledger.back().block().id();
        if (cb.block().parent_id() != parent || !h.core->VerifyCommitted(cb).ok()) return;
        Apply(ev.node, cb);
        Handle(ev.node, h.core->AdvanceTo(cb, now_ms_));
      }
      return;
  }
}

// Debug aid (COAL_SIM_TRACE=1): one line per event after it ran.
void Simulation::Trace(const Event& ev) const {
  const Host& h = hosts_[ev.node];
  std::string what = absl::StrCat("kind=", ev.kind);
  const auto& m = ev.message;
  if (ev.kind == Event::kDeliver) {
    if (m.has_proposal())
      what =
          absl::StrCat("proposal r", m.proposal().round(), " h", m.proposal().height(), " qc",
                       m.proposal().qc().round(),
                       m.proposal().has_tc() ? absl::StrCat(" tc", m.proposal().tc().round()) : "");
    if (m.has_vote()) what = absl::StrCat("vote r", m.vote().round(), " by ", m.vote().voter());
    if (m.has_timeout())
      what = absl::StrCat("timeout r", m.timeout().round(), " hqc", m.timeout().high_qc().round(),
                          " by ", m.timeout().voter());
    if (m.has_sync())
      what =
          absl::StrCat("sync hqc", m.sync().high_qc().round(), " htc", m.sync().high_tc().round());
    if (m.has_fetch()) what = "fetch";
    if (m.has_blocks()) what = absl::StrCat("blocks x", m.blocks().blocks_size());
  }
  std::fprintf(stderr, "t=%lld node=%u from=%u %s -> round=%llu lvr=%llu hqc=%llu height=%zu\n",
               (long long)now_ms_, ev.node, ev.from, what.c_str(),
               (unsigned long long)(h.core ? h.core->round() : 0),
               (unsigned long long)(h.core ? h.core->safety_state().last_voted_round() : 0),
               (unsigned long long)(h.core ? h.core->high_qc_round() : 0), h.ledger.size());
}

bool Simulation::Live() const {
  for (uint32_t i = 0; i < o_.n; ++i) {
    if (Honest(i) && hosts_[i].ledger.size() < gst_height_ + o_.liveness_blocks) return false;
  }
  return true;
}

Result Simulation::Run() {
  PlanFaults();
  result_.faults = sched_.description;
  byz_ = std::make_unique<ByzantineBehaviour>(&rng_, chain_id_, o_.n, &keys_);
  for (uint32_t i = 0; i < o_.n; ++i) byz_->Assign(i, hosts_[i].byzantine);
  for (uint32_t i = 0; i < o_.n; ++i) StartHost(i);
  const int64_t end_ms = o_.run_ms > 0 ? o_.run_ms : gst_ms_ + o_.liveness_window_ms;
  while (!events_.empty() && result_.safe) {
    auto it = events_.begin();
    if (it->first.first > end_ms) break;
    now_ms_ = it->first.first;
    if (!gst_seen_ && now_ms_ >= gst_ms_) {
      gst_seen_ = true;
      for (uint32_t i = 0; i < o_.n; ++i) {
        if (Honest(i)) gst_height_ = std::max<uint64_t>(gst_height_, hosts_[i].ledger.size());
      }
    }
    Event ev = std::move(it->second);
    events_.erase(it);
    OnEvent(ev);
    if (trace_) Trace(ev);
    if (++result_.events > o_.events_max) {
      result_.violation = "event budget exhausted";
      break;
    }
    if (o_.run_ms == 0 && gst_seen_ && Live()) {
      result_.live = true;
      result_.liveness_ms = now_ms_ - gst_ms_;
      break;
    }
  }
  result_.min_honest_height = UINT64_MAX;
  for (uint32_t i = 0; i < o_.n; ++i) {
    if (!Honest(i)) continue;
    result_.min_honest_height =
        std::min<uint64_t>(result_.min_honest_height, hosts_[i].ledger.size());
    result_.max_honest_height =
        std::max<uint64_t>(result_.max_honest_height, hosts_[i].ledger.size());
    if (hosts_[i].core) result_.last_round = std::max(result_.last_round, hosts_[i].core->round());
  }
  if (o_.run_ms > 0) result_.live = result_.min_honest_height > 0;
  if (result_.safe && !result_.live && result_.violation.empty()) {
    result_.violation =
        absl::StrCat("no liveness within ", o_.liveness_window_ms, "ms after GST (heights ",
                     result_.min_honest_height, "..", result_.max_honest_height, ", needed ",
                     gst_height_ + o_.liveness_blocks, ")");
  }
  return result_;
}

}  // namespace

const char* ByzantineName(Byzantine b) {
  switch (b) {
    case Byzantine::kHonest:
      return "honest";
    case Byzantine::kSilent:
      return "silent";
    case Byzantine::kEquivocate:
      return "equivocate";
    case Byzantine::kVoteInvalid:
      return "vote-invalid";
    case Byzantine::kGarbage:
      return "garbage";
    case Byzantine::kReplay:
      return "replay";
  }
  return "?";
}

std::string Result::Summary() const {
  return absl::StrCat("n=", n, " seed=", seed, safe ? " safe" : " UNSAFE",
                      live ? " live" : " NOT-LIVE", " heights=", min_honest_height, "..",
                      max_honest_height, " liveness_ms=", liveness_ms, " events=", events,
                      " msgs=", messages, " rejected=", rejected, " restarts=", restarts,
                      violation.empty() ? "" : " :: " + violation, " | faults: ", faults);
}

Result RunSimulation(const Options& options) { return Simulation(options).Run(); }

}  // namespace coal::consensus::sim

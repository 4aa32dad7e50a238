// Internal to consensus/: the Core's state and the step helpers shared by core.cc (lifecycle,
// pacemaker, certificates, commits) and core_messages.cc (one handler per message kind). Not part
// of the public API.
//
// Thread safety: none (the Core is single-threaded).
#pragma once

#include <deque>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "consensus/block_tree.h"
#include "consensus/core.h"
#include "consensus/validator_set.h"

namespace coal::consensus {

// Named limits (TigerBeetle style): every buffer the core keeps is bounded.
inline constexpr uint64_t kRoundsAheadMax = 64;   // votes/timeouts buffered past our round
inline constexpr size_t kPendingBlocksMax = 256;  // blocks waiting for their parent
inline constexpr size_t kFetchesInFlightMax = 32;
inline constexpr uint32_t kFetchBlocksMax = 64;  // blocks per FetchBlocks request/answer
inline constexpr size_t kFetchResponseBytesMax = 16 << 20;
inline constexpr size_t kVerifiedCertCacheMax = 4096;
inline constexpr size_t kProposalsPerRoundMax = 2;  // kept so an equivocation can be served
inline constexpr size_t kSelfMessagesMax = 64;      // self-addressed messages per input
inline constexpr int kBackoffExponentMax = 20;
// A leader is presumed down (crashed, cut off) when nothing has arrived from it for longer than
// kSilentAfterBaseTimeouts base timeouts, and at least kSilentAfterMsPerValidator per validator,
// counted back from the last message of any peer (an idle cluster proposes an empty block every
// 150 ms, so each leader is heard from every n * 150 ms even when nothing happens). A round it
// leads times out after 1/200 of the base timeout (5 ms at the default 1 s, at least the floor)
// with no backoff, and votes for the round before it also go to the leader after it, which forms
// that QC as a stand-in. Before, one dead validator cost a full backed-off timeout every n rounds
// and 4 validators ran ~25x slower; with a tenth of the base timeout (100 ms) one validator down
// still cost 4 validators over half their throughput (64 clients: ~770/s instead of ~1,700/s);
// with 5 ms it costs none (the 3 left do less work: ~1,900/s). A leader silent for seconds will
// not propose within milliseconds, so a longer wait only buys stall. Timeouts and who gathers
// votes are local choices: this touches liveness only, never safety.
inline constexpr int64_t kSilentAfterBaseTimeouts = 2;
inline constexpr int64_t kSilentAfterMsPerValidator = 500;
inline constexpr int64_t kSilentLeaderTimeoutDivisor = 200;
inline constexpr int64_t kSilentLeaderTimeoutMinMs = 5;
// heard_ms of a peer the transport lost (Core::OnPeerUnreachable): older than any clock, and far
// enough from INT64_MIN that LeaderSilent's subtraction cannot overflow.
inline constexpr int64_t kHeardNever = std::numeric_limits<int64_t>::min() / 2;

struct Core::State {
  State(const Config& c);

  Config config;
  ValidatorSet validators;
  RoundRobinLeaderElection round_robin;
  const LeaderElection* leader;
  uint32_t n;

  coalition::v1::SafetyState safety;
  bool safety_dirty = false;
  BlockTree tree;
  coalition::v1::QuorumCert high_qc;
  coalition::v1::TimeoutCert high_tc;        // round 0 = none
  coalition::v1::QuorumCert best_commit_qc;  // highest QC with round == parent_round + 1
  uint64_t highest_known_commit_height = 0;
  int64_t behind_since_ms = 0;  // since when highest_known_commit_height > our root; 0 = not behind

  uint64_t round = 0;
  int64_t round_deadline_ms = 0;
  std::vector<int64_t> heard_ms;  // per validator: when a message from it last arrived
  std::vector<int64_t> lost_ms;   // per validator: when the transport reported it lost; 0 = not
  int64_t now_ms = 0;
  bool started = false;
  uint64_t proposed_round = 0;  // last round we proposed in
  uint64_t payload_requested_round = 0;
  uint64_t timeout_joined_round = 0;  // last round we timed out in (this incarnation)

  struct VoteRound {
    std::map<uint32_t, std::string> digest_by_voter;
    std::map<std::string, coalition::v1::QuorumCert> partial;  // by vote digest
    bool formed = false;
  };
  std::map<uint64_t, VoteRound> votes;
  struct TimeoutRound {
    std::map<uint32_t, std::pair<uint64_t, std::string>> by_voter;  // hqc round, sig
    bool formed = false;
  };
  std::map<uint64_t, TimeoutRound> timeouts;
  std::map<uint64_t, std::vector<std::string>> proposals;  // round -> ids received

  struct Pending {
    coalition::v1::Block block;
    uint32_t from = 0;
  };
  std::map<std::string, Pending> pending;  // by id, waiting for the parent
  struct Fetch {
    uint32_t peer = 0;
    uint32_t attempts = 0;
    uint32_t count = 0;
    uint64_t height = 0;
    int64_t sent_ms = 0;
  };
  std::map<std::string, Fetch> fetching;

  std::set<std::string> verified_certs;
  std::deque<std::string> verified_order;
  std::vector<uint64_t> sync_replied_round;  // per peer

  Actions* out = nullptr;
  std::deque<coalition::v1::ConsensusMessage> self_queue;
};

}  // namespace coal::consensus

namespace coal::consensus {

// The core's step logic, with access to Core's private state. One instance per input.
struct CoreAccess {
  Core& core;
  Core::State& s;

  // core.cc: outputs, certificates, pacemaker, commits, fetches.
  void Count(enum Reject reason);
  void SendTo(uint32_t to, coalition::v1::ConsensusMessage message);
  void Broadcast(const coalition::v1::ConsensusMessage& message);
  void DrainSelf();
  void Finish();
  bool CheckQc(const coalition::v1::QuorumCert& qc);
  bool CheckTc(const coalition::v1::TimeoutCert& tc);
  void RememberVerified(const std::string& digest);
  bool ProcessQc(const coalition::v1::QuorumCert& qc, uint32_t from);
  bool ProcessTc(const coalition::v1::TimeoutCert& tc);
  void ApplyQc(const coalition::v1::QuorumCert& qc, uint32_t from);
  void ApplyTc(const coalition::v1::TimeoutCert& tc);
  void TryCommit();
  // Forgets pending blocks at or below a committed height: they can never connect.
  void DropPendingUpTo(uint64_t committed_height);
  // Reports the payloads of `dropped` blocks (left the tree) that are not in `committed`, so
  // their entries can be proposed again at once.
  void ReportAbandoned(std::vector<coalition::v1::Block> dropped,
                       const std::set<std::string>& committed);
  void EnterRound(uint64_t round);
  int64_t RoundTimeoutMs() const;
  // True when nothing arrived from `round`'s leader (not us) for long (kSilentAfter...).
  bool LeaderSilent(uint64_t round) const;
  int64_t SilentLeaderTimeoutMs() const;
  // A vote for `round` goes to its next leader; when that leader is silent (presumed down), the
  // leader after it gathers the QC as well and shares it, so the block is not abandoned when the
  // silent leader's round times out. Sends `vote` to that stand-in, if any.
  void SendVoteToStandIn(uint64_t round, const coalition::v1::ConsensusMessage& vote);
  void MaybeRequestPayload();
  // This node signed a timeout for the current round already (LocalTimeout resends that one).
  bool TimedOutThisRound() const;
  void LocalTimeout();
  // Asks a peer for `id` or, when `id` is pending, for the missing parent of its pending chain.
  void RequestFetch(const std::string& id, uint64_t height, uint32_t peer);
  // Moves pending blocks whose parent is one of `ready` (or one connected by this) into the tree.
  void ConnectPending(std::vector<std::string> ready);
  void RetryFetches();
  bool InsertBlock(coalition::v1::Block block);
  void MaybeSendSync(uint32_t peer, uint64_t their_round);
  coalition::v1::ConsensusMessage SyncMessage() const;
  void Propose(std::string payload);

  // core_messages.cc: one handler per message kind.
  void OnMessage(uint32_t from, const coalition::v1::ConsensusMessage& message);
  bool CheckBlock(const coalition::v1::Block& block, enum Reject* why);
  void OnProposal(uint32_t from, const coalition::v1::Block& block);
  void TryVote(const coalition::v1::Block& block);
  void OnVote(uint32_t from, const coalition::v1::Vote& vote);
  void OnTimeout(uint32_t from, const coalition::v1::Timeout& timeout);
  void OnFetch(uint32_t from, const coalition::v1::FetchBlocks& fetch);
  void OnBlocks(uint32_t from, const coalition::v1::BlocksResponse& response);
  void OnSync(uint32_t from, const coalition::v1::SyncInfo& sync);
};

}  // namespace coal::consensus

// The consensus core: Jolteon / DiemBFT v4 style chained BFT with a 2-chain commit (DESIGN §6).
//
// Contract. A Core is a pure, deterministic state machine. Inputs are peer messages, timer expiry
// and payloads the node supplies on request, each with the node's local time; every input returns
// an Actions bundle that the caller must carry out IN THIS ORDER:
//   1. persist_safety (synced) - nothing else in the bundle may leave the node before it is
//      durable; if persisting fails, drop the whole bundle (the core stays safe either way);
//   2. persist_blocks (synced) - the uncommitted block tree, so a full restart resumes;
//   3. sends and broadcasts (broadcasts go to every validator except self);
//   4. commits - apply in order; each height is delivered exactly once per Core instance;
//   5. timer_deadline_ms - call OnTimer(now) once now >= deadline (spurious calls are harmless);
//   6. payload_request_round - answer later with OnPayload(round, payload, now).
// Messages the core addresses to itself are handled inside the core and never appear in sends.
// The core owns no socket, clock, thread, file or random source. Hostile input never aborts it:
// bad messages are dropped and counted in Actions::rejected.
//
// Recovery: build a Core from the persisted SafetyState, the persisted uncommitted blocks and the
// last committed block; the core never signs a vote or timeout that contradicts the persisted
// state, so a restart never double-votes.
//
// Catch-up: a core that sees a QC for a block it lacks fetches the missing blocks from peers
// (FetchBlocks in `sends`). A node far behind (HighestKnownCommitHeight() well above its own
// height), or behind at all for a while (BehindSinceMs(): the blocks it misses may be below every
// peer's tree root, where FetchBlocks cannot reach), fetches committed blocks by height from
// peers, checks each with VerifyCommittedBlock and, after applying it, calls AdvanceTo.
//
// Thread safety: none. A Core must be used by one thread at a time (the node's consensus loop).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coalition/v1/consensus.pb.h"
#include "consensus/leader_election.h"
#include "crypto/ed25519.h"

namespace coal::consensus {

// Voters refuse blocks whose payload fails this check. Must be deterministic.
using PayloadValidator = std::function<absl::Status(const std::string& payload)>;

struct Config {
  uint32_t self = 0;                           // this validator's index in validator_keys
  std::vector<std::string> validator_keys;     // Ed25519 public keys; index = validator index
  const crypto::Signer* signer = nullptr;      // must hold validator_keys[self]; not owned
  const crypto::Verifier* verifier = nullptr;  // not owned
  std::string chain_id;                        // mixed into every signed message
  int64_t genesis_time_ms = 0;                 // time of the virtual genesis block (height 0)
  int64_t base_timeout_ms = 1000;              // round timer right after a commit
  int64_t max_timeout_ms = 60000;              // cap of the exponential backoff
  int64_t max_clock_skew_ms = 5000;            // a block time may run this far ahead of ours
  uint64_t max_payload_bytes = 1 << 20;
  const LeaderElection* leader_election = nullptr;  // not owned; null = round-robin
  PayloadValidator payload_validator;               // empty = accept every payload
};

// n validators tolerate f = floor((n-1)/3) faults; a quorum is floor(2n/3)+1 distinct signers.
inline uint32_t MaxFaulty(size_t n) { return n == 0 ? 0 : static_cast<uint32_t>((n - 1) / 3); }
inline uint32_t QuorumSize(size_t n) { return static_cast<uint32_t>(2 * n / 3 + 1); }

// What the node persisted, handed back on restart. All fields may be empty on first start.
struct Recovery {
  coalition::v1::SafetyState safety;
  std::vector<coalition::v1::Block> blocks;  // uncommitted tree above last_committed, any order
  std::optional<coalition::v1::CommittedBlock> last_committed;  // absent: genesis
};

// Why an input was dropped (for metrics). Keep RejectName in sync.
enum class Reject : uint8_t {
  kMalformed = 0,   // missing or oversized fields, bad lengths, unknown validator index
  kBadSignature,    // a vote, timeout or proposal signature does not verify
  kBadCertificate,  // a QC or TC without 2f+1 distinct valid signatures
  kBadBlockId,      // the id is not the hash of the header
  kWrongLeader,     // proposal by a validator that does not lead its round
  kBadTime,         // block time not after the parent's, or too far ahead of our clock
  kBadPayload,      // payload too large or refused by the PayloadValidator
  kUnsafeBlock,     // the voting rule refuses the block (round, lock or TC condition)
  kEquivocation,    // a second, different proposal/vote/timeout from one signer in a round
  kStaleRound,      // for a round we have left
  kFutureRound,     // too far ahead of our round to buffer
  kUnknownParent,   // does not connect to the tree (buffered and fetched when possible)
  kUnrequested,     // blocks we did not ask for
  kCapacity,        // a bounded buffer is full
  kCount,
};
const char* RejectName(Reject reason);

struct Send {
  uint32_t to = 0;
  coalition::v1::ConsensusMessage message;
};

// A block fetch the core issued (already included in `sends`; listed for metrics and tests).
struct FetchRequest {
  uint32_t peer = 0;
  std::string block_id;
  uint32_t count = 0;
};

struct Actions {
  std::optional<coalition::v1::SafetyState> persist_safety;
  std::vector<coalition::v1::Block> persist_blocks;
  std::vector<Send> sends;
  std::vector<coalition::v1::ConsensusMessage> broadcasts;
  std::vector<coalition::v1::CommittedBlock> commits;  // ascending height, no gaps
  // Payloads of blocks dropped from the tree without being committed (they are off the committed
  // chain): their entries may be proposed again at once instead of waiting out their lease.
  std::vector<std::string> abandoned_payloads;
  std::optional<int64_t> timer_deadline_ms;
  // OnTimer only: this node timed the round out (the first time in this round), as opposed to a
  // block fetch's retry timer, which shares the one deadline, or a timeout's retransmission.
  bool round_timed_out = false;
  std::optional<uint64_t> payload_request_round;
  std::vector<FetchRequest> fetches;
  std::array<uint32_t, static_cast<size_t>(Reject::kCount)> rejected{};

  uint32_t rejected_total() const;
};

// Verifies that `block` is committed, trusting only the validator set: the block id matches its
// header, the descendant headers chain from it by parent id, and commit_qc carries 2f+1 valid
// signatures for a child at round r+1 of the last descendant at round r (the 2-chain rule).
absl::Status VerifyCommittedBlock(const std::vector<std::string>& validator_keys,
                                  const std::string& chain_id, const crypto::Verifier& verifier,
                                  const coalition::v1::CommittedBlock& block);

class Core {
 public:
  // Fails with InvalidArgument for a bad config and DataLoss for an inconsistent recovery.
  static absl::StatusOr<std::unique_ptr<Core>> Create(const Config& config, Recovery recovery);
  virtual ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Call once before any other input.
  Actions Start(int64_t now_ms);
  // `from` is the authenticated sender (the transport's peer identity).
  Actions OnMessage(uint32_t from, const coalition::v1::ConsensusMessage& message, int64_t now_ms);
  Actions OnTimer(int64_t now_ms);
  // Answers payload_request_round; ignored unless `round` is still ours to propose in.
  Actions OnPayload(uint64_t round, std::string payload, int64_t now_ms);
  // A liveness hint from the transport: the link to `peer` broke after it had worked (the peer
  // went away). It counts as silent at once, as if nothing had arrived from it for the whole
  // silence window (unless every peer is lost: then this node is the one cut off), so the rounds
  // it leads time out quickly — the current one too if this node has not voted in it — and a
  // vote this node already sent it as the next leader goes to the leader after it as well. Its
  // first message more than one base timeout later clears it (earlier ones may have been sent
  // before it went away). Safety does not depend on it (timeouts and vote routing are local).
  Actions OnPeerUnreachable(uint32_t peer, int64_t now_ms);

  // VerifyCommittedBlock against this core's validator set.
  absl::Status VerifyCommitted(const coalition::v1::CommittedBlock& block) const;
  // Fast-forward after the node applied a verified committed block it fetched itself. Heights at
  // or below committed_height() are ignored. The core will not deliver this height again. Blocks
  // it drops off the committed chain are reported in abandoned_payloads, as a commit does; call it
  // one height at a time (blocks below a gap in the tree would be reported too).
  Actions AdvanceTo(const coalition::v1::CommittedBlock& block, int64_t now_ms);

  uint64_t round() const;
  uint64_t committed_height() const;
  // The highest committed height that any verified certificate has shown us.
  uint64_t HighestKnownCommitHeight() const;
  // Since when (ms) HighestKnownCommitHeight() has been above our committed height; 0 when not.
  int64_t BehindSinceMs() const;
  // The catch-up rule (DESIGN §6), for the node and the simulator alike: a node whose ledger holds
  // `applied_height` should fetch committed blocks by height when it is more than
  // kCatchUpLagBlocks behind what certificates have shown it, or behind at all for
  // kCatchUpStuckMs (the blocks it misses may lie below every peer's consensus tree, out of reach
  // of block fetches). How often it may try is the caller's pace.
  static constexpr uint64_t kCatchUpLagBlocks = 2;
  static constexpr int64_t kCatchUpStuckMs = 1000;
  bool NeedsCatchUp(uint64_t applied_height, int64_t now_ms) const;
  // True when a leader should propose now, even an empty block: an uncommitted block in the tree
  // carries a non-empty payload (it needs more rounds to commit), or the high QC's block or its
  // parent does (its commit is known here but reaches the others only with the next proposal).
  bool PayloadAwaitsCommit() const;
  // Payloads of the uncommitted blocks a proposal made now would extend (high QC block back to the
  // committed root, root excluded), so a leader leaves out entries already on its branch.
  std::vector<std::string> PayloadsOnProposalBranch() const;
  const coalition::v1::SafetyState& safety_state() const;
  uint64_t high_qc_round() const;

  // How full the core's bounded structures are (exported as metrics: a node that stays out of
  // step shows here first).
  struct Sizes {
    size_t tree_blocks = 0;     // committed root and the blocks above it
    size_t pending_blocks = 0;  // blocks waiting for a missing parent
    size_t fetches = 0;         // block fetches in flight
  };
  Sizes sizes() const;

 protected:
  explicit Core(const Config& config);
  // The voting rule of DESIGN §6. Overridden only by tests that prove the simulator's checkers
  // catch a broken rule.
  virtual bool VotingRuleAllows(const coalition::v1::Block& block, uint64_t last_voted_round) const;
  // Second construction step for subclasses (Create does both).
  absl::Status Init(Recovery recovery);

 private:
  struct State;
  std::unique_ptr<State> s_;
  friend struct CoreAccess;
};

}  // namespace coal::consensus

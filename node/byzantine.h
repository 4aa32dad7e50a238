// Byzantine faults in the node: injecting them (devnet tests only, issue 8) and reporting the ones
// peers commit.
//
// ByzantineSender sits between the honest consensus core and the peer transport of a node whose
// config sets `byzantine_mode` (node.cc refuses that outside chains named "devnet*"). The core is
// never changed: the replica hands every outgoing bundle (sends + broadcasts) to Rewrite(), which
// returns what this node really sends. Modes:
//   equivocate  as leader, every proposal gets a validly signed twin for the same round with a
//               different payload (or time). Peers are split in two halves: the first half gets
//               the original and then the twin, the second half the twin and then the original, so
//               honest votes split on the first-seen block and every honest node can still prove
//               the equivocation (it holds two signed proposals).
//   double_vote every vote is followed by a validly signed vote for a fabricated block id in the
//               same round, to the same next leader.
//   garbage     every signature it sends (proposals, votes, timeouts, blocks in fetch answers,
//               certificates in sync info, checkpoint cosignatures) has its bytes inverted.
//   replay      every message is followed by the oldest one in a bounded ring of sent messages,
//               to that message's original destination.
//   withhold    votes and timeouts never leave the node.
//   oversized   at most once per kOversizedIntervalMs, each peer also gets messages just over a
//               limit (a proposal with a payload of max_block_bytes+1, a vote with a signature of
//               kSignatureBytesMax+1 bytes, a forwarded entry of entry_bytes_max+1 bytes) and
//               malformed ones (no message kind, a timeout without its QC, an entry whose payload
//               bytes do not parse).
// What it did is counted on the Byzantine node in coal_byzantine_messages_total{action}.
//
// PeerRejections is the honest side: every message from a peer that the core or the replica
// refuses is counted in coal_peer_rejected_total{peer,reason}; the first one per (peer, reason) is
// logged, later ones only counted, so a hostile peer cannot flood the log.
//
// Thread safety: ByzantineSender runs on the replica loop thread only. PeerRejections may be used
// from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/services.pb.h"
#include "consensus/core.h"
#include "crypto/ed25519.h"
#include "node/metrics.h"

namespace coal::node {

enum class ByzantineMode : uint8_t {
  kEquivocate,
  kDoubleVote,
  kGarbage,
  kReplay,
  kWithhold,
  kOversized,
};
// Parses the config value ("equivocate", "double_vote", ...); InvalidArgument names the valid ones.
absl::StatusOr<ByzantineMode> ParseByzantineMode(std::string_view name);
const char* ByzantineModeName(ByzantineMode mode);

struct ByzantineContext {
  std::string chain_id;
  uint32_t self = 0;
  uint32_t validators = 0;
  const crypto::Signer* signer = nullptr;  // this node's consensus key; not owned
  Metrics* metrics = nullptr;              // not owned
  uint64_t max_block_bytes = 0;            // genesis timing.max_block_bytes
  uint64_t entry_bytes_max = 0;            // node limits.entry_bytes_max
};

// One message to put on the wire: to validator `to`, or to every peer when to == kAllPeers.
struct Outgoing {
  static constexpr uint32_t kAllPeers = UINT32_MAX;
  uint32_t to = kAllPeers;
  coalition::v1::PeerEnvelope envelope;
};

class ByzantineSender {
 public:
  ByzantineSender(ByzantineMode mode, ByzantineContext context);

  ByzantineMode mode() const { return mode_; }
  // What this node sends instead of the core's honest sends and broadcasts. Messages addressed to
  // self are the caller's business (they are passed through unchanged).
  std::vector<Outgoing> Rewrite(const std::vector<consensus::Send>& sends,
                                const std::vector<coalition::v1::ConsensusMessage>& broadcasts,
                                int64_t now_ms);
  // Lets the mode spoil a checkpoint cosignature before it is sent (garbage only).
  void MutateCosignature(coalition::v1::PeerEnvelope* envelope);

  static constexpr size_t kReplayRingMessagesMax = 64;
  static constexpr size_t kReplayRingBytesMax = 8 << 20;
  static constexpr int64_t kOversizedIntervalMs = 1000;

 private:
  void Emit(uint32_t to, const coalition::v1::ConsensusMessage& msg, int64_t now_ms,
            std::vector<Outgoing>* out);
  void EmitEquivocation(const coalition::v1::ConsensusMessage& msg, std::vector<Outgoing>* out);
  void Remember(uint32_t to, const coalition::v1::ConsensusMessage& msg);
  void EmitOversized(int64_t now_ms, std::vector<Outgoing>* out);
  coalition::v1::ConsensusMessage DoubleVote(const coalition::v1::Vote& vote) const;
  coalition::v1::Block Twin(const coalition::v1::Block& block) const;
  void Count(const char* action, uint64_t n = 1);

  const ByzantineMode mode_;
  const ByzantineContext ctx_;
  // replay: recently sent messages, oldest first, bounded by count and bytes.
  std::deque<std::pair<uint32_t, coalition::v1::ConsensusMessage>> ring_;
  size_t ring_bytes_ = 0;
  // oversized: the last proposal this node made (a well-shaped base for an oversized copy).
  std::optional<coalition::v1::Block> last_proposal_;
  int64_t last_oversized_ms_ = 0;
};

class PeerRejections {
 public:
  PeerRejections(Metrics* metrics, std::vector<std::string> validator_ids, uint32_t self);

  // Counts `count` rejections of `peer`'s messages for `reason`; logs the first per pair.
  void Record(uint32_t peer, std::string_view reason, uint64_t count = 1);
  // Everything the core refused while handling one message from `peer`.
  void Record(uint32_t peer, const consensus::Actions& actions);

  // The log line written for the first rejection of (peer id, reason); tests look for it.
  static std::string LogLine(std::string_view peer_id, std::string_view reason);

 private:
  Metrics* const metrics_;
  const std::vector<std::string> ids_;
  const uint32_t self_;
  std::mutex mu_;
  std::set<std::pair<uint32_t, std::string>> logged_;  // guarded by mu_; <= peers x reasons
};

}  // namespace coal::node

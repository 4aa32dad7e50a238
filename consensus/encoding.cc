#include "consensus/encoding.h"

#include <algorithm>

#include "crypto/bytes.h"
#include "crypto/sha256.h"

namespace coal::consensus {
namespace {

using coalition::v1::Block;
using coalition::v1::QuorumCert;
using coalition::v1::TimeoutCert;

// Domain-separation tags; each ends in a version so an encoding can change without ambiguity.
constexpr char kBlockTag[] = "COAL/consensus/block/v1";
constexpr char kQcTag[] = "COAL/consensus/qc/v1";
constexpr char kTcTag[] = "COAL/consensus/tc/v1";
constexpr char kProposalTag[] = "COAL/consensus/proposal/v1";
constexpr char kVoteTag[] = "COAL/consensus/vote/v1";
constexpr char kTimeoutTag[] = "COAL/consensus/timeout/v1";
constexpr char kGenesisTag[] = "COAL/consensus/genesis/v1";

void AppendBytes(std::string* out, std::string_view bytes) {
  AppendBigEndian32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}

std::string Tagged(const char* tag, const std::string& chain_id) {
  std::string out;
  AppendBytes(&out, tag);
  AppendBytes(&out, chain_id);
  return out;
}

}  // namespace

std::string PayloadDigest(const Block& block) {
  if (!block.payload_hash().empty()) return block.payload_hash();
  return HashBytes(Sha256(block.payload()));
}

std::string QuorumCertDigest(const QuorumCert& qc) {
  std::string out;
  AppendBytes(&out, kQcTag);
  AppendBytes(&out, qc.block_id());
  AppendBigEndian64(&out, qc.round());
  AppendBigEndian64(&out, qc.height());
  AppendBytes(&out, qc.parent_id());
  AppendBigEndian64(&out, qc.parent_round());
  AppendBigEndian32(&out, static_cast<uint32_t>(qc.sigs_size()));
  for (const auto& s : qc.sigs()) {
    AppendBigEndian32(&out, s.signer());
    AppendBytes(&out, s.sig());
  }
  return HashBytes(Sha256(out));
}

std::string TimeoutCertDigest(const TimeoutCert& tc) {
  std::string out;
  AppendBytes(&out, kTcTag);
  AppendBigEndian64(&out, tc.round());
  AppendBigEndian32(&out, static_cast<uint32_t>(tc.hqc_rounds_size()));
  for (uint64_t r : tc.hqc_rounds()) AppendBigEndian64(&out, r);
  AppendBigEndian32(&out, static_cast<uint32_t>(tc.sigs_size()));
  for (const auto& s : tc.sigs()) {
    AppendBigEndian32(&out, s.signer());
    AppendBytes(&out, s.sig());
  }
  return HashBytes(Sha256(out));
}

std::string ComputeBlockId(const std::string& chain_id, const Block& block) {
  std::string out = Tagged(kBlockTag, chain_id);
  AppendBigEndian64(&out, block.round());
  AppendBigEndian64(&out, block.height());
  AppendBytes(&out, block.parent_id());
  out += QuorumCertDigest(block.qc());
  if (block.has_tc()) {
    out.push_back('\x01');
    out += TimeoutCertDigest(block.tc());
  } else {
    out.push_back('\x00');
  }
  AppendBigEndian32(&out, block.author());
  AppendBigEndian64(&out, static_cast<uint64_t>(block.time_ms()));
  AppendBytes(&out, PayloadDigest(block));
  return HashBytes(Sha256(out));
}

std::string ProposalSignBytes(const std::string& chain_id, const std::string& block_id) {
  std::string out = Tagged(kProposalTag, chain_id);
  AppendBytes(&out, block_id);
  return out;
}

std::string VoteSignBytes(const std::string& chain_id, const std::string& block_id, uint64_t round,
                          uint64_t height, const std::string& parent_id, uint64_t parent_round) {
  std::string out = Tagged(kVoteTag, chain_id);
  AppendBytes(&out, block_id);
  AppendBigEndian64(&out, round);
  AppendBigEndian64(&out, height);
  AppendBytes(&out, parent_id);
  AppendBigEndian64(&out, parent_round);
  return out;
}

std::string VoteSignBytes(const std::string& chain_id, const QuorumCert& qc) {
  return VoteSignBytes(chain_id, qc.block_id(), qc.round(), qc.height(), qc.parent_id(),
                       qc.parent_round());
}

std::string VoteSignBytes(const std::string& chain_id, const coalition::v1::Vote& vote) {
  return VoteSignBytes(chain_id, vote.block_id(), vote.round(), vote.height(), vote.parent_id(),
                       vote.parent_round());
}

std::string TimeoutSignBytes(const std::string& chain_id, uint64_t round, uint64_t high_qc_round) {
  std::string out = Tagged(kTimeoutTag, chain_id);
  AppendBigEndian64(&out, round);
  AppendBigEndian64(&out, high_qc_round);
  return out;
}

Block GenesisBlock(const std::string& chain_id, int64_t genesis_time_ms) {
  Block b;
  b.set_round(0);
  b.set_height(0);
  b.set_time_ms(genesis_time_ms);
  b.set_id(HashBytes(Sha256(Tagged(kGenesisTag, chain_id))));
  return b;
}

QuorumCert GenesisQuorumCert(const std::string& chain_id) {
  QuorumCert qc;
  qc.set_block_id(HashBytes(Sha256(Tagged(kGenesisTag, chain_id))));
  return qc;
}

bool IsGenesisQuorumCert(const std::string& chain_id, const QuorumCert& qc) {
  return qc.round() == 0 && qc.height() == 0 && qc.sigs_size() == 0 && qc.parent_id().empty() &&
         qc.parent_round() == 0 && qc.block_id() == GenesisQuorumCert(chain_id).block_id();
}

uint64_t MaxHighQcRound(const TimeoutCert& tc) {
  uint64_t m = 0;
  for (uint64_t r : tc.hqc_rounds()) m = std::max(m, r);
  return m;
}

}  // namespace coal::consensus

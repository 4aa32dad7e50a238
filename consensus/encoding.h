// Canonical byte encodings that consensus hashes and signs (DESIGN §6). Ids and signatures are
// never computed over re-serialized protobuf: every encoding here is hand-built, fixed-order,
// big-endian and length-prefixed, and starts with a domain-separation tag plus the chain id, so a
// signature made for one purpose or one chain never verifies for another.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "coalition/v1/consensus.pb.h"

namespace coal::consensus {

inline constexpr size_t kIdBytes = 32;

// SHA-256(payload), or payload_hash for a payload-stripped header.
std::string PayloadDigest(const coalition::v1::Block& block);
// SHA-256 over the canonical header: round, height, parent id, QC digest, TC digest (or none),
// author, time, payload digest, chain id.
std::string ComputeBlockId(const std::string& chain_id, const coalition::v1::Block& block);
std::string QuorumCertDigest(const coalition::v1::QuorumCert& qc);
std::string TimeoutCertDigest(const coalition::v1::TimeoutCert& tc);

// What a proposer signs: its block id.
std::string ProposalSignBytes(const std::string& chain_id, const std::string& block_id);
// What a voter signs; every vote in a QC signs the same bytes.
std::string VoteSignBytes(const std::string& chain_id, const std::string& block_id, uint64_t round,
                          uint64_t height, const std::string& parent_id, uint64_t parent_round);
std::string VoteSignBytes(const std::string& chain_id, const coalition::v1::QuorumCert& qc);
std::string VoteSignBytes(const std::string& chain_id, const coalition::v1::Vote& vote);
// What a timing-out validator signs.
std::string TimeoutSignBytes(const std::string& chain_id, uint64_t round, uint64_t high_qc_round);

// The virtual genesis block (round 0, height 0) and its QC, which needs no signatures.
coalition::v1::Block GenesisBlock(const std::string& chain_id, int64_t genesis_time_ms);
coalition::v1::QuorumCert GenesisQuorumCert(const std::string& chain_id);
bool IsGenesisQuorumCert(const std::string& chain_id, const coalition::v1::QuorumCert& qc);

// Highest high-QC round among a TC's signers (0 for an empty TC).
uint64_t MaxHighQcRound(const coalition::v1::TimeoutCert& tc);

}  // namespace coal::consensus

// The validator set as the verifier of consensus certificates: individual votes, timeouts and
// proposals, quorum certificates (QC), timeout certificates (TC) and commit proofs. A QC or TC is
// valid only with signatures of a quorum (floor(2n/3)+1) of DISTINCT validators, each valid over
// the same canonical bytes (consensus/encoding.h), which include the chain id.
//
// Thread safety: immutable after construction; all methods are const and thread-compatible
// (safe from many threads if the Verifier is).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "coalition/v1/consensus.pb.h"
#include "crypto/ed25519.h"

namespace coal::consensus {

// Named limits on untrusted sizes.
inline constexpr size_t kSignatureBytesMax = 128;
inline constexpr size_t kValidatorsMax = 1024;
// Longest payload-stripped header chain accepted in one commit proof.
inline constexpr size_t kCommitProofBlocksMax = 1024;

class ValidatorSet {
 public:
  ValidatorSet(std::vector<std::string> keys, std::string chain_id,
               const crypto::Verifier* verifier);

  size_t size() const { return keys_.size(); }
  uint32_t quorum() const { return quorum_; }
  uint32_t max_faulty() const { return max_faulty_; }
  const std::string& chain_id() const { return chain_id_; }

  // One signature by validator `signer` over `message`; false for an unknown signer.
  bool VerifySignature(uint32_t signer, std::string_view message, std::string_view sig) const;

  // InvalidArgument: malformed (sizes, unknown or repeated signer). Unauthenticated: a signature
  // does not verify. FailedPrecondition: fewer than a quorum of signers. The genesis QC is valid.
  absl::Status VerifyQuorumCert(const coalition::v1::QuorumCert& qc) const;
  absl::Status VerifyTimeoutCert(const coalition::v1::TimeoutCert& tc) const;
  // Signature checks of single messages (fields are checked by the caller).
  absl::Status VerifyVote(const coalition::v1::Vote& vote) const;
  absl::Status VerifyTimeout(const coalition::v1::Timeout& timeout) const;
  absl::Status VerifyProposal(const coalition::v1::Block& block) const;

  // See VerifyCommittedBlock in consensus/core.h.
  absl::Status VerifyCommittedBlock(const coalition::v1::CommittedBlock& committed) const;

 private:
  absl::Status CheckSigners(
      const google::protobuf::RepeatedPtrField<coalition::v1::VoteSig>& sigs) const;

  std::vector<std::string> keys_;
  std::string chain_id_;
  const crypto::Verifier* verifier_;
  uint32_t quorum_;
  uint32_t max_faulty_;
};

}  // namespace coal::consensus

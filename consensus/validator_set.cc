#include "consensus/validator_set.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "consensus/core.h"
#include "consensus/encoding.h"
#include "crypto/status_macros.h"

namespace coal::consensus {

using coalition::v1::Block;
using coalition::v1::CommittedBlock;
using coalition::v1::QuorumCert;
using coalition::v1::TimeoutCert;

ValidatorSet::ValidatorSet(std::vector<std::string> keys, std::string chain_id,
                           const crypto::Verifier* verifier)
    : keys_(std::move(keys)),
      chain_id_(std::move(chain_id)),
      verifier_(verifier),
      quorum_(QuorumSize(keys_.size())),
      max_faulty_(MaxFaulty(keys_.size())) {}

bool ValidatorSet::VerifySignature(uint32_t signer, std::string_view message,
                                   std::string_view sig) const {
  if (signer >= keys_.size() || sig.size() > kSignatureBytesMax) return false;
  return verifier_->Verify(keys_[signer], message, sig);
}

absl::Status ValidatorSet::CheckSigners(
    const google::protobuf::RepeatedPtrField<coalition::v1::VoteSig>& sigs) const {
  if (static_cast<size_t>(sigs.size()) > keys_.size()) {
    return absl::InvalidArgumentError("more signatures than validators");
  }
  std::vector<bool> seen(keys_.size(), false);
  for (const auto& s : sigs) {
    if (s.signer() >= keys_.size()) return absl::InvalidArgumentError("unknown signer");
    if (seen[s.signer()]) return absl::InvalidArgumentError("repeated signer");
    seen[s.signer()] = true;
    if (s.sig().size() > kSignatureBytesMax) return absl::InvalidArgumentError("oversized sig");
  }
  if (static_cast<uint32_t>(sigs.size()) < quorum_) {
    return absl::FailedPreconditionError(
        absl::StrCat("certificate has ", sigs.size(), " signers, quorum is ", quorum_));
  }
  return absl::OkStatus();
}

absl::Status ValidatorSet::VerifyQuorumCert(const QuorumCert& qc) const {
  if (IsGenesisQuorumCert(chain_id_, qc)) return absl::OkStatus();
  if (qc.round() == 0 || qc.height() == 0 || qc.round() <= qc.parent_round() ||
      qc.block_id().size() != kIdBytes || qc.parent_id().size() != kIdBytes) {
    return absl::InvalidArgumentError("malformed quorum certificate");
  }
  RETURN_IF_ERROR(CheckSigners(qc.sigs()));
  const std::string msg = VoteSignBytes(chain_id_, qc);
  for (const auto& s : qc.sigs()) {
    if (!verifier_->Verify(keys_[s.signer()], msg, s.sig())) {
      return absl::UnauthenticatedError(absl::StrCat("bad QC signature by ", s.signer()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatorSet::VerifyTimeoutCert(const TimeoutCert& tc) const {
  if (tc.round() == 0 || tc.hqc_rounds_size() != tc.sigs_size()) {
    return absl::InvalidArgumentError("malformed timeout certificate");
  }
  RETURN_IF_ERROR(CheckSigners(tc.sigs()));
  for (int i = 0; i < tc.sigs_size(); ++i) {
    if (tc.hqc_rounds(i) >= tc.round()) {
      return absl::InvalidArgumentError("timeout high-QC round not below the TC round");
    }
    const auto& s = tc.sigs(i);
    if (!verifier_->Verify(keys_[s.signer()],
                           TimeoutSignBytes(chain_id_, tc.round(), tc.hqc_rounds(i)), s.sig())) {
      return absl::UnauthenticatedError(absl::StrCat("bad TC signature by ", s.signer()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatorSet::VerifyVote(const coalition::v1::Vote& vote) const {
  if (!VerifySignature(vote.voter(), VoteSignBytes(chain_id_, vote), vote.sig())) {
    return absl::UnauthenticatedError("bad vote signature");
  }
  return absl::OkStatus();
}

absl::Status ValidatorSet::VerifyTimeout(const coalition::v1::Timeout& timeout) const {
  if (!VerifySignature(timeout.voter(),
                       TimeoutSignBytes(chain_id_, timeout.round(), timeout.high_qc().round()),
                       timeout.sig())) {
    return absl::UnauthenticatedError("bad timeout signature");
  }
  return absl::OkStatus();
}

absl::Status ValidatorSet::VerifyProposal(const Block& block) const {
  if (!VerifySignature(block.author(), ProposalSignBytes(chain_id_, block.id()), block.sig())) {
    return absl::UnauthenticatedError("bad proposal signature");
  }
  return absl::OkStatus();
}

absl::Status ValidatorSet::VerifyCommittedBlock(const CommittedBlock& committed) const {
  const Block& block = committed.block();
  if (block.height() == 0 || !block.payload_hash().empty()) {
    return absl::InvalidArgumentError("committed block is genesis or payload-stripped");
  }
  if (block.id() != ComputeBlockId(chain_id_, block)) {
    return absl::InvalidArgumentError("committed block id does not match its header");
  }
  if (static_cast<size_t>(committed.descendants_size()) > kCommitProofBlocksMax) {
    return absl::InvalidArgumentError("commit proof too long");
  }
  const Block* tip = &block;
  for (const Block& d : committed.descendants()) {
    if (!d.payload().empty() || d.payload_hash().size() != kIdBytes ||
        d.id() != ComputeBlockId(chain_id_, d)) {
      return absl::InvalidArgumentError("bad header in commit proof");
    }
    if (d.parent_id() != tip->id() || d.height() != tip->height() + 1 ||
        d.round() <= tip->round()) {
      return absl::InvalidArgumentError("commit proof headers do not chain");
    }
    tip = &d;
  }
  const QuorumCert& qc = committed.commit_qc();
  if (qc.parent_id() != tip->id() || qc.parent_round() != tip->round() ||
      qc.round() != tip->round() + 1 || qc.height() != tip->height() + 1) {
    return absl::InvalidArgumentError("commit QC does not complete a 2-chain over the block");
  }
  if (committed.has_child_qc() && (committed.child_qc().block_id() != block.id() ||
                                   committed.child_qc().round() != block.round() ||
                                   committed.child_qc().height() != block.height())) {
    return absl::InvalidArgumentError("child QC does not certify the block");
  }
  return VerifyQuorumCert(qc);
}

absl::Status VerifyCommittedBlock(const std::vector<std::string>& validator_keys,
                                  const std::string& chain_id, const crypto::Verifier& verifier,
                                  const CommittedBlock& block) {
  return ValidatorSet(validator_keys, chain_id, &verifier).VerifyCommittedBlock(block);
}

}  // namespace coal::consensus

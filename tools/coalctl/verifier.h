// Offline verification of ledger answers (DESIGN §7): a verifier trusts only the genesis file,
// never the node that answered. An answer is a quorum checkpoint (a C2SP signed note), inclusion
// proofs with the exact leaf bytes, and consistency proofs. Checks, in order:
//   1. the checkpoint note: origin = this chain, >= 2f+1 distinct genesis validator cosignatures,
//      and the JSON fields beside the note (size, root, origin) agree with the signed body;
//   2. consistency proofs that link an unsigned smaller size to a signed one (their old roots
//   become
//      trusted: a proof never makes a *larger* size trusted);
//   3. every inclusion proof against the trusted root of its size, the leaf hash against the leaf
//      bytes, and the entry record inside the leaf: its log index and its author's signature;
//   4. the last verified checkpoint of this chain (VerifierState): same size with another root is a
//      fork; another size needs a consistency proof between the two (from the answer or fetched).
// Every failure names what failed. Tree sizes come only from signed checkpoints.
//
// JSON shapes accepted by ParseAnswerJson (what `coalctl checkpoint|proof ... --json` print):
//   checkpoint:  {"origin", "size", "root" (hex), "note"}
//   inclusion:   {"index", "size", "leaf" (base64), "leaf_hash" (hex), "proof" [hex], "root" (hex),
//                 "checkpoint": {checkpoint}?}
//   consistency: {"from", "to", "proof" [hex], "old_root" (hex), "new_root" (hex)}
//   bundle:      {"checkpoint": {...}, "inclusions": [...], "consistency": [...]}
//
// No gRPC here: a caller that can reach a node passes a ConsistencyFetcher. Pure functions apart
// from LoadState/SaveState (file I/O); thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/ledger.pb.h"
#include "coalition/v1/services.pb.h"
#include "crypto/bytes.h"
#include "crypto/checkpoint_note.h"

namespace coal::tools {

inline constexpr size_t kAnswerInclusionsMax = 10'000;
inline constexpr size_t kAnswerConsistencyMax = 64;
inline constexpr size_t kProofHashesMax = 64;  // a proof for 2^64 leaves has at most 64 hashes

// What a verifier trusts: derived from the genesis file alone.
struct TrustAnchor {
  std::string chain_id;                             // = checkpoint origin
  std::vector<crypto::NoteVerifierKey> validators;  // name = validator id, cosignature/v1 keys
  size_t quorum = 0;                                // 2f+1 = n - (n-1)/3
  std::map<std::string, std::string> member_keys;   // member id -> Ed25519 public key
};
absl::StatusOr<TrustAnchor> TrustAnchorFromGenesis(const coalition::v1::Genesis& genesis);

struct CheckpointAnswer {
  std::string note;
  // Fields printed beside the note; when present they must match the signed body.
  std::optional<std::string> origin;
  std::optional<uint64_t> size;
  std::optional<Hash> root;
};

struct InclusionAnswer {
  uint64_t index = 0;
  uint64_t size = 0;
  std::string leaf;               // exact leaf bytes (a serialized EntryRecord)
  std::optional<Hash> leaf_hash;  // when present must equal LeafHash(leaf)
  std::vector<Hash> proof;
  std::optional<Hash> root;  // when present must equal the trusted root at `size`
};

struct ConsistencyAnswer {
  uint64_t from = 0;
  uint64_t to = 0;
  std::vector<Hash> proof;
  Hash old_root{};
  Hash new_root{};
};

struct Answer {
  std::optional<CheckpointAnswer> checkpoint;
  std::vector<InclusionAnswer> inclusions;
  std::vector<ConsistencyAnswer> consistency;
};

// INVALID_ARGUMENT naming the field ("answer: inclusions[2].proof[1]: not 32 hex bytes").
absl::StatusOr<Answer> ParseAnswerJson(const nlohmann::json& json);

// From the node's protos: a quorum checkpoint; one inclusion proof with its leaf bytes.
absl::StatusOr<CheckpointAnswer> CheckpointFromProto(const coalition::v1::Checkpoint& checkpoint);
absl::StatusOr<InclusionAnswer> InclusionFromProto(const coalition::v1::Proof& proof);

// Every coalition.v1.Proof anywhere inside `response` (a compliance answer asked for with
// with_proof) as one answer: the quorum checkpoint they hang on and one inclusion per proof, so
// VerifyAnswer checks the whole response. INVALID_ARGUMENT, naming the field path, when a proof
// is malformed, lacks its checkpoint or hangs on another checkpoint than the first; NOT_FOUND when
// the response holds no proof at all.
absl::StatusOr<Answer> AnswerFromProofs(const google::protobuf::Message& response);

// JSON of each part, in the shapes above (what coalctl prints).
nlohmann::json CheckpointJson(const CheckpointAnswer& checkpoint);
nlohmann::json InclusionJson(const InclusionAnswer& inclusion);
nlohmann::json ConsistencyJson(const ConsistencyAnswer& consistency);

// The last verified checkpoint of each chain, keyed by origin.
struct ChainState {
  uint64_t size = 0;
  Hash root{};
  std::string note;
};
using VerifierState = std::map<std::string, ChainState>;

// A missing file is an empty state. INVALID_ARGUMENT for a malformed file.
absl::StatusOr<VerifierState> LoadState(const std::string& path);
// Atomic (write to a temporary file, then rename); creates the parent folder.
absl::Status SaveState(const std::string& path, const VerifierState& state);

// A verified checkpoint note: origin, size, root and who cosigned it.
struct TrustedCheckpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::string note;
  std::vector<std::string> cosigners;  // distinct validator ids, note order
};

// Step 1 alone. UNAUTHENTICATED for a bad or missing cosignature quorum, naming ignored signers
// (non-validator keys) and failing ones; INVALID_ARGUMENT for a malformed note or a field that
// disagrees with the signed body; FAILED_PRECONDITION for another chain's checkpoint.
absl::StatusOr<TrustedCheckpoint> VerifyCheckpoint(const TrustAnchor& anchor,
                                                   const CheckpointAnswer& checkpoint);

// Checks the entry inside a leaf: a parseable EntryRecord at `index` whose envelope carries a valid
// signature of its author (a genesis member) on this chain. UNAUTHENTICATED for a bad signature.
absl::Status VerifyEntryLeaf(const TrustAnchor& anchor, uint64_t index, std::string_view leaf);

// Returns a consistency proof between two sizes from somewhere else (a node); may be empty.
using ConsistencyFetcher =
    std::function<absl::StatusOr<ConsistencyAnswer>(uint64_t from, uint64_t to)>;

struct VerifyReport {
  TrustedCheckpoint checkpoint;
  std::vector<uint64_t> inclusions;    // log indexes proven
  std::optional<ChainState> previous;  // last verified checkpoint before this answer
  bool state_advanced = false;         // `state` now holds this checkpoint
};

// Steps 1-4. On success and when the checkpoint is newer than the chain's entry in `state`,
// updates `state` (the caller saves it). On failure `state` is unchanged. FAILED_PRECONDITION with
// a message starting "fork: " when the checkpoint contradicts the last verified one.
absl::StatusOr<VerifyReport> VerifyAnswer(const TrustAnchor& anchor, const Answer& answer,
                                          VerifierState* state,
                                          const ConsistencyFetcher& fetch = nullptr);

}  // namespace coal::tools

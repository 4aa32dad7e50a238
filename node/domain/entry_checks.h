// Per-entry checks common to every payload type, run by the node at admission AND by the executor
// (StateMachine::Apply) on every committed entry (DESIGN §3, §4):
//   1. payload_type is a ledger type ("coalition.v1.ThresholdProposal", ... see payload_types.h);
//   2. the payload decodes as that type and carries a header;
//   3. header: author set, chain_id is this chain, nonce 8..32 bytes, created_at_ms > 0;
//   4. the author is a genesis member;
//   5. the envelope carries a valid signature by the author's key
//   (crypto::VerifyEnvelopeSignature);
//   6. the author holds a role allowed to write the type;
//   7. schema validation of the payload (payload_validation.h).
// Time-window and nonce-replay checks need block time and state: the executor does them.
//
// Status codes: INVALID_ARGUMENT for anything malformed (message names the field);
// UNAUTHENTICATED for a missing/invalid signature AND for an author that is not a member (the
// identity cannot be established, so it is an authentication failure, not NOT_FOUND);
// PERMISSION_DENIED for a member whose roles may not write the type. Every status carries the
// reason code of reasons.h (ReasonOf).
//
// Thread safety: EntryChecker is immutable after construction; Check may run concurrently.
#pragma once

#include <google/protobuf/message.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coalition/v1/envelope.pb.h"
#include "coalition/v1/genesis.pb.h"
#include "crypto/ed25519.h"
#include "node/domain/payload_types.h"

namespace coal::domain {

inline constexpr size_t kNonceBytesMin = 8;
inline constexpr size_t kNonceBytesMax = 32;
inline constexpr size_t kSignaturesMax = 8;
inline constexpr size_t kPayloadBytesMax = 1 << 20;

struct CheckedEntry {
  PayloadKind kind;
  std::unique_ptr<google::protobuf::Message> payload;
  coalition::v1::PayloadHeader header;
  const coalition::v1::Member* author = nullptr;  // points into the checker's genesis
};

class EntryChecker {
 public:
  // `chain_id` is the ledger's chain id (node/genesis.h ChainId(genesis)). `verifier` checks
  // envelope signatures (the node passes its crypto::CachingVerifier, shared with the executor,
  // so an entry is verified once per node); null means crypto::DefaultVerifier(). Must outlive
  // the checker.
  EntryChecker(const coalition::v1::Genesis& genesis, std::string chain_id,
               const crypto::Verifier* verifier = nullptr);
  EntryChecker(const EntryChecker&) = delete;
  EntryChecker& operator=(const EntryChecker&) = delete;

  absl::StatusOr<CheckedEntry> Check(const coalition::v1::Envelope& envelope) const;

  // nullptr when `id` is not a member.
  const coalition::v1::Member* FindMember(std::string_view id) const;
  const coalition::v1::Genesis& genesis() const { return genesis_; }
  const std::string& chain_id() const { return chain_id_; }

 private:
  coalition::v1::Genesis genesis_;
  std::string chain_id_;
  const crypto::Verifier& verifier_;
  std::map<std::string, const coalition::v1::Member*, std::less<>> members_;
};

bool HasRole(const coalition::v1::Member& member, coalition::v1::Role role);

// Read access to flagged shipments (DESIGN §5): only enforcement and authority members.
// UNAUTHENTICATED when `member_id` is not a member, PERMISSION_DENIED for any other role.
absl::Status CheckShipmentReadAccess(const coalition::v1::Genesis& genesis,
                                     std::string_view member_id);
// The same rule over a caller's roles (PERMISSION_DENIED unless enforcement or authority).
absl::Status CheckShipmentReadAccess(const std::vector<coalition::v1::Role>& roles);

}  // namespace coal::domain

// Envelope rules common to every payload type (DESIGN §3, §4): the payload type is a known ledger
// type, the payload decodes and carries a header, the author is a genesis member holding a role
// allowed to write this type, the envelope is signed by the author's key, the chain id matches,
// the nonce is 8..32 bytes. Used at admission (client and forwarded entries) and by the executor.
//
// Codes: INVALID_ARGUMENT (malformed; the message names the field), UNAUTHENTICATED (unknown
// author or bad/missing signature), PERMISSION_DENIED (role may not write this type).
// Thread-safe (immutable after construction).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"
#include "coalition/v1/envelope.pb.h"
#include "coalition/v1/genesis.pb.h"

namespace coal::node {

struct AdmittedEntry {
  std::unique_ptr<google::protobuf::Message> payload;
  coalition::v1::PayloadHeader header;
  const coalition::v1::Member* author = nullptr;
};

class EnvelopeRules {
 public:
  EnvelopeRules(const coalition::v1::Genesis& genesis, std::string chain_id);

  absl::StatusOr<AdmittedEntry> Check(const coalition::v1::Envelope& envelope) const;

  // Roles allowed to write each payload type.
  static const std::map<std::string, std::set<coalition::v1::Role>>& WriteRoles();

 private:
  coalition::v1::Genesis genesis_;
  std::string chain_id_;
};

}  // namespace coal::node

#include "node/domain/entry_checks.h"

#include <algorithm>

#include "crypto/dsse.h"
#include "node/domain/payload_validation.h"
#include "node/domain/reasons.h"

namespace coal::domain {
namespace {

using coalition::v1::Role;

absl::Status Invalid(std::string_view reason, std::string detail) {
  return Reject(absl::StatusCode::kInvalidArgument, reason, std::move(detail));
}

}  // namespace

EntryChecker::EntryChecker(const coalition::v1::Genesis& genesis, std::string chain_id,
                           const crypto::Verifier* verifier)
    : genesis_(genesis),
      chain_id_(std::move(chain_id)),
      verifier_(verifier != nullptr ? *verifier : crypto::DefaultVerifier()) {
  for (const auto& m : genesis_.members()) members_.emplace(m.id(), &m);
}

const coalition::v1::Member* EntryChecker::FindMember(std::string_view id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : it->second;
}

absl::StatusOr<CheckedEntry> EntryChecker::Check(const coalition::v1::Envelope& env) const {
  const PayloadTypeInfo* info = FindPayloadType(env.payload_type());
  if (info == nullptr) {
    return Invalid(
        reason::kUnknownPayloadType,
        "payload_type: '" + env.payload_type().substr(0, 128) + "' is not a ledger type");
  }
  if (env.payload().size() > kPayloadBytesMax) {
    return Invalid(reason::kMalformedPayload,
                   "payload: larger than " + std::to_string(kPayloadBytesMax) + " bytes");
  }
  if (static_cast<size_t>(env.signatures_size()) > kSignaturesMax) {
    return Invalid(reason::kMalformedPayload,
                   "signatures: more than " + std::to_string(kSignaturesMax));
  }
  CheckedEntry out;
  out.kind = info->kind;
  out.payload = NewPayload(info->kind);
  if (!out.payload->ParseFromString(env.payload())) {
    return Invalid(reason::kMalformedPayload,
                   "payload: does not decode as " + std::string(info->type_name));
  }
  const auto* header_field = out.payload->GetDescriptor()->FindFieldByName("header");
  if (header_field == nullptr ||
      !out.payload->GetReflection()->HasField(*out.payload, header_field)) {
    return Invalid(reason::kMalformedPayload, "header: missing");
  }
  out.header.CopyFrom(out.payload->GetReflection()->GetMessage(*out.payload, header_field));
  const auto& h = out.header;
  if (h.author().empty()) return Invalid(reason::kInvalidHeader, "header.author: empty");
  if (h.chain_id() != chain_id_) {
    return Invalid(reason::kWrongChain, "header.chain_id: '" + h.chain_id().substr(0, 128) +
                                            "' is not this chain ('" + chain_id_ + "')");
  }
  if (h.nonce().size() < kNonceBytesMin || h.nonce().size() > kNonceBytesMax) {
    return Invalid(reason::kInvalidHeader,
                   "header.nonce: must be 8..32 bytes, got " + std::to_string(h.nonce().size()));
  }
  if (h.created_at_ms() <= 0)
    return Invalid(reason::kInvalidHeader, "header.created_at_ms: missing");
  out.author = FindMember(h.author());
  if (out.author == nullptr) {
    return Reject(absl::StatusCode::kUnauthenticated, reason::kUnknownMember,
                  "header.author: '" + h.author().substr(0, 128) + "' is not a genesis member");
  }
  absl::Status sig = crypto::VerifyEnvelopeSignature(env, out.author->public_key(), verifier_);
  if (!sig.ok()) {
    return Reject(
        absl::StatusCode::kUnauthenticated, reason::kBadSignature,
        "signatures: no valid signature by '" + h.author() + "': " + std::string(sig.message()));
  }
  bool role_ok = std::any_of(info->write_roles.begin(), info->write_roles.end(),
                             [&](Role r) { return HasRole(*out.author, r); });
  if (!role_ok) {
    return Reject(absl::StatusCode::kPermissionDenied, reason::kRoleNotAllowed,
                  "header.author: member '" + h.author() + "' has no role that may write " +
                      std::string(info->type_name));
  }
  absl::Status schema = ValidatePayload(info->kind, *out.payload);
  if (!schema.ok()) return schema;
  return out;
}

bool HasRole(const coalition::v1::Member& member, Role role) {
  return std::any_of(member.roles().begin(), member.roles().end(),
                     [&](int r) { return r == role; });
}

absl::Status CheckShipmentReadAccess(const std::vector<Role>& roles) {
  for (Role r : roles) {
    if (r == coalition::v1::ROLE_ENFORCEMENT || r == coalition::v1::ROLE_AUTHORITY) {
      return absl::OkStatus();
    }
  }
  return Reject(absl::StatusCode::kPermissionDenied, reason::kRoleNotAllowed,
                "shipments are readable only by enforcement and authority members");
}

absl::Status CheckShipmentReadAccess(const coalition::v1::Genesis& genesis,
                                     std::string_view member_id) {
  for (const auto& m : genesis.members()) {
    if (m.id() != member_id) continue;
    std::vector<Role> roles;
    for (int r : m.roles()) roles.push_back(static_cast<Role>(r));
    return CheckShipmentReadAccess(roles);
  }
  return Reject(absl::StatusCode::kUnauthenticated, reason::kUnknownMember,
                "caller: '" + std::string(member_id.substr(0, 128)) + "' is not a genesis member");
}

}  // namespace coal::domain

#include "node/admission.h"

#include "coalition/v1/domain.pb.h"
#include "crypto/dsse.h"
#include "crypto/status_macros.h"
#include "node/genesis.h"

namespace coal::node {
namespace {

using coalition::v1::Role;

constexpr size_t kNonceBytesMin = 8;
constexpr size_t kNonceBytesMax = 32;
constexpr size_t kSignaturesMax = 8;

}  // namespace

const std::map<std::string, std::set<Role>>& EnvelopeRules::WriteRoles() {
  static const auto* roles = new std::map<std::string, std::set<Role>>{
      {"coalition.v1.Attestation",
       {coalition::v1::ROLE_AUTHORITY, coalition::v1::ROLE_CLOUD_PROVIDER,
        coalition::v1::ROLE_ENFORCEMENT, coalition::v1::ROLE_OBSERVER}},
      {"coalition.v1.ThresholdProposal", {coalition::v1::ROLE_AUTHORITY}},
      {"coalition.v1.ThresholdApproval", {coalition::v1::ROLE_AUTHORITY}},
      {"coalition.v1.ProcurementCommitment",
       {coalition::v1::ROLE_AUTHORITY, coalition::v1::ROLE_CLOUD_PROVIDER}},
      {"coalition.v1.DeliveryReport",
       {coalition::v1::ROLE_AUTHORITY, coalition::v1::ROLE_CLOUD_PROVIDER}},
      {"coalition.v1.CommitmentAmendment",
       {coalition::v1::ROLE_AUTHORITY, coalition::v1::ROLE_CLOUD_PROVIDER}},
      {"coalition.v1.CommitmentClose",
       {coalition::v1::ROLE_AUTHORITY, coalition::v1::ROLE_CLOUD_PROVIDER}},
      {"coalition.v1.FlaggedShipment", {coalition::v1::ROLE_ENFORCEMENT}},
      {"coalition.v1.ShipmentEvent", {coalition::v1::ROLE_ENFORCEMENT}},
  };
  return *roles;
}

EnvelopeRules::EnvelopeRules(const coalition::v1::Genesis& genesis, std::string chain_id)
    : genesis_(genesis), chain_id_(std::move(chain_id)) {}

absl::StatusOr<AdmittedEntry> EnvelopeRules::Check(const coalition::v1::Envelope& env) const {
  const auto& roles = WriteRoles();
  auto allowed = roles.find(env.payload_type());
  if (allowed == roles.end()) {
    return absl::InvalidArgumentError("payload_type: unknown type '" + env.payload_type() + "'");
  }
  if (env.signatures_size() == 0) return absl::UnauthenticatedError("signatures: none");
  if (static_cast<size_t>(env.signatures_size()) > kSignaturesMax) {
    return absl::InvalidArgumentError("signatures: more than " + std::to_string(kSignaturesMax));
  }
  const auto* desc =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(env.payload_type());
  COAL_CHECK(desc != nullptr);
  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(desc);
  AdmittedEntry out;
  out.payload.reset(prototype->New());
  if (!out.payload->ParseFromString(env.payload())) {
    return absl::InvalidArgumentError("payload: does not decode as " + env.payload_type());
  }
  const auto* header_field = desc->FindFieldByName("header");
  COAL_CHECK(header_field != nullptr);
  if (!out.payload->GetReflection()->HasField(*out.payload, header_field)) {
    return absl::InvalidArgumentError("header: missing");
  }
  out.header.CopyFrom(out.payload->GetReflection()->GetMessage(*out.payload, header_field));
  const auto& h = out.header;
  if (h.author().empty()) return absl::InvalidArgumentError("header.author: empty");
  if (h.chain_id() != chain_id_) {
    return absl::InvalidArgumentError("header.chain_id: '" + h.chain_id() +
                                      "' is not this chain ('" + chain_id_ + "')");
  }
  if (h.nonce().size() < kNonceBytesMin || h.nonce().size() > kNonceBytesMax) {
    return absl::InvalidArgumentError("header.nonce: must be 8..32 bytes, got " +
                                      std::to_string(h.nonce().size()));
  }
  if (h.created_at_ms() <= 0) return absl::InvalidArgumentError("header.created_at_ms: missing");
  out.author = FindMember(genesis_, h.author());
  if (out.author == nullptr) {
    return absl::UnauthenticatedError("header.author: '" + h.author() + "' is not a member");
  }
  RETURN_IF_ERROR(crypto::VerifyEnvelopeSignature(env, out.author->public_key()));
  bool role_ok = false;
  for (int r : out.author->roles()) {
    if (allowed->second.contains(static_cast<Role>(r))) role_ok = true;
  }
  if (!role_ok) {
    return absl::PermissionDeniedError("member '" + h.author() + "' may not write " +
                                       env.payload_type());
  }
  return out;
}

}  // namespace coal::node

#include "crypto/dsse.h"

#include "crypto/sha256.h"

namespace coal::crypto {

std::string Pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out.reserve(out.size() + payload_type.size() + payload.size() + 32);
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

void SignEnvelope(const Signer& signer, coalition::v1::Envelope* envelope) {
  auto* sig = envelope->add_signatures();
  sig->set_key_id(signer.key_id());
  sig->set_sig(signer.Sign(Pae(envelope->payload_type(), envelope->payload())));
}

coalition::v1::Envelope MakeEnvelope(const Signer& signer, std::string_view payload_type,
                                     std::string payload) {
  coalition::v1::Envelope env;
  env.set_payload_type(std::string(payload_type));
  env.set_payload(std::move(payload));
  SignEnvelope(signer, &env);
  return env;
}

absl::Status VerifyEnvelopeSignature(const coalition::v1::Envelope& envelope,
                                     std::string_view public_key, const Verifier& verifier) {
  const std::string key_id = KeyId(public_key);
  bool found = false;
  for (const auto& sig : envelope.signatures()) {
    if (sig.key_id() != key_id) continue;
    found = true;
    if (verifier.Verify(public_key, Pae(envelope.payload_type(), envelope.payload()), sig.sig())) {
      return absl::OkStatus();
    }
  }
  return absl::UnauthenticatedError(found ? "envelope signature invalid for its payload_type"
                                          : "envelope has no signature by the author's key");
}

std::string EnvelopeDigest(const coalition::v1::Envelope& envelope) {
  std::string bytes;
  envelope.SerializeToString(&bytes);
  return HashBytes(Sha256(bytes));
}

}  // namespace coal::crypto

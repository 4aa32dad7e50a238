// Fuzzes signed-envelope handling (crypto/dsse.h, DESIGN §3) on untrusted bytes: parse as
// coalition.v1.Envelope, digest, verify against a fixed key, and the DSSE PAE.
// Invariants (abort on violation): the digest is 32 bytes and survives a serialize/parse round
// trip; verification of fuzzer bytes is OK or UNAUTHENTICATED, nothing else; the PAE is
// "DSSEv1 " ... payload with the exact length; a signature we add verifies, and stops verifying
// once the payload type changes (type binding).
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "coalition/v1/envelope.pb.h"
#include "crypto/dsse.h"
#include "crypto/ed25519.h"
#include "crypto/status_macros.h"

namespace {

const coal::crypto::Ed25519Signer& FixedSigner() {
  static const auto* const signer =
      coal::crypto::Ed25519Signer::FromSeed(std::string(32, '\x42')).value().release();
  return *signer;
}

}  // namespace

// Invalid UTF-8 in a string field is an expected parse failure; do not log each one.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const coal::crypto::Ed25519Signer& signer = FixedSigner();
  coalition::v1::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;

  const std::string digest = coal::crypto::EnvelopeDigest(envelope);
  COAL_CHECK(digest.size() == 32);
  std::string bytes;
  COAL_CHECK(envelope.SerializeToString(&bytes));
  coalition::v1::Envelope reparsed;
  COAL_CHECK(reparsed.ParseFromString(bytes));
  COAL_CHECK(coal::crypto::EnvelopeDigest(reparsed) == digest);

  const absl::Status verified =
      coal::crypto::VerifyEnvelopeSignature(envelope, signer.public_key());
  COAL_CHECK(verified.ok() || verified.code() == absl::StatusCode::kUnauthenticated);

  const std::string& type = envelope.payload_type();
  const std::string& payload = envelope.payload();
  const std::string pae = coal::crypto::Pae(type, payload);
  const std::string type_len = std::to_string(type.size());
  const std::string payload_len = std::to_string(payload.size());
  COAL_CHECK(pae.size() ==
             7 + type_len.size() + 1 + type.size() + 1 + payload_len.size() + 1 + payload.size());
  COAL_CHECK(pae.compare(0, 7, "DSSEv1 ") == 0);
  COAL_CHECK(pae.compare(pae.size() - payload.size(), payload.size(), payload) == 0);

  coalition::v1::Envelope signed_envelope = envelope;
  coal::crypto::SignEnvelope(signer, &signed_envelope);
  COAL_CHECK(coal::crypto::VerifyEnvelopeSignature(signed_envelope, signer.public_key()).ok());
  signed_envelope.set_payload_type(type + "x");
  COAL_CHECK(!coal::crypto::VerifyEnvelopeSignature(signed_envelope, signer.public_key()).ok());
  return 0;
}

// DSSE pre-authentication encoding and envelope signing (DESIGN §3). A signature binds the payload
// type, so a signature made for one record type never verifies as another. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "coalition/v1/envelope.pb.h"
#include "crypto/ed25519.h"

namespace coal::crypto {

// "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths as ASCII decimal.
std::string Pae(std::string_view payload_type, std::string_view payload);

// Appends a signature by `signer` to `envelope`.
void SignEnvelope(const Signer& signer, coalition::v1::Envelope* envelope);

// Builds a signed envelope.
coalition::v1::Envelope MakeEnvelope(const Signer& signer, std::string_view payload_type,
                                     std::string payload);

// Verifies that the signature with `key_id` matching `public_key` is present and valid.
// UNAUTHENTICATED when missing or invalid.
absl::Status VerifyEnvelopeSignature(const coalition::v1::Envelope& envelope,
                                     std::string_view public_key,
                                     const Verifier& verifier = DefaultVerifier());

// SHA-256 of the serialized envelope: the entry's digest (mempool dedup, lookups).
std::string EnvelopeDigest(const coalition::v1::Envelope& envelope);

}  // namespace coal::crypto

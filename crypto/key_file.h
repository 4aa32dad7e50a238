// Ed25519 private key files. Format (text, two lines):
//   coalition-ed25519-private-key v1
//   <base64 of the 32-byte seed>
// Written atomically with mode 0600; refused on load when group- or world-accessible, malformed,
// or of the wrong length. Public key files hold one line: base64 of the 32-byte public key.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/ed25519.h"

namespace coal::crypto {

absl::Status WriteKeyFile(const std::string& path, const Ed25519Signer& signer);
absl::StatusOr<std::unique_ptr<Ed25519Signer>> LoadKeyFile(const std::string& path);

absl::Status WritePublicKeyFile(const std::string& path, std::string_view public_key);
absl::StatusOr<std::string> LoadPublicKeyFile(const std::string& path);

// Parses base64 of a 32-byte public key.
absl::StatusOr<std::string> ParsePublicKey(std::string_view base64);

}  // namespace coal::crypto

// Ed25519 keys, signing and verification over libsodium, behind Signer/Verifier interfaces so
// consensus and tests can substitute their own. All functions are thread-safe; a Signer may be
// shared between threads (libsodium signing is stateless).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace coal::crypto {

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSecretKeyBytes = 64;  // libsodium layout: seed || public key
inline constexpr size_t kSeedBytes = 32;
inline constexpr size_t kSignatureBytes = 64;
inline constexpr size_t kKeyIdBytes = 8;

// Initializes libsodium once; safe to call from any thread, any number of times.
void InitSodium();

// key_id = first kKeyIdBytes of SHA-256(public key). DESIGN §3.
std::string KeyId(std::string_view public_key);

class Signer {
 public:
  virtual ~Signer() = default;
  virtual std::string Sign(std::string_view message) const = 0;
  virtual const std::string& public_key() const = 0;
  const std::string& key_id() const { return key_id_; }

 protected:
  std::string key_id_;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // Returns true only for a valid signature by `public_key`; wrong lengths are simply false.
  virtual bool Verify(std::string_view public_key, std::string_view message,
                      std::string_view signature) const = 0;
};

// An in-memory Ed25519 key pair.
class Ed25519Signer final : public Signer {
 public:
  static std::unique_ptr<Ed25519Signer> Generate();
  // From a 32-byte seed (RFC 8032 "secret key").
  static absl::StatusOr<std::unique_ptr<Ed25519Signer>> FromSeed(std::string_view seed);

  ~Ed25519Signer() override;
  std::string Sign(std::string_view message) const override;
  const std::string& public_key() const override { return public_key_; }
  std::string seed() const { return secret_key_.substr(0, kSeedBytes); }

 private:
  Ed25519Signer(std::string secret_key, std::string public_key);
  std::string secret_key_;
  std::string public_key_;
};

class Ed25519Verifier final : public Verifier {
 public:
  bool Verify(std::string_view public_key, std::string_view message,
              std::string_view signature) const override;
};

// Shared process-wide verifier.
const Verifier& DefaultVerifier();

}  // namespace coal::crypto

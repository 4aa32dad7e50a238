#include "crypto/ed25519.h"

#include <sodium.h>

#include <mutex>

#include "crypto/sha256.h"
#include "crypto/status_macros.h"

namespace coal::crypto {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] { COAL_CHECK(sodium_init() >= 0); });
}

std::string KeyId(std::string_view public_key) {
  const Hash h = Sha256(public_key);
  return std::string(reinterpret_cast<const char*>(h.data()), kKeyIdBytes);
}

Ed25519Signer::Ed25519Signer(std::string secret_key, std::string public_key)
    : secret_key_(std::move(secret_key)), public_key_(std::move(public_key)) {
  key_id_ = KeyId(public_key_);
}

Ed25519Signer::~Ed25519Signer() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

std::unique_ptr<Ed25519Signer> Ed25519Signer::Generate() {
  InitSodium();
  std::string seed(kSeedBytes, '\0');
  randombytes_buf(seed.data(), seed.size());
  auto signer = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  COAL_CHECK(signer.ok());
  return std::move(signer).value();
}

absl::StatusOr<std::unique_ptr<Ed25519Signer>> Ed25519Signer::FromSeed(std::string_view seed) {
  InitSodium();
  if (seed.size() != kSeedBytes) {
    return absl::InvalidArgumentError("ed25519 seed must be 32 bytes, got " +
                                      std::to_string(seed.size()));
  }
  std::string pk(kPublicKeyBytes, '\0');
  std::string sk(kSecretKeyBytes, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pk.data()),
                           reinterpret_cast<unsigned char*>(sk.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return std::unique_ptr<Ed25519Signer>(new Ed25519Signer(std::move(sk), std::move(pk)));
}

std::string Ed25519Signer::Sign(std::string_view message) const {
  std::string sig(kSignatureBytes, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return sig;
}

bool Ed25519Verifier::Verify(std::string_view public_key, std::string_view message,
                             std::string_view signature) const {
  if (public_key.size() != kPublicKeyBytes || signature.size() != kSignatureBytes) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) ==
         0;
}

const Verifier& DefaultVerifier() {
  InitSodium();
  static const Ed25519Verifier verifier;
  return verifier;
}

}  // namespace coal::crypto

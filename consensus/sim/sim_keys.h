// Validator keys for the simulator. Two schemes behind crypto::Signer/Verifier: real Ed25519, and
// a cheap deterministic "keyed SHA-256" scheme for fast sweeps (sig = SHA-256(secret || message)).
// In the keyed scheme only the verifier knows every secret (it plays the role of the public-key
// math); each replica, Byzantine ones included, holds a Signer with its own secret only, so a
// Byzantine replica can no more forge another validator's signature than with Ed25519.
//
// Thread safety: immutable after construction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crypto/ed25519.h"

namespace coal::consensus::sim {

class KeyedHashVerifier final : public crypto::Verifier {
 public:
  void Add(const std::string& public_key, const std::string& secret) {
    secrets_[public_key] = secret;
  }
  bool Verify(std::string_view public_key, std::string_view message,
              std::string_view signature) const override;

 private:
  std::map<std::string, std::string, std::less<>> secrets_;
};

struct SimKeys {
  std::vector<std::unique_ptr<crypto::Signer>> signers;  // index = validator index
  std::vector<std::string> public_keys;
  std::unique_ptr<crypto::Verifier> verifier;
};

// Deterministic keys from `seed`; Ed25519 when `ed25519` is set, else keyed SHA-256.
SimKeys MakeSimKeys(uint32_t n, uint64_t seed, bool ed25519);

}  // namespace coal::consensus::sim

#include "consensus/sim/sim_keys.h"

#include "crypto/bytes.h"
#include "crypto/sha256.h"
#include "crypto/status_macros.h"

namespace coal::consensus::sim {
namespace {

class KeyedHashSigner final : public crypto::Signer {
 public:
  explicit KeyedHashSigner(std::string secret)
      : secret_(std::move(secret)), public_key_(HashBytes(Sha256("sim-pk" + secret_))) {
    key_id_ = crypto::KeyId(public_key_);
  }
  std::string Sign(std::string_view message) const override {
    return HashBytes(Sha256Hasher().Update(secret_).Update(message).Finish());
  }
  const std::string& public_key() const override { return public_key_; }
  const std::string& secret() const { return secret_; }

 private:
  std::string secret_;
  std::string public_key_;
};

}  // namespace

bool KeyedHashVerifier::Verify(std::string_view public_key, std::string_view message,
                               std::string_view signature) const {
  auto it = secrets_.find(public_key);
  if (it == secrets_.end() || signature.size() != 32) return false;
  return AsView(Sha256Hasher().Update(it->second).Update(message).Finish()) == signature;
}

SimKeys MakeSimKeys(uint32_t n, uint64_t seed, bool ed25519) {
  SimKeys keys;
  auto verifier = std::make_unique<KeyedHashVerifier>();
  for (uint32_t i = 0; i < n; ++i) {
    std::string material = BigEndian64(seed);
    AppendBigEndian32(&material, i);
    const std::string secret = HashBytes(Sha256(material));
    if (ed25519) {
      auto signer = crypto::Ed25519Signer::FromSeed(secret);
      COAL_CHECK(signer.ok());
      keys.public_keys.push_back((*signer)->public_key());
      keys.signers.push_back(std::move(*signer));
    } else {
      auto signer = std::make_unique<KeyedHashSigner>(secret);
      verifier->Add(signer->public_key(), secret);
      keys.public_keys.push_back(signer->public_key());
      keys.signers.push_back(std::move(signer));
    }
  }
  if (ed25519) {
    crypto::InitSodium();
    keys.verifier = std::make_unique<crypto::Ed25519Verifier>();
  } else {
    keys.verifier = std::move(verifier);
  }
  return keys;
}

}  // namespace coal::consensus::sim

#include "crypto/sha256.h"

#include <sodium.h>

namespace coal {

static_assert(sizeof(crypto_hash_sha256_state) <= 128);

Hash Sha256(std::string_view data) {
  Hash out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

Sha256Hasher::Sha256Hasher() {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

Sha256Hasher& Sha256Hasher::Update(std::string_view data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return *this;
}

Hash Sha256Hasher::Finish() {
  Hash out;
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), out.data());
  return out;
}

}  // namespace coal

// SHA-256 over libsodium. Thread-safe.
#pragma once

#include <string_view>

#include "crypto/bytes.h"

namespace coal {

Hash Sha256(std::string_view data);

// Incremental hashing for multi-part inputs (e.g. Merkle node = 0x01 || left || right).
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher& Update(std::string_view data);
  Sha256Hasher& Update(const Hash& h) { return Update(AsView(h)); }
  Hash Finish();

 private:
  alignas(64) unsigned char state_[128];  // crypto_hash_sha256_state (104 bytes in 1.0.18)
};

}  // namespace coal

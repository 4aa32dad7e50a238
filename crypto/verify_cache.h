// CachingVerifier: a Verifier that remembers the (public key, message, signature) triples it has
// seen verify, so a node checks each entry's signature once although admission (or the forward
// from a peer) and execution both ask. Only successes are remembered; a triple is keyed by the
// BLAKE2b-256 of its three length-prefixed parts, so a hit means exactly these bytes verified
// before. (The key never leaves the process, so it need not be the protocol's SHA-256; BLAKE2b
// is collision-resistant too and three times faster here on an entry-sized message.)
// Bounded: past `capacity` triples the oldest are forgotten (and verified again if asked).
//
// Thread-safe: admission runs on gRPC threads while the replica executes blocks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_set>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace coal::crypto {

class CachingVerifier final : public Verifier {
 public:
  // `inner` does the real verification and must outlive this object.
  CachingVerifier(const Verifier& inner, size_t capacity);

  bool Verify(std::string_view public_key, std::string_view message,
              std::string_view signature) const override;

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  size_t size() const;

 private:
  struct HashOfHash {
    size_t operator()(const Hash& h) const;
  };

  const Verifier& inner_;
  const size_t capacity_;
  mutable std::mutex mu_;
  mutable std::unordered_set<Hash, HashOfHash> known_;  // guarded by mu_
  mutable std::deque<Hash> order_;                      // guarded by mu_; oldest first
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
};

}  // namespace coal::crypto

#include "crypto/verify_cache.h"

#include <sodium.h>

#include <cstring>

namespace coal::crypto {
namespace {

Hash TripleKey(std::string_view public_key, std::string_view message, std::string_view signature) {
  crypto_generichash_state state;
  Hash out;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  for (std::string_view part : {public_key, signature, message}) {
    const std::string size = BigEndian64(part.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(size.data()),
                              size.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                              part.size());
  }
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

}  // namespace

size_t CachingVerifier::HashOfHash::operator()(const Hash& h) const {
  size_t out;
  std::memcpy(&out, h.data(), sizeof(out));  // already uniform: a BLAKE2b prefix
  return out;
}

CachingVerifier::CachingVerifier(const Verifier& inner, size_t capacity)
    : inner_(inner), capacity_(capacity) {}

bool CachingVerifier::Verify(std::string_view public_key, std::string_view message,
                             std::string_view signature) const {
  const Hash key = TripleKey(public_key, message, signature);
  {
    std::lock_guard lock(mu_);
    if (known_.count(key) > 0) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (!inner_.Verify(public_key, message, signature)) return false;
  if (capacity_ == 0) return true;
  std::lock_guard lock(mu_);
  if (!known_.insert(key).second) return true;
  order_.push_back(key);
  while (order_.size() > capacity_) {
    known_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

size_t CachingVerifier::size() const {
  std::lock_guard lock(mu_);
  return known_.size();
}

}  // namespace coal::crypto

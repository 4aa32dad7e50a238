// Byte helpers: hex and base64 codecs, big-endian integers. Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace coal {

using Hash = std::array<uint8_t, 32>;

std::string ToHex(std::string_view bytes);
std::string ToHex(const Hash& hash);
absl::StatusOr<std::string> FromHex(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Strict standard base64 with padding; rejects anything else.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

inline std::string_view AsView(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}
inline std::string HashBytes(const Hash& h) { return std::string(AsView(h)); }
absl::StatusOr<Hash> HashFromBytes(std::string_view bytes);

// Big-endian fixed-width encodings, so RocksDB iteration order is numeric order.
void AppendBigEndian64(std::string* out, uint64_t v);
void AppendBigEndian32(std::string* out, uint32_t v);
std::string BigEndian64(uint64_t v);
uint64_t ReadBigEndian64(std::string_view in);  // requires in.size() >= 8
uint32_t ReadBigEndian32(std::string_view in);  // requires in.size() >= 4

}  // namespace coal

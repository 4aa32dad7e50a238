// The domain data files compiled into the library at build time (node/domain/CMakeLists.txt
// turns data/rules.json and data/chips.json into byte arrays), so binaries need no data path.
// Thread safety: immutable static data.
#pragma once

#include <string_view>

namespace coal::domain {

std::string_view EmbeddedRulesJson();  // data/rules.json, byte for byte
std::string_view EmbeddedChipsJson();  // data/chips.json, byte for byte

}  // namespace coal::domain

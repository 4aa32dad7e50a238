#include "storage/kv_store.h"

namespace coal::storage {

const char* ColumnName(Column c) {
  switch (c) {
    case Column::kMeta: return "meta";
    case Column::kBlocks: return "blocks";
    case Column::kEntries: return "entries";
    case Column::kMerkle: return "merkle";
    case Column::kState: return "state";
    case Column::kIndex: return "idx";
    case Column::kConsensus: return "consensus";
  }
  return "unknown";
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace coal::storage

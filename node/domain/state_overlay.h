// StateOverlay: the executor's view of domain state during one block. Reads see, in order, the
// current entry's writes, the earlier entries of the block, then the KvStore; writes stay in
// memory until StageInto copies them into the caller's WriteBatch (the node writes that batch
// atomically with the block). An entry's writes are kept only if it is accepted (CommitEntry),
// so a rejected entry leaves no trace beyond what the executor records on purpose.
//
// Queries use it too, with no writes, as a plain reader over a KvStore.
//
// Also the key layout of domain state (Column::kState) and indexes (Column::kIndex): indexes are
// "<index name>\0<value>\0<log index BE64>" -> value (DESIGN §8), so a prefix scan of one
// (name, value) yields results in commit order.
//
// Thread safety: none; one executor thread owns it. The KvStore must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "storage/kv_store.h"

namespace coal::domain {

inline constexpr size_t kOverlayScanMax = 100000;  // rows one merged prefix scan may return

class StateOverlay {
 public:
  explicit StateOverlay(const storage::KvStore* store) : store_(store) {}
  StateOverlay(const StateOverlay&) = delete;
  StateOverlay& operator=(const StateOverlay&) = delete;

  // nullopt when absent; errors are the store's I/O errors.
  absl::StatusOr<std::optional<std::string>> Get(storage::Column c, std::string_view key) const;
  void Put(storage::Column c, std::string_view key, std::string_view value);

  // Keys with `prefix` in ascending order, pending writes shadowing stored values, at most
  // `limit` rows (limit <= kOverlayScanMax). `fn` returns false to stop.
  absl::Status ScanPrefix(storage::Column c, std::string_view prefix, size_t limit,
                          const std::function<bool(std::string_view, std::string_view)>& fn) const;

  void CommitEntry();                                // keep the current entry's writes in the block
  void AbortEntry();                                 // drop them
  void StageInto(storage::WriteBatch* batch) const;  // block writes, in key order
  void Clear();                                      // drop everything (after staging, or on abort)
  bool empty() const { return block_.empty() && entry_.empty(); }

 private:
  using Key = std::pair<int, std::string>;
  using Map = std::map<Key, std::string, std::less<>>;
  const storage::KvStore* store_;
  Map block_;
  Map entry_;
};

// ---- Key layout ---------------------------------------------------------------------------

std::string NonceKey(std::string_view author, std::string_view nonce);
std::string RuleSetRecordKey(std::string_view proposal_digest);
inline constexpr std::string_view kRuleSetRecordPrefix = "rs/r/";
std::string RuleSetVersionKey(std::string_view id, uint32_t version);
inline constexpr std::string_view kRuleSetCountKey = "rs/count";
std::string CommitmentKey(std::string_view commitment_id);
std::string ShipmentKey(std::string_view shipment_id);

// "<name>\0<value>\0" and that prefix + BE64(log_index). A '\0' inside value becomes ' '.
std::string IndexPrefix(std::string_view name, std::string_view value);
std::string IndexKey(std::string_view name, std::string_view value, uint64_t log_index);
// The log index at the end of an index key (requires key.size() >= 8).
uint64_t IndexKeyLogIndex(std::string_view key);

}  // namespace coal::domain

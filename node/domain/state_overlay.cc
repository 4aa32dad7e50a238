#include "node/domain/state_overlay.h"

#include <vector>

#include "crypto/bytes.h"
#include "crypto/status_macros.h"

namespace coal::domain {

using storage::Column;

absl::StatusOr<std::optional<std::string>> StateOverlay::Get(Column c, std::string_view key) const {
  for (const Map* m : {&entry_, &block_}) {
    auto it = m->find(std::make_pair(static_cast<int>(c), std::string(key)));
    if (it != m->end()) return std::optional<std::string>(it->second);
  }
  auto v = store_->Get(c, key);
  if (absl::IsNotFound(v.status())) return std::optional<std::string>();
  if (!v.ok()) return v.status();
  return std::optional<std::string>(std::move(*v));
}

void StateOverlay::Put(Column c, std::string_view key, std::string_view value) {
  entry_[std::make_pair(static_cast<int>(c), std::string(key))] = std::string(value);
}

absl::Status StateOverlay::ScanPrefix(
    Column c, std::string_view prefix, size_t limit,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  COAL_CHECK(limit > 0 && limit <= kOverlayScanMax);
  // Pending rows in the range (entry writes shadow block writes), then merge with the store.
  std::map<std::string, std::string, std::less<>> pending;
  for (const Map* m : {&block_, &entry_}) {
    for (auto it = m->lower_bound(std::make_pair(static_cast<int>(c), std::string(prefix)));
         it != m->end() && it->first.first == static_cast<int>(c) &&
         std::string_view(it->first.second).substr(0, prefix.size()) == prefix;
         ++it) {
      pending[it->first.second] = it->second;
    }
  }
  std::vector<std::pair<std::string, std::string>> stored;
  RETURN_IF_ERROR(store_->Scan(
      c, prefix, storage::PrefixEnd(prefix),
      [&](std::string_view k, std::string_view v) {
        stored.emplace_back(std::string(k), std::string(v));
        return true;
      },
      limit + pending.size()));
  auto p = pending.begin();
  size_t s = 0;
  size_t emitted = 0;
  while (emitted < limit && (p != pending.end() || s < stored.size())) {
    bool take_pending = s >= stored.size() || (p != pending.end() && p->first <= stored[s].first);
    bool keep_going;
    if (take_pending) {
      if (s < stored.size() && stored[s].first == p->first) ++s;  // shadowed
      keep_going = fn(p->first, p->second);
      ++p;
    } else {
      keep_going = fn(stored[s].first, stored[s].second);
      ++s;
    }
    ++emitted;
    if (!keep_going) break;
  }
  return absl::OkStatus();
}

void StateOverlay::CommitEntry() {
  for (auto& [k, v] : entry_) block_[k] = std::move(v);
  entry_.clear();
}

void StateOverlay::AbortEntry() { entry_.clear(); }

void StateOverlay::StageInto(storage::WriteBatch* batch) const {
  for (const auto& [k, v] : block_) batch->Put(static_cast<Column>(k.first), k.second, v);
}

void StateOverlay::Clear() {
  block_.clear();
  entry_.clear();
}

std::string NonceKey(std::string_view author, std::string_view nonce) {
  std::string k = "nonce/";
  k.append(author);
  k.push_back('\0');
  k.append(nonce);
  return k;
}

std::string RuleSetRecordKey(std::string_view proposal_digest) {
  return std::string(kRuleSetRecordPrefix) + std::string(proposal_digest);
}

std::string RuleSetVersionKey(std::string_view id, uint32_t version) {
  std::string k = "rs/v/";
  k.append(id);
  k.push_back('\0');
  AppendBigEndian32(&k, version);
  return k;
}

std::string CommitmentKey(std::string_view id) { return "cm/" + std::string(id); }
std::string ShipmentKey(std::string_view id) { return "sh/" + std::string(id); }

std::string IndexPrefix(std::string_view name, std::string_view value) {
  std::string k(name);
  k.push_back('\0');
  for (char ch : value) k.push_back(ch == '\0' ? ' ' : ch);
  k.push_back('\0');
  return k;
}

std::string IndexKey(std::string_view name, std::string_view value, uint64_t log_index) {
  std::string k = IndexPrefix(name, value);
  AppendBigEndian64(&k, log_index);
  return k;
}

uint64_t IndexKeyLogIndex(std::string_view key) {
  COAL_CHECK(key.size() >= 8);
  return ReadBigEndian64(key.substr(key.size() - 8));
}

}  // namespace coal::domain

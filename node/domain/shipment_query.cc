// QueryShipments and MatchEntityNames (queries.h).
#include <algorithm>
#include <map>
#include <set>

#include "crypto/bytes.h"
#include "crypto/status_macros.h"
#include "node/domain/chip_catalog.h"
#include "node/domain/entity_names.h"
#include "node/domain/entry_checks.h"
#include "node/domain/queries.h"
#include "node/domain/shipments.h"

namespace coal::domain {
namespace {

using coalition::v1::ShipmentQuery;
using coalition::v1::ShipmentRecord;
using storage::Column;

struct Row {
  uint64_t log_index;
  int64_t time_ms;
  std::string shipment_id;
};

// Rows of one index list after `after` that pass the time filter: at most `want`, examining at
// most `budget` rows. `exhausted_at` is set to the last log index examined when the budget ran
// out first (rows beyond it are unknown).
absl::Status CollectList(const storage::KvStore& kv, const std::string& prefix,
                         const std::string& start, const ShipmentQuery& q, size_t want,
                         size_t budget, bool time_ordered, std::vector<Row>* out,
                         std::optional<uint64_t>* exhausted_at, bool* more) {
  size_t examined = 0;
  size_t taken = 0;
  return kv.Scan(Column::kIndex, start, storage::PrefixEnd(prefix),
                 [&](std::string_view key, std::string_view value) {
                   if (taken == want) {
                     *more = true;
                     return false;
                   }
                   if (examined == budget) {
                     *exhausted_at = IndexKeyLogIndex(key) - 1;
                     *more = true;
                     return false;
                   }
                   ++examined;
                   if (value.size() < 8) return true;
                   const auto t = static_cast<int64_t>(ReadBigEndian64(value));
                   if (time_ordered && q.to_ms() != 0 && t > q.to_ms()) return false;
                   if (t < q.from_ms() || (q.to_ms() != 0 && t > q.to_ms())) return true;
                   out->push_back({IndexKeyLogIndex(key), t, std::string(value.substr(8))});
                   ++taken;
                   return true;
                 });
}

absl::StatusOr<ShipmentRecord> LoadRecord(const storage::KvStore& kv, std::string_view id) {
  auto bytes = kv.Get(Column::kState, ShipmentKey(id));
  if (!bytes.ok()) return bytes.status();
  ShipmentRecord r;
  if (!r.ParseFromString(*bytes)) return absl::DataLossError("shipment record does not decode");
  return r;
}

void FillMatchedEntities(const std::vector<std::string>& names, ShipmentRecord* r) {
  std::set<std::string> mine;
  const auto& s = r->shipment();
  mine.insert(NormalizeEntityName(s.shipper().name()));
  mine.insert(NormalizeEntityName(s.consignee().name()));
  for (const auto& p : s.intermediaries()) mine.insert(NormalizeEntityName(p.name()));
  for (const auto& n : names) {
    if (mine.contains(n)) r->add_matched_entities(n);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MatchEntityNames(const StateOverlay& state,
                                                          std::string_view entity,
                                                          bool exact_only) {
  const std::string q = NormalizeEntityName(entity);
  if (q.empty()) return absl::InvalidArgumentError("entity: normalizes to an empty name");
  std::vector<std::string> out{q};
  if (exact_only) return out;
  std::set<std::string> found;
  size_t rows = 0;
  // Whole-name variants: one misspelt token, found with exact scans however common the tokens.
  for (const auto& variant : NameVariants(q)) {
    const std::string prefix = IndexPrefix(kShipNameWholeVariantIndex, variant);
    const size_t limit = std::min(kFuzzyListRowsMax, kFuzzyRowsMax - rows);
    if (limit == 0) break;
    RETURN_IF_ERROR(state.ScanPrefix(Column::kIndex, prefix, limit,
                                     [&](std::string_view key, std::string_view) {
                                       found.insert(std::string(key.substr(prefix.size())));
                                       ++rows;
                                       return true;
                                     }));
  }
  // Per query token, the names holding a token within one deletion of it. A list that fills
  // kFuzzyListRowsMax is "common" and is used to narrow only when no rarer token exists.
  struct TokenNames {
    std::set<std::string> names;
    bool common = false;
  };
  std::vector<TokenNames> lists;
  for (const auto& token : EntityTokens(q)) {
    TokenNames tn;
    for (const auto& variant : DeletionVariants(token)) {
      const std::string prefix = IndexPrefix(kShipNameVariantIndex, variant);
      size_t n = 0;
      const size_t limit = std::min(kFuzzyListRowsMax, kFuzzyRowsMax - rows);
      if (limit == 0) {
        tn.common = true;
        break;
      }
      RETURN_IF_ERROR(state.ScanPrefix(Column::kIndex, prefix, limit,
                                       [&](std::string_view key, std::string_view) {
                                         tn.names.insert(std::string(key.substr(prefix.size())));
                                         ++n;
                                         return true;
                                       }));
      rows += n;
      if (n == limit) {
        tn.common = true;  // narrowing by it would be arbitrary: stop paying for its variants
        break;
      }
    }
    lists.push_back(std::move(tn));
  }
  const bool any_rare =
      std::any_of(lists.begin(), lists.end(), [](const TokenNames& t) { return !t.common; });
  std::optional<std::set<std::string>> candidates;
  for (const auto& tn : lists) {
    if (!any_rare) break;  // all tokens common: truncated lists would miss names at random
    if (tn.common) continue;
    if (!candidates.has_value()) {
      candidates = tn.names;
      continue;
    }
    std::set<std::string> both;
    std::set_intersection(candidates->begin(), candidates->end(), tn.names.begin(), tn.names.end(),
                          std::inserter(both, both.begin()));
    candidates = std::move(both);
  }
  if (candidates.has_value()) found.insert(candidates->begin(), candidates->end());
  for (const auto& name : found) {
    if (out.size() >= kFuzzyNamesMax) break;
    if (name != q && FuzzyNameMatch(q, name)) out.push_back(name);
  }
  return out;
}

absl::StatusOr<coalition::v1::ShipmentResponse> QueryShipments(
    const storage::KvStore& kv, const coalition::v1::Genesis& genesis, const ShipmentQuery& q,
    std::string_view caller_member_id) {
  RETURN_IF_ERROR(CheckShipmentReadAccess(genesis, caller_member_id));
  coalition::v1::ShipmentResponse out;
  if (q.key_case() == ShipmentQuery::kShipmentId) {
    auto r = LoadRecord(kv, q.shipment_id());
    if (absl::IsNotFound(r.status())) {
      return absl::NotFoundError("shipment_id: '" + q.shipment_id() + "' is not flagged");
    }
    RETURN_IF_ERROR(r.status());
    *out.add_shipments() = std::move(*r);
    return out;
  }
  uint64_t after = 0;
  int64_t after_time = 0;
  const bool has_token = !q.page_token().empty();
  if (has_token) RETURN_IF_ERROR(DecodePageToken(q.page_token(), &after, &after_time));
  const uint32_t page = PageSize(q.page_size());

  std::vector<std::string> prefixes;
  std::vector<std::string> names;
  auto require = [](const std::string& v, const char* field) -> absl::Status {
    if (v.empty())
      return absl::InvalidArgumentError(std::string(field) + ": empty after normalization");
    return absl::OkStatus();
  };
  switch (q.key_case()) {
    case ShipmentQuery::kEntity: {
      StateOverlay view(&kv);
      ASSIGN_OR_RETURN(names, MatchEntityNames(view, q.entity(), q.exact_entity()));
      for (const auto& n : names) prefixes.push_back(IndexPrefix(kShipEntityIndex, n));
      break;
    }
    case ShipmentQuery::kChipModel:
      RETURN_IF_ERROR(require(ModelKey(q.chip_model()), "chip_model"));
      prefixes.push_back(IndexPrefix(kShipModelIndex, ModelKey(q.chip_model())));
      break;
    case ShipmentQuery::kSerialNumber:
      RETURN_IF_ERROR(require(UpperTrim(q.serial_number()), "serial_number"));
      prefixes.push_back(IndexPrefix(kShipSerialIndex, UpperTrim(q.serial_number())));
      break;
    case ShipmentQuery::kCountry:
      RETURN_IF_ERROR(require(UpperTrim(q.country()), "country"));
      prefixes.push_back(IndexPrefix(kShipCountryIndex, UpperTrim(q.country())));
      break;
    case ShipmentQuery::kHsCode:
      RETURN_IF_ERROR(require(HsDigits(q.hs_code()), "hs_code"));
      prefixes.push_back(IndexPrefix(kShipHsIndex, HsDigits(q.hs_code())));
      break;
    case ShipmentQuery::kReason:
      RETURN_IF_ERROR(require(NormalizeText(q.reason()), "reason"));
      prefixes.push_back(IndexPrefix(kShipReasonIndex, NormalizeText(q.reason())));
      break;
    default:
      break;
  }

  std::vector<Row> rows;
  std::optional<uint64_t> frontier;  // rows beyond it are not known yet
  bool more = false;
  if (prefixes.empty()) {
    // Every shipment, in flag-time order, which is commit order (block time is monotonic).
    const std::string prefix = std::string(kShipTimeIndex) + '\0';
    std::string start = has_token ? TimeIndexKey(after_time, after + 1)
                                  : TimeIndexKey(std::max<int64_t>(q.from_ms(), 0), 0);
    std::optional<uint64_t> exhausted;
    RETURN_IF_ERROR(CollectList(kv, prefix, start, q, page, kScanRowsPerPageMax, true, &rows,
                                &exhausted, &more));
    frontier = exhausted;
  } else {
    const size_t budget = kScanRowsPerPageMax / prefixes.size();
    for (const auto& prefix : prefixes) {
      std::string start = prefix;
      if (has_token) AppendBigEndian64(&start, after + 1);
      std::optional<uint64_t> exhausted;
      RETURN_IF_ERROR(
          CollectList(kv, prefix, start, q, page, budget, false, &rows, &exhausted, &more));
      if (exhausted.has_value()) frontier = std::min(frontier.value_or(*exhausted), *exhausted);
    }
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.log_index < b.log_index; });
    rows.erase(std::unique(rows.begin(), rows.end(),
                           [](const Row& a, const Row& b) { return a.log_index == b.log_index; }),
               rows.end());
  }
  if (frontier.has_value()) {
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const Row& r) { return r.log_index > *frontier; }),
               rows.end());
  }
  if (rows.size() > page) {
    rows.resize(page);
    more = true;
  }
  for (const Row& row : rows) {
    ASSIGN_OR_RETURN(ShipmentRecord r, LoadRecord(kv, row.shipment_id));
    if (!names.empty()) FillMatchedEntities(names, &r);
    *out.add_shipments() = std::move(r);
  }
  if (more) {
    if (rows.size() == page || !frontier.has_value()) {
      const Row& last = rows.back();
      out.set_next_page_token(EncodePageToken(last.log_index, last.time_ms));
    } else {
      // The scan budget ran out before the page filled: resume after the frontier.
      out.set_next_page_token(
          EncodePageToken(*frontier, rows.empty() ? q.from_ms() : rows.back().time_ms));
    }
  }
  return out;
}

}  // namespace coal::domain

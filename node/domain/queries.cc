#include "node/domain/queries.h"

#include <charconv>

#include "crypto/status_macros.h"
#include "node/domain/chip_catalog.h"
#include "node/domain/evaluator.h"
#include "node/domain/rule_sets.h"

namespace coal::domain {

absl::StatusOr<coalition::v1::EvaluateResponse> QueryEvaluate(
    const storage::KvStore& kv, const coalition::v1::EvaluateRequest& request, int64_t now_ms) {
  StateOverlay view(&kv);
  ASSIGN_OR_RETURN(auto records, LoadRuleSetRecords(view));
  return EvaluateAgainst(records, request, ChipCatalog::Embedded(), now_ms);
}

absl::StatusOr<coalition::v1::RuleSetResponse> QueryRuleSets(
    const storage::KvStore& kv, const coalition::v1::RuleSetRequest& request, int64_t now_ms) {
  StateOverlay view(&kv);
  ASSIGN_OR_RETURN(auto records, LoadRuleSetRecords(view));
  const int64_t as_of = request.as_of_ms() != 0 ? request.as_of_ms() : now_ms;
  return RuleSetsAsOf(records, as_of, request.rule_set_id());
}

std::string EncodePageToken(uint64_t log_index, int64_t time_ms) {
  return std::to_string(log_index) + ":" + std::to_string(time_ms);
}

absl::Status DecodePageToken(std::string_view token, uint64_t* log_index, int64_t* time_ms) {
  const size_t colon = token.find(':');
  auto bad = [&] { return absl::InvalidArgumentError("page_token: not a token of this query"); };
  if (colon == std::string_view::npos) return bad();
  auto a = std::from_chars(token.data(), token.data() + colon, *log_index);
  auto b = std::from_chars(token.data() + colon + 1, token.data() + token.size(), *time_ms);
  if (a.ec != std::errc() || a.ptr != token.data() + colon || b.ec != std::errc() ||
      b.ptr != token.data() + token.size()) {
    return bad();
  }
  return absl::OkStatus();
}

uint32_t PageSize(uint32_t requested) {
  if (requested == 0) return kPageSizeDefault;
  return std::min(requested, kPageSizeMax);
}

}  // namespace coal::domain

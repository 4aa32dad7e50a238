// Read side of the compliance domain: the ComplianceService answers, computed from committed
// state in a KvStore (never from an executor's in-block overlay). The gRPC layer converts the
// absl::Status codes at its edge; these functions know nothing of gRPC.
//
//   QueryEvaluate     EvaluateRequest -> EvaluateResponse (evaluator.h semantics)
//   QueryRuleSets     RuleSetRequest  -> RuleSetResponse (rule_sets.h as-of semantics)
//   QueryCommitments  CommitmentQuery -> CommitmentResponse
//   QueryShipments    ShipmentQuery + caller member id -> ShipmentResponse
// `now_ms` stands in for as_of 0 ("now"); the caller passes its clock.
//
// Paging: page_size 0 means kPageSizeDefault, at most kPageSizeMax. Results come in commit order
// (the log index of the creating entry) and each carries its log index. next_page_token is
// opaque; empty when there is nothing more. A page may hold fewer than page_size results when a
// filter skipped more than kScanRowsPerPageMax index rows: follow the token.
//
// Commitments: commitment_id selects one; else member (buyer), vendor, status ("open"/"closed")
// and period overlap [period_from_ms, period_to_ms] filter. Aggregates (per currency) cover every
// matching commitment (up to kAggregateRowsMax): by_member keyed by buyer, by_vendor keyed by the
// commitment's vendors joined with "+" (a multi-vendor commitment is one pool; it is never split).
//
// Shipments: first the read check (entry_checks.h CheckShipmentReadAccess: UNAUTHENTICATED for a
// non-member, PERMISSION_DENIED for cloud providers and observers). Then one key: shipment_id,
// entity (normalized exact match plus fuzzy spelling variants unless exact_entity; see
// entity_names.h; at most kFuzzyNamesMax names, found within kFuzzyRowsMax dictionary rows),
// chip_model, serial_number, country (destination, route hub or party country), hs_code (full
// code or its 4/6/8-digit heading), reason; or no key: every shipment. from_ms/to_ms filter on
// the time the flag was recorded (inclusive; to_ms 0 = open).
//
// Thread safety: functions over a KvStore, safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/services.pb.h"
#include "node/domain/state_overlay.h"
#include "storage/kv_store.h"

namespace coal::domain {

inline constexpr uint32_t kPageSizeDefault = 50;
inline constexpr uint32_t kPageSizeMax = 500;
inline constexpr size_t kScanRowsPerPageMax = 20000;
inline constexpr size_t kAggregateRowsMax = 100000;
inline constexpr size_t kFuzzyNamesMax = 16;
inline constexpr size_t kFuzzyRowsMax = 16384;
inline constexpr size_t kFuzzyListRowsMax = 256;

absl::StatusOr<coalition::v1::EvaluateResponse> QueryEvaluate(
    const storage::KvStore& kv, const coalition::v1::EvaluateRequest& request, int64_t now_ms);

absl::StatusOr<coalition::v1::RuleSetResponse> QueryRuleSets(
    const storage::KvStore& kv, const coalition::v1::RuleSetRequest& request, int64_t now_ms);

absl::StatusOr<coalition::v1::CommitmentResponse> QueryCommitments(
    const storage::KvStore& kv, const coalition::v1::CommitmentQuery& query);

absl::StatusOr<coalition::v1::ShipmentResponse> QueryShipments(
    const storage::KvStore& kv, const coalition::v1::Genesis& genesis,
    const coalition::v1::ShipmentQuery& query, std::string_view caller_member_id);

// The normalized names an entity query matches: the exact normalized name first (even when no
// shipment has it), then fuzzy matches in name order. INVALID_ARGUMENT for a name that
// normalizes to nothing.
absl::StatusOr<std::vector<std::string>> MatchEntityNames(const StateOverlay& state,
                                                          std::string_view entity, bool exact_only);

// Page tokens: "<log index>:<flagged_at_ms>" of the last row examined.
std::string EncodePageToken(uint64_t log_index, int64_t time_ms);
absl::Status DecodePageToken(std::string_view token, uint64_t* log_index, int64_t* time_ms);
uint32_t PageSize(uint32_t requested);

}  // namespace coal::domain

// Flagged shipments (DESIGN §5): flag a shipment, then append events. Only enforcement members
// write (entry checks: role_not_allowed); reads are gated by CheckShipmentReadAccess.
//
// State machine of ShipmentEvent.new_state (UNSPECIFIED = a note/update, no state change, allowed
// in every state but CLOSED). Anything not listed is rejected with invalid_transition:
//
//   from \ to     UNDER_REVIEW DETAINED SEIZED REFERRED CHARGED CLEARED CLOSED
//   FLAGGED            x          x       x       x               x       x
//   UNDER_REVIEW                  x       x       x               x       x
//   DETAINED           x                  x       x               x       x
//   SEIZED                                        x        x      x       x
//   REFERRED                                               x      x       x
//   CHARGED                                                               x
//   CLEARED                                                               x
//   CLOSED        (terminal: no event at all)
//
// FLAGGED is only ever set by the FlaggedShipment itself. Other reasons: duplicate_shipment,
// unknown_shipment, too_many_events (kShipmentEventsMax).
//
// Screening: when flagged, each item's chip_model is looked up in the catalog and evaluated
// against every rule set in force at shipped_at_ms (block time when 0), destination =
// suspected_destination else declared_destination; the Evaluations are stored with the record
// (unknown models and missing parameters as Evaluation.error).
//
// State: Column::kState "sh/<id>" -> ShipmentRecord (services.proto). Indexes (Column::kIndex),
// every row keyed by the flag's log index with value BE64(flagged_at_ms) + shipment_id:
//   sh.entity  normalized party name (shipper, consignee, intermediaries)
//   sh.model   ModelKey(chip_model)          sh.serial  upper-cased serial number
//   sh.country destinations, route entries and party countries (upper case)
//   sh.hs      HS code digits, and its 4/6/8-digit prefixes
//   sh.reason  NormalizeText(flag reason)
//   sh.time    "sh.time\0" BE64(flagged_at_ms) BE64(log index) (commit order = time order)
// and the fuzzy-name dictionaries "sh.ndel\0<token variant>\0<normalized name>" and
// "sh.nvar\0<name variant>\0<normalized name>" (entity_names.h), written once per distinct name
// (marker "sh.names\0<name>").
// Thread safety: pure functions over the given state.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "coalition/v1/domain.pb.h"
#include "coalition/v1/services.pb.h"
#include "node/domain/handler_context.h"

namespace coal::domain {

inline constexpr int kShipmentEventsMax = 1000;
inline constexpr char kShipEntityIndex[] = "sh.entity";
inline constexpr char kShipModelIndex[] = "sh.model";
inline constexpr char kShipSerialIndex[] = "sh.serial";
inline constexpr char kShipCountryIndex[] = "sh.country";
inline constexpr char kShipHsIndex[] = "sh.hs";
inline constexpr char kShipReasonIndex[] = "sh.reason";
inline constexpr char kShipTimeIndex[] = "sh.time";
inline constexpr char kShipNameVariantIndex[] = "sh.ndel";
inline constexpr char kShipNameMarker[] = "sh.names";
inline constexpr char kShipNameWholeVariantIndex[] = "sh.nvar";

bool IsAllowedTransition(coalition::v1::ShipmentState from, coalition::v1::ShipmentState to);

absl::Status ApplyFlaggedShipment(const HandlerContext& ctx,
                                  const coalition::v1::FlaggedShipment& shipment);
absl::Status ApplyShipmentEvent(const HandlerContext& ctx,
                                const coalition::v1::ShipmentEvent& event);

// Every index row (Column::kIndex) of a new shipment record. `is_new_name(name)` says whether
// the fuzzy dictionary still lacks a normalized name (its rows are then included). Exposed for
// the executor and for bulk loaders (benchmarks).
struct IndexRow {
  std::string key;
  std::string value;
};
std::vector<IndexRow> ShipmentIndexRows(const coalition::v1::ShipmentRecord& record,
                                        const std::function<bool(const std::string&)>& is_new_name);

// The normalized index values of a shipment (deduplicated), per index name.
std::vector<std::pair<std::string, std::string>> ShipmentIndexValues(
    const coalition::v1::FlaggedShipment& shipment);
// HS code digits ("8473.30" -> "847330").
std::string HsDigits(std::string_view code);
std::string UpperTrim(std::string_view s);
std::string TimeIndexKey(int64_t flagged_at_ms, uint64_t log_index);

}  // namespace coal::domain

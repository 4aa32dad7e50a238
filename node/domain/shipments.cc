#include "node/domain/shipments.h"

#include <set>

#include "crypto/bytes.h"
#include "crypto/status_macros.h"
#include "node/domain/chip_catalog.h"
#include "node/domain/entity_names.h"
#include "node/domain/evaluator.h"
#include "node/domain/reasons.h"
#include "node/domain/rule_sets.h"

namespace coal::domain {
namespace {

using coalition::v1::ShipmentRecord;
using coalition::v1::ShipmentState;
using storage::Column;

absl::Status Fail(std::string_view reason, std::string detail) {
  return Reject(absl::StatusCode::kFailedPrecondition, reason, std::move(detail));
}

void Store(const HandlerContext& ctx, const ShipmentRecord& r) {
  std::string bytes;
  r.SerializeToString(&bytes);
  ctx.state.Put(Column::kState, ShipmentKey(r.shipment().shipment_id()), bytes);
}

absl::Status Screen(const HandlerContext& ctx, ShipmentRecord* r) {
  const auto& s = r->shipment();
  const int64_t at = s.shipped_at_ms() > 0 ? s.shipped_at_ms() : ctx.block_time_ms;
  const std::string& dest =
      s.suspected_destination().empty() ? s.declared_destination() : s.suspected_destination();
  ASSIGN_OR_RETURN(auto records, LoadRuleSetRecords(ctx.state));
  std::set<std::string> done;
  for (const auto& item : s.items()) {
    if (!done.insert(ModelKey(item.chip_model())).second) continue;
    coalition::v1::EvaluateRequest req;
    req.mutable_chip()->set_model(item.chip_model());
    req.set_destination(dest);
    req.set_as_of_ms(at);
    auto res = EvaluateAgainst(records, req, ChipCatalog::Embedded(), at);
    if (!res.ok()) {
      auto* e = r->add_screening();
      e->set_chip_model(item.chip_model());
      e->set_classification("none");
      e->set_error(std::string(res.status().message()));
      continue;
    }
    for (auto& e : *res->mutable_evaluations()) {
      e.set_chip_model(item.chip_model());
      *r->add_screening() = std::move(e);
    }
  }
  return absl::OkStatus();
}

std::string RowValue(const ShipmentRecord& r) {
  std::string v = BigEndian64(static_cast<uint64_t>(r.flagged_at_ms()));
  v += r.shipment().shipment_id();
  return v;
}

}  // namespace

bool IsAllowedTransition(ShipmentState from, ShipmentState to) {
  using coalition::v1::SHIPMENT_CHARGED;
  using coalition::v1::SHIPMENT_CLEARED;
  using coalition::v1::SHIPMENT_CLOSED;
  using coalition::v1::SHIPMENT_DETAINED;
  using coalition::v1::SHIPMENT_FLAGGED;
  using coalition::v1::SHIPMENT_REFERRED;
  using coalition::v1::SHIPMENT_SEIZED;
  using coalition::v1::SHIPMENT_STATE_UNSPECIFIED;
  using coalition::v1::SHIPMENT_UNDER_REVIEW;
  if (from == SHIPMENT_CLOSED) return false;
  if (to == SHIPMENT_STATE_UNSPECIFIED) return true;  // a note; no state change
  switch (from) {
    case SHIPMENT_FLAGGED:
      return to == SHIPMENT_UNDER_REVIEW || to == SHIPMENT_DETAINED || to == SHIPMENT_SEIZED ||
             to == SHIPMENT_REFERRED || to == SHIPMENT_CLEARED || to == SHIPMENT_CLOSED;
    case SHIPMENT_UNDER_REVIEW:
      return to == SHIPMENT_DETAINED || to == SHIPMENT_SEIZED || to == SHIPMENT_REFERRED ||
             to == SHIPMENT_CLEARED || to == SHIPMENT_CLOSED;
    case SHIPMENT_DETAINED:
      return to == SHIPMENT_UNDER_REVIEW || to == SHIPMENT_SEIZED || to == SHIPMENT_REFERRED ||
             to == SHIPMENT_CLEARED || to == SHIPMENT_CLOSED;
    case SHIPMENT_SEIZED:
      return to == SHIPMENT_REFERRED || to == SHIPMENT_CHARGED || to == SHIPMENT_CLEARED ||
             to == SHIPMENT_CLOSED;
    case SHIPMENT_REFERRED:
      return to == SHIPMENT_CHARGED || to == SHIPMENT_CLEARED || to == SHIPMENT_CLOSED;
    case SHIPMENT_CHARGED:
    case SHIPMENT_CLEARED:
      return to == SHIPMENT_CLOSED;
    default:
      return false;
  }
}

std::string HsDigits(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (std::isdigit(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

std::string UpperTrim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

std::string TimeIndexKey(int64_t flagged_at_ms, uint64_t log_index) {
  std::string k(kShipTimeIndex);
  k.push_back('\0');
  AppendBigEndian64(&k, static_cast<uint64_t>(flagged_at_ms));
  AppendBigEndian64(&k, log_index);
  return k;
}

std::vector<std::pair<std::string, std::string>> ShipmentIndexValues(
    const coalition::v1::FlaggedShipment& s) {
  std::set<std::pair<std::string, std::string>> rows;
  auto add = [&](const char* index, std::string value) {
    if (!value.empty()) rows.emplace(index, std::move(value));
  };
  std::vector<const coalition::v1::Party*> parties{&s.shipper(), &s.consignee()};
  for (const auto& p : s.intermediaries()) parties.push_back(&p);
  for (const auto* p : parties) {
    add(kShipEntityIndex, NormalizeEntityName(p->name()));
    add(kShipCountryIndex, UpperTrim(p->country()));
  }
  for (const auto& item : s.items()) {
    add(kShipModelIndex, ModelKey(item.chip_model()));
    for (const auto& serial : item.serial_numbers()) add(kShipSerialIndex, UpperTrim(serial));
  }
  add(kShipCountryIndex, UpperTrim(s.declared_destination()));
  add(kShipCountryIndex, UpperTrim(s.suspected_destination()));
  for (const auto& hop : s.route()) add(kShipCountryIndex, UpperTrim(hop));
  for (const auto& hs : s.hs_codes()) {
    const std::string digits = HsDigits(hs);
    add(kShipHsIndex, digits);
    for (size_t n : {4, 6, 8}) {
      if (digits.size() > n) add(kShipHsIndex, digits.substr(0, n));
    }
  }
  for (const auto& reason : s.flag_reasons()) add(kShipReasonIndex, NormalizeText(reason));
  return {rows.begin(), rows.end()};
}

std::vector<IndexRow> ShipmentIndexRows(
    const ShipmentRecord& r, const std::function<bool(const std::string&)>& is_new_name) {
  std::vector<IndexRow> out;
  const std::string value = RowValue(r);
  for (const auto& [index, v] : ShipmentIndexValues(r.shipment())) {
    out.push_back({IndexKey(index, v, r.log_index()), value});
    if (index != std::string_view(kShipEntityIndex) || !is_new_name(v)) continue;
    out.push_back({IndexPrefix(kShipNameMarker, v), ""});
    for (const auto& variant : NameVariants(v)) {
      out.push_back({IndexPrefix(kShipNameWholeVariantIndex, variant) + v, ""});
    }
    for (const auto& token : EntityTokens(v)) {
      for (const auto& variant : DeletionVariants(token)) {
        out.push_back({IndexPrefix(kShipNameVariantIndex, variant) + v, ""});
      }
    }
  }
  out.push_back({TimeIndexKey(r.flagged_at_ms(), r.log_index()), value});
  return out;
}

absl::Status ApplyFlaggedShipment(const HandlerContext& ctx,
                                  const coalition::v1::FlaggedShipment& s) {
  ASSIGN_OR_RETURN(auto existing, ctx.state.Get(Column::kState, ShipmentKey(s.shipment_id())));
  if (existing.has_value()) {
    return Fail(reason::kDuplicateShipment,
                "shipment_id: '" + s.shipment_id() + "' is already flagged");
  }
  ShipmentRecord r;
  *r.mutable_shipment() = s;
  r.set_state(coalition::v1::SHIPMENT_FLAGGED);
  r.set_log_index(ctx.log_index);
  r.set_flagged_at_ms(ctx.block_time_ms);
  RETURN_IF_ERROR(Screen(ctx, &r));
  absl::Status lookup = absl::OkStatus();
  auto rows = ShipmentIndexRows(r, [&](const std::string& name) {
    auto seen = ctx.state.Get(Column::kIndex, IndexPrefix(kShipNameMarker, name));
    if (!seen.ok()) {
      lookup = seen.status();
      return false;
    }
    return !seen->has_value();
  });
  RETURN_IF_ERROR(lookup);
  for (const auto& row : rows) ctx.state.Put(Column::kIndex, row.key, row.value);
  Store(ctx, r);
  return absl::OkStatus();
}

absl::Status ApplyShipmentEvent(const HandlerContext& ctx, const coalition::v1::ShipmentEvent& e) {
  ASSIGN_OR_RETURN(auto stored, ctx.state.Get(Column::kState, ShipmentKey(e.shipment_id())));
  if (!stored.has_value()) {
    return Fail(reason::kUnknownShipment, "shipment_id: '" + e.shipment_id() + "' is not flagged");
  }
  ShipmentRecord r;
  if (!r.ParseFromString(*stored)) return absl::DataLossError("shipment record does not decode");
  if (!IsAllowedTransition(r.state(), e.new_state())) {
    return Fail(reason::kInvalidTransition,
                "new_state: " + coalition::v1::ShipmentState_Name(e.new_state()) +
                    " is not allowed after " + coalition::v1::ShipmentState_Name(r.state()));
  }
  if (r.events_size() >= kShipmentEventsMax) {
    return Fail(reason::kTooManyEvents, "shipment_id: '" + e.shipment_id() + "' has " +
                                            std::to_string(kShipmentEventsMax) + " events");
  }
  if (e.new_state() != coalition::v1::SHIPMENT_STATE_UNSPECIFIED) r.set_state(e.new_state());
  *r.add_events() = e;
  r.add_event_log_indexes(ctx.log_index);
  Store(ctx, r);
  return absl::OkStatus();
}

}  // namespace coal::domain

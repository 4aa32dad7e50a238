#include "node/domain/payload_validation.h"

#include <set>
#include <string>

#include "crypto/status_macros.h"
#include "node/domain/condition.h"
#include "node/domain/reasons.h"

namespace coal::domain {
namespace {

using google::protobuf::RepeatedPtrField;

std::string Indexed(std::string_view path, int i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

absl::Status Required(const std::string& value, std::string_view path, size_t max_bytes) {
  if (value.empty()) return InvalidField(std::string(path) + ": required");
  if (value.size() > max_bytes) {
    return InvalidField(std::string(path) + ": longer than " + std::to_string(max_bytes) +
                        " bytes");
  }
  return absl::OkStatus();
}

absl::Status Optional(const std::string& value, std::string_view path, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return InvalidField(std::string(path) + ": longer than " + std::to_string(max_bytes) +
                        " bytes");
  }
  return absl::OkStatus();
}

absl::Status Count(int n, std::string_view path, int min, int max) {
  if (n < min)
    return InvalidField(std::string(path) + ": at least " + std::to_string(min) + " required");
  if (n > max) return InvalidField(std::string(path) + ": more than " + std::to_string(max));
  return absl::OkStatus();
}

absl::Status Strings(const RepeatedPtrField<std::string>& items, std::string_view path, int max,
                     size_t max_bytes) {
  RETURN_IF_ERROR(Count(items.size(), path, 0, max));
  for (int i = 0; i < items.size(); ++i)
    RETURN_IF_ERROR(Required(items[i], Indexed(path, i), max_bytes));
  return absl::OkStatus();
}

absl::Status Digests(const RepeatedPtrField<std::string>& items, std::string_view path) {
  RETURN_IF_ERROR(Count(items.size(), path, 0, kEvidenceDigestsMax));
  for (int i = 0; i < items.size(); ++i) {
    if (items[i].size() != kEvidenceDigestBytes) {
      return InvalidField(Indexed(path, i) + ": must be a 32-byte SHA-256 digest");
    }
  }
  return absl::OkStatus();
}

bool IsRuleSetId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

absl::Status Countries(const RepeatedPtrField<std::string>& items, std::string_view path) {
  RETURN_IF_ERROR(Count(items.size(), path, 0, kDestinationsMax));
  for (int i = 0; i < items.size(); ++i) {
    if (items[i] != "*" && !IsCountryCode(items[i])) {
      return InvalidField(Indexed(path, i) + ": '" + items[i] +
                          "' is not an ISO country code or *");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMoney(const coalition::v1::Money& m, std::string_view path, bool positive) {
  if (!IsCurrencyCode(m.currency())) {
    return InvalidField(std::string(path) + ".currency: '" + m.currency() +
                        "' is not an ISO 4217 code");
  }
  if (m.units() < 0 || (positive && m.units() == 0)) {
    return InvalidField(std::string(path) + ".units: must be " + (positive ? "> 0" : ">= 0"));
  }
  return absl::OkStatus();
}

absl::Status ValidateEntries(const RepeatedPtrField<coalition::v1::RuleEntry>& entries,
                             const std::string& path, bool use_eccn, bool condition_required,
                             std::set<std::string, std::less<>>* refs, int* nodes) {
  for (int i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const std::string p = Indexed(path, i);
    const std::string& key = use_eccn ? e.eccn() : e.id();
    RETURN_IF_ERROR(Required(key, p + (use_eccn ? ".eccn" : ".id"), kConditionIdBytesMax));
    RETURN_IF_ERROR(Optional(e.effect(), p + ".effect", kConditionIdBytesMax));
    RETURN_IF_ERROR(Optional(e.summary(), p + ".summary", kTextBytesMax));
    if (e.has_condition()) {
      RETURN_IF_ERROR(ValidateCondition(e.condition(), *refs, p + ".condition", nodes));
    } else if (condition_required) {
      return Reject(absl::StatusCode::kInvalidArgument, reason::kInvalidCondition,
                    p + ".condition: required");
    }
    refs->insert(key);
  }
  return absl::OkStatus();
}

absl::Status ValidateParty(const coalition::v1::Party& p, const std::string& path) {
  RETURN_IF_ERROR(Optional(p.name(), path + ".name", kNameBytesMax));
  if (!p.country().empty() && !IsCountryCode(p.country())) {
    return InvalidField(path + ".country: '" + p.country() + "' is not an ISO country code");
  }
  return Optional(p.address(), path + ".address", kNameBytesMax * 2);
}

}  // namespace

bool IsCountryCode(std::string_view s) {
  return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1]));
}

bool IsCurrencyCode(std::string_view s) {
  return s.size() == 3 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1])) &&
         std::isupper(static_cast<unsigned char>(s[2]));
}

absl::Status ValidateRuleSet(const coalition::v1::RuleSet& rs, std::string_view path_view) {
  const std::string path(path_view);
  if (!IsRuleSetId(rs.id())) {
    return InvalidField(path + ".id: '" + rs.id() + "' must be 1..64 of [A-Za-z0-9._-]");
  }
  if (rs.version() < 1) return InvalidField(path + ".version: must be >= 1");
  RETURN_IF_ERROR(Optional(rs.title(), path + ".title", kNameBytesMax * 2));
  RETURN_IF_ERROR(Optional(rs.citation(), path + ".citation", kNameBytesMax));
  RETURN_IF_ERROR(Count(rs.entries_size(), path + ".entries", 1, kRuleEntriesMax));
  RETURN_IF_ERROR(Count(rs.exclusions_size(), path + ".exclusions", 0, kRuleExclusionsMax));
  RETURN_IF_ERROR(
      Count(rs.license_exceptions_size(), path + ".license_exceptions", 0, kRuleExclusionsMax));
  std::set<std::string, std::less<>> refs;
  int nodes = 0;
  RETURN_IF_ERROR(
      ValidateEntries(rs.exclusions(), path + ".exclusions", false, true, &refs, &nodes));
  RETURN_IF_ERROR(ValidateEntries(rs.entries(), path + ".entries", true, true, &refs, &nodes));
  RETURN_IF_ERROR(ValidateEntries(rs.license_exceptions(), path + ".license_exceptions", false,
                                  false, &refs, &nodes));
  const auto& d = rs.destinations();
  RETURN_IF_ERROR(Countries(d.license_required_to(), path + ".destinations.license_required_to"));
  RETURN_IF_ERROR(Countries(d.excluded(), path + ".destinations.excluded"));
  RETURN_IF_ERROR(Optional(d.description(), path + ".destinations.description", kTextBytesMax));
  RETURN_IF_ERROR(Count(d.additions_size(), path + ".destinations.additions", 0, kSupersedesMax));
  for (int i = 0; i < d.additions_size(); ++i) {
    RETURN_IF_ERROR(
        Countries(d.additions(i).countries(), Indexed(path + ".destinations.additions", i)));
  }
  if (rs.effective_at_ms() <= 0) return InvalidField(path + ".effective_at_ms: required");
  RETURN_IF_ERROR(Count(rs.supersedes_size(), path + ".supersedes", 0, kSupersedesMax));
  for (int i = 0; i < rs.supersedes_size(); ++i) {
    const std::string& s = rs.supersedes(i);
    const size_t at = s.find('@');
    bool ok = at != std::string::npos && IsRuleSetId(s.substr(0, at)) && at + 1 < s.size() &&
              s.size() - at <= 10;
    for (size_t k = at + 1; ok && k < s.size(); ++k)
      ok = std::isdigit(static_cast<unsigned char>(s[k]));
    if (!ok)
      return InvalidField(Indexed(path + ".supersedes", i) + ": '" + s + "' is not id@version");
  }
  RETURN_IF_ERROR(Optional(rs.source_json(), path + ".source_json", kSourceJsonBytesMax));
  return Count(rs.effective_dates_size(), path + ".effective_dates", 0, kEffectiveDatesMax);
}

absl::Status ValidateThresholdProposal(const coalition::v1::ThresholdProposal& p) {
  if (!p.has_rule_set()) return InvalidField("rule_set: required");
  RETURN_IF_ERROR(ValidateRuleSet(p.rule_set(), "rule_set"));
  return Optional(p.rationale(), "rationale", kTextBytesMax);
}

absl::Status ValidateThresholdApproval(const coalition::v1::ThresholdApproval& p) {
  if (p.proposal_digest().size() != 32) {
    return InvalidField("proposal_digest: must be the 32-byte digest of a proposal entry");
  }
  return absl::OkStatus();
}

absl::Status ValidateCommitment(const coalition::v1::ProcurementCommitment& p) {
  RETURN_IF_ERROR(Required(p.commitment_id(), "commitment_id", kIdBytesMax));
  RETURN_IF_ERROR(Required(p.buyer(), "buyer", kIdBytesMax));
  RETURN_IF_ERROR(Count(p.vendors_size(), "vendors", 1, kVendorsMax));
  RETURN_IF_ERROR(Strings(p.vendors(), "vendors", kVendorsMax, kIdBytesMax));
  std::set<std::string> seen(p.vendors().begin(), p.vendors().end());
  if (seen.size() != static_cast<size_t>(p.vendors_size()))
    return InvalidField("vendors: duplicate vendor");
  if (!p.has_amount()) return InvalidField("amount: required");
  RETURN_IF_ERROR(ValidateMoney(p.amount(), "amount", true));
  RETURN_IF_ERROR(Optional(p.chip_category(), "chip_category", kNameBytesMax));
  if (p.period_start_ms() <= 0) return InvalidField("period_start_ms: required");
  if (p.period_end_ms() <= p.period_start_ms()) {
    return InvalidField("period_end_ms: must be after period_start_ms");
  }
  RETURN_IF_ERROR(
      Strings(p.security_standards(), "security_standards", kSecurityStandardsMax, kNameBytesMax));
  return Optional(p.note(), "note", kTextBytesMax);
}

absl::Status ValidateDelivery(const coalition::v1::DeliveryReport& p) {
  RETURN_IF_ERROR(Required(p.commitment_id(), "commitment_id", kIdBytesMax));
  RETURN_IF_ERROR(Required(p.vendor(), "vendor", kIdBytesMax));
  if (!p.has_amount()) return InvalidField("amount: required");
  RETURN_IF_ERROR(ValidateMoney(p.amount(), "amount", false));
  if (p.amount().units() == 0 && p.quantity() == 0) {
    return InvalidField("amount.units: a delivery needs an amount or a quantity");
  }
  if (p.delivered_at_ms() <= 0) return InvalidField("delivered_at_ms: required");
  return Optional(p.reference(), "reference", kNameBytesMax);
}

absl::Status ValidateAmendment(const coalition::v1::CommitmentAmendment& p) {
  RETURN_IF_ERROR(Required(p.commitment_id(), "commitment_id", kIdBytesMax));
  if (p.has_amount()) RETURN_IF_ERROR(ValidateMoney(p.amount(), "amount", true));
  if (p.period_end_ms() < 0) return InvalidField("period_end_ms: must be >= 0");
  if (!p.has_amount() && p.quantity() == 0 && p.period_end_ms() == 0) {
    return InvalidField("amount: an amendment must change amount, quantity or period_end_ms");
  }
  return Optional(p.reason(), "reason", kTextBytesMax);
}

absl::Status ValidateClose(const coalition::v1::CommitmentClose& p) {
  RETURN_IF_ERROR(Required(p.commitment_id(), "commitment_id", kIdBytesMax));
  return Optional(p.reason(), "reason", kTextBytesMax);
}

absl::Status ValidateFlaggedShipment(const coalition::v1::FlaggedShipment& p) {
  RETURN_IF_ERROR(Required(p.shipment_id(), "shipment_id", kIdBytesMax));
  RETURN_IF_ERROR(Count(p.hs_codes_size(), "hs_codes", 0, kHsCodesMax));
  for (int i = 0; i < p.hs_codes_size(); ++i) {
    const std::string& hs = p.hs_codes(i);
    bool ok = hs.size() >= 2 && hs.size() <= 16;
    for (char c : hs) ok = ok && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
    if (!ok) return InvalidField(Indexed("hs_codes", i) + ": '" + hs + "' is not an HS code");
  }
  RETURN_IF_ERROR(Count(p.items_size(), "items", 1, kItemsMax));
  int serials = 0;
  for (int i = 0; i < p.items_size(); ++i) {
    const auto& item = p.items(i);
    const std::string path = Indexed("items", i);
    RETURN_IF_ERROR(Required(item.chip_model(), path + ".chip_model", kIdBytesMax));
    serials += item.serial_numbers_size();
    if (serials > kSerialsPerShipmentMax) {
      return InvalidField(path + ".serial_numbers: more than " +
                          std::to_string(kSerialsPerShipmentMax) + " in the shipment");
    }
    RETURN_IF_ERROR(
        Strings(item.serial_numbers(), path + ".serial_numbers", kSerialsPerShipmentMax, 64));
    RETURN_IF_ERROR(
        Optional(item.declared_description(), path + ".declared_description", kNameBytesMax));
  }
  RETURN_IF_ERROR(ValidateParty(p.shipper(), "shipper"));
  RETURN_IF_ERROR(ValidateParty(p.consignee(), "consignee"));
  RETURN_IF_ERROR(Count(p.intermediaries_size(), "intermediaries", 0, kIntermediariesMax));
  for (int i = 0; i < p.intermediaries_size(); ++i) {
    RETURN_IF_ERROR(ValidateParty(p.intermediaries(i), Indexed("intermediaries", i)));
  }
  if (p.shipper().name().empty() && p.consignee().name().empty() && p.intermediaries().empty()) {
    return InvalidField("shipper.name: a shipment needs at least one named party");
  }
  for (const auto* f : {&p.declared_destination(), &p.suspected_destination()}) {
    if (!f->empty() && !IsCountryCode(*f)) {
      return InvalidField(std::string(f == &p.declared_destination() ? "declared_destination"
                                                                     : "suspected_destination") +
                          ": '" + *f + "' is not an ISO country code");
    }
  }
  RETURN_IF_ERROR(Strings(p.route(), "route", kRouteMax, 64));
  RETURN_IF_ERROR(Count(p.flag_reasons_size(), "flag_reasons", 1, kFlagReasonsMax));
  RETURN_IF_ERROR(Strings(p.flag_reasons(), "flag_reasons", kFlagReasonsMax, kNameBytesMax));
  RETURN_IF_ERROR(Digests(p.evidence_digests(), "evidence_digests"));
  if (p.shipped_at_ms() < 0) return InvalidField("shipped_at_ms: must be >= 0");
  return absl::OkStatus();
}

absl::Status ValidateShipmentEvent(const coalition::v1::ShipmentEvent& p) {
  RETURN_IF_ERROR(Required(p.shipment_id(), "shipment_id", kIdBytesMax));
  if (!coalition::v1::ShipmentState_IsValid(p.new_state())) {
    return InvalidField("new_state: unknown state " + std::to_string(p.new_state()));
  }
  RETURN_IF_ERROR(Optional(p.note(), "note", kTextBytesMax));
  return Digests(p.evidence_digests(), "evidence_digests");
}

absl::Status ValidatePayload(PayloadKind kind, const google::protobuf::Message& m) {
  using namespace coalition::v1;  // NOLINT: the nine payload types
  switch (kind) {
    case PayloadKind::kAttestation: {
      const auto& a = static_cast<const Attestation&>(m);
      RETURN_IF_ERROR(Optional(a.subject(), "subject", kNameBytesMax));
      return Optional(a.body(), "body", kAttestationBodyBytesMax);
    }
    case PayloadKind::kThresholdProposal:
      return ValidateThresholdProposal(static_cast<const ThresholdProposal&>(m));
    case PayloadKind::kThresholdApproval:
      return ValidateThresholdApproval(static_cast<const ThresholdApproval&>(m));
    case PayloadKind::kProcurementCommitment:
      return ValidateCommitment(static_cast<const ProcurementCommitment&>(m));
    case PayloadKind::kDeliveryReport:
      return ValidateDelivery(static_cast<const DeliveryReport&>(m));
    case PayloadKind::kCommitmentAmendment:
      return ValidateAmendment(static_cast<const CommitmentAmendment&>(m));
    case PayloadKind::kCommitmentClose:
      return ValidateClose(static_cast<const CommitmentClose&>(m));
    case PayloadKind::kFlaggedShipment:
      return ValidateFlaggedShipment(static_cast<const FlaggedShipment&>(m));
    case PayloadKind::kShipmentEvent:
      return ValidateShipmentEvent(static_cast<const ShipmentEvent&>(m));
  }
  return InvalidField("payload_type: unknown kind");
}

}  // namespace coal::domain

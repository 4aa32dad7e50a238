#include "node/domain/chip_catalog.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "crypto/status_macros.h"
#include "node/domain/embedded_data.h"
#include "node/domain/rule_loader.h"

namespace coal::domain {
namespace {

using nlohmann::json;

std::optional<double> Number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

absl::Status CheckValue(double v, const char* field) {
  if (!std::isfinite(v) || v < 0 || v > kChipValueMax) {
    return absl::InvalidArgumentError(std::string("chip.") + field +
                                      ": must be a finite number in [0, 1e12]");
  }
  return absl::OkStatus();
}

}  // namespace

std::string ModelKey(std::string_view model) {
  std::string out;
  for (char c : model) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

absl::StatusOr<ChipCatalog> ChipCatalog::FromJson(std::string_view text) {
  if (text.size() > kChipsJsonBytesMax) return absl::ResourceExhaustedError("chips.json too large");
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("schema", "") != "coalition-ledger/chips/v1") {
    return absl::InvalidArgumentError("chips.json: not a coalition-ledger/chips/v1 document");
  }
  const json& list = j.value("chips", json::array());
  if (!list.is_array() || list.size() > kCatalogChipsMax) {
    return absl::InvalidArgumentError("chips.json chips: missing or too many");
  }
  ChipCatalog out;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& c = list[i];
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string()) {
      return absl::InvalidArgumentError("chips.json chips[" + std::to_string(i) + "].id: missing");
    }
    CatalogChip chip;
    chip.id = c["id"].get<std::string>();
    chip.vendor = c.value("vendor", "");
    chip.model = c.value("model", "");
    chip.datacenter = c.value("designed_or_marketed_for_datacenter", false);
    chip.ops_dense = Number(c, "ops_dense");
    chip.bit_length = Number(c, "bit_length");
    chip.die_area_mm2 = Number(c, "die_area_mm2");
    if (c.contains("interconnect") && c["interconnect"].is_object()) {
      chip.io_aggregate_GBps = Number(c["interconnect"], "aggregate_bidirectional_GBps");
    }
    out.chips_.push_back(std::move(chip));
  }
  return out;
}

absl::StatusOr<ChipCatalog> ChipCatalog::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, kChipsJsonBytesMax));
  return FromJson(text);
}

const ChipCatalog& ChipCatalog::Embedded() {
  static const ChipCatalog* catalog = [] {
    auto c = FromJson(EmbeddedChipsJson());
    COAL_CHECK(c.ok());  // the embedded file is part of the build
    return new ChipCatalog(std::move(*c));
  }();
  return *catalog;
}

const CatalogChip* ChipCatalog::Find(std::string_view model_or_id) const {
  const std::string key = ModelKey(model_or_id);
  if (key.empty()) return nullptr;
  for (const auto& c : chips_) {
    if (c.id == model_or_id || ModelKey(c.model) == key || ModelKey(c.id) == key) return &c;
  }
  return nullptr;
}

absl::StatusOr<ChipValues> ResolveChip(const coalition::v1::ChipParams& p,
                                       const ChipCatalog& catalog) {
  const CatalogChip* base = nullptr;
  if (!p.model().empty()) {
    base = catalog.Find(p.model());
    if (base == nullptr) {
      return absl::InvalidArgumentError("chip.model: '" + p.model().substr(0, 128) +
                                        "' is not in the chip catalog (data/chips.json)");
    }
  }
  for (auto [has, v, f] :
       {std::tuple{p.has_tpp(), p.tpp(), "tpp"},
        {p.has_dense_tops(), p.dense_tops(), "dense_tops"},
        {p.has_die_area_mm2(), p.die_area_mm2(), "die_area_mm2"},
        {p.has_performance_density(), p.performance_density(), "performance_density"},
        {p.has_io_bandwidth_gbps(), p.io_bandwidth_gbps(), "io_bandwidth_gbps"},
        {p.has_hbm_bandwidth_density(), p.hbm_bandwidth_density(), "hbm_bandwidth_density"}}) {
    if (has) RETURN_IF_ERROR(CheckValue(v, f));
  }
  if (p.has_bit_length() && (p.bit_length() < 1 || p.bit_length() > 256)) {
    return absl::InvalidArgumentError("chip.bit_length: must be 1..256");
  }
  ChipValues out;
  std::optional<double> tpp;
  if (p.has_tpp()) {
    tpp = p.tpp();
  } else if (p.has_dense_tops() || p.has_bit_length()) {
    std::optional<double> ops = p.has_dense_tops() ? std::optional(p.dense_tops())
                                                   : (base ? base->ops_dense : std::nullopt);
    std::optional<double> bits = p.has_bit_length() ? std::optional<double>(p.bit_length())
                                                    : (base ? base->bit_length : std::nullopt);
    if (ops && bits) tpp = *ops * *bits;
  } else if (base != nullptr && base->ops_dense && base->bit_length) {
    tpp = *base->ops_dense * *base->bit_length;
  }
  if (tpp) out.numbers["tpp"] = *tpp;
  double area = 0;  // 0 = unknown
  if (p.has_die_area_mm2()) {
    area = p.die_area_mm2();
  } else if (base != nullptr && base->die_area_mm2.has_value()) {
    area = base->die_area_mm2.value();
  }
  if (p.has_performance_density()) {
    out.numbers["performance_density"] = p.performance_density();
  } else if (tpp.has_value() && area > 0) {
    out.numbers["performance_density"] = tpp.value() / area;
  }
  if (p.has_datacenter()) {
    out.flags["datacenter"] = p.datacenter();
  } else if (base != nullptr) {
    out.flags["datacenter"] = base->datacenter;
  }
  if (p.has_io_bandwidth_gbps()) {
    out.numbers["io_aggregate_bidirectional_GBps"] = p.io_bandwidth_gbps();
  } else if (base != nullptr && base->io_aggregate_GBps) {
    out.numbers["io_aggregate_bidirectional_GBps"] = *base->io_aggregate_GBps;
  }
  if (p.has_hbm_bandwidth_density()) {
    out.numbers["hbm_memory_bandwidth_density"] = p.hbm_bandwidth_density();
  }
  if (p.has_hbm_copackaged_with_logic_primary()) {
    out.flags["hbm_copackaged_with_logic_primary"] = p.hbm_copackaged_with_logic_primary();
  } else if (base != nullptr) {
    out.flags["hbm_copackaged_with_logic_primary"] = true;
  }
  return out;
}

}  // namespace coal::domain

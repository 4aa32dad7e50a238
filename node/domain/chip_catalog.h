// The chip catalog (data/chips.json, schema "coalition-ledger/chips/v1") and the resolution of
// a request's chip (a catalog model and/or explicit parameters) into the values the condition
// grammar compares (condition.h ChipValues).
//
// Resolution, parameter by parameter (explicit request fields override the catalog):
//   tpp                     = chip.tpp, else chip.dense_tops x chip.bit_length, else the catalog's
//                             ops_dense x bit_length (dense, datasheet ops already count 2 per MAC)
//   performance_density     = chip.performance_density, else tpp / die_area_mm2 (request or
//                             catalog), computed, never the catalog's rounded figure
//   datacenter              = chip.datacenter, else designed_or_marketed_for_datacenter
//   io_aggregate_bidirectional_GBps = chip.io_bandwidth_gbps, else interconnect aggregate
//   hbm_memory_bandwidth_density    = chip.hbm_bandwidth_density only (the catalog gives no HBM
//                             stack area)
//   hbm_copackaged_with_logic_primary = chip field, else true for catalog chips: every catalog
//                             entry is a logic accelerator whose HBM sits in its package
// A parameter nobody gives stays absent; the evaluator reports it only if a condition needs it.
//
// Model lookup accepts the catalog id ("nvidia-h100-sxm5-80gb") or the model name, compared
// after lower-casing and dropping everything but letters and digits ("H100 SXM5 80GB").
// Limits: kChipsJsonBytesMax, kCatalogChipsMax. Thread safety: ChipCatalog is immutable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "coalition/v1/services.pb.h"
#include "node/domain/condition.h"

namespace coal::domain {

inline constexpr size_t kChipsJsonBytesMax = 4 << 20;
inline constexpr size_t kCatalogChipsMax = 4096;
inline constexpr double kChipValueMax = 1e12;

struct CatalogChip {
  std::string id;
  std::string vendor;
  std::string model;
  bool datacenter = false;
  std::optional<double> ops_dense;
  std::optional<double> bit_length;
  std::optional<double> die_area_mm2;
  std::optional<double> io_aggregate_GBps;
};

class ChipCatalog {
 public:
  static absl::StatusOr<ChipCatalog> FromJson(std::string_view json_text);
  static absl::StatusOr<ChipCatalog> FromFile(const std::string& path);
  // The catalog compiled into the binary; parsed once.
  static const ChipCatalog& Embedded();

  const CatalogChip* Find(std::string_view model_or_id) const;
  const std::vector<CatalogChip>& chips() const { return chips_; }

 private:
  std::vector<CatalogChip> chips_;
};

// "H100 SXM5 80GB" -> "h100sxm580gb".
std::string ModelKey(std::string_view model);

// INVALID_ARGUMENT naming the field for an unknown model or a negative/non-finite/huge value.
absl::StatusOr<ChipValues> ResolveChip(const coalition::v1::ChipParams& chip,
                                       const ChipCatalog& catalog);

}  // namespace coal::domain

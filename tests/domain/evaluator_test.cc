// The evaluation engine over the real rule sets and every chip of data/chips.json with numbers.
// Expected values are derived by hand from the rule text (data/rules.json) and the chip figures
// (data/chips.json); the arithmetic is in the comments.
#include "node/domain/evaluator.h"

#include <gtest/gtest.h>

#include "node/domain/chip_catalog.h"
#include "node/domain/rule_loader.h"
#include "node/domain/rule_sets.h"

namespace coal::domain {
namespace {

using coalition::v1::Evaluation;
using coalition::v1::RuleSet;

constexpr int64_t k2022Dec01 = 1669852800000;  // 2022-12-01
constexpr int64_t k2023Feb01 = 1675209600000;  // 2023-02-01 (after Macau was added)
constexpr int64_t k2025Jan01 = 1735689600000;

const RuleSet& Rules(const std::string& id) {
  static const LoadedRuleSets* loaded = new LoadedRuleSets(*LoadEmbeddedRuleSets());
  for (const auto& rs : loaded->rule_sets) {
    if (rs.id() == id) return rs;
  }
  ADD_FAILURE() << "no rule set " << id;
  return loaded->rule_sets.front();
}
const RuleSet& Oct2022() { return Rules("US-BIS-2022-10-ACSME"); }
const RuleSet& Oct2023() { return Rules("US-BIS-2023-10-ACS"); }

absl::StatusOr<Evaluation> EvalModel(const RuleSet& rs, const std::string& model,
                                     const std::string& dest = "CN", int64_t as_of = k2025Jan01) {
  coalition::v1::ChipParams p;
  p.set_model(model);
  auto chip = ResolveChip(p, ChipCatalog::Embedded());
  if (!chip.ok()) return chip.status();
  return EvaluateRuleSet(rs, *chip, dest, as_of);
}

// The headroom row for (param, op, threshold, branch); fails the test when absent.
double Headroom(const Evaluation& e, const std::string& param, const std::string& op,
                double threshold, const std::string& branch) {
  for (const auto& h : e.headroom()) {
    if (h.param() == param && h.op() == op && h.threshold() == threshold && h.branch() == branch) {
      return h.headroom();
    }
  }
  ADD_FAILURE() << "no headroom row " << param << op << threshold << " " << branch;
  return 0;
}

struct Case2022 {
  const char* model;
  const char* classification;  // 3A090.a = I/O >= 600 GB/s AND TPP >= 4800
  double io_headroom;          // aggregate bidirectional GB/s - 600
  double tpp_headroom;         // TPP - 4800
};

// TPP = dense TOPS x bit length (chips.json ops_dense x bit_length).
const Case2022 k2022Cases[] = {
    {"nvidia-h100-sxm5-80gb", "3A090.a", 428, 11032},              // io 1028; 1979x8 = 15832
    {"nvidia-h100-pcie-80gb", "3A090.a", 128, 7304},               // io 728; 1513x8 = 12104
    {"nvidia-h800-sxm5-80gb-china-sku", "none", -72, 11032},       // io 528 < 600
    {"nvidia-h200-sxm-141gb", "3A090.a", 428, 11032},              // io 1028; 15832
    {"nvidia-h20-hgx-china-sku", "none", 428, -2432},              // 296x8 = 2368 < 4800
    {"nvidia-a100-sxm4-80gb", "3A090.a", 64, 192},                 // io 664; 624x8 = 4992
    {"nvidia-a800-sxm4-80gb-china-sku", "none", -136, 192},        // io 464 < 600
    {"nvidia-l40s", "none", -536, 1064},                           // io 64; 733x8 = 5864
    {"nvidia-l20-china-sku", "none", -536, -2888},                 // 239x8 = 1912
    {"nvidia-l4", "none", -536, -2860},                            // 242.5x8 = 1940
    {"nvidia-geforce-rtx-4090", "none", -536, 484.8},              // 660.6x8 = 5284.8
    {"nvidia-geforce-rtx-4090-d-china-sku", "none", -536, -92.8},  // 588.4x8 = 4707.2
    {"nvidia-b200-hgx", "3A090.a", 1328, 31200},                   // io 1928; 4500x8 = 36000
    {"amd-instinct-mi300x", "3A090.a", 424, 16119.2},              // io 1024; 2614.9x8 = 20919.2
    {"amd-instinct-mi250x", "3A090.a", 264, 1328},                 // io 864; 383x16 = 6128
    {"intel-gaudi-2-hl-225h", "3A090.a", 64, 2112},                // io 664; 432x16 = 6912
    {"intel-gaudi-2-china-hl-225b", "none", -11, 2112},            // io 589 < 600
    {"intel-gaudi-3-hl-325l-oam", "3A090.a", 728, 24560},          // io 1328; 1835x16 = 29360
};

TEST(Evaluator2022, EveryCatalogChipWithNumbers) {
  for (const auto& c : k2022Cases) {
    SCOPED_TRACE(c.model);
    auto e = EvalModel(Oct2022(), c.model);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->classification(), c.classification);
    // No labelled branch in the 2022 text: the branch is the entry itself.
    EXPECT_EQ(e->branch(), std::string(c.classification) == "none" ? "" : c.classification);
    EXPECT_NEAR(Headroom(*e, "io_aggregate_bidirectional_GBps", ">=", 600, "3A090.a"),
                c.io_headroom, 1e-9);
    EXPECT_NEAR(Headroom(*e, "tpp", ">=", 4800, "3A090.a"), c.tpp_headroom, 1e-9);
    EXPECT_EQ(e->licence_required(), std::string(c.classification) != "none");  // to CN
  }
}

TEST(Evaluator2022, MissingInterconnectFigureIsNamed) {
  // Ascend 910B: TPP 320x16 = 5120 >= 4800 holds, so the answer hinges on the unknown I/O.
  auto e = EvalModel(Oct2022(), "huawei-ascend-910b");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(),
            "chip.io_bandwidth_gbps [io_aggregate_bidirectional_GBps]: needed by "
            "US-BIS-2022-10-ACSME@1 entry 3A090.a but not given");
}

struct Case2023 {
  const char* model;
  const char* classification;
  const char* branch;
  const char* excluded_by;
  double tpp_a1;  // TPP - 4800 (a.1)
};

const Case2023 k2023Cases[] = {
    {"nvidia-h100-sxm5-80gb", "3A090.a", "a.1", "", 11032},            // 15832 >= 4800
    {"nvidia-h100-pcie-80gb", "3A090.a", "a.1", "", 7304},             // 12104
    {"nvidia-h800-sxm5-80gb-china-sku", "3A090.a", "a.1", "", 11032},  // I/O no longer matters
    {"nvidia-h200-sxm-141gb", "3A090.a", "a.1", "", 11032},
    // 2368: a.1 no; a.2 PD 2368/814 = 2.909 < 5.92; b.1 2368 < 2400; b.2 PD 2.909 < 3.2.
    {"nvidia-h20-hgx-china-sku", "none", "", "", -2432},
    {"nvidia-a100-sxm4-80gb", "3A090.a", "a.1", "", 192},  // 4992
    {"nvidia-a800-sxm4-80gb-china-sku", "3A090.a", "a.1", "", 192},
    {"nvidia-l40s", "3A090.a", "a.1", "", 1064},  // 5864
    // 1912: a.2 PD 1912/608.5 = 3.142 < 5.92; b.1 1912 < 2400; b.2 PD 3.142 < 3.2.
    {"nvidia-l20-china-sku", "none", "", "", -2888},
    // 1940 >= 1600 and PD 1940/294.5 = 6.587 >= 5.92: only the density branch fires.
    {"nvidia-l4", "3A090.a", "a.2", "", -2860},
    // Not for datacenters, but TPP 5284.8 >= 4800 so Note 2 does not apply.
    {"nvidia-geforce-rtx-4090", "3A090.a", "a.1", "", 484.8},
    // Not for datacenters and TPP 4707.2 < 4800: Note 2 takes it out of 3A090.
    {"nvidia-geforce-rtx-4090-d-china-sku", "none", "", "Note2-3A090", -92.8},
    {"nvidia-b200-hgx", "3A090.a", "a.1", "", 31200},
    {"amd-instinct-mi300x", "3A090.a", "a.1", "", 16119.2},
    {"amd-instinct-mi250x", "3A090.a", "a.1", "", 1328},
    {"intel-gaudi-2-hl-225h", "3A090.a", "a.1", "", 2112},  // die area unknown: a.1 decides
    {"intel-gaudi-2-china-hl-225b", "3A090.a", "a.1", "", 2112},
    {"intel-gaudi-3-hl-325l-oam", "3A090.a", "a.1", "", 24560},
    {"huawei-ascend-910b", "3A090.a", "a.1", "", 320},  // 320x16 = 5120
};

TEST(Evaluator2023, EveryCatalogChipWithNumbers) {
  for (const auto& c : k2023Cases) {
    SCOPED_TRACE(c.model);
    auto e = EvalModel(Oct2023(), c.model);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->classification(), c.classification);
    EXPECT_EQ(e->branch(), c.branch);
    EXPECT_EQ(e->excluded_by(), c.excluded_by);
    EXPECT_NEAR(Headroom(*e, "tpp", ">=", 4800, "a.1"), c.tpp_a1, 1e-9);
    EXPECT_EQ(e->licence_required(), std::string(c.classification) != "none");  // CN is listed
  }
}

TEST(Evaluator2023, DensityHeadroomOfTheChinaSkus) {
  auto h20 = EvalModel(Oct2023(), "nvidia-h20-hgx-china-sku");
  ASSERT_TRUE(h20.ok());
  // PD = 2368 / 814 = 2.90909; a.2 needs 5.92, b.2 needs 3.2; b.1 needs TPP 2400.
  EXPECT_NEAR(Headroom(*h20, "performance_density", ">=", 5.92, "a.2"), 2368.0 / 814 - 5.92, 1e-9);
  EXPECT_NEAR(Headroom(*h20, "performance_density", ">=", 3.2, "b.2"), -0.290909, 1e-6);
  EXPECT_NEAR(Headroom(*h20, "tpp", ">=", 2400, "b.1"), -32, 1e-9);
  auto l20 = EvalModel(Oct2023(), "nvidia-l20-china-sku");
  ASSERT_TRUE(l20.ok());
  // PD = 1912 / 608.5 = 3.14215; 3.14215 - 3.2 = -0.05785.
  EXPECT_NEAR(Headroom(*l20, "performance_density", ">=", 3.2, "b.2"), -0.057847, 1e-6);
  auto l4 = EvalModel(Oct2023(), "nvidia-l4");
  ASSERT_TRUE(l4.ok());
  // PD = 1940 / 294.5 = 6.58744; 6.58744 - 5.92 = 0.66744.
  EXPECT_NEAR(Headroom(*l4, "performance_density", ">=", 5.92, "a.2"), 0.667436, 1e-6);
}

TEST(Evaluator2023, ExplicitParametersAndBranchB) {
  coalition::v1::ChipParams p;
  p.set_dense_tops(400);  // TPP 400 x 8 = 3200: not a.1
  p.set_bit_length(8);
  p.set_die_area_mm2(800);  // PD 3200 / 800 = 4.0: not a.2 (< 5.92); b.1 (2400..4800, 1.6..5.92)
  p.set_datacenter(true);
  auto chip = ResolveChip(p, ChipCatalog::Embedded());
  ASSERT_TRUE(chip.ok());
  auto e = EvaluateRuleSet(Oct2023(), *chip, "CN", k2025Jan01);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->classification(), "3A090.b");
  EXPECT_EQ(e->branch(), "b.1");
  ASSERT_EQ(e->licence_exceptions_size(), 1);  // NAC: 3A090.b designed for datacenters
  EXPECT_EQ(e->licence_exceptions(0), "NAC");
}

TEST(Evaluator2023, MissingParameterIsNamed) {
  coalition::v1::ChipParams p;
  p.set_tpp(3000);  // a.1 false; a.2 needs PD; datacenter needed by Note 2
  p.set_datacenter(true);
  auto chip = ResolveChip(p, ChipCatalog::Embedded());
  ASSERT_TRUE(chip.ok());
  auto e = EvaluateRuleSet(Oct2023(), *chip, "CN", k2025Jan01);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(),
            "chip.performance_density (or chip.die_area_mm2) [performance_density]: needed by "
            "US-BIS-2023-10-ACS@1 entry 3A090.a but not given");
  auto mi308 = EvalModel(Oct2023(), "amd-instinct-mi308x-china-sku");
  EXPECT_EQ(mi308.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Evaluator, UnknownModelIsNamed) {
  auto e = EvalModel(Oct2023(), "nvidia-h999");
  EXPECT_EQ(e.status().message(),
            "chip.model: 'nvidia-h999' is not in the chip catalog (data/chips.json)");
}

TEST(Evaluator, ModelLookupIgnoresCaseAndPunctuation) {
  EXPECT_NE(ChipCatalog::Embedded().Find("H100 SXM5 80GB"), nullptr);
  EXPECT_NE(ChipCatalog::Embedded().Find("h100-sxm5-80gb"), nullptr);
  EXPECT_EQ(ChipCatalog::Embedded().Find("H100"), nullptr);
  EXPECT_EQ(ChipCatalog::Embedded().chips().size(), 20u);
}

TEST(Evaluator, DestinationsAsOfAndExclusions) {
  // 2022: CN from the start; Macau from 18 Jan 2023.
  EXPECT_TRUE(EvalModel(Oct2022(), "nvidia-a100-sxm4-80gb", "CN", k2022Dec01)->licence_required());
  EXPECT_FALSE(EvalModel(Oct2022(), "nvidia-a100-sxm4-80gb", "MO", k2022Dec01)->licence_required());
  EXPECT_TRUE(EvalModel(Oct2022(), "nvidia-a100-sxm4-80gb", "MO", k2023Feb01)->licence_required());
  auto de = EvalModel(Oct2022(), "nvidia-a100-sxm4-80gb", "DE", k2023Feb01);
  EXPECT_FALSE(de->licence_required());
  EXPECT_EQ(de->licence_note(), "");
  // 2023: a country group given by examples.
  auto il = EvalModel(Oct2023(), "nvidia-h100-sxm5-80gb", "IL");
  EXPECT_FALSE(il->licence_required());
  EXPECT_EQ(il->licence_note(), "IL is excluded from the licence requirement");
  auto ru = EvalModel(Oct2023(), "nvidia-h100-sxm5-80gb", "ru");
  EXPECT_FALSE(ru->licence_required());
  EXPECT_NE(ru->licence_note().find("RU is not among the listed examples"), std::string::npos);
  EXPECT_TRUE(EvalModel(Oct2023(), "nvidia-h100-sxm5-80gb", "AE")->licence_required());
}

TEST(Evaluator, HbmRuleOfDecember2024) {
  const RuleSet& hbm = Rules("US-BIS-2024-12-FDPR-HBM");
  coalition::v1::ChipParams p;
  p.set_hbm_bandwidth_density(3.0);  // > 2.0 GB/s/mm^2 and < 3.3: 3A090.c, exception HBM
  p.set_hbm_copackaged_with_logic_primary(false);
  auto chip = ResolveChip(p, ChipCatalog::Embedded());
  auto e = EvaluateRuleSet(hbm, *chip, "CN", k2025Jan01);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->classification(), "3A090.c");
  EXPECT_NEAR(Headroom(*e, "hbm_memory_bandwidth_density", ">", 2.0, "3A090.c"), 1.0, 1e-9);
  ASSERT_EQ(e->licence_exceptions_size(), 1);
  EXPECT_EQ(e->licence_exceptions(0), "HBM (740.25)");
  EXPECT_EQ(e->licence_note(), "the rule set lists no destinations");
  // A catalog accelerator: its HBM is co-packaged with logic, so 3A090.c never applies.
  auto h100 = EvalModel(hbm, "nvidia-h100-sxm5-80gb");
  ASSERT_TRUE(h100.ok()) << h100.status();
  EXPECT_EQ(h100->classification(), "none");
}

TEST(Evaluator, AgainstRecordsPicksWhatIsInForce) {
  std::vector<coalition::v1::RuleSetStatus> records;
  auto loaded = LoadEmbeddedRuleSets();
  ASSERT_TRUE(loaded.ok());
  for (const auto& rs : loaded->rule_sets) records.push_back(GenesisRecord(rs));
  coalition::v1::EvaluateRequest req;
  req.mutable_chip()->set_model("nvidia-h800-sxm5-80gb-china-sku");
  req.set_destination("CN");
  req.set_as_of_ms(k2023Feb01);  // only the 2022 rule: H800 is outside (I/O 528 < 600)
  auto r = EvaluateAgainst(records, req, ChipCatalog::Embedded(), 0);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->evaluations_size(), 1);
  EXPECT_EQ(r->evaluations(0).rule_set_id(), "US-BIS-2022-10-ACSME");
  EXPECT_EQ(r->evaluations(0).classification(), "none");
  req.set_as_of_ms(k2025Jan01);  // 2023 rule (supersedes 2022) and the HBM rule
  r = EvaluateAgainst(records, req, ChipCatalog::Embedded(), 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->evaluations_size(), 2);
  EXPECT_EQ(r->evaluations(0).rule_set_id(), "US-BIS-2023-10-ACS");
  EXPECT_EQ(r->evaluations(0).classification(), "3A090.a");
  EXPECT_TRUE(r->evaluations(0).in_force());
  EXPECT_EQ(r->evaluations(1).rule_set_id(), "US-BIS-2024-12-FDPR-HBM");
  // An explicit, superseded rule set is still evaluated, flagged as not in force.
  req.set_rule_set_id("US-BIS-2022-10-ACSME@1");
  r = EvaluateAgainst(records, req, ChipCatalog::Embedded(), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->evaluations(0).in_force());
  req.set_rule_set_id("US-NOPE");
  EXPECT_EQ(EvaluateAgainst(records, req, ChipCatalog::Embedded(), 0).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Evaluator, OfflineJsonForCoalctl) {
  coalition::v1::EvaluateRequest req;
  req.mutable_chip()->set_model("nvidia-l4");
  req.set_destination("CN");
  req.set_as_of_ms(k2025Jan01);
  auto j = EvaluateOfflineJson(req, 0);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["classification"], "3A090.a");
  EXPECT_EQ((*j)["branch"], "a.2");
  EXPECT_EQ((*j)["licence_required"], true);
  EXPECT_EQ((*j)["rule_set_id"], "US-BIS-2023-10-ACS");
  EXPECT_TRUE((*j)["headroom"].is_array());
  EXPECT_EQ((*j)["evaluations"].size(), 2u);
}

}  // namespace
}  // namespace coal::domain

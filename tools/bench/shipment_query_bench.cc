// Shipment query latency over a RocksDB store holding kShipments flagged shipments: entity
// lookups (exact normalized, and fuzzy with a misspelled name) and serial-number lookups, one
// page (50) each, through domain::QueryShipments exactly as the node serves them. Each benchmark
// reports p50/p99 in microseconds as counters and prints them to stderr.
//
// The store is built once (progress on stderr) with the executor's own index layout
// (domain::ShipmentIndexRows) in $COAL_BENCH_DIR or a temp dir, and reused when already complete.
// Screening is not run while loading (it does not affect reads).
//
//   cmake --build build-domain --target shipment_query_bench
//   build-domain/bin/shipment_query_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/services.pb.h"
#include "node/domain/queries.h"
#include "node/domain/shipments.h"
#include "node/domain/state_overlay.h"
#include "storage/rocks_kv_store.h"

namespace {

using coal::storage::Column;

constexpr uint64_t kShipments = 1000000;
constexpr int kConsignees = 50000;
constexpr int kForwarders = 2000;
constexpr uint64_t kBatchShipments = 20000;
constexpr int64_t kStartMs = 1767225600000;
constexpr char kDoneKey[] = "bench_complete";

const char* kWordsA[] = {"shenzhen", "golden",   "pacific",  "bright", "eastern", "northstar",
                         "harbor",   "summit",   "lotus",    "dragon", "silver",  "crescent",
                         "orient",   "sapphire", "meridian", "horizon"};
const char* kWordsB[] = {"huaxin",  "kaiyuan", "tianli",  "everwin", "longda", "sunrise",
                         "jinhai",  "hongtai", "zhongke", "xinyuan", "baoli",  "ruixin",
                         "fortune", "unity",   "prime",   "apex",    "delta",  "vertex"};
const char* kWordsC[] = {"trading",    "electronics", "technology",    "logistics", "supply",
                         "components", "industrial",  "import export", "holdings",  "systems"};
const char* kSuffixes[] = {"Co., Ltd.", "Limited", "LLC", "Pte Ltd", "Sdn Bhd", ""};

std::string ConsigneeName(int i) {
  return std::string(kWordsA[i % 16]) + " " + kWordsB[(i / 16) % 18] + " " +
         kWordsC[(i / 288) % 10] + " " + std::to_string(i / 2880) + "x" + " " + kSuffixes[i % 6];
}
std::string ForwarderName(int i) {
  return std::string(kWordsB[i % 18]) + " freight " + std::to_string(i) + " Pte Ltd";
}
std::string Serial(uint64_t shipment) { return "SN" + std::to_string(1000000000ull + shipment); }

coalition::v1::ShipmentRecord MakeRecord(uint64_t i, std::mt19937_64& rng) {
  coalition::v1::ShipmentRecord r;
  auto* s = r.mutable_shipment();
  s->set_shipment_id("BL-" + std::to_string(i));
  s->add_hs_codes(i % 3 == 0 ? "8473.30" : (i % 3 == 1 ? "8542.31" : "8471.50"));
  auto* item = s->add_items();
  item->set_chip_model(i % 2 ? "H100 SXM5 80GB" : "A100 SXM4 80GB");
  item->set_quantity(8);
  item->add_serial_numbers(Serial(i));
  s->mutable_shipper()->set_name(ForwarderName(static_cast<int>(rng() % kForwarders)));
  s->mutable_shipper()->set_country("SG");
  s->mutable_consignee()->set_name(ConsigneeName(static_cast<int>(rng() % kConsignees)));
  s->mutable_consignee()->set_country("MY");
  s->set_declared_destination("MY");
  s->set_suspected_destination("CN");
  s->add_route(i % 2 ? "SG" : "TH");
  s->add_flag_reasons("payment from third country");
  r.set_state(coalition::v1::SHIPMENT_FLAGGED);
  r.set_log_index(i);
  r.set_flagged_at_ms(kStartMs + static_cast<int64_t>(i) * 1000);
  return r;
}

struct Fixture {
  std::unique_ptr<coal::storage::RocksKvStore> kv;
  coalition::v1::Genesis genesis;
};

Fixture& Store() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto* m = fx->genesis.add_members();
    m->set_id("bench-enforcement");
    m->add_roles(coalition::v1::ROLE_ENFORCEMENT);
    const char* env = std::getenv("COAL_BENCH_DIR");
    const std::string dir =
        env != nullptr
            ? env
            : (std::filesystem::temp_directory_path() / "coal_shipment_bench_1m").string();
    auto kv = coal::storage::RocksKvStore::Open(dir, {.expected_genesis_hash = "shipment-bench"});
    if (!kv.ok()) {
      std::fprintf(stderr, "open %s: %s\n", dir.c_str(),
                   std::string(kv.status().message()).c_str());
      std::abort();
    }
    fx->kv = std::move(*kv);
    if (fx->kv->Get(Column::kMeta, kDoneKey).ok()) {
      std::fprintf(stderr, "reusing %llu shipments in %s\n",
                   static_cast<unsigned long long>(kShipments), dir.c_str());
      return fx;
    }
    std::fprintf(stderr, "building %llu shipments in %s\n",
                 static_cast<unsigned long long>(kShipments), dir.c_str());
    std::mt19937_64 rng(42);
    std::unordered_set<std::string> names;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t base = 0; base < kShipments; base += kBatchShipments) {
      coal::storage::WriteBatch batch;
      for (uint64_t i = base; i < std::min(kShipments, base + kBatchShipments); ++i) {
        auto r = MakeRecord(i, rng);
        batch.Put(Column::kState, coal::domain::ShipmentKey(r.shipment().shipment_id()),
                  r.SerializeAsString());
        for (auto& row : coal::domain::ShipmentIndexRows(
                 r, [&](const std::string& n) { return names.insert(n).second; })) {
          batch.Put(Column::kIndex, row.key, row.value);
        }
      }
      auto st = fx->kv->Write(batch, {.sync = false});
      if (!st.ok()) std::abort();
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r  %llu / %llu shipments (%.0f s)",
                   static_cast<unsigned long long>(std::min(kShipments, base + kBatchShipments)),
                   static_cast<unsigned long long>(kShipments), secs);
    }
    std::fprintf(stderr, "\n  %zu distinct entity names\n", names.size());
    if (!fx->kv->Put(Column::kMeta, kDoneKey, "1").ok()) std::abort();
    return fx;
  }();
  return *f;
}

// Runs `make_query(i)` per iteration, reports p50/p99 (us) and the mean result count.
template <typename MakeQuery>
void RunQueries(benchmark::State& state, const char* name, MakeQuery make_query) {
  Fixture& fx = Store();
  std::vector<double> us;
  uint64_t i = 0;
  uint64_t results = 0;
  for (auto _ : state) {
    coalition::v1::ShipmentQuery q = make_query(i++);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = coal::domain::QueryShipments(*fx.kv, fx.genesis, q, "bench-enforcement");
    const auto t1 = std::chrono::steady_clock::now();
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    results += r->shipments_size();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  const double p50 = us[us.size() / 2];
  const double p99 = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["p50_us"] = p50;
  state.counters["p99_us"] = p99;
  state.counters["results"] = static_cast<double>(results) / static_cast<double>(us.size());
  std::fprintf(stderr, "%s: n=%zu p50=%.0f us p99=%.0f us (mean %.1f results/page)\n", name,
               us.size(), p50, p99, static_cast<double>(results) / static_cast<double>(us.size()));
}

void BM_EntityExact(benchmark::State& state) {
  std::mt19937_64 rng(7);
  RunQueries(state, "entity exact", [&](uint64_t) {
    coalition::v1::ShipmentQuery q;
    q.set_entity(ConsigneeName(static_cast<int>(rng() % kConsignees)));
    q.set_exact_entity(true);
    return q;
  });
}

void BM_EntityFuzzy(benchmark::State& state) {
  std::mt19937_64 rng(8);
  RunQueries(state, "entity fuzzy (one letter dropped)", [&](uint64_t) {
    std::string name = ConsigneeName(static_cast<int>(rng() % kConsignees));
    name.erase(2, 1);  // "shenzhen" -> "shnzhen": a spelling variant of the first token
    coalition::v1::ShipmentQuery q;
    q.set_entity(name);
    return q;
  });
}

void BM_Serial(benchmark::State& state) {
  std::mt19937_64 rng(9);
  RunQueries(state, "serial", [&](uint64_t) {
    coalition::v1::ShipmentQuery q;
    q.set_serial_number(Serial(rng() % kShipments));
    return q;
  });
}

BENCHMARK(BM_EntityExact)->Iterations(2000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EntityFuzzy)->Iterations(2000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Serial)->Iterations(5000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

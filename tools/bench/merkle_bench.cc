// merkle_bench: throughput of the ledger's proof machinery.
//   - CompactRange appends of 64-byte leaves in memory (leaf hash + O(log n) append);
//   - inclusion and consistency proofs from a RocksDB-backed MerkleLog of 1M and 10M leaves;
//   - Ed25519 sign and verify of a 64-byte message.
//
//   build-merkle/bin/merkle_bench [--benchmark_filter=Rocks] [--benchmark_min_time=2]
//
// The RocksDB trees are built once (batches of kBuildBatchLeaves, sync=false, progress on stderr)
// in $COAL_BENCH_DIR (default /tmp/coal_merkle_bench)/<leaves> and reused by later runs; an
// interrupted build resumes from the stored size. Delete the directory to rebuild.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "storage/merkle_log.h"
#include "storage/rocks_kv_store.h"

namespace coal {
namespace {

constexpr size_t kLeafBytes = 64;
constexpr uint64_t kBuildBatchLeaves = 10'000;
constexpr uint64_t kProgressEveryLeaves = 500'000;

// Leaf i: its big-endian index followed by a fixed filler, kLeafBytes in all.
std::string LeafBytes(uint64_t i) {
  std::string leaf = BigEndian64(i);
  leaf.resize(kLeafBytes, '\x5a');
  return leaf;
}

void Die(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "merkle_bench: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

std::string BenchDir() {
  const char* env = std::getenv("COAL_BENCH_DIR");
  return env != nullptr && *env != '\0' ? env : "/tmp/coal_merkle_bench";
}

struct RocksTree {
  std::unique_ptr<storage::RocksKvStore> store;
  std::unique_ptr<storage::MerkleLog> log;
};

// The tree of `leaves` leaves, opened (and built if needed) once per process.
RocksTree& TreeOf(uint64_t leaves) {
  static auto* trees = new std::map<uint64_t, RocksTree>();
  auto it = trees->find(leaves);
  if (it != trees->end()) return it->second;

  const std::string dir = BenchDir() + "/" + std::to_string(leaves);
  std::filesystem::create_directories(BenchDir());
  storage::RocksOptions options{.expected_genesis_hash = HashBytes(Sha256("coal merkle_bench"))};
  absl::StatusOr<std::unique_ptr<storage::RocksKvStore>> store =
      storage::RocksKvStore::Open(dir, options);
  if (!store.ok()) Die("open", store.status());
  RocksTree tree{std::move(store).value(), nullptr};
  tree.log = std::make_unique<storage::MerkleLog>(tree.store.get());
  const auto load_start = std::chrono::steady_clock::now();
  if (absl::Status st = tree.log->Load(); !st.ok()) Die("load", st);
  std::fprintf(stderr, "loaded %s: %llu leaves in %.2f s, cache from level %u, %.1f MiB\n",
               dir.c_str(), static_cast<unsigned long long>(tree.log->size()),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count(),
               tree.log->cache_level(), static_cast<double>(tree.log->cache_bytes()) / (1 << 20));

  const uint64_t start_size = tree.log->size();
  if (start_size < leaves) {
    std::fprintf(stderr, "building a %llu-leaf tree in %s (from %llu)\n",
                 static_cast<unsigned long long>(leaves), dir.c_str(),
                 static_cast<unsigned long long>(start_size));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> batch_leaves;
    for (uint64_t next = start_size; next < leaves;) {
      const uint64_t end = std::min(leaves, next + kBuildBatchLeaves);
      batch_leaves.clear();
      for (uint64_t i = next; i < end; ++i) batch_leaves.push_back(LeafBytes(i));
      storage::WriteBatch batch;
      if (absl::Status st = tree.log->AppendTo(batch_leaves, &batch); !st.ok()) Die("append", st);
      if (absl::Status st = tree.store->Write(batch, {.sync = false}); !st.ok()) {
        tree.log->Abort();
        Die("write", st);
      }
      tree.log->Commit();
      if (end / kProgressEveryLeaves != next / kProgressEveryLeaves || end == leaves) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "  %llu / %llu leaves (%.0f%%), %.0f leaves/s\n",
                     static_cast<unsigned long long>(end), static_cast<unsigned long long>(leaves),
                     100.0 * static_cast<double>(end) / static_cast<double>(leaves),
                     static_cast<double>(end - start_size) / s);
      }
      next = end;
    }
  }
  if (tree.log->size() != leaves) {
    std::fprintf(stderr, "merkle_bench: %s holds %llu leaves, want %llu; delete it\n", dir.c_str(),
                 static_cast<unsigned long long>(tree.log->size()),
                 static_cast<unsigned long long>(leaves));
    std::exit(1);
  }
  // Sanity: a proof from the store verifies against the root before anything is timed.
  const uint64_t probe = leaves / 3;
  absl::StatusOr<std::vector<Hash>> proof = tree.log->InclusionProof(probe, leaves);
  if (!proof.ok()) Die("probe proof", proof.status());
  absl::Status verified = merkle::VerifyInclusion(probe, leaves, merkle::LeafHash(LeafBytes(probe)),
                                                  *proof, tree.log->Root());
  if (!verified.ok()) Die("probe verify", verified);
  return trees->emplace(leaves, std::move(tree)).first->second;
}

void BM_CompactRangeAppend(benchmark::State& state) {
  merkle::CompactRange range;
  std::string leaf = LeafBytes(0);
  uint64_t i = 0;
  for (auto _ : state) {
    const std::string index = BigEndian64(i++);
    leaf.replace(0, index.size(), index);
    range.Append(merkle::LeafHash(leaf));
  }
  benchmark::DoNotOptimize(range.Root());
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("leaves/s = items_per_second");
}
BENCHMARK(BM_CompactRangeAppend);

// AppendTo into a WriteBatch (hashing plus staging the puts), without the RocksDB write.
void BM_MerkleLogStageBatch(benchmark::State& state) {
  std::vector<std::string> leaves;
  for (uint64_t i = 0; i < kBuildBatchLeaves; ++i) leaves.push_back(LeafBytes(i));
  struct NullStore final : storage::KvStore {
    absl::StatusOr<std::string> Get(storage::Column, std::string_view) const override {
      return absl::NotFoundError("empty");
    }
    absl::Status Write(const storage::WriteBatch&, storage::WriteOptions) override {
      return absl::OkStatus();
    }
    absl::Status SyncLog() override { return absl::OkStatus(); }
    absl::Status Scan(storage::Column, std::string_view, std::string_view,
                      const std::function<bool(std::string_view, std::string_view)>&,
                      size_t) const override {
      return absl::OkStatus();
    }
    absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
        storage::Column, std::string_view, std::string_view) const override {
      return std::nullopt;
    }
  } store;
  storage::MerkleLog log(&store);
  if (absl::Status st = log.Load(); !st.ok()) Die("load", st);
  for (auto _ : state) {
    storage::WriteBatch batch;
    if (absl::Status st = log.AppendTo(leaves, &batch); !st.ok()) Die("append", st);
    benchmark::DoNotOptimize(batch.size());
    log.Abort();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(leaves.size()));
}
BENCHMARK(BM_MerkleLogStageBatch)->Unit(benchmark::kMillisecond);

// Times `op(tree, size, x)` for x drawn uniformly from [0, size / stride) with a fixed seed, over
// the RocksDB tree of state.range(0) leaves.
template <typename Op>
void OverRandomIndices(benchmark::State& state, uint64_t seed, uint64_t stride, Op op) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  RocksTree& tree = TreeOf(size);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> pick(0, size / stride - 1);
  for (auto _ : state) {
    if (absl::Status st = op(tree, size, pick(rng)); !st.ok()) Die("benchmark op", st);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_InclusionProofRocks(benchmark::State& state) {
  size_t hashes = 0;
  OverRandomIndices(state, 42, 1, [&](RocksTree& tree, uint64_t size, uint64_t index) {
    absl::StatusOr<std::vector<Hash>> proof = tree.log->InclusionProof(index, size);
    if (proof.ok()) hashes += proof->size();
    return proof.status();
  });
  state.counters["hashes_per_proof"] =
      static_cast<double>(hashes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_InclusionProofRocks)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofRocks(benchmark::State& state) {
  OverRandomIndices(state, 43, 1, [](RocksTree& tree, uint64_t size, uint64_t x) {
    return tree.log->ConsistencyProof(x + 1, size).status();
  });
}
BENCHMARK(BM_ConsistencyProofRocks)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMicrosecond);

// Diagnostics for the proof figures: one random level-0 hash Get, and one scan of an aligned
// 16-hash run (what a proof pays per store read).
void BM_RocksMerkleGet(benchmark::State& state) {
  OverRandomIndices(state, 44, 1, [](RocksTree& tree, uint64_t, uint64_t index) {
    return tree.store->Get(storage::Column::kMerkle, storage::MerkleNodeKey(0, index)).status();
  });
}
BENCHMARK(BM_RocksMerkleGet)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMicrosecond);

void BM_RocksMerkleScan16(benchmark::State& state) {
  OverRandomIndices(state, 45, 16, [](RocksTree& tree, uint64_t, uint64_t run) {
    int n = 0;
    absl::Status st = tree.store->Scan(
        storage::Column::kMerkle, storage::MerkleNodeKey(0, run * 16),
        storage::MerkleNodeKey(0, run * 16 + 16),
        [&](std::string_view, std::string_view) { return ++n < 16; }, 16);
    if (st.ok() && n != 16) return absl::DataLossError("short scan");
    return st;
  });
}
BENCHMARK(BM_RocksMerkleScan16)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMicrosecond);

const std::string& Message() {
  static const std::string* message = new std::string(64, '\x17');
  return *message;
}

void BM_Ed25519Sign(benchmark::State& state) {
  crypto::InitSodium();
  std::unique_ptr<crypto::Ed25519Signer> signer = crypto::Ed25519Signer::Generate();
  for (auto _ : state) benchmark::DoNotOptimize(signer->Sign(Message()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign)->Unit(benchmark::kMicrosecond);

void BM_Ed25519Verify(benchmark::State& state) {
  crypto::InitSodium();
  std::unique_ptr<crypto::Ed25519Signer> signer = crypto::Ed25519Signer::Generate();
  const std::string signature = signer->Sign(Message());
  const crypto::Verifier& verifier = crypto::DefaultVerifier();
  for (auto _ : state) {
    if (!verifier.Verify(signer->public_key(), Message(), signature)) {
      state.SkipWithError("valid signature rejected");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace coal

BENCHMARK_MAIN();

// Ledger::Apply cost per entry, as a validator pays it for every committed block: decode the
// payload, run each entry through the domain executor (envelope rules, time window, replay check;
// the signature answered by the node's signature cache, as after admission), build the entry
// records, hash and append the Merkle leaves, and write everything (entries, leaves, subtree
// hashes, digest / leaf-hash / nonce indexes, the block) in one unsynced RocksDB batch.
//
// Entries are 512-byte attestations signed beforehand (not timed) by one cloud-provider member;
// their signatures are verified into the cache before the timed loop, as admission does. Each
// benchmark applies kBlocks blocks of N entries to a fresh RocksDB store and reports us_per_entry
// (also printed to stderr).
//
//   cmake --build build --target ledger_apply_bench && build/bin/ledger_apply_bench
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "coalition/v1/domain.pb.h"
#include "coalition/v1/genesis.pb.h"
#include "coalition/v1/ledger.pb.h"
#include "crypto/dsse.h"
#include "crypto/ed25519.h"
#include "crypto/verify_cache.h"
#include "node/executor.h"
#include "node/genesis.h"
#include "node/ledger.h"
#include "storage/rocks_kv_store.h"

namespace {

constexpr int kBlocks = 1000;
constexpr size_t kBodyBytes = 512;
constexpr int64_t kStartMs = 1767225600000;
constexpr char kMember[] = "bench-cloud";

[[noreturn]] void Die(const char* what, const absl::Status& st) {
  std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
  std::abort();
}

struct Entries {
  coalition::v1::Genesis genesis;
  std::string chain_id;
  std::unique_ptr<coal::crypto::Ed25519Signer> signer;
  std::vector<coalition::v1::Envelope> envelopes;
};

// At least `count` signed entries (made once, topped up when a benchmark needs more).
const Entries& SignedEntries(size_t count) {
  static Entries* e = [] {
    if (sodium_init() < 0) std::abort();
    auto* made = new Entries;
    made->signer = coal::crypto::Ed25519Signer::Generate();
    auto* m = made->genesis.add_members();
    m->set_id(kMember);
    m->add_roles(coalition::v1::ROLE_CLOUD_PROVIDER);
    m->set_public_key(made->signer->public_key());
    made->genesis.set_chain_name("ledger-apply-bench");
    made->genesis.set_genesis_time_ms(kStartMs);
    made->chain_id = coal::node::ChainId(made->genesis);
    return made;
  }();
  if (e->envelopes.size() < count) {
    std::fprintf(stderr, "signing %zu entries\n", count - e->envelopes.size());
  }
  std::string body(kBodyBytes, '\0');
  while (e->envelopes.size() < count) {
    coalition::v1::Attestation att;
    auto* h = att.mutable_header();
    h->set_author(kMember);
    h->set_created_at_ms(kStartMs);
    std::string nonce(16, '\0');
    randombytes_buf(nonce.data(), nonce.size());
    h->set_nonce(nonce);
    h->set_chain_id(e->chain_id);
    randombytes_buf(body.data(), body.size());
    att.set_subject("bench");
    att.set_body(body);
    e->envelopes.push_back(coal::crypto::MakeEnvelope(*e->signer, "coalition.v1.Attestation",
                                                      att.SerializeAsString()));
  }
  return *e;
}

void BM_LedgerApply(benchmark::State& state) {
  const size_t per_block = static_cast<size_t>(state.range(0));
  const Entries& entries = SignedEntries(per_block * kBlocks);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("coal_ledger_apply_bench_" + std::to_string(per_block));
  std::filesystem::remove_all(dir);
  coal::crypto::CachingVerifier verifier(coal::crypto::DefaultVerifier(), 1 << 20);
  for (size_t i = 0; i < per_block * kBlocks; ++i) {
    if (!coal::crypto::VerifyEnvelopeSignature(entries.envelopes[i],
                                               entries.genesis.members(0).public_key(), verifier)
             .ok()) {
      std::abort();
    }
  }
  {
    auto kv = coal::storage::RocksKvStore::Open(
        dir.string(), {.expected_genesis_hash = coal::node::GenesisHash(entries.genesis)});
    if (!kv.ok()) Die("open", kv.status());
    auto executor =
        coal::node::MakeExecutor(entries.genesis, entries.chain_id, kv->get(), &verifier);
    if (!executor.ok()) Die("executor", executor.status());
    auto ledger = coal::node::Ledger::Open(kv->get(), executor->get());
    if (!ledger.ok()) Die("ledger", ledger.status());
    // The blocks, built before timing (the node receives them built).
    std::vector<coalition::v1::CommittedBlock> blocks(kBlocks);
    for (int b = 0; b < kBlocks; ++b) {
      coalition::v1::BlockPayload payload;
      for (size_t i = 0; i < per_block; ++i) {
        *payload.add_entries() = entries.envelopes[b * per_block + i];
      }
      auto* block = blocks[b].mutable_block();
      block->set_height(static_cast<uint64_t>(b) + 1);
      block->set_round(static_cast<uint64_t>(b) + 1);
      block->set_id("block-" + std::to_string(b + 1));
      block->set_time_ms(kStartMs + b);
      block->set_payload(payload.SerializeAsString());
    }
    size_t applied = 0;
    double seconds = 0;
    for (auto _ : state) {
      if (applied == blocks.size()) {
        state.SkipWithError("out of blocks");
        break;
      }
      const auto start = std::chrono::steady_clock::now();
      auto digests = (*ledger)->Apply(blocks[applied]);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!digests.ok()) Die("apply", digests.status());
      if (digests->size() != per_block) std::abort();
      ++applied;
    }
    if (verifier.misses() != per_block * kBlocks) {
      std::fprintf(stderr, "a signature was verified again during apply\n");
      std::abort();
    }
    const double us_per_entry = seconds * 1e6 / static_cast<double>(applied * per_block);
    state.SetItemsProcessed(static_cast<int64_t>(applied * per_block));
    state.counters["us_per_entry"] = us_per_entry;
    std::fprintf(stderr, "%zu entries per block: %zu blocks, %.1f us per entry\n", per_block,
                 applied, us_per_entry);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LedgerApply)->Arg(1)->Arg(20)->Arg(200)->Iterations(kBlocks)->Unit(
    benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

// Checkpointer: 2f+1 cosignatures make a quorum checkpoint; a forged one is refused.
#include "node/checkpointer.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "storage/memory_kv_store.h"

namespace coal::node {
namespace {

constexpr char kChain[] = "devnet-checkpointer-test";

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      signers_.push_back(crypto::Ed25519Signer::Generate());
      auto* v = genesis_.add_validators();
      v->set_id("node-" + std::to_string(i));
      v->set_public_key(signers_.back()->public_key());
    }
    for (uint32_t i = 0; i < 4; ++i) {
      nodes_.push_back(std::make_unique<Checkpointer>(genesis_, kChain, i, signers_[i].get()));
    }
  }

  static Hash Root(uint8_t b) {
    Hash h;
    h.fill(b);
    return h;
  }

  // Validator i's cosignature of (size, root), as it would broadcast it.
  coalition::v1::Cosignature CosignBy(uint32_t i, uint64_t size, const Hash& root) {
    auto r = nodes_[i]->OnLogSize(size, root, /*now_ms=*/1'700'000'000'000);
    EXPECT_TRUE(r.own.has_value());
    return *r.own;
  }

  coalition::v1::Genesis genesis_;
  std::vector<std::unique_ptr<crypto::Ed25519Signer>> signers_;
  std::vector<std::unique_ptr<Checkpointer>> nodes_;
};

TEST_F(CheckpointerTest, ThreeOfFourCosignaturesMakeAQuorum) {
  const Hash root = Root(7);
  EXPECT_FALSE(nodes_[0]->OnLogSize(10, root, 1'700'000'000'000).quorum.has_value());
  auto q = nodes_[0]->OnCosignature(1, 10, HashBytes(root), CosignBy(1, 10, root));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_FALSE(q->has_value());
  q = nodes_[0]->OnCosignature(2, 10, HashBytes(root), CosignBy(2, 10, root));
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_TRUE(q->has_value());
  EXPECT_EQ((*q)->size(), 10u);
  EXPECT_EQ((*q)->cosignatures_size(), 3);
}

TEST_F(CheckpointerTest, AForgedCosignatureIsRefusedWhileItCouldStillCount) {
  const Hash root = Root(7);
  (void)nodes_[0]->OnLogSize(10, root, 1'700'000'000'000);
  auto forged = CosignBy(1, 10, root);
  forged.mutable_sig()->back() ^= 1;
  auto q = nodes_[0]->OnCosignature(1, 10, HashBytes(root), forged);
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), absl::StatusCode::kUnauthenticated) << q.status();
}

TEST_F(CheckpointerTest, WithoutAQuorumTheSameSizeIsSentAgainAndPeersCanAnswer) {
  const Hash root = Root(7);
  auto first = nodes_[0]->OnLogSize(10, root, 1'700'000'000'000);
  ASSERT_TRUE(first.own.has_value());
  EXPECT_FALSE(first.again);
  // A cosignature got lost: when the size comes round again, ours goes out again, asking.
  auto again = nodes_[0]->OnLogSize(10, root, 1'700'000'000'150);
  ASSERT_TRUE(again.own.has_value());
  EXPECT_TRUE(again.again);
  EXPECT_EQ(again.own->sig(), first.own->sig());
  EXPECT_FALSE(nodes_[0]->OnLogSize(9, Root(6), 1'700'000'000'150).own.has_value());

  // A peer that cosigned size 10 answers with its own (same root); one that did not cannot.
  (void)CosignBy(1, 10, root);
  auto own1 = nodes_[1]->OwnCosignature(10);
  ASSERT_TRUE(own1.has_value());
  EXPECT_EQ(own1->root, HashBytes(root));
  EXPECT_FALSE(nodes_[2]->OwnCosignature(10).has_value());
  ASSERT_TRUE(nodes_[0]->OnCosignature(1, 10, own1->root, own1->cosignature).ok());
  auto q = nodes_[0]->OnCosignature(2, 10, HashBytes(root), CosignBy(2, 10, root));
  ASSERT_TRUE(q.ok() && q->has_value());
  // With the quorum complete, nothing more to ask for.
  EXPECT_FALSE(nodes_[0]->OnLogSize(10, root, 1'700'000'000'300).own.has_value());
}

// Blocks are applied unsynced: the log is synced before a size beyond the last durable one is
// cosigned, once per size, and a failed sync keeps the size from counting as durable.
TEST(SyncForCosign, SyncsOnlyForALongerLogAndNotOnFailure) {
  storage::MemoryKvStore kv;
  uint64_t durable = 0;
  ASSERT_TRUE(SyncForCosign(kv, 10, &durable).ok());
  EXPECT_EQ(kv.log_sync_count(), 1u);
  EXPECT_EQ(durable, 10u);
  ASSERT_TRUE(SyncForCosign(kv, 10, &durable).ok());  // the same size: on disk already
  ASSERT_TRUE(SyncForCosign(kv, 7, &durable).ok());
  EXPECT_EQ(kv.log_sync_count(), 1u);
  kv.FailWritesWith(absl::UnavailableError("I/O error"));
  EXPECT_TRUE(absl::IsUnavailable(SyncForCosign(kv, 12, &durable)));
  EXPECT_EQ(durable, 10u);
  kv.FailWritesWith(absl::OkStatus());
  ASSERT_TRUE(SyncForCosign(kv, 12, &durable).ok());
  EXPECT_EQ(kv.log_sync_count(), 2u);
  EXPECT_EQ(durable, 12u);
}

TEST(CosignBeforeBlock, OnceAtTheStartOfEachWindowOfBlockTime) {
  constexpr int64_t g = 1'000'000;  // genesis time
  // Windows of 50 ms from genesis: [g, g+50), [g+50, g+100), ...
  EXPECT_FALSE(CosignBeforeBlock(g, 50, g + 10, g + 49));  // same window
  EXPECT_TRUE(CosignBeforeBlock(g, 50, g + 49, g + 50));   // the next window opens
  EXPECT_TRUE(CosignBeforeBlock(g, 50, g + 10, g + 260));  // windows skipped while idle
  EXPECT_FALSE(CosignBeforeBlock(g, 50, g + 60, g + 99));
  EXPECT_TRUE(CosignBeforeBlock(g, 50, g, g + 50));        // right after genesis
  // 0 = cosign after every block instead, never "before".
  EXPECT_FALSE(CosignBeforeBlock(g, 0, g + 10, g + 500));
  // Block times never go back, but the answer stays sane if asked.
  EXPECT_FALSE(CosignBeforeBlock(g, 50, g + 120, g + 20));
}

}  // namespace
}  // namespace coal::node

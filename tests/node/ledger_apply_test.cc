// Ledger::Apply writes a committed block as one batch together with the caller's writes (the
// replica's prune of the consensus tree), without an fsync of its own: the block is durable in
// the consensus tree before it is applied, so the apply and its prune must land or vanish
// together. A block the ledger holds already writes nothing, its `also` included.
#include <gtest/gtest.h>

#include "crypto/dsse.h"
#include "crypto/merkle.h"
#include "node/ledger.h"
#include "storage/memory_kv_store.h"

namespace coal::node {
namespace {

using storage::Column;

coalition::v1::CommittedBlock Block(uint64_t height, const std::vector<std::string>& bodies) {
  coalition::v1::CommittedBlock cb;
  auto* b = cb.mutable_block();
  b->set_height(height);
  b->set_round(height);
  b->set_id("block-" + std::to_string(height));
  b->set_time_ms(1000 * static_cast<int64_t>(height));
  coalition::v1::BlockPayload payload;
  for (const std::string& body : bodies) {
    auto* env = payload.add_entries();
    env->set_payload_type("coalition.v1.Attestation");
    env->set_payload(body);
  }
  b->set_payload(payload.SerializeAsString());
  return cb;
}
coalition::v1::CommittedBlock Block(uint64_t height, const std::string& body) {
  return Block(height, std::vector<std::string>{body});
}

class LedgerApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = Ledger::Open(&kv_, &executor_);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = std::move(ledger).value();
    ASSERT_TRUE(kv_.Put(Column::kConsensus, "consensus-row-1", "b1").ok());
    ASSERT_TRUE(kv_.Put(Column::kConsensus, "consensus-row-2", "b2").ok());
  }

  storage::MemoryKvStore kv_;
  AcceptAllExecutor executor_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerApplyTest, TheCallersWritesLandInTheBlocksOwnUnsyncedWrite) {
  const uint64_t writes = kv_.write_count();
  const uint64_t synced = kv_.sync_write_count();
  storage::WriteBatch prune;
  prune.Delete(Column::kConsensus, "consensus-row-1");
  auto digests = ledger_->Apply(Block(1, "first"), std::move(prune));
  ASSERT_TRUE(digests.ok()) << digests.status();
  EXPECT_EQ(digests->size(), 1u);
  EXPECT_EQ(ledger_->height(), 1u);
  EXPECT_EQ(ledger_->tree_size(), 1u);
  EXPECT_EQ(kv_.write_count(), writes + 1);  // block, leaf, indexes and prune: one batch
  EXPECT_EQ(kv_.sync_write_count(), synced);
  EXPECT_TRUE(absl::IsNotFound(kv_.Get(Column::kConsensus, "consensus-row-1").status()));
  EXPECT_TRUE(kv_.Get(Column::kConsensus, "consensus-row-2").ok());
}

TEST_F(LedgerApplyTest, AFailedApplyLeavesTheCallersWritesUndone) {
  kv_.FailWritesWith(absl::ResourceExhaustedError("disk full"));
  storage::WriteBatch prune;
  prune.Delete(Column::kConsensus, "consensus-row-1");
  auto digests = ledger_->Apply(Block(1, "first"), std::move(prune));
  EXPECT_TRUE(absl::IsResourceExhausted(digests.status())) << digests.status();
  kv_.FailWritesWith(absl::OkStatus());
  EXPECT_EQ(ledger_->height(), 0u);
  EXPECT_EQ(ledger_->tree_size(), 0u);
  // The block is still in the consensus tree, to be applied again.
  EXPECT_TRUE(kv_.Get(Column::kConsensus, "consensus-row-1").ok());
  ASSERT_TRUE(ledger_->Apply(Block(1, "first")).ok());
  EXPECT_EQ(ledger_->tree_size(), 1u);
}

TEST_F(LedgerApplyTest, ABlockAlreadyAppliedWritesNothingOfTheCallers) {
  ASSERT_TRUE(ledger_->Apply(Block(1, "first")).ok());
  const uint64_t writes = kv_.write_count();
  storage::WriteBatch prune;
  prune.Delete(Column::kConsensus, "consensus-row-1");
  auto digests = ledger_->Apply(Block(1, "first"), std::move(prune));
  ASSERT_TRUE(digests.ok()) << digests.status();
  EXPECT_TRUE(digests->empty());
  EXPECT_EQ(kv_.write_count(), writes);
  EXPECT_TRUE(kv_.Get(Column::kConsensus, "consensus-row-1").ok());
  EXPECT_EQ(ledger_->tree_size(), 1u);
}

TEST_F(LedgerApplyTest, EveryLeafIsFoundByItsHash) {
  ASSERT_TRUE(ledger_->Apply(Block(1, "first")).ok());
  ASSERT_TRUE(ledger_->Apply(Block(2, {"second", "third", "fourth"})).ok());
  ASSERT_EQ(ledger_->tree_size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    auto leaf = ledger_->GetLeaf(i);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    const Hash hash = merkle::LeafHash(*leaf);
    auto found = ledger_->IndexOfLeafHash(std::string(hash.begin(), hash.end()));
    ASSERT_TRUE(found.ok()) << i << ": " << found.status();
    EXPECT_EQ(*found, i);
  }
  EXPECT_TRUE(absl::IsNotFound(ledger_->IndexOfLeafHash(std::string(32, '\x07')).status()));
}

// The replica hands over the digests it computed when it validated the block; a list that does
// not match the entries in count is ignored and the ledger hashes the entries itself.
TEST_F(LedgerApplyTest, GivenEntryDigestsIndexTheEntriesAndAMiscountedListIsIgnored) {
  const auto first = Block(1, std::vector<std::string>{"a", "b"});
  const auto second = Block(2, std::vector<std::string>{"c", "d"});
  std::vector<std::string> want;
  for (const auto* block : {&first, &second}) {
    coalition::v1::BlockPayload p;
    ASSERT_TRUE(p.ParseFromString(block->block().payload()));
    for (const auto& env : p.entries()) want.push_back(crypto::EnvelopeDigest(env));
  }
  const std::vector<std::string> given = {want[0], want[1]};
  auto applied = ledger_->Apply(first, {}, &given);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, given);
  const std::vector<std::string> miscounted = {want[2]};
  applied = ledger_->Apply(second, {}, &miscounted);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, (std::vector<std::string>{want[2], want[3]}));
  for (uint64_t i = 0; i < 4; ++i) {
    auto index = ledger_->IndexOfDigest(want[i]);
    ASSERT_TRUE(index.ok()) << i << ": " << index.status();
    EXPECT_EQ(*index, i);
  }
}

// What a peer catching up gets: blocks from a height on, at most a count, and no more once past
// a byte budget, but always the first (a peer behind one large block must still move).
TEST_F(LedgerApplyTest, BlocksFromStopsAtTheCountOrTheBytesButAlwaysGivesOne) {
  for (uint64_t h = 1; h <= 5; ++h) {
    ASSERT_TRUE(ledger_->Apply(Block(h, std::string(1000, 'a' + static_cast<char>(h)))).ok());
  }
  const auto heights = [](const std::vector<coalition::v1::CommittedBlock>& blocks) {
    std::vector<uint64_t> out;
    for (const auto& b : blocks) out.push_back(b.block().height());
    return out;
  };
  auto all = ledger_->BlocksFrom(0, 256, 1 << 20);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(heights(*all), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(heights(*ledger_->BlocksFrom(2, 2, 1 << 20)), (std::vector<uint64_t>{2, 3}));
  const size_t one = (*all)[0].ByteSizeLong();
  EXPECT_EQ(heights(*ledger_->BlocksFrom(2, 256, 2 * one + one / 2)),
            (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(heights(*ledger_->BlocksFrom(4, 256, 10)), (std::vector<uint64_t>{4}));
  EXPECT_TRUE(ledger_->BlocksFrom(6, 256, 1 << 20)->empty());
}

}  // namespace
}  // namespace coal::node

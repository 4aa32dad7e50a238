// Mempool: dedup, bounds with RESOURCE_EXHAUSTED, leases, committed removal.
#include "node/mempool.h"

#include <gtest/gtest.h>

namespace coal::node {
namespace {

coalition::v1::Envelope Env(const std::string& p) {
  coalition::v1::Envelope e;
  e.set_payload_type("t");
  e.set_payload(p);
  return e;
}

TEST(MempoolTest, DedupAndBounds) {
  Mempool pool(2, 100);
  EXPECT_TRUE(pool.Add("a", Env("a"), 10).ok());
  EXPECT_EQ(pool.Add("a", Env("a"), 10).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(pool.Add("b", Env("b"), 10).ok());
  EXPECT_EQ(pool.Add("c", Env("c"), 10).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.bytes(), 20u);
  Mempool small(10, 25);
  EXPECT_TRUE(small.Add("a", Env("a"), 20).ok());
  EXPECT_EQ(small.Add("b", Env("b"), 6).code(), absl::StatusCode::kResourceExhausted);
}

// Entries already on the proposal's branch are left out even when unleased (a late forward).
TEST(MempoolTest, TakeSkipsExcludedDigests) {
  Mempool pool(10, 1000);
  for (const char* d : {"a", "b", "c"}) ASSERT_TRUE(pool.Add(d, Env(d), 10).ok());
  auto taken = pool.Take(10, 1000, 0, {"b"});
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].payload(), "a");
  EXPECT_EQ(taken[1].payload(), "c");
  EXPECT_TRUE(pool.Contains("b"));  // still pooled, for when the branch is abandoned
}

TEST(MempoolTest, TakeLeasesUntilExpiry) {
  Mempool pool(10, 1000, /*lease_ms=*/100);
  for (const char* d : {"a", "b", "c"}) ASSERT_TRUE(pool.Add(d, Env(d), 10).ok());
  auto first = pool.Take(2, 1000, /*now_ms=*/0);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].payload(), "a");
  EXPECT_EQ(first[1].payload(), "b");
  auto second = pool.Take(10, 1000, 50);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].payload(), "c");
  auto after_lease = pool.Take(10, 1000, 101);
  EXPECT_EQ(after_lease.size(), 2u);  // a and b again; c leased until 150
}

// Entries of a block that left the chain uncommitted are offered again at once, not after the
// lease; releasing what is not pooled (committed meanwhile) does nothing.
TEST(MempoolTest, ReleaseEndsTheLeaseAtOnce) {
  Mempool pool(10, 1000, /*lease_ms=*/3000);
  for (const char* d : {"a", "b", "c"}) ASSERT_TRUE(pool.Add(d, Env(d), 10).ok());
  ASSERT_EQ(pool.Take(10, 1000, /*now_ms=*/0).size(), 3u);
  EXPECT_TRUE(pool.Take(10, 1000, 10).empty());
  pool.Release({"a", "c", "gone"});
  auto again = pool.Take(10, 1000, 20);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].payload(), "a");
  EXPECT_EQ(again[1].payload(), "c");
  EXPECT_EQ(pool.size(), 3u);
}

TEST(MempoolTest, CommittedAreRemovedAndRemembered) {
  Mempool pool(10, 1000);
  ASSERT_TRUE(pool.Add("a", Env("a"), 10).ok());
  ASSERT_TRUE(pool.Add("b", Env("b"), 10).ok());
  pool.RemoveCommitted({"a", "z"});
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), 10u);
  EXPECT_EQ(pool.Add("a", Env("a"), 10).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(pool.Add("z", Env("z"), 10).code(), absl::StatusCode::kAlreadyExists);
  auto taken = pool.Take(10, 1000, 0);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].payload(), "b");
}

TEST(MempoolTest, TakeRespectsByteBudget) {
  Mempool pool(10, 1000);
  ASSERT_TRUE(pool.Add("a", Env("a"), 60).ok());
  ASSERT_TRUE(pool.Add("b", Env("b"), 60).ok());
  EXPECT_EQ(pool.Take(10, 100, 0).size(), 1u);
}

}  // namespace
}  // namespace coal::node

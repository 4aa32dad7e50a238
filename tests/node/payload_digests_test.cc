// PayloadDigests hashes a payload's entries once and answers later asks from the cache, exactly:
// only the same bytes hit, and the count and byte bounds hold.
#include "node/payload_digests.h"

#include <gtest/gtest.h>

#include "crypto/dsse.h"

namespace coal::node {
namespace {

coalition::v1::BlockPayload Payload(const std::vector<std::string>& bodies) {
  coalition::v1::BlockPayload p;
  for (const std::string& body : bodies) {
    auto* env = p.add_entries();
    env->set_payload_type("coalition.v1.Attestation");
    env->set_payload(body);
  }
  return p;
}

TEST(PayloadDigestsTest, HashesEachEntryInOrderOnceThenAnswersFromTheCache) {
  PayloadDigests cache(4, 1 << 20);
  const auto p = Payload({"a", "b", "c"});
  const std::string bytes = p.SerializeAsString();
  EXPECT_EQ(cache.Find(bytes), nullptr);
  const std::vector<std::string> want = {crypto::EnvelopeDigest(p.entries(0)),
                                         crypto::EnvelopeDigest(p.entries(1)),
                                         crypto::EnvelopeDigest(p.entries(2))};
  EXPECT_EQ(cache.Of(bytes, p), want);
  EXPECT_EQ(cache.misses(), 1u);
  // A later ask is answered without the parsed payload's help: an empty one proves no rehash.
  EXPECT_EQ(cache.Of(bytes, coalition::v1::BlockPayload()), want);
  ASSERT_NE(cache.Find(bytes), nullptr);
  EXPECT_EQ(*cache.Find(bytes), want);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 3u);  // the second Of and both Finds
}

TEST(PayloadDigestsTest, OnlyTheSameBytesHit) {
  PayloadDigests cache(4, 1 << 20);
  const auto p = Payload({"xy"});
  const auto q = Payload({"yx"});  // same size, other bytes
  const std::string pb = p.SerializeAsString();
  const std::string qb = q.SerializeAsString();
  ASSERT_EQ(pb.size(), qb.size());
  cache.Of(pb, p);
  EXPECT_EQ(cache.Find(qb), nullptr);
  EXPECT_EQ(cache.Of(qb, q), std::vector<std::string>{crypto::EnvelopeDigest(q.entries(0))});
  EXPECT_NE(cache.Of(pb, p), cache.Of(qb, q));
}

TEST(PayloadDigestsTest, ForgetDropsAPayloadAndItsBytes) {
  PayloadDigests cache(4, 1 << 20);
  const auto p = Payload({"a"});
  const std::string bytes = p.SerializeAsString();
  cache.Of(bytes, p);
  EXPECT_EQ(cache.bytes(), bytes.size());
  cache.Forget(bytes);
  cache.Forget(bytes);  // twice is harmless
  EXPECT_EQ(cache.Find(bytes), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(PayloadDigestsTest, TheOldestPayloadsGoPastTheCountAndByteBounds) {
  std::vector<coalition::v1::BlockPayload> payloads;
  std::vector<std::string> bytes;
  for (int i = 0; i < 5; ++i) {
    payloads.push_back(Payload({std::string(100, static_cast<char>('a' + i))}));
    bytes.push_back(payloads.back().SerializeAsString());
  }
  PayloadDigests by_count(3, 1 << 20);
  for (int i = 0; i < 5; ++i) by_count.Of(bytes[i], payloads[i]);
  EXPECT_EQ(by_count.size(), 3u);
  EXPECT_EQ(by_count.Find(bytes[1]), nullptr);
  EXPECT_NE(by_count.Find(bytes[2]), nullptr);
  EXPECT_NE(by_count.Find(bytes[4]), nullptr);

  PayloadDigests by_bytes(16, 2 * bytes[0].size());
  for (int i = 0; i < 5; ++i) by_bytes.Of(bytes[i], payloads[i]);
  EXPECT_EQ(by_bytes.size(), 2u);
  EXPECT_LE(by_bytes.bytes(), 2 * bytes[0].size());
  EXPECT_EQ(by_bytes.Find(bytes[2]), nullptr);
  EXPECT_NE(by_bytes.Find(bytes[3]), nullptr);

  // A payload over the byte bound is hashed and answered, never held.
  PayloadDigests tiny(16, 10);
  EXPECT_EQ(tiny.Of(bytes[0], payloads[0]),
            std::vector<std::string>{crypto::EnvelopeDigest(payloads[0].entries(0))});
  EXPECT_EQ(tiny.size(), 0u);
  EXPECT_EQ(tiny.bytes(), 0u);
}

}  // namespace
}  // namespace coal::node

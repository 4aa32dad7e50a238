// CachingVerifier: remembers successes only, keys on all three parts, stays within its bound.
#include "crypto/verify_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace coal::crypto {
namespace {

// Counts the verifications that reach the real verifier.
class CountingVerifier final : public Verifier {
 public:
  bool Verify(std::string_view public_key, std::string_view message,
              std::string_view signature) const override {
    calls.fetch_add(1);
    return DefaultVerifier().Verify(public_key, message, signature);
  }
  mutable std::atomic<int> calls{0};
};

class VerifyCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<Ed25519Signer> a_ = Ed25519Signer::Generate();
  std::unique_ptr<Ed25519Signer> b_ = Ed25519Signer::Generate();
  CountingVerifier inner_;
};

TEST_F(VerifyCacheTest, ASuccessIsVerifiedOnceThenAnsweredFromTheCache) {
  CachingVerifier cache(inner_, 16);
  const std::string sig = a_->Sign("entry");
  EXPECT_TRUE(cache.Verify(a_->public_key(), "entry", sig));
  EXPECT_TRUE(cache.Verify(a_->public_key(), "entry", sig));
  EXPECT_TRUE(cache.Verify(a_->public_key(), "entry", sig));
  EXPECT_EQ(inner_.calls.load(), 1);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(VerifyCacheTest, FailuresAreNeverRemembered) {
  CachingVerifier cache(inner_, 16);
  std::string sig = a_->Sign("entry");
  sig[0] ^= 1;
  EXPECT_FALSE(cache.Verify(a_->public_key(), "entry", sig));
  EXPECT_FALSE(cache.Verify(a_->public_key(), "entry", sig));
  EXPECT_EQ(inner_.calls.load(), 2);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
}

// A remembered triple must not vouch for any other: another message, another key, another
// signature (even one that is itself valid) each go to the real verifier.
TEST_F(VerifyCacheTest, EveryPartOfTheTripleIsPartOfTheKey) {
  CachingVerifier cache(inner_, 16);
  const std::string sig = a_->Sign("entry");
  ASSERT_TRUE(cache.Verify(a_->public_key(), "entry", sig));
  EXPECT_FALSE(cache.Verify(a_->public_key(), "entrY", sig));
  EXPECT_FALSE(cache.Verify(b_->public_key(), "entry", sig));
  const std::string other_sig = b_->Sign("entry");
  EXPECT_TRUE(cache.Verify(b_->public_key(), "entry", other_sig));
  EXPECT_FALSE(cache.Verify(a_->public_key(), "entry", other_sig));
  // Moving bytes between the parts does not collide (the parts are length-prefixed).
  EXPECT_FALSE(cache.Verify(a_->public_key(), "entr", "y" + sig));
  EXPECT_EQ(inner_.calls.load(), 6);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST_F(VerifyCacheTest, OldestTriplesAreForgottenPastCapacity) {
  CachingVerifier cache(inner_, 3);
  std::vector<std::string> msgs = {"m0", "m1", "m2", "m3", "m4"};
  std::vector<std::string> sigs;
  for (const auto& m : msgs) sigs.push_back(a_->Sign(m));
  for (size_t i = 0; i < msgs.size(); ++i) ASSERT_TRUE(cache.Verify(a_->public_key(), msgs[i], sigs[i]));
  EXPECT_EQ(cache.size(), 3u);
  inner_.calls = 0;
  EXPECT_TRUE(cache.Verify(a_->public_key(), "m4", sigs[4]));  // kept
  EXPECT_TRUE(cache.Verify(a_->public_key(), "m2", sigs[2]));  // kept
  EXPECT_EQ(inner_.calls.load(), 0);
  EXPECT_TRUE(cache.Verify(a_->public_key(), "m0", sigs[0]));  // forgotten: verified again
  EXPECT_EQ(inner_.calls.load(), 1);
  EXPECT_EQ(cache.size(), 3u);
}

TEST_F(VerifyCacheTest, ConcurrentCallersAgree) {
  CachingVerifier cache(inner_, 64);
  const std::string good = a_->Sign("shared");
  std::string bad = good;
  bad[5] ^= 0x40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!cache.Verify(a_->public_key(), "shared", good)) wrong.fetch_add(1);
        if (cache.Verify(a_->public_key(), "shared", bad)) wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.hits() + cache.misses(), 1600u);
}

}  // namespace
}  // namespace coal::crypto

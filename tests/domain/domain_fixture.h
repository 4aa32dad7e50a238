// Test fixture for the domain state machine: a genesis with authorities, cloud providers,
// enforcement and an observer (deterministic keys from fixed seeds), a MemoryKvStore
// bootstrapped with the real rule sets, and helpers that sign payloads and apply them in blocks
// exactly as the node does (BeginBlock, Apply per entry, FinishBlock, one atomic Write).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coalition/v1/domain.pb.h"
#include "coalition/v1/genesis.pb.h"
#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/ed25519.h"
#include "node/domain/state_machine.h"
#include "storage/memory_kv_store.h"

namespace coal::domain::testing {

inline constexpr char kChainId[] = "coalition-test-0123456789abcdef";
inline constexpr int64_t kDayMs = 86400000;
inline constexpr int64_t kGenesisTimeMs = 1767225600000;  // 2026-01-01T00:00:00Z

class DomainTest : public ::testing::Test {
 protected:
  DomainTest() {
    crypto::InitSodium();
    AddMember("us-bis", {coalition::v1::ROLE_AUTHORITY});
    AddMember("eu-dgtrade", {coalition::v1::ROLE_AUTHORITY});
    AddMember("jp-meti", {coalition::v1::ROLE_AUTHORITY});
    AddMember("cloud-a", {coalition::v1::ROLE_CLOUD_PROVIDER});
    AddMember("cloud-b", {coalition::v1::ROLE_CLOUD_PROVIDER});
    AddMember("us-hsi", {coalition::v1::ROLE_ENFORCEMENT});
    AddMember("sg-customs", {coalition::v1::ROLE_ENFORCEMENT});
    AddMember("observer", {coalition::v1::ROLE_OBSERVER});
    genesis_.set_chain_name("coalition-test");
    genesis_.set_genesis_time_ms(kGenesisTimeMs);
    genesis_.set_threshold_quorum(2);
    genesis_.set_emergency_quorum(3);
    genesis_.set_min_notice_ms(30 * kDayMs);
    genesis_.set_emergency_min_notice_ms(kDayMs);
    genesis_.set_entry_max_age_ms(kDayMs);
    genesis_.set_entry_max_future_ms(300000);
    storage::WriteBatch batch;
    EXPECT_TRUE(Bootstrap(genesis_, &batch).ok());
    EXPECT_TRUE(kv_.Write(batch).ok());
    sm_ = std::make_unique<StateMachine>(genesis_, &kv_, kChainId);
  }

  void AddMember(const std::string& id, std::vector<coalition::v1::Role> roles) {
    std::string seed(32, static_cast<char>(signers_.size() + 1));
    auto signer = crypto::Ed25519Signer::FromSeed(seed);
    EXPECT_TRUE(signer.ok());
    auto* m = genesis_.add_members();
    m->set_id(id);
    m->set_name(id);
    for (auto r : roles) m->add_roles(r);
    m->set_public_key((*signer)->public_key());
    signers_[id] = std::move(*signer);
  }

  // Fills the header (author, created_at = now_ms_, a fresh nonce, chain id), signs as `author`.
  template <typename T>
  coalition::v1::Envelope Sign(const std::string& author, T payload,
                               const std::string& signer = "") {
    auto* h = payload.mutable_header();
    if (h->author().empty()) h->set_author(author);
    if (h->created_at_ms() == 0) h->set_created_at_ms(now_ms_);
    if (h->nonce().empty()) h->set_nonce(BigEndian64(++nonce_));
    if (h->chain_id().empty()) h->set_chain_id(kChainId);
    return crypto::MakeEnvelope(*signers_.at(signer.empty() ? author : signer),
                                "coalition.v1." + payload.GetDescriptor()->name(),
                                payload.SerializeAsString());
  }

  // Applies `entries` as one block at block time now_ms_ and writes the batch.
  std::vector<coalition::v1::Outcome> ApplyBlock(
      const std::vector<coalition::v1::Envelope>& entries) {
    std::vector<coalition::v1::Outcome> out;
    sm_->BeginBlock();
    ++height_;
    for (const auto& env : entries) {
      digests_.push_back(crypto::EnvelopeDigest(env));
      out.push_back(sm_->Apply({height_, log_index_++, now_ms_}, env, digests_.back()));
    }
    storage::WriteBatch batch;
    EXPECT_TRUE(sm_->FinishBlock(&batch).ok());
    EXPECT_TRUE(kv_.Write(batch).ok());
    return out;
  }

  coalition::v1::Outcome Apply(const coalition::v1::Envelope& env) { return ApplyBlock({env})[0]; }

  const std::string& LastDigest() const { return digests_.back(); }

  coalition::v1::Genesis genesis_;
  storage::MemoryKvStore kv_;
  std::unique_ptr<StateMachine> sm_;
  std::map<std::string, std::unique_ptr<crypto::Ed25519Signer>> signers_;
  std::vector<std::string> digests_;
  int64_t now_ms_ = kGenesisTimeMs + kDayMs;
  uint64_t nonce_ = 0;
  uint64_t height_ = 0;
  uint64_t log_index_ = 0;
};

// Asserts a rejection with exactly this reason.
#define EXPECT_REJECTED(outcome, code)           \
  do {                                           \
    const auto& o_ = (outcome);                  \
    EXPECT_FALSE(o_.accepted()) << o_.detail();  \
    EXPECT_EQ(o_.reason(), code) << o_.detail(); \
  } while (0)
#define EXPECT_ACCEPTED(outcome)                                      \
  do {                                                                \
    const auto& o_ = (outcome);                                       \
    EXPECT_TRUE(o_.accepted()) << o_.reason() << ": " << o_.detail(); \
  } while (0)

}  // namespace coal::domain::testing

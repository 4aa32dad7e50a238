// Waiting for a commit without a thread (Ledger::WhenCommitted): the callback runs exactly once —
// with the entry's place in the log when its block is applied, at once when it was committed
// already, with DEADLINE_EXCEEDED once its deadline passed, or with the status it was cancelled
// with — and a later duplicate of a committed entry does not answer a waiter again.
#include <gtest/gtest.h>

#include <optional>

#include "crypto/dsse.h"
#include "node/ledger.h"
#include "storage/memory_kv_store.h"

namespace coal::node {
namespace {

coalition::v1::Envelope Entry(const std::string& body) {
  coalition::v1::Envelope env;
  env.set_payload_type("coalition.v1.Attestation");
  env.set_payload(body);
  return env;
}

class LedgerWaitersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = Ledger::Open(&kv_, &executor_);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = std::move(ledger).value();
  }

  // Applies the next block holding `entries`.
  void ApplyBlock(const std::vector<coalition::v1::Envelope>& entries) {
    coalition::v1::CommittedBlock cb;
    auto* b = cb.mutable_block();
    b->set_height(ledger_->height() + 1);
    b->set_round(b->height());
    b->set_id("block-" + std::to_string(b->height()));
    b->set_time_ms(1000 * static_cast<int64_t>(b->height()));
    coalition::v1::BlockPayload payload;
    for (const auto& e : entries) *payload.add_entries() = e;
    b->set_payload(payload.SerializeAsString());
    ASSERT_TRUE(ledger_->Apply(cb).ok());
  }

  // A waiter that records how often, and with what, it was answered.
  struct Answer {
    int calls = 0;
    std::optional<absl::StatusOr<CommittedEntry>> result;
  };
  Ledger::CommitCallback Record(Answer* a) {
    return [a](absl::StatusOr<CommittedEntry> r) {
      ++a->calls;
      a->result = std::move(r);
    };
  }

  storage::MemoryKvStore kv_;
  AcceptAllExecutor executor_;
  std::unique_ptr<Ledger> ledger_;
  const absl::Time far_ = absl::Now() + absl::Hours(1);
};

TEST_F(LedgerWaitersTest, AnsweredWithTheEntrysPlaceWhenItsBlockIsApplied) {
  const auto a = Entry("a");
  const auto b = Entry("b");
  Answer wa, wb;
  EXPECT_NE(ledger_->WhenCommitted(crypto::EnvelopeDigest(a), far_, Record(&wa)), 0u);
  EXPECT_NE(ledger_->WhenCommitted(crypto::EnvelopeDigest(b), far_, Record(&wb)), 0u);
  EXPECT_EQ(ledger_->waiters(), 2u);
  ApplyBlock({Entry("other"), a});
  ASSERT_EQ(wa.calls, 1);
  ASSERT_TRUE(wa.result->ok());
  EXPECT_EQ((*wa.result)->log_index, 1u);
  EXPECT_EQ((*wa.result)->height, 1u);
  EXPECT_EQ((*wa.result)->block_time_ms, 1000);
  EXPECT_TRUE((*wa.result)->outcome.accepted());
  EXPECT_EQ(wb.calls, 0);
  EXPECT_EQ(ledger_->waiters(), 1u);
  ApplyBlock({b});
  ASSERT_EQ(wb.calls, 1);
  EXPECT_EQ((*wb.result)->log_index, 2u);
  EXPECT_EQ((*wb.result)->height, 2u);
  EXPECT_EQ(ledger_->waiters(), 0u);
}

TEST_F(LedgerWaitersTest, SeveralWaitersOnOneDigestAreAllAnsweredOnceByItsFirstCommit) {
  const auto a = Entry("a");
  std::vector<Answer> w(5);  // more than two: answering must not skip any (it once skipped one)
  for (auto& answer : w) ledger_->WhenCommitted(crypto::EnvelopeDigest(a), far_, Record(&answer));
  ApplyBlock({a});
  ApplyBlock({a});  // a duplicate committed later: nobody is answered again
  for (size_t i = 0; i < w.size(); ++i) {
    ASSERT_EQ(w[i].calls, 1) << "waiter " << i;
    EXPECT_EQ((*w[i].result)->log_index, 0u);
  }
  EXPECT_EQ(ledger_->waiters(), 0u);
}

// A callback may read the ledger: it runs outside the ledger's locks (it ran under the log lock).
TEST_F(LedgerWaitersTest, CallbackMayReadTheLedger) {
  const auto a = Entry("a");
  uint64_t size_seen = 0;
  ledger_->WhenCommitted(crypto::EnvelopeDigest(a), far_,
                         [&](absl::StatusOr<CommittedEntry>) { size_seen = ledger_->tree_size(); });
  ApplyBlock({a});
  EXPECT_EQ(size_seen, 1u);
}

TEST_F(LedgerWaitersTest, AlreadyCommittedIsAnsweredAtOnceWithoutATicket) {
  const auto a = Entry("a");
  ApplyBlock({a});
  Answer w;
  EXPECT_EQ(ledger_->WhenCommitted(crypto::EnvelopeDigest(a), far_, Record(&w)), 0u);
  ASSERT_EQ(w.calls, 1);
  EXPECT_EQ((*w.result)->log_index, 0u);
  EXPECT_EQ(ledger_->waiters(), 0u);
}

TEST_F(LedgerWaitersTest, ExpiredWaitersGetDeadlineExceededOthersKeepWaiting) {
  const absl::Time now = absl::Now();
  Answer soon, later;
  ledger_->WhenCommitted(crypto::EnvelopeDigest(Entry("a")), now + absl::Seconds(1),
                         Record(&soon));
  ledger_->WhenCommitted(crypto::EnvelopeDigest(Entry("b")), now + absl::Seconds(5),
                         Record(&later));
  ledger_->ExpireWaiters(now);
  EXPECT_EQ(soon.calls, 0);
  ledger_->ExpireWaiters(now + absl::Seconds(1));
  ASSERT_EQ(soon.calls, 1);
  EXPECT_EQ(soon.result->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(later.calls, 0);
  ApplyBlock({Entry("a")});  // committing after the deadline answers nothing twice
  EXPECT_EQ(soon.calls, 1);
  EXPECT_EQ(ledger_->waiters(), 1u);
}

TEST_F(LedgerWaitersTest, CancelAnswersOnceAndLaterCancelsOrCommitsDoNothing) {
  const auto a = Entry("a");
  Answer w;
  const uint64_t ticket = ledger_->WhenCommitted(crypto::EnvelopeDigest(a), far_, Record(&w));
  ledger_->CancelWaiter(ticket, absl::CancelledError("client went away"));
  ASSERT_EQ(w.calls, 1);
  EXPECT_EQ(w.result->status().code(), absl::StatusCode::kCancelled);
  ledger_->CancelWaiter(ticket, absl::CancelledError("again"));
  ApplyBlock({a});
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(ledger_->waiters(), 0u);
}

TEST_F(LedgerWaitersTest, CancelAllAnswersEveryWaiter) {
  Answer w1, w2;
  ledger_->WhenCommitted(crypto::EnvelopeDigest(Entry("a")), far_, Record(&w1));
  ledger_->WhenCommitted(crypto::EnvelopeDigest(Entry("b")), far_, Record(&w2));
  ledger_->CancelAllWaiters(absl::UnavailableError("shutting down"));
  EXPECT_EQ(w1.calls, 1);
  EXPECT_EQ(w2.calls, 1);
  EXPECT_EQ(w2.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ledger_->waiters(), 0u);
  // Closed: a later wait is answered UNAVAILABLE at once rather than left to the server's end.
  Answer late;
  EXPECT_EQ(ledger_->WhenCommitted(crypto::EnvelopeDigest(Entry("c")), far_, Record(&late)), 0u);
  ASSERT_EQ(late.calls, 1);
  EXPECT_EQ(late.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ledger_->waiters(), 0u);
}

}  // namespace
}  // namespace coal::node

#include <gtest/gtest.h>

#include <deque>

#include "node/peer_transport.h"

namespace coal::node {
namespace {

using coalition::v1::PeerEnvelope;

PeerEnvelope Entries(uint32_t sender, std::initializer_list<const char*> sigs) {
  PeerEnvelope e;
  e.set_sender(sender);
  for (const char* s : sigs) e.add_entries()->set_payload(s);
  return e;
}

PeerEnvelope Consensus(uint32_t sender, uint64_t round) {
  PeerEnvelope e;
  e.set_sender(sender);
  e.mutable_consensus()->mutable_vote()->set_round(round);
  return e;
}

PeerEnvelope Cosig(uint32_t sender, uint64_t size) {
  PeerEnvelope e;
  e.set_sender(sender);
  e.mutable_cosignature()->set_sig("cosig-" + std::to_string(size));
  e.set_cosigned_size(size);
  e.set_cosigned_root("root-" + std::to_string(size));
  return e;
}

std::vector<std::string> Sigs(const PeerEnvelope& e) {
  std::vector<std::string> out;
  for (const auto& env : e.entries()) out.push_back(env.payload());
  return out;
}

TEST(TakeMergeable, EntriesCosignatureAndOneConsensusMessageTravelTogether) {
  PeerEnvelope msg = Entries(1, {"a"});
  std::deque<PeerEnvelope> q{Consensus(1, 7), Entries(1, {"b", "c"}), Cosig(1, 40),
                             Entries(1, {"d"})};
  EXPECT_EQ(TakeMergeable(&q, &msg, 1 << 20), 4u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(Sigs(msg), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(msg.consensus().vote().round(), 7u);
  EXPECT_EQ(msg.cosignature().sig(), "cosig-40");
  EXPECT_EQ(msg.cosigned_size(), 40u);
  EXPECT_EQ(msg.cosigned_root(), "root-40");
}

TEST(TakeMergeable, ASecondConsensusMessageStopsTheMergeSoTheirOrderHolds) {
  PeerEnvelope msg = Consensus(2, 7);
  std::deque<PeerEnvelope> q{Entries(2, {"a"}), Consensus(2, 8), Entries(2, {"b"})};
  EXPECT_EQ(TakeMergeable(&q, &msg, 1 << 20), 1u);
  EXPECT_EQ(msg.consensus().vote().round(), 7u);
  EXPECT_EQ(Sigs(msg), (std::vector<std::string>{"a"}));
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q.front().consensus().vote().round(), 8u);  // left for the next write, in order
}

TEST(TakeMergeable, ASecondCosignatureStopsTheMerge) {
  PeerEnvelope msg = Cosig(0, 10);
  std::deque<PeerEnvelope> q{Cosig(0, 11)};
  EXPECT_EQ(TakeMergeable(&q, &msg, 1 << 20), 0u);
  EXPECT_EQ(msg.cosigned_size(), 10u);
  EXPECT_EQ(q.size(), 1u);
}

TEST(TakeMergeable, StopsAtTheByteLimitAndAtAnotherSender) {
  const std::string big(1000, 'x');
  PeerEnvelope msg = Entries(3, {"a"});
  std::deque<PeerEnvelope> q{Entries(3, {big.c_str()}), Entries(3, {big.c_str()})};
  // Room for the first 1000-byte entry, not the second.
  EXPECT_EQ(TakeMergeable(&q, &msg, msg.ByteSizeLong() + 1500), 1u);
  EXPECT_EQ(msg.entries_size(), 2);
  EXPECT_EQ(q.size(), 1u);

  PeerEnvelope other = Entries(3, {"z"});
  std::deque<PeerEnvelope> q2{Entries(4, {"y"})};
  EXPECT_EQ(TakeMergeable(&q2, &other, 1 << 20), 0u);
  EXPECT_EQ(q2.size(), 1u);
}

}  // namespace
}  // namespace coal::node

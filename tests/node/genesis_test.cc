// Genesis and node config parsing: round trip, hash stability, field-naming errors.
#include "node/genesis.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "node/config.h"

namespace coal::node {
namespace {

coalition::v1::Genesis SampleGenesis() {
  coalition::v1::Genesis g;
  g.set_chain_name("devnet");
  g.set_genesis_time_ms(1767225600000);
  g.set_threshold_quorum(2);
  g.set_emergency_quorum(3);
  g.set_min_notice_ms(1000);
  g.set_entry_max_age_ms(86400000);
  g.set_entry_max_future_ms(300000);
  g.mutable_timing()->set_round_timeout_ms(500);
  g.mutable_timing()->set_round_timeout_max_ms(5000);
  g.mutable_timing()->set_max_block_entries(4000);
  g.mutable_timing()->set_max_block_bytes(4 << 20);
  for (const char* id : {"us", "eu", "jp"}) {
    auto* m = g.add_members();
    m->set_id(id);
    m->set_name(std::string("Authority ") + id);
    m->set_country("XX");
    m->add_roles(coalition::v1::ROLE_AUTHORITY);
    m->set_public_key(crypto::Ed25519Signer::Generate()->public_key());
  }
  auto* v = g.add_validators();
  v->set_id("node-0");
  v->set_operator_("us");
  v->set_public_key(crypto::Ed25519Signer::Generate()->public_key());
  v->set_peer_addr("127.0.0.1:7100");
  v->set_client_addr("127.0.0.1:7000");
  return g;
}

TEST(GenesisTest, TomlRoundTripKeepsHash) {
  const auto g = SampleGenesis();
  auto parsed = ParseGenesisToml(GenesisToToml(g));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(GenesisHash(*parsed), GenesisHash(g));
  EXPECT_EQ(ChainId(*parsed), "devnet-" + ToHex(GenesisHash(g)).substr(0, 16));
}

TEST(GenesisTest, CheckpointIntervalRoundTripsAndItsAbsenceKeepsOlderHashes) {
  auto g = SampleGenesis();
  const std::string text_without = GenesisToToml(g);
  EXPECT_EQ(text_without.find("checkpoint_interval_ms"), std::string::npos);
  auto parsed = ParseGenesisToml(text_without);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->timing().checkpoint_interval_ms(), 0u);  // cosign after every block
  EXPECT_EQ(GenesisHash(*parsed), GenesisHash(g));

  g.mutable_timing()->set_checkpoint_interval_ms(50);
  EXPECT_NE(GenesisHash(g), GenesisHash(*parsed));
  parsed = ParseGenesisToml(GenesisToToml(g));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->timing().checkpoint_interval_ms(), 50u);
  EXPECT_EQ(GenesisHash(*parsed), GenesisHash(g));

  g.mutable_timing()->set_checkpoint_interval_ms(kCheckpointIntervalMaxMs + 1);
  const absl::Status st = ValidateGenesis(g);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("consensus.checkpoint_interval_ms"), std::string::npos) << st;

  // In the file: a quoted number, a negative one and one past uint32 are refused, not wrapped.
  const std::string line = "checkpoint_interval_ms = 50";
  g.mutable_timing()->set_checkpoint_interval_ms(50);
  const std::string text = GenesisToToml(g);
  ASSERT_NE(text.find(line), std::string::npos);
  for (const char* bad : {"\"50\"", "-1", "4294967346"}) {
    std::string t = text;
    t.replace(t.find(line), line.size(), std::string("checkpoint_interval_ms = ") + bad);
    auto p = ParseGenesisToml(t);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(p.status().message().find("consensus.checkpoint_interval_ms"), std::string::npos)
        << p.status();
  }
}

// Every integer field: a quoted number was read as the default and a value past uint32 wrapped
// (round_timeout_ms = 4294968296 became 1000); both are refused now, naming the field.
TEST(GenesisTest, IntegerFieldsRefuseQuotedNegativeAndWrappingValues) {
  const std::string text = GenesisToToml(SampleGenesis());
  struct Case {
    const char* key;    // as written in the file
    const char* field;  // as named in the error
    bool uint32;
  };
  for (const Case& f : {Case{"threshold_quorum", "threshold_quorum", true},
                        Case{"emergency_quorum", "emergency_quorum", true},
                        Case{"min_notice_ms", "min_notice_ms", false},
                        Case{"entry_max_age_ms", "entry_max_age_ms", false},
                        Case{"round_timeout_ms", "consensus.round_timeout_ms", true},
                        Case{"round_timeout_max_ms", "consensus.round_timeout_max_ms", true},
                        Case{"max_block_entries", "consensus.max_block_entries", true},
                        Case{"max_block_bytes", "consensus.max_block_bytes", true},
                        Case{"max_clock_skew_ms", "consensus.max_clock_skew_ms", true}}) {
    const size_t at = text.find(std::string("\n") + f.key + " = ");
    ASSERT_NE(at, std::string::npos) << f.key;
    const size_t value_at = text.find(" = ", at) + 3;
    const size_t value_end = text.find('\n', value_at);
    std::vector<std::string> bad = {"\"" + text.substr(value_at, value_end - value_at) + "\"",
                                    "-1"};
    if (f.uint32) bad.push_back("4294968296");
    for (const auto& value : bad) {
      std::string t = text;
      t.replace(value_at, value_end - value_at, value);
      auto parsed = ParseGenesisToml(t);
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << f.key << value;
      EXPECT_NE(parsed.status().message().find(std::string("genesis: ") + f.field + ":"),
                std::string::npos)
          << parsed.status();
    }
  }
}

// A block must hold at least one entry and fit a peer message: zero entries or bytes (a chain
// that could never order an entry) and blocks past kBlockBytesMax (proposals and catch-up answers
// the peer channel would refuse) are refused, naming the field.
TEST(GenesisTest, BlockLimitsMustLetABlockHoldAnEntryAndFitAPeerMessage) {
  auto g = SampleGenesis();
  ASSERT_TRUE(ValidateGenesis(g).ok());
  g.mutable_timing()->set_max_block_entries(0);
  EXPECT_EQ(ValidateGenesis(g),
            absl::InvalidArgumentError("genesis: consensus.max_block_entries: zero"));
  g.mutable_timing()->set_max_block_entries(1);
  EXPECT_TRUE(ValidateGenesis(g).ok());
  for (uint32_t bytes : {0u, kBlockBytesMin - 1, kBlockBytesMax + 1}) {
    g.mutable_timing()->set_max_block_bytes(bytes);
    const absl::Status st = ValidateGenesis(g);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bytes;
    EXPECT_NE(st.message().find("consensus.max_block_bytes: must be between 65536 and 16777216"),
              std::string::npos)
        << st;
  }
  for (uint32_t bytes : {kBlockBytesMin, kBlockBytesMax}) {
    g.mutable_timing()->set_max_block_bytes(bytes);
    EXPECT_TRUE(ValidateGenesis(g).ok()) << bytes;
  }
}

TEST(GenesisTest, ChangedMemberChangesHash) {
  auto g = SampleGenesis();
  const std::string before = GenesisHash(g);
  g.mutable_members(0)->set_country("US");
  EXPECT_NE(GenesisHash(g), before);
}

TEST(GenesisTest, ErrorsNameTheField) {
  auto g = SampleGenesis();
  std::string text = GenesisToToml(g);
  auto bad_role = text;
  bad_role.replace(bad_role.find("\"authority\""), 11, "\"king\"");
  EXPECT_EQ(ParseGenesisToml(bad_role).status().message(),
            "genesis: members[0].roles: unknown role 'king' (authority, cloud_provider, "
            "enforcement, observer)");
  auto short_key = text;
  const auto pos = short_key.find("public_key = \"") + 14;
  short_key.replace(pos, 44, "AAAA");
  EXPECT_EQ(ParseGenesisToml(short_key).status().message(),
            "genesis: members[0].public_key: public key must be 32 bytes, got 3");
  g.set_threshold_quorum(4);
  EXPECT_EQ(ParseGenesisToml(GenesisToToml(g)).status().message(),
            "genesis: threshold_quorum: must be between 1 and the number of authorities (3)");
  EXPECT_EQ(ParseGenesisToml("chain_name = ").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NodeConfigTest, ResolvesRelativePathsAndLimits) {
  auto c = ParseNodeConfig(
      "node_id = \"node-0\"\ngenesis = \"g.toml\"\ndata_dir = \"data\"\nkey_file = \"k.key\"\n"
      "client_listen = \"127.0.0.1:1\"\npeer_listen = \"127.0.0.1:2\"\n[limits]\n"
      "mempool_entries_max = 10\n",
      "/etc/coal");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->genesis_path, "/etc/coal/g.toml");
  EXPECT_EQ(c->data_dir, "/etc/coal/data");
  EXPECT_EQ(c->limits.mempool_entries_max, 10u);
  auto bad = ParseNodeConfig("node_id = \"n\"\n", "");
  EXPECT_EQ(bad.status().message(), "node config: genesis: missing or not a string");
  auto neg = ParseNodeConfig(
      "node_id = \"n\"\ngenesis = \"g\"\ndata_dir = \"d\"\nkey_file = \"k\"\nclient_listen = "
      "\"a\"\npeer_listen = \"b\"\n[limits]\npeer_queue_max = -1\n",
      "");
  EXPECT_EQ(neg.status().message(),
            "node config: limits.peer_queue_max: must be a positive integer");
}

// [peer_dial] overrides where a validator is dialled; it round-trips through the writer, and a
// value that is not an address string is refused naming the key.
TEST(NodeConfigTest, PeerDialTable) {
  const std::string base =
      "node_id = \"node-0\"\ngenesis = \"g\"\ndata_dir = \"d\"\nkey_file = \"k\"\n"
      "client_listen = \"a\"\npeer_listen = \"b\"\n";
  auto c = ParseNodeConfig(base + "[peer_dial]\n\"node-1\" = \"127.0.0.1:9\"\n", "/x");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->peer_dial, (std::map<std::string, std::string>{{"node-1", "127.0.0.1:9"}}));
  auto again = ParseNodeConfig(NodeConfigToToml(*c), "/x");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->peer_dial, c->peer_dial);
  auto bad = ParseNodeConfig(base + "[peer_dial]\n\"node-1\" = 7\n", "");
  EXPECT_EQ(bad.status().message(),
            "node config: peer_dial.node-1: must be a non-empty \"host:port\" string");
}

}  // namespace
}  // namespace coal::node

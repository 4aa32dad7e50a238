// coalctl's answer verifier against locally made trees and checkpoint notes: every tampered part of
// an answer fails with its own reason, quorum and key rules, fork detection through the state file.
// Deterministic: fixed key seeds and timestamps.
#include "tools/coalctl/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "coalition/v1/domain.pb.h"
#include "coalition/v1/ledger.pb.h"
#include "crypto/dsse.h"
#include "crypto/merkle.h"
#include "node/genesis.h"

namespace coal::tools {
namespace {

using ::testing::HasSubstr;

constexpr size_t kValidators = 4;
constexpr uint64_t kCosignTime = 1767225600;

std::unique_ptr<crypto::Ed25519Signer> KeyFromSeed(uint8_t b) {
  return *crypto::Ed25519Signer::FromSeed(std::string(32, static_cast<char>(b)));
}

#define EXPECT_STATUS(expr, code_, substr)                           \
  do {                                                               \
    const absl::Status st_ = (expr);                                 \
    EXPECT_EQ(st_.code(), absl::StatusCode::code_) << st_.message(); \
    EXPECT_THAT(std::string(st_.message()), HasSubstr(substr));      \
  } while (0)

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    coalition::v1::Genesis g;
    g.set_chain_name("unit");
    g.set_threshold_quorum(1);
    g.set_emergency_quorum(1);
    g.mutable_timing()->set_round_timeout_ms(500);
    g.mutable_timing()->set_max_block_entries(4000);
    g.mutable_timing()->set_max_block_bytes(4 << 20);
    auto* m = g.add_members();
    m->set_id("alice");
    m->add_roles(coalition::v1::ROLE_AUTHORITY);
    alice_ = KeyFromSeed(0x10);
    m->set_public_key(alice_->public_key());
    for (size_t i = 0; i < kValidators; ++i) {
      validator_keys_.push_back(KeyFromSeed(static_cast<uint8_t>(1 + i)));
      auto* v = g.add_validators();
      v->set_id("node-" + std::to_string(i));
      v->set_public_key(validator_keys_.back()->public_key());
    }
    mallory_ = KeyFromSeed(0x20);
    anchor_ = *TrustAnchorFromGenesis(g);
    ASSERT_EQ(anchor_.quorum, 3u);
  }

  // The leaf bytes of entry `index`, signed by `signer` but claiming author alice.
  std::string Leaf(uint64_t index, const std::string& subject,
                   const crypto::Signer* signer = nullptr) {
    coalition::v1::Attestation a;
    a.mutable_header()->set_author("alice");
    a.mutable_header()->set_chain_id(anchor_.chain_id);
    a.mutable_header()->set_nonce("nonce-" + std::to_string(index) + "-" + subject);
    a.set_subject(subject);
    coalition::v1::EntryRecord r;
    *r.mutable_envelope() = crypto::MakeEnvelope(signer ? *signer : *alice_,
                                                 "coalition.v1.Attestation", a.SerializeAsString());
    r.set_log_index(index);
    r.mutable_outcome()->set_accepted(true);
    return r.SerializeAsString();
  }

  // A tree of `n` leaves; `variant` changes every subject so two variants fork.
  std::vector<std::string> Tree(uint64_t n, const std::string& variant = "a") {
    std::vector<std::string> leaves;
    for (uint64_t i = 0; i < n; ++i) leaves.push_back(Leaf(i, variant + std::to_string(i)));
    return leaves;
  }

  static std::vector<Hash> Hashes(const std::vector<std::string>& leaves, uint64_t size) {
    std::vector<Hash> out;
    for (uint64_t i = 0; i < size; ++i) out.push_back(merkle::LeafHash(leaves[i]));
    return out;
  }

  std::string Body(const std::string& origin, uint64_t size, const Hash& root) {
    return *crypto::FormatCheckpoint({origin, size, root, {}});
  }

  // A note cosigned by the validators in `signers` (by index).
  std::string Note(const std::string& body, const std::vector<size_t>& signers) {
    std::vector<crypto::NoteSignature> sigs;
    for (size_t i : signers) {
      sigs.push_back(*crypto::CosignCheckpoint(body, "node-" + std::to_string(i),
                                               *validator_keys_[i], kCosignTime));
    }
    return *crypto::FormatNote(body, sigs);
  }

  CheckpointAnswer Checkpoint(const std::vector<std::string>& leaves, uint64_t size,
                              const std::vector<size_t>& signers = {0, 1, 2}) {
    const Hash root = merkle::RootOf(Hashes(leaves, size));
    CheckpointAnswer c;
    c.note = Note(Body(anchor_.chain_id, size, root), signers);
    c.origin = anchor_.chain_id;
    c.size = size;
    c.root = root;
    return c;
  }

  static InclusionAnswer Inclusion(const std::vector<std::string>& leaves, uint64_t index,
                                   uint64_t size) {
    const auto hashes = Hashes(leaves, size);
    InclusionAnswer in;
    in.index = index;
    in.size = size;
    in.leaf = leaves[index];
    in.leaf_hash = hashes[index];
    in.proof = *merkle::InclusionProof(index, size, merkle::SourceFromLeaves(hashes));
    in.root = merkle::RootOf(hashes);
    return in;
  }

  static ConsistencyAnswer Consistency(const std::vector<std::string>& leaves, uint64_t from,
                                       uint64_t to) {
    const auto hashes = Hashes(leaves, to);
    ConsistencyAnswer c;
    c.from = from;
    c.to = to;
    c.proof = *merkle::ConsistencyProof(from, to, merkle::SourceFromLeaves(hashes));
    c.old_root = merkle::RootOf(Hashes(leaves, from));
    c.new_root = merkle::RootOf(hashes);
    return c;
  }

  Answer Full(const std::vector<std::string>& leaves, uint64_t size, uint64_t index) {
    Answer a;
    a.checkpoint = Checkpoint(leaves, size);
    a.inclusions.push_back(Inclusion(leaves, index, size));
    return a;
  }

  absl::Status Verify(const Answer& a, VerifierState* state = nullptr,
                      const ConsistencyFetcher& fetch = nullptr) {
    return VerifyAnswer(anchor_, a, state, fetch).status();
  }

  TrustAnchor anchor_;
  std::unique_ptr<crypto::Ed25519Signer> alice_, mallory_;
  std::vector<std::unique_ptr<crypto::Ed25519Signer>> validator_keys_;
};

TEST_F(VerifierTest, ValidAnswerVerifiesAndAdvancesState) {
  const auto leaves = Tree(7);
  VerifierState state;
  for (uint64_t i = 0; i < 7; ++i) {
    auto report = VerifyAnswer(anchor_, Full(leaves, 7, i), &state);
    ASSERT_TRUE(report.ok()) << "index " << i << ": " << report.status().message();
    EXPECT_EQ(report->inclusions, std::vector<uint64_t>{i});
    EXPECT_EQ(report->checkpoint.cosigners,
              (std::vector<std::string>{"node-0", "node-1", "node-2"}));
    EXPECT_EQ(report->state_advanced, i == 0);
  }
  ASSERT_EQ(state.count(anchor_.chain_id), 1u);
  EXPECT_EQ(state[anchor_.chain_id].size, 7u);
  EXPECT_EQ(state[anchor_.chain_id].root, merkle::RootOf(Hashes(leaves, 7)));
}

TEST_F(VerifierTest, TamperedLeafFails) {
  const auto leaves = Tree(5);
  Answer a = Full(leaves, 5, 2);
  a.inclusions[0].leaf[10] ^= 1;
  EXPECT_STATUS(Verify(a), kInvalidArgument, "leaf bytes hash to");
  a.inclusions[0].leaf_hash.reset();  // no claimed hash: the proof itself must fail
  EXPECT_STATUS(Verify(a), kInvalidArgument,
                "inclusion of index 2 at size 5: inclusion proof: root mismatch");
}

TEST_F(VerifierTest, TamperedProofFails) {
  const auto leaves = Tree(5);
  Answer a = Full(leaves, 5, 2);
  a.inclusions[0].proof[1][0] ^= 1;
  EXPECT_STATUS(Verify(a), kInvalidArgument, "inclusion proof: root mismatch");
  a = Full(leaves, 5, 2);
  a.inclusions[0].proof.pop_back();
  EXPECT_STATUS(Verify(a), kInvalidArgument, "inclusion proof: wrong length");
}

TEST_F(VerifierTest, TamperedRootFails) {
  const auto leaves = Tree(5);
  Answer a = Full(leaves, 5, 2);
  (*a.inclusions[0].root)[3] ^= 1;
  EXPECT_STATUS(Verify(a), kInvalidArgument, "is not the verified checkpoint root");

  a = Full(leaves, 5, 2);
  (*a.checkpoint->root)[3] ^= 1;
  EXPECT_STATUS(Verify(a), kInvalidArgument, "checkpoint: root field");

  // The root inside the signed body: every cosignature breaks.
  a = Full(leaves, 5, 2);
  Hash other = merkle::RootOf(Hashes(Tree(5, "b"), 5));
  auto note = *crypto::ParseNote(a.checkpoint->note);
  a.checkpoint->note = *crypto::FormatNote(Body(anchor_.chain_id, 5, other), note.signatures);
  a.checkpoint->root.reset();
  EXPECT_STATUS(Verify(a), kUnauthenticated, "cosignature by validator 'node-0' does not verify");
}

TEST_F(VerifierTest, TamperedSizeFails) {
  const auto leaves = Tree(6);
  Answer a = Full(leaves, 6, 2);
  a.inclusions[0].size = 5;
  EXPECT_STATUS(Verify(a), kFailedPrecondition,
                "size is not the size of the verified checkpoint (6)");
  a = Full(leaves, 6, 2);
  a.checkpoint->size = 7;
  EXPECT_STATUS(Verify(a), kInvalidArgument, "checkpoint: size field 7");
  a = Full(leaves, 6, 2);
  a.inclusions[0].index = 3;  // the proof is for index 2
  EXPECT_STATUS(Verify(a), kInvalidArgument, "inclusion of index 3 at size 6: inclusion proof");
}

TEST_F(VerifierTest, TamperedCosignatureFails) {
  const auto leaves = Tree(4);
  Answer a = Full(leaves, 4, 0);
  auto note = *crypto::ParseNote(a.checkpoint->note);
  note.signatures[1].signature[20] ^= 1;
  a.checkpoint->note = *crypto::FormatNote(note.body, note.signatures);
  EXPECT_STATUS(Verify(a), kUnauthenticated, "cosignature by validator 'node-1' does not verify");
}

TEST_F(VerifierTest, FewerThanQuorumRefused) {
  const auto leaves = Tree(4);
  Answer a = Full(leaves, 4, 0);
  a.checkpoint = Checkpoint(leaves, 4, {0, 3});
  EXPECT_STATUS(Verify(a), kUnauthenticated,
                "checkpoint: 2 valid distinct validator cosignatures, 3 (2f+1 of 4) required");
  // One validator signing twice (another timestamp) still counts once.
  const std::string body = crypto::ParseNote(a.checkpoint->note)->body;
  auto again = *crypto::CosignCheckpoint(body, "node-0", *validator_keys_[0], kCosignTime + 1);
  auto note = *crypto::ParseNote(a.checkpoint->note);
  note.signatures.push_back(again);
  a.checkpoint->note = *crypto::FormatNote(body, note.signatures);
  EXPECT_STATUS(Verify(a), kUnauthenticated, "2 valid distinct validator cosignatures");
}

TEST_F(VerifierTest, NonValidatorKeyRefused) {
  const auto leaves = Tree(4);
  Answer a = Full(leaves, 4, 0);
  const std::string body = crypto::ParseNote(a.checkpoint->note)->body;
  std::vector<crypto::NoteSignature> sigs = {
      *crypto::CosignCheckpoint(body, "node-0", *validator_keys_[0], kCosignTime),
      *crypto::CosignCheckpoint(body, "node-1", *validator_keys_[1], kCosignTime),
      *crypto::CosignCheckpoint(body, "mallory", *mallory_, kCosignTime)};
  a.checkpoint->note = *crypto::FormatNote(body, sigs);
  EXPECT_STATUS(Verify(a), kUnauthenticated, "ignored: 'mallory' is not a genesis validator");
  // A non-validator key under a validator's name.
  sigs[2] = *crypto::CosignCheckpoint(body, "node-3", *mallory_, kCosignTime);
  a.checkpoint->note = *crypto::FormatNote(body, sigs);
  EXPECT_STATUS(Verify(a), kUnauthenticated,
                "ignored: 'node-3' signed with a key that is not its genesis key");
}

TEST_F(VerifierTest, OtherChainRefused) {
  const auto leaves = Tree(4);
  Answer a = Full(leaves, 4, 0);
  a.checkpoint->note =
      Note(Body("other-chain", 4, merkle::RootOf(Hashes(leaves, 4))), {0, 1, 2, 3});
  a.checkpoint->origin.reset();
  EXPECT_STATUS(Verify(a), kFailedPrecondition, "origin 'other-chain' is not this genesis");
}

TEST_F(VerifierTest, EntrySignatureChecked) {
  auto leaves = Tree(4);
  leaves[1] = Leaf(1, "forged", mallory_.get());  // claims alice, signed by mallory
  EXPECT_STATUS(Verify(Full(leaves, 4, 1)), kUnauthenticated,
                "entry 1: signature of author 'alice': envelope has no signature by the "
                "author's key");
  leaves = Tree(4);
  leaves[1] = Leaf(2, "x");  // a record claiming another log index
  EXPECT_STATUS(Verify(Full(leaves, 4, 1)), kInvalidArgument, "entry 1: record says log index 2");
}

TEST_F(VerifierTest, SameSizeOtherRootIsFork) {
  VerifierState state;
  ASSERT_TRUE(Verify(Full(Tree(5, "a"), 5, 0), &state).ok());
  const VerifierState before = state;
  EXPECT_STATUS(Verify(Full(Tree(5, "b"), 5, 0), &state), kFailedPrecondition,
                "fork: checkpoint of chain " + anchor_.chain_id + " at size 5 has root");
  EXPECT_EQ(state[anchor_.chain_id].root, before.at(anchor_.chain_id).root);
}

TEST_F(VerifierTest, NewerCheckpointNeedsConsistency) {
  const auto leaves = Tree(7);
  VerifierState state;
  ASSERT_TRUE(Verify(Full(leaves, 3, 1), &state).ok());

  Answer newer = Full(leaves, 7, 5);
  EXPECT_STATUS(Verify(newer, &state), kFailedPrecondition,
                "the answer has no consistency proof 3 -> 7");
  EXPECT_EQ(state[anchor_.chain_id].size, 3u);

  int fetched = 0;
  auto fetch = [&](uint64_t from, uint64_t to) -> absl::StatusOr<ConsistencyAnswer> {
    ++fetched;
    return Consistency(leaves, from, to);
  };
  auto report = VerifyAnswer(anchor_, newer, &state, fetch);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(fetched, 1);
  EXPECT_TRUE(report->state_advanced);
  EXPECT_EQ(report->previous->size, 3u);
  EXPECT_EQ(state[anchor_.chain_id].size, 7u);

  // An older checkpoint with a proof up to the state's size verifies; the state keeps size 7.
  Answer older = Full(leaves, 4, 0);
  older.consistency.push_back(Consistency(leaves, 4, 7));
  report = VerifyAnswer(anchor_, older, &state);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(report->state_advanced);
  EXPECT_EQ(state[anchor_.chain_id].size, 7u);
}

TEST_F(VerifierTest, InconsistentNewerCheckpointIsFork) {
  VerifierState state;
  ASSERT_TRUE(Verify(Full(Tree(3, "b"), 3, 0), &state).ok());
  const auto leaves = Tree(7, "a");
  Answer newer = Full(leaves, 7, 0);
  newer.consistency.push_back(Consistency(leaves, 3, 7));
  EXPECT_STATUS(Verify(newer, &state), kFailedPrecondition, "fork: checkpoint at size 7 (root ");
  EXPECT_EQ(state[anchor_.chain_id].size, 3u);
}

TEST_F(VerifierTest, InclusionAtSmallerSizeNeedsConsistencyLink) {
  const auto leaves = Tree(7);
  Answer a;
  a.checkpoint = Checkpoint(leaves, 7);
  a.inclusions.push_back(Inclusion(leaves, 2, 4));
  EXPECT_STATUS(Verify(a), kFailedPrecondition, "no consistency proof links it");
  a.consistency.push_back(Consistency(leaves, 4, 7));
  EXPECT_TRUE(Verify(a).ok());
  a.consistency[0].old_root[0] ^= 1;  // a made-up root at size 4
  EXPECT_STATUS(Verify(a), kInvalidArgument, "consistency[0] 4 -> 7: consistency proof");
}

TEST_F(VerifierTest, NoCheckpointRefused) {
  const auto leaves = Tree(3);
  Answer a = Full(leaves, 3, 0);
  a.checkpoint.reset();
  EXPECT_STATUS(Verify(a), kInvalidArgument, "answer: no checkpoint note");
}

TEST_F(VerifierTest, JsonRoundTrip) {
  const auto leaves = Tree(7);
  Answer a = Full(leaves, 7, 3);
  nlohmann::json j = InclusionJson(a.inclusions[0]);
  j["checkpoint"] = CheckpointJson(*a.checkpoint);
  auto parsed = ParseAnswerJson(j);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->inclusions.size(), 1u);
  EXPECT_EQ(parsed->inclusions[0].leaf, a.inclusions[0].leaf);
  EXPECT_EQ(parsed->inclusions[0].proof, a.inclusions[0].proof);
  EXPECT_EQ(parsed->checkpoint->note, a.checkpoint->note);
  EXPECT_TRUE(Verify(*parsed).ok());

  nlohmann::json bundle{{"checkpoint", CheckpointJson(*a.checkpoint)},
                        {"inclusions", {InclusionJson(Inclusion(leaves, 1, 4))}},
                        {"consistency", ConsistencyJson(Consistency(leaves, 4, 7))}};
  parsed = ParseAnswerJson(bundle);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(Verify(*parsed).ok());

  j["proof"][1] = "zz";
  EXPECT_STATUS(ParseAnswerJson(j).status(), kInvalidArgument,
                "answer.proof[1]: not 32 hex-encoded bytes");
  j = InclusionJson(a.inclusions[0]);
  j["size"] = "7";  // proto3 JSON prints uint64 as a string
  EXPECT_TRUE(ParseAnswerJson(j).ok());
  j["leaf"] = "not base64!";
  EXPECT_STATUS(ParseAnswerJson(j).status(), kInvalidArgument, "answer.leaf: not valid base64");
  EXPECT_STATUS(ParseAnswerJson(nlohmann::json{{"x", 1}}).status(), kInvalidArgument,
                "answer: holds no checkpoint");
}

TEST_F(VerifierTest, StateFileRoundTrip) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("coal_verifier_state_" + std::to_string(::getpid())) / "s.json")
                               .string();
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  auto empty = LoadState(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  VerifierState state;
  ASSERT_TRUE(Verify(Full(Tree(5), 5, 0), &state).ok());
  ASSERT_TRUE(SaveState(path, state).ok());
  auto loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->at(anchor_.chain_id).size, 5u);
  EXPECT_EQ(loaded->at(anchor_.chain_id).root, state.at(anchor_.chain_id).root);
  EXPECT_EQ(loaded->at(anchor_.chain_id).note, state.at(anchor_.chain_id).note);
  // A fork against the loaded state.
  EXPECT_STATUS(Verify(Full(Tree(5, "b"), 5, 0), &*loaded), kFailedPrecondition, "fork: ");
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace coal::tools

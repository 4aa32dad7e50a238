// C2SP checkpoint notes: body format, signed-note framing, Ed25519 signatures and cosignature/v1,
// quorum verification, every malformation with its exact error, and public test vectors.
#include "crypto/checkpoint_note.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace coal::crypto {
namespace {

std::string Unhex(std::string_view h) { return FromHex(h).value(); }

absl::Status Bad(const std::string& message) {
  return absl::InvalidArgumentError("checkpoint note: " + message);
}
absl::Status Denied(const std::string& message) {
  return absl::UnauthenticatedError("checkpoint note: " + message);
}

// "<name>+<key ID in hex>", as errors name a key.
std::string Label(const NoteVerifierKey& key) {
  std::string id;
  AppendBigEndian32(&id, NoteKeyId(key.name, key.type, key.public_key));
  return key.name + "+" + ToHex(id);
}

std::unique_ptr<Ed25519Signer> SignerFromByte(char b) {
  return Ed25519Signer::FromSeed(std::string(kSeedBytes, b)).value();
}

Hash RootOf(char b) {
  Hash h;
  h.fill(static_cast<uint8_t>(b));
  return h;
}

// The C2SP tlog-checkpoint example body.
constexpr std::string_view kSpecBody =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

// A 4-validator chain: validator i cosigns with seed byte 'A' + i, key name "v<i>".
class CheckpointNoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      signers_.push_back(SignerFromByte(static_cast<char>('A' + i)));
      keys_.push_back(NoteVerifierKey{"v" + std::to_string(i), signers_.back()->public_key(),
                                      NoteSignatureType::kCosignatureV1});
    }
    body_ = FormatCheckpoint(Checkpoint{"coalition-devnet", 42, RootOf('\x07'), {}}).value();
  }

  NoteSignature Cosig(int i, uint64_t t = 1700000000) {
    return CosignCheckpoint(body_, keys_[i].name, *signers_[i], t).value();
  }

  std::string Note(const std::vector<NoteSignature>& sigs) {
    return FormatNote(body_, sigs).value();
  }

  std::vector<std::unique_ptr<Ed25519Signer>> signers_;
  std::vector<NoteVerifierKey> keys_;
  std::string body_;
};

// ---- Checkpoint body ----

TEST(CheckpointBodyTest, SpecExampleParsesAndFormatsBack) {
  const Checkpoint c = ParseCheckpoint(kSpecBody).value();
  EXPECT_EQ(c.origin, "example.com/behind-the-sofa");
  EXPECT_EQ(c.size, 20852163u);
  EXPECT_EQ(ToHex(c.root_hash), "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62");
  EXPECT_TRUE(c.extensions.empty());
  EXPECT_EQ(FormatCheckpoint(c).value(), kSpecBody);
}

TEST(CheckpointBodyTest, RoundTripsExtensionsAndExtremeSizes) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, UINT64_MAX}) {
    const Checkpoint c{"origin", size, RootOf('\x5a'), {"ext one", "ext-2"}};
    const std::string body = FormatCheckpoint(c).value();
    EXPECT_EQ(ParseCheckpoint(body).value(), c) << body;
  }
  EXPECT_EQ(FormatCheckpoint(Checkpoint{"o", 0, RootOf('\0'), {}}).value(),
            "o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
}

TEST(CheckpointBodyTest, FormatRejectsLinesThatWouldNotParseBack) {
  EXPECT_EQ(FormatCheckpoint(Checkpoint{"", 1, RootOf('a'), {}}).status(),
            Bad("body line 1 is empty"));
  EXPECT_EQ(FormatCheckpoint(Checkpoint{"o", 1, RootOf('a'), {""}}).status(),
            Bad("body line 4 is empty"));
  EXPECT_EQ(FormatCheckpoint(Checkpoint{"o", 1, RootOf('a'), {"x\ny"}}).status(),
            Bad("origin or extension line contains a newline"));
  EXPECT_EQ(FormatCheckpoint(Checkpoint{"o\tx", 1, RootOf('a'), {}}).status(),
            Bad("control character 0x09 at byte 1"));
}

TEST(CheckpointBodyTest, EveryMalformationHasItsError) {
  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"o\n1\n" + root, "body missing final newline"},
      {"", "body missing final newline"},
      {"o\n1\n", "body has 2 lines, needs origin, tree size and root hash"},
      {"o\n\n" + root + "\n", "body line 2 is empty"},
      {"o\n1\n" + root + "\n\n", "body line 4 is empty"},
      {"\n1\n" + root + "\n", "body line 1 is empty"},
      {"o\n01\n" + root + "\n", "tree size \"01\" is not a decimal without leading zeros"},
      {"o\n00\n" + root + "\n", "tree size \"00\" is not a decimal without leading zeros"},
      {"o\n-1\n" + root + "\n", "tree size \"-1\" is not a decimal without leading zeros"},
      {"o\n+1\n" + root + "\n", "tree size \"+1\" is not a decimal without leading zeros"},
      {"o\n1a\n" + root + "\n", "tree size \"1a\" is not a decimal without leading zeros"},
      {"o\n 1\n" + root + "\n", "tree size \" 1\" is not a decimal without leading zeros"},
      {"o\n18446744073709551616\n" + root + "\n",
       "tree size 18446744073709551616 does not fit in 64 bits"},
      {"o\n100000000000000000000\n" + root + "\n",
       "tree size 100000000000000000000 does not fit in 64 bits"},
      {"o\n1\nnot base64!\n", "root hash is not canonical base64"},
      {"o\n1\n" + root.substr(0, 43) + "\n", "root hash is not canonical base64"},  // no padding
      // Same bytes, but the unused low bits of the last character set: not canonical.
      {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "root hash is not canonical base64"},
      {"o\n1\n" + Base64Encode(std::string(31, 'x')) + "\n", "root hash is 31 bytes, not 32"},
      {"o\n1\n" + Base64Encode(std::string(33, 'x')) + "\n", "root hash is 33 bytes, not 32"},
      {"o\r\n1\n" + root + "\n", "control character 0x0d at byte 1"},
      {"o\xff\n1\n" + root + "\n", "invalid UTF-8 at byte 1"},
      {"o\xc0\xaf\n1\n" + root + "\n", "invalid UTF-8 at byte 1"},      // overlong '/'
      {"o\xed\xa0\x80\n1\n" + root + "\n", "invalid UTF-8 at byte 1"},  // surrogate
      {std::string(1025, 'o') + "\n1\n" + root + "\n", "line 1 is 1025 bytes, more than 1024"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseCheckpoint(c.body).status(), Bad(c.error)) << c.body;
  }
  EXPECT_TRUE(
      ParseCheckpoint(std::string(1024, 'o') + "\n18446744073709551615\n" + root + "\n").ok());
  EXPECT_TRUE(ParseCheckpoint("\xc3\xa9t\xc3\xa9\n0\n" + root + "\n").ok());  // UTF-8 origin
}

// ---- Signed-note framing ----

TEST_F(CheckpointNoteTest, SignAndCosignRoundTrip) {
  const auto log_signer = SignerFromByte('L');
  const NoteSignature log_sig = SignCheckpoint(body_, "coalition-devnet", *log_signer).value();
  EXPECT_EQ(log_sig.signature.size(), 64u);
  const std::string note = Note({log_sig, Cosig(0, 1), Cosig(2, 1700000002), Cosig(3, 0)});

  const SignedNote parsed = ParseNote(note).value();
  EXPECT_EQ(parsed.body, body_);
  ASSERT_EQ(parsed.signatures.size(), 4u);
  EXPECT_EQ(parsed.signatures[0], log_sig);
  EXPECT_EQ(parsed.signatures[1], Cosig(0, 1));
  EXPECT_EQ(FormatNote(parsed.body, parsed.signatures).value(), note);

  std::vector<NoteVerifierKey> keys = keys_;
  keys.push_back({"coalition-devnet", log_signer->public_key(), NoteSignatureType::kEd25519});
  const VerifiedCheckpoint verified = OpenCheckpointNote(note, keys, 4).value();
  EXPECT_EQ(verified.body, body_);
  EXPECT_EQ(verified.checkpoint, (Checkpoint{"coalition-devnet", 42, RootOf('\x07'), {}}));
  ASSERT_EQ(verified.signers.size(), 4u);
  EXPECT_EQ(verified.signers[0].key_name, "coalition-devnet");
  EXPECT_EQ(verified.signers[0].timestamp_s, 0u);
  EXPECT_EQ(verified.signers[2].key_name, "v2");
  EXPECT_EQ(verified.signers[2].timestamp_s, 1700000002u);
  EXPECT_TRUE(VerifyNote(note, keys_, 3).ok());
  EXPECT_EQ(VerifyNote(note, keys_, 4), Denied("3 valid cosignatures of 4 required"));
}

TEST_F(CheckpointNoteTest, NoteBytesAreExactlyTheSpecLayout) {
  const NoteSignature sig = Cosig(1, 1679315147);
  const std::string note = Note({sig});
  std::string payload;
  AppendBigEndian32(&payload,
                    NoteKeyId("v1", NoteSignatureType::kCosignatureV1, signers_[1]->public_key()));
  payload += sig.signature;
  EXPECT_EQ(note, body_ + "\n\xE2\x80\x94 v1 " + Base64Encode(payload) + "\n");
  EXPECT_EQ(sig.signature.size(), 72u);
  EXPECT_EQ(ReadBigEndian64(sig.signature), 1679315147u);
  EXPECT_EQ(CosignatureTimestamp(sig).value(), 1679315147u);
  // The Ed25519 part signs the cosignature/v1 message, not the bare body.
  EXPECT_TRUE(DefaultVerifier().Verify(
      signers_[1]->public_key(), CosignatureMessage(body_, 1679315147), sig.signature.substr(8)));
  EXPECT_FALSE(DefaultVerifier().Verify(signers_[1]->public_key(), body_, sig.signature.substr(8)));
}

TEST(CosignatureMessageTest, MatchesTheSpecExample) {
  EXPECT_EQ(CosignatureMessage(kSpecBody, 1679315147),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  EXPECT_EQ(CosignatureMessage("b\n", 0), "cosignature/v1\ntime 0\nb\n");
}

TEST_F(CheckpointNoteTest, EveryNoteMalformationHasItsError) {
  const std::string line = FormatSignatureLine(Cosig(0)).value();  // "— v0 <base64>\n"
  const std::string b64 = line.substr(line.rfind(' ') + 1, line.size() - line.rfind(' ') - 2);
  struct Case {
    std::string note;
    std::string error;
  };
  const std::vector<Case> cases = {
      {body_ + "\n" + line.substr(0, line.size() - 1), "missing final newline"},
      {body_ + line, "no blank line before the signatures"},
      {body_ + "\n", "no signature lines"},
      {body_ + "\n" + line + "\n", "no signature lines"},  // a trailing blank line moves the split
      {body_ + "\n- v0 " + b64 + "\n",
       "signature line 1: does not start with an em dash (U+2014) and a space"},
      {body_ + "\n\xE2\x80\x94v0 " + b64 + "\n",
       "signature line 1: does not start with an em dash (U+2014) and a space"},
      {body_ + "\n" + line + "Unexpected line.\n",
       "signature line 2: does not start with an em dash (U+2014) and a space"},
      {body_ + "\n\xE2\x80\x94 v0\n", "signature line 1: no signature after the key name"},
      {body_ + "\n\xE2\x80\x94  " + b64 + "\n", "signature line 1: empty key name"},
      {body_ + "\n\xE2\x80\x94 v+0 " + b64 + "\n",
       "signature line 1: key name \"v+0\" has a space, '+' or control character"},
      {body_ +
           "\n\xE2\x80\x94 v\xC2\xA0"
           "0 " +
           b64 + "\n",  // U+00A0 no-break space
       "signature line 1: key name \"v\xC2\xA0"
       "0\" has a space, '+' or control character"},
      {body_ + "\n\xE2\x80\x94 v0 " + b64 + " extra\n",
       "signature line 1: signature is not canonical base64"},
      {body_ + "\n\xE2\x80\x94 v0 " + b64.substr(1) + "\n",
       "signature line 1: signature is not canonical base64"},
      {body_ + "\n\xE2\x80\x94 v0 AAAAAA==\n",
       "signature line 1: signature has 4 bytes, needs more than 4"},
      {body_ + "\n" + line + "\x01",
       "control character 0x01 at byte " + std::to_string(body_.size() + 1 + line.size())},
      {body_ + "\n\xE2\x80\x94 v0 " + std::string(1024, 'A') + "\n",
       "line 5 is 1031 bytes, more than 1024"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseNote(c.note).status(), Bad(c.error)) << c.note;
    EXPECT_EQ(VerifyNote(c.note, keys_, 1), Bad(c.error)) << c.note;
  }
}

TEST_F(CheckpointNoteTest, SignatureAndSizeLimits) {
  const std::string line = FormatSignatureLine(Cosig(0)).value();
  std::string hundred = body_ + "\n";
  for (int i = 0; i < 100; ++i) hundred += line;
  EXPECT_TRUE(ParseNote(hundred).ok());
  EXPECT_TRUE(VerifyNote(hundred, keys_, 1).ok());  // 100 copies of one key count once
  EXPECT_EQ(ParseNote(hundred + line).status(), Bad("101 signature lines, more than 100"));

  std::string huge = body_;
  while (huge.size() <= kNoteBytesMax) huge += std::string(1000, 'x') + "\n";
  huge += "\n" + line;
  EXPECT_EQ(ParseNote(huge).status(),
            Bad(std::to_string(huge.size()) + " bytes, more than 1048576"));
  EXPECT_EQ(FormatNote(body_, {}).status(), Bad("no signature lines"));
}

TEST_F(CheckpointNoteTest, FormatRejectsBadKeyNamesAndBodies) {
  NoteSignature sig = Cosig(0);
  sig.key_name = "two words";
  EXPECT_EQ(FormatSignatureLine(sig).status(),
            Bad("key name \"two words\" has a space, '+' or control character"));
  EXPECT_EQ(FormatNote(body_, {sig}).status(),
            Bad("key name \"two words\" has a space, '+' or control character"));
  EXPECT_EQ(FormatNote("no newline", {Cosig(0)}).status(),
            Bad("no blank line before the signatures"));
  EXPECT_EQ(SignCheckpoint("not\na checkpoint\nroot\n", "k", *signers_[0]).status(),
            Bad("tree size \"a checkpoint\" is not a decimal without leading zeros"));
  EXPECT_EQ(CosignCheckpoint(body_, "", *signers_[0], 1).status(), Bad("empty key name"));
  EXPECT_EQ(CosignCheckpoint(body_, "k", *signers_[0], 1ull << 63).status(),
            Bad("cosignature timestamp 9223372036854775808 exceeds 2^63-1"));
  EXPECT_TRUE(CosignCheckpoint(body_, "k", *signers_[0], kCosignatureTimestampMax).ok());
}

TEST_F(CheckpointNoteTest, AddNoteSignatureReplacesTheSameKey) {
  std::string note = Note({Cosig(0, 5)});
  note = AddNoteSignature(note, Cosig(1, 6)).value();
  note = AddNoteSignature(note, Cosig(0, 7)).value();  // replaces v0's older cosignature
  const SignedNote parsed = ParseNote(note).value();
  ASSERT_EQ(parsed.signatures.size(), 2u);
  EXPECT_EQ(parsed.signatures[0], Cosig(1, 6));
  EXPECT_EQ(parsed.signatures[1], Cosig(0, 7));
}

// ---- Verification ----

TEST_F(CheckpointNoteTest, TamperedBodyIsRejected) {
  const std::string note = Note({Cosig(0), Cosig(1), Cosig(2)});
  std::string tampered = note;
  tampered.replace(tampered.find("\n42\n"), 4, "\n43\n");
  EXPECT_EQ(VerifyNote(tampered, keys_, 1), Denied("invalid signature by " + Label(keys_[0])));
  // One known key with a bad signature rejects the whole note, however many others are good.
  EXPECT_EQ(VerifyNote(tampered, {keys_[2], keys_[0]}, 1),
            Denied("invalid signature by " + Label(keys_[0])));
}

TEST_F(CheckpointNoteTest, TamperedSignatureOrTimestampIsRejected) {
  for (size_t byte : {size_t{7}, size_t{8}, size_t{71}}) {  // timestamp, R, S
    NoteSignature bad = Cosig(1);
    bad.signature[byte] ^= 0x01;
    const std::string note = Note({Cosig(0), bad, Cosig(2)});
    const absl::Status s = VerifyNote(note, keys_, 2);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << byte;
    EXPECT_EQ(s.message().substr(0, 37), "checkpoint note: invalid signature by");
    EXPECT_TRUE(VerifyNote(note, {keys_[0], keys_[2]}, 2).ok());  // v1 unknown here: ignored
  }
  NoteSignature truncated = Cosig(1);
  truncated.signature.pop_back();
  EXPECT_EQ(VerifyNote(Note({truncated}), keys_, 1).code(), absl::StatusCode::kUnauthenticated);
  // A timestamp above 2^63-1 is invalid even with an otherwise well-formed signature.
  NoteSignature future = Cosig(1);
  future.signature[0] = '\x80';
  EXPECT_EQ(VerifyNote(Note({future}), keys_, 1).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(CheckpointNoteTest, DuplicateSignerIsCountedOnce) {
  const std::string note = Note({Cosig(0, 1), Cosig(0, 2), Cosig(0, 1), Cosig(1)});
  EXPECT_EQ(VerifyNote(note, keys_, 3), Denied("2 valid cosignatures of 3 required"));
  const VerifiedCheckpoint v = OpenCheckpointNote(note, keys_, 2).value();
  ASSERT_EQ(v.signers.size(), 2u);
  EXPECT_EQ(v.signers[0].timestamp_s, 1u);  // the first valid line of a key is reported

  // One public key under two names is still one signer.
  std::vector<NoteVerifierKey> keys = {
      keys_[0], {"alias", keys_[0].public_key, NoteSignatureType::kCosignatureV1}};
  const NoteSignature as_alias = CosignCheckpoint(body_, "alias", *signers_[0], 9).value();
  EXPECT_EQ(VerifyNote(Note({Cosig(0), as_alias}), keys, 2),
            Denied("1 valid cosignatures of 2 required"));
}

TEST_F(CheckpointNoteTest, NonValidatorKeysAreIgnored) {
  const auto outsider = SignerFromByte('Z');
  const NoteSignature stranger = CosignCheckpoint(body_, "stranger", *outsider, 1).value();
  // Same name as a validator, different key: the key ID differs, so it is not that validator's.
  const NoteSignature impostor = CosignCheckpoint(body_, "v0", *outsider, 1).value();
  // A type 0x01 signature by a validator's key has another key ID than its cosigning key.
  const NoteSignature plain = SignCheckpoint(body_, "v1", *signers_[1]).value();
  EXPECT_EQ(VerifyNote(Note({stranger, impostor, plain}), keys_, 1),
            Denied("0 valid cosignatures of 1 required"));
  EXPECT_EQ(VerifyNote(Note({stranger, impostor, plain, Cosig(3)}), keys_, 2),
            Denied("1 valid cosignatures of 2 required"));

  // Garbage from an unknown key is ignored, not an error.
  NoteSignature garbage = impostor;
  garbage.signature = std::string(72, '\0');
  EXPECT_TRUE(VerifyNote(Note({garbage, Cosig(3)}), keys_, 1).ok());
}

TEST_F(CheckpointNoteTest, RequiredZeroStillNeedsOneSignature) {
  const auto outsider = SignerFromByte('Z');
  const std::string note = Note({CosignCheckpoint(body_, "x", *outsider, 1).value()});
  EXPECT_EQ(VerifyNote(note, keys_, 0), Denied("0 valid cosignatures of 1 required"));
  EXPECT_TRUE(VerifyNote(Note({Cosig(2)}), keys_, 0).ok());
}

TEST_F(CheckpointNoteTest, BadVerifierKeysAreRejected) {
  const std::string note = Note({Cosig(0)});
  EXPECT_EQ(VerifyNote(note, {keys_[0], keys_[0]}, 1),
            Bad("ambiguous verifier key " + Label(keys_[0])));
  NoteVerifierKey short_key = keys_[0];
  short_key.public_key.pop_back();
  EXPECT_EQ(VerifyNote(note, {short_key}, 1),
            Bad("verifier key v0 has a 31-byte public key, not 32"));
  NoteVerifierKey bad_name = keys_[0];
  bad_name.name = "a+b";
  EXPECT_EQ(VerifyNote(note, {bad_name}, 1),
            Bad("key name \"a+b\" has a space, '+' or control character"));
  NoteVerifierKey bad_type = keys_[0];
  bad_type.type = static_cast<NoteSignatureType>(0x02);
  EXPECT_EQ(VerifyNote(note, {bad_type}, 1),
            Bad("verifier key v0 has unsupported signature type 2"));
}

TEST_F(CheckpointNoteTest, VerifyNoteSignatureChecksNameAndKeyId) {
  const NoteSignature sig = Cosig(0);
  EXPECT_TRUE(VerifyNoteSignature(body_, sig, keys_[0]).ok());
  const absl::Status wrong = VerifyNoteSignature(body_, sig, keys_[1]);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.message().substr(0, 30), "checkpoint note: signature by ");
}

TEST_F(CheckpointNoteTest, NoteWhoseBodyIsNotACheckpointIsRejected) {
  const std::string note = "hello\n\n" + FormatSignatureLine(Cosig(0)).value();
  EXPECT_EQ(VerifyNote(note, keys_, 1),
            Bad("body has 1 lines, needs origin, tree size and root hash"));
}

// ---- Public test vectors ----

// golang.org/x/mod/sumdb/note, note_test.go: key "PeterNeumann" (key ID c74f20a3, type 0x01),
// whose private key encodes seed 810a14...3173. Ed25519 is deterministic, so signing the same text
// must give the same signature line byte for byte.
TEST(NoteVectorTest, GoSumdbNotePeterNeumann) {
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  const std::string peter_line =
      "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
      "qfqdngotpRZb6KE6RyyBwJnAM=\n";
  const std::string enoch_line =
      "\xE2\x80\x94 EnochRoot "
      "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
      "GwnWLox33WWd1RvMc+QQ=\n";
  const std::string seed =
      Unhex("810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173");
  const std::string public_key =
      Unhex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6");
  const std::string enoch_key =
      Unhex("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29");

  EXPECT_EQ(NoteKeyId("PeterNeumann", NoteSignatureType::kEd25519, public_key), 0xc74f20a3u);
  EXPECT_EQ(NoteKeyId("EnochRoot", NoteSignatureType::kEd25519, enoch_key), 0xaf0cfe78u);

  const SignedNote note = ParseNote(text + "\n" + peter_line + enoch_line).value();
  EXPECT_EQ(note.body, text);
  ASSERT_EQ(note.signatures.size(), 2u);
  EXPECT_EQ(note.signatures[0].key_name, "PeterNeumann");
  EXPECT_EQ(note.signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(note.signatures[1].key_id, 0xaf0cfe78u);

  const NoteVerifierKey peter{"PeterNeumann", public_key, NoteSignatureType::kEd25519};
  const NoteVerifierKey enoch{"EnochRoot", enoch_key, NoteSignatureType::kEd25519};
  EXPECT_TRUE(VerifyNoteSignature(text, note.signatures[0], peter).ok());
  EXPECT_TRUE(VerifyNoteSignature(text, note.signatures[1], enoch).ok());

  const auto signer = Ed25519Signer::FromSeed(seed).value();
  EXPECT_EQ(signer->public_key(), public_key);
  const NoteSignature ours{"PeterNeumann", 0xc74f20a3u, signer->Sign(text)};
  EXPECT_EQ(FormatSignatureLine(ours).value(), peter_line);
  EXPECT_EQ(FormatNote(text, {ours}).value(), text + "\n" + peter_line);
}

// c2sp.org/tlog-cosignature key IDs use type byte 0x04: the witness vkey
// "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2" (transparency-dev/formats
// note_cosigv1_test.go) decodes to 0x04 || public key with key ID da77ade7.
TEST(NoteVectorTest, CosignatureV1KeyIdAndTimestamp) {
  const std::string vkey = Base64Decode("BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2").value();
  ASSERT_EQ(vkey.size(), 33u);
  ASSERT_EQ(vkey[0], '\x04');
  EXPECT_EQ(NoteKeyId("remora.n621.de", NoteSignatureType::kCosignatureV1, vkey.substr(1)),
            0xda77ade7u);

  // Same source: a cosignature whose timestamp is 1727964367.
  const NoteSignature sig =
      ParseSignatureLine(
          "\xE2\x80\x94 w "
          "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gx"
          "EHWWOworDcFiEBYJXORmnFBOBA==\n")
          .value();
  EXPECT_EQ(sig.key_id, 0x646846b9u);
  EXPECT_EQ(CosignatureTimestamp(sig).value(), 1727964367u);
}

}  // namespace
}  // namespace coal::crypto

// Ed25519 (RFC 8032 §7.1 vectors), DSSE type binding and key files.
#include "crypto/ed25519.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crypto/bytes.h"
#include "crypto/dsse.h"
#include "crypto/key_file.h"
#include "crypto/sha256.h"

namespace coal::crypto {
namespace {

std::string Unhex(std::string_view h) { return FromHex(h).value(); }

struct Rfc8032Vector {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1, 2, 3 and SHA(abc).
const Rfc8032Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
     "d25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
     "387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659"
     "4a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
     "454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e030"
     "3dca179c138ac17ad9bef1177331a704"},
};

TEST(Ed25519Test, Rfc8032VectorsSignAndVerify) {
  for (const auto& v : kVectors) {
    auto signer = Ed25519Signer::FromSeed(Unhex(v.secret));
    ASSERT_TRUE(signer.ok());
    EXPECT_EQ(ToHex((*signer)->public_key()), v.public_key);
    const std::string msg = Unhex(v.message);
    EXPECT_EQ(ToHex((*signer)->Sign(msg)), v.signature);
    EXPECT_TRUE(DefaultVerifier().Verify(Unhex(v.public_key), msg, Unhex(v.signature)));
    std::string bad = Unhex(v.signature);
    bad[5] ^= 1;
    EXPECT_FALSE(DefaultVerifier().Verify(Unhex(v.public_key), msg, bad));
  }
}

TEST(Ed25519Test, WrongLengthsAreRejectedNotCrashing) {
  auto signer = Ed25519Signer::Generate();
  const std::string sig = signer->Sign("m");
  EXPECT_FALSE(DefaultVerifier().Verify(signer->public_key().substr(0, 31), "m", sig));
  EXPECT_FALSE(DefaultVerifier().Verify(signer->public_key(), "m", sig.substr(0, 63)));
  EXPECT_FALSE(DefaultVerifier().Verify("", "m", ""));
  auto bad_seed = Ed25519Signer::FromSeed("short");
  EXPECT_EQ(bad_seed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, KeyIdIsSha256Prefix) {
  // SHA-256 of RFC 8032 TEST 1 public key, first 8 bytes.
  const std::string pk = Unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(KeyId(pk).size(), kKeyIdBytes);
  EXPECT_EQ(KeyId(pk), HashBytes(Sha256(pk)).substr(0, 8));
}

TEST(DsseTest, PaeMatchesSpecExample) {
  // DSSE protocol.md example: PAE("http://example.com/HelloWorld", "hello world").
  EXPECT_EQ(Pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(DsseTest, SignatureForOneTypeFailsForAnother) {
  auto signer = Ed25519Signer::Generate();
  auto env = MakeEnvelope(*signer, "coalition.v1.ThresholdProposal", "payload-bytes");
  EXPECT_TRUE(VerifyEnvelopeSignature(env, signer->public_key()).ok());
  env.set_payload_type("coalition.v1.ThresholdApproval");
  const auto st = VerifyEnvelopeSignature(env, signer->public_key());
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "envelope signature invalid for its payload_type");
}

TEST(DsseTest, MissingSignerIsUnauthenticated) {
  auto a = Ed25519Signer::Generate();
  auto b = Ed25519Signer::Generate();
  auto env = MakeEnvelope(*a, "t", "p");
  const auto st = VerifyEnvelopeSignature(env, b->public_key());
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "envelope has no signature by the author's key");
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("coal_keyfile_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const char* name) { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(KeyFileTest, RoundTripWithMode0600) {
  auto signer = Ed25519Signer::Generate();
  ASSERT_TRUE(WriteKeyFile(Path("k.key"), *signer).ok());
  struct stat st {};
  ASSERT_EQ(::stat(Path("k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadKeyFile(Path("k.key"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->public_key(), signer->public_key());
}

TEST_F(KeyFileTest, GroupReadableIsRefused) {
  auto signer = Ed25519Signer::Generate();
  ASSERT_TRUE(WriteKeyFile(Path("k.key"), *signer).ok());
  ::chmod(Path("k.key").c_str(), 0640);
  EXPECT_EQ(LoadKeyFile(Path("k.key")).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(KeyFileTest, CorruptedFilesGiveSpecificErrors) {
  auto write = [&](const char* name, const std::string& body) {
    std::ofstream(Path(name)) << body;
    ::chmod(Path(name).c_str(), 0600);
  };
  write("noheader.key", "garbage\n");
  write("badb64.key", "coalition-ed25519-private-key v1\n!!!!\n");
  write("short.key", "coalition-ed25519-private-key v1\nAAAA\n");
  auto st = LoadKeyFile(Path("noheader.key")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("missing header"), std::string::npos);
  st = LoadKeyFile(Path("badb64.key")).status();
  EXPECT_NE(st.message().find("not base64"), std::string::npos);
  st = LoadKeyFile(Path("short.key")).status();
  EXPECT_NE(st.message().find("seed must be 32 bytes, got 3"), std::string::npos);
  EXPECT_EQ(LoadKeyFile(Path("missing.key")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KeyFileTest, PublicKeyWrongLength) {
  EXPECT_EQ(ParsePublicKey(Base64Encode(std::string(31, 'a'))).status().message(),
            "public key must be 32 bytes, got 31");
}

}  // namespace
}  // namespace coal::crypto

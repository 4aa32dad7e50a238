// Feeds random consensus messages to a replica (validator 0 of 4, Ed25519 keys from fixed seeds):
// bad input must never crash the core. The input is a sequence of records:
//   [op:1][from:1][len:2][bytes:len]
// op % 5 == 0: parse bytes as a ConsensusMessage and deliver it; 1: the same, after mutating a
// valid signed proposal's serialization with the bytes; 2: fire the timer; 3: answer a payload;
// 4: the transport's hint that the link to `from` broke (self and unknown senders included).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consensus/core.h"
#include "consensus/encoding.h"
#include "crypto/ed25519.h"

namespace {

using namespace coal::consensus;  // NOLINT: fuzz harness

struct Fixture {
  std::vector<std::unique_ptr<coal::crypto::Signer>> signers;
  std::vector<std::string> public_keys;
  std::string valid_proposal;
  Fixture() {
    coal::crypto::InitSodium();
    for (char i = 0; i < 4; ++i) {
      auto s = coal::crypto::Ed25519Signer::FromSeed(std::string(32, static_cast<char>('a' + i)));
      if (!s.ok()) __builtin_trap();
      public_keys.push_back((*s)->public_key());
      signers.push_back(std::move(*s));
    }
    coalition::v1::ConsensusMessage m;
    auto* b = m.mutable_proposal();
    b->set_round(1);
    b->set_height(1);
    *b->mutable_qc() = GenesisQuorumCert("fuzz");
    b->set_parent_id(b->qc().block_id());
    b->set_author(1);
    b->set_time_ms(10);
    b->set_payload("payload");
    b->set_id(ComputeBlockId("fuzz", *b));
    b->set_sig(signers[1]->Sign(ProposalSignBytes("fuzz", b->id())));
    valid_proposal = m.SerializeAsString();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fx = new Fixture();
  Config c;
  c.self = 0;
  c.validator_keys = fx->public_keys;
  c.signer = fx->signers[0].get();
  c.verifier = &coal::crypto::DefaultVerifier();
  c.chain_id = "fuzz";
  c.max_payload_bytes = 1024;
  auto core = Core::Create(c, Recovery{});
  if (!core.ok()) __builtin_trap();
  int64_t now = 0;
  (void)(*core)->Start(now);
  size_t pos = 0;
  while (pos + 4 <= size) {
    const uint8_t op = data[pos];
    const uint32_t from = data[pos + 1] % 5;  // 4 = an unknown sender
    const size_t len = std::min<size_t>((data[pos + 2] << 8) | data[pos + 3], size - pos - 4);
    const std::string bytes(reinterpret_cast<const char*>(data + pos + 4), len);
    pos += 4 + len;
    now += 7;
    coalition::v1::ConsensusMessage m;
    switch (op % 5) {
      case 0:
        if (m.ParseFromString(bytes)) (void)(*core)->OnMessage(from, m, now);
        break;
      case 1: {
        std::string s = fx->valid_proposal;
        for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
          s[static_cast<uint8_t>(bytes[i]) % s.size()] ^= bytes[i + 1];
        }
        if (m.ParseFromString(s)) (void)(*core)->OnMessage(from, m, now);
        break;
      }
      case 2:
        now += 5000;
        (void)(*core)->OnTimer(now);
        break;
      case 3:
        (void)(*core)->OnPayload((*core)->round(), bytes, now);
        break;
      default:
        (void)(*core)->OnPeerUnreachable(from, now);
        break;
    }
  }
  return 0;
}

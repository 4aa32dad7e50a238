// Fuzzes the checkpoint note decoder (crypto/checkpoint_note.h), which reads untrusted bytes from
// peers and clients. Three modes, chosen by the first byte:
//   raw:    the rest of the input is a note: parse, format back, verify against fixed keys;
//   tokens: as raw, after expanding bytes 0x00-0x07 into note pieces (em dash, a valid body, valid
//           signature lines, ...) so that the fuzzer reaches verification without a corpus;
//   signed: the input shapes a checkpoint that fixed validators cosign, then one byte of the note
//           body is flipped: the intact note must verify and the flipped one must not.
// Invariants (abort on violation): an accepted note formats back to the same bytes; an accepted
// body formats back to the same body; a verified note has the required number of signers.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/checkpoint_note.h"
#include "crypto/ed25519.h"
#include "crypto/status_macros.h"

namespace {

using coal::crypto::NoteSignatureType;
using coal::crypto::NoteVerifierKey;

constexpr size_t kValidators = 3;
constexpr size_t kRequired = 2;

struct Fixture {
  std::vector<std::unique_ptr<coal::crypto::Ed25519Signer>> signers;
  std::vector<NoteVerifierKey> keys;

  Fixture() {
    coal::crypto::InitSodium();
    for (size_t i = 0; i < kValidators; ++i) {
      signers.push_back(
          coal::crypto::Ed25519Signer::FromSeed(std::string(32, static_cast<char>('A' + i)))
              .value());
      keys.push_back({"validator-" + std::to_string(i), signers.back()->public_key(),
                      NoteSignatureType::kCosignatureV1});
    }
    // A log key of the other signature type, to exercise both verification paths.
    keys.push_back({"log", signers[0]->public_key(), NoteSignatureType::kEd25519});

    const std::string body =
        coal::crypto::FormatCheckpoint({"coalition-fuzz", 7, coal::Hash{}, {}}).value();
    auto line = [](const coal::crypto::NoteSignature& sig) {
      return coal::crypto::FormatSignatureLine(sig).value();
    };
    tokens = {
        "\xE2\x80\x94 ",
        body,
        line(coal::crypto::CosignCheckpoint(body, keys[0].name, *signers[0], 1).value()),
        line(coal::crypto::CosignCheckpoint(body, keys[1].name, *signers[1], 2).value()),
        line(coal::crypto::SignCheckpoint(body, "log", *signers[0]).value()),
        "\n",
        coal::Base64Encode(std::string(32, '\0')),
        keys[2].name + " ",
    };
  }

  std::vector<std::string> tokens;  // byte i < tokens.size() expands to tokens[i]
};

const Fixture& GetFixture() {
  static const Fixture* const fixture = new Fixture();
  return *fixture;
}

void FuzzRaw(std::string_view input) {
  const Fixture& f = GetFixture();
  absl::StatusOr<coal::crypto::SignedNote> note = coal::crypto::ParseNote(input);
  if (note.ok()) {
    absl::StatusOr<std::string> again = coal::crypto::FormatNote(note->body, note->signatures);
    COAL_CHECK(again.ok() && *again == input);
    for (const coal::crypto::NoteSignature& sig : note->signatures) {
      (void)coal::crypto::CosignatureTimestamp(sig);
    }
  }
  absl::StatusOr<coal::crypto::Checkpoint> checkpoint = coal::crypto::ParseCheckpoint(input);
  if (checkpoint.ok()) {
    absl::StatusOr<std::string> again = coal::crypto::FormatCheckpoint(*checkpoint);
    COAL_CHECK(again.ok() && *again == input);
  }
  (void)coal::crypto::ParseSignatureLine(input);
  absl::StatusOr<coal::crypto::VerifiedCheckpoint> verified =
      coal::crypto::OpenCheckpointNote(input, f.keys, kRequired);
  if (verified.ok()) {
    COAL_CHECK(note.ok() && !checkpoint.ok());  // a note has a blank line; a body may not
    COAL_CHECK(verified->signers.size() >= kRequired);
  }
}

void FuzzSigned(std::string_view input) {
  const Fixture& f = GetFixture();
  // Shape: [flip position: 2 bytes][flip mask: 1 byte][size: 8 bytes][origin and extensions...]
  if (input.size() < 11) return;
  const size_t flip_at = (static_cast<uint8_t>(input[0]) << 8) | static_cast<uint8_t>(input[1]);
  const auto mask = static_cast<char>(input[2] == 0 ? 1 : input[2]);
  coal::crypto::Checkpoint checkpoint;
  for (int i = 3; i < 11; ++i) {
    checkpoint.size = (checkpoint.size << 8) | static_cast<uint8_t>(input[i]);
  }
  std::string_view rest = input.substr(11);
  const size_t newline = rest.find('\n');
  checkpoint.origin = std::string(rest.substr(0, newline));
  if (newline != std::string_view::npos)
    checkpoint.extensions.emplace_back(rest.substr(newline + 1));
  checkpoint.root_hash.fill(static_cast<uint8_t>(checkpoint.size));

  absl::StatusOr<std::string> body = coal::crypto::FormatCheckpoint(checkpoint);
  if (!body.ok()) return;  // not every origin is acceptable; the parser is fuzzed in raw mode
  std::vector<coal::crypto::NoteSignature> sigs;
  for (size_t i = 0; i < kValidators; ++i) {
    sigs.push_back(
        coal::crypto::CosignCheckpoint(*body, f.keys[i].name, *f.signers[i], checkpoint.size >> 1)
            .value());
  }
  sigs.push_back(coal::crypto::SignCheckpoint(*body, "log", *f.signers[0]).value());
  absl::StatusOr<std::string> note = coal::crypto::FormatNote(*body, sigs);
  if (!note.ok()) return;  // e.g. a body line near the length limit plus signature lines
  absl::StatusOr<coal::crypto::VerifiedCheckpoint> verified =
      coal::crypto::OpenCheckpointNote(*note, f.keys, kValidators);
  COAL_CHECK(verified.ok());
  COAL_CHECK(verified->checkpoint == checkpoint);
  COAL_CHECK(verified->signers.size() == kValidators);  // "log" shares validator-0's public key

  std::string flipped = *note;
  flipped[flip_at % body->size()] ^= mask;
  COAL_CHECK(!coal::crypto::VerifyNote(flipped, f.keys, 1).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      FuzzSigned(input);
      break;
    case 1: {
      const std::vector<std::string>& tokens = GetFixture().tokens;
      std::string expanded;
      for (char c : input) {
        const auto b = static_cast<uint8_t>(c);
        if (b < tokens.size()) {
          expanded += tokens[b];
        } else {
          expanded += c;
        }
      }
      FuzzRaw(expanded);
      break;
    }
    default:
      FuzzRaw(input);
  }
  return 0;
}

// Checkpoint notes (DESIGN §7): the C2SP tlog-checkpoint body (origin, tree size, base64 root
// hash, optional extension lines), framed as a C2SP signed note:
//
//   <body: lines ending in '\n'>
//   <blank line>
//   — <key name> <base64(4-byte big-endian key ID || signature)>\n   (one or more; U+2014 em dash)
//
// Two signature types (c2sp.org/signed-note "Signature types"):
//   0x01 Ed25519 over the body (a log's own signature);
//   0x04 c2sp.org/tlog-cosignature v1: Ed25519 over "cosignature/v1\ntime <t>\n" || body, and the
//        signature bytes are the 8-byte big-endian timestamp t || the 64-byte Ed25519 signature.
// Key ID = first 4 bytes of SHA-256(key name || 0x0A || type byte || 32-byte public key).
//
// Parsing is strict and bounded: a note is at most kNoteBytesMax bytes, every line at most
// kNoteLineBytesMax bytes, at most kNoteSignaturesMax signature lines; it must be valid UTF-8 with
// no control characters but '\n', end in '\n', and use canonical base64. Every parse error is
// INVALID_ARGUMENT with a message starting "checkpoint note: ".
//
// Verification follows the signed-note rules: signatures whose (key name, key ID) match no known
// key are ignored; a known key's signature that fails to verify rejects the whole note
// (UNAUTHENTICATED); a public key counts once however many lines, names or types it signed under. A
// quorum checkpoint is one with `required` distinct known keys (validators) whose signatures
// verify.
//
// Thread safety: pure functions; a Signer/Verifier is used only through its const interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace coal::crypto {

inline constexpr size_t kNoteBytesMax = 1 << 20;   // 1 MiB
inline constexpr size_t kNoteLineBytesMax = 1024;  // excluding the '\n'
inline constexpr size_t kNoteSignaturesMax = 100;
inline constexpr uint64_t kCosignatureTimestampMax = (1ull << 63) - 1;

// Signature type identifier bytes from c2sp.org/signed-note.
enum class NoteSignatureType : uint8_t {
  kEd25519 = 0x01,
  kCosignatureV1 = 0x04,
};

// The parsed tlog-checkpoint body.
struct Checkpoint {
  std::string origin;                   // the log's identity: here the chain id
  uint64_t size = 0;                    // number of leaves
  Hash root_hash{};                     // RFC 6962 root at `size`
  std::vector<std::string> extensions;  // opaque, non-empty lines; normally none

  bool operator==(const Checkpoint&) const = default;
};

// "<origin>\n<size>\n<base64 root>\n[<extension>\n...]". INVALID_ARGUMENT when the origin or an
// extension line is empty, holds a newline or control character, or is longer than a line may be.
absl::StatusOr<std::string> FormatCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view body);

// A key that may sign notes: a validator's cosigning key, or a log key (type kEd25519).
struct NoteVerifierKey {
  std::string name;        // non-empty, no Unicode spaces, no '+'
  std::string public_key;  // 32-byte Ed25519 public key
  NoteSignatureType type = NoteSignatureType::kCosignatureV1;
};

uint32_t NoteKeyId(std::string_view key_name, NoteSignatureType type, std::string_view public_key);

// One signature line, decoded.
struct NoteSignature {
  std::string key_name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key ID

  bool operator==(const NoteSignature&) const = default;
};

// "— <name> <base64(key ID || signature)>\n"; INVALID_ARGUMENT for an invalid key name.
absl::StatusOr<std::string> FormatSignatureLine(const NoteSignature& signature);
// Parses one signature line including its final '\n'.
absl::StatusOr<NoteSignature> ParseSignatureLine(std::string_view line);

struct SignedNote {
  std::string body;  // the note text, including its final '\n'
  std::vector<NoteSignature> signatures;
};

// Splits a note at its last blank line and decodes the signature lines (no verification).
absl::StatusOr<SignedNote> ParseNote(std::string_view note);
// The inverse of ParseNote; INVALID_ARGUMENT unless the result parses back to the same note.
absl::StatusOr<std::string> FormatNote(std::string_view body,
                                       const std::vector<NoteSignature>& signatures);
// Adds `signature` to `note`, replacing any signature with the same key name and key ID.
absl::StatusOr<std::string> AddNoteSignature(std::string_view note, const NoteSignature& signature);

// Signs a checkpoint body (type 0x01, a log's signature). INVALID_ARGUMENT when `body` is not a
// valid checkpoint body or `key_name` not a valid key name.
absl::StatusOr<NoteSignature> SignCheckpoint(std::string_view body, std::string_view key_name,
                                             const Signer& signer);
// Cosigns a checkpoint body (type 0x04, tlog-cosignature v1) at `timestamp_s` (POSIX seconds,
// at most kCosignatureTimestampMax).
absl::StatusOr<NoteSignature> CosignCheckpoint(std::string_view body, std::string_view key_name,
                                               const Signer& signer, uint64_t timestamp_s);
// The message a cosignature v1 signs: "cosignature/v1\ntime <timestamp_s>\n" || body.
std::string CosignatureMessage(std::string_view body, uint64_t timestamp_s);
// The timestamp of a cosignature v1; INVALID_ARGUMENT unless it is 8 + 64 bytes.
absl::StatusOr<uint64_t> CosignatureTimestamp(const NoteSignature& signature);

// Verifies one signature over `body` by `key`: UNAUTHENTICATED when the name or key ID does not
// match the key or the signature is invalid; INVALID_ARGUMENT for a malformed key.
absl::Status VerifyNoteSignature(std::string_view body, const NoteSignature& signature,
                                 const NoteVerifierKey& key,
                                 const Verifier& verifier = DefaultVerifier());

// A key whose signature on the note verified.
struct NoteSigner {
  std::string key_name;
  uint64_t timestamp_s = 0;  // the cosignature's time; 0 for a type 0x01 signature
};

struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  std::string body;
  std::vector<NoteSigner> signers;  // distinct keys, in note order
};

// Parses `note` and its checkpoint body and verifies it against `keys`. OK only when at least
// max(required, 1) distinct keys have valid signatures; else UNAUTHENTICATED
// ("checkpoint note: 2 valid cosignatures of 3 required"). INVALID_ARGUMENT for a malformed note,
// a malformed key in `keys`, or two keys sharing a name and key ID.
absl::StatusOr<VerifiedCheckpoint> OpenCheckpointNote(std::string_view note,
                                                      const std::vector<NoteVerifierKey>& keys,
                                                      size_t required,
                                                      const Verifier& verifier = DefaultVerifier());
absl::Status VerifyNote(std::string_view note, const std::vector<NoteVerifierKey>& keys,
                        size_t required, const Verifier& verifier = DefaultVerifier());

}  // namespace coal::crypto

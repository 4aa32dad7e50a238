#include "crypto/checkpoint_note.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/sha256.h"
#include "crypto/status_macros.h"

namespace coal::crypto {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // U+2014, then U+0020
constexpr std::string_view kCosignatureHeader = "cosignature/v1\n";
constexpr size_t kNoteKeyIdBytes = 4;
constexpr size_t kTimestampBytes = 8;
constexpr size_t kTreeSizeDigitsMax = 20;  // UINT64_MAX has 20 digits

// Debian's Abseil has its own string_view type: convert at the boundary.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename... Args>
absl::Status Malformed(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat("checkpoint note: ", args...));
}

template <typename... Args>
absl::Status Unauthenticated(const Args&... args) {
  return absl::UnauthenticatedError(absl::StrCat("checkpoint note: ", args...));
}

std::string KeyLabel(std::string_view name, uint32_t key_id) {
  std::string id;
  AppendBigEndian32(&id, key_id);
  return absl::StrCat(Absl(name), "+", ToHex(id));
}

// Decodes the UTF-8 code point at text[*pos] and advances *pos; -1 for invalid UTF-8 (overlong
// forms, surrogates and code points above U+10FFFF included).
int32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto lead = static_cast<uint8_t>(text[*pos]);
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  // Sequence length, payload bits of the lead byte, and the smallest code point of that length.
  struct Form {
    uint8_t mask, lead, length, payload;
    uint32_t smallest;
  };
  static constexpr Form kForms[] = {
      {0xE0, 0xC0, 2, 0x1F, 0x80}, {0xF0, 0xE0, 3, 0x0F, 0x800}, {0xF8, 0xF0, 4, 0x07, 0x10000}};
  const Form* form = nullptr;
  for (const Form& f : kForms) {
    if ((lead & f.mask) == f.lead) form = &f;
  }
  if (form == nullptr) return -1;
  const size_t length = form->length;
  const uint32_t smallest = form->smallest;
  uint32_t code_point = lead & form->payload;
  if (text.size() - *pos < length) return -1;
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<uint8_t>(text[*pos + i]);
    if ((next & 0xC0) != 0x80) return -1;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < smallest || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return -1;
  }
  *pos += length;
  return static_cast<int32_t>(code_point);
}

// Unicode White_Space (what Go's unicode.IsSpace accepts), which key names must not contain.
bool IsUnicodeSpace(int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Size, UTF-8, control characters and line lengths: the checks every note and body shares.
absl::Status CheckText(std::string_view text) {
  if (text.size() > kNoteBytesMax) {
    return Malformed(text.size(), " bytes, more than ", kNoteBytesMax);
  }
  size_t pos = 0;
  size_t line = 1;
  size_t line_start = 0;
  while (pos < text.size()) {
    const size_t at = pos;
    const int32_t c = DecodeUtf8(text, &pos);
    if (c < 0) return Malformed("invalid UTF-8 at byte ", at);
    if (c != '\n' && c < 0x20) {
      return Malformed("control character 0x", ToHex(text.substr(at, 1)), " at byte ", at);
    }
    if (c == '\n' || pos == text.size()) {
      const size_t line_bytes = (c == '\n' ? at : pos) - line_start;
      if (line_bytes > kNoteLineBytesMax) {
        return Malformed("line ", line, " is ", line_bytes, " bytes, more than ",
                         kNoteLineBytesMax);
      }
      ++line;
      line_start = pos;
    }
  }
  return absl::OkStatus();
}

// `where` prefixes the message (e.g. "signature line 3: ").
absl::Status CheckKeyName(std::string_view name, const std::string& where = "") {
  if (name.empty()) return Malformed(where, "empty key name");
  size_t pos = 0;
  while (pos < name.size()) {
    const int32_t c = DecodeUtf8(name, &pos);
    if (c < 0) return Malformed(where, "key name is not valid UTF-8");
    if (c == '+' || IsUnicodeSpace(c) || c < 0x20) {
      return Malformed(where, "key name \"", Absl(name),
                       "\" has a space, '+' or control character");
    }
  }
  return absl::OkStatus();
}

// Lines of `text`, which ends in '\n', without their newlines.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    lines.push_back(text.substr(start, newline - start));
    start = newline + 1;
  }
  return lines;
}

absl::StatusOr<uint64_t> ParseTreeSize(std::string_view text) {
  const bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!digits_only || (text.size() > 1 && text[0] == '0')) {
    return Malformed("tree size \"", Absl(text), "\" is not a decimal without leading zeros");
  }
  uint64_t value = 0;
  for (char c : text) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (text.size() > kTreeSizeDigitsMax || value > (UINT64_MAX - digit) / 10) {
      return Malformed("tree size ", Absl(text), " does not fit in 64 bits");
    }
    value = value * 10 + digit;
  }
  return value;
}

// Standard base64 with padding, and canonical: re-encoding gives the same text back, so one byte
// string has exactly one accepted spelling.
absl::StatusOr<std::string> DecodeCanonicalBase64(std::string_view text) {
  absl::StatusOr<std::string> bytes = Base64Decode(text);
  if (!bytes.ok() || Base64Encode(*bytes) != text) return absl::InvalidArgumentError("base64");
  return bytes;
}

absl::StatusOr<NoteSignature> ParseSignatureLineAt(std::string_view line, size_t number) {
  const std::string where = absl::StrCat("signature line ", number, ": ");
  if (line.empty() || line.back() != '\n') return Malformed(where, "missing final newline");
  line.remove_suffix(1);
  if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace) {
    return Malformed(where, "does not start with an em dash (U+2014) and a space");
  }
  line.remove_prefix(kEmDashSpace.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return Malformed(where, "no signature after the key name");
  const std::string_view name = line.substr(0, space);
  const std::string_view encoded = line.substr(space + 1);
  RETURN_IF_ERROR(CheckKeyName(name, where));
  absl::StatusOr<std::string> bytes = DecodeCanonicalBase64(encoded);
  if (!bytes.ok()) return Malformed(where, "signature is not canonical base64");
  if (bytes->size() <= kNoteKeyIdBytes) {
    return Malformed(where, "signature has ", bytes->size(), " bytes, needs more than 4");
  }
  NoteSignature signature;
  signature.key_name = std::string(name);
  signature.key_id = ReadBigEndian32(*bytes);
  signature.signature = bytes->substr(kNoteKeyIdBytes);
  return signature;
}

absl::Status CheckVerifierKey(const NoteVerifierKey& key) {
  RETURN_IF_ERROR(CheckKeyName(key.name));
  if (key.public_key.size() != kPublicKeyBytes) {
    return Malformed("verifier key ", key.name, " has a ", key.public_key.size(),
                     "-byte public key, not 32");
  }
  if (key.type != NoteSignatureType::kEd25519 && key.type != NoteSignatureType::kCosignatureV1) {
    return Malformed("verifier key ", key.name, " has unsupported signature type ",
                     static_cast<int>(key.type));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  std::string body = absl::StrCat(checkpoint.origin, "\n", checkpoint.size, "\n",
                                  Base64Encode(AsView(checkpoint.root_hash)), "\n");
  for (const std::string& extension : checkpoint.extensions) {
    absl::StrAppend(&body, extension, "\n");
  }
  // Parsing back catches empty lines, embedded newlines, control characters and long lines.
  ASSIGN_OR_RETURN(Checkpoint parsed, ParseCheckpoint(body));
  if (parsed != checkpoint) return Malformed("origin or extension line contains a newline");
  return body;
}

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view body) {
  RETURN_IF_ERROR(CheckText(body));
  if (body.empty() || body.back() != '\n') return Malformed("body missing final newline");
  const std::vector<std::string_view> lines = SplitLines(body);
  if (lines.size() < 3) {
    return Malformed("body has ", lines.size(), " lines, needs origin, tree size and root hash");
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) return Malformed("body line ", i + 1, " is empty");
  }
  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  ASSIGN_OR_RETURN(checkpoint.size, ParseTreeSize(lines[1]));
  absl::StatusOr<std::string> root = DecodeCanonicalBase64(lines[2]);
  if (!root.ok()) return Malformed("root hash is not canonical base64");
  if (root->size() != checkpoint.root_hash.size()) {
    return Malformed("root hash is ", root->size(), " bytes, not 32");
  }
  std::copy(root->begin(), root->end(), checkpoint.root_hash.begin());
  for (size_t i = 3; i < lines.size(); ++i) checkpoint.extensions.emplace_back(lines[i]);
  return checkpoint;
}

uint32_t NoteKeyId(std::string_view key_name, NoteSignatureType type, std::string_view public_key) {
  Sha256Hasher hasher;
  const char type_byte = static_cast<char>(type);
  hasher.Update(key_name).Update("\n").Update(std::string_view(&type_byte, 1)).Update(public_key);
  return ReadBigEndian32(AsView(hasher.Finish()));
}

absl::StatusOr<std::string> FormatSignatureLine(const NoteSignature& signature) {
  RETURN_IF_ERROR(CheckKeyName(signature.key_name));
  std::string bytes;
  AppendBigEndian32(&bytes, signature.key_id);
  bytes += signature.signature;
  return absl::StrCat(Absl(kEmDashSpace), signature.key_name, " ", Base64Encode(bytes), "\n");
}

absl::StatusOr<NoteSignature> ParseSignatureLine(std::string_view line) {
  RETURN_IF_ERROR(CheckText(line));
  return ParseSignatureLineAt(line, 1);
}

absl::StatusOr<SignedNote> ParseNote(std::string_view note) {
  RETURN_IF_ERROR(CheckText(note));
  if (note.empty() || note.back() != '\n') return Malformed("missing final newline");
  // The text ends at the last blank line; everything after it is signature lines.
  const size_t blank = note.rfind("\n\n");
  if (blank == std::string_view::npos) return Malformed("no blank line before the signatures");
  SignedNote parsed;
  parsed.body = std::string(note.substr(0, blank + 1));
  const std::string_view signature_block = note.substr(blank + 2);
  if (signature_block.empty()) return Malformed("no signature lines");
  const size_t count =
      static_cast<size_t>(std::count(signature_block.begin(), signature_block.end(), '\n'));
  if (count > kNoteSignaturesMax) {
    return Malformed(count, " signature lines, more than ", kNoteSignaturesMax);
  }
  size_t start = 0;
  for (size_t number = 1; start < signature_block.size(); ++number) {
    const size_t end = signature_block.find('\n', start) + 1;
    ASSIGN_OR_RETURN(NoteSignature signature,
                     ParseSignatureLineAt(signature_block.substr(start, end - start), number));
    parsed.signatures.push_back(std::move(signature));
    start = end;
  }
  return parsed;
}

absl::StatusOr<std::string> FormatNote(std::string_view body,
                                       const std::vector<NoteSignature>& signatures) {
  std::string note = absl::StrCat(Absl(body), "\n");
  for (const NoteSignature& signature : signatures) {
    ASSIGN_OR_RETURN(const std::string line, FormatSignatureLine(signature));
    note += line;
  }
  // Parsing back is the one definition of a well-formed note (body with a final newline, 1 to 100
  // signatures, size and line limits).
  ASSIGN_OR_RETURN(SignedNote parsed, ParseNote(note));
  if (parsed.body != body) return Malformed("body must end in a newline");
  return note;
}

absl::StatusOr<std::string> AddNoteSignature(std::string_view note,
                                             const NoteSignature& signature) {
  ASSIGN_OR_RETURN(SignedNote parsed, ParseNote(note));
  std::erase_if(parsed.signatures, [&signature](const NoteSignature& s) {
    return s.key_name == signature.key_name && s.key_id == signature.key_id;
  });
  parsed.signatures.push_back(signature);
  return FormatNote(parsed.body, parsed.signatures);
}

absl::StatusOr<NoteSignature> SignCheckpoint(std::string_view body, std::string_view key_name,
                                             const Signer& signer) {
  RETURN_IF_ERROR(ParseCheckpoint(body).status());
  RETURN_IF_ERROR(CheckKeyName(key_name));
  NoteSignature signature;
  signature.key_name = std::string(key_name);
  signature.key_id = NoteKeyId(key_name, NoteSignatureType::kEd25519, signer.public_key());
  signature.signature = signer.Sign(body);
  return signature;
}

absl::StatusOr<NoteSignature> CosignCheckpoint(std::string_view body, std::string_view key_name,
                                               const Signer& signer, uint64_t timestamp_s) {
  RETURN_IF_ERROR(ParseCheckpoint(body).status());
  RETURN_IF_ERROR(CheckKeyName(key_name));
  if (timestamp_s > kCosignatureTimestampMax) {
    return Malformed("cosignature timestamp ", timestamp_s, " exceeds 2^63-1");
  }
  NoteSignature signature;
  signature.key_name = std::string(key_name);
  signature.key_id = NoteKeyId(key_name, NoteSignatureType::kCosignatureV1, signer.public_key());
  AppendBigEndian64(&signature.signature, timestamp_s);
  signature.signature += signer.Sign(CosignatureMessage(body, timestamp_s));
  return signature;
}

std::string CosignatureMessage(std::string_view body, uint64_t timestamp_s) {
  return absl::StrCat(Absl(kCosignatureHeader), "time ", timestamp_s, "\n", Absl(body));
}

absl::StatusOr<uint64_t> CosignatureTimestamp(const NoteSignature& signature) {
  if (signature.signature.size() != kTimestampBytes + kSignatureBytes) {
    return Malformed("cosignature by ", signature.key_name, " is ", signature.signature.size(),
                     " bytes, not 72");
  }
  return ReadBigEndian64(signature.signature);
}

absl::Status VerifyNoteSignature(std::string_view body, const NoteSignature& signature,
                                 const NoteVerifierKey& key, const Verifier& verifier) {
  RETURN_IF_ERROR(CheckVerifierKey(key));
  const uint32_t key_id = NoteKeyId(key.name, key.type, key.public_key);
  const std::string label = KeyLabel(signature.key_name, signature.key_id);
  if (signature.key_name != key.name || signature.key_id != key_id) {
    return Unauthenticated("signature by ", label, " is not by key ", KeyLabel(key.name, key_id));
  }
  bool valid = false;
  if (key.type == NoteSignatureType::kEd25519) {
    valid = verifier.Verify(key.public_key, body, signature.signature);
  } else {
    const absl::StatusOr<uint64_t> timestamp = CosignatureTimestamp(signature);
    valid = timestamp.ok() && *timestamp <= kCosignatureTimestampMax &&
            verifier.Verify(key.public_key, CosignatureMessage(body, *timestamp),
                            std::string_view(signature.signature).substr(kTimestampBytes));
  }
  if (!valid) return Unauthenticated("invalid signature by ", label);
  return absl::OkStatus();
}

absl::StatusOr<VerifiedCheckpoint> OpenCheckpointNote(std::string_view note,
                                                      const std::vector<NoteVerifierKey>& keys,
                                                      size_t required, const Verifier& verifier) {
  // Keys are configuration: check them before looking at the (untrusted) note.
  std::vector<uint32_t> key_ids;
  key_ids.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    RETURN_IF_ERROR(CheckVerifierKey(keys[i]));
    key_ids.push_back(NoteKeyId(keys[i].name, keys[i].type, keys[i].public_key));
    for (size_t j = 0; j < i; ++j) {
      if (keys[j].name == keys[i].name && key_ids[j] == key_ids[i]) {
        return Malformed("ambiguous verifier key ", KeyLabel(keys[i].name, key_ids[i]));
      }
    }
  }
  ASSIGN_OR_RETURN(SignedNote parsed, ParseNote(note));
  VerifiedCheckpoint result;
  ASSIGN_OR_RETURN(result.checkpoint, ParseCheckpoint(parsed.body));

  // A public key counts once, however many lines (or names, or types) it signed under.
  std::set<std::string> counted_public_keys;
  for (const NoteSignature& signature : parsed.signatures) {
    size_t k = 0;
    while (k < keys.size() &&
           !(keys[k].name == signature.key_name && key_ids[k] == signature.key_id)) {
      ++k;
    }
    if (k == keys.size()) continue;  // unknown key: ignored, as the spec requires
    RETURN_IF_ERROR(VerifyNoteSignature(parsed.body, signature, keys[k], verifier));
    if (!counted_public_keys.insert(keys[k].public_key).second) continue;
    NoteSigner signer{signature.key_name, 0};
    if (keys[k].type == NoteSignatureType::kCosignatureV1) {
      signer.timestamp_s = CosignatureTimestamp(signature).value();  // verified: 72 bytes
    }
    result.signers.push_back(std::move(signer));
  }
  const size_t needed = std::max<size_t>(required, 1);
  if (result.signers.size() < needed) {
    return Unauthenticated(result.signers.size(), " valid cosignatures of ", needed, " required");
  }
  result.body = std::move(parsed.body);
  return result;
}

absl::Status VerifyNote(std::string_view note, const std::vector<NoteVerifierKey>& keys,
                        size_t required, const Verifier& verifier) {
  return OpenCheckpointNote(note, keys, required, verifier).status();
}

}  // namespace coal::crypto

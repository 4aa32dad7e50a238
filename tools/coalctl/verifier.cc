#include "tools/coalctl/verifier.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "coalition/v1/ledger.pb.h"
#include "crypto/dsse.h"
#include "crypto/merkle.h"
#include "crypto/status_macros.h"
#include "node/genesis.h"

namespace coal::tools {
namespace {

using nlohmann::json;

std::string Short(const Hash& h) { return ToHex(h).substr(0, 16); }

// ---- JSON field readers: every error names the field path. ----

absl::StatusOr<uint64_t> GetU64(const json& j, const std::string& key, const std::string& path) {
  if (!j.contains(key)) return absl::InvalidArgumentError(path + "." + key + ": missing");
  const json& v = j.at(key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return v.get<uint64_t>();
  if (v.is_string()) {  // proto3 JSON prints uint64 as a string
    const std::string s = v.get<std::string>();
    if (!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos) {
      try {
        return static_cast<uint64_t>(std::stoull(s));
      } catch (const std::exception&) {
      }
    }
  }
  return absl::InvalidArgumentError(path + "." + key + ": not an unsigned integer");
}

absl::StatusOr<std::string> GetString(const json& j, const std::string& key,
                                      const std::string& path) {
  if (!j.contains(key) || !j.at(key).is_string()) {
    return absl::InvalidArgumentError(path + "." + key + ": missing or not a string");
  }
  return j.at(key).get<std::string>();
}

absl::StatusOr<Hash> HashFromHexField(const json& v, const std::string& path) {
  if (!v.is_string()) return absl::InvalidArgumentError(path + ": not a hex string");
  auto bytes = FromHex(v.get<std::string>());
  if (!bytes.ok() || bytes->size() != 32) {
    return absl::InvalidArgumentError(path + ": not 32 hex-encoded bytes");
  }
  return HashFromBytes(*bytes);
}

absl::StatusOr<Hash> GetHash(const json& j, const std::string& key, const std::string& path) {
  if (!j.contains(key)) return absl::InvalidArgumentError(path + "." + key + ": missing");
  return HashFromHexField(j.at(key), path + "." + key);
}

absl::StatusOr<std::optional<Hash>> GetOptionalHash(const json& j, const std::string& key,
                                                    const std::string& path) {
  if (!j.contains(key)) return std::optional<Hash>();
  ASSIGN_OR_RETURN(Hash h, HashFromHexField(j.at(key), path + "." + key));
  return std::optional<Hash>(h);
}

absl::StatusOr<std::vector<Hash>> GetHashList(const json& j, const std::string& key,
                                              const std::string& path) {
  if (!j.contains(key) || !j.at(key).is_array()) {
    return absl::InvalidArgumentError(path + "." + key + ": missing or not a list");
  }
  const json& arr = j.at(key);
  if (arr.size() > kProofHashesMax) {
    return absl::InvalidArgumentError(path + "." + key + ": more than " +
                                      std::to_string(kProofHashesMax) + " hashes");
  }
  std::vector<Hash> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    ASSIGN_OR_RETURN(Hash h,
                     HashFromHexField(arr[i], path + "." + key + "[" + std::to_string(i) + "]"));
    out.push_back(h);
  }
  return out;
}

absl::StatusOr<CheckpointAnswer> ParseCheckpointJson(const json& j, const std::string& path) {
  if (!j.is_object()) return absl::InvalidArgumentError(path + ": not an object");
  CheckpointAnswer c;
  ASSIGN_OR_RETURN(c.note, GetString(j, "note", path));
  if (j.contains("origin")) {
    ASSIGN_OR_RETURN(std::string origin, GetString(j, "origin", path));
    c.origin = origin;
  }
  if (j.contains("size")) {
    ASSIGN_OR_RETURN(uint64_t size, GetU64(j, "size", path));
    c.size = size;
  }
  ASSIGN_OR_RETURN(c.root, GetOptionalHash(j, "root", path));
  return c;
}

absl::StatusOr<InclusionAnswer> ParseInclusionJson(const json& j, const std::string& path) {
  if (!j.is_object()) return absl::InvalidArgumentError(path + ": not an object");
  InclusionAnswer in;
  ASSIGN_OR_RETURN(in.index, GetU64(j, "index", path));
  ASSIGN_OR_RETURN(in.size, GetU64(j, "size", path));
  ASSIGN_OR_RETURN(std::string leaf_b64, GetString(j, "leaf", path));
  auto leaf = Base64Decode(leaf_b64);
  if (!leaf.ok()) return absl::InvalidArgumentError(path + ".leaf: not valid base64");
  in.leaf = *std::move(leaf);
  ASSIGN_OR_RETURN(in.leaf_hash, GetOptionalHash(j, "leaf_hash", path));
  ASSIGN_OR_RETURN(in.proof, GetHashList(j, "proof", path));
  ASSIGN_OR_RETURN(in.root, GetOptionalHash(j, "root", path));
  return in;
}

absl::StatusOr<ConsistencyAnswer> ParseConsistencyJson(const json& j, const std::string& path) {
  if (!j.is_object()) return absl::InvalidArgumentError(path + ": not an object");
  ConsistencyAnswer c;
  ASSIGN_OR_RETURN(c.from, GetU64(j, "from", path));
  ASSIGN_OR_RETURN(c.to, GetU64(j, "to", path));
  ASSIGN_OR_RETURN(c.proof, GetHashList(j, "proof", path));
  ASSIGN_OR_RETURN(c.old_root, GetHash(j, "old_root", path));
  ASSIGN_OR_RETURN(c.new_root, GetHash(j, "new_root", path));
  return c;
}

// The author of a payload: field 1 of every payload message is its PayloadHeader.
absl::StatusOr<coalition::v1::PayloadHeader> PayloadHeaderOf(const std::string& payload) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(payload.data()),
                                            static_cast<int>(payload.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == 1 &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      std::string bytes;
      uint32_t length = 0;
      if (!in.ReadVarint32(&length) || !in.ReadString(&bytes, static_cast<int>(length))) break;
      coalition::v1::PayloadHeader header;
      if (!header.ParseFromString(bytes)) break;
      return header;
    }
    if (!WireFormatLite::SkipField(&in, tag)) break;
  }
  return absl::InvalidArgumentError("payload has no readable header (field 1)");
}

absl::Status Prefix(const absl::Status& st, const std::string& prefix) {
  return absl::Status(st.code(), prefix + std::string(st.message()));
}

// Finds a consistency proof between `from` and `to` in the answer, else asks `fetch`.
absl::StatusOr<ConsistencyAnswer> FindConsistency(const Answer& answer, uint64_t from, uint64_t to,
                                                  const ConsistencyFetcher& fetch,
                                                  const std::string& why) {
  for (const auto& c : answer.consistency) {
    if (c.from == from && c.to == to) return c;
  }
  if (!fetch) {
    return absl::FailedPreconditionError(
        "consistency: " + why + " and the answer has no consistency proof " + std::to_string(from) +
        " -> " + std::to_string(to) + " (verify without --offline to fetch one)");
  }
  auto fetched = fetch(from, to);
  if (!fetched.ok()) {
    return Prefix(fetched.status(), "consistency: fetching the proof " + std::to_string(from) +
                                        " -> " + std::to_string(to) + ": ");
  }
  if (fetched->from != from || fetched->to != to) {
    return absl::InvalidArgumentError(
        "consistency: the node answered sizes " + std::to_string(fetched->from) + " -> " +
        std::to_string(fetched->to) + " for " + std::to_string(from) + " -> " + std::to_string(to));
  }
  return fetched;
}

// Checks the chain's last verified checkpoint `prev` against the new trusted one `cp`.
absl::Status CheckAgainstPrevious(const ChainState& prev, const TrustedCheckpoint& cp,
                                  const Answer& answer, const ConsistencyFetcher& fetch) {
  if (prev.size == cp.size) {
    if (prev.root != cp.root) {
      return absl::FailedPreconditionError(
          "fork: checkpoint of chain " + cp.origin + " at size " + std::to_string(cp.size) +
          " has root " + ToHex(cp.root) +
          " but the last verified checkpoint at the same size has " + "root " + ToHex(prev.root));
    }
    return absl::OkStatus();
  }
  const bool newer = cp.size > prev.size;
  const uint64_t from = newer ? prev.size : cp.size;
  const uint64_t to = newer ? cp.size : prev.size;
  const Hash& old_root = newer ? prev.root : cp.root;
  const Hash& new_root = newer ? cp.root : prev.root;
  const std::string why = "checkpoint size " + std::to_string(cp.size) + " differs from the last " +
                          "verified size " + std::to_string(prev.size);
  ASSIGN_OR_RETURN(ConsistencyAnswer proof, FindConsistency(answer, from, to, fetch, why));
  // The proof's own roots are claims; the two signed roots are what it must connect.
  auto st = merkle::VerifyConsistency(from, to, old_root, new_root, proof.proof);
  if (!st.ok()) {
    return absl::FailedPreconditionError(
        "fork: checkpoint at size " + std::to_string(cp.size) + " (root " + Short(cp.root) +
        ") is not consistent with the last verified checkpoint at size " +
        std::to_string(prev.size) + " (root " + Short(prev.root) +
        "): " + std::string(st.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrustAnchor> TrustAnchorFromGenesis(const coalition::v1::Genesis& genesis) {
  RETURN_IF_ERROR(Prefix(node::ValidateGenesis(genesis), "genesis: "));
  TrustAnchor anchor;
  anchor.chain_id = node::ChainId(genesis);
  for (const auto& v : genesis.validators()) {
    anchor.validators.push_back(
        {v.id(), v.public_key(), crypto::NoteSignatureType::kCosignatureV1});
  }
  const size_t n = anchor.validators.size();
  anchor.quorum = n - (n - 1) / 3;
  for (const auto& m : genesis.members()) anchor.member_keys[m.id()] = m.public_key();
  return anchor;
}

absl::StatusOr<Answer> ParseAnswerJson(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("answer: not a JSON object");
  Answer a;
  if (j.contains("note")) {
    ASSIGN_OR_RETURN(a.checkpoint, ParseCheckpointJson(j, "answer"));
  } else if (j.contains("checkpoint") && !j.at("checkpoint").is_null()) {
    ASSIGN_OR_RETURN(a.checkpoint, ParseCheckpointJson(j.at("checkpoint"), "answer.checkpoint"));
  }
  if (j.contains("leaf")) {
    ASSIGN_OR_RETURN(auto in, ParseInclusionJson(j, "answer"));
    a.inclusions.push_back(std::move(in));
  }
  if (j.contains("inclusions")) {
    const json& arr = j.at("inclusions");
    if (!arr.is_array()) return absl::InvalidArgumentError("answer.inclusions: not a list");
    if (arr.size() > kAnswerInclusionsMax) {
      return absl::InvalidArgumentError("answer.inclusions: more than " +
                                        std::to_string(kAnswerInclusionsMax));
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      ASSIGN_OR_RETURN(auto in,
                       ParseInclusionJson(arr[i], "answer.inclusions[" + std::to_string(i) + "]"));
      a.inclusions.push_back(std::move(in));
    }
  }
  if (j.contains("old_root")) {
    ASSIGN_OR_RETURN(auto c, ParseConsistencyJson(j, "answer"));
    a.consistency.push_back(std::move(c));
  }
  if (j.contains("consistency")) {
    json arr = j.at("consistency");
    if (arr.is_object()) arr = json::array({arr});
    if (!arr.is_array()) return absl::InvalidArgumentError("answer.consistency: not a list");
    if (arr.size() > kAnswerConsistencyMax) {
      return absl::InvalidArgumentError("answer.consistency: more than " +
                                        std::to_string(kAnswerConsistencyMax));
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      ASSIGN_OR_RETURN(
          auto c, ParseConsistencyJson(arr[i], "answer.consistency[" + std::to_string(i) + "]"));
      a.consistency.push_back(std::move(c));
    }
  }
  if (!a.checkpoint && a.inclusions.empty() && a.consistency.empty()) {
    return absl::InvalidArgumentError(
        "answer: holds no checkpoint (note), inclusion (leaf) or consistency proof (old_root)");
  }
  return a;
}

absl::StatusOr<CheckpointAnswer> CheckpointFromProto(const coalition::v1::Checkpoint& cp) {
  CheckpointAnswer c;
  c.note = cp.note();
  c.origin = cp.origin();
  c.size = cp.size();
  ASSIGN_OR_RETURN(Hash root, HashFromBytes(cp.root()));
  c.root = root;
  return c;
}

absl::StatusOr<InclusionAnswer> InclusionFromProto(const coalition::v1::Proof& proof) {
  InclusionAnswer in;
  in.index = proof.index();
  in.size = proof.size();
  in.leaf = proof.leaf();
  if (proof.hashes_size() > static_cast<int>(kProofHashesMax)) {
    return absl::InvalidArgumentError("hashes: more than " + std::to_string(kProofHashesMax));
  }
  for (int i = 0; i < proof.hashes_size(); ++i) {
    auto h = HashFromBytes(proof.hashes(i));
    if (!h.ok())
      return absl::InvalidArgumentError("hashes[" + std::to_string(i) + "]: not 32 bytes");
    in.proof.push_back(*h);
  }
  auto root = HashFromBytes(proof.root());
  if (!root.ok()) return absl::InvalidArgumentError("root: not 32 bytes");
  in.root = *root;
  return in;
}

namespace {

// Depth-first over set fields; `path` names where each proof sits.
absl::Status CollectProofs(const google::protobuf::Message& m, const std::string& path,
                           Answer* out) {
  if (m.GetDescriptor() == coalition::v1::Proof::descriptor()) {
    const auto& proof = static_cast<const coalition::v1::Proof&>(m);
    if (!proof.has_checkpoint()) return absl::InvalidArgumentError(path + ".checkpoint: missing");
    auto cp = CheckpointFromProto(proof.checkpoint());
    if (!cp.ok())
      return absl::InvalidArgumentError(path + ".checkpoint: " + cp.status().ToString());
    if (!out->checkpoint) {
      out->checkpoint = *cp;
    } else if (out->checkpoint->note != cp->note) {
      return absl::InvalidArgumentError(path +
                                        ".checkpoint: not the checkpoint of the first proof");
    }
    auto in = InclusionFromProto(proof);
    if (!in.ok())
      return absl::InvalidArgumentError(path + "." + std::string(in.status().message()));
    if (out->inclusions.size() >= kAnswerInclusionsMax) {
      return absl::InvalidArgumentError(path + ": more than " +
                                        std::to_string(kAnswerInclusionsMax) + " proofs");
    }
    out->inclusions.push_back(*std::move(in));
    return absl::OkStatus();
  }
  const auto* refl = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string at = path + "." + f->name();
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(m, f); ++i) {
        RETURN_IF_ERROR(CollectProofs(refl->GetRepeatedMessage(m, f, i),
                                      at + "[" + std::to_string(i) + "]", out));
      }
    } else {
      RETURN_IF_ERROR(CollectProofs(refl->GetMessage(m, f), at, out));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Answer> AnswerFromProofs(const google::protobuf::Message& response) {
  Answer a;
  RETURN_IF_ERROR(CollectProofs(response, "answer", &a));
  if (a.inclusions.empty()) {
    return absl::NotFoundError(
        "answer: holds no proof (ask with proofs; entries newer than the latest quorum "
        "checkpoint have none yet)");
  }
  return a;
}

json CheckpointJson(const CheckpointAnswer& c) {
  json j{{"note", c.note}};
  if (c.origin) j["origin"] = *c.origin;
  if (c.size) j["size"] = *c.size;
  if (c.root) j["root"] = ToHex(*c.root);
  return j;
}

json InclusionJson(const InclusionAnswer& in) {
  json proof = json::array();
  for (const auto& h : in.proof) proof.push_back(ToHex(h));
  json j{{"index", in.index}, {"size", in.size}, {"leaf", Base64Encode(in.leaf)}, {"proof", proof}};
  j["leaf_hash"] = ToHex(in.leaf_hash ? *in.leaf_hash : merkle::LeafHash(in.leaf));
  if (in.root) j["root"] = ToHex(*in.root);
  return j;
}

json ConsistencyJson(const ConsistencyAnswer& c) {
  json proof = json::array();
  for (const auto& h : c.proof) proof.push_back(ToHex(h));
  return json{{"from", c.from},
              {"to", c.to},
              {"proof", proof},
              {"old_root", ToHex(c.old_root)},
              {"new_root", ToHex(c.new_root)}};
}

absl::StatusOr<VerifierState> LoadState(const std::string& path) {
  VerifierState state;
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return state;
    return absl::PermissionDeniedError("state file " + path + ": cannot be read");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  const std::string where = "state file " + path;
  if (!j.is_object() || !j.contains("chains") || !j.at("chains").is_object()) {
    return absl::InvalidArgumentError(where + ": not {\"chains\": {...}}");
  }
  for (const auto& [origin, c] : j.at("chains").items()) {
    const std::string p = where + ": chains." + origin;
    ChainState s;
    ASSIGN_OR_RETURN(s.size, GetU64(c, "size", p));
    ASSIGN_OR_RETURN(s.root, GetHash(c, "root", p));
    if (c.contains("note") && c.at("note").is_string()) s.note = c.at("note").get<std::string>();
    state[origin] = std::move(s);
  }
  return state;
}

absl::Status SaveState(const std::string& path, const VerifierState& state) {
  json chains = json::object();
  for (const auto& [origin, s] : state) {
    chains[origin] = {{"size", s.size}, {"root", ToHex(s.root)}, {"note", s.note}};
  }
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json{{"chains", chains}}.dump(2) << "\n";
    out.flush();
    if (!out) return absl::InternalError("state file " + tmp + ": write failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError("state file " + path + ": rename failed: " + ec.message());
  return absl::OkStatus();
}

absl::StatusOr<TrustedCheckpoint> VerifyCheckpoint(const TrustAnchor& anchor,
                                                   const CheckpointAnswer& answer) {
  ASSIGN_OR_RETURN(crypto::SignedNote note, crypto::ParseNote(answer.note));
  ASSIGN_OR_RETURN(crypto::Checkpoint body, crypto::ParseCheckpoint(note.body));
  if (body.origin != anchor.chain_id) {
    return absl::FailedPreconditionError("checkpoint: origin '" + body.origin +
                                         "' is not this genesis's chain '" + anchor.chain_id + "'");
  }
  // Classify every signature line so the error says who did not count and why.
  std::set<std::string> valid;
  std::vector<std::string> ignored;
  for (const auto& sig : note.signatures) {
    const crypto::NoteVerifierKey* key = nullptr;
    for (const auto& k : anchor.validators) {
      if (k.name == sig.key_name) key = &k;
    }
    if (key == nullptr) {
      ignored.push_back("'" + sig.key_name + "' is not a genesis validator");
      continue;
    }
    if (crypto::NoteKeyId(key->name, key->type, key->public_key) != sig.key_id) {
      ignored.push_back("'" + sig.key_name + "' signed with a key that is not its genesis key");
      continue;
    }
    auto st = crypto::VerifyNoteSignature(note.body, sig, *key);
    if (!st.ok()) {
      return absl::UnauthenticatedError("checkpoint: cosignature by validator '" + sig.key_name +
                                        "' does not verify: " + std::string(st.message()));
    }
    valid.insert(sig.key_name);
  }
  if (valid.size() < anchor.quorum) {
    std::string msg = "checkpoint: " + std::to_string(valid.size()) +
                      " valid distinct validator cosignatures, " + std::to_string(anchor.quorum) +
                      " (2f+1 of " + std::to_string(anchor.validators.size()) + ") required";
    for (const auto& why : ignored) msg += "; ignored: " + why;
    return absl::UnauthenticatedError(msg);
  }
  // The library's own quorum check agrees, or something above is wrong.
  ASSIGN_OR_RETURN(crypto::VerifiedCheckpoint opened,
                   crypto::OpenCheckpointNote(answer.note, anchor.validators, anchor.quorum));
  COAL_CHECK(opened.checkpoint == body);
  if (answer.origin && *answer.origin != body.origin) {
    return absl::InvalidArgumentError("checkpoint: origin field '" + *answer.origin +
                                      "' does not match the signed note's '" + body.origin + "'");
  }
  if (answer.size && *answer.size != body.size) {
    return absl::InvalidArgumentError("checkpoint: size field " + std::to_string(*answer.size) +
                                      " does not match the signed note's size " +
                                      std::to_string(body.size));
  }
  if (answer.root && *answer.root != body.root_hash) {
    return absl::InvalidArgumentError("checkpoint: root field " + ToHex(*answer.root) +
                                      " does not match the signed note's root " +
                                      ToHex(body.root_hash));
  }
  TrustedCheckpoint t;
  t.origin = body.origin;
  t.size = body.size;
  t.root = body.root_hash;
  t.note = answer.note;
  for (const auto& s : opened.signers) t.cosigners.push_back(s.key_name);
  return t;
}

absl::Status VerifyEntryLeaf(const TrustAnchor& anchor, uint64_t index, std::string_view leaf) {
  const std::string where = "entry " + std::to_string(index) + ": ";
  coalition::v1::EntryRecord record;
  if (!record.ParseFromArray(leaf.data(), static_cast<int>(leaf.size()))) {
    return absl::InvalidArgumentError(where + "leaf bytes are not an EntryRecord");
  }
  if (record.log_index() != index) {
    return absl::InvalidArgumentError(where + "record says log index " +
                                      std::to_string(record.log_index()));
  }
  auto header = PayloadHeaderOf(record.envelope().payload());
  if (!header.ok()) return Prefix(header.status(), where);
  auto key = anchor.member_keys.find(header->author());
  if (key == anchor.member_keys.end()) {
    return absl::UnauthenticatedError(where + "author '" + header->author() +
                                      "' is not a genesis member");
  }
  if (header->chain_id() != anchor.chain_id) {
    return absl::InvalidArgumentError(where + "payload is bound to chain '" + header->chain_id() +
                                      "', not '" + anchor.chain_id + "'");
  }
  auto st = crypto::VerifyEnvelopeSignature(record.envelope(), key->second);
  if (!st.ok()) {
    return Prefix(st, where + "signature of author '" + header->author() + "': ");
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyReport> VerifyAnswer(const TrustAnchor& anchor, const Answer& answer,
                                          VerifierState* state, const ConsistencyFetcher& fetch) {
  if (!answer.checkpoint) {
    return absl::InvalidArgumentError(
        "answer: no checkpoint note; proofs need a signed tree head to hang on");
  }
  VerifyReport report;
  ASSIGN_OR_RETURN(report.checkpoint, VerifyCheckpoint(anchor, *answer.checkpoint));
  const TrustedCheckpoint& cp = report.checkpoint;

  // Trusted roots by size: the signed one, then older sizes proven consistent with a trusted one.
  std::map<uint64_t, Hash> trusted{{cp.size, cp.root}};
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < answer.consistency.size(); ++i) {
      const auto& c = answer.consistency[i];
      auto to = trusted.find(c.to);
      if (to == trusted.end() || trusted.count(c.from)) continue;
      const std::string where = "consistency[" + std::to_string(i) + "] " + std::to_string(c.from) +
                                " -> " + std::to_string(c.to) + ": ";
      if (c.new_root != to->second) {
        return absl::InvalidArgumentError(where + "new_root " + Short(c.new_root) +
                                          " is not the verified root " + Short(to->second));
      }
      RETURN_IF_ERROR(
          Prefix(merkle::VerifyConsistency(c.from, c.to, c.old_root, c.new_root, c.proof), where));
      trusted[c.from] = c.old_root;
      grew = true;
    }
  }

  for (const auto& in : answer.inclusions) {
    const std::string where = "inclusion of index " + std::to_string(in.index) + " at size " +
                              std::to_string(in.size) + ": ";
    auto root = trusted.find(in.size);
    if (root == trusted.end()) {
      return absl::FailedPreconditionError(
          where + "size is not the size of the verified checkpoint (" + std::to_string(cp.size) +
          ") and no consistency proof links it to one");
    }
    const Hash leaf_hash = merkle::LeafHash(in.leaf);
    if (in.leaf_hash && *in.leaf_hash != leaf_hash) {
      return absl::InvalidArgumentError(where + "leaf bytes hash to " + ToHex(leaf_hash) +
                                        ", not the leaf_hash " + ToHex(*in.leaf_hash));
    }
    if (in.root && *in.root != root->second) {
      return absl::InvalidArgumentError(where + "root " + ToHex(*in.root) +
                                        " is not the verified checkpoint root " +
                                        ToHex(root->second));
    }
    RETURN_IF_ERROR(Prefix(
        merkle::VerifyInclusion(in.index, in.size, leaf_hash, in.proof, root->second), where));
    RETURN_IF_ERROR(VerifyEntryLeaf(anchor, in.index, in.leaf));
    report.inclusions.push_back(in.index);
  }

  if (state != nullptr) {
    auto prev = state->find(cp.origin);
    if (prev != state->end()) {
      report.previous = prev->second;
      RETURN_IF_ERROR(CheckAgainstPrevious(prev->second, cp, answer, fetch));
    }
    if (prev == state->end() || prev->second.size < cp.size) {
      (*state)[cp.origin] = ChainState{cp.size, cp.root, cp.note};
      report.state_advanced = true;
    }
  }
  return report;
}

}  // namespace coal::tools

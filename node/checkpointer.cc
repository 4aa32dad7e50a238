#include "node/checkpointer.h"

#include "crypto/status_macros.h"

namespace coal::node {
namespace {

coalition::v1::Cosignature ToProto(const crypto::NoteSignature& s) {
  coalition::v1::Cosignature c;
  c.set_signer(s.key_name);
  std::string id;
  AppendBigEndian32(&id, s.key_id);
  c.set_key_id(id);
  c.set_sig(s.signature);
  auto ts = crypto::CosignatureTimestamp(s);
  if (ts.ok()) c.set_timestamp(*ts);
  return c;
}

}  // namespace

Checkpointer::Checkpointer(const coalition::v1::Genesis& genesis, std::string chain_id,
                           uint32_t self, const crypto::Signer* signer)
    : chain_id_(std::move(chain_id)), self_(self), signer_(signer) {
  for (const auto& v : genesis.validators()) {
    keys_.push_back({v.id(), v.public_key(), crypto::NoteSignatureType::kCosignatureV1});
  }
  const size_t n = keys_.size();
  quorum_ = n - (n - 1) / 3;  // 2f+1 for n = 3f+1
}

Checkpointer::Result Checkpointer::OnLogSize(uint64_t size, const Hash& root, int64_t now_ms) {
  Result result;
  std::lock_guard lock(mu_);
  if (size != 0 && size == own_size_) {
    auto it = pending_.find(size);
    if (it != pending_.end() && !it->second.done && it->second.sigs.contains(self_)) {
      result.own = ToProto(it->second.sigs.at(self_));
      result.again = true;
    }
    return result;
  }
  if (size == 0 || size < own_size_) return result;
  own_size_ = size;
  const std::string root_bytes = HashBytes(root);
  auto body = crypto::FormatCheckpoint({chain_id_, size, root, {}});
  COAL_CHECK(body.ok());
  auto sig = crypto::CosignCheckpoint(*body, keys_[self_].name, *signer_,
                                      static_cast<uint64_t>(now_ms / 1000));
  COAL_CHECK(sig.ok());
  auto& p = pending_[size];
  if (!p.root.empty() && p.root != root_bytes) {
    // Peers cosigned another root for this size: drop theirs, ours is what our log holds.
    p.sigs.clear();
  }
  p.root = root_bytes;
  p.verified_root = true;
  p.sigs[self_] = *sig;
  result.own = ToProto(*sig);
  result.quorum = MaybeQuorum(size, p);
  // Bound memory: forget the oldest sizes.
  while (pending_.size() > kPendingSizesMax) pending_.erase(pending_.begin());
  return result;
}

absl::StatusOr<std::optional<coalition::v1::Checkpoint>> Checkpointer::OnCosignature(
    uint32_t from, uint64_t size, const std::string& root,
    const coalition::v1::Cosignature& cosig) {
  if (from >= keys_.size()) return absl::InvalidArgumentError("cosignature: unknown validator");
  if (root.size() != 32) return absl::InvalidArgumentError("cosignature: root must be 32 bytes");
  if (cosig.key_id().size() != 4) return absl::InvalidArgumentError("cosignature: key_id length");
  crypto::NoteSignature s;
  s.key_name = cosig.signer();
  s.key_id = ReadBigEndian32(cosig.key_id());
  s.signature = cosig.sig();
  if (s.key_name != keys_[from].name) {
    return absl::PermissionDeniedError("cosignature: signer name does not match sender");
  }
  ASSIGN_OR_RETURN(Hash root_hash, HashFromBytes(root));
  ASSIGN_OR_RETURN(std::string body, crypto::FormatCheckpoint({chain_id_, size, root_hash, {}}));
  RETURN_IF_ERROR(crypto::VerifyNoteSignature(body, s, keys_[from]));
  std::lock_guard lock(mu_);
  if (size + kPendingSizesMax < own_size_) return std::optional<coalition::v1::Checkpoint>();
  auto& p = pending_[size];
  if (p.done) return std::optional<coalition::v1::Checkpoint>();
  if (p.root.empty()) p.root = root;
  if (p.root != root) {
    // A different root for the same size: only matters if it is ours; peers' conflicting claims
    // are kept out of our quorum (they cannot be combined into one note anyway).
    return absl::FailedPreconditionError("cosignature: root differs from this node's at size " +
                                         std::to_string(size));
  }
  p.sigs[from] = s;
  auto q = MaybeQuorum(size, p);
  while (pending_.size() > kPendingSizesMax) pending_.erase(pending_.begin());
  return q;
}

std::optional<Checkpointer::Own> Checkpointer::OwnCosignature(uint64_t size) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(size);
  if (it == pending_.end() || !it->second.verified_root || !it->second.sigs.contains(self_)) {
    return std::nullopt;
  }
  return Own{ToProto(it->second.sigs.at(self_)), it->second.root};
}

std::optional<coalition::v1::Checkpoint> Checkpointer::MaybeQuorum(uint64_t size, Pending& p) {
  if (p.done || !p.verified_root || p.sigs.size() < quorum_) return std::nullopt;
  Hash root;
  std::copy(p.root.begin(), p.root.end(), root.begin());
  auto body = crypto::FormatCheckpoint({chain_id_, size, root, {}});
  if (!body.ok()) return std::nullopt;
  std::vector<crypto::NoteSignature> sigs;
  for (const auto& [idx, s] : p.sigs) sigs.push_back(s);
  auto note = crypto::FormatNote(*body, sigs);
  if (!note.ok()) return std::nullopt;
  auto cp = CheckpointFromNote(*note);
  if (!cp.ok()) return std::nullopt;
  p.done = true;
  return *cp;
}

absl::Status SyncForCosign(storage::KvStore& kv, uint64_t size, uint64_t* durable_size) {
  if (size <= *durable_size) return absl::OkStatus();
  RETURN_IF_ERROR(kv.SyncLog());
  *durable_size = size;
  return absl::OkStatus();
}

bool CosignBeforeBlock(int64_t genesis_time_ms, uint32_t interval_ms, int64_t prev_ms,
                       int64_t next_ms) {
  if (interval_ms == 0) return false;
  const auto window = [&](int64_t t) {
    return t < genesis_time_ms ? -1 : (t - genesis_time_ms) / static_cast<int64_t>(interval_ms);
  };
  return window(next_ms) > window(prev_ms);
}

absl::StatusOr<coalition::v1::Checkpoint> CheckpointFromNote(const std::string& note,
                                                            uint64_t height) {
  ASSIGN_OR_RETURN(auto parsed, crypto::ParseNote(note));
  ASSIGN_OR_RETURN(auto body, crypto::ParseCheckpoint(parsed.body));
  coalition::v1::Checkpoint cp;
  cp.set_origin(body.origin);
  cp.set_size(body.size);
  cp.set_root(HashBytes(body.root_hash));
  cp.set_height(height);
  cp.set_note(note);
  for (const auto& s : parsed.signatures) *cp.add_cosignatures() = ToProto(s);
  return cp;
}

}  // namespace coal::node

#include "storage/merkle_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/status_macros.h"

namespace coal::storage {
namespace {

absl::StatusOr<uint64_t> DecodeSize(std::string_view value) {
  if (value.size() != 8) {
    return absl::DataLossError(
        absl::StrCat("merkle log: stored size has ", value.size(), " bytes, want 8"));
  }
  return ReadBigEndian64(value);
}

absl::Status CheckSize(uint64_t size, uint64_t committed) {
  if (size > committed) {
    return absl::OutOfRangeError(
        absl::StrCat("merkle log: tree size ", size, " > log size ", committed));
  }
  return absl::OkStatus();
}

absl::Status CheckIndex(uint64_t index, uint64_t committed) {
  if (index >= committed) {
    return absl::NotFoundError(
        absl::StrCat("merkle log: no entry at index ", index, " (log size ", committed, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EntryKey(uint64_t index) { return BigEndian64(index); }

std::string MerkleNodeKey(uint32_t level, uint64_t index) {
  COAL_CHECK(level < 64);
  std::string key(1, static_cast<char>(level));
  AppendBigEndian64(&key, index);
  return key;
}

MerkleLog::MerkleLog(KvStore* store) : store_(store) { COAL_CHECK(store != nullptr); }

merkle::SubtreeSource MerkleLog::StoredSubtrees() const {
  return [store = store_](uint32_t level, uint64_t index) -> absl::StatusOr<Hash> {
    absl::StatusOr<std::string> value = store->Get(Column::kMerkle, MerkleNodeKey(level, index));
    if (absl::IsNotFound(value.status())) {
      return absl::DataLossError(
          absl::StrCat("merkle log: missing subtree hash at level ", level, " index ", index));
    }
    if (!value.ok()) return value.status();
    absl::StatusOr<Hash> hash = HashFromBytes(*value);
    if (!hash.ok()) {
      return absl::DataLossError(absl::StrCat("merkle log: subtree hash at level ", level,
                                              " index ", index, " has ", value->size(), " bytes"));
    }
    return *hash;
  };
}

absl::Status MerkleLog::Load() {
  uint64_t size = 0;
  absl::StatusOr<std::string> stored = store_->Get(Column::kMeta, kMerkleSizeKey);
  if (stored.ok()) {
    ASSIGN_OR_RETURN(size, DecodeSize(*stored));
  } else if (!absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  // The last entry must be exactly size - 1: a batch writes entries and size together.
  ASSIGN_OR_RETURN(auto last, store_->Last(Column::kEntries, "", ""));
  if (size == 0 ? last.has_value() : (!last.has_value() || last->first != EntryKey(size - 1))) {
    return absl::DataLossError(
        absl::StrCat("merkle log: stored size ", size, " but the last entry key is ",
                     last.has_value() ? ToHex(last->first) : std::string("absent")));
  }
  ASSIGN_OR_RETURN(merkle::CompactRange range,
                   merkle::CompactRange::FromSource(size, StoredSubtrees()));
  absl::MutexLock lock(&mu_);
  committed_ = std::move(range);
  staged_.reset();
  loaded_ = true;
  return absl::OkStatus();
}

absl::Status MerkleLog::AppendTo(const std::vector<std::string>& leaves, WriteBatch* batch) {
  if (leaves.size() > kAppendLeavesMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "merkle log: ", leaves.size(), " leaves in one append, max ", kAppendLeavesMax));
  }
  merkle::CompactRange next;
  {
    absl::MutexLock lock(&mu_);
    if (!loaded_) return absl::FailedPreconditionError("merkle log: AppendTo before Load");
    if (staged_.has_value()) {
      return absl::FailedPreconditionError(
          "merkle log: an append is already staged; Commit or Abort it first");
    }
    next = committed_;
  }
  // Hashing runs outside the lock so readers are not held up by a large block.
  if (!leaves.empty()) {
    const auto put_subtree = [batch](uint32_t level, uint64_t index, const Hash& hash) {
      batch->Put(Column::kMerkle, MerkleNodeKey(level, index), AsView(hash));
    };
    for (const std::string& leaf : leaves) {
      batch->Put(Column::kEntries, EntryKey(next.size()), leaf);
      next.Append(merkle::LeafHash(leaf), put_subtree);
    }
    batch->Put(Column::kMeta, kMerkleSizeKey, BigEndian64(next.size()));
  }
  absl::MutexLock lock(&mu_);
  staged_ = std::move(next);
  return absl::OkStatus();
}

void MerkleLog::Commit() {
  absl::MutexLock lock(&mu_);
  COAL_CHECK(staged_.has_value());
  // Assert the batch really landed (one read). An I/O error proves nothing either way; an absent
  // or different size means the caller commits a batch it did not write.
  if (staged_->size() != committed_.size()) {
    absl::StatusOr<std::string> stored = store_->Get(Column::kMeta, kMerkleSizeKey);
    COAL_CHECK(!absl::IsNotFound(stored.status()));
    if (stored.ok()) {
      COAL_CHECK(stored->size() == 8 && ReadBigEndian64(*stored) == staged_->size());
    }
  }
  committed_ = std::move(*staged_);
  staged_.reset();
}

void MerkleLog::Abort() {
  absl::MutexLock lock(&mu_);
  staged_.reset();
}

uint64_t MerkleLog::size() const {
  absl::MutexLock lock(&mu_);
  return committed_.size();
}

Hash MerkleLog::Root() const {
  absl::MutexLock lock(&mu_);
  return committed_.Root();
}

absl::StatusOr<Hash> MerkleLog::RootAt(uint64_t size) const {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckSize(size, committed_.size()));
    if (size == committed_.size()) return committed_.Root();
  }
  // Stored subtrees below the committed size never change, so reading them unlocked is safe.
  return merkle::RootAt(size, StoredSubtrees());
}

absl::StatusOr<std::string> MerkleLog::Leaf(uint64_t index) const {
  RETURN_IF_ERROR(CheckIndex(index, size()));
  absl::StatusOr<std::string> leaf = store_->Get(Column::kEntries, EntryKey(index));
  if (absl::IsNotFound(leaf.status())) {
    return absl::DataLossError(absl::StrCat("merkle log: entry ", index, " missing"));
  }
  return leaf;
}

absl::StatusOr<Hash> MerkleLog::LeafHashAt(uint64_t index) const {
  RETURN_IF_ERROR(CheckIndex(index, size()));
  return StoredSubtrees()(0, index);
}

absl::StatusOr<std::vector<Hash>> MerkleLog::InclusionProof(uint64_t index, uint64_t size) const {
  RETURN_IF_ERROR(CheckSize(size, this->size()));
  return merkle::InclusionProof(index, size, StoredSubtrees());
}

absl::StatusOr<std::vector<Hash>> MerkleLog::ConsistencyProof(uint64_t m, uint64_t n) const {
  RETURN_IF_ERROR(CheckSize(n, size()));
  return merkle::ConsistencyProof(m, n, StoredSubtrees());
}

}  // namespace coal::storage

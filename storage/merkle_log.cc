#include "storage/merkle_log.h"

#include <algorithm>
#include <memory>
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

MerkleLog::MerkleLog(KvStore* store, MerkleLogOptions options) : store_(store), options_(options) {
  COAL_CHECK(store != nullptr);
}

absl::StatusOr<Hash> MerkleLog::ReadStored(uint32_t level, uint64_t index) const {
  absl::StatusOr<std::string> value = store_->Get(Column::kMerkle, MerkleNodeKey(level, index));
  if (absl::IsNotFound(value.status())) {
    return absl::DataLossError(
        absl::StrCat("merkle log: missing subtree hash at level ", level, " index ", index));
  }
  if (!value.ok()) return value.status();
  absl::StatusOr<Hash> hash = HashFromBytes(*value);
  if (!hash.ok()) {
    return absl::DataLossError(absl::StrCat("merkle log: subtree hash at level ", level, " index ",
                                            index, " has ", value->size(), " bytes"));
  }
  return *hash;
}

absl::StatusOr<Hash> MerkleLog::ReadSubtree(uint32_t level, uint64_t index) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    if (level >= cache_level_ && level < cache_.size() && index < cache_[level].size()) {
      return cache_[level][index];
    }
  }
  // Stored subtrees below the committed size never change, so reading them unlocked is safe.
  return ReadStored(level, index);
}

absl::Status MerkleLog::ScanLevel(uint32_t level, uint64_t begin, uint64_t end,
                                  std::vector<Hash>* out) const {
  absl::Status bad;
  uint64_t next = begin;
  RETURN_IF_ERROR(store_->Scan(
      Column::kMerkle, MerkleNodeKey(level, begin), MerkleNodeKey(level, end),
      [&](std::string_view key, std::string_view value) {
        absl::StatusOr<Hash> hash = HashFromBytes(value);
        if (key.size() != 9 || ReadBigEndian64(key.substr(1)) != next || !hash.ok()) {
          bad = absl::DataLossError(absl::StrCat("merkle log: bad subtree hash record at level ",
                                                 level, " key ", ToHex(key)));
          return false;
        }
        out->push_back(*hash);
        ++next;
        return true;
      },
      end - begin));
  return bad;
}

merkle::SubtreeSource MerkleLog::ProofSource() const {
  // An aligned run of 2^kBottomLevels leaves and every complete subtree inside it, by level.
  struct Run {
    uint64_t index;
    std::array<std::vector<Hash>, kBottomLevels> levels;
  };
  auto runs = std::make_shared<std::vector<Run>>();
  return [this, runs](uint32_t level, uint64_t index) -> absl::StatusOr<Hash> {
    if (level >= kBottomLevels) return ReadSubtree(level, index);
    const uint64_t run_index = index >> (kBottomLevels - level);
    auto run = std::find_if(runs->begin(), runs->end(),
                            [&](const Run& r) { return r.index == run_index; });
    if (run == runs->end()) {
      Run fresh{run_index, {}};
      constexpr uint64_t kRunLeaves = uint64_t{1} << kBottomLevels;
      RETURN_IF_ERROR(
          ScanLevel(0, run_index * kRunLeaves, (run_index + 1) * kRunLeaves, &fresh.levels[0]));
      for (uint32_t l = 1; l < kBottomLevels; ++l) {
        const std::vector<Hash>& below = fresh.levels[l - 1];
        for (size_t i = 0; i + 1 < below.size(); i += 2) {
          fresh.levels[l].push_back(merkle::NodeHash(below[i], below[i + 1]));
        }
      }
      if (runs->size() == kProofRunsMax) runs->erase(runs->begin());
      runs->push_back(std::move(fresh));
      run = runs->end() - 1;
    }
    const uint64_t offset = index - (run_index << (kBottomLevels - level));
    if (offset >= run->levels[level].size()) {
      return absl::DataLossError(
          absl::StrCat("merkle log: missing subtree hash at level ", level, " index ", index));
    }
    return run->levels[level][offset];
  };
}

uint32_t MerkleLog::CacheLevelFor(uint64_t size) const {
  if (options_.cache_bytes_max == 0) return kCacheLevels;
  for (uint32_t level = kBottomLevels; level < kCacheLevels; ++level) {
    uint64_t hashes = 0;
    for (uint32_t l = level; l < kCacheLevels; ++l) hashes += size >> l;
    if (hashes <= options_.cache_bytes_max / sizeof(Hash)) return level;
  }
  return kCacheLevels;
}

absl::Status MerkleLog::FillCache(uint32_t level, uint64_t size, SubtreeCache* cache) const {
  for (uint32_t l = level; l < kCacheLevels && (size >> l) > 0; ++l) {
    const uint64_t count = size >> l;
    std::vector<Hash>& hashes = (*cache)[l];
    hashes.reserve(count);
    RETURN_IF_ERROR(ScanLevel(l, 0, count, &hashes));
    if (hashes.size() != count) {
      return absl::DataLossError(absl::StrCat("merkle log: level ", l, " holds ", hashes.size(),
                                              " of ", count, " subtree hashes"));
    }
  }
  return absl::OkStatus();
}

void MerkleLog::TrimCache() {
  while (cache_level_ < kCacheLevels && cache_hashes_ > options_.cache_bytes_max / sizeof(Hash)) {
    cache_hashes_ -= cache_[cache_level_].size();
    std::vector<Hash>().swap(cache_[cache_level_]);
    ++cache_level_;
  }
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
                   merkle::CompactRange::FromSource(size, [this](uint32_t level, uint64_t index) {
                     return ReadStored(level, index);
                   }));
  const uint32_t cache_level = CacheLevelFor(size);
  SubtreeCache cache;
  RETURN_IF_ERROR(FillCache(cache_level, size, &cache));
  size_t cache_hashes = 0;
  for (const std::vector<Hash>& hashes : cache) cache_hashes += hashes.size();

  absl::MutexLock lock(&mu_);
  committed_ = std::move(range);
  staged_.reset();
  staged_cached_.clear();
  cache_level_ = cache_level;
  cache_ = std::move(cache);
  cache_hashes_ = cache_hashes;
  loaded_ = true;
  return absl::OkStatus();
}

absl::Status MerkleLog::AppendTo(const std::vector<std::string>& leaves, WriteBatch* batch,
                                 std::vector<Hash>* leaf_hashes) {
  if (leaves.size() > kAppendLeavesMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "merkle log: ", leaves.size(), " leaves in one append, max ", kAppendLeavesMax));
  }
  merkle::CompactRange next;
  uint32_t cache_level;
  {
    absl::MutexLock lock(&mu_);
    if (!loaded_) return absl::FailedPreconditionError("merkle log: AppendTo before Load");
    if (staged_.has_value()) {
      return absl::FailedPreconditionError(
          "merkle log: an append is already staged; Commit or Abort it first");
    }
    next = committed_;
    cache_level = cache_level_;
  }
  // Hashing runs outside the lock so readers are not held up by a large block.
  std::vector<Subtree> cached;
  if (!leaves.empty()) {
    const auto put_subtree = [&](uint32_t level, uint64_t index, const Hash& hash) {
      batch->Put(Column::kMerkle, MerkleNodeKey(level, index), AsView(hash));
      if (level >= cache_level) cached.push_back({level, index, hash});
    };
    if (leaf_hashes != nullptr) leaf_hashes->reserve(leaf_hashes->size() + leaves.size());
    for (const std::string& leaf : leaves) {
      batch->Put(Column::kEntries, EntryKey(next.size()), leaf);
      const Hash hash = merkle::LeafHash(leaf);
      next.Append(hash, put_subtree);
      if (leaf_hashes != nullptr) leaf_hashes->push_back(hash);
    }
    batch->Put(Column::kMeta, kMerkleSizeKey, BigEndian64(next.size()));
  }
  absl::MutexLock lock(&mu_);
  staged_ = std::move(next);
  staged_cached_ = std::move(cached);
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
  for (const Subtree& s : staged_cached_) {
    // Subtrees of one level complete in index order, right after the cached ones.
    COAL_CHECK(s.level >= cache_level_ && cache_[s.level].size() == s.index);
    cache_[s.level].push_back(s.hash);
    ++cache_hashes_;
  }
  staged_cached_.clear();
  committed_ = std::move(*staged_);
  staged_.reset();
  TrimCache();
  COAL_CHECK(cache_level_ >= kCacheLevels ||
             cache_[cache_level_].size() == (committed_.size() >> cache_level_));
}

void MerkleLog::Abort() {
  absl::MutexLock lock(&mu_);
  staged_.reset();
  staged_cached_.clear();
}

uint32_t MerkleLog::cache_level() const {
  absl::ReaderMutexLock lock(&mu_);
  return cache_level_;
}

size_t MerkleLog::cache_bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  return cache_hashes_ * sizeof(Hash);
}

uint64_t MerkleLog::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return committed_.size();
}

Hash MerkleLog::Root() const {
  absl::ReaderMutexLock lock(&mu_);
  return committed_.Root();
}

absl::StatusOr<Hash> MerkleLog::RootAt(uint64_t size) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckSize(size, committed_.size()));
    if (size == committed_.size()) return committed_.Root();
  }
  return merkle::RootAt(size, ProofSource());
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
  return ReadSubtree(0, index);
}

absl::StatusOr<std::vector<Hash>> MerkleLog::InclusionProof(uint64_t index, uint64_t size) const {
  RETURN_IF_ERROR(CheckSize(size, this->size()));
  return merkle::InclusionProof(index, size, ProofSource());
}

absl::StatusOr<std::vector<Hash>> MerkleLog::ConsistencyProof(uint64_t m, uint64_t n) const {
  RETURN_IF_ERROR(CheckSize(n, size()));
  return merkle::ConsistencyProof(m, n, ProofSource());
}

}  // namespace coal::storage

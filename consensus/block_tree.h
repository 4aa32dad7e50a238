// The bounded tree of blocks above the last committed block (the root). Every block in the tree
// descends from the root through blocks in the tree; insertion requires the parent to be present.
// Blocks are trusted to be validated by the caller (ids, signatures, certificates).
//
// Thread safety: none (owned by the single-threaded core).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "coalition/v1/consensus.pb.h"

namespace coal::consensus {

// Limit on uncommitted blocks kept; a full tree refuses new blocks until a commit prunes it.
inline constexpr size_t kBlockTreeBlocksMax = 2048;

class BlockTree {
 public:
  explicit BlockTree(coalition::v1::Block root);

  const coalition::v1::Block& root() const { return *Get(root_id_); }
  const coalition::v1::Block* Get(const std::string& id) const;
  bool Contains(const std::string& id) const { return blocks_.count(id) > 0; }
  size_t size() const { return blocks_.size(); }
  bool full() const { return blocks_.size() >= kBlockTreeBlocksMax; }

  // Requires the parent present, height = parent height + 1 and round > parent round; returns
  // false (and changes nothing) otherwise, when the block is present or the tree is full.
  bool Insert(coalition::v1::Block block);

  // Blocks from just above the root up to and including `id`, ascending; empty when `id` is the
  // root or not in the tree.
  std::vector<const coalition::v1::Block*> PathFromRoot(const std::string& id) const;

  // Up to `count` blocks starting at `id` and walking parent-wards (the root included).
  std::vector<const coalition::v1::Block*> Ancestors(const std::string& id, size_t count) const;

  // Makes `id` (in the tree) the root and drops every block that does not descend from it;
  // returns the dropped blocks.
  std::vector<coalition::v1::Block> PruneTo(const std::string& id);
  // Makes `root` the root (present or not) and keeps only its descendants already in the tree;
  // returns the dropped blocks.
  std::vector<coalition::v1::Block> Reset(coalition::v1::Block root);

  bool AnyPayloadAboveRoot() const;
  std::vector<coalition::v1::Block> BlocksAboveRoot() const;

 private:
  std::vector<coalition::v1::Block> KeepDescendantsOf(const std::string& id);

  std::map<std::string, coalition::v1::Block> blocks_;  // includes the root
  std::string root_id_;
};

}  // namespace coal::consensus

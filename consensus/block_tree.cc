#include "consensus/block_tree.h"

#include <algorithm>
#include <set>

#include "crypto/status_macros.h"

namespace coal::consensus {

using coalition::v1::Block;

BlockTree::BlockTree(Block root) : root_id_(root.id()) {
  blocks_.emplace(root_id_, std::move(root));
}

const Block* BlockTree::Get(const std::string& id) const {
  auto it = blocks_.find(id);
  return it == blocks_.end() ? nullptr : &it->second;
}

bool BlockTree::Insert(Block block) {
  if (full() || Contains(block.id())) return false;
  const Block* parent = Get(block.parent_id());
  if (parent == nullptr || block.height() != parent->height() + 1 ||
      block.round() <= parent->round()) {
    return false;
  }
  std::string id = block.id();
  blocks_.emplace(std::move(id), std::move(block));
  return true;
}

std::vector<const Block*> BlockTree::PathFromRoot(const std::string& id) const {
  std::vector<const Block*> path;
  const Block* b = Get(id);
  // Heights strictly decrease parent-wards, so the walk ends within size() steps.
  while (b != nullptr && b->id() != root_id_) {
    path.push_back(b);
    b = Get(b->parent_id());
  }
  if (b == nullptr) return {};
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<const Block*> BlockTree::Ancestors(const std::string& id, size_t count) const {
  std::vector<const Block*> out;
  for (const Block* b = Get(id); b != nullptr && out.size() < count; b = Get(b->parent_id())) {
    out.push_back(b);
    if (b->id() == root_id_) break;
  }
  return out;
}

std::vector<Block> BlockTree::KeepDescendantsOf(const std::string& id) {
  std::vector<const Block*> by_height;
  by_height.reserve(blocks_.size());
  for (const auto& [_, b] : blocks_) by_height.push_back(&b);
  std::sort(by_height.begin(), by_height.end(),
            [](const Block* a, const Block* b) { return a->height() < b->height(); });
  std::set<std::string> keep = {id};
  for (const Block* b : by_height) {
    if (keep.count(b->parent_id())) keep.insert(b->id());
  }
  std::vector<Block> dropped;
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (keep.count(it->first)) {
      ++it;
      continue;
    }
    dropped.push_back(std::move(it->second));
    it = blocks_.erase(it);
  }
  root_id_ = id;
  return dropped;
}

std::vector<Block> BlockTree::PruneTo(const std::string& id) {
  COAL_CHECK(Contains(id));
  return KeepDescendantsOf(id);
}

std::vector<Block> BlockTree::Reset(Block root) {
  const std::string id = root.id();
  blocks_[id] = std::move(root);
  return KeepDescendantsOf(id);
}

bool BlockTree::AnyPayloadAboveRoot() const {
  for (const auto& [id, b] : blocks_) {
    if (id != root_id_ && !b.payload().empty()) return true;
  }
  return false;
}

std::vector<Block> BlockTree::BlocksAboveRoot() const {
  std::vector<Block> out;
  for (const auto& [id, b] : blocks_) {
    if (id != root_id_) out.push_back(b);
  }
  return out;
}

}  // namespace coal::consensus

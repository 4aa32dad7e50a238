// The composition root of coalition-node: opens storage (checking the genesis), builds the ledger,
// executor, mempool, replica (consensus driver), gRPC servers and the HTTP endpoint, and stops them
// in reverse order. Create/Start/Stop are called from the main thread only.
#pragma once

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "coalition/v1/genesis.pb.h"
#include "node/config.h"

namespace coal::node {

class Node {
 public:
  static absl::StatusOr<std::unique_ptr<Node>> Create(const NodeConfig& config);
  ~Node();
  absl::Status Start();
  void Stop();
  // A consistent RocksDB checkpoint of the node's data in `dir` (must not exist). A node restored
  // from it starts at the backed-up height and catches up from its peers.
  absl::Status Backup(const std::string& dir);

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coal::node

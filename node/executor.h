// The node's EntryExecutor: the compliance StateMachine (node/domain/state_machine.h): entry checks,
// time window, replay and domain rules. Deterministic: the same block gives the
// same outcomes on every node. Entries that fail a rule are logged rejected, with the reason.
// Called from the replica thread only.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "coalition/v1/genesis.pb.h"
#include "crypto/ed25519.h"
#include "node/ledger.h"
#include "storage/kv_store.h"

namespace coal::node {

absl::StatusOr<std::unique_ptr<EntryExecutor>> MakeExecutor(
    const coalition::v1::Genesis& genesis, const std::string& chain_id, storage::KvStore* kv,
    const crypto::Verifier* verifier = nullptr);

}  // namespace coal::node

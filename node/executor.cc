#include "node/executor.h"

#include "crypto/status_macros.h"
#include "node/domain/state_machine.h"

namespace coal::node {
namespace {

constexpr char kBootstrappedKey[] = "domain/bootstrapped";

// Adapts the compliance StateMachine to the ledger's EntryExecutor seam.
class DomainExecutor final : public EntryExecutor {
 public:
  DomainExecutor(const coalition::v1::Genesis& genesis, storage::KvStore* kv,
                 const std::string& chain_id, const crypto::Verifier* verifier)
      : machine_(genesis, kv, chain_id, verifier) {}
  void BeginBlock() override { machine_.BeginBlock(); }
  coalition::v1::Outcome Apply(const ExecContext& ctx, const coalition::v1::Envelope& env,
                               const std::string& digest) override {
    return machine_.Apply({ctx.height, ctx.log_index, ctx.block_time_ms}, env, digest);
  }
  absl::Status FinishBlock(storage::WriteBatch* batch) override {
    return machine_.FinishBlock(batch);
  }
  void AbortBlock() override { machine_.AbortBlock(); }

 private:
  domain::StateMachine machine_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EntryExecutor>> MakeExecutor(
    const coalition::v1::Genesis& genesis, const std::string& chain_id, storage::KvStore* kv,
    const crypto::Verifier* verifier) {
  // A new data dir gets the real rule sets (data/rules.json) as adopted at genesis, once.
  auto marker = kv->Get(storage::Column::kMeta, kBootstrappedKey);
  if (absl::IsNotFound(marker.status())) {
    storage::WriteBatch batch;
    RETURN_IF_ERROR(domain::Bootstrap(genesis, &batch));
    batch.Put(storage::Column::kMeta, kBootstrappedKey, "1");
    RETURN_IF_ERROR(kv->Write(batch, {.sync = true}));
  } else if (!marker.ok()) {
    return marker.status();
  }
  return std::make_unique<DomainExecutor>(genesis, kv, chain_id, verifier);
}

}  // namespace coal::node

#include "node/executor.h"

#include "node/admission.h"

namespace coal::node {
namespace {

class RulesExecutor final : public EntryExecutor {
 public:
  RulesExecutor(const coalition::v1::Genesis& genesis, const std::string& chain_id)
      : rules_(genesis, chain_id) {}
  void BeginBlock() override {}
  coalition::v1::Outcome Apply(const ExecContext&, const coalition::v1::Envelope& env,
                               const std::string&) override {
    coalition::v1::Outcome o;
    auto checked = rules_.Check(env);
    if (!checked.ok()) {
      o.set_accepted(false);
      o.set_reason(std::string(absl::StatusCodeToString(checked.status().code())));
      o.set_detail(std::string(checked.status().message()));
      return o;
    }
    o.set_accepted(true);
    return o;
  }
  absl::Status FinishBlock(storage::WriteBatch*) override { return absl::OkStatus(); }
  void AbortBlock() override {}

 private:
  EnvelopeRules rules_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EntryExecutor>> MakeExecutor(
    const coalition::v1::Genesis& genesis, const std::string& chain_id, storage::KvStore*) {
  return std::make_unique<RulesExecutor>(genesis, chain_id);
}

}  // namespace coal::node

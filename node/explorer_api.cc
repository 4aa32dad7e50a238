#include "node/explorer_api.h"

#include <nlohmann/json.hpp>

#include "node/replica.h"

namespace coal::node {
namespace {

std::pair<int, std::string> Error(int http, const std::string& message) {
  return {http, nlohmann::json{{"error", message}}.dump()};
}

}  // namespace

ExplorerApi MakeExplorerApi(const coalition::v1::Genesis& genesis, const std::string& chain_id,
                            const std::string& node_id, const std::string& operator_member, Ledger* ledger, Mempool* mempool,
                            Replica* replica) {
  return [=](const std::string& path,
             const std::multimap<std::string, std::string>& params) -> std::pair<int, std::string> {
    if (path == "status") {
      coalition::v1::StatusResponse s;
      replica->FillStatus(&s);
      nlohmann::json peers = nlohmann::json::array();
      for (const auto& p : s.peers()) {
        peers.push_back({{"id", p.id()}, {"addr", p.addr()}, {"connected", p.connected()}});
      }
      auto cp = ledger->LatestQuorumCheckpoint();
      return {200, nlohmann::json{{"chain_id", chain_id},
                                  {"node_id", node_id},
                                  {"height", ledger->height()},
                                  {"round", s.round()},
                                  {"tree_size", ledger->tree_size()},
                                  {"root", ToHex(ledger->root())},
                                  {"checkpoint_size", cp ? cp->size() : 0},
                                  {"checkpoint_note", cp ? cp->note() : ""},
                                  {"mempool_entries", mempool->size()},
                                  {"peers", peers}}
                       .dump()};
    }
    return Error(404, "no such endpoint: /api/" + path);
  };
}

}  // namespace coal::node

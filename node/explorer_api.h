// JSON endpoints behind the web explorer (/api/*): cluster status and checkpoint, rule sets as of a
// time, commitment progress, shipment search and history. Read-only; each call answers
// (HTTP status, JSON body). Shipment reads act as the node's operator member and are refused
// unless that member is an enforcement agency or an authority.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "coalition/v1/genesis.pb.h"
#include "node/ledger.h"
#include "node/mempool.h"

namespace coal::node {

class Replica;

using ExplorerApi = std::function<std::pair<int, std::string>(
    const std::string& path, const std::multimap<std::string, std::string>& params)>;

ExplorerApi MakeExplorerApi(const coalition::v1::Genesis& genesis, const std::string& chain_id,
                            const std::string& node_id, const std::string& operator_member,
                            Ledger* ledger, Mempool* mempool, Replica* replica);

}  // namespace coal::node

// JSON endpoints behind the web explorer (/api/*). Read-only; each call answers (HTTP status,
// JSON body) and never throws: bad input is a 400 whose "error" names the parameter.
//
//   status       cluster status and the latest quorum checkpoint (size, root hex, cosigners)
//   rulesets     ?as_of=<unix ms>&id=<rule-set id>: in force, pending, history, proposed, each with
//                its numeric thresholds (TPP and others) for the chart
//   commitments  ?member=&vendor=&status=open|closed&page_token=: progress (delivered/committed)
//   shipments    one key of entity|shipment_id|serial|model|country|hs|reason (none = all), and
//                from_ms, to_ms, exact=1 (entity without fuzzy match), page_token
//   shipment     ?id=: one shipment with its history (flag, events, screening)
//
// Shipment reads act as the node's operator member: 403 unless that member is an enforcement
// agency or an authority (domain::QueryShipments' read check). Every answer other than status is
// computed from committed state in the KvStore (the ledger writes each block as one atomic batch,
// so a read never sees half a block). Unknown or repeated parameters are refused (400).
//
// Thread safety: the returned function and ExplorerQuery may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "coalition/v1/genesis.pb.h"
#include "node/ledger.h"
#include "node/mempool.h"
#include "storage/kv_store.h"

namespace coal::node {

class Replica;

using ApiParams = std::multimap<std::string, std::string>;
using ApiAnswer = std::pair<int, std::string>;  // HTTP status, JSON body
using ExplorerApi = std::function<ApiAnswer(const std::string& path, const ApiParams& params)>;

// Longest accepted parameter value; longer is a 400.
inline constexpr size_t kApiParamBytesMax = 512;

// The committed-state endpoints (everything but status) over `kv`. `now_ms` stands in for an
// absent as_of. Unknown paths are a 404.
ApiAnswer ExplorerQuery(const storage::KvStore& kv, const coalition::v1::Genesis& genesis,
                        const std::string& operator_member, const std::string& path,
                        const ApiParams& params, int64_t now_ms);

// Every endpoint; status reads the ledger, mempool and replica. The pointers must outlive the
// returned function.
ExplorerApi MakeExplorerApi(const coalition::v1::Genesis& genesis, const std::string& chain_id,
                            const std::string& node_id, const std::string& operator_member,
                            Ledger* ledger, Mempool* mempool, Replica* replica);

}  // namespace coal::node

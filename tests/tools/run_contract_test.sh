#!/usr/bin/env bash
# The command contract of issue 4 that scripts outside the project rely on, checked against a live
# 4-node devnet on 127.0.0.1:
#   coalctl devnet status --dir DIR --json  -> {"nodes": [{"index", "client_addr", "running"}]}
#   coalctl --node ADDR status --json       -> at least height, tree_size, root (hex), checkpoint_size
#   coalition-bench ... --json              -> one JSON object: committed, throughput_per_s, p50_ms,
#                                              p99_ms (progress lines go to stderr only)
# Usage: run_contract_test.sh BIN_DIR
set -euo pipefail
BIN=${1:?usage: run_contract_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/../python/devnet_lib.sh"
devnet_start "$BIN"
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }

# devnet status: every node listed, running, with its client address.
"$COALCTL" devnet status --dir "$DEVNET" --json > "$WORK/devnet-status.json"
$PY - "$WORK/devnet-status.json" <<'EOF' || fail "devnet status --json"
import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
assert [n["index"] for n in nodes] == [0, 1, 2, 3], nodes
assert all(n["running"] is True for n in nodes), nodes
assert all(n["client_addr"].startswith("127.0.0.1:") for n in nodes), nodes
EOF
ADDRS=$($PY -c 'import json,sys; print(",".join(n["client_addr"] for n in json.load(open(sys.argv[1]))["nodes"]))' \
    "$WORK/devnet-status.json")

# The bench: stdout is exactly one JSON object, progress is on stderr.
"$BIN/coalition-bench" --node "$ADDRS" --key "$DEVNET/keys/cloud-a.key" --clients 4 \
    --payload-bytes 512 --duration-s 3 --progress-s 1 --json > "$WORK/bench.out" 2> "$WORK/bench.err" \
    || { cat "$WORK/bench.err" >&2; fail "coalition-bench exited non-zero"; }
[[ $(wc -l < "$WORK/bench.out") -eq 1 ]] || { cat "$WORK/bench.out" >&2; fail "bench stdout is not one line"; }
grep -q "^coalition-bench: [0-9]*/3 s, committed [0-9]* (" "$WORK/bench.err" \
    || { cat "$WORK/bench.err" >&2; fail "no progress line on stderr"; }
COMMITTED=$($PY - "$WORK/bench.out" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
assert b["committed"] > 0 and b["failed"] == 0, b
assert b["throughput_per_s"] > 0, b
assert 0 < b["p50_ms"] <= b["p99_ms"] <= b["p999_ms"], b
assert b["clients"] == 4 and b["payload_bytes"] == 512, b
print(b["committed"])
EOF
) || fail "bench --json fields"

# Node status: the committed entries are in the log, and a quorum checkpoint covers them (waited
# for with a deadline: cosignatures follow the commit).
deadline=$((SECONDS + 30))
until "$COALCTL" --node "$NODE" status --json > "$WORK/status.json" &&
      $PY - "$WORK/status.json" "$COMMITTED" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
committed = int(sys.argv[2])
assert s["height"] > 0 and s["tree_size"] >= committed, s
assert len(s["root"]) == 64 and int(s["root"], 16) >= 0, s
sys.exit(0 if s["checkpoint_size"] == s["tree_size"] else 3)
EOF
do
  (( SECONDS < deadline )) || { cat "$WORK/status.json" >&2; fail "status --json after the bench"; }
  sleep 0.2
done

# A killed node shows as not running.
"$COALCTL" devnet kill --dir "$DEVNET" --node 3
"$COALCTL" devnet status --dir "$DEVNET" --json > "$WORK/devnet-status.json"
$PY - "$WORK/devnet-status.json" <<'EOF' || fail "devnet status --json after a kill"
import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
assert [n["running"] for n in nodes] == [True, True, True, False], nodes
EOF

# An unreachable node: exit 1 and a message naming the address, no JSON on stdout.
if "$BIN/coalition-bench" --node 127.0.0.1:1 --key "$DEVNET/keys/cloud-a.key" --duration-s 1 --json \
    > "$WORK/bad.out" 2> "$WORK/bad.err"; then
  fail "bench against 127.0.0.1:1 succeeded"
fi
grep -q "cannot reach 127.0.0.1:1" "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; fail "unreachable node message"; }
[[ ! -s "$WORK/bad.out" ]] || fail "bench printed to stdout after failing"
echo "command contract: ok"

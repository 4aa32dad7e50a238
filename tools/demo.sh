#!/usr/bin/env bash
# The README's first command: from a fresh Debian 12 machine to a running 4-node coalition with
# real data. Installs what is missing, builds, starts a devnet on 127.0.0.1, loads the sample data
# (real rule sets at genesis, a threshold update adopted by two authorities with notice, procurement
# commitments with deliveries, flagged shipments with their events), asks the example questions and
# prints the answers.
#
# Usage: tools/demo.sh          start (a fresh chain each time; running it twice works)
#        tools/demo.sh stop     stop every node it started
#        tools/demo.sh status   which nodes run
# Environment: DEMO_BASE_PORT (default 7000: client 7000-7003, peer 7100-7103, http 7200-7203),
#              DEMO_DIR (default .devnet in the project), BUILD_DIR (default build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
DEVNET=${DEMO_DIR:-$ROOT/.devnet}
BASE_PORT=${DEMO_BASE_PORT:-7000}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
BIN=$BUILD_DIR/bin
CTL=$BIN/coalctl
NODE=127.0.0.1:$BASE_PORT
SAMPLE=$ROOT/data/sample
WORK=$DEVNET/demo-work

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

stop() {
  if [ -x "$CTL" ] && [ -f "$DEVNET/genesis.toml" ]; then
    "$CTL" devnet down --dir "$DEVNET"
  else
    say "nothing to stop (no devnet in $DEVNET)"
  fi
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  status) exec "$CTL" devnet status --dir "$DEVNET" ;;
  start) ;;
  *) die "unknown command '$1' (use: start, stop, status)" ;;
esac

bold "1/6 Installing Debian packages (only what is missing)"
./tools/install-deps.sh

bold "2/6 Building (first build takes a few minutes on 2 cores)"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" --target coalition-node coalctl

bold "3/6 Starting a 4-node devnet on 127.0.0.1 (fresh chain in $DEVNET)"
if [ -f "$DEVNET/genesis.toml" ]; then
  "$CTL" devnet down --dir "$DEVNET" >/dev/null 2>&1 || true
  rm -rf "$DEVNET"
fi
"$CTL" devnet up --dir "$DEVNET" --base-port "$BASE_PORT" --min-notice-ms 60000
mkdir -p "$WORK"
# Wait (bounded) until the node answers and a first quorum checkpoint exists.
deadline=$((SECONDS + 60))
until "$CTL" --node "$NODE" status --json >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || die "node at $NODE did not answer within 60 s; see $DEVNET/node-0/node.log"
  sleep 0.2
done
"$CTL" --node "$NODE" status

as() {  # as MEMBER coalctl-args...: run coalctl acting as a devnet member
  local member=$1; shift
  "$CTL" --node "$NODE" --key "$DEVNET/keys/$member.key" --as "$member" "$@"
}

bold "4/6 Loading sample data"
say "Rule sets at genesis: the real October 2022, October 2023 and December 2024 rules."
# Commitments and deliveries are reported by the buyer; split the sample by buyer. The ledger
# starts today, and a delivery cannot precede the commitment it is reported against, so the sample
# deliveries are dated at load time (their original dates stay in the reference field).
split() {  # split KIND NOW_MS
  python3 - "$SAMPLE" "$WORK" "$1" "$2" <<'EOF2'
import json, sys, collections, datetime
sample, work, kind, now_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
buyer_of = {json.loads(l)["commitment_id"]: json.loads(l)["buyer"]
            for l in open(f"{sample}/commitments.jsonl")}
out = collections.defaultdict(list)
for line in open(f"{sample}/{kind}.jsonl"):
    d = json.loads(line)
    if kind == "deliveries":
        day = datetime.datetime.fromtimestamp(int(d["delivered_at_ms"]) / 1000, datetime.timezone.utc)
        d["reference"] = f'{d.get("reference", "")} (sample date {day:%Y-%m-%d})'.strip()
        d["delivered_at_ms"] = str(now_ms)
    out[buyer_of[d["commitment_id"]]].append(json.dumps(d) + "\n")
for buyer, lines in out.items():
    open(f"{work}/{kind}.{buyer}.jsonl", "w").writelines(lines)
EOF2
}
split commitments 0
for f in "$WORK"/commitments.*.jsonl; do
  buyer=$(basename "$f" .jsonl); buyer=${buyer#commitments.}
  say "procurement commitments by $buyer:"
  as "$buyer" import --type coalition.v1.ProcurementCommitment --file "$f"
done
split deliveries "$(date +%s%3N)"
for f in "$WORK"/deliveries.*.jsonl; do
  buyer=$(basename "$f" .jsonl); buyer=${buyer#deliveries.}
  say "deliveries reported by $buyer:"
  as "$buyer" import --type coalition.v1.DeliveryReport --file "$f"
done
say "flagged shipments (enforce-a), shaped after 2025 diversion cases through transshipment hubs:"
as enforce-a import --type coalition.v1.FlaggedShipment --file "$SAMPLE/shipments.jsonl"
say "shipment events (enforce-a):"
as enforce-a import --type coalition.v1.ShipmentEvent --file "$SAMPLE/shipment_events.jsonl"

bold "5/6 A threshold update: us-bis proposes, eu-dg-trade approves, effective after the notice"
# Version 2 of the October 2023 rule lowers the 3A090.a.1 TPP threshold from 4800 to 4000.
NOW_MS=$(date +%s%3N)
EFFECTIVE_MS=$((NOW_MS + 90 * 1000))
as us-bis rules --rule-set US-BIS-2023-10-ACS --json >"$WORK/rules-before.json"
python3 - "$WORK/rules-before.json" "$EFFECTIVE_MS" >"$WORK/proposal.json" <<'EOF'
import json, sys
view = json.load(open(sys.argv[1]))
rs = view["in_force"][0]["rule_set"]
leaf = rs["entries"][0]["condition"]["any"]["items"][0]["leaf"]
assert leaf["param"] == "tpp", leaf
leaf["number"] = 4000
rs["version"] = int(rs.get("version", 1)) + 1
rs["effective_at_ms"] = str(sys.argv[2])
rs.pop("source_json", None)
print(json.dumps({"rule_set": rs, "rationale": "demo: tighten 3A090.a.1 from TPP 4800 to 4000"}))
EOF
as us-bis submit --type coalition.v1.ThresholdProposal --file "$WORK/proposal.json" --wait --json \
  >"$WORK/proposal-receipt.json"
PROPOSAL=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
if not r["accepted"]:
    sys.exit("demo: the proposal was rejected: %s %s" % (r["reason"], r["detail"]))
print(r["digest"])' "$WORK/proposal-receipt.json")
say "proposal committed, digest $PROPOSAL"
as eu-dg-trade rules approve --proposal "$PROPOSAL" --wait
as us-bis rules --rule-set US-BIS-2023-10-ACS

bold "6/6 Example questions"
# The first whole second at or after the effective time.
EFFECTIVE_ISO=$(date -u -d "@$(((EFFECTIVE_MS + 999) / 1000))" +%Y-%m-%dT%H:%M:%SZ)
say "Q: Is the NVIDIA A100 licensable to China on 2023-01-01 (under the October 2022 rule)?"
as us-bis evaluate --model nvidia-a100-sxm4-80gb --destination CN --as-of 2023-01-01
say ""
say "Q: And the H20, built for China, on 2024-06-01 (under the October 2023 rule)?"
as us-bis evaluate --model nvidia-h20-hgx-china-sku --destination CN --as-of 2024-06-01
say ""
say "Q: A chip with TPP 4200 to China: now, and once the update takes effect ($EFFECTIVE_ISO)?"
as us-bis evaluate --rule-set US-BIS-2023-10-ACS --tpp 4200 --die-area 800 --datacenter true \
  --destination CN
as us-bis evaluate --rule-set US-BIS-2023-10-ACS --tpp 4200 --die-area 800 --datacenter true \
  --destination CN --as-of "$EFFECTIVE_ISO"
say "(version 2 lowers the 3A090.a.1 threshold to TPP 4000, so the same chip becomes 3A090.a)"
say ""
say "Q: Where does the EU-US commitment stand?"
as eu-dg-trade commitments --id EU-US-2025-AI-CHIPS
say ""
say "Q: Which flagged shipments touch 'Lucky Star Trading' (any spelling), and what happened?"
as enforce-a shipments --entity "Lucky Star Trading"
say ""
say "Q: Can a cloud provider read shipments? (it must be refused)"
if as cloud-a shipments --entity "Lucky Star Trading" 2>"$WORK/refusal.txt"; then
  die "a cloud provider could read shipments"
fi
cat "$WORK/refusal.txt"

bold "The coalition is running"
cat <<EOF
Nodes: client gRPC 127.0.0.1:$BASE_PORT..$((BASE_PORT + 3)), explorer http://127.0.0.1:$((BASE_PORT + 200))/
Ask further (member keys are in $DEVNET/keys):
  $CTL --node $NODE status
  $CTL --node $NODE checkpoint
  $CTL --node $NODE evaluate --model nvidia-h100-sxm5-80gb --destination AE
  $CTL --node $NODE --key $DEVNET/keys/enforce-a.key shipments --country MY
  $CTL --node $NODE proof inclusion --index 3
  $CTL verify --genesis $DEVNET/genesis.toml --node $NODE
Stop everything:  ./tools/demo.sh stop
EOF

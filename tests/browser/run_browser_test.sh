#!/usr/bin/env bash
# The web explorer in headless Chromium (Debian's `chromium`) against a live 4-node devnet.
#
# Starts a devnet with the built coalctl (tests/python/devnet_lib.sh), signs and submits three
# flagged shipments and an event as enforce-a and a commitment with a delivery as cloud-a, then
# loads node-0's page (operator us-bis, an authority) with a search in its URL
# (#search=Lucky Star Trading) and asserts on the DOM after the page's scripts ran: the matching
# shipments (one a spelling variant) and not the other entity's, the rule sets and the TPP chart,
# the commitment's progress, the checkpoint. Then one shipment's history (#shipment=...), the JSON
# errors (400 naming the parameter, 403), and node-3's page (operator cloud-a, which may not read
# shipments) showing the refusal and no shipment.
# COAL_BROWSER_SCREENSHOT=FILE.png also saves a screenshot of node-0's page.
# Exit 77 (ctest: skipped) only when chromium is not installed.
# Usage: run_browser_test.sh BIN_DIR   (the folder holding coalctl and coalition-node)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN_DIR=${1:?usage: run_browser_test.sh BIN_DIR}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$CHROMIUM" ]]; then
  echo "SKIP: chromium is not installed (tools/install-deps.sh installs it)"
  exit 77
fi
source "$ROOT/tests/python/devnet_lib.sh"
devnet_start "$BIN_DIR"

http_of() {  # http_of INDEX: host:port of that node's HTTP endpoint
  /usr/bin/python3 -c \
      'import json, sys; print(json.load(open(sys.argv[1]))["nodes"][int(sys.argv[2])]["http_addr"])' \
      "$WORK/devnet.json" "$1"
}
HTTP0=$(http_of 0)
HTTP3=$(http_of 3)

submit() {  # submit MEMBER TYPE JSON: sign as MEMBER, wait for the commit, require acceptance
  local out
  out=$("$COALCTL" --json --node "$NODE" --key "$DEVNET/keys/$1.key" submit --type "$2" \
      --payload "$3" --wait)
  grep -q '"accepted":true' <<<"$out" || { echo "FAIL: $2 by $1 not accepted: $out" >&2; exit 1; }
}
shipment() {  # shipment ID CONSIGNEE
  submit enforce-a FlaggedShipment "{\"shipmentId\":\"$1\",\"hsCodes\":[\"8473.30\"],
    \"items\":[{\"chipModel\":\"H100 SXM5 80GB\",\"quantity\":8,\"serialNumbers\":[\"SN-$1\"]}],
    \"shipper\":{\"name\":\"Alpha-One Logistics Pte. Ltd.\",\"country\":\"SG\"},
    \"consignee\":{\"name\":\"$2\",\"country\":\"MY\"},\"declaredDestination\":\"MY\",
    \"suspectedDestination\":\"CN\",\"route\":[\"SG\",\"Port Klang\"],
    \"flagReasons\":[\"Payment from third country\"]}"
}
shipment BT-1001 "Lucky Star Trading Co."
shipment BT-1002 "Lucky-Star Trading Pte. Ltd."
shipment BT-1003 "Golden Harbor Logistics"
submit enforce-a ShipmentEvent \
    '{"shipmentId":"BT-1001","newState":"SHIPMENT_DETAINED","note":"held at Port Klang"}'
NOW_MS=$(date +%s%3N)
submit cloud-a ProcurementCommitment "{\"commitmentId\":\"BT-COMMIT-1\",\"buyer\":\"cloud-a\",
  \"vendors\":[\"NVIDIA\"],\"amount\":{\"units\":\"1000\",\"currency\":\"USD\"},\"quantity\":\"100\",
  \"periodStartMs\":\"$((NOW_MS - 86400000))\",\"periodEndMs\":\"$((NOW_MS + 31536000000))\"}"
DELIVERED_MS=$(date +%s%3N)  # after the commitment's block time
submit cloud-a DeliveryReport "{\"commitmentId\":\"BT-COMMIT-1\",\"vendor\":\"NVIDIA\",
  \"amount\":{\"units\":\"250\",\"currency\":\"USD\"},\"quantity\":\"25\",\"deliveredAtMs\":\"$DELIVERED_MS\"}"

# The page polls; wait (bounded) until node-0 holds a quorum checkpoint covering every entry.
deadline=$((SECONDS + 60))
until /usr/bin/python3 - "$HTTP0" <<'EOF'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen("http://%s/api/status" % sys.argv[1], timeout=5))
sys.exit(0 if s["checkpoint"] and s["checkpoint"]["size"] >= s["tree_size"] >= 6 else 1)
EOF
do
  (( SECONDS < deadline )) || { echo "FAIL: no quorum checkpoint covering the entries" >&2; exit 1; }
  sleep 0.5
done

dump() {  # dump URL OUT: the DOM after the page's scripts ran (bounded by a virtual time budget)
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --no-first-run --user-data-dir="$WORK/chromium-profile" --virtual-time-budget=10000 \
      --dump-dom "$1" >"$2" 2>"$WORK/chromium.log" ||
    { echo "FAIL: chromium failed on $1" >&2; tail -n 20 "$WORK/chromium.log" >&2; exit 1; }
}
expect() {  # expect FILE TEXT WHAT
  grep -qF -- "$2" "$1" ||
    { echo "FAIL: the page does not show $3 ('$2'); DOM:" >&2; cat "$1" >&2; exit 1; }
}
refuse() {  # refuse FILE TEXT WHAT
  if grep -qF -- "$2" "$1"; then echo "FAIL: the page shows $3 ('$2')" >&2; exit 1; fi
}

# node-0: operated by us-bis, an authority, which may read shipments.
dump "http://$HTTP0/#search=Lucky%20Star%20Trading" "$WORK/search.html"
expect "$WORK/search.html" '>BT-1001</a>' "the shipment to the searched entity"
expect "$WORK/search.html" '>BT-1002</a>' "the shipment to a spelling variant (fuzzy match)"
expect "$WORK/search.html" 'Lucky-Star Trading Pte. Ltd.' "the variant's consignee"
expect "$WORK/search.html" '2 shipments matching entity "Lucky Star Trading"' "the result count"
expect "$WORK/search.html" '<td>detained</td>' "the shipment's current state"
refuse "$WORK/search.html" 'BT-1003' "a shipment of another entity"
refuse "$WORK/search.html" 'Golden Harbor' "another entity"
expect "$WORK/search.html" '<td>US-BIS-2023-10-ACS</td>' "the rule set in force"
expect "$WORK/search.html" '<td>US-BIS-2022-10-ACSME</td>' "the superseded rule set"
expect "$WORK/search.html" 'in force</span>' "the rule-set status"
expect "$WORK/search.html" '>US-BIS-2023-10-ACS v1</text>' "a rule-set version in the chart"
expect "$WORK/search.html" '>US-BIS-2022-10-ACSME v1</text>' "the older version in the chart"
expect "$WORK/search.html" 'US-BIS-2023-10-ACS v1: TPP ≥ 1600 from 2023-11-17' "a TPP threshold point"
expect "$WORK/search.html" 'US-BIS-2022-10-ACSME v1: TPP ≥ 4800 from 2022-10-07' "the older point"
expect "$WORK/search.html" '<td>BT-COMMIT-1</td>' "the commitment"
expect "$WORK/search.html" '25.0%' "the commitment's progress"
expect "$WORK/search.html" '<td>node-0</td>' "the cluster status"
grep -qE '<td>[34] of 4: ' "$WORK/search.html" ||
  { echo "FAIL: the page does not show the checkpoint's cosigners" >&2; exit 1; }
echo "node-0: search, rule sets with chart, commitment progress, checkpoint ok"
if [[ -n "${COAL_BROWSER_SCREENSHOT:-}" ]]; then  # a PNG of the page, to look at
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --no-first-run --user-data-dir="$WORK/chromium-profile" --virtual-time-budget=10000 \
      --window-size=1280,1900 --screenshot="$COAL_BROWSER_SCREENSHOT" \
      "http://$HTTP0/#search=Lucky%20Star%20Trading" 2>>"$WORK/chromium.log" || true
fi

dump "http://$HTTP0/#shipment=BT-1001" "$WORK/history.html"
expect "$WORK/history.html" 'History of BT-1001' "the history heading"
expect "$WORK/history.html" '<b>flagged</b>' "the flag in the history"
expect "$WORK/history.html" '<b>detained</b> — held at Port Klang' "the event in the history"
echo "node-0: shipment history ok"

# The JSON endpoints: 400 naming the parameter, 403 on a node whose operator may not read.
/usr/bin/python3 - "$HTTP0" "$HTTP3" <<'EOF'
import json, sys, urllib.error, urllib.request
def get(host, path):
    try:
        r = urllib.request.urlopen("http://%s/api/%s" % (host, path), timeout=5)
        return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
checks = [
    (sys.argv[1], "rulesets?as_of=soon", 400, "as_of: "),
    (sys.argv[1], "shipments?entity=x&serial=y", 400, "entity, serial"),
    (sys.argv[1], "shipments?colour=red", 400, "'colour'"),
    (sys.argv[1], "shipment?id=BT-404", 404, "BT-404"),
    (sys.argv[2], "shipments?entity=Lucky", 403, "'cloud-a' may not read shipments"),
]
for host, path, code, text in checks:
    got, body = get(host, path)
    if got != code or text not in body.get("error", ""):
        sys.exit("FAIL: /api/%s answered %d %s, want %d with %r" % (path, got, body, code, text))
got, body = get(sys.argv[1], "shipments?serial=SN-BT-1003")
if got != 200 or [s["shipment_id"] for s in body["shipments"]] != ["BT-1003"]:
    sys.exit("FAIL: serial search answered %d %s" % (got, body))
print("JSON errors ok")
EOF

# node-3: operated by cloud-a, a cloud provider; the page shows the refusal, not shipments.
dump "http://$HTTP3/#search=Lucky%20Star%20Trading" "$WORK/refused.html"
expect "$WORK/refused.html" "this node's operator 'cloud-a' may not read shipments" "the refusal"
refuse "$WORK/refused.html" 'BT-1001' "a shipment on a cloud provider's node"
expect "$WORK/refused.html" '<td>US-BIS-2023-10-ACS</td>' "the rule sets (readable by every member)"
echo "node-3: refusal shown"
echo "PASS"

#!/usr/bin/env bash
# Loads the explorer of a devnet filled by tools/demo.sh in headless Chromium: the page runs a
# shipment search given in its URL (#search=...), and the rendered DOM must show the matching
# shipments (including a spelling variant), the rule sets and the commitments. Then the same on a
# node whose operator may not read shipments: the page must show the refusal.
# Usage: run_browser_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BUILD_DIR=${1:?usage: run_browser_test.sh BUILD_DIR}
export DEMO_DIR=$(mktemp -d /tmp/coal-browser-test.XXXXXX)
export DEMO_BASE_PORT=$((20000 + RANDOM % 20000))
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "chromium is not installed (tools/install-deps.sh installs it)" >&2; exit 1; }
cleanup() { "$ROOT/tools/demo.sh" stop >/dev/null 2>&1 || true; rm -rf "$DEMO_DIR" "$DEMO_DIR".*; }
trap cleanup EXIT

"$ROOT/tools/demo.sh" >"$DEMO_DIR.demo" 2>&1 || { cat "$DEMO_DIR.demo" >&2; exit 1; }

dump() {  # dump URL OUT: the DOM after the page's scripts ran (bounded by a virtual time budget)
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$DEMO_DIR.profile" --virtual-time-budget=15000 --dump-dom "$1" \
    >"$2" 2>"$DEMO_DIR.chromium.log" || { cat "$DEMO_DIR.chromium.log" >&2; exit 1; }
}
expect() {  # expect FILE TEXT WHAT
  grep -qF -- "$2" "$1" || { echo "FAIL: the page does not show $3 ('$2'); DOM:" >&2; cat "$1" >&2; exit 1; }
}

# node-0 is operated by us-bis, an authority: it may read shipments.
dump "http://127.0.0.1:$((DEMO_BASE_PORT + 200))/#search=Lucky%20Star%20Trading" "$DEMO_DIR.dom"
expect "$DEMO_DIR.dom" "BL-2025-1000" "a shipment to the searched entity"
expect "$DEMO_DIR.dom" "Lucky-Star Trading Pte. Ltd." "a spelling variant found by the fuzzy match"
expect "$DEMO_DIR.dom" "US-BIS-2023-10-ACS" "the rule sets"
expect "$DEMO_DIR.dom" "EU-US-2025-AI-CHIPS" "the commitments"
expect "$DEMO_DIR.dom" "node-0" "the cluster status"
if grep -qF "Golden Harbor Logistics" "$DEMO_DIR.dom"; then
  echo "FAIL: the search shows shipments of another entity" >&2; exit 1
fi
echo "explorer on node-0: search and panels ok"

# node-3 is operated by cloud-a, a cloud provider: the page shows the refusal, not shipments.
dump "http://127.0.0.1:$((DEMO_BASE_PORT + 203))/#search=Lucky%20Star%20Trading" "$DEMO_DIR.dom3"
expect "$DEMO_DIR.dom3" "may not read shipments" "the refusal for a cloud provider's node"
if grep -qF "BL-2025-1000" "$DEMO_DIR.dom3"; then
  echo "FAIL: a cloud provider's node shows shipments" >&2; exit 1
fi
echo "explorer on node-3: refusal shown"

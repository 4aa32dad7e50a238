#!/usr/bin/env bash
# Runs tools/demo.sh against an existing build, checks the answers it prints, runs it a second
# time (it must start over cleanly), then `demo.sh stop` and checks that no node is left running.
# Usage: run_demo_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BUILD_DIR=${1:?usage: run_demo_test.sh BUILD_DIR}
export DEMO_DIR=$(mktemp -d /tmp/coal-demo-test.XXXXXX)
export DEMO_BASE_PORT=$((20000 + RANDOM % 20000))
OUT=$DEMO_DIR.out
cleanup() { "$ROOT/tools/demo.sh" stop >/dev/null 2>&1 || true; rm -rf "$DEMO_DIR" "$OUT"; }
trap cleanup EXIT

expect() {  # expect PATTERN WHAT
  if ! grep -qF -- "$1" "$OUT"; then
    echo "FAIL: the demo did not print $2 ('$1'); its output:" >&2
    cat "$OUT" >&2
    exit 1
  fi
}

for run in 1 2; do
  "$ROOT/tools/demo.sh" >"$OUT" 2>&1 || { cat "$OUT" >&2; echo "FAIL: demo run $run" >&2; exit 1; }
  expect "imported 36 of 36 coalition.v1.FlaggedShipment entries" "every sample shipment loaded"
  expect "imported 28 of 28 coalition.v1.ShipmentEvent entries" "every shipment event loaded"
  expect "US-BIS-2022-10-ACSME v1: 3A090.a" "the A100 classified under the 2022 rule"
  expect "US-BIS-2023-10-ACS v2: 3A090.a (branch a.1), licence REQUIRED" "the update in effect"
  expect "EU-US-2025-AI-CHIPS" "the commitment's progress"
  expect "Lucky-Star Trading Pte. Ltd." "a spelling variant of the entity"
  expect "PERMISSION_DENIED" "the cloud provider refused"
  echo "demo run $run: ok"
done
"$ROOT/tools/demo.sh" stop
for pidfile in "$DEMO_DIR"/node-*/node.pid; do
  [ -f "$pidfile" ] || continue
  state=$(ps -o stat= -p "$(cat "$pidfile")" 2>/dev/null || true)
  if [ -n "$state" ] && [ "${state:0:1}" != "Z" ]; then  # a zombie has exited, awaiting its reaper
    echo "FAIL: node $(cat "$pidfile") still runs after demo.sh stop" >&2
    exit 1
  fi
done
echo "demo stop: every node stopped"

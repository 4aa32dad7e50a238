#!/usr/bin/env bash
# The independent Python client against a live devnet: generates Python stubs, starts a devnet
# with the built coalctl, runs coal_client.py with the system interpreter, always tears down.
# Usage: run_client_test.sh BIN_DIR   (the folder holding coalctl and coalition-node)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/devnet_lib.sh"

devnet_start "${1:?usage: run_client_test.sh BIN_DIR}"
python_stubs "$ROOT" "$WORK/stubs"
/usr/bin/python3 "$HERE/coal_client.py" --node "$NODE" --genesis "$DEVNET/genesis.toml" \
    --key "$DEVNET/keys/cloud-a.key" --stubs "$WORK/stubs" --timeout 60

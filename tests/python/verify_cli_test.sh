#!/usr/bin/env bash
# `coalctl verify` against a live devnet: see verify_cli_test.py for the cases.
# Usage: verify_cli_test.sh BIN_DIR   (the folder holding coalctl and coalition-node)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/devnet_lib.sh"

devnet_start "${1:?usage: verify_cli_test.sh BIN_DIR}"
/usr/bin/python3 "$HERE/verify_cli_test.py" --coalctl "$COALCTL" --node "$NODE" \
    --devnet "$DEVNET" --work "$WORK"

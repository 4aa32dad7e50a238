# Sourced by the tests in this folder: a 4-node devnet on 127.0.0.1 (ephemeral ports) in a fresh
# temp folder, always torn down on exit. Sets WORK, DEVNET, COALCTL and NODE (node-0's client
# address).
# Waits poll with deadlines; nothing sleeps blindly.

devnet_teardown() {
  local rc=$?
  if [[ -n "${DEVNET:-}" && -d "$DEVNET" ]]; then
    if [[ $rc -ne 0 ]]; then
      for log in "$DEVNET"/node-*/node.log; do
        [[ -f "$log" ]] && { echo "--- tail of $log"; tail -n 20 "$log"; } >&2
      done
    fi
    "$COALCTL" devnet down --dir "$DEVNET" >/dev/null 2>&1 || true
  fi
  [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
  exit $rc
}

# devnet_start BIN_DIR
devnet_start() {
  COALCTL="$1/coalctl"
  [[ -x "$COALCTL" ]] || { echo "no coalctl in $1" >&2; exit 1; }
  [[ -x "$1/coalition-node" ]] || { echo "no coalition-node in $1" >&2; exit 1; }
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/coal_pytest.XXXXXX")
  DEVNET="$WORK/devnet"
  trap devnet_teardown EXIT
  "$COALCTL" --json devnet up --dir "$DEVNET" --base-port 0 --round-timeout-ms 300 \
      > "$WORK/devnet.json"
  NODE=$(/usr/bin/python3 -c \
      'import json, sys; print(json.load(open(sys.argv[1]))["nodes"][0]["client_addr"])' \
      "$WORK/devnet.json")
  # Ready when the node answers Status.
  local deadline=$((SECONDS + 60))
  until "$COALCTL" --node "$NODE" --deadline-ms 2000 status >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "node $NODE did not answer within 60 s" >&2; exit 1; }
    sleep 0.2
  done
}

# python_stubs SRC_ROOT OUT: Python protobuf + gRPC stubs with Debian's protoc and plugin.
python_stubs() {
  mkdir -p "$2"
  protoc -I "$1/proto" --python_out="$2" --grpc_python_out="$2" \
      --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin "$1"/proto/coalition/v1/*.proto
}

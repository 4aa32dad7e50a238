#!/usr/bin/env bash
# The README's test command: installs what is missing, configures, builds, runs every test.
# Then the slower continuous checks (tools/ci-checks.sh: fuzz targets 60 s each, ASan+UBSan unit and
# integration run, TSan consensus run), unless COAL_QUICK=1.
# Usage: tools/test.sh [--build-dir DIR] [extra ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build
if [ "${1:-}" = "--build-dir" ]; then BUILD_DIR=$2; shift 2; fi
./tools/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@")
if [ "${COAL_QUICK:-0}" != "1" ]; then
  ./tools/ci-checks.sh
fi

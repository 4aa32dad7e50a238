#!/usr/bin/env bash
# The slower continuous checks, run by tools/test.sh after the main test run (skip them with
# COAL_QUICK=1). Each stage uses its own build folder beside the main one:
#   fuzz   every libFuzzer target for COAL_FUZZ_SECONDS (default 60) with ASan+UBSan (clang)
#   asan   unit and integration tests under ASan+UBSan (gcc)
#   tsan   the consensus core and simulator tests under TSan
# Usage: tools/ci-checks.sh [fuzz] [asan] [tsan]     (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
FUZZ_SECONDS=${COAL_FUZZ_SECONDS:-60}
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(fuzz asan tsan)

configure() {  # configure DIR ARGS...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOAL_BUILD_BENCH=OFF "$@" \
    >/dev/null
}

for stage in "${stages[@]}"; do
  start=$SECONDS
  case "$stage" in
    fuzz)
      echo "== ci-checks: fuzz targets, ${FUZZ_SECONDS} s each (clang, ASan+UBSan)"
      configure build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DCOAL_FUZZ=ON \
        -DCOAL_FUZZ_SECONDS="$FUZZ_SECONDS"
      targets=$(cd tests/fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|\.cc$||')
      # shellcheck disable=SC2086
      cmake --build build-fuzz -j "$JOBS" --target $targets
      (cd build-fuzz && ctest --output-on-failure -L fuzz -j "$JOBS" --timeout $((FUZZ_SECONDS * 3)))
      ;;
    asan)
      echo "== ci-checks: unit and integration tests under ASan+UBSan"
      configure build-asan -DCOAL_SANITIZE=ON
      cmake --build build-asan -j "$JOBS"
      # The catch-up test's chain is shorter here: sanitized nodes commit a few times slower, and
      # the main run already catches up over 2000 blocks.
      (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
         UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
         COAL_CATCHUP_BLOCKS="${COAL_CATCHUP_BLOCKS:-500}" \
         ctest --output-on-failure -LE fuzz -j "$JOBS" --timeout 900)
      ;;
    tsan)
      echo "== ci-checks: consensus core and simulator under TSan"
      configure build-tsan -DCOAL_TSAN=ON
      targets=$(cd tests/consensus && ls ./*_test.cc | sed 's|^\./||; s|\.cc$||')
      # shellcheck disable=SC2086
      cmake --build build-tsan -j "$JOBS" --target $targets
      (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
         ctest --output-on-failure --test-dir tests/consensus -j "$JOBS" --timeout 900)
      ;;
    *) echo "ci-checks: unknown stage '$stage' (fuzz, asan, tsan)" >&2; exit 2 ;;
  esac
  echo "== ci-checks: $stage passed in $((SECONDS - start)) s"
done

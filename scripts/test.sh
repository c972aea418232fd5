#!/usr/bin/env bash
# Quick start, step 2: install what is missing, build, and run the whole test suite through CTest.
# Then the same suite again under AddressSanitizer + UndefinedBehaviorSanitizer (clang, the
# `sanitize` preset, in build-sanitize) together with a short run of every fuzz target
# (CTest label `fuzz`; docs/fuzzing.md). MLCONV_SANITIZE=0 skips that second pass, for a
# quick local run; CI always does both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
build=${MLCONV_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$build" --output-on-failure -j "$jobs"

[ "${MLCONV_SANITIZE:-1}" = 1 ] || exit 0
echo "mlconv: the test suite and the fuzz targets under ASan + UBSan (build-sanitize)"
start=$(date +%s)
(cd "$root" && cmake --preset sanitize >/dev/null && cmake --build --preset sanitize -j "$jobs")
echo "mlconv: sanitizer build took $(( $(date +%s) - start )) s"
cd "$root" && ctest --preset sanitize -j "$jobs"

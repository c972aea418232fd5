#!/usr/bin/env bash
# Quick start, step 2: install what is missing, build, and run the whole test suite through CTest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
build=${MLCONV_BUILD_DIR:-$root/build}
ctest --test-dir "$build" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"

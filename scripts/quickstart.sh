#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, and inspect the bundled
# custom-layer example model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" >/dev/null
build=${MLCONV_BUILD_DIR:-$root/build}
echo "\$ mlconv inspect examples/NeuralMcNeuralNet.mlmodel --layers"
cd "$root" && "$build/cli/mlconv" inspect examples/NeuralMcNeuralNet.mlmodel --layers

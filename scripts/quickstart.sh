#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, then the main job on the
# bundled example: convert the article's Swish network (a JSON graph plus a rules
# file that turns the Swish op into a custom layer) to .mlmodel with a 256x256
# RGB image input, show what the app must provide, validate it against the app's
# side (bindings file, Swift class, plugin, test vectors), and run it with the
# Swish plugin on the article's photo, compared with NumPy's output
# (docs/walkthrough.md explains each step).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" >/dev/null
build=${MLCONV_BUILD_DIR:-$root/build}
mlconv=$build/cli/mlconv
out=$build/examples
mkdir -p "$out"
cd "$root"
show() {
  echo
  echo "\$ mlconv $*"
  "$mlconv" "$@"
}
show convert examples/swish/model.json --rules examples/swish/rules.json --image-input image --color-space RGB \
  -o "$out/swish.mlmodel"
show inspect "$out/swish.mlmodel"
plugin=$build/plugins/swish/libmlconv_swish.so
show validate "$out/swish.mlmodel" --bindings examples/swish/bindings.json --swift examples/swish/App \
  --plugin "$plugin" --tests examples/swish/testcases
show run "$out/swish.mlmodel" --plugin "$plugin" -i image=examples/swish/testcases/floortje/inputs/image.png \
  --expect probs=examples/swish/testcases/floortje/outputs/probs.npy

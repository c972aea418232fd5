#!/usr/bin/env bash
# Assembles the seed corpus of every fuzz target into OUT/<target>/ from the small
# seeds committed in fuzz/seeds, the tests' fixtures (fuzz regressions included),
# the examples, and the real third-party models in REALMODELS (../shared/realmodels,
# referenced by path, never copied into the repository). Re-running replaces OUT.
# Usage: fuzz/make_corpus.sh OUT [REALMODELS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: make_corpus.sh OUT [REALMODELS]}
realmodels=${2:-$root/../shared/realmodels}
# Real models above this size slow every execution down more than they teach the fuzzer.
max_seed_bytes=$((600 * 1024))

rm -rf "$out.tmp"
add() {  # add TARGET FILE...: copies the files that exist and are small enough
  local target=$1 file; shift
  mkdir -p "$out.tmp/$target"
  for file in "$@"; do
    [ -f "$file" ] || continue
    [ "$(stat -c %s "$file")" -le "$max_seed_bytes" ] || continue
    # Names from the path keep seeds with the same base name apart.
    cp "$file" "$out.tmp/$target/$(echo "${file#"$root"/}" | tr '/' '_')"
  done
}

shopt -s nullglob globstar
for target in model_inspect model_run; do
  add "$target" "$root"/fuzz/seeds/mlmodel/* "$root"/examples/*.mlmodel "$realmodels"/*.mlmodel \
      "$root"/tests/fixtures/fuzz/"$target"/*
done
add json_graph "$root"/fuzz/seeds/json_graph/* "$root"/examples/*/model.json "$root"/tests/fixtures/fuzz/json_graph/*
add rules "$root"/fuzz/seeds/rules/* "$root"/examples/*/rules*.json "$root"/tests/fixtures/fuzz/rules/*
add onnx "$root"/tests/converter/fixtures/onnx/**/*.onnx "$realmodels"/onnx/*.onnx "$root"/tests/fixtures/fuzz/onnx/*
add npy "$root"/tests/**/*.npy "$root"/examples/**/*.npy "$root"/tests/fixtures/fuzz/npy/*
add image "$root"/fuzz/seeds/image/* "$realmodels"/*.png "$root"/tests/fixtures/fuzz/image/*

for target in "$out.tmp"/*; do
  count=$(find "$target" -type f | wc -l)
  [ "$count" -gt 0 ] || { echo "make_corpus.sh: no seeds for $(basename "$target")" >&2; exit 1; }
done
rm -rf "$out"
mv "$out.tmp" "$out"
for target in "$out"/*; do echo "$(basename "$target"): $(find "$target" -type f | wc -l) seeds"; done

#!/usr/bin/env bash
# Conversion benchmark: `mlconv convert` of an ONNX model with 100M float32 parameters
# (25 Gemm layers of 2000x2000, weights in an external data file, as PyTorch exports
# nn.Linear) and the targets from issue 3:
#   throughput  >= 0.5 GB/s of weights (weight bytes / wall time)
#   memory      peak RSS <= 2.5x the weight bytes
# Prints PASS/FAIL per target; exits 1 when one fails, 2 when the bench cannot run.
#
# Environment (all optional):
#   MLCONV_BENCH_BUILD   build directory holding mlconv (default: <repo>/build; built if missing)
#   MLCONV_BENCH_DATA    where the model is generated once (default: /tmp/mlconv-bench)
#   MLCONV_BENCH_PARAMS  parameter count (default: 100000000)
#   MLCONV_BENCH_RUNS    timed runs; the median wall time and the largest RSS count (default: 3)
#   MLCONV_BENCH_FLAGS   extra flags for mlconv convert (e.g. --fuse)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MLCONV_BENCH_BUILD:-$root/build}
data=${MLCONV_BENCH_DATA:-/tmp/mlconv-bench}
params=${MLCONV_BENCH_PARAMS:-100000000}
runs=${MLCONV_BENCH_RUNS:-3}
flags=${MLCONV_BENCH_FLAGS:-}
model=$data/dense-$params.onnx
output=$data/dense-$params.mlmodel

die() {
  echo "bench: $*" >&2
  exit 2
}

for tool in /usr/bin/time /usr/bin/python3 awk; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
/usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null || die "needs python3-onnx and python3-numpy for /usr/bin/python3"

if [[ ! -x $build/cli/mlconv ]]; then
  cmake -S "$root" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target mlconv >/dev/null
fi
mkdir -p "$data"
if [[ ! -f $model || ! -f $model.data ]]; then
  /usr/bin/python3 "$root/bench/make_onnx_dense.py" "$model" --params "$params"
fi
weight_bytes=$(stat -c %s "$model.data")
# Read the weights once so the runs measure mlconv with them in the page cache.
cat "$model.data" >/dev/null
stages=$(mktemp)
trap 'rm -f "$stages"' EXIT

walls=()
peak_kb=0
for ((run = 1; run <= runs; run++)); do
  report=$(mktemp)
  # Each run writes a new file, as the first one does: replacing the previous run's output
  # would add the file system's freeing of 400 MB of blocks to every run but the first.
  rm -f "$output"
  # -vv for the stage times line; /usr/bin/time -o keeps its report apart from the log.
  # shellcheck disable=SC2086
  /usr/bin/time -v -o "$report" "$build/cli/mlconv" -vv convert "$model" -o "$output" $flags >/dev/null 2>"$stages" || {
    cat "$stages" "$report" >&2
    die "mlconv convert failed"
  }
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$report")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")
  cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$report")
  rm -f "$report"
  printf 'run %d: wall %.2f s, cpu %.2f s, peak RSS %d MB\n' "$run" "$wall" "$cpu" $((rss / 1024))
  grep -o 'stage times: .*' "$stages" | sed -E 's/(check-graph|remove-[a-z-]+|infer-shapes|fold-constants|planning) [0-9.]+ s, //g; s/^/  /' || true
  walls+=("$wall")
  ((rss > peak_kb)) && peak_kb=$rss
done
median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
output_bytes=$(stat -c %s "$output")

awk -v w="$weight_bytes" -v t="$median" -v rss="$peak_kb" -v out="$output_bytes" 'BEGIN {
  gbps = w / t / 1e9
  ratio = rss * 1024 / w
  printf "weights %.0f MB, output %.0f MB, median wall %.2f s: %.2f GB/s (target >= 0.5) %s\n", w / 1e6, out / 1e6, t, gbps, (gbps >= 0.5 ? "PASS" : "FAIL")
  printf "peak RSS %.0f MB = %.2fx the weights (target <= 2.5x) %s\n", rss / 1024, ratio, (ratio <= 2.5 ? "PASS" : "FAIL")
  exit (gbps >= 0.5 && ratio <= 2.5) ? 0 : 1
}'

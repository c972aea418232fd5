#!/usr/bin/env bash
# mlconv run against ONNX Runtime on the same networks, weights and inputs,
# with 1 and 2 threads: median latency of each and the ratio (target <= 1.5x
# ORT now, 1.0x as the goal), plus the largest output difference as a sanity
# check that both ran the same computation.
#   nets: the article's (3x256x256 conv 3x3 -> Swish -> global pool -> dense 10 -> softmax),
#         a MobileNetV1-style stack at 224x224, a ResNet-style 3x3 stack at 56x56 (64-128 ch).
# Memory: mlconv's peak RSS above that of the same command on a one-ReLU model,
# against weights + 2x the largest set of blobs alive at once (from `run --json`).
# Exits 1 when a ratio or the memory limit is exceeded, 2 when the benchmark cannot run.
#
# Environment (optional): MLCONV_BENCH_BUILD (default <repo>/build-bench, Release),
# MLCONV_BENCH_DATA (default /tmp/mlconv-bench), MLCONV_BENCH_REPEAT (timed runs, default 20),
# MLCONV_BENCH_ORT (directory holding node_modules/onnxruntime-node; installed there when missing),
# MLCONV_BENCH_PREBUILT=1 (use the mlconv and plugin already in MLCONV_BENCH_BUILD; no configure or build).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MLCONV_BENCH_BUILD:-$root/build-bench}
data=${MLCONV_BENCH_DATA:-/tmp/mlconv-bench}/executor
repeat=${MLCONV_BENCH_REPEAT:-20}
ort_dir=${MLCONV_BENCH_ORT:-${MLCONV_BENCH_DATA:-/tmp/mlconv-bench}/ort}
target_ratio=1.5

die() {
  echo "bench: $*" >&2
  exit 2
}
for tool in cmake node npm /usr/bin/python3 protoc; do
  command -v "$tool" >/dev/null || die "'$tool' is missing"
done
/usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null || die "Debian's python3-onnx and python3-numpy are needed"

if [[ ${MLCONV_BENCH_PREBUILT:-0} == 1 ]]; then
  echo "== using the existing build in $build"
else
echo "== build (Release) in $build"
mkdir -p "$build"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$build" -j"$(nproc)" --target mlconv mlconv_swish; } >"$build/bench-build.log" 2>&1; then
  tail -n 30 "$build/bench-build.log" >&2
  die "build failed; full log: $build/bench-build.log"
fi
fi
mlconv=$build/cli/mlconv
swish=$(find "$build/plugins" -name 'libmlconv_swish.so' | head -n 1)
[[ -n $swish ]] || die "the Swish plugin was not built"

if [[ ! -d $ort_dir/node_modules/onnxruntime-node ]]; then
  echo "== installing onnxruntime-node (benchmark only) into $ort_dir"
  mkdir -p "$ort_dir"
  (cd "$ort_dir" && npm install --silent --no-audit --no-fund --ignore-scripts onnxruntime-node >/dev/null) ||
    die "npm install onnxruntime-node failed"
fi
cp "$root/bench/ort_run.js" "$ort_dir/ort_run.js"

echo "== generating networks in $data"
/usr/bin/python3 "$root/bench/make_models.py" "$root/spec/proto" "$data" >/dev/null

# The Debian OpenBLAS fallback note in docs/performance.md does not apply: the executor uses Eigen.
status=0
echo "== load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
printf '%-14s %7s %12s %12s %7s %12s\n' net threads "mlconv ms" "ORT ms" ratio "max |diff|"
for net in article mobilenet_v1 resnet_56x56; do
  for threads in 1 2; do
    json=$data/$net.t$threads.json
    "$mlconv" run "$data/$net.mlmodel" --plugin "$swish" -i "input=$data/${net}_input.npy" --threads "$threads" \
      --repeat "$repeat" --json "$json" >/dev/null || die "mlconv run failed on $net"
    ort=$(node "$ort_dir/ort_run.js" "$data/$net.onnx" "$data/${net}_input.npy" "$threads" "$repeat") ||
      die "ONNX Runtime failed on $net"
    line=$(/usr/bin/python3 - "$json" "$ort" "$target_ratio" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.loads(sys.argv[2])
mine = ours["latency_ms"]["median"]
ratio = mine / theirs["median_ms"]
out = ours["outputs"]["output"]["data"]
diff = max(abs(a - b) for a, b in zip(out, theirs["output"]))
print(f"{mine:12.2f} {theirs['median_ms']:12.2f} {ratio:7.2f} {diff:12.2e} {'FAIL' if ratio > float(sys.argv[3]) else 'ok'}")
PY
)
    printf '%-14s %7s %s\n' "$net" "$threads" "$line"
    [[ $line == *FAIL ]] && status=1
  done
done

# The baseline: the same command on a one-ReLU model, so "used" leaves out what every run costs
# whatever the model (binary, libraries, protobuf's descriptor tables, the plugin, the threads).
echo
printf '%-14s %7s %10s %10s %10s %10s %10s %10s\n' net threads "weights" "live max" "limit" "baseline" "RSS peak" "RSS used"
for threads in 1 2; do
  "$mlconv" run "$data/baseline.mlmodel" --plugin "$swish" -i "input=$data/baseline_input.npy" --threads "$threads" \
    --repeat "$repeat" --json "$data/baseline.t$threads.json" >/dev/null || die "mlconv run failed on the baseline model"
done
for net in article mobilenet_v1 resnet_56x56; do
  for threads in 1 2; do
    line=$(/usr/bin/python3 - "$data/$net.t$threads.json" "$data/$net.onnx" "$data/baseline.t$threads.json" <<'PY'
import json, sys
import onnx
from onnx import numpy_helper
memory = json.load(open(sys.argv[1]))["memory"]
weights = sum(numpy_helper.to_array(t).nbytes for t in onnx.load(sys.argv[2]).graph.initializer)
mib = 1 << 20
live = memory["peak_live_blob_bytes"]
limit = weights + 2 * live
base = json.load(open(sys.argv[3]))["memory"]["peak_rss_kib"] * 1024
peak = memory["peak_rss_kib"] * 1024
used = peak - base
print(f"{weights / mib:8.1f}MB {live / mib:8.1f}MB {limit / mib:8.1f}MB {base / mib:8.1f}MB {peak / mib:8.1f}MB "
      f"{used / mib:8.1f}MB {'FAIL' if used > limit else 'ok'}")
PY
)
    printf '%-14s %7s %s\n' "$net" "$threads" "$line"
    [[ $line == *FAIL ]] && status=1
  done
done
echo "(limit = weights (the ONNX initializers' bytes) + 2 x live max (run --json's peak_live_blob_bytes);"
echo " RSS used = this net's peak RSS - the peak RSS of the same command on the one-ReLU baseline model)"
exit $status

#!/usr/bin/env bash
# Checks mlconv against its performance targets and prints PASS/FAIL per target:
#   (a) `mlconv inspect` of a 500 MB model: under 1 s wall, peak RSS under 1.5x the file size
#   (b) a fresh `mlconv --version` process: under 20 ms
# Exits 1 when a target fails, 2 when the benchmark itself cannot run.
#
# Environment (all optional):
#   MLCONV_BENCH_BUILD      build directory (default: <repo>/build-bench, configured Release)
#   MLCONV_BENCH_DATA       where generated models live (default: /tmp/mlconv-bench)
#   MLCONV_BENCH_MEGABYTES  model size in MiB (default: 500)
#   MLCONV_BENCH_RUNS       timed runs per inspect mode (default: 5)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MLCONV_BENCH_BUILD:-$root/build-bench}
data=${MLCONV_BENCH_DATA:-/tmp/mlconv-bench}
megabytes=${MLCONV_BENCH_MEGABYTES:-500}
runs=${MLCONV_BENCH_RUNS:-5}
model=$data/large-${megabytes}mb.mlmodel

wall_limit_s=1.0
rss_limit_ratio=1.5
version_limit_ms=20

die() {
  echo "bench: $*" >&2
  exit 2
}

for tool in cmake /usr/bin/time hyperfine awk; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (Debian: apt-get install cmake time hyperfine)"
done

# A Debug or RelWithDebInfo build would measure the wrong thing, so the build type is always forced.
echo "== build (Release) in $build"
mkdir -p "$build"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$build" -j"$(nproc)" --target mlconv mlconv_make_large_model; } >"$build/bench-build.log" 2>&1; then
  tail -n 30 "$build/bench-build.log" >&2
  die "build failed; full log: $build/bench-build.log"
fi
mlconv=$build/cli/mlconv
generator=$build/bench/mlconv_make_large_model

if [[ ! -s $model ]]; then
  echo "== generating $model"
  mkdir -p "$data"
  /usr/bin/time -f 'generator: %e s wall, %M KiB peak RSS' "$generator" "$model" --megabytes "$megabytes" --seed 1 ||
    die "could not generate $model"
fi
size=$(stat -c %s "$model")

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== machine"
echo "cpu:    $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; other work on the machine skews timings)"
echo "mlconv: $("$mlconv" --version), working tree at HEAD $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "model:  $model, $size bytes"

# The targets are about mlconv, not the disk: read the file once so every run
# finds it in the page cache, and make sure inspect can read it at all.
cat "$model" >/dev/null
if ! "$mlconv" inspect "$model" >/dev/null 2>"$scratch/error"; then
  cat "$scratch/error" >&2
  die "mlconv inspect cannot read $model (see above)"
fi

results=()  # "label|measured|limit|PASS or FAIL"
failed=0
record() {
  results+=("$1|$2|$3|$4")
  [[ $4 == FAIL ]] && failed=1
  return 0
}

# median: the median of the numbers on stdin, one per line.
median() {
  sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# measure LABEL TARGETED [INSPECT-FLAGS...]: median wall time and max peak RSS over $runs runs.
measure() {
  local label=$1 targeted=$2
  shift 2
  : >"$scratch/samples"
  for ((run = 1; run <= runs; ++run)); do
    /usr/bin/time -f '%e %M %U %S %R' -o "$scratch/time" "$mlconv" inspect "$model" "$@" >/dev/null 2>"$scratch/error" || {
      cat "$scratch/error" >&2
      die "mlconv inspect $* failed"
    }
    cat "$scratch/time" >>"$scratch/samples"
  done
  local walls median cpu faults rss ratio
  walls=$(awk '{print $1}' "$scratch/samples" | tr '\n' ' ')
  median=$(awk '{print $1}' "$scratch/samples" | median)
  # CPU time (user + sys) is what the run costs without the wait for a busy CPU.
  cpu=$(awk '{printf "%.2f\n", $3 + $4}' "$scratch/samples" | median)
  faults=$(awk '{print $5}' "$scratch/samples" | median)
  rss=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$scratch/samples")
  ratio=$(awk -v kib="$rss" -v bytes="$size" 'BEGIN {printf "%.2f", kib * 1024 / bytes}')
  echo "$label: wall ${walls}s; median cpu (user+sys) ${cpu} s; median minor page faults $faults; peak RSS max $rss KiB = ${ratio}x file"
  if [[ $targeted == yes ]]; then
    record "$label wall (median of $runs)" "$median s (cpu $cpu s)" "< $wall_limit_s s" \
      "$(awk -v m="$median" -v l="$wall_limit_s" 'BEGIN {print (m < l) ? "PASS" : "FAIL"}')"
    record "$label peak RSS (max of $runs)" "$((rss / 1024)) MiB = ${ratio}x file" "< ${rss_limit_ratio}x" \
      "$(awk -v r="$ratio" -v l="$rss_limit_ratio" 'BEGIN {print (r < l) ? "PASS" : "FAIL"}')"
  else
    record "$label wall (median of $runs)" "$median s (cpu $cpu s)" "-" "info"
    record "$label peak RSS (max of $runs)" "$((rss / 1024)) MiB = ${ratio}x file" "-" "info"
  fi
}

echo "== mlconv inspect, $runs runs each (/usr/bin/time)"
measure "inspect" yes
measure "inspect --json" yes --json
measure "inspect --layers" yes --layers
# Not a target: decodes every weight, so it shows what a full pass over the values costs.
measure "inspect --weights" no --weights

echo "== mlconv --version, a new process per run (hyperfine)"
# --shell=none: time the process itself, not a shell starting it (hyperfine splits the
# command like a shell would, hence the quoting of the path).
hyperfine --shell=none --style basic --warmup 3 --runs 50 --export-csv "$scratch/startup.csv" \
  "$(printf '%q' "$mlconv") --version" "/bin/true"
# CSV columns: command,mean,stddev,median,user,system,min,max (seconds; user and system are means)
version=$(awk -F, 'NR == 2 {printf "%.2f %.2f %.2f %.2f", $4 * 1000, $7 * 1000, $2 * 1000, ($5 + $6) * 1000}' "$scratch/startup.csv")
true_ms=$(awk -F, 'NR == 3 {printf "%.2f", $4 * 1000}' "$scratch/startup.csv")
read -r version_median version_min version_mean version_cpu <<<"$version"
record "--version start (median of 50)" \
  "$version_median ms (min $version_min, mean $version_mean, cpu $version_cpu; /bin/true $true_ms)" \
  "< $version_limit_ms ms" "$(awk -v m="$version_median" -v l="$version_limit_ms" 'BEGIN {print (m < l) ? "PASS" : "FAIL"}')"

echo
echo "== summary ($size-byte model)"
{
  echo "target|measured|limit|result"
  printf '%s\n' "${results[@]}"
} | awk -F'|' '{for (i = 1; i <= NF; ++i) {cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i)}}
  END {format = "%-" w[1] "s  %-" w[2] "s  %-" w[3] "s  %s\n"
       for (r = 1; r <= NR; ++r) printf format, cell[r, 1], cell[r, 2], cell[r, 3], cell[r, 4]}'
if ((failed)); then
  echo "bench: at least one target FAILED" >&2
  exit 1
fi
echo "bench: all targets met"

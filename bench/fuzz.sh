#!/usr/bin/env bash
# Long fuzzing runs: each libFuzzer target for a number of executions or minutes,
# starting from its seed corpus, keeping what it learns in BUILD/fuzz/long/<target>/corpus
# (reused by the next run). A crash, leak, sanitizer report or input slower than
# 10 s stops that target, leaves the input in BUILD/fuzz/long/<target>/ and makes
# the script exit 1. Prints one line per target: executions, time, outcome.
#
#   bash bench/fuzz.sh                       # every target, 30 minutes each
#   bash bench/fuzz.sh -t 10 npy image       # two targets, 10 minutes each
#   bash bench/fuzz.sh -n 1000000 onnx       # one target, a million executions or 30 minutes,
#                                            # whichever comes first (the issue's measure)
#
# Builds with the `fuzz` preset (clang, ASan + UBSan) into build-fuzz unless -b names
# another build tree that has the targets (the `sanitize` preset's build-sanitize does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
minutes=30
runs=""
while getopts "b:t:n:" option; do
  case $option in
    b) build=$(cd "$OPTARG" && pwd) ;;
    t) minutes=$OPTARG ;;
    n) runs=$OPTARG ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_inspect model_run json_graph rules onnx npy image)

if [ "$build" = "$root/build-fuzz" ]; then
  (cd "$root" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j 2 >/dev/null)
fi
bash "$root/fuzz/make_corpus.sh" "$build/fuzz/long-seeds" "$root/../shared/realmodels" >/dev/null

limit=(-max_total_time=$((minutes * 60)))
[ -n "$runs" ] && limit+=(-runs="$runs")
status=0
for target in "${targets[@]}"; do
  work=$build/fuzz/long/$target
  mkdir -p "$work/corpus"
  log=$work/fuzz.log
  start=$(date +%s)
  outcome=ok
  (cd "$work" && nice -n 10 "$build/fuzz/fuzz_$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2560 \
      -print_final_stats=1 corpus "$build/fuzz/long-seeds/$target" >"$log" 2>&1) || outcome=FAILED
  seconds=$(( $(date +%s) - start ))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  artifacts=$(cd "$work" && ls crash-* leak-* timeout-* oom-* slow-unit-* 2>/dev/null | tr '\n' ' ' || true)
  printf '%-14s %10s executions %6s s  corpus %5s  %s %s\n' "$target" "${executions:-?}" "$seconds" \
    "$(find "$work/corpus" -type f | wc -l)" "$outcome" "$artifacts"
  [ "$outcome" = ok ] || { status=1; tail -n 40 "$log" >&2; }
done
exit $status

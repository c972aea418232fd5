#!/bin/bash
# CTest: the generated bash completion (argument 1) parses, and completing in
# bash offers what mlconv accepts: commands, a command's options, option
# choices, files and directories. Called the way bash calls it on <TAB>.
set -u
completion=$1
failures=0

bash -n "$completion" || { echo "FAIL: bash -n $completion"; exit 1; }
# shellcheck source=/dev/null
source "$completion"
[[ $(complete -p mlconv) == "complete -F _mlconv mlconv" ]] || { echo "FAIL: no complete -F _mlconv mlconv"; exit 1; }

# expect "WANTED" WORD...: completing the last word of WORDS gives WANTED (one candidate per line, sorted).
expect() {
  local wanted=$1
  shift
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _mlconv
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort)
  if [[ $got != "$wanted" ]]; then
    echo "FAIL: mlconv ${*:2}<TAB>: expected [${wanted//$'\n'/ }], got [${got//$'\n'/ }]"
    failures=$((failures + 1))
  fi
}

expect "inspect" mlconv ins
expect $'convert\ndump\ninspect\nrun\nscaffold\nvalidate' mlconv ""   # completion and manpage stay hidden
expect "--threads" mlconv run model.mlmodel --thr
expect $'--dump-dir\n--dump-layers' mlconv run --dump-
expect "" mlconv run --seed ""                                      # a number: nothing to offer
expect $'json\njunit' mlconv validate --format j
expect $'json\njunit' mlconv validate --format = j                  # --format=j, split at '='
expect $'always\nauto' mlconv --color a
expect "--quiet" mlconv inspect --qu                                # global options work after the command
expect $'iOS11\niOS11.2' mlconv convert --minimum-deployment-target iOS11

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/plugins" "$work/plain"
touch "$work/plugins/libswish.so" "$work/model.mlmodel"
cd "$work" || exit 1
expect "plugins/libswish.so" mlconv run --plugin plugins/lib
expect "model.mlmodel" mlconv inspect mo
expect $'plain\nplugins' mlconv run m.mlmodel --output-dir pl          # directories only
expect "plugins" mlconv scaffold --cpp plu

if ((failures > 0)); then
  echo "$failures completion check(s) failed"
  exit 1
fi
echo "bash completion: all checks passed"

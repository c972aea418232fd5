#!/bin/sh
# CTest: on a terminal (a pseudo-terminal from script(1)) warnings and errors
# are coloured, unless NO_COLOR is set to a non-empty value or --color never
# is given. Skipped (exit 77) without script(1).
set -u
mlconv=$1
command -v script >/dev/null 2>&1 || { echo "script(1) is not installed; skipping"; exit 77; }
esc=$(printf '\033[')

# on_tty NO_COLOR-VALUE|unset ARGS...: mlconv's output on a pseudo-terminal.
on_tty() {
  value=$1
  shift
  if [ "$value" = unset ]; then
    env -u NO_COLOR TERM=xterm-256color script -qec "'$mlconv' $*" /dev/null </dev/null
  else
    env NO_COLOR="$value" TERM=xterm-256color script -qec "'$mlconv' $*" /dev/null </dev/null
  fi
}

# check colour|plain WHAT OUTPUT
check() {
  case $3 in
    *"$esc"*) got=colour ;;
    *) got=plain ;;
  esac
  [ "$got" = "$1" ] || { echo "FAIL: $2: expected $1 output, got: $3"; exit 1; }
  case $3 in
    *"error"*) ;;
    *) echo "FAIL: $2: no error message in: $3"; exit 1 ;;
  esac
}

check colour "a terminal" "$(on_tty unset inspect missing.mlmodel)"
check colour "NO_COLOR set but empty" "$(on_tty "" inspect missing.mlmodel)"
check plain "NO_COLOR=1" "$(on_tty 1 inspect missing.mlmodel)"
check plain "--color never" "$(on_tty unset --color never inspect missing.mlmodel)"
check plain "NO_COLOR=1 with --color always" "$(on_tty 1 --color always inspect missing.mlmodel)"
echo "colour follows the terminal, NO_COLOR and --color"

#!/bin/sh
# CTest: the generated man page (argument 1) renders without a single groff
# warning (-ww) and shows what a reader looks for. Skipped (exit 77) without groff.
set -u
page=$1
command -v groff >/dev/null 2>&1 || { echo "groff is not installed; skipping"; exit 77; }
rendered=$(groff -man -Tutf8 -ww "$page" 2>"$page.warnings") || { echo "FAIL: groff failed"; cat "$page.warnings"; exit 1; }
if [ -s "$page.warnings" ]; then
  echo "FAIL: groff warns:"; cat "$page.warnings"; exit 1
fi
rm -f "$page.warnings"
plain=$(printf '%s\n' "$rendered" | sed 's/.\x08//g')   # drop overstriking (bold, underline)
for wanted in "NAME" "SYNOPSIS" "GLOBAL OPTIONS" "mlconv run [OPTIONS] model" "--minimum-deployment-target" \
              "mlconv validate --format json model.mlmodel" "NO_COLOR" "EXIT STATUS"; do
  case $plain in
    *"$wanted"*) ;;
    *) echo "FAIL: the rendered page lacks '$wanted'"; exit 1 ;;
  esac
done
if command -v man >/dev/null 2>&1; then
  man -l "$page" >/dev/null 2>"$page.warnings" || { echo "FAIL: man -l"; cat "$page.warnings"; exit 1; }
  rm -f "$page.warnings"
fi
echo "man page renders cleanly"

#!/usr/bin/python3
"""Runs the commands shown in README.md and docs/*.md and compares what they print.

The convention (docs/README.md, "Commands in the docs are tested"):

* A fenced block opened with ```console is run. Lines starting with `$ ` are commands
  (a trailing backslash continues one onto the next line); the lines after a command, up
  to the next command or the end of the block, are what it prints: its standard output,
  then its standard error.
* In the expected output, a line that is `...` (indented or not) matches any number of
  lines (none included), and `...` inside a line matches any text on that line.
* A command may exit non-zero only when its expected output shows an error (a line
  containing `error`) or the next command is `echo $?`, which prints the code.
* `<!-- doctest: skip REASON -->` on the line before a ```console block marks it as not
  run (installs, files the test cannot provide). Every skip is listed in the report.
* ```sh, ```json and plain ``` blocks are never run: they show syntax, files or commands
  with placeholders.

Each document runs in one bash session (so `cd` and variables carry from block to block)
in a fresh temporary directory holding a copy of examples/ and tests/docs/fixtures/,
links to the real models (../shared/realmodels) and a `build` link to the build tree, with
the built mlconv first on PATH. Paths of the temporary directory print as `.`.

Usage: run_doc_commands.py --source DIR --build DIR [--mlconv FILE] [--realmodels DIR] [FILE.md ...]
Exit status 0 when every run block matches, 1 otherwise (with a diff per mismatch).
"""

import argparse
import difflib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SKIP_MARK = re.compile(r"^<!--\s*doctest:\s*skip\b(.*?)-->\s*$")


class Command:
    def __init__(self, doc, line, text):
        self.doc = doc
        self.line = line  # 1-based line of the `$ ` in the document
        self.text = text
        self.expected = []


def parse_document(path):
    """The run commands of one document, and the skipped blocks (line, reason)."""
    commands, skipped = [], []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        info = fence[3:].strip()
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append((i + 1, lines[i]))
            i += 1
        i += 1  # closing fence
        if info != "console":
            continue
        mark = SKIP_MARK.match(lines[start - 1].strip()) if start > 0 else None
        if mark:
            skipped.append((start + 1, mark.group(1).strip() or "no reason given"))
            continue
        current = None
        continuing = False
        for number, text in body:
            if continuing:
                current.text += "\n" + text
                continuing = text.endswith("\\")
            elif text.startswith("$ "):
                current = Command(path, number, text[2:])
                commands.append(current)
                continuing = text.endswith("\\")
            elif current is None:
                raise SystemExit(f"{path}:{number}: a console block must start with a `$ ` command line")
            else:
                current.expected.append(text)
    return commands, skipped


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
# Printed results may differ in their last digit between compilers (clang's sanitizer
# build, FMA contraction); the docs show commands, the numerics are tested elsewhere.
NUMBER_TOLERANCE = 1e-4


def close(documented, printed):
    a, b = float(documented), float(printed)
    return abs(a - b) <= NUMBER_TOLERANCE * max(abs(a), abs(b))


def line_matches(pattern, actual):
    if pattern == actual:
        return True
    numbers = []
    regex = []
    for part_index, part in enumerate(pattern.split("...")):
        if part_index:
            regex.append(".*")
        position = 0
        for number in NUMBER.finditer(part):
            regex.append(re.escape(part[position:number.start()]))
            regex.append(r"([-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)")
            numbers.append(number.group())
            position = number.end()
        regex.append(re.escape(part[position:]))
    found = re.fullmatch("".join(regex), actual, re.DOTALL)
    return found is not None and all(close(n, p) for n, p in zip(numbers, found.groups()))


def output_matches(expected, actual):
    """Matches line lists where an expected `...` line stands for any lines."""
    memo = {}

    def match(e, a):
        key = (e, a)
        if key in memo:
            return memo[key]
        if e == len(expected):
            result = a == len(actual)
        elif expected[e].strip() == "...":
            result = any(match(e + 1, k) for k in range(a, len(actual) + 1))
        else:
            result = a < len(actual) and line_matches(expected[e], actual[a]) and match(e + 1, a + 1)
        memo[key] = result
        return result

    return match(0, 0)


def prepare_workdir(work, source, build, realmodels):
    shutil.copytree(source / "examples", work / "examples")
    fixtures = source / "tests" / "docs" / "fixtures"
    if fixtures.is_dir():
        for item in fixtures.iterdir():
            target = work / item.name
            (shutil.copytree if item.is_dir() else shutil.copy)(item, target)
    (work / "build").symlink_to(build.resolve())
    if realmodels and realmodels.is_dir():
        for item in realmodels.iterdir():
            if item.suffix in (".mlmodel", ".png") and not (work / item.name).exists():
                (work / item.name).symlink_to(item.resolve())


def run_document(doc, commands, source, build, mlconv, realmodels):
    """Runs one document's commands in one bash session; returns failure texts."""
    with tempfile.TemporaryDirectory(prefix="mlconv-doc-") as tmp:
        work = pathlib.Path(tmp) / "work"
        outs = pathlib.Path(tmp) / "out"
        work.mkdir()
        outs.mkdir()
        prepare_workdir(work, source, build, realmodels)
        script = ["cd " + shlex_quote(str(work)), "__rc=0"]
        for n, command in enumerate(commands):
            o, e, r = (shlex_quote(str(outs / f"{n}.{kind}")) for kind in ("out", "err", "rc"))
            # `(exit $__rc)` gives the command the previous command's $?, so `echo $?` works.
            script.append(f"(exit $__rc); {{ {command.text}\n}} >{o} 2>{e} </dev/null; __rc=$?; echo $__rc >{r}")
        env = dict(os.environ)
        env["PATH"] = str(mlconv.resolve().parent) + os.pathsep + env.get("PATH", "")
        env["LC_ALL"] = "C.UTF-8"
        env["NO_COLOR"] = "1"
        env.pop("MLCONV_PLUGIN_PATH", None)
        subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=work, timeout=600, check=False)
        failures = []
        for n, command in enumerate(commands):
            where = f"{doc}:{command.line}: $ {command.text}"
            rc_file = outs / f"{n}.rc"
            if not rc_file.exists():
                failures.append(f"{where}\n  did not run (an earlier command ended the session)")
                continue
            actual = normalize((outs / f"{n}.out").read_text(errors="replace") +
                               (outs / f"{n}.err").read_text(errors="replace"), work, build)
            rc = int(rc_file.read_text())
            if not output_matches(command.expected, actual):
                diff = difflib.unified_diff(command.expected, actual, "documented", "printed", lineterm="")
                failures.append(f"{where}\n  output differs:\n" + "\n".join("    " + d for d in diff))
            next_is_echo = n + 1 < len(commands) and commands[n + 1].text.strip() == "echo $?"
            shows_error = any("error" in line for line in command.expected)
            if rc != 0 and not (next_is_echo or shows_error):
                failures.append(f"{where}\n  exited with {rc}, but the docs show no error")
        return failures


def normalize(text, work, build):
    text = text.replace(str(work) + "/", "").replace(str(work), ".")
    text = text.replace(str(build.resolve()), "build")
    lines = text.splitlines()
    return lines


def shlex_quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=pathlib.Path, required=True)
    parser.add_argument("--build", type=pathlib.Path, required=True)
    parser.add_argument("--mlconv", type=pathlib.Path, help="the mlconv binary (default: BUILD/cli/mlconv)")
    parser.add_argument("--realmodels", type=pathlib.Path)
    parser.add_argument("documents", nargs="*", type=pathlib.Path)
    args = parser.parse_args()
    mlconv = args.mlconv or args.build / "cli" / "mlconv"
    if not mlconv.is_file():
        raise SystemExit(f"run_doc_commands.py: {mlconv}: no mlconv binary; build it first")
    documents = args.documents or [args.source / "README.md", *sorted((args.source / "docs").rglob("*.md"))]
    failures, ran, skipped_total = [], 0, 0
    for doc in documents:
        commands, skipped = parse_document(doc)
        doc, source = doc.resolve(), args.source.resolve()
        shown = doc.relative_to(source) if doc.is_relative_to(source) else doc
        for line, reason in skipped:
            print(f"skipped {shown}:{line}: {reason}")
        skipped_total += len(skipped)
        if not commands:
            continue
        ran += len(commands)
        failures += run_document(shown, commands, args.source, args.build, mlconv, args.realmodels)
    for failure in failures:
        print("FAIL " + failure)
    print(f"{ran} documented commands run, {len(failures)} failures, {skipped_total} blocks skipped")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

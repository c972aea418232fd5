# Reads the literal expectations out of a kernel test file and compares them with a
# family script's recomputation. Reading the C++ text (rather than a copy of the numbers)
# means an edited literal is checked the next time this runs.
import os
import re

import numpy as np

KERNELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "executor", "kernels")

# doctest::Approx's default epsilon (100 float epsilons) with its scale of 1.
APPROX_EPSILON = float(np.finfo(np.float32).eps) * 100
# check_tensor's default atol and rtol; check_summary's default tolerance.
TENSOR_TOLERANCE = 1e-5
SUMMARY_TOLERANCE = 1e-3

_NAME = re.compile(r'TEST_CASE\("((?:[^"\\]|\\.)*)"\)')
# CHECK(out[0].data()[i] == doctest::Approx(v)) or, compared exactly, CHECK(out[0].data()[i] == v);
# values() reads the same elements as data()
_POINT = re.compile(r"CHECK\(\s*\w+\[0\]\.(?:data|values)\(\)\[(\d+)\]\s*==\s*"
                    r"(?:doctest::Approx\(([^()]+)\)|([^()\s]+))\s*\)")
# REQUIRE(out[0].shape() == Shape{...}) on an output that no check_tensor reads: pins a shape
_SHAPE = re.compile(r"REQUIRE\(\s*\w+\[0\]\.shape\(\)\s*==\s*Shape\s*(\{[^{}]*\})\s*\)")
_CONST = re.compile(r"(?:constexpr|const)\s+(?:float|double|int|std::int64_t)\s+([^;()]+);")
_LIMITS = {"std::numeric_limits<float>::infinity()": "inf", "std::numeric_limits<float>::quiet_NaN()": "nan"}
_RANGE_OF = re.compile(r"range_of\(\s*([^,()]+)\s*(?:,\s*([^()]+))?\)$")
_FLOAT_SUFFIX = re.compile(r"(\d\.?\d*(?:[eE][-+]?\d+)?)[fF]\b")
_FILLED = re.compile(r"std::vector<float>\(\s*(\d+)\s*,\s*([^()]+)\)$")
_INDEXED = re.compile(r"(\w+)\[\w+\]$")


class Check:
    def __init__(self, kind, **fields):
        self.kind = kind  # "tensor", "summary" or "point"
        self.__dict__.update(fields)


def _number(text, constants=None):
    """A C++ float literal, or a simple arithmetic expression over named constants."""
    text = text.strip()
    for limit, name in _LIMITS.items():
        text = text.replace(limit, name)
    text = _FLOAT_SUFFIX.sub(r"\1", text)
    try:
        return float(text)
    except ValueError:
        names = {"inf": float("inf"), "nan": float("nan")}
        names.update(constants or {})
        return float(eval(text, {"__builtins__": {}}, names))  # noqa: S307 (test sources only)


def _closing(text, start):
    """Index just past the bracket that closes the one at text[start]."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = []
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "R" and text.startswith('R"(', i):
            i = text.index(')"', i) + 1
        elif ch in pairs:
            stack.append(pairs[ch])
        elif ch in ")}]":
            if not stack or stack.pop() != ch:
                raise ValueError("unbalanced brackets near: " + text[start:start + 80])
            if not stack:
                return i + 1
        i += 1
    raise ValueError("unclosed bracket near: " + text[start:start + 80])


def _split_args(text):
    args, depth, current = [], 0, []
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    args.append("".join(current).strip())
    return args


def _braced(text, body):
    """The {...} text of a literal, or of the named vector defined earlier in the case."""
    text = text.strip()
    if text.startswith("{"):
        return text
    match = re.search(r"\b" + re.escape(text) + r"\s*(?:=\s*)?\{", body)
    if not match:
        raise ValueError("cannot find the values of '%s'" % text)
    start = match.end() - 1
    return body[start:_closing(body, start)]


def _list(text, body, constants):
    """The numbers of a literal list; for `name[i]` (one check inside a loop over a vector of
    vectors) a list of such lists, one per iteration."""
    text = text.strip()
    filled = _FILLED.match(text)
    if filled:
        return [_number(filled.group(2), constants)] * int(filled.group(1))
    ramp = _RANGE_OF.match(text)  # the shape tests' range_of(n, start = 0)
    if ramp:
        start = _number(ramp.group(2), constants) if ramp.group(2) else 0.0
        return [start + k for k in range(int(_number(ramp.group(1), constants)))]
    indexed = _INDEXED.match(text)
    if indexed:
        outer = _braced(indexed.group(1), body).strip()[1:-1]
        rows, i = [], 0
        while True:
            start = outer.find("{", i)
            if start < 0:
                return rows
            stop = _closing(outer, start)
            rows.append(_list(outer[start:stop], body, constants))
            i = stop
    inner = _braced(text, body).strip()[1:-1]
    return [_number(v, constants) for v in inner.split(",") if v.strip()]


def _constants(text, constants):
    """Adds the arithmetic `const` / `constexpr` numbers of text (one or several per declaration)."""
    for m in _CONST.finditer(text):
        for declarator in _split_args(m.group(1)):
            name, _, value = declarator.partition("=")
            try:
                constants[name.strip()] = _number(value, constants)
            except Exception:  # not arithmetic (a Tensor, a string); no pinned value uses it
                pass
    return constants


def parse_cases(source, helpers=None, named=None):
    """{case name: [Check, ...]} in source order, for every TEST_CASE of the file. `helpers` names
    the file's own checking functions: {name: (values argument, tolerance argument, default
    tolerance)}; each element is compared as CHECK(a == doctest::Approx(e).epsilon(tolerance))
    and the call pins no shape. A call whose values the test computes (a loop filling a vector)
    becomes a "tensor" check with values None: its shape is checked, its values are not.
    `named` = {case name: [vector name, ...]} adds, where each is defined, a check of a literal
    vector that the case combines into its expectation (a row it repeats, say)."""
    with open(os.path.join(KERNELS_DIR, source)) as f:
        text = f.read()
    helpers = helpers or {}
    calls = re.compile(r"\b(" + "|".join(["check_tensor", "check_summary"] + sorted(helpers)) + r")\(")
    file_constants = _constants(text, {})
    heads = list(_NAME.finditer(text))
    cases = {}
    for k, head in enumerate(heads):
        name = head.group(1)
        if name in cases:
            raise ValueError("%s: duplicate TEST_CASE name '%s'" % (source, name))
        body = text[head.end():heads[k + 1].start() if k + 1 < len(heads) else len(text)]
        constants = _constants(body, dict(file_constants))
        found = []
        for m in calls.finditer(body):
            open_paren = m.end() - 1
            args = _split_args(body[open_paren + 1:_closing(body, open_paren) - 1])
            if m.group(1) in helpers:
                values_arg, tol_arg, default_tol = helpers[m.group(1)]
                tol = _number(args[tol_arg], constants) if len(args) > tol_arg else default_tol
                found.append((m.start(), Check("tensor", shape=None, values=_list(args[values_arg], body, constants),
                                               atol=tol, rtol=tol, approx=True)))
                continue
            shape = [int(v) for v in _list(args[1], body, constants)]
            if m.group(1) == "check_tensor":
                atol = _number(args[3], constants) if len(args) > 3 else TENSOR_TOLERANCE
                rtol = _number(args[4], constants) if len(args) > 4 else TENSOR_TOLERANCE
                try:
                    values = _list(args[2], body, constants)
                except (ValueError, NameError, SyntaxError):
                    values = None  # computed by the test, not pinned
                found.append((m.start(), Check("tensor", shape=shape, values=values, atol=atol, rtol=rtol,
                                               approx=False)))
            else:
                tol = _number(args[4]) if len(args) > 4 else SUMMARY_TOLERANCE
                found.append((m.start(), Check("summary", shape=shape, total=_number(args[2]),
                                               weighted=_number(args[3]), tol=tol)))
        for vector in (named or {}).get(name, ()):
            match = re.search(r"\b" + re.escape(vector) + r"\s*(?:=\s*)?\{", body)
            if not match:
                raise ValueError("%s: '%s' defines no literal vector '%s'" % (source, name, vector))
            found.append((match.start(), Check("tensor", shape=None, values=_list(vector, body, constants),
                                               atol=TENSOR_TOLERANCE, rtol=TENSOR_TOLERANCE, approx=False)))
        for m in _SHAPE.finditer(body):
            found.append((m.start(), Check("shape", shape=[int(v) for v in _list(m.group(1), body, constants)])))
        for m in _POINT.finditer(body):
            exact = m.group(3) is not None
            found.append((m.start(), Check("point", index=int(m.group(1)), exact=exact,
                                           value=_number(m.group(3) if exact else m.group(2), constants))))
        cases[name] = [c for _, c in sorted(found, key=lambda p: p[0])]
    return cases


def _squeezed(shape):
    return [int(d) for d in shape if d != 1]


def _approx(actual, expected, epsilon):
    return abs(actual - expected) < epsilon * (1.0 + max(abs(actual), abs(expected)))


def _close(actual, expected, check):
    """check_tensor's rule (NaN matches NaN, an infinity only itself, else atol + rtol * |e|), or
    for a helper call doctest::Approx's."""
    with np.errstate(invalid="ignore"):
        if check.approx:
            # doctest's comparison is false for NaN and for equal infinities alike
            return np.array([_approx(a, e, check.atol) for a, e in zip(actual, expected)], dtype=bool)
        close = np.where(np.isinf(expected), actual == expected,
                         np.abs(actual - expected) <= check.atol + check.rtol * np.abs(expected))
    return close | (np.isnan(actual) & np.isnan(expected))


def compare(checks, results, known=(), exact_shapes=False):
    """Failure messages for one case: `results` holds one array per check_tensor / check_summary
    call, in order; a point check reads the array of the call before it. `known` lists
    (call number, element index) pairs of reported mismatches, which still fail but are named.
    Shapes are compared without their unit axes unless `exact_shapes` (as check_tensor does),
    for families whose recomputations produce the full output shape (the ND shape layers,
    where a unit axis is the layer's whole effect)."""
    calls = [c for c in checks if c.kind != "point"]
    if len(results) != len(calls):
        return ["recomputed %d outputs for %d pinned calls" % (len(results), len(calls))]
    failures = []
    y = None
    where = ""
    call = -1
    for check in checks:
        if check.kind == "point":
            if y is None:  # the call it reads failed above; one before any call cannot be checked
                if call < 0:
                    failures.append("data()[%d] is checked before any check_tensor / check_summary" % check.index)
                continue
            flat = y.reshape(-1)
            got = flat[check.index] if check.index < flat.size else float("nan")
            ok = got == check.value if check.exact else _approx(got, check.value, APPROX_EPSILON)
            if not ok:
                failures.append("%s: data()[%d] recomputed %.9g, pinned %.9g" % (where, check.index, got, check.value))
            continue
        call += 1
        where = "call %d (%s)" % (call + 1, "REQUIRE of the shape" if check.kind == "shape" else "check_" + check.kind)
        variants = check.kind == "tensor" and bool(check.values) and isinstance(check.values[0], list)
        outputs = results[call] if variants else [results[call]]
        expected_lists = check.values if variants else [getattr(check, "values", None)]
        if len(outputs) != len(expected_lists):
            failures.append("%s: recomputed %d loop iterations, %d pinned" % (where, len(outputs), len(expected_lists)))
            y = None
            continue
        for k, (output, values) in enumerate(zip(outputs, expected_lists)):
            label = where + (" iteration %d" % k if variants else "")
            y = np.asarray(output, dtype=np.float64)
            if check.shape is None:  # a helper call pins the values only
                pass
            elif y.size != int(np.prod(check.shape)) or (
                    list(y.shape) != check.shape if exact_shapes else _squeezed(y.shape) != _squeezed(check.shape)):
                failures.append("%s: shape %s recomputed, %s pinned" % (label, list(y.shape), check.shape))
                y = None
                continue
            flat = y.reshape(-1)
            if check.kind == "summary":
                total = flat.sum()
                weighted = (flat * (np.arange(flat.size) % 7 + 1)).sum()
                for name, got, pin in (("sum", total, check.total), ("weighted sum", weighted, check.weighted)):
                    if not _approx(got, pin, check.tol):
                        failures.append("%s: %s recomputed %.9g, pinned %.9g" % (label, name, got, pin))
                continue
            if check.kind == "shape" or values is None:
                continue
            expected = np.asarray(values, dtype=np.float64)
            if expected.size != flat.size:
                failures.append("%s: %d values pinned for %d outputs" % (label, expected.size, flat.size))
                continue
            bad = np.nonzero(~_close(flat, expected, check))[0]
            for i in bad:
                tag = " [known mismatch]" if (call + 1, int(i)) in known else ""
                failures.append("%s: element %d recomputed %.9g, pinned %.9g%s" % (label, i, flat[i], expected[i], tag))
    return failures


def verify(source, recompute, skipped, known_mismatches=None, helpers=None, named=None, exact_shapes=False):
    """Runs every recomputation of a family and accounts for every TEST_CASE of its file.
    Returns (recomputed count, {reason: count}, failure messages)."""
    known_mismatches = known_mismatches or {}
    cases = parse_cases(source, helpers, named)
    failures = []
    for name in sorted(set(recompute) | set(skipped)):
        if name not in cases:
            failures.append("%s: '%s' is listed by the script but is not a TEST_CASE of the file" % (source, name))
        elif name in recompute and name in skipped:
            failures.append("%s: '%s' is both recomputed and skipped" % (source, name))
    reasons = {}
    done = 0
    for name, checks in cases.items():
        if name in skipped:
            if checks and "pins no values" in skipped[name]:
                failures.append("%s: '%s' is skipped as pinning no values but has %d pinned checks"
                                % (source, name, len(checks)))
            reasons[skipped[name]] = reasons.get(skipped[name], 0) + 1
            continue
        if name not in recompute:
            failures.append("%s: '%s' is neither recomputed nor listed as skipped" % (source, name))
            continue
        if not checks:
            failures.append("%s: '%s' pins no values; list it as skipped" % (source, name))
            continue
        try:
            results = recompute[name]()
        except Exception as error:  # a broken recomputation must fail the check, not hide it
            failures.append("%s: '%s': recomputation raised %r" % (source, name, error))
            continue
        problems = compare(checks, results, known_mismatches.get(name, ()), exact_shapes)
        failures.extend("%s: '%s': %s" % (source, name, p) for p in problems)
        done += 1
    return done, reasons, failures


def report(family, source, recompute, skipped, known_mismatches=None, helpers=None, named=None, exact_shapes=False):
    done, reasons, failures = verify(source, recompute, skipped, known_mismatches, helpers, named, exact_shapes)
    skipped_count = sum(reasons.values())
    why = "; ".join("%d: %s" % (n, r) for r, n in sorted(reasons.items()))
    print("%s (%s): %d pinned cases recomputed, %d skipped%s" % (
        family, source, done, skipped_count, " (" + why + ")" if why else ""))
    for f in failures:
        print("  MISMATCH " + f)
    return not failures

#!/usr/bin/python3
# Recomputes the pinned expectations of reduction_test.cc from each reduction's definition
# (spec/proto/NeuralNetwork.proto, docs/executor/elementwise.md): the ND reduce layers with
# axes / keepDims / reduceAll, the classic reduce that keeps the rank, argMax/argMin with the
# first extreme, and cumSum with its exclusive and reverse forms.
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402

SOURCE = "reduction_test.cc"
X = np.array([[[1, 2, 3], [4, 5, 6]], [[-1, 0.5, 2], [3, -2, 1]]], dtype=np.float64)  # kX as [2, 2, 3]
P = np.abs(X) + 0.5  # the tests' `positive`


def logsumexp(x, axis, keepdims=False):
    """log(sum(exp(x))) with the maximum subtracted first; a slice of all -inf gives -inf."""
    m = np.max(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):  # log(0) of an all -inf slice is the wanted -inf
        out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCERS = {
    "reduceSum": lambda x, a, k: np.sum(x, axis=a, keepdims=k),
    "reduceMean": lambda x, a, k: np.mean(x, axis=a, keepdims=k),
    "reduceProd": lambda x, a, k: np.prod(x, axis=a, keepdims=k),
    "reduceL1": lambda x, a, k: np.sum(np.abs(x), axis=a, keepdims=k),
    "reduceL2": lambda x, a, k: np.sqrt(np.sum(x * x, axis=a, keepdims=k)),
    "reduceMax": lambda x, a, k: np.max(x, axis=a, keepdims=k),
    "reduceMin": lambda x, a, k: np.min(x, axis=a, keepdims=k),
    "reduceSumSquare": lambda x, a, k: np.sum(x * x, axis=a, keepdims=k),
    "reduceLogSumExp": lambda x, a, k: logsumexp(x, a, k),
    "reduceLogSum": lambda x, a, k: np.log(np.sum(x, axis=a, keepdims=k)),
}


def reduce_nd(layer, x=X, axes=None, keep=False, reduce_all=False):
    """The ND reduce layers: no axes or reduceAll reduces every axis; reducing every axis
    without keepDims gives shape [1]."""
    axes = tuple(range(x.ndim)) if reduce_all or axes is None else tuple(a % x.ndim for a in axes)
    y = REDUCERS[layer](x, axes, keep)
    return np.reshape(y, (1,)) if np.ndim(y) == 0 else y


def last_axis():
    return [reduce_nd("reduceSum", axes=[-1], keep=True), reduce_nd("reduceSum", axes=[2])] + \
        [reduce_nd(layer, axes=[-1]) for layer in ("reduceMean", "reduceProd", "reduceL1", "reduceL2", "reduceMax",
                                                     "reduceMin", "reduceSumSquare", "reduceLogSumExp")] + \
        [reduce_nd("reduceLogSum", P, axes=[-1])]


def middle_split_all():
    return [reduce_nd("reduceSum", axes=[1], keep=True),
            reduce_nd("reduceLogSumExp", axes=[1]),
            reduce_nd("reduceMax", axes=[1]),
            reduce_nd("reduceSum", axes=[0, 2]),
            reduce_nd("reduceMean", axes=[0, -1], keep=True),
            reduce_nd("reduceProd", axes=[2, 0]),
            reduce_nd("reduceL2", axes=[0, 2]),
            reduce_nd("reduceLogSumExp", axes=[0, 2]),
            reduce_nd("reduceSum", axes=[1], reduce_all=True),
            reduce_nd("reduceMean", keep=True),
            reduce_nd("reduceMin", reduce_all=True)]


def logsumexp_stable():
    inf = np.inf
    return [reduce_nd("reduceLogSumExp", np.array([1000.0, 999.0]), axes=[0]),
            reduce_nd("reduceLogSumExp", np.array([[1000.0, -inf], [999.0, -inf]]), axes=[0])]


LARGE = np.arange(64 * 4096, dtype=np.float64).reshape(64, 4096) % 10


def large():
    # the row sums are computed by the test (shape checked); reduceMax over axis 0 is pinned
    return [reduce_nd("reduceSum", LARGE, axes=[1]), reduce_nd("reduceMax", LARGE, axes=[0])]


CLASSIC_AXES = {"CHW": (-3, -2, -1), "HW": (-2, -1), "C": (-3,), "H": (-2,), "W": (-1,)}


def classic(mode, axis, x=X, eps=1e-6):
    """Classic reduce on a rank-5 blob [1, 1, C, H, W]: the reduced axes stay as size 1."""
    x = x.reshape((1, 1) + x.shape)
    axes = tuple(a % 5 for a in CLASSIC_AXES[axis])
    if mode == "ARGMAX":
        return np.expand_dims(np.argmax(x, axis=axes[0]), axes[0]).astype(np.float64)
    if mode == "LOGSUM":
        return np.sum(np.log(x + eps), axis=axes, keepdims=True)
    name = {"SUM": "reduceSum", "AVG": "reduceMean", "PROD": "reduceProd", "SUMSQUARE": "reduceSumSquare",
            "L1": "reduceL1", "L2": "reduceL2", "MAX": "reduceMax", "MIN": "reduceMin"}[mode]
    return REDUCERS[name](x, axes, True)


def classic_cases():
    return [classic("SUM", "C"), classic("SUM", "HW"), classic("AVG", "CHW"), classic("MAX", "W"),
            classic("MIN", "H"), classic("SUMSQUARE", "W"), classic("L1", "W"), classic("L2", "W"),
            classic("PROD", "W"), classic("ARGMAX", "W"), classic("LOGSUM", "C", P)]


def arg_extreme(x, axis, remove, smallest=False):
    """First index of the extreme (np.argmax / np.argmin); removeDim keeps a rank-1 input at [1]."""
    idx = (np.argmin if smallest else np.argmax)(x, axis=axis).astype(np.float64)
    if remove:
        return idx.reshape(1) if x.ndim == 1 else idx
    return np.expand_dims(idx, axis % x.ndim)


def argmax_argmin():
    return [arg_extreme(X, -1, False), arg_extreme(X, 2, True, smallest=True), arg_extreme(X, 1, True),
            arg_extreme(np.array([1.0, 3.0, 3.0]), 0, False),
            arg_extreme(np.array([2.0, 1.0, 1.0]), 0, True, smallest=True)]


def cumsum(x, axis, exclusive=False, reverse=False):
    if reverse:
        x = np.flip(x, axis)
    y = np.cumsum(x, axis=axis)
    if exclusive:
        y = y - x
    return np.flip(y, axis) if reverse else y


def cumsum_cases():
    v = np.array([4.0, 6.0, 7.0])
    m = np.arange(1, 7, dtype=np.float64).reshape(3, 2)
    return [cumsum(v, 0), cumsum(v, 0, exclusive=True), cumsum(v, -1, reverse=True),
            cumsum(v, 0, exclusive=True, reverse=True),
            cumsum(m, 0),    # the axis input 0 wins over the parameter 1
            cumsum(m, -1)]


RECOMPUTE = {
    "reduction: ND reductions over the last axis, keepDims and squeezed": last_axis,
    "reduction: a middle axis, split axes and every axis": middle_split_all,
    "reduction: logSumExp is stable for large values; errors name the axis": logsumexp_stable,
    "reduction: a large reduction across threads": large,
    "reduction: classic reduce keeps the rank, over C, HW, CHW, W, H": classic_cases,
    "reduction: argMax and argMin take the first extreme; removeDim drops the axis": argmax_argmin,
    "reduction: cumSum forward, exclusive, reverse, axis from an input": cumsum_cases,
}

SKIPPED = {}

KNOWN_MISMATCHES = {}


def row_sum_literal():
    """The large case also pins the first row sum of its own loop, CHECK(expected[0] == v)."""
    with open(os.path.join(pinned.KERNELS_DIR, SOURCE)) as f:
        pins = re.findall(r"CHECK\(expected\[0\] == ([^)]+)\)", f.read())
    got = reduce_nd("reduceSum", LARGE, axes=[1])[0]
    if len(pins) != 1 or pinned._number(pins[0]) != got:
        print("  MISMATCH %s: the large case's row sum: recomputed %.9g, pinned %s" % (SOURCE, got, pins))
        return False
    return True


def main():
    ok = pinned.report("reduction", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)
    return row_sum_literal() and ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

#!/usr/bin/python3
# Recomputes the pinned expectations of pooling_test.cc by visiting every window:
# each starts at position * stride - leading pad, is clipped to the input plus its
# trailing padding (Caffe's rule, which Core ML's includeLastPixel follows), and reduces
# the real elements it covers; a counted average divides by the clipped window's size.
import itertools
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from patterns import X  # noqa: E402
import pinned  # noqa: E402
from convolution import same_pads  # noqa: E402

SOURCE = "pooling_test.cc"


def valid_sizes(sizes, kernel, stride, pads):
    return [(sizes[a] + pads[a][0] + pads[a][1] - kernel[a]) // stride[a] + 1 for a in range(len(sizes))]


def last_pixel_sizes(sizes, kernel, stride, pad):
    """includeLastPixel: one more window than fit, unless it would start past the input and
    its leading padding."""
    out = []
    for a in range(len(sizes)):
        n = math.ceil((sizes[a] + 2 * pad[a] - kernel[a]) / stride[a]) + 1
        if (n - 1) * stride[a] >= sizes[a] + pad[a]:
            n -= 1
        out.append(n)
    return out


def pool(x, kind, kernel, stride, pads, out_size, exclude_pad=False):
    """kind is "max", "avg" or "l2" over the trailing len(kernel) axes of x."""
    nd = len(kernel)
    lead = x.shape[:-nd]
    sizes = x.shape[-nd:]
    y = np.zeros(lead + tuple(out_size))
    for pos in itertools.product(*(range(n) for n in out_size)):
        real, span = [], 1
        for a in range(nd):
            start = pos[a] * stride[a] - pads[a][0]
            stop = min(start + kernel[a], sizes[a] + pads[a][1])
            span *= stop - start
            real.append(slice(max(start, 0), min(stop, sizes[a])))
        window = x[(Ellipsis,) + tuple(real)].reshape(lead + (-1,))
        count = window.shape[-1]
        if kind == "max":
            value = window.max(axis=-1) if count else 0.0
        elif kind == "l2":
            value = np.sqrt((window ** 2).sum(axis=-1))
        else:
            value = window.sum(axis=-1) / (count if exclude_pad else span)
        y[(Ellipsis,) + pos] = value
    return y


def max_explicit_valid():
    pads = ((1, 0), (1, 2))
    return [pool(X((1, 2, 5, 6)), "max", (2, 3), (2, 2), pads, valid_sizes((5, 6), (2, 3), (2, 2), pads))]


def average_same():
    pads = (same_pads(5, 3, 2), same_pads(6, 3, 2))
    assert pads == ((1, 1), (0, 1))  # "pads top 1 bottom 1, left 0 right 1"
    x = X((1, 1, 5, 6))
    return [pool(x, "avg", (3, 3), (2, 2), pads, (3, 3)),
            pool(x, "avg", (3, 3), (2, 2), pads, (3, 3), exclude_pad=True)]


def l2():
    return [pool(X((1, 1, 3, 4)), "l2", (2, 2), (1, 1), ((0, 0), (0, 0)), (2, 3))]


def include_last_pixel():
    x = X((1, 1, 6, 6))
    padded = last_pixel_sizes((6, 6), (3, 3), (2, 2), (1, 1))
    plain = last_pixel_sizes((6, 6), (3, 3), (2, 2), (0, 0))
    assert padded == [4, 4] and plain == [3, 3]
    return [pool(x, "avg", (3, 3), (2, 2), ((1, 1), (1, 1)), padded),
            pool(x, "avg", (3, 3), (2, 2), ((1, 1), (1, 1)), padded, exclude_pad=True),
            pool(x, "avg", (3, 3), (2, 2), ((0, 0), (0, 0)), plain)]


def global_pooling():
    x = X((2, 2, 3, 4))
    mean = x.mean(axis=(-1, -2))
    return [mean, x.max(axis=(-1, -2)), mean]


def multi_threaded_max():
    pads = ((0, 1), (0, 1))
    return [pool(X((6, 40, 36)), "max", (3, 3), (2, 2), pads, valid_sizes((40, 36), (3, 3), (2, 2), pads))]


def pooling3d_spec_example():
    x = np.arange(1, 19, dtype=np.float64).reshape(1, 1, 2, 3, 3)
    return [pool(x, "max", (2, 2, 2), (1, 1, 1), ((0, 0),) * 3, (1, 2, 2))]


def pooling3d_same_and_custom():
    x = X((1, 2, 3, 4, 5))
    kernel, stride = (2, 3, 2), (2, 1, 2)
    pads = tuple(same_pads(s, k, st) for s, k, st in zip((3, 4, 5), kernel, stride))
    assert pads == ((0, 1), (1, 1), (0, 1))  # as the test's comment states
    out = [-(-s // st) for s, st in zip((3, 4, 5), stride)]
    custom = ((1, 0), (0, 2), (1, 1))
    return [pool(x, "avg", kernel, stride, pads, out, exclude_pad=True),
            pool(x, "avg", kernel, stride, pads, out),
            pool(x, "max", (2, 2, 3), (1, 2, 2), custom, valid_sizes((3, 4, 5), (2, 2, 3), (1, 2, 2), custom))]


def global_pooling3d():
    x = X((1, 2, 2, 3, 3))
    return [x.max(axis=(-1, -2, -3)), x.mean(axis=(-1, -2, -3))]


def global_pooling_zero_kernel():
    return [np.array([[1.0, 3.0], [-2.0, 6.0]]).mean(axis=-1)]


RECOMPUTE = {
    "pooling: MAX with explicit valid padding skips the padding": max_explicit_valid,
    "pooling: AVERAGE with same padding, padding counted or excluded": average_same,
    "pooling: L2 is the square root of the window's sum of squares": l2,
    "pooling: includeLastPixel adds a last window clipped at the padded edge": include_last_pixel,
    "pooling: global pooling ignores kernel, stride and padding": global_pooling,
    "pooling: multi-threaded MAX over many planes": multi_threaded_max,
    "pooling3d: the spec's MAX example": pooling3d_spec_example,
    "pooling3d: AVERAGE with same padding, counted or excluded; MAX with custom padding": pooling3d_same_and_custom,
    "globalPooling3d: MAX and AVERAGE over depth, height and width": global_pooling3d,
    "pooling: global pooling ignores zero kernelSize and stride": global_pooling_zero_kernel,
}

SKIPPED = {
    "pooling: parameter and shape errors": "checks error messages only, pins no values",
    "pooling3d: parameter errors": "checks error messages only, pins no values",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("pooling", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

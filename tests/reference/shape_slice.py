#!/usr/bin/python3
# Recomputes the pinned expectations of shape_slice_test.cc, the ND shape layers that cut,
# enlarge or make tensors (sliceStatic, sliceDynamic, sliceBySize, slidingWindows, tile,
# constantPad, broadcastTo*, fill*, range*), from spec/proto/NeuralNetwork.proto and the
# decisions in docs/executor/shape.md (NumPy slicing with masks, a squeeze takes exactly
# beginIds[i], all axes squeezed gives [1]; padToGivenOutputSizeMode pads max(0, size - input);
# range counts and values in double as numpy.arange does).
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402
from patterns import arange  # noqa: E402
from shape import py_slice  # noqa: E402  (the classic slice layer, Python index rules)

SOURCE = "shape_slice_test.cc"


def f32(v):
    """A proto float field or a float32 tensor value, as the kernel reads it."""
    return float(np.float32(v))


def slice_nd(x, begin, end, strides, begin_masks=(), end_masks=(), squeeze_masks=()):
    """x[b0:e0:s0, ...] with Python rules; a masked begin / end is left out of the slice (so
    slice(None, ...) picks the stride's direction); a squeezed axis takes exactly begin[i]
    (negative counts from the end) and disappears. Empty mask lists mean all false."""
    rank = x.ndim
    begin_masks = list(begin_masks) or [False] * rank
    end_masks = list(end_masks) or [False] * rank
    squeeze_masks = list(squeeze_masks) or [False] * rank
    where = []
    for i in range(rank):
        if squeeze_masks[i]:
            b = int(begin[i])
            b = b + x.shape[i] if b < 0 else b
            assert 0 <= b < x.shape[i]
            where.append(b)
        else:
            where.append(slice(None if begin_masks[i] else int(begin[i]),
                               None if end_masks[i] else int(end[i]), int(strides[i])))
    y = x[tuple(where)]
    assert y.size > 0
    return y.reshape(y.shape or (1,))


def take_range(x, axis, begin, size):
    """x[..., begin : begin + size, ...] along axis; a negative begin counts from the end."""
    axis = axis + x.ndim if axis < 0 else axis
    begin = begin + x.shape[axis] if begin < 0 else begin
    assert 0 <= begin and begin + size <= x.shape[axis]
    where = [slice(None)] * x.ndim
    where[axis] = slice(begin, begin + size)
    return x[tuple(where)]


def sliding_windows(x, axis, window, step):
    """Axis of length L becomes [M, window], M = (L - window) // step + 1; window m holds
    elements m*step .. m*step + window - 1."""
    axis = axis + x.ndim if axis < 0 else axis
    m = (x.shape[axis] - window) // step + 1
    return np.stack([take_range(x, axis, k * step, window) for k in range(m)], axis=axis)


def tile(x, reps):
    """numpy.tile by its definition: reps padded with leading ones to the rank, and
    out[i0, .., in] = in[i0 % d0, .., in % dn]."""
    reps = [1] * (x.ndim - len(reps)) + [int(r) for r in reps]
    assert len(reps) == x.ndim
    grids = np.ix_(*[np.arange(r * d) % d for r, d in zip(reps, x.shape)])
    return x[grids]


def constant_pad(x, amounts, value, to_size=False):
    """amounts = [before_0, after_0, before_1, ...]; in to_size mode the nonzero entry of a
    pair is the output size and that side gets max(0, size - input)."""
    pads = []
    for i, d in enumerate(x.shape):
        before, after = int(amounts[2 * i]), int(amounts[2 * i + 1])
        if to_size:
            assert before == 0 or after == 0
            before, after = max(0, before - d) if before else 0, max(0, after - d) if after else 0
        pads.append((before, after))
    out = np.full([d + b + a for d, (b, a) in zip(x.shape, pads)], f32(value))
    out[tuple(slice(b, b + d) for d, (b, _) in zip(x.shape, pads))] = x
    return out


def broadcast_to(x, target):
    """numpy.broadcast_to by its definition: align trailing axes; a unit input axis repeats."""
    target = [int(t) for t in target]
    shape = [1] * (len(target) - x.ndim) + list(x.shape)
    assert all(d in (1, t) for d, t in zip(shape, target))
    grids = np.ix_(*[np.zeros(t, dtype=int) if d == 1 else np.arange(t) for d, t in zip(shape, target)])
    return x.reshape(shape)[grids]


def arange_like_numpy(start, end, step):
    """numpy.arange with Python floats: ceil((end - start) / step) values start + i * step, in
    double, stored as float32."""
    start, end, step = f32(start), f32(end), f32(step)
    count = math.ceil((end - start) / step)
    assert count > 0
    return np.array([np.float32(start + i * step) for i in range(count)], dtype=np.float64)


SPEC_SLICE = dict(begin=[1, 2, 3], begin_masks=[True, False, True], end=[3, -3, 2], end_masks=[False, True, True],
                  strides=[2, 2, 2])


def slice_spec_case():
    x = arange((5, 5, 5))
    return [slice_nd(x, **SPEC_SLICE), slice_nd(x, squeeze_masks=[False, True, False], **SPEC_SLICE)]


def slice_negative_case():
    x = arange((3, 4))
    return [slice_nd(x, [0, -1], [0, 0], [-1, -2], [True, False], [True, False]),
            slice_nd(x, [-2, 5], [0, 1], [1, -1], end_masks=[True, False])]


def huge_strides_case():
    return [slice_nd(arange((3, 4)), [1, -1], [0, 0], [2 ** 62, -2 ** 62], end_masks=[True, True]),
            py_slice(arange((1, 1, 1, 1, 4)), -1, 2, 4, 2 ** 62),
            sliding_windows(arange((3, 2)), 0, 2, 2 ** 40)]


def slice_dynamic_case():
    x = arange((5, 5, 5))
    # inputs 2-7 override the fields of the same name; masks are true when nonzero
    first = slice_nd(x, [1, 2, 3], [3, -3, 2], [2, 2, 2], [v != 0 for v in (1, 0, 1)], [v != 0 for v in (0, 1, 1)])
    second = slice_nd(x, [1, 2, -1], [3, 0, 0], [1, 1, 1], squeeze_masks=[False, True, True])
    third = slice_nd(x, [4, 0, 1], [0, 0, 0], [1, 1, 1], [False] * 3, [False] * 3, [True] * 3)
    return [first, second, third]


def slice_by_size_case():
    return [take_range(arange((2, 3, 4)), 1, 1, 2)]


def sliding_windows_case():
    return [sliding_windows(arange((7, 2)), 0, 3, 2), sliding_windows(arange((1, 4, 1)), -2, 2, 1)]


def tile_case():
    return [tile(arange((1, 2, 3)), [2, 1, 2]), tile(arange((1, 2, 3)), [2])]


def constant_pad_case():
    x = arange((2, 3))
    return [constant_pad(x, [1, 0, 0, 2], -1), constant_pad(x, [0, 4, 6, 0], 7, to_size=True),
            constant_pad(x, [1, 0, 0, 2], -1)]


def broadcast_case():
    column = np.array([[1.0], [2.0]])
    like = np.zeros((2, 2, 3))  # broadcastToLike reads only the second input's shape
    return [broadcast_to(column, like.shape), broadcast_to(column, [2, 2, 3]), broadcast_to(column, [2, 2, 3])]


def fill_case():
    return [np.full(arange((2, 2)).shape, f32(2.5)), np.full((1, 3), f32(-1)), np.full((2, 1), f32(4))]


def range_case():
    return [arange_like_numpy(-10.4, 23, 12.2), arange_like_numpy(10, 5, -0.6), arange_like_numpy(5, 8, 98)]


RECOMPUTE = {
    "shape: sliceStatic reproduces the spec's examples": slice_spec_case,
    "shape: sliceStatic with negative strides and out-of-range ends": slice_negative_case,
    "shape: huge strides and steps that select one element do not overflow": huge_strides_case,
    "shape: sliceDynamic takes begin, end, strides and masks from inputs": slice_dynamic_case,
    "shape: sliceBySize takes size elements from a dynamic begin": slice_by_size_case,
    "shape: slidingWindows makes overlapping windows": sliding_windows_case,
    "shape: tile with reps from the parameter and from a second input": tile_case,
    "shape: constantPad by amounts, to a given size, and from a second input": constant_pad_case,
    "shape: broadcastToLike, broadcastToStatic, broadcastToDynamic": broadcast_case,
    "shape: fillLike, fillStatic, fillDynamic": fill_case,
    "shape: rangeStatic and rangeDynamic follow numpy.arange": range_case,
}

SKIPPED = {
    "shape: sliceStatic of a large tensor with strided rows and two threads":
        "expected values computed in the test itself",
    "shape: tile of a large tensor with two threads": "expected values computed in the test itself",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("shape_slice", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES, exact_shapes=True)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

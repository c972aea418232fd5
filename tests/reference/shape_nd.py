#!/usr/bin/python3
# Recomputes the pinned expectations of shape_nd_test.cc, the ND shape layers that keep the
# data (transpose, concatND, splitND, squeeze, expandDims, flattenTo2D, the reshapes, stack,
# getShape, copy, reverse, reverseSeq), from spec/proto/NeuralNetwork.proto and the decisions
# in docs/executor/shape.md.
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402
from patterns import arange  # noqa: E402

SOURCE = "shape_nd_test.cc"


def axis_of(axis, rank):
    """A possibly negative axis resolved against rank."""
    return axis + rank if axis < 0 else axis


def transpose(x, axes):
    """Output axis i is input axis axes[i]: out[j0, .., jn] = in[k] with k[axes[i]] = j_i."""
    out = np.empty([x.shape[a] for a in axes])
    for index in np.ndindex(*out.shape):
        source = [0] * x.ndim
        for i, a in enumerate(axes):
            source[a] = index[i]
        out[index] = x[tuple(source)]
    return out


def concat_nd(inputs, axis, interleave=False):
    """Append along axis; with interleave, output[i::n] along the axis comes from input i."""
    axis = axis_of(axis, inputs[0].ndim)
    if not interleave:
        return np.concatenate(inputs, axis=axis)
    n = len(inputs)
    shape = list(inputs[0].shape)
    shape[axis] *= n
    out = np.empty(shape)
    for i, x in enumerate(inputs):
        where = [slice(None)] * x.ndim
        where[axis] = slice(i, None, n)
        out[tuple(where)] = x
    return out


def split_nd(x, axis, num_splits=None, sizes=None):
    axis = axis_of(axis, x.ndim)
    length = x.shape[axis]
    if sizes is None:
        sizes = [length // num_splits] * num_splits
    parts, begin = [], 0
    for size in sizes:
        where = [slice(None)] * x.ndim
        where[axis] = slice(begin, begin + size)
        parts.append(x[tuple(where)])
        begin += size
    assert begin == length
    return parts


def squeeze(x, axes=None):
    """Drop the named unit axes (all unit axes when axes is None); rank 0 stays [1]."""
    if axes is None:
        drop = {a for a in range(x.ndim) if x.shape[a] == 1}
    else:
        drop = {axis_of(a, x.ndim) for a in axes}
        assert all(x.shape[a] == 1 for a in drop), "a named axis is not of size 1"
    shape = [d for a, d in enumerate(x.shape) if a not in drop]
    return x.reshape(shape or [1])


def expand_dims(x, axes):
    """axes name positions in the output, whose rank is x.ndim + len(axes)."""
    rank = x.ndim + len(axes)
    new = {axis_of(a, rank) for a in axes}
    assert len(new) == len(axes)
    sizes = iter(x.shape)
    return x.reshape([1 if a in new else next(sizes) for a in range(rank)])


def flatten_to_2d(x, axis):
    """[d0 .. dn-1] -> [d0 * .. * d(axis-1), d(axis) * .. * dn-1], axis in [-rank, rank]."""
    axis = axis + x.ndim if axis < 0 else axis
    return x.reshape(int(np.prod(x.shape[:axis])), int(np.prod(x.shape[axis:])))


def reshape_to(x, target, keep_zero=False):
    """One -1 is inferred from the element count; with keep_zero (rankPreservingReshape) a 0
    copies the input's size at that position."""
    target = [x.shape[i] if (keep_zero and t == 0) else int(t) for i, t in enumerate(target)]
    if -1 in target:
        known = int(np.prod([t for t in target if t != -1]))
        target[target.index(-1)] = x.size // known
    assert int(np.prod(target)) == x.size
    return x.reshape(target)


def stack(inputs, axis):
    """A new axis at `axis` of the output (rank + 1): out[.., k, ..] = inputs[k]."""
    axis = axis_of(axis, inputs[0].ndim + 1)
    return np.concatenate([expand_dims(x, [axis]) for x in inputs], axis=axis)


def reverse(x, flags):
    where = tuple(slice(None, None, -1) if f else slice(None) for f in flags)
    return x[where]


def reverse_seq(x, lengths, batch_axis, sequence_axis):
    """tf.reverse_sequence: for batch entry b the first lengths[b] elements along the sequence
    axis are reversed, the rest are left alone."""
    batch_axis = axis_of(batch_axis, x.ndim)
    sequence_axis = axis_of(sequence_axis, x.ndim)
    out = x.copy()
    for index in np.ndindex(*x.shape):
        n = int(lengths[index[batch_axis]])
        k = index[sequence_axis]
        if k < n:
            source = list(index)
            source[sequence_axis] = n - 1 - k
            out[index] = x[tuple(source)]
    return out


def transpose_case():
    return [transpose(arange((2, 3, 4)), [2, 0, 1])]


def concat_case():
    a = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float64)
    b = np.array([[7, 8], [9, 10], [11, 12]], dtype=np.float64)
    return [concat_nd([a, b], 0), concat_nd([a, b], 0, interleave=True),
            concat_nd([a, arange((3, 1), start=20)], -1),
            concat_nd([arange((2, 3, 2)), arange((2, 3, 2), start=100)], 1, interleave=True)]


def split_case():
    return split_nd(arange((2, 4)), -1, num_splits=2) + split_nd(arange((5, 3, 4)), -3, sizes=[3, 2])


def squeeze_case():
    return [squeeze(arange((1, 2, 1, 3, 1)), [0, -1]), squeeze(arange((1, 2, 1, 3, 1))),
            squeeze(arange((1,)), [0])]


def expand_dims_case():
    return [expand_dims(arange((10, 5)), [0, 2]), expand_dims(arange((10, 5)), [-2, -1])]


def flatten_to_2d_case():
    return [flatten_to_2d(arange((3,)), -1), flatten_to_2d(arange((3,)), 1), flatten_to_2d(arange((5, 5, 3)), -2)]


def reshape_case():
    like = np.zeros((4, 3))  # reshapeLike reads only the second input's shape
    return [reshape_to(arange((2, 3, 2)), [3, -1]), reshape_to(arange((2, 6)), like.shape),
            reshape_to(arange((2, 6)), [2, -1, 2])]


def rank_preserving_case():
    return [reshape_to(arange((20, 10)), [5, -1], keep_zero=True),
            reshape_to(arange((20, 10, 5)), [0, 2, 25], keep_zero=True),
            reshape_to(arange((10, 3, 5)), [25, 0, -1], keep_zero=True)]


def stack_case():
    return [stack([arange((2, 3)), arange((2, 3), start=10), arange((2, 3), start=20)], -2),
            stack([arange((2, 2)), arange((2, 2), start=10)], 2)]


def get_shape_copy_case():
    return [np.array(arange((4, 1, 7)).shape, dtype=np.float64), arange((2, 3)).copy()]


def reverse_case():
    return [reverse(arange((2, 3, 2)), [True, False, True])]


def reverse_seq_case():
    return [reverse_seq(arange((2, 4)), [3, 0], 0, 1), reverse_seq(arange((2, 3, 2)), [2, 3], 0, 1),
            reverse_seq(arange((2, 2, 3)), [1, 2], -2, -1)]


RECOMPUTE = {
    "shape: transpose permutes axes": transpose_case,
    "shape: concatND along an axis and interleaved (the spec's example)": concat_case,
    "shape: splitND by count and by sizes": split_case,
    "shape: squeeze named axes, all unit axes, and a rank-1 input": squeeze_case,
    "shape: expandDims inserts unit axes counted in the output rank": expand_dims_case,
    "shape: flattenTo2D follows the spec's examples": flatten_to_2d_case,
    "shape: reshapeStatic, reshapeLike and reshapeDynamic": reshape_case,
    "shape: rankPreservingReshape with 0 and -1 entries (the spec's examples)": rank_preserving_case,
    "shape: stack inserts the new axis": stack_case,
    "shape: getShape and copy": get_shape_copy_case,
    "shape: reverse flips the chosen axes": reverse_case,
    "shape: reverseSeq reproduces the spec's examples": reverse_seq_case,
}

SKIPPED = {
    "shape: transpose of a large rank-4 tensor with two threads": "expected values computed in the test itself",
    "shape: concatND of large inputs with two threads": "expected values computed in the test itself",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("shape_nd", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES, exact_shapes=True)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

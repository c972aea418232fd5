#!/usr/bin/python3
# Recomputes the pinned expectations of indexing_test.cc, the gather side of the indexing
# family (gather, gatherND, gatherAlongAxis, whereNonZero, oneHot, matrixBandPart and the
# triangular masks), from spec/proto/NeuralNetwork.proto and docs/executor/indexing.md
# (negative indices count from the end for gather and gatherAlongAxis; oneHot gives all
# offValue for an index outside [0, depth)).
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402
from patterns import arange  # noqa: E402

SOURCE = "indexing_test.cc"


def axis_of(axis, rank):
    return axis + rank if axis < 0 else axis


def index_of(i, size):
    """An integral index in [-size, size), negative counting from the end."""
    i = int(i)
    assert -size <= i < size
    return i + size if i < 0 else i


def gather(data, indices, axis):
    """numpy.take: out[a, i, b] = data[a, indices[i], b], shape
    data.shape[:axis] + indices.shape + data.shape[axis+1:]."""
    indices = np.asarray(indices, dtype=np.float64)
    axis = axis_of(axis, data.ndim)
    lead, trail = data.shape[:axis], data.shape[axis + 1:]
    out = np.empty(lead + indices.shape + trail)
    for a in np.ndindex(*lead):
        for i in np.ndindex(*indices.shape):
            out[a + i] = data[a + (index_of(indices[i], data.shape[axis]),)]
    return out


def gather_nd(params, indices):
    """tf.gather_nd: the last axis of indices (length K) is a multi-index into the first K axes
    of params; shape indices.shape[:-1] + params.shape[K:]. Negative indices are refused."""
    indices = np.asarray(indices, dtype=np.float64)
    k = indices.shape[-1]
    out = np.empty(indices.shape[:-1] + params.shape[k:])
    for p in np.ndindex(*indices.shape[:-1]):
        where = tuple(int(v) for v in indices[p])
        assert all(0 <= v < d for v, d in zip(where, params.shape))
        out[p] = params[where]
    return out


def gather_along_axis(data, indices, axis):
    """numpy.take_along_axis: out[.., j, ..] = data[.., indices[.., j, ..], ..] on `axis`."""
    indices = np.asarray(indices, dtype=np.float64)
    axis = axis_of(axis, data.ndim)
    out = np.empty(indices.shape)
    for p in np.ndindex(*indices.shape):
        source = list(p)
        source[axis] = index_of(indices[p], data.shape[axis])
        out[p] = data[tuple(source)]
    return out


def where_non_zero(x):
    """numpy.argwhere: the multi-index of every nonzero element in row-major order, [N, rank]."""
    rows = [list(p) for p in np.ndindex(*x.shape) if x[p] != 0]
    return np.array(rows, dtype=np.float64).reshape(len(rows), x.ndim)


def one_hot(indices, depth, axis, on, off):
    """A new axis of size depth at `axis` of the output (rank + 1): on where its coordinate
    equals the index, off elsewhere (all off for an index outside [0, depth))."""
    indices = np.asarray(indices, dtype=np.float64)
    axis = axis_of(axis, indices.ndim + 1)
    shape = list(indices.shape)
    shape.insert(axis, depth)
    out = np.empty(shape)
    for p in np.ndindex(*out.shape):
        k = p[axis]
        out[p] = on if indices[p[:axis] + p[axis + 1:]] == k else off
    return out


def band_part(x, lower, upper):
    """Element (m, n) of every trailing matrix is kept when (lower < 0 or m - n <= lower) and
    (upper < 0 or n - m <= upper), else 0."""
    m = np.arange(x.shape[-2])[:, None]
    n = np.arange(x.shape[-1])[None, :]
    keep = ((lower < 0) | (m - n <= lower)) & ((upper < 0) | (n - m <= upper))
    return np.where(keep, x, 0.0)


def lower_triangular(x, k):
    """numpy.tril: keep (m, n) with n - m <= k."""
    m = np.arange(x.shape[-2])[:, None]
    n = np.arange(x.shape[-1])[None, :]
    return np.where(n - m <= k, x, 0.0)


def upper_triangular(x, k):
    """numpy.triu: keep (m, n) with n - m >= k."""
    m = np.arange(x.shape[-2])[:, None]
    n = np.arange(x.shape[-1])[None, :]
    return np.where(n - m >= k, x, 0.0)


def gather_middle_case():
    return [gather(arange((2, 3, 4)), [[2, -1], [0, 1]], 1)]


def gather_last_case():
    return [gather(arange((2, 3, 4)), [3, 0], -1)]


def gather_nd_case():
    p = arange((2, 3, 4))
    return [gather_nd(p, [[1, 2], [0, 0], [1, 0]]), gather_nd(p, [[[1, 2, 3]], [[0, 1, 1]]])]


def gather_along_axis_case():
    data = np.array([[10, 20, 30], [40, 50, 60]], dtype=np.float64)
    return [gather_along_axis(data, [[2, 0], [-1, 1]], -1), gather_along_axis(data, [[1, 0, 1]], 0)]


def where_non_zero_case():
    return [where_non_zero(np.array([[1, 2, 1], [0, 2, 2], [2, 1, 0]], dtype=np.float64)),
            where_non_zero(np.zeros((2, 2)))]


def one_hot_case():
    indices = [[2, 0], [5, -1]]
    # the third layer's depth comes from its second input (4), not the parameter (9)
    return [one_hot(indices, 4, -1, 5, -1), one_hot(indices, 4, 0, 5, -1), one_hot(indices, 4, 1, 5, -1)]


def band_part_case():
    m = arange((4, 5), start=1)
    twice = (np.arange(40) % 20 + 1).astype(np.float64).reshape(2, 4, 5)
    lower = band_part(twice, -1, 0)
    # results: the band, the pinned `tril` row the test repeats (checked through `named`), and
    # the repeated tensor itself, whose values the test builds from `tril` (its shape is checked)
    return [band_part(m, 1, 2), lower[0], lower]


def triangular_case():
    m = arange((4, 5), start=1)
    return [lower_triangular(m, 1), lower_triangular(m, -1), upper_triangular(m, -1), upper_triangular(m, 2)]


RECOMPUTE = {
    "indexing: gather along a middle axis with negative indices": gather_middle_case,
    "indexing: gather on the last axis": gather_last_case,
    "indexing: gatherND picks slices and single elements": gather_nd_case,
    "indexing: gatherAlongAxis is take_along_axis": gather_along_axis_case,
    "indexing: whereNonZero lists multi-indices in row-major order": where_non_zero_case,
    "indexing: oneHot on every output axis, out-of-range indices give all off": one_hot_case,
    "indexing: matrixBandPart keeps the band of every trailing matrix": band_part_case,
    "indexing: lowerTriangular and upperTriangular follow numpy tril and triu": triangular_case,
}

SKIPPED = {
    "indexing: gather rejects fractional and out-of-range indices, naming index, axis and size":
        "checks error messages only, pins no values",
    "indexing: gatherND errors name the index component's axis, and negative indices are refused":
        "checks error messages only, pins no values",
    "indexing: oneHot parameter errors": "checks error messages only, pins no values",
}

# The literal vectors a case builds its expectation from: matrixBandPart's repeated `tril` row.
NAMED = {"indexing: matrixBandPart keeps the band of every trailing matrix": ["tril"]}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("indexing", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES, named=NAMED, exact_shapes=True)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

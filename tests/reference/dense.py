#!/usr/bin/python3
# Recomputes the pinned expectations of dense_test.cc: innerProduct and batchedMatmul as
# explicit sums of products over the shared axis (with NumPy's broadcasting of batch axes),
# embeddings as columns of the weight matrix.
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from patterns import B, W, X  # noqa: E402
import pinned  # noqa: E402

SOURCE = "dense_test.cc"


def matmul(a, b):
    """Batched a [..., M, K] times b [..., K, N] as sum_k a[..., m, k] * b[..., k, n]; 1-D
    operands become [1, K] and [K, 1] and keep those axes, as batchedMatmul does."""
    a = a.reshape(1, -1) if a.ndim == 1 else a
    b = b.reshape(-1, 1) if b.ndim == 1 else b
    assert a.shape[-1] == b.shape[-2]
    return (a[..., :, :, None] * b[..., None, :, :]).sum(axis=-2)


def inner_product(x, n_in, n_out, bias):
    """y[..., o] = sum_i w[o, i] * x[..., i] (+ b[o]) with w = W(n_in * n_out).reshape(n_out, n_in)."""
    w = W(n_in * n_out).reshape(n_out, n_in)
    rows = x.reshape(-1, n_in)
    y = (rows[:, None, :] * w[None, :, :]).sum(axis=-1)
    return y + B(n_out) if bias else y


def ip_rank5():
    return [inner_product(X((1, 1, 3, 2, 2)), 12, 5, True)]


def ip_nd_ranks():
    return [inner_product(X((2, 3, 4)), 4, 3, False).reshape(2, 3, 3),
            inner_product(X((6, 4)), 4, 3, False),
            inner_product(X((4,)), 4, 3, False).reshape(3),
            inner_product(X((2, 4, 1, 1)), 4, 3, False).reshape(2, 3, 1, 1)]


def ip_multi_threaded():
    return [inner_product(X((1, 300)), 300, 200, True),
            inner_product(X((64, 40)), 40, 30, False)]


def ip_int8():
    # the layer's int8RawValue bytes, read as signed codes, times the linear scale
    codes = np.frombuffer(b"\001\376\003\004\373\006", dtype=np.int8).astype(np.float64)
    w = (codes * 0.5).reshape(2, 3)
    return [matmul(w, np.array([1.0, 2.0, 3.0])).reshape(2)]


def bmm_two_inputs():
    return [matmul(X((2, 1, 3, 4)), np.swapaxes(W(60).reshape(3, 5, 4), -1, -2)),
            matmul(np.swapaxes(X((2, 4, 3)), -1, -2), W(8).reshape(4, 2)),
            matmul(X((4,)), W(24).reshape(2, 4, 3)),
            matmul(X((3, 4)), W(4))]


def bmm_column_major_weights():
    # the stored values are the [4, 5] weight matrix transposed and flattened
    return [matmul(X((2, 3, 4)), W(20).reshape(5, 4).T) + B(5)]


def bmm_multi_threaded():
    return [matmul(X((3, 70, 20)), W(600).reshape(20, 30))]


def embedding_rank5():
    table = W(15).reshape(3, 5)
    return [np.stack([table[:, i] + B(3) for i in (2, 0, 4)])]


def embedding_nd():
    table = W(12).reshape(3, 4)
    return [np.stack([table[:, i] for i in (3, 1, 0, 2)]).reshape(2, 2, 3)]


RECOMPUTE = {
    "innerProduct: rank-5 blob flattens C, H, W into the features": ip_rank5,
    "innerProduct: ND ranks 1 to 4 follow the spec's reshape rules": ip_nd_ranks,
    "innerProduct: multi-threaded, one sample (split by outputs) and many (split by rows)": ip_multi_threaded,
    "innerProduct: int8 weights with int8DynamicQuantize compute in float": ip_int8,
    "batchedMatmul: two inputs with broadcasting and transposes": bmm_two_inputs,
    "batchedMatmul: weight matrix stored column-major, with bias": bmm_column_major_weights,
    "batchedMatmul: multi-threaded over batches and row blocks": bmm_multi_threaded,
    "embedding: rank-5 indices pick weight columns, plus bias": embedding_rank5,
    "embeddingND: the last axis of 1 becomes embeddingSize": embedding_nd,
}

SKIPPED = {
    "innerProduct: errors": "checks error messages only, pins no values",
    "batchedMatmul: errors": "checks error messages only, pins no values",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("dense", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

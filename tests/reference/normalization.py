#!/usr/bin/python3
# Recomputes the pinned expectations of normalization_test.cc from each layer's formula as
# the test comments state it (population variances, epsilon inside the square root).
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402

SOURCE = "normalization_test.cc"
GAMMA = np.array([1.0, 2.0])
BETA = np.array([0.0, 1.0])


def per_channel(v):
    return v.reshape(-1, 1, 1)


def standardize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def batchnorm_given():
    x = np.array([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]])  # [C, H, W]
    mean, var = np.array([2.0, 5.0]), np.array([1.0, 4.0])
    return [per_channel(GAMMA) * (x - per_channel(mean)) / np.sqrt(per_channel(var) + 1e-5) + per_channel(BETA)]


def batchnorm_computed():
    x = np.array([[[[1.0, 2.0]], [[10.0, 20.0]]], [[[3.0, 6.0]], [[30.0, 40.0]]]])  # [B, C, H, W]
    g, b = GAMMA.reshape(1, 2, 1, 1), BETA.reshape(1, 2, 1, 1)
    return [g * standardize(x, (0, 2, 3), 1e-3) + b,
            g * standardize(x, (2, 3), 1e-3) + b]


def mvn():
    y = np.array([[[1.0, 3.0]], [[2.0, 10.0]]])  # [C=2, H=1, W=2]
    ramp = np.arange(8, dtype=np.float64).reshape(2, 2, 2)
    return [standardize(y, (1, 2), 1e-6),
            standardize(y, (0, 1, 2), 1e-6),
            ramp - ramp.mean(axis=(1, 2), keepdims=True)]


def l2normalize():
    y = np.array([[[1.0, 3.0]], [[2.0, 10.0]]])
    items = np.array([[3.0, 4.0], [0.0, 2.0]])  # two batch items of C=2
    return [y / np.sqrt((y ** 2).sum() + 1e-6),
            items / np.sqrt((items ** 2).sum(axis=1, keepdims=True) + 1e-9)]


def lrn(c, alpha, beta, n, k=1.0):
    """c_i / (k + alpha / n * sum of c_j^2 over the window [i - (n-1)//2, i + n//2])^beta."""
    out = np.zeros_like(c)
    for i in range(len(c)):
        lo, hi = max(0, i - (n - 1) // 2), min(len(c), i + n // 2 + 1)
        out[i] = c[i] / (k + alpha / n * (c[lo:hi] ** 2).sum()) ** beta
    return out


def lrn_cases():
    c = np.array([1.0, 2.0, 3.0, 4.0])
    return [lrn(c, 0.5, 0.75, 3, 2.0), lrn(c, 1.0, 0.5, 4), np.array([[lrn(np.ones(1), 2.0, 3.0, 1, 8.0)[0]] * 2])]


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


S = np.array([[[1.0, 2.0], [3.0, 4.0]], [[0.0, -1.0], [1000.0, 2.0]]])


def softmax_channels():
    return [softmax(S, 0)]


def softmax_nd():
    return [softmax(S, -1), softmax(S, 1)]


def layer_normalization():
    x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 8.0]])
    last = standardize(x, (1,), 1e-5) * np.array([1.0, 2.0, 0.5]) + np.array([0.0, 1.0, -1.0])
    both = standardize(x, (0, 1), 1e-5) * np.arange(1, 7, dtype=np.float64).reshape(2, 3)
    return [last, both]


RECOMPUTE = {
    "normalization: batchnorm with given mean and variance": batchnorm_given,
    "normalization: batchnorm computing statistics over the batch or per instance": batchnorm_computed,
    "normalization: mvn within channels, across channels, mean only": mvn,
    "normalization: l2normalize over C, H, W per batch item": l2normalize,
    "normalization: lrn across channels, odd and even window": lrn_cases,
    "normalization: softmax over C is stable for large values": softmax_channels,
    "normalization: softmaxND over the last and a middle axis": softmax_nd,
    "normalization: layerNormalization over the trailing axes": layer_normalization,
}

SKIPPED = {
    "normalization: batchnorm parameter errors": "checks error messages only, pins no values",
    "normalization: softmax of a large tensor across threads sums to one":
        "expected values computed in the test itself",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("normalization", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

#!/usr/bin/python3
# Recomputes the pinned expectations of activation_test.cc from each function's formula
# (spec/proto/NeuralNetwork.proto's ActivationParams, clampedReLU, gelu and erf). The test's
# own helper check_values(actual, expected, tol = 1e-6) compares each element with
# doctest::Approx(e).epsilon(tol); pinned.py reads it as such.
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402

SOURCE = "activation_test.cc"
HELPERS = {"check_values": (1, 2, 1e-6)}
FIVE = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])  # five(), a [1, 1, 1, 1, 5] blob


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    """log(1 + e^x), written so that neither large positive nor large negative x overflows."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def erf(x):
    return np.vectorize(math.erf)(x)


def leaky(x, alpha):
    return np.where(x >= 0, x, alpha * x)


def linear_relu():
    x = FIVE
    return [2 * x + 1, np.maximum(x, 0), leaky(x, 0.1), np.where(x >= 1, x, 0.0)]


def tanh_sigmoid():
    x = FIVE
    return [np.tanh(x), 2 * np.tanh(0.5 * x), sigmoid(x), np.clip(0.2 * x + 0.5, 0, 1)]


def elu_softsign_softplus():
    x = FIVE
    return [np.where(x >= 0, x, 1.5 * (np.exp(x) - 1)), x / (1 + np.abs(x)), softplus(x)]


def large_inputs():
    x = np.array([-200.0, 200.0]).reshape(1, 1, 1, 1, 2)
    return [softplus(x), sigmoid(x)]


def per_channel(v):
    """One value per channel of axis -3 of a [C, H, W] blob."""
    return np.asarray(v, dtype=np.float64).reshape(-1, 1, 1)


def prelu_softplus():
    xp = np.array([-1.0, 2, -3, -4, 5, -6]).reshape(2, 1, 3)
    prelu = leaky(xp, per_channel([0.5, 0.25]))
    shared = leaky(np.array([-1.0, 3.0]).reshape(2, 1, 1), 2.0)
    alpha, beta = per_channel([1.0, 2.0]), per_channel([1.0, 0.5])
    return [prelu, shared, alpha * softplus(beta * xp)]


def clamped_relu():
    return [np.minimum(1.0, leaky(FIVE, 0.5))]


def gelu_erf():
    x = FIVE
    return [0.5 * x * (1 + erf(x / np.sqrt(2))),
            0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
            x * sigmoid(1.702 * x),
            erf(x)]


RECOMPUTE = {
    "activation: linear, ReLU, leaky and thresholded ReLU": linear_relu,
    "activation: tanh, scaledTanh, sigmoid, sigmoidHard": tanh_sigmoid,
    "activation: ELU, softsign, softplus": elu_softsign_softplus,
    "activation: softplus and sigmoid stay finite for large inputs": large_inputs,
    "activation: PReLU and parametricSoftplus per channel of axis -3": prelu_softplus,
    "activation: clampedReLU": clamped_relu,
    "activation: gelu in its three modes and erf": gelu_erf,
}

SKIPPED = {
    "activation: PReLU with the wrong channel count or no alpha fails": "checks error messages only, pins no values",
    "activation: large tensors split across threads give the same values":
        "expected values computed in the test itself",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("activation", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES, HELPERS)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

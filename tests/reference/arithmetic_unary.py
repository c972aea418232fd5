#!/usr/bin/python3
# Recomputes the pinned expectations of arithmetic_unary_test.cc: the classic unary layer
# (x' = scale * x + shift, then the function; scale 0 means 1, epsilon 0 means 1e-6, as in
# spec/proto/NeuralNetwork.proto's UnaryFunctionLayerParams) and the ND one-input math
# layers, which are NumPy's functions (round halves to even, sign(0) = 0, NaN outside a
# function's domain).
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402

SOURCE = "arithmetic_unary_test.cc"
ONE_TO_FOUR = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 2, 2)


def unary(kind, x=ONE_TO_FOUR, scale=0.0, shift=0.0, alpha=0.0, epsilon=0.0):
    x = (scale if scale != 0 else 1.0) * x + shift
    eps = epsilon if epsilon != 0 else 1e-6
    return {
        "SQRT": lambda: np.sqrt(x),
        "RSQRT": lambda: 1.0 / np.sqrt(x + eps),
        "INVERSE": lambda: 1.0 / (x + eps),
        "POWER": lambda: x ** alpha,
        "EXP": lambda: np.exp(x),
        "LOG": lambda: np.log(x),
        "ABS": lambda: np.abs(x),
        "THRESHOLD": lambda: np.maximum(x, alpha),
    }[kind]()


def unary_cases():
    return [unary("SQRT", scale=2, shift=1), unary("RSQRT"), unary("INVERSE", epsilon=0.5),
            unary("POWER", alpha=3, shift=-1), unary("EXP", scale=0.5), unary("LOG"),
            unary("ABS", scale=-1, shift=2.5), unary("THRESHOLD", alpha=2.5)]


R = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7])


def rounding():
    return [np.clip(R, -1, 2), np.ceil(R), np.floor(R), np.round(R),
            np.sign(np.array([-3.0, 0.0, 2.0])), np.exp2(np.array([-1.0, 0.0, 3.5]))]


T = np.array([-0.5, 0.25, 0.9])


def trigonometric():
    with np.errstate(invalid="ignore"):  # asin(2) is NaN by intent
        return [np.sin(T), np.cos(T), np.tan(T), np.arcsin(T), np.arccos(T), np.arctan(T),
                np.sinh(T), np.cosh(T), np.tanh(T), np.arcsinh(T), np.arccosh(np.array([1.0, 2.0, 3.0])),
                np.arctanh(T), np.arcsin(np.array([2.0]))]


RECOMPUTE = {
    "arithmetic: unary functions with scale, shift, epsilon and alpha": unary_cases,
    "arithmetic: clip, ceil, floor, round, sign, exp2": rounding,
    "arithmetic: trigonometric and hyperbolic layers": trigonometric,
}

SKIPPED = {}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("arithmetic_unary", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

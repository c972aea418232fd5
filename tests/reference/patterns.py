# The deterministic inputs of tests/executor/kernels/patterns.h, in float64 so the
# references carry no float32 rounding of their own (every value is a dyadic fraction).
import numpy as np


def pat(n, a=37, c=0, m=23, off=11, d=8.0):
    i = np.arange(n, dtype=np.int64)
    return ((i * a + c) % m - off).astype(np.float64) / d


def X(shape):
    shape = tuple(shape)
    return pat(int(np.prod(shape, dtype=np.int64))).reshape(shape)


def W(n):
    return pat(n, 53, 3, 19, 9, 16.0)


def B(n):
    return pat(n, 29, 1, 7, 3, 4.0)


def arange(shape, scale=1.0, start=0.0):
    """np.arange(n).reshape(shape) * scale + start, as the tests build their ramp inputs."""
    shape = tuple(shape)
    return np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.float64).reshape(shape) * scale + start

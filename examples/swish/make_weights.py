#!/usr/bin/python3
"""Writes the deterministic weights of examples/swish/model.json.

conv1.bin holds conv1's weight [6, 3, 3, 3] then its bias [6] as raw little-endian
float32 (model.json reads them by offset); dense.npy holds the Gemm matrix [10, 6].
The values are a fixed function of the index, so the files never change."""
import numpy as np

conv_w = (np.arange(6 * 3 * 3 * 3, dtype=np.float32).reshape(6, 3, 3, 3) % 7 - 3) / 10
conv_b = np.linspace(-0.5, 0.5, 6, dtype=np.float32)
with open("conv1.bin", "wb") as f:
    f.write(conv_w.astype("<f4").tobytes())
    f.write(conv_b.astype("<f4").tobytes())
dense = (np.arange(60, dtype=np.float32).reshape(10, 6) % 5 - 2) / 4
np.save("dense.npy", dense.astype("<f4"))

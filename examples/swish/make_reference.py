#!/usr/bin/python3
"""Computes the expected output of examples/swish/model.json on the test image with NumPy.

testcases/floortje/inputs/image.png is the 256x256 RGB photo from Hollemans' article
(hollance/CoreML-Custom-Layers, floortje.png). The network is evaluated here from the
graph's own weights, independently of mlconv: the image's pixels 0..255 as [3, 256, 256]
(what `mlconv convert --image-input image` feeds the first layer, with no scaling), Conv
3x3 with 1 pixel of zero padding, Swish with beta = 0.01, global average pooling, the
dense layer and softmax. The result goes to testcases/floortje/outputs/probs.npy, which
`mlconv validate --tests testcases` and `mlconv run --expect` compare against.
Run from examples/swish: /usr/bin/python3 make_reference.py"""
import os
import struct
import zlib

import numpy as np


def read_png_rgb8(path):
    """Decodes a non-interlaced 8-bit RGB PNG (the only kind this script needs)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color == 2 and interlace == 0, "expected 8-bit RGB, not interlaced"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3
    rows, previous = [], np.zeros(stride, dtype=np.int64)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, row = line[0], np.frombuffer(line[1:], dtype=np.uint8).astype(np.int64)
        out = np.zeros(stride, dtype=np.int64)
        for x in range(stride):
            a = out[x - 3] if x >= 3 else 0
            b = previous[x]
            c = previous[x - 3] if x >= 3 else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = a
            elif kind == 2:
                predictor = b
            elif kind == 3:
                predictor = (a + b) // 2
            else:  # Paeth
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[x] = (row[x] + predictor) & 0xFF
        rows.append(out)
        previous = out
    return np.array(rows, dtype=np.float64).reshape(height, width, 3).transpose(2, 0, 1)  # [C, H, W]


image = read_png_rgb8("testcases/floortje/inputs/image.png")
weights = np.fromfile("conv1.bin", dtype="<f4").astype(np.float64)
conv_w, conv_b = weights[:162].reshape(6, 3, 3, 3), weights[162:]
padded = np.pad(image, ((0, 0), (1, 1), (1, 1)))
conv = np.zeros((6, 256, 256))
for dy in range(3):
    for dx in range(3):
        window = padded[:, dy:dy + 256, dx:dx + 256]  # [3, 256, 256]
        conv += np.einsum("oc,chw->ohw", conv_w[:, :, dy, dx], window)
conv += conv_b[:, None, None]
beta = 0.01
swish = conv / (1 + np.exp(-beta * conv))
pooled = swish.mean(axis=(1, 2))
logits = np.load("dense.npy").astype(np.float64) @ pooled + np.array(
    [0.0, 0.1, -0.1, 0.2, -0.2, 0.3, -0.3, 0.4, -0.4, 0.5])
probs = np.exp(logits - logits.max())
probs /= probs.sum()
np.save("testcases/floortje/outputs/probs.npy", probs.astype(np.float32))
print("probs", np.array2string(probs, precision=6))

# layertests/ramp: the Swish class alone (the binding's testVectors), with the converted
# layer's beta = 0.01, on a rank-5 blob [1, 1, 3, 2, 2].
x = np.linspace(-40.0, 40.0, 12).astype(np.float32)
os.makedirs("layertests/ramp/inputs", exist_ok=True)
os.makedirs("layertests/ramp/outputs", exist_ok=True)
np.save("layertests/ramp/inputs/x.npy", x.reshape(1, 1, 3, 2, 2))
y = x.astype(np.float64) / (1 + np.exp(-beta * x.astype(np.float64)))
np.save("layertests/ramp/outputs/y.npy", y.astype(np.float32).reshape(1, 1, 3, 2, 2))

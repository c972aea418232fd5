#!/usr/bin/python3
# Recomputes the pinned expectations of convolution_test.cc from the definitions of
# convolution (zero-pad, slide the dilated window, sum) and deconvolution (scatter-add
# every input element times the kernel into the full output, then crop).
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from patterns import B, W, X, arange  # noqa: E402
import pinned  # noqa: E402

SOURCE = "convolution_test.cc"


def same_pads(size, kernel, stride, dilation=1, top_left_heavy=False):
    """Core ML SAME padding: output ceil(size / stride); the odd pixel goes after the input
    unless the asymmetry mode is TOP_LEFT_HEAVY."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    small, large = total // 2, total - total // 2
    return (large, small) if top_left_heavy else (small, large)


def conv(x, w, b=None, groups=1, stride=None, dil=None, pads=None):
    """N-d convolution over the trailing axes of x [N, C, *spatial] with w [O, C/groups, *kernel];
    pads holds (before, after) per spatial axis."""
    nd = w.ndim - 2
    stride = stride or (1,) * nd
    dil = dil or (1,) * nd
    pads = pads or ((0, 0),) * nd
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    assert c == cg * groups and o % groups == 0
    og = o // groups
    out_size = [(xp.shape[2 + a] - (kernel[a] - 1) * dil[a] - 1) // stride[a] + 1 for a in range(nd)]
    y = np.zeros((n, o) + tuple(out_size))
    for oc in range(o):
        g = oc // og
        for ic in range(cg):
            for tap in itertools.product(*(range(k) for k in kernel)):
                # the input element under this tap for every output position at once
                window = tuple(slice(tap[a] * dil[a], tap[a] * dil[a] + (out_size[a] - 1) * stride[a] + 1, stride[a])
                               for a in range(nd))
                y[:, oc] += xp[(slice(None), g * cg + ic) + window] * w[(oc, ic) + tap]
        if b is not None:
            y[:, oc] += b[oc]
    return y


def deconv(x, w, b=None, groups=1, stride=None, crop=None, out_shape=None):
    """Transposed convolution of x [N, C, *spatial] with w [C, O/groups, *kernel]: every input
    element adds itself times its group's kernel at (position * stride); the full result is then
    cropped by (before, after) per axis, or to out_shape starting at `before`."""
    nd = w.ndim - 2
    stride = stride or (1,) * nd
    n, c = x.shape[:2]
    og = w.shape[1]
    kernel = w.shape[2:]
    cg = c // groups
    full_size = [(x.shape[2 + a] - 1) * stride[a] + kernel[a] for a in range(nd)]
    full = np.zeros((n, og * groups) + tuple(full_size))
    for ic in range(c):
        g = ic // cg
        for oc in range(og):
            for tap in itertools.product(*(range(k) for k in kernel)):
                # every input position adds into (position * stride + tap)
                target = tuple(slice(tap[a], tap[a] + (x.shape[2 + a] - 1) * stride[a] + 1, stride[a]) for a in range(nd))
                full[(slice(None), g * og + oc) + target] += x[:, ic] * w[(ic, oc) + tap]
    crop = crop or ((0, 0),) * nd
    window = []
    for a in range(nd):
        start = crop[a][0]
        stop = start + out_shape[a] if out_shape else full_size[a] - crop[a][1]
        window.append(slice(start, stop))
    y = full[(slice(None), slice(None)) + tuple(window)]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def grouped_strided_dilated():
    return [conv(X((1, 4, 5, 6)), W(72).reshape(6, 2, 3, 2), B(6), groups=2, stride=(2, 1), dil=(1, 2),
                 pads=((1, 0), (2, 1)))]


def same_asymmetry():
    x, w = X((1, 2, 5, 5)), W(64).reshape(2, 2, 4, 4)
    top_left = same_pads(5, 4, 2, top_left_heavy=True)
    bottom_right = same_pads(5, 4, 2)
    assert top_left == (2, 1) and bottom_right == (1, 2)  # as the test's comment states
    return [conv(x, w, stride=(2, 2), pads=(top_left, top_left)),
            conv(x, w, stride=(2, 2), pads=(bottom_right, bottom_right))]


def depthwise_same():
    pads = (same_pads(5, 3, 2, 2), same_pads(6, 3, 2, 1))
    assert pads == ((2, 2), (0, 1))  # "pads t2 b2 l0 r1"
    return [conv(X((1, 3, 5, 6)), W(27).reshape(3, 1, 3, 3), B(3), groups=3, stride=(2, 2), dil=(2, 1), pads=pads)]


# The 3x3 depthwise cases: w = np.arange(18) * 0.125 - 1, b = [0.5, -0.25], ramp inputs.
DW_W = arange((2, 1, 3, 3), 0.125, -1.0)
DW_B = np.array([0.5, -0.25])


def depthwise_3x3_same():
    x2 = arange((1, 2, 7, 8), 0.25, -13.0)
    pads2 = (same_pads(7, 3, 2), same_pads(8, 3, 2))
    assert pads2 == ((1, 1), (0, 1))
    x1 = arange((1, 2, 5, 6), 0.25, -7.0)
    pads1 = (same_pads(5, 3, 1), same_pads(6, 3, 1))
    return [conv(x2, DW_W, DW_B, groups=2, stride=(2, 2), pads=pads2),
            conv(x1, DW_W, DW_B, groups=2, pads=pads1)]


def depthwise_3x3_asymmetric_stride1():
    return [conv(arange((1, 2, 4, 5), 0.25, -3.0), DW_W, DW_B, groups=2, pads=((0, 2), (2, 0)))]


def depthwise_3x3_asymmetric_stride2():
    x = arange((1, 2, 7, 9), 0.25, -10.0)
    return [conv(x, DW_W, DW_B, groups=2, stride=(2, 2), pads=((2, 0), (1, 2))),
            conv(x, DW_W, DW_B, groups=2, stride=(2, 2), pads=((0, 1), (2, 0)))]


def deconv_grouped():
    # full 5x7, crop top 1, right 2
    return [deconv(X((1, 4, 2, 3)), W(72).reshape(4, 2, 3, 3), B(4), groups=2, stride=(2, 2), crop=((1, 0), (0, 2)))]


def deconv_same_and_output_shape():
    x, w = X((1, 2, 2, 2)), W(18).reshape(2, 1, 3, 3)
    # SAME deconvolution outputs input * stride = 4 of the full 5: one row and column to crop
    return [deconv(x, w, stride=(2, 2), crop=((0, 1), (0, 1))),
            deconv(x, w, stride=(2, 2), crop=((1, 0), (1, 0))),
            deconv(x, w, stride=(2, 2), crop=((0, 0), (1, 0)), out_shape=(5, 3))]


def second_input_weights():
    return [conv(X((1, 2, 4, 4)), W(24).reshape(3, 2, 2, 2))]


def rank3_input():
    return [conv(X((1, 2, 4, 4)), W(24).reshape(3, 2, 2, 2))[0]]


def multi_threaded():
    return [conv(X((2, 5, 13, 11)), W(180).reshape(4, 5, 3, 3), B(4), pads=((1, 1), (1, 1))),
            conv(X((1, 6, 12, 12)), W(30).reshape(5, 6, 1, 1), B(5)),
            conv(X((1, 4, 12, 10)), W(36).reshape(4, 1, 3, 3), groups=4, pads=((1, 1), (1, 1))),
            deconv(X((1, 4, 9, 8)), W(128).reshape(4, 2, 4, 4), B(4), groups=2, stride=(2, 2),
                   crop=((1, 1), (1, 1)))]


def winograd_path():
    return [conv(X((2, 16, 13, 12)), W(2592).reshape(18, 16, 3, 3), B(18), pads=((1, 1), (1, 1))),
            conv(X((1, 32, 15, 17)), W(4608).reshape(32, 16, 3, 3), groups=2, pads=((2, 0), (0, 1)))]


def winograd_small_output():
    return [conv(X((1, 16, 4, 5)), W(2304).reshape(16, 16, 3, 3), B(16), pads=((1, 1), (1, 1)))]


def small_feature_maps():
    return [conv(X((1, 8, 3, 3)), W(2880).reshape(40, 8, 3, 3), B(40), pads=((1, 1), (1, 1))),
            deconv(X((1, 4, 3, 3)), W(128).reshape(4, 8, 2, 2), stride=(2, 2))]


def conv3d_same():
    pads = (same_pads(3, 2, 1), same_pads(4, 2, 2), same_pads(3, 2, 1, 2))
    assert pads == ((0, 1), (0, 0), (1, 1))  # as the test's comment states
    return [conv(X((1, 4, 3, 4, 3)), W(32).reshape(2, 2, 2, 2, 2), B(2), groups=2, stride=(1, 2, 1), dil=(1, 1, 2),
                 pads=pads)]


def conv3d_custom():
    return [conv(X((1, 2, 3, 3, 3)), W(16).reshape(1, 2, 2, 2, 2), stride=(2, 2, 2), pads=((1, 0), (0, 1), (1, 1)))]


def deconv3d_grouped():
    # The comment gives the weights as [C_out/groups, C_in, kD, kH, kW] = (1, 2, ...): one output
    # channel per group, so the same values read as [C_in, C_out/groups, ...] = (2, 1, ...).
    return [deconv(X((1, 2, 1, 2, 2)), W(8).reshape(1, 2, 1, 2, 2).transpose(1, 0, 2, 3, 4), groups=2,
                   stride=(1, 2, 2))]


RECOMPUTE = {
    "convolution: grouped, strided, dilated, explicit valid padding, bias": grouped_strided_dilated,
    "convolution: same padding puts the odd pad where asymmetryMode says": same_asymmetry,
    "convolution: depthwise, dilated and strided, same padding, bias": depthwise_same,
    "convolution: 3x3 depthwise, stride 1 and 2, same padding, bias": depthwise_3x3_same,
    "convolution: 3x3 depthwise, stride 1, asymmetric valid padding": depthwise_3x3_asymmetric_stride1,
    "convolution: 3x3 depthwise, stride 2, asymmetric valid padding": depthwise_3x3_asymmetric_stride2,
    "convolution: deconvolution with groups, stride 2, asymmetric valid padding, bias": deconv_grouped,
    "convolution: deconvolution same padding and explicit outputShape": deconv_same_and_output_shape,
    "convolution: weights from a second input": second_input_weights,
    "convolution: rank-3 ND input keeps rank 3": rank3_input,
    "convolution: multi-threaded runs (im2col tiles, pointwise, depthwise, deconvolution)": multi_threaded,
    "convolution: 3x3 stride-1 layers with enough channels take the Winograd path": winograd_path,
    "convolution: a Winograd layer keeps only transformed weights and recovers them for a small output":
        winograd_small_output,
    "convolution: small feature maps split output channels across threads": small_feature_maps,
    "convolution3d: grouped, strided, dilated, same padding, bias": conv3d_same,
    "convolution3d: custom padding, stride 2": conv3d_custom,
    "convolution3d: grouped deconvolution, stride 2": deconv3d_grouped,
}

SKIPPED = {
    "convolution: an infinite weight gives infinities, not the NaN Winograd's transforms would make":
        "expected values computed in the test itself (infinities from an all-ones input)",
    "convolution: parameter and shape errors": "checks error messages only, pins no values",
    "convolution3d: parameter errors": "checks error messages only, pins no values",
}

# (call number, element index) of pinned values reported as wrong, per case.
KNOWN_MISMATCHES = {}


def main():
    return pinned.report("convolution", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

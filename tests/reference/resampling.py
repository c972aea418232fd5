#!/usr/bin/python3
# Recomputes the pinned expectations of resampling_test.cc: crops and paddings by index,
# nearest upsampling by repetition, and the bilinear layers as a sampling grid per axis
# (the SamplingMode / LinearUpsampleMode formulas of spec/proto/NeuralNetwork.proto)
# followed by plain bilinear interpolation, where a point off the image reads 0.
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from patterns import X  # noqa: E402
import pinned  # noqa: E402

SOURCE = "resampling_test.cc"
ONE_TO_TWELVE = np.arange(1, 13, dtype=np.float64).reshape(1, 3, 4)


def pad_index(i, n, mode):
    """Which input index feeds padded position i (input positions are 0 .. n-1)."""
    if mode == "replication":
        return min(max(i, 0), n - 1)
    while i < 0 or i >= n:  # reflection about the edge elements, which are not repeated
        i = -i if i < 0 else 2 * (n - 1) - i
    return i


def pad(x, pads, mode, value=0.0):
    (top, bottom), (left, right) = pads
    h, w = x.shape[-2:]
    y = np.full(x.shape[:-2] + (h + top + bottom, w + left + right), value)
    for r in range(y.shape[-2]):
        for c in range(y.shape[-1]):
            i, j = r - top, c - left
            if mode == "constant":
                if 0 <= i < h and 0 <= j < w:
                    y[..., r, c] = x[..., i, j]
            else:
                y[..., r, c] = x[..., pad_index(i, h, mode), pad_index(j, w, mode)]
    return y


def bilinear(plane, ys, xs):
    """plane sampled at every (y, x) of the two grids; a point outside [0, H-1] x [0, W-1]
    (or NaN) reads 0."""
    h, w = plane.shape
    out = np.zeros((len(ys), len(xs)))
    for r, y in enumerate(ys):
        for c, x in enumerate(xs):
            if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                continue
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = y - y0, x - x0
            top = plane[y0, x0] * (1 - fx) + plane[y0, x1] * fx
            bottom = plane[y1, x0] * (1 - fx) + plane[y1, x1] * fx
            out[r, c] = top * (1 - fy) + bottom * fy
    return out


def planes(x, ys, xs):
    lead = x.shape[:-2]
    flat = x.reshape((-1,) + x.shape[-2:])
    return np.stack([bilinear(p, ys, xs) for p in flat]).reshape(lead + (len(ys), len(xs)))


def sampling_grid(mode, start, end, n):
    """SamplingMode: n points over [start, end] (for resizeBilinear, [0, X-1])."""
    # start + i * step rather than np.linspace, which pins the last point to `end` even
    # when `start` is NaN
    if mode == "STRICT_ALIGN_ENDPOINTS_MODE":
        return [start] if n == 1 else [start + i * (end - start) / (n - 1) for i in range(n)]
    if mode == "ALIGN_ENDPOINTS_MODE":
        return [(start + end) / 2] if n == 1 else [start + i * (end - start) / (n - 1) for i in range(n)]
    if mode == "UPSAMPLE_MODE":
        step = (end - start + 1) / n
        return [min(start + i * step, end) for i in range(n)]
    step = (end - start) / n  # ROI_ALIGN_MODE: cell centres
    return [start + (i + 0.5) * step for i in range(n)]


def upsample_grid(mode, n_in, n_out):
    """LinearUpsampleMode: the input position read by each output index, clamped to the input."""
    i = np.arange(n_out, dtype=np.float64)
    if mode == "ALIGN_CORNERS_TRUE":
        p = i * (n_in - 1) / (n_out - 1)
    elif mode == "ALIGN_CORNERS_FALSE":
        p = (i + 0.5) * n_in / n_out - 0.5
    else:
        p = i * (n_in - n_in / n_out) / (n_out - 1)
    return list(np.clip(p, 0, n_in - 1))


def upsample_bilinear(x, factors, mode):
    h, w = x.shape[-2:]
    out_h, out_w = int(np.floor(h * factors[0])), int(np.floor(w * factors[1]))
    return planes(x, upsample_grid(mode, h, out_h), upsample_grid(mode, w, out_w))


def crop():
    x = X((1, 2, 4, 5))
    return [x[..., 1:4, 1:3], x[..., 1:3, 2:5]]


def padding():
    return [pad(ONE_TO_TWELVE, ((2, 0), (2, 0)), "reflection"),
            pad(ONE_TO_TWELVE, ((2, 0), (2, 0)), "replication"),
            pad(ONE_TO_TWELVE, ((0, 2), (1, 3)), "reflection"),
            pad(ONE_TO_TWELVE, ((0, 1), (0, 2)), "replication"),
            pad(X((1, 1, 2, 3)), ((2, 0), (1, 1)), "constant", 2.5)]


def repeat(x, sh, sw):
    h, w = x.shape[-2:]
    rows = [r // sh for r in range(h * sh)]
    cols = [c // sw for c in range(w * sw)]
    return x[..., rows, :][..., cols]


def upsample_nearest():
    return [repeat(X((1, 1, 2, 3)), 2, 3)]


def upsample_nearest_threads():
    return [repeat(X((1, 3, 5, 6)), 2, 3)]


def upsample_bilinear_default():
    return [upsample_bilinear(np.array([[[1.0, 2.0, 3.0]]]), (2, 3), "DEFAULT")]


def upsample_bilinear_modes():
    x = X((1, 3, 4))
    return [upsample_bilinear(x, (1.5, 2.5), "ALIGN_CORNERS_TRUE"),
            upsample_bilinear(x, (1.5, 2.5), "ALIGN_CORNERS_FALSE"),
            upsample_bilinear(x, (2, 2), "ALIGN_CORNERS_FALSE"),
            upsample_bilinear(x, (2, 2), "DEFAULT")]


MODES = ["STRICT_ALIGN_ENDPOINTS_MODE", "ALIGN_ENDPOINTS_MODE", "UPSAMPLE_MODE", "ROI_ALIGN_MODE"]


def resize(x, mode, out_h, out_w):
    h, w = x.shape[-2:]
    return planes(x, sampling_grid(mode, 0, h - 1, out_h), sampling_grid(mode, 0, w - 1, out_w))


def resize_bilinear_modes():
    x = X((1, 1, 3, 4))
    # one check_tensor call per target size inside the loop over modes
    return [[resize(x, m, 5, 2) for m in MODES], [resize(x, m, 1, 3) for m in MODES]]


def resize_bilinear_threads():
    return [resize(X((2, 3, 17, 19)), "UPSAMPLE_MODE", 40, 33)]


def crop_resize(x, boxes, out_h, out_w, mode):
    """x [B, C, H, W]; boxes as (batch or None, y1, x1, y2, x2) in pixels. A box without a batch
    index crops every batch item: the result is [N, B, C, h, w], else [N, 1, C, h, w]."""
    out = []
    for batch, y1, x1, y2, x2 in boxes:
        ys = sampling_grid(mode, y1, y2, out_h)
        xs = sampling_grid(mode, x1, x2, out_w)
        items = x if batch is None else x[int(batch):int(batch) + 1]
        out.append(planes(items, ys, xs))
    return np.stack(out)


def crop_resize_corners():
    boxes = [(None, 0.5, 1, 3, 3.5), (None, 1, 0, 2, 4)]
    return [crop_resize(X((2, 1, 4, 5)), boxes, 3, 2, "STRICT_ALIGN_ENDPOINTS_MODE")]


def crop_resize_centre_size():
    x = X((2, 2, 4, 5))
    h, w = x.shape[-2:]
    boxes = []
    for batch, xc, yc, bw, bh in [(1, 0.8, 0.6, 1.2, 0.8), (0, 1.0, 1.0, 0.8, 1.6)]:
        scale_y, scale_x = 0.5 * (h - 1), 0.5 * (w - 1)  # spatialScale, then normalized to pixels
        boxes.append((batch, (yc - bh / 2) * scale_y, (xc - bw / 2) * scale_x,
                      (yc + bh / 2) * scale_y, (xc + bw / 2) * scale_x))
    return [crop_resize(x, boxes, 2, 3, "ROI_ALIGN_MODE")]


def crop_resize_off_image():
    x = X((1, 1, 4, 5))
    # CORNERS_WIDTH_FIRST [x1, y1, x2, y2]
    return [crop_resize(x, [(None, -1, 1, 2, 7)], 3, 3, "ALIGN_ENDPOINTS_MODE"),
            crop_resize(x, [(None, 0, float("nan"), 2, 2)], 3, 3, "ALIGN_ENDPOINTS_MODE")]


RECOMPUTE = {
    "crop: amounts from one input, or a reference shape and offset from two": crop,
    "padding: the spec's reflection and replication examples, and constant": padding,
    "upsample: nearest neighbour repeats rows and columns": upsample_nearest,
    "upsample: nearest neighbour, multi-threaded": upsample_nearest_threads,
    "upsample: bilinear DEFAULT mode matches coremltools' example": upsample_bilinear_default,
    "upsample: bilinear align-corners modes with integer and fractional factors": upsample_bilinear_modes,
    "resizeBilinear: the four sampling modes, including a single output row": resize_bilinear_modes,
    "resizeBilinear: multi-threaded over planes and rows": resize_bilinear_threads,
    "cropResize: four-coordinate boxes crop every batch item": crop_resize_corners,
    "cropResize: batch-indexed, normalized, centre-size boxes with spatial scale in ROI_ALIGN_MODE":
        crop_resize_centre_size,
    "cropResize: points off the image are 0; bad boxes are errors": crop_resize_off_image,
}

SKIPPED = {
    "upsample: parameter errors": "checks error messages only, pins no values",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("resampling", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

#!/usr/bin/python3
# Recomputes the pinned expectations of shape_test.cc, the classic shape layers on rank-5
# [Seq, Batch, C, H, W] blobs and on ND blobs, from spec/proto/NeuralNetwork.proto and the
# decisions in docs/executor/shape.md (per-batch-item reshapes, -1 inferred, classic layers on
# ND blobs use the trailing [C, H, W] axes with leading axes as batch).
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinned  # noqa: E402
from patterns import arange  # noqa: E402

SOURCE = "shape_test.cc"


def infer(target, count):
    """One -1 in a target stands for the size the element count implies."""
    target = list(target)
    if -1 in target:
        known = int(np.prod([t for t in target if t != -1]))
        target[target.index(-1)] = count // known
    return target


def chw_to_hwc_run(x):
    """[..., C, H, W] -> the values of each trailing [C, H, W] walked in H, W, C order."""
    return np.moveaxis(x, -3, -1)


def reshape5(x, target, channel_last=False):
    """The rank-5 reshape: [S, B, C, H, W] -> [S', B, C', H', W'], each batch item alone."""
    s, b = x.shape[:2]
    items = []
    for k in range(b):
        item = x[:, k]  # [S, C, H, W]
        steps = infer(target, item.size) if len(target) == 4 else [s] + infer(target, item[0].size)
        if channel_last:
            seq, c, h, w = steps
            y = np.moveaxis(chw_to_hwc_run(item).reshape(seq, h, w, c), -1, 1)
        else:
            y = item.reshape(steps)
        items.append(y)
    return np.stack(items, axis=1)


def reshape_nd(x, target):
    """In ND models a 3-entry target keeps the axes before C; a 4-entry one is the new shape."""
    if len(target) == 3:
        return x.reshape(x.shape[:-3] + tuple(target))
    return x.reshape(target)


def reshape_cases_first():
    return [reshape5(arange((2, 1, 2, 2, 3)), [3, 2, 2])]


def reshape_channel_last():
    return [reshape5(arange((1, 1, 2, 2, 3)), [4, 3, 1], channel_last=True)]


def reshape_new_sequence():
    return [reshape5(arange((2, 2, 3, 1, 1)), [3, 2, 1, 1])]


def reshape_channel_last_sequence():
    return [reshape5(arange((1, 1, 2, 1, 2)), [2, 1, 1, 2], channel_last=True)]


def reshape_nd_cases():
    return [reshape_nd(arange((2, 2, 3, 1)), [3, 2, 1]), reshape_nd(arange((2, 3, 2)), [3, 2, 1, 2])]


def reshape_infer():
    return [reshape5(arange((1, 1, 6, 2, 2)), [-1, 8, 1, 1]), reshape5(arange((1, 1, 6, 2, 2)), [2, -1, 1])]


def chw_view(x):
    """Leading axes as batch, the last three as [C, H, W] (missing ones count as 1)."""
    shape = (1,) * max(0, 3 - x.ndim) + x.shape
    return x.reshape((-1,) + shape[-3:]), shape[:-3]


def flatten(x, channel_last=False):
    v, lead = chw_view(x)
    if channel_last:
        v = chw_to_hwc_run(v)
    return v.reshape(lead + (-1, 1, 1))


def flatten_cases():
    return [flatten(arange((1, 2, 2, 2, 3))), flatten(arange((1, 1, 2, 2, 3)), True),
            flatten(arange((2, 2, 1, 3)), True)]


def permute(x, axis):
    """Output axis i of [Seq, C, H, W] is input axis axis[i]; a rank-5 blob's batch axis stays."""
    if x.ndim == 4:
        return np.transpose(x, axis)
    of5 = [0, 2, 3, 4]  # Seq, C, H, W among [Seq, Batch, C, H, W]
    return np.transpose(x, [of5[axis[0]], 1] + [of5[a] for a in axis[1:]])


def permute_cases():
    return [permute(arange((1, 1, 2, 3, 4)), [0, 3, 1, 2]), permute(arange((2, 1, 3, 1, 1)), [3, 1, 2, 0]),
            permute(arange((1, 3, 4, 1)), [0, 2, 1, 3])]


def concat_cases():
    return [np.concatenate([arange((1, 2, 1, 1, 2)), arange((1, 2, 2, 1, 2), start=100)], axis=-3),
            np.concatenate([arange((1, 1, 1, 1, 2)), arange((2, 1, 1, 1, 2), start=10)], axis=-5)]


def split(x, n):
    return np.split(x, n, axis=-3)


def depth_to_space(x, b, pixel_shuffle=False):
    """TensorFlow order: out[c, y*b+i, x*b+j] = in[(i*b+j)*C' + c, y, x]; PIXEL_SHUFFLE (PyTorch)
    takes in[c*b*b + i*b + j, y, x] instead."""
    v, lead = chw_view(x)
    n, c, h, w = v.shape
    co = c // (b * b)
    if pixel_shuffle:
        y = v.reshape(n, co, b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    else:
        y = v.reshape(n, b, b, co, h, w).transpose(0, 3, 4, 1, 5, 2)
    return y.reshape(lead + (co, h * b, w * b))


def space_to_depth(x, b):
    """out[(i*b+j)*C + c, y, x] = in[c, y*b+i, x*b+j], the inverse of DEPTH_TO_SPACE."""
    v, lead = chw_view(x)
    n, c, h, w = v.shape
    y = v.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return y.reshape(lead + (c * b * b, h // b, w // b))


def classic_on_nd():
    return [np.concatenate([arange((2, 1, 1, 2)), arange((2, 1, 1, 2), start=10)], axis=-3)] + \
        split(arange((4, 1, 2)), 2) + [depth_to_space(arange((8, 1, 2), start=1), 2)]


def split_cases():
    return split(arange((1, 2, 4, 1, 2)), 2)


def py_slice(x, axis, start, end, stride):
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, end, stride)
    return x[tuple(index)]


def slice_cases():
    return [py_slice(arange((1, 1, 1, 1, 6)), -1, 1, -1, 2),
            py_slice(arange((1, 1, 2, 4, 3)), -2, -3, 100, 2),
            py_slice(arange((1, 1, 2, 4, 3)), -3, 1, 5, 1)]  # axis unset: CHANNEL_AXIS


def reorganize_examples():
    x = arange((1, 1, 8, 1, 2), start=1)
    return [depth_to_space(x, 2), depth_to_space(x, 2, pixel_shuffle=True)]


def space_to_depth_cases():
    folded = space_to_depth(arange((1, 1, 3, 2, 2), start=1), 2)
    return [folded, depth_to_space(folded, 2)]


def sequence_repeat(x, n):
    """[S, B, C, H, W] -> [S * n, B, C, H, W]: the whole sequence n times over (np.tile on
    axis -5; with S = 1, the usual case, tile and np.repeat agree)."""
    return np.concatenate([x] * max(n, 1), axis=-5)


def sequence_repeat_cases():
    return [sequence_repeat(arange((2, 1, 1, 1, 2)), 3), sequence_repeat(arange((2, 1, 1, 1, 2)), 0)]


RECOMPUTE = {
    "shape: reshape CHANNEL_FIRST keeps the data order, target of rank 3 keeps Seq and Batch": reshape_cases_first,
    "shape: reshape CHANNEL_LAST goes through HWC order": reshape_channel_last,
    "shape: reshape with a new sequence length regroups each batch item's sequence": reshape_new_sequence,
    "shape: reshape CHANNEL_LAST with a new sequence length": reshape_channel_last_sequence,
    "shape: reshape in ND models keeps leading axes for rank-3 targets, replaces them for rank-4": reshape_nd_cases,
    "shape: reshape infers one -1 from the element count": reshape_infer,
    "shape: flatten CHANNEL_FIRST and CHANNEL_LAST": flatten_cases,
    "shape: permute over [Seq, C, H, W] keeps the batch axis": permute_cases,
    "shape: concat along channels and along the sequence": concat_cases,
    "shape: classic concat, split and reorganizeData on ND blobs use the trailing [C, H, W] axes": classic_on_nd,
    "shape: split divides the channels evenly": split_cases,
    "shape: slice along width, height and channels with Python index rules": slice_cases,
    "shape: reorganizeData DEPTH_TO_SPACE and PIXEL_SHUFFLE reproduce the spec's examples": reorganize_examples,
    "shape: reorganizeData SPACE_TO_DEPTH inverts DEPTH_TO_SPACE": space_to_depth_cases,
    "shape: sequenceRepeat repeats along axis -5": sequence_repeat_cases,
}

SKIPPED = {
    "shape: reshape parameter and shape errors": "checks error messages only, pins no values",
    "shape: classic layers check their input and output counts": "checks error messages only, pins no values",
    "shape: flatten CHANNEL_LAST of a large blob with two threads": "expected values computed in the test itself",
    "shape: reorganizeData on a large batch with two threads": "expected values computed in the test itself",
}

KNOWN_MISMATCHES = {}


def main():
    return pinned.report("shape", SOURCE, RECOMPUTE, SKIPPED, KNOWN_MISMATCHES)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

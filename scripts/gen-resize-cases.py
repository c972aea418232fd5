#!/usr/bin/python3
"""Writes ONNX Resize / Upsample cases in the backend node-test layout into DIR, for the
combinations the node tests leave out or feed scales as graph inputs: asymmetric linear,
fractional half_pixel and align_corners resizing given by sizes, tf_half_pixel_for_nn,
Upsample-9 linear, Resize-10. (Opset 18 `axes` is converted but the ONNX 1.12 checker
rejects opset-18 models, so it has no case here.) Scales and sizes are initializers. Expected
outputs come from the NumPy sampling below (the ONNX operator's coordinate formulas), not
from mlconv.

Usage: gen-resize-cases.py DIR, then
  MLCONV_ONNX_NODE_TESTS=DIR build/tests/mlconv_conformance_tests -tc='conformance: ONNX*'
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(11)


def source_coordinate(x, scale, length_in, length_out, transform):
    if transform == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if transform == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if length_out > 1 else 0.0
    if transform == "align_corners":
        return 0.0 if length_out == 1 else x * (length_in - 1) / (length_out - 1)
    if transform == "asymmetric":
        return x / scale
    if transform == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    raise ValueError(transform)


def resize_axis(data, axis, out_len, scale, mode, transform, nearest_mode):
    length_in = data.shape[axis]
    moved = np.moveaxis(data, axis, -1)
    result = np.zeros(moved.shape[:-1] + (out_len,), np.float64)
    for x in range(out_len):
        s = source_coordinate(x, scale, length_in, out_len, transform)
        if mode == "nearest":
            pick = {"floor": math.floor, "ceil": math.ceil,
                    "round_prefer_floor": lambda v: math.ceil(v - 0.5),
                    "round_prefer_ceil": lambda v: math.floor(v + 0.5)}[nearest_mode](s)
            result[..., x] = moved[..., min(max(pick, 0), length_in - 1)]
        else:
            s = min(max(s, 0.0), length_in - 1)
            low = int(math.floor(s))
            high = min(low + 1, length_in - 1)
            frac = s - low
            result[..., x] = moved[..., low] * (1 - frac) + moved[..., high] * frac
    return np.moveaxis(result, -1, axis)


def write_case(root, name, model, feeds, outputs):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, (n, v) in enumerate(feeds):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())
    for k, (n, v) in enumerate(outputs):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())


def case(root, name, shape, mode, transform, nearest_mode="round_prefer_floor", scales=None, sizes=None, opset=13,
         op="Resize", axes=None):
    X = rng.uniform(-1, 1, shape).astype(np.float32)
    rank = len(shape)
    resized = list(range(rank)) if axes is None else axes
    full_scales = [1.0] * rank
    out_shape = list(shape)
    for k, a in enumerate(resized):
        if sizes is not None:
            out_shape[a] = sizes[k]
            full_scales[a] = sizes[k] / shape[a]
        else:
            full_scales[a] = float(np.float32(scales[k]))
            out_shape[a] = int(math.floor(shape[a] * full_scales[a]))
    Y = X.astype(np.float64)
    for a in range(rank):
        if out_shape[a] != shape[a] or full_scales[a] != 1.0:
            Y = resize_axis(Y, a, out_shape[a], full_scales[a], mode, transform, nearest_mode)
    Y = Y.astype(np.float32)
    inits, attrs = [], {"mode": mode}
    if op == "Upsample" or opset == 10:
        inputs = ["X", "scales"]
        inits.append(numpy_helper.from_array(np.array(scales, np.float32), "scales"))
    else:
        attrs["coordinate_transformation_mode"] = transform
        if mode == "nearest":
            attrs["nearest_mode"] = nearest_mode
        if axes is not None:
            attrs["axes"] = axes
        if sizes is not None:
            inputs = ["X", "", "", "sizes"]
            inits.append(numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
        else:
            inputs = ["X", "", "scales"]
            inits.append(numpy_helper.from_array(np.array(scales, np.float32), "scales"))
    node = helper.make_node(op, inputs, ["Y"], **attrs)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("X", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, Y.shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    write_case(root, name, model, [("X", X)], [("Y", Y)])


def main():
    root = sys.argv[1]
    case(root, "x_resize_linear_asymmetric_scales", [1, 2, 3, 4], "linear", "asymmetric", scales=[1, 1, 2, 3])
    case(root, "x_resize_linear_half_pixel_sizes_up", [1, 2, 3, 4], "linear", "half_pixel", sizes=[1, 2, 7, 6])
    case(root, "x_resize_linear_half_pixel_sizes_down", [1, 1, 5, 6], "linear", "half_pixel", sizes=[1, 1, 3, 4])
    case(root, "x_resize_linear_half_pixel_scales_1p5", [1, 1, 4, 2], "linear", "half_pixel", scales=[1, 1, 1.5, 2.5])
    case(root, "x_resize_linear_align_corners_sizes", [1, 3, 4, 5], "linear", "align_corners", sizes=[1, 3, 7, 3])
    case(root, "x_resize_linear_pytorch_half_pixel_sizes", [2, 1, 4, 4], "linear", "pytorch_half_pixel", sizes=[2, 1, 6, 3])
    case(root, "x_resize_nearest_tf_half_pixel_floor", [1, 2, 3, 3], "nearest", "tf_half_pixel_for_nn", "floor", scales=[1, 1, 3, 2])
    case(root, "x_resize_nearest_half_pixel_ceil_pref", [1, 1, 2, 3], "nearest", "half_pixel", "round_prefer_ceil", sizes=[1, 1, 8, 3])
    case(root, "x_resize_nearest_rank3", [2, 3, 4], "nearest", "asymmetric", "floor", scales=[1, 2, 2])
    case(root, "x_upsample9_linear", [1, 2, 3, 4], "linear", "asymmetric", scales=[1, 1, 2, 2], opset=9, op="Upsample")
    case(root, "x_resize10_nearest", [1, 2, 2, 3], "nearest", "asymmetric", "floor", scales=[1, 1, 3, 2], opset=10)


if __name__ == "__main__":
    main()

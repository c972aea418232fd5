#!/usr/bin/python3
"""Writes a dense ONNX model for the conversion benchmark (bench/convert.sh).

A stack of LAYERS fully connected layers of WIDTH x WIDTH, laid out as PyTorch exports
nn.Linear (Gemm with transB=1 and a bias), with ReLU between them, so that the weights
total about PARAMS float32 values. Weights go to one external data file beside the model,
as exporters do for large models. Deterministic for a given seed.

usage: make_onnx_dense.py OUT.onnx [--params 100000000] [--width 2000] [--seed 0]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--params", type=int, default=100_000_000)
    parser.add_argument("--width", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    width = args.width
    layers = max(1, round(args.params / (width * width + width)))
    rng = np.random.default_rng(args.seed)
    initializers, nodes = [], []
    current = "input"
    for i in range(layers):
        weight = rng.standard_normal((width, width), dtype=np.float32) * np.float32(1.0 / np.sqrt(width))
        bias = rng.standard_normal(width, dtype=np.float32) * np.float32(0.01)
        initializers.append(numpy_helper.from_array(weight, f"fc{i}.weight"))
        initializers.append(numpy_helper.from_array(bias, f"fc{i}.bias"))
        out = f"fc{i}_out" if i + 1 < layers else "output"
        nodes.append(helper.make_node("Gemm", [current, f"fc{i}.weight", f"fc{i}.bias"], [out if i + 1 == layers else f"fc{i}_lin"],
                                      name=f"fc{i}", transB=1))
        if i + 1 < layers:
            nodes.append(helper.make_node("Relu", [f"fc{i}_lin"], [out], name=f"relu{i}"))
        current = out
    graph = helper.make_graph(nodes, "dense_stack",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, width])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, width])],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mlconv bench")
    model.ir_version = 8
    data_file = os.path.basename(args.out) + ".data"
    if os.path.exists(os.path.join(os.path.dirname(os.path.abspath(args.out)), data_file)):
        os.remove(os.path.join(os.path.dirname(os.path.abspath(args.out)), data_file))
    onnx.save_model(model, args.out, save_as_external_data=True, all_tensors_to_one_file=True, location=data_file,
                    size_threshold=1024)
    total = layers * (width * width + width)
    print(f"{args.out}: {layers} Gemm layers of {width}x{width}, {total} float32 parameters ({total * 4} bytes)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Copies ONNX backend node test cases with their weight-like graph inputs turned into
initializers, as real models carry them (the node tests feed LSTM weights, Resize scales
and the like as graph inputs, which Core ML layers cannot take at run time).

Usage: freeze-node-test-operands.py SRC_NODE_DIR DST_DIR PATTERN...
Every graph input except those named in KEEP (the data and state inputs) becomes an
initializer with the values of the case's input_N.pb; the remaining inputs are
renumbered. The outputs are unchanged. Needs Debian's python3-onnx (/usr/bin/python3).
"""
import glob
import os
import shutil
import sys

import onnx

KEEP = {"X", "x", "initial_h", "initial_c"}


def freeze(src, dst):
    model = onnx.load(os.path.join(src, "model.onnx"))
    data = os.path.join(src, "test_data_set_0")
    os.makedirs(os.path.join(dst, "test_data_set_0"), exist_ok=True)
    kept, index = [], 0
    for position, graph_input in enumerate(list(model.graph.input)):
        tensor = onnx.load_tensor(os.path.join(data, f"input_{position}.pb"))
        if graph_input.name in KEEP:
            kept.append(graph_input)
            shutil.copy(os.path.join(data, f"input_{position}.pb"), os.path.join(dst, "test_data_set_0", f"input_{index}.pb"))
            index += 1
        else:
            tensor.name = graph_input.name
            model.graph.initializer.append(tensor)
    del model.graph.input[:]
    model.graph.input.extend(kept)
    onnx.save(model, os.path.join(dst, "model.onnx"))
    for output in glob.glob(os.path.join(data, "output_*.pb")):
        shutil.copy(output, os.path.join(dst, "test_data_set_0"))


def main():
    src, dst, patterns = sys.argv[1], sys.argv[2], sys.argv[3:]
    count = 0
    for case in sorted(os.listdir(src)):
        if any(p in case for p in patterns):
            freeze(os.path.join(src, case), os.path.join(dst, case))
            count += 1
    print(f"froze {count} cases into {dst}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes ONNX Einsum cases in the backend node-test layout into DIR, for the equations the
five node tests leave out: ellipses over two axes and ones that broadcast, implicit outputs,
outer products, traces, labels summed in one operand only, and transposed operands and
outputs. Expected outputs come from numpy.einsum, not from mlconv.

Usage: gen-einsum-cases.py DIR, then
  MLCONV_ONNX_OPERAND_CASES=DIR build/tests/mlconv_conformance_tests -tc='conformance: operand*'
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(17)


def case(root, name, equation, *shapes):
    operands = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    expected = np.asarray(np.einsum(equation, *[o.astype(np.float64) for o in operands])).astype(np.float32)
    names = [f"x{k}" for k in range(len(shapes))]
    node = helper.make_node("Einsum", names, ["y"], equation=equation)
    graph = helper.make_graph([node], name,
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in zip(names, shapes)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, expected.shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    d = os.path.join(root, name, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(root, name, "model.onnx"))
    for k, (n, v) in enumerate(zip(names, operands)):
        with open(os.path.join(d, f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())
    with open(os.path.join(d, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(expected, "y").SerializeToString())


def main():
    root = sys.argv[1]
    case(root, "x_einsum_ellipsis_two_axes", "...ij,...jk->...ik", [2, 3, 4, 5], [2, 3, 5, 2])
    case(root, "x_einsum_ellipsis_broadcasts", "...ij,...jk->...ik", [1, 3, 4], [2, 4, 5])
    case(root, "x_einsum_attention_scores", "bhqd,bhkd->bhqk", [2, 3, 4, 5], [2, 3, 6, 5])
    case(root, "x_einsum_implicit_output", "ij,jk", [3, 4], [4, 5])
    case(root, "x_einsum_outer_product", "i,j->ij", [3], [4])
    case(root, "x_einsum_trace", "ii", [4, 4])
    case(root, "x_einsum_summed_in_one_operand", "ij,k->i", [3, 4], [5])
    case(root, "x_einsum_transposed_operands", "bji,bkj->bik", [2, 4, 3], [2, 5, 4])
    case(root, "x_einsum_output_reordered", "abc,cd->dba", [2, 3, 4], [4, 5])
    case(root, "x_einsum_diagonal_then_product", "bii,bij->bj", [2, 3, 3], [2, 3, 4])
    case(root, "x_einsum_sum_and_transpose", "abc->ca", [2, 3, 4])


if __name__ == "__main__":
    main()

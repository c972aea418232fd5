#!/usr/bin/python3
"""Writes a test case for examples/topk with NumPy, independently of mlconv.

testcases/seeded/inputs/logits.npy is 100 values from a seeded generator;
outputs/values.npy and outputs/indices.npy are the 5 largest of softmax(logits),
largest first, and their positions (as float32, as the CustomTopK class writes them).
Run from examples/topk: /usr/bin/python3 make_reference.py"""
import os

import numpy as np

logits = np.random.default_rng(7).normal(0.0, 3.0, 100).astype(np.float32)
probs = np.exp(logits.astype(np.float64) - logits.max())
probs /= probs.sum()
order = np.argsort(-probs, kind="stable")[:5]
os.makedirs("testcases/seeded/inputs", exist_ok=True)
os.makedirs("testcases/seeded/outputs", exist_ok=True)
np.save("testcases/seeded/inputs/logits.npy", logits)
np.save("testcases/seeded/outputs/values.npy", probs[order].astype(np.float32))
np.save("testcases/seeded/outputs/indices.npy", order.astype(np.float32))
print("indices", order, "values", np.array2string(probs[order], precision=6))

# layertests/five: the CustomTopK class alone (the binding's testVectors), as the converted
# model's layer holds it: k = 5, axis = -3 (channels of the rank-5 blob), sorted.
x = np.random.default_rng(11).normal(0.0, 1.0, 8).astype(np.float32)
top = np.argsort(-x, kind="stable")[:5]
os.makedirs("layertests/five/inputs", exist_ok=True)
os.makedirs("layertests/five/outputs", exist_ok=True)
np.save("layertests/five/inputs/x.npy", x.reshape(1, 1, 8, 1, 1))
np.save("layertests/five/outputs/values.npy", x[top].reshape(1, 1, 5, 1, 1))
np.save("layertests/five/outputs/indices.npy", top.astype(np.float32).reshape(1, 1, 5, 1, 1))

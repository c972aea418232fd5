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

#!/usr/bin/python3
# The kernel tests under tests/executor/kernels pin expected values that were computed
# with NumPy. These scripts keep that computation in the repository, so the values can be
# regenerated and are checked, on every test run, against an independent NumPy
# implementation of each operation's definition rather than against the C++ kernels.
# Every TEST_CASE of a covered file must be either recomputed or skipped with a reason, so
# a new case cannot go unchecked without a trace.
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FAMILIES = ["convolution", "pooling", "dense", "resampling", "normalization", "reduction", "activation",
            "arithmetic_unary", "shape", "shape_nd", "shape_slice", "indexing"]


def main():
    ok = True
    for family in FAMILIES:
        module = importlib.import_module(family)
        ok = module.main() and ok
    print("all pinned values agree" if ok else "FAILED: see MISMATCH lines above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

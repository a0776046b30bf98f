"""Core benchmarks, ember and torch side by side in one run.

1. per-op overhead: a chain of 50 small elementwise ops on a 16-element tensor, forward and backward;
   reported as microseconds per op (forward + backward). Goal: ember <= 3x torch.
2. import time of ``import ember`` vs ``import torch`` in a fresh interpreter (best of 5).
   Goal: ember < 0.3 s.

Usage: python bench/core.py [--repeat N]
"""
import argparse
import subprocess
import sys
import time

import numpy as np

N_OPS = 50


def chain(x, c):
    """50 elementwise ops mixing tensor-scalar and tensor-tensor arithmetic and unary functions."""
    y = x
    for i in range(N_OPS // 5):
        y = y * 0.9
        y = y + c
        y = y.tanh()
        y = y - c * 0.5 if i % 2 else y * c
        y = y.sigmoid() if i % 2 else y.exp()
    return y


def per_op_us(lib, repeat):
    x = lib.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)
    c = lib.tensor(np.full(16, 0.1, dtype=np.float32))

    def step():
        y = chain(x, c).sum()
        y.backward()
        x.grad = None

    for _ in range(20):
        step()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(50):
            step()
        best = min(best, (time.perf_counter() - t0) / 50)
    return best / N_OPS * 1e6


def import_s(module, runs=5):
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    import torch
    torch.set_num_threads(1)  # tiny tensors: threading only adds overhead for torch
    import ember
    e, t = per_op_us(ember, args.repeat), per_op_us(torch, args.repeat)
    print(f"per-op overhead (fwd+bwd, 16 elements): ember {e:.2f} us/op, torch {t:.2f} us/op, "
          f"ratio {e / t:.2f}x (goal <= 3x)")
    ei, ti = import_s("ember"), import_s("torch")
    print(f"import time: ember {ei * 1000:.0f} ms, torch {ti * 1000:.0f} ms, ratio {ei / ti:.2f}x "
          f"(goal ember < 300 ms)")


if __name__ == "__main__":
    main()

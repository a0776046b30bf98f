"""Cross-entropy benchmark, ember and torch side by side in one run (float32, CPU).

``F.cross_entropy(x, t)`` forward + backward (``loss.backward()`` into ``x.grad``) on logits
``(128, 10)`` (an MNIST-sized step) and ``(64, 1000)`` (ImageNet-sized classes), and the forward
alone under ``no_grad``. Torch and ember steps are interleaved in short rounds and the best round
is kept, so a busy machine disturbs both alike. Torch runs with ``--threads`` threads (default 1:
ember's NumPy kernels here are single-threaded too). ``--timer cpu`` measures the process's CPU
time instead of wall time (steadier on a loaded machine; fair only with one torch thread).

Usage: python bench/loss.py [--rounds N] [--threads T] [--timer wall|cpu]
"""
import argparse
import time

import numpy as np

SHAPES = [(128, 10), (64, 1000)]


def steps(lib, shape):
    F = lib.nn.functional
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
    t = lib.tensor(rng.integers(0, shape[1], shape[0]))

    def train():
        x.grad = None
        F.cross_entropy(x, t).backward()

    def forward():
        with lib.no_grad():
            F.cross_entropy(x, t)
    return train, forward


def best_us(fn, n, clock):
    t0 = clock()
    for _ in range(n):
        fn()
    return (clock() - t0) / n * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timer", choices=["wall", "cpu"], default="wall")
    args = ap.parse_args()
    clock = time.perf_counter if args.timer == "wall" else time.process_time
    import torch
    import ember
    torch.set_num_threads(args.threads)
    for shape in SHAPES:
        fns = {lib.__name__: steps(lib, shape) for lib in (torch, ember)}
        best = {(name, k): float("inf") for name in fns for k in range(2)}
        for _ in range(args.rounds):
            for name, pair in fns.items():
                for k, fn in enumerate(pair):
                    best[name, k] = min(best[name, k], best_us(fn, 200, clock))
        t, e = (best["torch", 0], best["torch", 1]), (best["ember", 0], best["ember", 1])
        print(f"cross_entropy {shape}: fwd+bwd torch {t[0]:7.1f} us, ember {e[0]:7.1f} us "
              f"(x{e[0] / t[0]:.2f}) | fwd torch {t[1]:6.1f} us, ember {e[1]:6.1f} us "
              f"(x{e[1] / t[1]:.2f})")


if __name__ == "__main__":
    main()

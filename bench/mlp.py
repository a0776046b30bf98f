"""MLP training step, ember and torch side by side in one run.

The model of the issue: a 784-512-512-10 ReLU MLP (``nn.Sequential(Linear, ReLU, Linear, ReLU,
Linear)``), batch 128, ``nn.CrossEntropyLoss``, ``optim.SGD(lr=0.01, momentum=0.9)``. Both libraries
start from the same weights and see the same batches; the losses of the first steps are checked to
agree. Reported: the median time per step after warm-up, the ratio ember/torch with torch on 2
threads and on 1, and the time of the step's eight matrix products in bare NumPy (ember's floor).
Goal: ember/torch <= 1.0x.

Each measurement runs in a worker process of its own, and ember's and torch's workers take turns
for ``--rounds`` rounds: BLAS and OpenMP thread pools of the two libraries never compete in one
process, and a burst of load on a shared machine hits both alike.

Usage: python bench/mlp.py [--steps N] [--rounds R] [--profile]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BATCH, SIZES, CLASSES = 128, (784, 512, 512, 10), 10


def build(lib, state=None):
    nn = lib.nn
    d0, d1, d2, d3 = SIZES
    model = nn.Sequential(nn.Linear(d0, d1), nn.ReLU(), nn.Linear(d1, d2), nn.ReLU(),
                          nn.Linear(d2, d3))
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, nn.CrossEntropyLoss(), opt


def initial_state():
    """The torch model's initial weights (seed 0), as NumPy arrays, and 8 fixed batches."""
    import numpy as np
    import torch
    torch.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in build(torch)[0].state_dict().items()}
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32),
             rng.integers(0, CLASSES, BATCH)) for _ in range(8)]
    return state, data


def stepper(lib, state, data):
    model, crit, opt = build(lib, state)
    data = [(lib.tensor(x), lib.tensor(y)) for x, y in data]
    i = [0]

    def step():
        x, y = data[i[0] % len(data)]
        i[0] += 1
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def numpy_matmuls(state, data):
    """The eight products of one step on bare arrays: 3 forward, 2 + 2 + 1 backward (the first
    layer's input needs no gradient)."""
    import numpy as np
    x = data[0][0]
    w = [state[f"{k}.weight"] for k in (0, 2, 4)]
    g3 = np.ones((BATCH, SIZES[3]), np.float32)
    g2, g1 = np.ones((BATCH, SIZES[2]), np.float32), np.ones((BATCH, SIZES[1]), np.float32)

    def step():
        a = x @ w[0].T
        b = a @ w[1].T
        b @ w[2].T
        g3.T @ b
        g3 @ w[2]
        g2.T @ a
        g2 @ w[1]
        g1.T @ x
    return step


def timed(step, n):
    """Wall-clock and CPU seconds of each of ``n`` steps."""
    out = []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out


# ---- worker: one library, one thread setting -----------------------------------------------------
def worker(what, threads, steps):
    # NOTE: BLAS reads its thread count when NumPy is imported: set it first
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    state, data = initial_state()
    if what == "torch":
        import torch
        torch.set_num_threads(threads)
        step = stepper(torch, state, data)
    elif what == "ember":
        import ember
        step = stepper(ember, state, data)
    else:
        step = numpy_matmuls(state, data)
    timed(step, 5)  # warm-up
    print(json.dumps(timed(step, steps)))


def run_worker(what, threads, steps):
    out = subprocess.run([sys.executable, __file__, "--worker", what, str(threads), str(steps)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_losses():
    import ember
    import torch
    state, data = initial_state()
    se, st = stepper(ember, state, data), stepper(torch, state, data)
    return max(abs(se().item() - st().item()) for _ in range(5))


def profile(steps=50):
    import cProfile
    import pstats

    import ember
    state, data = initial_state()
    step = stepper(ember, state, data)
    timed(step, 5)
    prof = cProfile.Profile()
    prof.enable()
    timed(step, steps)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30, help="timed steps per round and worker")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--threads", default="2,1", help="thread settings to run (default 2,1)")
    p.add_argument("--profile", action="store_true", help="cProfile 50 ember steps")
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        what, threads, steps = args.worker
        return worker(what, int(threads), int(steps))
    print(f"losses of the first 5 steps agree to {check_losses():.1e}")
    if args.profile:
        profile()
    threads = [int(n) for n in args.threads.split(",")]
    configs = [(what, n) for n in threads for what in ("ember", "torch", "numpy")]
    times = {c: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:
            times[c] += run_worker(*c, args.steps)
    ms = {c: statistics.median(w for w, _ in v) * 1e3 for c, v in times.items()}
    cpu = {c: statistics.median(c_ for _, c_ in v) * 1e3 for c, v in times.items()}
    print("median step time (ms), threads = BLAS/OpenMP threads of the process:")
    for n in threads:
        e, t, m = ms[("ember", n)], ms[("torch", n)], ms[("numpy", n)]
        print(f"  {n} thread(s): ember {e:6.2f} | torch {t:6.2f} | bare NumPy matmuls "
              f"{m:6.2f} | ember/torch {e / t:.2f}x | ember beyond its matmuls {e - m:.2f} ms")
    if 1 in threads:
        e, t, m = cpu[("ember", 1)], cpu[("torch", 1)], cpu[("numpy", 1)]
        print(f"  1 thread, CPU time (robust on a busy machine): ember {e:6.2f} | torch {t:6.2f} "
              f"| bare NumPy matmuls {m:6.2f} | ember/torch {e / t:.2f}x")
    if 1 in threads and 2 in threads:
        print(f"ember (2 threads) / torch 2 threads: {ms[('ember', 2)] / ms[('torch', 2)]:.2f}x, "
              f"/ torch 1 thread: {ms[('ember', 2)] / ms[('torch', 1)]:.2f}x (goal <= 1.0x)")


if __name__ == "__main__":
    main()

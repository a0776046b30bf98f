"""Convolution benchmarks, ember and torch side by side in one run (float32, CPU).

1. ``Conv2d(64, 64, 3, padding=1)`` on ``(32, 64, 32, 32)``: forward + backward (input, weight and
   bias gradients), the shape of a ResNet block's convolution.
2. The first layers of the pytorch/examples MNIST net, ``Conv2d(1, 32, 3) -> relu ->
   Conv2d(32, 64, 3)`` on ``(64, 1, 28, 28)``: forward + backward.

Time is the best of ``--repeat`` steps (each library with its default threads). Peak memory is
measured per library in a fresh subprocess: the growth of the max RSS over the RSS after the
model and input exist, across a few steps; for ember also the peak of NumPy's own allocations
(tracemalloc).

``--threads N`` pins both libraries to N threads (OpenBLAS for NumPy, intra-op for torch); on a
loaded machine ``--threads 1`` gives the steadiest ratios, since busy-waiting BLAS threads suffer
most from oversubscription.

Usage: python bench/conv.py [--repeat N] [--case resnet|mnist|stack] [--threads N]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

if "--threads" in sys.argv:  # OpenBLAS reads this once, when NumPy is first imported
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]
import ember  # noqa: E402  (before NumPy: ember shortens OpenBLAS's idle spin; see README)
import numpy as np  # noqa: E402

CASES = {
    "resnet": "Conv2d(64, 64, 3, padding=1), x (32, 64, 32, 32)",
    "mnist": "Conv2d(1, 32, 3) + relu + Conv2d(32, 64, 3), x (64, 1, 28, 28)",
    "stack": "2 ResNet basic blocks (conv-bn-relu-conv-bn + skip, 64 ch), x (16, 64, 32, 32)",
}


def basic_block(nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + x)
    return Block()


def build(lib, case):
    nn = lib.nn
    lib.manual_seed(0)
    if case == "resnet":
        model = nn.Conv2d(64, 64, 3, padding=1)
        x = np.random.default_rng(0).standard_normal((32, 64, 32, 32), dtype=np.float32)
    elif case == "mnist":
        model = nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1))
        x = np.random.default_rng(0).standard_normal((64, 1, 28, 28), dtype=np.float32)
    else:
        model = nn.Sequential(basic_block(nn), basic_block(nn))
        x = np.random.default_rng(0).standard_normal((16, 64, 32, 32), dtype=np.float32)
    x = lib.tensor(x, requires_grad=True)

    def step():
        model(x).sum().backward()
        x.grad = None
        for p in model.parameters():
            p.grad = None

    return step


def time_step(lib, case, repeat):
    step = build(lib, case)
    step()  # warm up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return best


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _hwm_mb():
    """The peak RSS of this process (VmHWM; unlike ru_maxrss it is not inherited over exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_in_child(libname, case):
    """Run in a subprocess: peak RSS growth (MB) over a few steps, and NumPy's tracemalloc peak."""
    import tracemalloc
    lib = sys.modules[libname] if libname in sys.modules else __import__(libname)
    step = build(lib, case)
    try:  # reset the peak to the current RSS (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    base = _rss_mb()
    tracemalloc.start()
    for _ in range(3):
        step()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _hwm_mb()
    print(json.dumps({"rss": peak - base, "traced": traced / 2**20}))


def peak_mb(libname, case, threads):
    extra = [] if threads is None else ["--threads", str(threads)]
    # NOTE: a fixed mmap threshold makes glibc return every large block on free, so the max RSS
    # follows the live arrays instead of the allocator's high-water mark (for both libraries)
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    out = subprocess.run([sys.executable, __file__, "--child", libname, "--case", case] + extra,
                         capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--case", choices=list(CASES), action="append")
    p.add_argument("--threads", type=int)
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    cases = args.case or list(CASES)
    if args.child != "ember":
        import torch
        if args.threads is not None:
            torch.set_num_threads(args.threads)
    if args.child:
        _peak_in_child(args.child, cases[0])
        return

    print(f"torch {torch.__version__} threads={torch.get_num_threads()}, numpy {np.__version__}")
    for case in cases:
        e, t = time_step(ember, case, args.repeat), time_step(torch, case, args.repeat)
        em, tm = peak_mb("ember", case, args.threads), peak_mb("torch", case, args.threads)
        print(f"{case}: {CASES[case]}")
        print(f"  fwd+bwd time: ember {e * 1000:.1f} ms, torch {t * 1000:.1f} ms, "
              f"ratio {e / t:.2f}x")
        print(f"  peak memory growth (max RSS): ember {em['rss']:.0f} MB, torch {tm['rss']:.0f} MB,"
              f" ratio {em['rss'] / max(tm['rss'], 1e-9):.2f}x; ember NumPy peak (tracemalloc) "
              f"{em['traced']:.0f} MB")


if __name__ == "__main__":
    main()

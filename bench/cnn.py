"""CNN training steps, ember and torch side by side in one run (float32, CPU).

1. ``mnist``: the pytorch/examples MNIST network (Conv 1-32-3, Conv 32-64-3, max-pool 2, dropout,
   Linear 9216-128, Linear 128-10, log_softmax + NLL), batch 64 of 1x28x28, Adam(lr=1e-3).
   Goal: ember <= 1.0x torch.
2. ``resnet18``: ``ember.vision.models.resnet18(num_classes=10)`` (torchvision's structure; torch runs
   the same source) on 3x32x32 inputs, batch 32, SGD(lr=0.1, momentum=0.9, weight_decay=5e-4).
   Goal: ember <= 1.5x torch in time and in peak memory.

Each library runs in its own fresh subprocess (so peak RSS is its own): median step time after
warm-up, and the growth of the max RSS over the RSS once model and data exist; the libraries take
turns for ``--rounds`` rounds and the medians over rounds are reported.

Usage: python bench/cnn.py [--case mnist|resnet18] [--steps N] [--rounds R] [--threads N]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def _mnist_net(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = self.dropout1(F.max_pool2d(x, 2))
            x = self.dropout2(F.relu(self.fc1(lib.flatten(x, 1))))
            return F.log_softmax(self.fc2(x), dim=1)
    return Net()


def _resnet18(lib):
    if lib.__name__ == "ember":
        from ember.vision.models import resnet18
        return resnet18(num_classes=10)
    import importlib
    import inspect
    import types
    src_mod = importlib.import_module("ember.vision.models.resnet")  # the zoo's source, with torch
    src = inspect.getsource(src_mod).replace("import ember\n", "import torch as ember\n")
    src = src.replace("from ember import nn\n", "from torch import nn\n").replace(
        "from ember.vision.models._utils import no_pretrained\n",
        "def no_pretrained(weights, name):\n    pass\n")
    mod = types.ModuleType("torch_resnet")
    exec(compile(src, "torch_resnet", "exec"), mod.__dict__)
    return mod.resnet18(num_classes=10)


def worker(lib_name, case, steps):
    lib = __import__(lib_name)  # (before NumPy: ember shortens OpenBLAS's idle spin; see README)
    import numpy as np
    if lib_name == "torch":
        lib.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count())))
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    if case == "mnist":
        model = _mnist_net(lib)
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        x = lib.tensor(rng.standard_normal((64, 1, 28, 28), dtype=np.float32))
        loss_fn = lib.nn.functional.nll_loss
    else:
        model = _resnet18(lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        x = lib.tensor(rng.standard_normal((32, 3, 32, 32), dtype=np.float32))
        loss_fn = lib.nn.functional.cross_entropy
    y = lib.tensor(rng.integers(0, 10, len(x)))
    model.train()

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step()
    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    times.sort()
    return {"ms": times[len(times) // 2] * 1e3, "peak_mb": peak / 1024}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", choices=["mnist", "resnet18"], action="append")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--rounds", type=int, default=3, help="worker runs per library, in turns")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.steps)))
        return
    env = dict(os.environ)
    if args.threads:
        env["OPENBLAS_NUM_THREADS"] = env["BENCH_THREADS"] = str(args.threads)
    goals = {"mnist": (1.0, None), "resnet18": (1.5, 1.5)}
    for case in args.case or ["mnist", "resnet18"]:
        runs = {"ember": [], "torch": []}
        for _ in range(args.rounds):  # taking turns: a burst of load on the machine hits both
            for lib in runs:
                out = subprocess.run([sys.executable, __file__, "--worker", lib, case,
                                      "--steps", str(args.steps)], env=env, capture_output=True,
                                     text=True, check=True)
                runs[lib].append(json.loads(out.stdout.strip().splitlines()[-1]))
        e, t = ({"ms": statistics.median(r["ms"] for r in rs),
                 "peak_mb": statistics.median(r["peak_mb"] for r in rs)} for rs in runs.values())
        tg, mg = goals[case]
        line = (f"{case}: step ember {e['ms']:.1f} ms, torch {t['ms']:.1f} ms, "
                f"ratio {e['ms'] / t['ms']:.2f}x (goal <= {tg}x)")
        if mg:
            line += (f"; peak memory growth ember {e['peak_mb']:.0f} MB, torch {t['peak_mb']:.0f} MB,"
                     f" ratio {e['peak_mb'] / max(t['peak_mb'], 1):.2f}x (goal <= {mg}x)")
        print(line, flush=True)


if __name__ == "__main__":
    main()

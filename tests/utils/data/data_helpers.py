"""Datasets for the worker tests, in a module without torch so that spawned workers start fast
(a spawned worker imports the module of every class it unpickles)."""
import ctypes
import os
import random
import signal
import time

import numpy as np

import ember
from ember.utils.data import Dataset, IterableDataset, get_worker_info


class Squares(Dataset):
    """Item i: (i, i*i as an int64 tensor, a float32 image of i's when ``shape`` is given)."""

    def __init__(self, n=8, shape=None):
        self.n, self.shape = n, shape

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.shape is None:
            return i, ember.tensor(i * i)
        return i, ember.full(self.shape, float(i))


class Faulty(Dataset):
    """Item ``at`` misbehaves: ``how`` is 'raise', 'keyerror', 'kill', 'exit', 'sleep' or
    'unpicklable'."""

    def __init__(self, how, at=3, n=8, sleep=3.0):
        self.how, self.at, self.n, self.sleep = how, at, n, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.at:
            if self.how == "raise":
                raise ValueError(f"bad item {i}")
            if self.how == "keyerror":
                raise KeyError("missing\nkey")
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "exit":
                os._exit(3)
            if self.how == "sleep":
                time.sleep(self.sleep)
            if self.how == "unpicklable":
                return lambda: i
        return ember.full((64, 64), float(i))  # 16 KiB: batches of 2+ go through shared memory


class Draws(Dataset):
    """Each item is what this worker's random generators give: (worker id, random, NumPy,
    ember, the worker's seed)."""

    def __init__(self, n=8):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return (info.id if info else -1, random.random(), float(np.random.rand()),
                ember.rand(()).item(), info.seed if info else None)


class Environ(Dataset):
    """Item i: this worker's pid, OMP_NUM_THREADS, OpenBLAS thread count and a tensor."""

    def __init__(self):
        self.t = ember.arange(4) * 10

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return os.getpid(), os.environ.get("OMP_NUM_THREADS"), openblas_threads(), self.t[i]


def slow_start(worker_id):
    """A worker_init_fn that keeps a worker starting for a while."""
    time.sleep(1.0)


def openblas_threads():
    """The thread count of the OpenBLAS loaded in this process (-1 if none is found)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "openblas" in line.rsplit("/", 1)[-1].lower()}
    for path in paths:
        lib = ctypes.CDLL(path)
        for sym in ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
                    "openblas_get_num_threads64_"):
            fn = getattr(lib, sym, None)
            if fn is not None:
                return fn()
    return -1


class Shards(IterableDataset):
    """range(start, end), split between workers in contiguous shards."""

    def __init__(self, start, end, split=True):
        self.start, self.end, self.split = start, end, split

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.split:
            return iter(range(self.start, self.end))
        per_worker = -(-(self.end - self.start) // info.num_workers)
        lo = self.start + info.id * per_worker
        return iter(range(lo, min(lo + per_worker, self.end)))

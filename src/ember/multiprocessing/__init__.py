"""``ember.multiprocessing``: Python's ``multiprocessing`` with PyTorch's additions (sharing
strategies, ``spawn``), as ``torch.multiprocessing``.

Ember tensors pickle as their NumPy arrays, so they pass through queues and pipes as they are;
the DataLoader's workers use shared memory of their own (``ember.utils.data``). The sharing
strategy is recorded for scripts that set it: ember's queues copy tensors either way.

Example::

    import ember.multiprocessing as mp

    def work(rank, total):
        print(rank, total)

    if __name__ == "__main__":
        mp.spawn(work, args=(2,), nprocs=2)
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from ember.multiprocessing.spawn import (ProcessContext, ProcessExitedException,  # noqa: F401
                                         ProcessRaisedException, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException"] + list(multiprocessing.__all__)

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Record how tensors should be shared between processes (``"file_descriptor"`` or
    ``"file_system"``)."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"{new_strategy!r} is not a valid sharing strategy: one of "
                             f"{sorted(_STRATEGIES)}")
    _strategy = new_strategy


def get_sharing_strategy():
    """The strategy last set (``"file_descriptor"`` at first, as on Linux)."""
    return _strategy


def get_all_sharing_strategies():
    return set(_STRATEGIES)

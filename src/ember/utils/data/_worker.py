"""The worker process: its loop, its seeding, :func:`get_worker_info`, and how its exceptions
reach the main process (as ``torch.utils.data._utils.worker``).

A worker reads ``(task index, sampler indices)`` from its own index pipe, fetches and collates
the batch, and puts ``(task index, payload, segment)`` on the shared result queue, the batch
pickled by :mod:`._shm` (large arrays in shared memory). ``None`` on the index pipe ends it.
"""
import os
import random
import signal
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ember._backend import loaded_openblas
from ember.utils.data import _shm
from ember.utils.data._fetch import create_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

_PARENT_CHECK_INTERVAL = 1.0   # how often an idle worker checks that its parent is alive
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a worker knows about itself (see :func:`get_worker_info`).

    Attributes:
        id: this worker's id, in ``[0, num_workers - 1]``.
        num_workers: how many workers the loader has.
        seed: the seed of this worker's ``random``, NumPy and ember generators
            (``base_seed + id``; the loader draws ``base_seed`` every epoch).
        dataset: this worker's copy of the dataset.
        rng: ``None`` (PyTorch's thread workers keep their generators here).
        worker_method: ``"multiprocessing"``.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """In a DataLoader worker, its :class:`WorkerInfo` (``id``, ``num_workers``, ``seed``,
    ``dataset``); ``None`` in the main process.

    Example::

        class Shards(IterableDataset):
            def __iter__(self):
                info = get_worker_info()
                start, step = (0, 1) if info is None else (info.id, info.num_workers)
                return iter(range(start, 100, step))
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Start a new epoch (persistent workers), reseeded from ``seed``."""
    seed: int = None


class KeyErrorMessage(str):
    """A str whose repr is itself, so a KeyError's message keeps its line breaks."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker: its type and formatted traceback, to re-raise in the
    main process."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = sys.exc_info() if exc_info is None else exc_info
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type that takes other arguments
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            # NOTE: no reference cycle exception -> traceback -> this frame -> exception, which
            # would keep the iterator (and its workers) alive until the next garbage collection
            del exception


def limit_threads_env(environ):
    """Set the BLAS/OpenMP thread counts to one in ``environ``; returns the old values."""
    old = {k: environ.get(k) for k in _THREAD_VARS}
    environ.update(dict.fromkeys(_THREAD_VARS, "1"))
    return old


def _limit_blas_threads():
    """One BLAS thread per worker, so that workers do not oversubscribe the cores. The variables
    reach libraries loaded from now on (a spawned worker gets them before NumPy loads); the BLAS
    already loaded in a forked worker is told directly."""
    import ctypes
    limit_threads_env(os.environ)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
        return
    except ImportError:
        pass
    for path in loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        # NOTE: the thread-local setting (OpenBLAS >= 0.3.27) costs microseconds; the global one
        # rebuilds the thread pool (tens of milliseconds)
        for sym in ("openblas_set_num_threads_local", "openblas_set_num_threads",
                    "scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_"):
            fn = getattr(lib, sym, None)
            if fn is not None:
                fn(1)
                break


def _seed_all(seed):
    """Seed ``random``, NumPy's global generator and ember's default generators."""
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))
    import ember
    ember.manual_seed(seed)


def _worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers,
                 shm_prefix, parent):
    global _worker_info
    # NOTE: Ctrl-C is the main process's to handle: it shuts the workers down
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_blas_threads()
    seed = base_seed + worker_id
    _seed_all(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_exception = fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_exception = ExceptionWrapper(where=where)
    iteration_end = False
    sent, parent = 0, _watched_parent(parent)
    while os.getppid() == parent:  # a worker whose parent died exits
        try:
            if not index_queue.poll(_PARENT_CHECK_INTERVAL):
                continue
            r = index_queue.recv()
        except EOFError:  # the main process closed the pipe
            break
        if isinstance(r, _ResumeIteration):
            if r.seed is not None:
                seed = r.seed + worker_id
                _seed_all(seed)
                _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
            data_queue.put((r, *_shm.dumps(None, "")))
            iteration_end = False
            if init_exception is None:
                fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
            continue
        if r is None:
            break
        if done_event.is_set() or iteration_end:
            continue
        idx, index = r
        if init_exception is not None:  # every batch of this worker reports it
            data = init_exception
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration if iterable else ():
                data = _IterableDatasetStopIteration(worker_id)
                iteration_end = True
            except Exception:
                data = ExceptionWrapper(where=where)
        data_queue.put((idx, *_dumps(data, f"{shm_prefix}{worker_id}_{sent}", where)))
        sent += 1
        del data, idx, index, r  # free the batch before waiting for the next task
    # NOTE: a worker ends at shutdown or when its parent died: nobody will read what it has not
    # flushed into the pipe yet, so do not wait for that at exit (a full pipe would hang it)
    data_queue.cancel_join_thread()
    data_queue.close()


def _watched_parent(main_pid):
    """The pid whose death ends this worker: the main process, or a forkserver it started.

    NOTE: not just os.getppid() read here: a main process killed while this worker was still
    starting would leave it watching init (or a subreaper), forever.
    """
    ppid = os.getppid()
    if ppid == main_pid:
        return ppid
    try:  # a forkserver's child: the forkserver is the main process's child
        with open(f"/proc/{ppid}/stat") as f:
            grandparent = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return ppid  # no /proc to tell: assume a forkserver
    return ppid if grandparent == main_pid else main_pid  # re-parented: the main process died


def _dumps(data, name, where):
    """Pickle a batch; one that cannot be pickled becomes its error (PyTorch hangs instead)."""
    try:
        return _shm.dumps(data, name)
    except Exception:
        if not isinstance(data, ExceptionWrapper):
            data = ExceptionWrapper(where=where)  # the pickling error
            try:
                return _shm.dumps(data, name)
            except Exception:
                pass
        data.exc_type = RuntimeError  # the exception's own type cannot be pickled (a local class)
        return _shm.dumps(data, name)

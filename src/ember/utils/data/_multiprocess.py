"""The multi-process DataLoader iterator: worker processes, each with its own index pipe, one
result queue, batches reordered in the main process, ``prefetch_factor`` tasks per worker in flight.

Failure handling: the main process never blocks on the result queue for longer than
:data:`_POLL_INTERVAL`; in between it checks that every worker is alive, so a worker killed by a
signal becomes a RuntimeError within a fraction of a second. The workers belong to a
:class:`_WorkerPool` that a ``weakref.finalize`` of the iterator shuts down: ending the loop,
breaking out of it, an exception, garbage collection or interpreter exit all end the workers and
remove the shared-memory segments of batches that were never read.
"""
import itertools
import multiprocessing
import os
import queue
import signal
import sys
import time
import weakref

from ember.utils.data import _shm
from ember.utils.data._worker import (ExceptionWrapper, _IterableDatasetStopIteration,
                                      _ResumeIteration, _worker_loop, limit_threads_env)
from ember.utils.data.dataloader import _BaseDataLoaderIter

_POLL_INTERVAL = 0.1     # seconds between liveness checks while waiting for a batch
_JOIN_GRACE = 0.5        # seconds the workers get to exit by themselves at shutdown
_pool_ids = itertools.count()


def _context(requested):
    """The multiprocessing context: the one asked for, else fork on Linux (unless the program
    chose a start method), else the platform's default."""
    if requested is not None:
        return requested
    if (sys.platform == "linux" and multiprocessing.get_start_method(allow_none=True) is None
            and "fork" in multiprocessing.get_all_start_methods()):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _death_message(pid, exitcode):
    """PyTorch's message for a worker that ended on its own."""
    if exitcode < 0:
        msg = f"DataLoader worker (pid {pid}) is killed by signal: {signal.strsignal(-exitcode)}. "
        if -exitcode == signal.SIGBUS:
            msg += ("It is possible that dataloader's workers are out of shared memory. Please "
                    "try to raise your shared memory limit.")
        return msg
    return (f"DataLoader worker (pid {pid}) exited unexpectedly with exit code {exitcode}. "
            "Details are lost due to multiprocessing. Rerunning with num_workers=0 may give "
            "better error trace.")


class _WorkerPool:
    """The worker processes, their queues and the prefix of their shared-memory segments. It holds
    no reference to the iterator, so that the iterator's finalizer can call :meth:`shutdown`."""

    def __init__(self, it, loader, ctx):
        self.prefix = f"/ember_dl_{os.getpid()}_{next(_pool_ids)}_"
        self.result_queue = ctx.Queue()
        self.done_event = ctx.Event()
        self.index_queues, self.workers = [], []  # the sending ends of the index pipes
        self.closed = False
        self.error = None  # the message of a worker's death, once seen
        # NOTE: a spawned worker imports NumPy before any code of ours runs: limit its BLAS
        # threads through the environment it inherits
        saved = limit_threads_env(os.environ) if ctx.get_start_method() != "fork" else {}
        try:
            for i in range(loader.num_workers):
                # NOTE: one reader and one writer: a plain pipe is enough (no locks, no feeder
                # thread); tasks are tiny and at most prefetch_factor are in flight
                reader, writer = ctx.Pipe(duplex=False)
                w = ctx.Process(target=_worker_loop, daemon=True, args=(
                    it._iterable, it._dataset, reader, self.result_queue, self.done_event,
                    it._auto_collation, it._collate_fn, it._drop_last, it._base_seed,
                    loader.worker_init_fn, i, loader.num_workers, self.prefix, os.getpid()))
                w.start()
                reader.close()
                self.index_queues.append(writer)
                self.workers.append(w)
        except BaseException:
            self.shutdown()
            raise
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def dead_worker(self):
        """The first worker that has ended, or None."""
        for w in self.workers:
            if w.exitcode is not None:
                return w
        return None

    def shutdown(self):
        """End the workers (politely, then by force), reap them, and remove leftover segments."""
        if self.closed:
            return
        self.closed = True
        self.done_event.set()
        for q in self.index_queues:
            try:
                os.set_blocking(q.fileno(), False)  # a stuck worker with a full pipe: no hang
                q.send(None)
            except OSError:  # the worker is gone, or its pipe is full: it will be terminated
                pass
        deadline = time.monotonic() + _JOIN_GRACE
        for w in self.workers:
            w.join(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.exitcode is None:  # busy in __getitem__, or stuck
                w.terminate()
                w.join(_JOIN_GRACE)
            if w.exitcode is None:
                w.kill()
                w.join()
        for q in self.index_queues:
            q.close()
        self.result_queue.cancel_join_thread()
        self.result_queue.close()
        _shm.sweep(self.prefix)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Iterates once over the loader's dataset (every epoch, with persistent workers)."""

    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        self._pool = _WorkerPool(self, loader, _context(loader.multiprocessing_context))
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._reset(loader, first_iter=True)

    def _shutdown_workers(self):
        self._finalizer()

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        n = self._num_workers
        self._send_idx = 0      # the task index of the next batch sent to a worker
        self._rcvd_idx = 0      # the task index of the next batch to return
        self._task_info = {}    # task index -> (worker,) while pending, (worker, data) when early
        self._tasks_outstanding = 0
        self._workers_status = [True] * n
        self._workers_num_tasks = [0] * n
        self._worker_queue_idx_cycle = itertools.cycle(range(n))
        if not first_iter:
            # NOTE: reseeded every epoch like fresh workers would be, so persistent workers give
            # the same random streams as non-persistent ones
            self._base_seed = self._draw_seed()
            for q in self._pool.index_queues:
                q.send(_ResumeIteration(self._base_seed))
            remaining = n
            while remaining > 0:  # batches of the last epoch still in flight are dropped
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    remaining -= 1
        for _ in range(self._prefetch_factor * n):
            self._try_put_index()

    def _get_data(self):
        """The next message from any worker: ``(task index, data)``."""
        if self._pool.closed:  # after a worker died: say so again
            self._raise_if_a_worker_died()
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL_INTERVAL
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            try:
                idx, payload, segment = self._pool.result_queue.get(timeout=wait)
            except queue.Empty:
                self._raise_if_a_worker_died()
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
                continue
            return idx, _shm.loads(payload, segment)

    def _raise_if_a_worker_died(self):
        if self._pool.error is None:
            dead = self._pool.dead_worker()
            if dead is None:
                return
            self._pool.error = _death_message(dead.pid, dead.exitcode)
            self._shutdown_workers()
        raise RuntimeError(self._pool.error) from None

    def _next_data(self):
        while True:
            # skip the tasks of workers whose iterable dataset ended (they never answer)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # it arrived early
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._iterable and isinstance(data, _IterableDatasetStopIteration):
                self._workers_status[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    return self._process_data(data, self._task_info.pop(idx)[0])
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self):
        """Send the next batch of indices to the next active worker (round robin)."""
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id] and (
                    self._in_order or self._workers_num_tasks[worker_id]
                    < self._prefetch_factor * self._num_workers // sum(self._workers_status)):
                break
        else:
            return
        # NOTE: tasks are small, so this does not block unless a worker has more than a pipe's
        # buffer (64 KiB) of batches of indices waiting
        try:
            self._pool.index_queues[worker_id].send((self._send_idx, index))
        except OSError:  # a closed pipe: the worker died (wait for it to be reaped)
            self._pool.workers[worker_id].join(_JOIN_GRACE)
            self._raise_if_a_worker_died()
            raise
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

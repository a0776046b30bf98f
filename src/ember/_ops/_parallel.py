"""Run a kernel's independent parts on several threads, each with single-threaded BLAS.

A convolution over a batch is a loop over chunks of images; each chunk is an im2col copy, a
matrix product and (backward) a col2im, all NumPy calls that release the GIL. Threaded BLAS
parallelises only the products; running the chunks themselves on as many threads as BLAS would
use (BLAS set to one thread meanwhile) parallelises the copies too. Falls back to one thread when
the BLAS's thread count cannot be set (not OpenBLAS), when its idle threads spin long (NumPy was
loaded before ember; see ``ember/__init__.py``) or there is one part.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ember import _backend
from ember._backend import blas_num_threads, set_blas_num_threads

_pool = None
_PREFIX = "ember-worker"


def _forget_pool():  # a forked child (a DataLoader worker) has none of the parent's threads
    global _pool, _lock, _active
    _pool, _lock, _active = None, threading.Lock(), 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def workers(parts):
    """How many threads to run ``parts`` independent parts on: BLAS's thread count, at most; one
    when BLAS's idle threads would spin on the cores ours need (see ``ember/__init__.py``)."""
    if parts <= 1 or not _backend.short_blas_spin:
        return 1
    n = blas_num_threads()
    return 1 if n is None else max(1, min(parts, n))


_lock = threading.Lock()
_active = 0      # runs in progress (user threads may run kernels concurrently)
_saved = None    # the BLAS thread count to restore when the last of them ends


def run(fn, n):
    """``[fn(0), ..., fn(n - 1)]``, on ``n`` threads (this one included) with BLAS on one
    thread each; the BLAS thread count is restored after, also on an error. Serial when called
    from one of these threads (a nested run would wait on itself)."""
    if n <= 1 or threading.current_thread().name.startswith(_PREFIX):
        return [fn(i) for i in range(n)]
    global _pool, _active, _saved
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2) - 1,
                                       thread_name_prefix=_PREFIX)
        if _active == 0:
            _saved = blas_num_threads()
            set_blas_num_threads(1)
        _active += 1
    futures = []
    try:
        futures = [_pool.submit(fn, i) for i in range(1, n)]
        first = fn(0)
        return [first] + [f.result() for f in futures]
    finally:
        for f in futures:  # (on an error: let the others finish before BLAS gets its threads)
            f.exception()
        with _lock:
            _active -= 1
            if _active == 0:
                set_blas_num_threads(_saved)


# NOTE: below this many elements handing work to a thread (tens of microseconds) costs more
# than it saves
MIN_ELEMENTS = 1 << 17


def flat(*arrays):
    """Whether ``arrays`` (None allowed) are NumPy arrays of one shape, C-contiguous: elementwise
    work on them can then be cut into spans of their flattened elements."""
    a0 = arrays[0]
    return all(a is None or type(a) is np.ndarray and a.flags.c_contiguous and a.shape == a0.shape
               for a in arrays)


def spans(rows, elements):
    """``rows`` (of ``elements`` elements in all) cut into contiguous spans ``(lo, hi)``, one per
    thread worth using: a single span for small work."""
    n = workers(min(rows, elements // MIN_ELEMENTS))
    step = -(-rows // n) if rows else 1
    return [(lo, min(rows, lo + step)) for lo in range(0, rows, step)] or [(0, 0)]


def each(fn, rows, elements):
    """``fn(lo, hi)`` over the :func:`spans` of ``rows``, on threads when worth it."""
    s = spans(rows, elements)
    run(lambda i: fn(*s[i]), len(s))


def overlapping():
    """Whether :func:`overlap` runs its helper on a second thread (else everything runs here)."""
    return workers(2) == 2 and not threading.current_thread().name.startswith(_PREFIX)


class Relay:
    """Tasks ``0 .. n-1`` (``task(i, slot)``), taken in order by this thread (slot 0) and, inside
    :func:`overlap`, one pool thread (slot 1). Task ``i`` may start once published.

    Why: a recurrent layer's loop over time is many small NumPy calls on one core; the big matrix
    products of its other steps (input projections ahead of the loop, input and weight gradients
    behind it) fill the second core meanwhile. Which thread runs a task is a matter of timing:
    :meth:`ordered` makes sums over tasks come out the same either way.
    """

    def __init__(self, task, n, published=0):
        self.task, self.n = task, n
        self._cv = threading.Condition()
        self._published, self._next, self._turn = published, 0, 0
        self._done = [False] * n
        self._error = None

    def publish(self, upto):
        """Tasks ``< upto`` may start."""
        with self._cv:
            self._published = upto
            self._cv.notify_all()

    def _take(self, block, upto=None):
        with self._cv:
            while self._error is None:
                if self._next < min(self._published, self.n if upto is None else upto + 1):
                    self._next += 1
                    return self._next - 1
                if not block or self._next >= self.n:
                    return None
                self._cv.wait()
            return None

    def _run(self, i, slot):
        try:
            self.task(i, slot)
        except BaseException as e:
            with self._cv:
                self._error = self._error or e
                self._cv.notify_all()
            raise
        with self._cv:
            self._done[i] = True
            self._cv.notify_all()

    def helper(self):
        """The pool thread's part: published tasks as they come, until all are taken."""
        try:
            while (i := self._take(True)) is not None:
                self._run(i, 1)
        except BaseException:
            pass  # recorded: this thread's caller raises it

    def _wait(self, done):
        with self._cv:
            while not done() and self._error is None:
                self._cv.wait()
            if self._error is not None:
                raise self._error

    def need(self, i):
        """Return once task ``i`` is done, running it (and any before it) here if not taken."""
        while (j := self._take(False, upto=i)) is not None:
            self._run(j, 0)
        self._wait(lambda: self._done[i])

    def finish(self):
        """Publish every task, help with those not taken, wait for all."""
        self.publish(self.n)
        while (j := self._take(False)) is not None:
            self._run(j, 0)
        self._wait(lambda: all(self._done))

    def ordered(self, i, fn):
        """``fn()`` after the ``ordered`` calls of tasks ``< i``: sums over tasks then come out
        the same whichever thread ran which task."""
        with self._cv:
            while self._turn != i and self._error is None:
                self._cv.wait()
            if self._error is not None:
                raise self._error
        try:
            fn()
        finally:
            with self._cv:
                self._turn += 1
                self._cv.notify_all()

    def abort(self, error):
        with self._cv:
            self._error = self._error or error
            self._cv.notify_all()


def overlap(loop, relay):
    """``loop()`` here (it calls ``relay.need``/``publish``/``finish``) while a pool thread works
    on ``relay``'s tasks, BLAS on one thread each meanwhile; serial when not :func:`overlapping`
    (then ``loop`` runs the tasks itself)."""
    def main():
        try:
            return loop()
        except BaseException as e:
            relay.abort(e)  # the helper stops waiting for tasks
            raise
    if not overlapping():
        return main()
    return run(lambda i: relay.helper() if i else main(), 2)[0]


def run_tasks(tasks):
    """Run ``tasks``, a list of ``(fn, deps)`` (``deps``: indices of the tasks that must be done
    before ``fn()`` starts), on this thread and one pool thread when :func:`overlapping` (else
    here): each thread takes the first ready task in list order, so the list order is the
    priority. No task waits inside: whatever dependencies link them, nothing deadlocks.

    Why: several recurrent layers run as a wavefront (``_ops/rnn_stack.py``): layer 2's loop over
    time follows layer 1's a chunk of steps behind, on the other core, with the products of both
    layers filling the gaps; which thread runs what is a matter of timing, so tasks must write
    disjoint outputs (or be chained by ``deps`` when they add into one)."""
    n = len(tasks)
    done = [False] * n
    pending = list(range(n))
    cv = threading.Condition()
    state = {"error": None, "running": 0}

    def take():
        with cv:
            while state["error"] is None and pending:
                for pos, i in enumerate(pending):
                    if all(done[d] for d in tasks[i][1]):
                        del pending[pos]
                        state["running"] += 1
                        return i
                if state["running"] == 0:  # a dependency that no task can satisfy
                    state["error"] = RuntimeError(f"run_tasks: tasks {pending} can never run")
                    cv.notify_all()
                    break
                cv.wait()
            return None

    def worker(slot):
        try:
            while (i := take()) is not None:
                tasks[i][0]()
                with cv:
                    done[i] = True
                    state["running"] -= 1
                    cv.notify_all()
        except BaseException as e:  # (also a KeyboardInterrupt while waiting for a task)
            with cv:
                state["error"] = state["error"] or e
                cv.notify_all()  # the other thread stops taking tasks
    if overlapping():
        run(worker, 2)
    else:
        worker(0)
    if state["error"] is not None:
        raise state["error"]

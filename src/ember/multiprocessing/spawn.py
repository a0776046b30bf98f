"""``spawn`` / ``start_processes``: run ``fn(i, *args)`` in ``nprocs`` fresh processes and join
them, raising in the parent when a child fails, as ``torch.multiprocessing.spawn``."""
import multiprocessing
import traceback

__all__ = ["spawn", "start_processes", "ProcessContext", "ProcessException",
           "ProcessRaisedException", "ProcessExitedException"]


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child process raised an exception; its traceback is in the message."""


class ProcessExitedException(ProcessException):
    """A child process exited with a nonzero code (or was killed by a signal)."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return (type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                             self.signal_name))


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 (sent to the parent, which raises it)
        error_queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The started processes; :meth:`join` waits for them (all, or until one fails)."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self._pending = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for the processes; True when all ended well, False on timeout. A failure in one
        terminates the others and raises ProcessRaisedException / ProcessExitedException."""
        from multiprocessing.connection import wait
        while self._pending:
            ready = wait(list(self._pending), timeout=timeout)
            if not ready:
                return False
            for s in ready:
                i = self._pending.pop(s)
                p = self.processes[i]
                p.join()
                if p.exitcode != 0:
                    self._fail(i)
        return True

    def _fail(self, index):
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        p = self.processes[index]
        q = self.error_queues[index]
        if not q.empty():
            tb = q.get()
            raise ProcessRaisedException(f"\n\n-- Process {index} terminated with the following "
                                         f"error:\n{tb}", index, p.pid)
        code = p.exitcode
        if code is not None and code < 0:
            import signal
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {index} terminated with signal {name}", index,
                                         p.pid, code, name)
        raise ProcessExitedException(f"process {index} terminated with exit code {code}", index,
                                     p.pid, code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)`` with ``start_method``; join them when
    ``join``, else return their :class:`ProcessContext`."""
    ctx = multiprocessing.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """:func:`start_processes` with the ``spawn`` start method (fresh interpreters).

    Args:
        fn: a picklable top-level function called as ``fn(i, *args)``, ``i`` the process index.
        args (tuple): the further arguments.
        nprocs (int): how many processes.
        join (bool): wait for them (else return a :class:`ProcessContext`).
        daemon (bool): make them daemonic.
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)

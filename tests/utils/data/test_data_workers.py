"""Worker processes: batches in order, shared-memory transfers, failures (an exception, a killed
worker, a timeout), clean shutdown (break, exceptions, Ctrl-C, garbage collection) with no worker
or shared-memory segment left behind."""
import gc
import multiprocessing
import os
import re
import signal
import threading
import time

import numpy as np
import pytest
import torch
from data_helpers import Faulty, Shards, Squares

import ember
from ember.utils.data import DataLoader, _shm

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs Linux /dev/shm")


def _segments():
    return _shm.leftovers(f"/ember_dl_{os.getpid()}_")


@pytest.fixture(autouse=True)
def _no_leftovers():
    """Every test ends with its workers reaped and no shared-memory segment of this process."""
    yield
    if _segments() or multiprocessing.active_children():
        gc.collect()  # an iterator kept alive by a traceback (slow with torch: only if needed)
    assert _segments() == []
    assert multiprocessing.active_children() == []


def _gone(pids, within=10.0):
    """True when none of ``pids`` exists any more (not even as a zombie)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(os.path.exists(f"/proc/{p}") for p in pids):
            return True
        time.sleep(0.02)
    return False


def _worker_pids():
    return [p.pid for p in multiprocessing.active_children()]


# ---- results ----------------------------------------------------------------------------------
@pytest.mark.parametrize("num_workers", [1, 2])
def test_batches_in_order_like_torch(num_workers):
    ds = Squares(11)
    t = [[b[0].tolist(), b[1].tolist()] for b in torch.utils.data.DataLoader(
        [(i, torch.tensor(i * i)) for i in range(11)], batch_size=3)]
    e = [[b[0].tolist(), b[1].tolist()] for b in DataLoader(ds, batch_size=3,
                                                            num_workers=num_workers)]
    assert e == t


def test_large_batches_travel_through_shared_memory():
    loader = DataLoader(Squares(6, shape=(3, 32, 32)), batch_size=3, num_workers=2)
    batches = list(loader)
    assert [b[0].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5]]
    images = batches[1][1]
    assert images.shape == (3, 3, 32, 32) and images.dtype == ember.float32
    np.testing.assert_array_equal(images.numpy()[:, 0, 0, 0], [3.0, 4.0, 5.0])
    # the batch is a view of the mapped segment (no copy), and writable
    base = images._data
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert type(base).__name__ == "mmap"
    images[0] = 1.0


def test_shm_dumps_keeps_small_arrays_inline():
    small = np.arange(10)
    payload, seg = _shm.dumps({"a": small, "t": ember.tensor([1.0])}, "/unused")
    assert seg is None
    name = f"/ember_dl_{os.getpid()}_test_"
    big = np.arange(50000, dtype=np.int64)[::2]  # non-contiguous
    payload, seg = _shm.dumps((big, ember.from_numpy(big.copy()), "x"), name)
    assert seg is not None and len(seg[2]) == 2
    a, t, s = _shm.loads(payload, seg)
    np.testing.assert_array_equal(a, big)
    np.testing.assert_array_equal(t.numpy(), big)
    assert s == "x" and isinstance(t, ember.Tensor)


def test_iterable_dataset_split_between_workers_like_torch():
    from data_helpers import Shards as EShards

    class TShards(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            per = 2
            lo = 3 + info.id * per
            return iter(range(lo, min(lo + per, 7)))

    t = [b.tolist() for b in torch.utils.data.DataLoader(TShards(), num_workers=2)]
    e = [b.tolist() for b in DataLoader(EShards(3, 7), num_workers=2)]
    assert e == t == [[3], [5], [4], [6]]
    e = sorted(x for b in DataLoader(EShards(0, 23), batch_size=4, num_workers=2)
               for x in b.tolist())
    assert e == list(range(23))


def test_iterable_dataset_without_split_duplicates():
    e = sorted(b.item() for b in DataLoader(Shards(3, 7, split=False), num_workers=2))
    assert e == [3, 3, 4, 4, 5, 5, 6, 6]


def test_persistent_workers_keep_their_processes():
    loader = DataLoader(Squares(7), batch_size=2, num_workers=2, persistent_workers=True)
    pids, epochs = [], []
    for _ in range(3):
        epochs.append([b[0].tolist() for b in loader])
        pids.append(sorted(_worker_pids()))
    assert epochs[0] == epochs[1] == epochs[2] == [[0, 1], [2, 3], [4, 5], [6]]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    # a new epoch after a partial one drops the stale batches
    it = iter(loader)
    next(it)
    assert [b[0].tolist() for b in loader] == epochs[0]
    del loader, it
    gc.collect()
    assert _gone(pids[0])


def test_prefetch_bounds_tasks_in_flight():
    loader = DataLoader(Squares(40), batch_size=1, num_workers=2, prefetch_factor=3)
    it = iter(loader)
    for _ in range(10):
        assert it._tasks_outstanding <= 6
        next(it)
    del it


def test_out_of_order_returns_everything():
    loader = DataLoader(Squares(9), batch_size=2, num_workers=2, in_order=False)
    assert sorted(x for b in loader for x in b[0].tolist()) == list(range(9))


def test_worker_init_fn_and_worker_info():
    seen = multiprocessing.get_context("fork").Queue()

    def init(worker_id):
        info = ember.utils.data.get_worker_info()
        seen.put((worker_id, info.id, info.num_workers, type(info.dataset).__name__))

    list(DataLoader(Squares(4), num_workers=2, worker_init_fn=init))
    got = sorted(seen.get(timeout=5) for _ in range(2))
    assert got == [(0, 0, 2, "Squares"), (1, 1, 2, "Squares")]
    assert ember.utils.data.get_worker_info() is None


# ---- failures ---------------------------------------------------------------------------------
def test_exception_in_worker_is_reraised_with_its_traceback():
    loader = DataLoader(Faulty("raise"), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as e_info:
        list(loader)
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        wrapper = torch._utils.ExceptionWrapper(where="in DataLoader worker process 0")
    with pytest.raises(ZeroDivisionError) as t_info:
        wrapper.reraise()
    msg = str(e_info.value)
    assert re.match(r"Caught ValueError in DataLoader worker process 1\.\n"
                    r"Original Traceback \(most recent call last\):\n", msg)
    assert "bad item 3" in msg and "data_helpers.py" in msg
    # the same layout as PyTorch's message
    assert re.match(r"Caught ZeroDivisionError in DataLoader worker process 0\.\n"
                    r"Original Traceback \(most recent call last\):\n", str(t_info.value))
    del e_info  # (its traceback holds the iterator)


def test_iteration_goes_on_after_a_worker_exception():
    it = iter(DataLoader(Faulty("raise"), batch_size=2, num_workers=2))
    assert next(it)[:, 0, 0].tolist() == [0.0, 1.0]
    with pytest.raises(ValueError):
        next(it)
    assert next(it)[:, 0, 0].tolist() == [4.0, 5.0]
    del it


def test_key_error_message_keeps_its_lines():
    with pytest.raises(KeyError) as info:
        list(DataLoader(Faulty("keyerror"), num_workers=1))
    assert str(info.value).startswith("Caught KeyError in DataLoader worker process 0.\n")


def test_unpicklable_batch_is_an_error_not_a_hang():
    loader = DataLoader(Faulty("unpicklable", at=0), batch_size=None, num_workers=1, timeout=10)
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        list(loader)


def test_worker_init_fn_error_is_raised_at_the_first_batch():
    def init(worker_id):
        raise RuntimeError("init failed")

    with pytest.raises(RuntimeError, match="init failed"):
        list(DataLoader(Squares(4), num_workers=1, worker_init_fn=init))


@pytest.mark.parametrize("how, message", [
    ("kill", r"DataLoader worker \(pid \d+\) is killed by signal: Killed\. "),
    ("exit", r"DataLoader worker \(pid \d+\) exited unexpectedly with exit code 3\. "),
])
def test_dead_worker_raises_within_seconds(how, message):
    loader = DataLoader(Faulty(how), batch_size=2, num_workers=2)
    pids, start = [], time.monotonic()
    with pytest.raises(RuntimeError, match=message):
        for _ in loader:
            pids = pids or _worker_pids()
    assert time.monotonic() - start < 5
    assert _gone(pids)


def test_timeout():
    loader = DataLoader(Faulty("sleep", at=0, sleep=5), num_workers=1, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0\.5 seconds$"):
        next(iter(loader))
    assert time.monotonic() - start < 4  # including the shutdown of the sleeping worker


# ---- shutdown ---------------------------------------------------------------------------------
def test_break_early_ends_workers_and_frees_segments():
    pids = []
    for i, batch in enumerate(DataLoader(Squares(40, shape=(3, 32, 32)), batch_size=4,
                                         num_workers=2, prefetch_factor=4)):
        pids = _worker_pids()
        time.sleep(0.05)  # let the workers fill the pipeline with batches nobody will read
        break
    assert len(pids) == 2 and _gone(pids)
    assert _segments() == []


def test_exception_in_loop_ends_workers():
    pids = []
    with pytest.raises(ZeroDivisionError):
        for batch in DataLoader(Squares(40, shape=(3, 32, 32)), batch_size=4, num_workers=2):
            pids = _worker_pids()
            1 / 0
    assert _gone(pids)


def test_keyboard_interrupt_while_waiting_ends_workers():
    loader = DataLoader(Faulty("sleep", at=1, sleep=5), batch_size=None, num_workers=1)
    pids = []
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        for batch in loader:
            pids = _worker_pids()
            timer.start()
    assert _gone(pids)


def test_garbage_collected_loader_ends_persistent_workers():
    loader = DataLoader(Squares(8, shape=(3, 32, 32)), batch_size=4, num_workers=2,
                        persistent_workers=True)
    it = iter(loader)
    next(it)
    pids = _worker_pids()
    del loader, it
    gc.collect()
    assert len(pids) == 2 and _gone(pids)


def test_spawn_context():
    from data_helpers import Environ
    env = dict(os.environ)
    loader = DataLoader(Environ(), batch_size=None, num_workers=1,
                        multiprocessing_context="spawn")
    items = list(loader)
    assert {pid for pid, _, _, _ in items} != {os.getpid()}
    assert all(omp == "1" for _, omp, _, _ in items)  # set before the worker imported NumPy
    assert dict(os.environ) == env  # and only for the worker
    assert [t.item() for _, _, _, t in items] == [0, 10, 20, 30]  # tensors pickled both ways


def test_forked_workers_use_one_blas_thread():
    from data_helpers import Environ, openblas_threads
    if openblas_threads() == -1:
        pytest.skip("NumPy is not linked with OpenBLAS")
    items = list(DataLoader(Environ(), batch_size=None, num_workers=2))
    assert all(n == 1 and omp == "1" for _, omp, n, _ in items)


def test_next_after_a_dead_worker_raises_again():
    it = iter(DataLoader(Faulty("kill", at=0), num_workers=1))
    for _ in range(2):
        with pytest.raises(RuntimeError, match="is killed by signal: Killed"):
            next(it)
    del it


def _dead_or_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("context", ["fork", "forkserver"])
@pytest.mark.parametrize("when", ["after a batch", "while the workers start"])
def test_workers_exit_when_the_main_process_is_killed(when, context):
    import subprocess
    import sys
    starting = when == "while the workers start"
    code = (
        "import os, signal, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from data_helpers import Squares, slow_start\n"
        "from ember.utils.data import DataLoader\n"
        f"it = iter(DataLoader(Squares(8), num_workers=2, persistent_workers=True,\n"
        f"                     multiprocessing_context={context!r},\n"
        f"                     worker_init_fn={'slow_start' if starting else None}))\n"
        f"{'' if starting else 'next(it)'}\n"
        "print(' '.join(str(w.pid) for w in it._pool.workers), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    # NOTE: the workers hold the pipes open: run() returns once they have all exited
    out = subprocess.run([sys.executable, "-c", code, os.path.dirname(__file__)],
                         capture_output=True, text=True, timeout=30)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.monotonic() + 10
    while not all(_dead_or_zombie(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_dead_or_zombie(p) for p in pids)
    for f in os.listdir("/dev/shm"):  # what the killed process had in flight
        if f.startswith("ember_dl_") and not os.path.exists(f"/proc/{f.split('_')[2]}"):
            _shm.unlink("/" + f)

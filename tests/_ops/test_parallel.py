"""The thread runner behind chunked convolutions, and ember's BLAS thread controls."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import ember
from ember import _backend
from ember._ops import _parallel
from helpers import compare, rand

needs_openblas = pytest.mark.skipif(_backend.blas_num_threads() is None,
                                    reason="NumPy's BLAS is not OpenBLAS")


def test_run_returns_results_in_order_from_several_threads():
    seen = []

    def fn(i):
        seen.append(threading.get_ident())
        return i * 10

    assert _parallel.run(fn, 3) == [0, 10, 20]
    assert len(set(seen)) > 1
    assert _parallel.run(fn, 1) == [0]


@needs_openblas
def test_blas_runs_single_threaded_inside_and_is_restored_after():
    before = _backend.blas_num_threads()
    try:
        _backend.set_blas_num_threads(2)
        inside = _parallel.run(lambda i: _backend.blas_num_threads(), 2)
        assert inside == [1, 1]
        assert _backend.blas_num_threads() == 2

        def boom(i):
            if i == 1:
                raise ValueError("part 1 failed")
            return i

        with pytest.raises(ValueError, match="part 1 failed"):
            _parallel.run(boom, 2)
        assert _backend.blas_num_threads() == 2
    finally:
        _backend.set_blas_num_threads(before)


@needs_openblas
def test_concurrent_and_nested_runs_restore_blas_threads():
    before = _backend.blas_num_threads()
    try:
        _backend.set_blas_num_threads(2)
        gate = threading.Barrier(2)

        def slow(i):
            if i == 0:
                gate.wait(timeout=10)  # both user threads are inside run() at once
            return _backend.blas_num_threads()

        out = []
        users = [threading.Thread(target=lambda: out.append(_parallel.run(slow, 2)))
                 for _ in range(2)]
        for t in users:
            t.start()
        for t in users:
            t.join(timeout=20)
        assert out == [[1, 1], [1, 1]]
        assert _backend.blas_num_threads() == 2
        # a run inside a part runs serially on that thread (the pool would wait on itself)
        nested = _parallel.run(lambda i: _parallel.run(lambda j: (i, j), 2), 2)
        assert nested == [[(0, 0), (0, 1)], [(1, 0), (1, 1)]]
        assert _backend.blas_num_threads() == 2
    finally:
        _backend.set_blas_num_threads(before)


@needs_openblas
def test_workers_follow_the_blas_thread_count(monkeypatch):
    monkeypatch.setattr(_backend, "short_blas_spin", True)
    before = _backend.blas_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        assert _parallel.workers(8) == 1
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2
        assert _parallel.workers(8) == 2
        assert _parallel.workers(1) == 1
    finally:
        _backend.set_blas_num_threads(before)


def test_no_threads_of_ours_while_blas_threads_spin_long(monkeypatch):
    monkeypatch.setattr(_backend, "short_blas_spin", False)
    assert _parallel.workers(8) == 1


@pytest.mark.parametrize("numpy_first, env, short", [
    (False, None, True), (True, None, False), (True, "16", True), (False, "20", True)])
def test_import_shortens_blas_spin_only_before_numpy_loads(numpy_first, env, short):
    code = ("import os, sys\n" + ("import numpy\n" if numpy_first else "") +
            "import ember\nfrom ember import _backend\n"
            "print(_backend.short_blas_spin, os.environ.get('OPENBLAS_THREAD_TIMEOUT'))")
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if env:
        environ["OPENBLAS_THREAD_TIMEOUT"] = env
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[0] == str(short)
    assert out[1] == (env or ("None" if numpy_first else "16"))


def test_set_num_threads_rejects_non_positive():
    with pytest.raises(RuntimeError, match="positive integer"):
        ember.set_num_threads(0)


@pytest.fixture
def split_everything(monkeypatch):
    """Large-array kernels cut their work into spans on threads; make even small arrays split,
    into three spans, so the span edges are exercised against torch."""
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(_parallel, "workers", lambda parts: max(1, min(parts, 3)))


@pytest.mark.parametrize("shape", [(5, 7), (4, 3, 6, 5), (1, 9)])
def test_relu_in_spans(shape, split_everything):
    compare(lambda lib, x: lib.relu(x) * 2, rand(*shape))
    compare(lambda lib, x: lib.nn.functional.relu(x.transpose(0, 1)), rand(*shape))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, dilation=2, ceil_mode=True)])
def test_max_pool_in_spans(kw, split_everything):
    compare(lambda lib, x: lib.nn.functional.max_pool2d(x, **kw), rand(5, 3, 7, 8))
    compare(lambda lib, x: lib.nn.functional.max_pool2d(x, return_indices=True, **kw)[1],
            rand(4, 2, 6, 6))
    x = rand(5, 2, 6, 6)
    x[1, 0, 2, 3] = np.nan
    compare(lambda lib, x: lib.nn.functional.max_pool2d(x, **kw), x)


@pytest.mark.parametrize("xs,ws,kw", [((3, 5, 1, 1), (7, 5, 3, 3), dict(padding=1)),
                                      ((2, 4, 2, 2), (5, 4, 3, 3), dict(padding=1)),
                                      ((2, 4, 4, 4), (6, 4, 3, 3), dict(stride=2, padding=1))])
def test_small_map_convolution_in_spans(xs, ws, kw, split_everything):
    compare(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, **kw), rand(*xs), rand(*ws),
            rand(ws[0]))


def test_dropout_in_spans_is_the_whole_array_dropout(monkeypatch):
    F = ember.nn.functional

    def run():
        x = ember.arange(35.0).reshape(5, 7).requires_grad_()
        ember.manual_seed(3)
        y = F.dropout(x, 0.3)
        (y * ember.arange(35.0).reshape(5, 7)).sum().backward()
        return y.detach().numpy(), x.grad.numpy()

    y1, g1 = run()
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(_parallel, "workers", lambda parts: max(1, min(parts, 3)))
    y2, g2 = run()
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(g1, g2)
    keep = y2 != 0
    assert 0 < keep.sum() < 35
    x = np.arange(35.0, dtype=np.float32).reshape(5, 7)
    np.testing.assert_allclose(y2, x * keep / np.float32(0.7), rtol=1e-6)
    np.testing.assert_allclose(g2, x * keep / np.float32(0.7), rtol=1e-6)


@pytest.mark.parametrize("kw", [{}, dict(reduction="none"), dict(reduction="sum"),
                                dict(ignore_index=2), dict(label_smoothing=0.1)])
def test_cross_entropy_in_spans(kw, split_everything):
    t = np.array([1, 0, 4, 2, 3, 2, 1])
    compare(lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor(t), **kw), rand(7, 5))
    w = rand(5, low=0.5, high=1.5)
    compare(lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor(t), lib.tensor(w), **kw),
            rand(7, 5))


def test_cross_entropy_in_spans_of_small_blocks(split_everything, monkeypatch):
    from ember.nn._functional import _cross_entropy
    monkeypatch.setattr(_cross_entropy, "_BLOCK_BYTES", 1)  # one row at a time in each span
    t = np.array([1, 0, 4, 2, 3, 2, 1])
    compare(lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor(t)), rand(7, 5))
    compare(lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor(t), reduction="none"),
            rand(7, 5) * 30)


# ---- run_tasks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("overlapping", [True, False])
def test_run_tasks_keeps_every_dependency(monkeypatch, overlapping):
    monkeypatch.setattr(_parallel, "overlapping", lambda: overlapping)
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = 30
        deps = [sorted(rng.choice(i, size=min(i, rng.integers(0, 4)), replace=False).tolist())
                if i else [] for i in range(n)]
        order = rng.permutation(n)  # priority order: not the order dependencies allow
        done, threads = [], set()

        def task(i):
            threads.add(threading.current_thread().name)
            for d in deps[i]:
                assert d in done, (i, d)
            done.append(i)
        index = {int(i): k for k, i in enumerate(order)}
        _parallel.run_tasks([(lambda i=int(i): task(i), [index[d] for d in deps[int(i)]])
                             for i in order])
        assert sorted(done) == list(range(n))
    if not overlapping:  # (with a second thread, which one takes what is a matter of timing)
        assert threads == {threading.current_thread().name}


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_run_tasks_raises_a_tasks_error_after_the_others_stop(monkeypatch, error):
    monkeypatch.setattr(_parallel, "overlapping", lambda: True)
    ran = []
    before = _backend.blas_num_threads()

    def fail():
        raise error("task 1 failed")
    tasks = [(lambda: ran.append(0), []), (fail, [0]), (lambda: ran.append(2), [1])]
    with pytest.raises(error, match="task 1 failed"):
        _parallel.run_tasks(tasks)
    assert ran == [0]  # the task that needed the failed one never ran
    assert _backend.blas_num_threads() == before  # BLAS got its threads back


def test_run_tasks_refuses_dependencies_that_can_never_be_met():
    with pytest.raises(RuntimeError, match="can never run"):
        _parallel.run_tasks([(lambda: None, [1]), (lambda: None, [0])])

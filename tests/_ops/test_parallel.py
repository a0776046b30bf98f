"""The thread runner behind chunked convolutions, and ember's BLAS thread controls."""
import threading

import pytest

import ember
from ember import _backend
from ember._ops import _parallel

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
def test_workers_follow_the_blas_thread_count():
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


def test_set_num_threads_rejects_non_positive():
    with pytest.raises(RuntimeError, match="positive integer"):
        ember.set_num_threads(0)

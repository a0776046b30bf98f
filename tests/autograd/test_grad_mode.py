"""no_grad, enable_grad, set_grad_enabled and inference_mode: as context managers, as decorators
(with and without parentheses), nested, and set_grad_enabled as a plain call."""
import threading

import pytest


@pytest.fixture(autouse=True)
def _restore(lib):
    yield
    lib.set_grad_enabled(True)


def test_context_managers_and_nesting(lib):
    x = lib.ones(2, requires_grad=True)
    assert lib.is_grad_enabled()
    with lib.no_grad():
        assert not lib.is_grad_enabled()
        assert not (x * 2).requires_grad
        with lib.enable_grad():
            assert lib.is_grad_enabled() and (x * 2).requires_grad
            with lib.set_grad_enabled(False):
                assert not (x * 2).requires_grad
            assert lib.is_grad_enabled()
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled() and (x * 2).requires_grad


def test_mode_is_restored_after_an_exception(lib):
    with pytest.raises(ValueError):
        with lib.no_grad():
            raise ValueError
    assert lib.is_grad_enabled()


def test_decorators_with_and_without_parentheses(lib):
    x = lib.ones(2, requires_grad=True)

    @lib.no_grad
    def bare(t):
        return t * 2

    @lib.no_grad()
    def called(t):
        return t * 2

    @lib.inference_mode
    def infer_bare(t):
        return t * 2

    @lib.inference_mode()
    def infer_called(t):
        return t * 2

    @lib.set_grad_enabled(False)
    def off(t):
        return t * 2

    assert lib.is_grad_enabled()  # decorating with set_grad_enabled does not switch it now
    for f in (bare, called, infer_bare, infer_called, off):
        assert not f(x).requires_grad
        assert lib.is_grad_enabled()
    assert bare.__name__ == "bare"

    @lib.enable_grad
    def on(t):
        return t * 2

    with lib.no_grad():
        assert on(x).requires_grad
        assert not lib.is_grad_enabled()


def test_decorated_recursion_restores_each_level(lib):
    @lib.no_grad()
    def f(n):
        assert not lib.is_grad_enabled()
        return 0 if n == 0 else 1 + f(n - 1)

    assert f(3) == 3 and lib.is_grad_enabled()


def test_decorated_generator(lib):
    @lib.no_grad()
    def gen():
        for _ in range(2):
            yield lib.is_grad_enabled()

    it = gen()
    assert next(it) is False
    assert lib.is_grad_enabled()  # the mode holds inside the generator only
    assert next(it) is False
    with pytest.raises(StopIteration):
        next(it)


def test_set_grad_enabled_as_a_plain_call(lib):
    x = lib.ones(2, requires_grad=True)
    lib.set_grad_enabled(False)
    assert not lib.is_grad_enabled() and not (x * 2).requires_grad
    lib.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with lib.no_grad():
        with lib.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not lib.is_grad_enabled()


def test_inference_mode(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        assert not lib.is_grad_enabled() and lib.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
        with lib.inference_mode(False):
            assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
    assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
    with lib.no_grad():
        with lib.inference_mode(False):  # as PyTorch: inference_mode(False) turns recording on
            assert lib.is_grad_enabled()


def test_autograd_namespace_has_the_modes(lib):
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"):
        assert getattr(lib.autograd, name) is getattr(lib, name)
    assert lib.autograd.grad_mode.no_grad is lib.no_grad


def test_backward_inside_no_grad_still_works(lib):
    x = lib.ones(2, requires_grad=True)
    y = (x * x).sum()
    with lib.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 2.0]
    assert not x.grad.requires_grad


def _in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_grad_and_inference_modes_belong_to_each_thread(lib):
    """As in PyTorch: a thread starts with grad mode on and inference mode off, whatever mode
    another thread is in, and switching them in one thread leaves the others alone."""
    x = lib.ones(3, requires_grad=True)

    def record():
        return ((x * 2).requires_grad, lib.is_grad_enabled(), lib.is_inference_mode_enabled())
    with lib.no_grad():
        assert _in_thread(record) == (True, True, False)
        assert not (x * 2).requires_grad
    with lib.inference_mode():
        assert _in_thread(record) == (True, True, False)

    def switch_off():
        lib.set_grad_enabled(False)
        return record()
    assert _in_thread(switch_off) == (False, False, False)
    assert record() == (True, True, False)  # this thread's mode is untouched


def test_anomaly_mode_is_shared_by_all_threads(lib):
    """PyTorch keeps one anomaly setting for the process."""
    before = lib.is_anomaly_enabled()
    try:
        lib.autograd.set_detect_anomaly(True)
        assert _in_thread(lib.is_anomaly_enabled)
        _in_thread(lambda: lib.autograd.set_detect_anomaly(False))
        assert not lib.is_anomaly_enabled()
    finally:
        lib.autograd.set_detect_anomaly(before)

"""Top-level constants and settings (``ember._globals``), memory formats in clone / contiguous /
to / is_contiguous, and the trivial Tensor predicates (``ember._tensor_props``), against torch."""
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand


def test_constants():
    for name in ["e", "pi", "inf", "nan", "newaxis"]:
        e, t = getattr(ember, name), getattr(torch, name)
        assert e is t or e == t or (np.isnan(e) and np.isnan(t)), name
    assert repr(ember.strided) == "ember.strided"
    assert repr(ember.channels_last) == "ember.channels_last"
    for obj in [ember.strided, ember.channels_last, ember.contiguous_format]:
        assert pickle.loads(pickle.dumps(obj)) is obj


@pytest.fixture
def restore_settings():
    saved = dict(ember._globals._settings)
    yield
    ember._globals._settings.update(saved)


def test_deterministic_switches(restore_settings):
    for lib in (torch, ember):
        before = (lib.are_deterministic_algorithms_enabled(),
                  lib.is_deterministic_algorithms_warn_only_enabled(),
                  lib.get_deterministic_debug_mode())
        seen = []
        try:
            lib.use_deterministic_algorithms(True, warn_only=True)
            seen.append((lib.are_deterministic_algorithms_enabled(),
                         lib.is_deterministic_algorithms_warn_only_enabled(),
                         lib.get_deterministic_debug_mode()))
            lib.set_deterministic_debug_mode("error")
            seen.append(lib.get_deterministic_debug_mode())
            lib.set_deterministic_debug_mode(0)
            seen.append(lib.are_deterministic_algorithms_enabled())
        finally:
            lib.use_deterministic_algorithms(before[0], warn_only=before[1])
        if lib is torch:
            expected = seen
        else:
            assert seen == expected
    check_raises(lambda lib: lib.use_deterministic_algorithms("x"))
    check_raises(lambda lib: lib.set_deterministic_debug_mode("bad"))


def test_matmul_precision_and_threads(restore_settings):
    ember.set_float32_matmul_precision("high")
    assert ember.get_float32_matmul_precision() == "high"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.set_float32_matmul_precision("fastest")
    assert w and ember.get_float32_matmul_precision() == "high"
    assert ember.get_num_interop_threads() >= 1
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError):
        ember.set_num_interop_threads(0)
    assert ember.set_flush_denormal(False) is False


@pytest.mark.parametrize("fmt", ["channels_last", "contiguous_format", "preserve_format"])
def test_memory_formats(fmt):
    x = rand(2, 3, 4, 5)

    def strides(lib, a):
        f = getattr(lib, fmt)
        c = a.contiguous(memory_format=f) if fmt != "preserve_format" else a
        k = a.clone(memory_format=f)
        t = a.to(memory_format=f)
        return (c.stride(), k.stride(), t.stride(), c.is_contiguous(),
                c.is_contiguous(memory_format=lib.channels_last), c, k, t)
    compare(strides, x)
    nhwc = {}
    for lib in (torch, ember):
        a = lib.tensor(x).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
        nhwc[lib] = strides(lib, a)[:5]
    assert nhwc[ember] == nhwc[torch]


def test_channels_last_3d_and_errors():
    compare(lambda lib, a: a.contiguous(memory_format=lib.channels_last_3d).stride(),
            rand(2, 3, 2, 2, 2))
    check_raises(lambda lib, a: a.contiguous(memory_format=lib.channels_last), rand(2, 3))
    check_raises(lambda lib, a: a.clone(memory_format=lib.channels_last_3d), rand(2, 3, 4, 5))
    x = ember.randn(2, 3, 4, 5)
    assert x.contiguous(memory_format=ember.contiguous_format) is x
    c = x.contiguous(memory_format=ember.channels_last)
    assert c.contiguous(memory_format=ember.channels_last) is c


def test_tensor_predicates():
    t, e = torch.randn(2, 3), ember.randn(2, 3)
    for name in ["is_sparse", "is_quantized", "is_meta", "is_nested", "is_mkldnn",
                 "is_sparse_csr"]:
        assert getattr(e, name) is getattr(t, name) is False, name
    for name in ["is_pinned", "is_shared", "is_inference", "is_conj", "is_neg", "is_signed"]:
        assert getattr(e, name)() == getattr(t, name)(), name
    assert e.resolve_conj() is e and e.resolve_neg() is e
    assert repr(e.layout) == "ember.strided" and e.layout is ember.strided
    assert e.get_device() == t.get_device() == -1
    assert e.is_same_size(ember.zeros(2, 3)) and not e.is_same_size(ember.zeros(3, 2))
    assert ember.tensor([1], dtype=ember.uint8).is_signed() is False
    assert ember.tensor([True]).is_signed() is False


@pytest.mark.parametrize("index", [(slice(1, None),), (1,), (slice(None), slice(1, 3)),
                                   (slice(None, None, 2),), (Ellipsis, 2)])
def test_storage_offset(index):
    t, e = torch.arange(24.0).reshape(4, 6), ember.arange(24.0).reshape(4, 6)
    assert e[index].storage_offset() == t[index].storage_offset()
    assert e.t()[index].storage_offset() == t.t()[index].storage_offset()


def test_sum_to_size_and_is_nonzero():
    compare(lambda lib, a: a.sum_to_size(1, 3), rand(2, 3))
    compare(lambda lib, a: a.sum_to_size((4, 1, 1)), rand(2, 4, 2, 3))
    compare(lambda lib, a: a.sum_to_size(2, 3), rand(2, 3))
    check_raises(lambda lib, a: a.sum_to_size(3, 3), rand(2, 3))
    assert ember.tensor([2.0]).is_nonzero() is torch.tensor([2.0]).is_nonzero()
    check_raises(lambda lib, a: a.is_nonzero(), rand(2))


def test_deterministic_flags_and_thread_errors_as_torch(restore_settings):
    def state(L):
        return (L.are_deterministic_algorithms_enabled(),
                L.is_deterministic_algorithms_warn_only_enabled(),
                L.get_deterministic_debug_mode())
    t0, e0 = state(torch), state(ember)
    try:
        for lib in (torch, ember):  # warn_only is kept as given, even with the mode off
            lib.use_deterministic_algorithms(False, warn_only=True)
        assert state(ember) == state(torch)
        for lib in (torch, ember):  # a bool is an int level
            lib.set_deterministic_debug_mode(True)
        assert state(ember) == state(torch) == (True, True, 1)
    finally:
        torch.use_deterministic_algorithms(t0[0], warn_only=t0[1])
        ember.use_deterministic_algorithms(e0[0], warn_only=e0[1])
    for bad in (1.0, None):
        with pytest.raises(TypeError) as t_exc:
            torch.set_deterministic_debug_mode(bad)
        with pytest.raises(TypeError) as e_exc:
            ember.set_deterministic_debug_mode(bad)
        assert str(e_exc.value) == str(t_exc.value)
    for bad in (0, -2, 1.5):
        with pytest.raises(RuntimeError) as t_exc:
            torch.set_num_interop_threads(bad)
        with pytest.raises(RuntimeError) as e_exc:
            ember.set_num_interop_threads(bad)
        assert str(e_exc.value) == str(t_exc.value)


def test_sum_to_size_and_is_same_size_errors_as_torch():
    for make in (lambda L: L.ones(2, 3).sum_to_size(2),
                 lambda L: L.ones(3).sum_to_size(2, 3),
                 lambda L: L.ones(2, 3).is_same_size(3)):
        with pytest.raises(Exception) as t_exc:
            make(torch)
        with pytest.raises(type(t_exc.value)) as e_exc:
            make(ember)
        assert str(e_exc.value) == str(t_exc.value)


def test_storage_offset_of_from_numpy_views_and_chains():
    arr = np.arange(10.0)
    for lib in (torch, ember):
        assert lib.from_numpy(arr[2:]).storage_offset() == 0
        assert lib.from_numpy(arr[2:])[3:].storage_offset() == 3
    t, e = torch.arange(24.0).reshape(4, 6), ember.arange(24.0).reshape(4, 6)
    for f in [lambda x: x[1:][1:, 2:], lambda x: x.diagonal(1), lambda x: x.view(-1)[5:],
              lambda x: x.reshape(2, 12)[1], lambda x: x[:, 3]]:
        assert f(e).storage_offset() == f(t).storage_offset()

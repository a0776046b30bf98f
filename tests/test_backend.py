"""Devices and the NumPy/CuPy backend."""
import numpy as np
import pytest
import torch

import ember
from ember import _backend


@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:1"])
def test_device_parsing_like_torch(spec):
    e, t = ember.device(spec), torch.device(spec)
    assert (e.type, e.index) == (t.type, t.index)
    assert str(e) == str(t)
    assert repr(e) == repr(t)


def test_device_equality_and_errors():
    assert ember.device("cpu") == "cpu"
    assert ember.device("cuda", 0) == ember.device("cuda:0")
    assert ember.device("cuda:0") != ember.device("cuda:1")
    with pytest.raises(RuntimeError):
        ember.device("tpu")
    with pytest.raises(RuntimeError):
        torch.device("tpu")


def test_cpu_tensor_device_and_to_cpu_is_identity():
    x = ember.ones(3)
    assert x.device == ember.device("cpu") and x.is_cpu and not x.is_cuda
    assert x.to("cpu") is x and x.cpu() is x


def test_xp_of_numpy():
    assert _backend.xp_of(np.ones(2)) is np


cuda = pytest.mark.skipif(not _backend.cuda_is_available(), reason="no CUDA device (CuPy)")


@cuda
def test_cuda_round_trip():
    x = ember.randn(4, 3, requires_grad=True)
    y = (x.to("cuda") * 2).sum()
    assert y.device.type == "cuda"
    y.backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_axpy_adds_in_place_with_one_rounding_like_torch(dt):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(10001).astype(dt), rng.standard_normal(10001).astype(dt)
    ty = torch.tensor(y.copy())
    assert _backend.axpy(-0.3, x, y)
    ty.add_(torch.tensor(x), alpha=-0.3)  # torch's vectorised add with alpha is a fused mul-add
    # bit for bit: a multiply, then an add (two roundings) differs in ~18% of the elements
    np.testing.assert_array_equal(y, ty.numpy())


def test_axpy_declines_what_blas_cannot_do():
    y = np.zeros(6, np.float32)
    # alpha 0: OpenBLAS would return early, where y + 0 * nan must be nan (the caller computes it)
    assert not _backend.axpy(0.0, np.full(6, np.nan, np.float32), y)
    for x, target in ((np.ones(6, np.float16), y.astype(np.float16)),  # not a BLAS dtype
                      (np.ones(6, np.float64), y),                      # dtypes differ
                      (np.ones(12, np.float32)[::2], y),                # not contiguous
                      (np.ones(3, np.float32), y)):                     # shapes differ
        before = target.copy()
        assert not _backend.axpy(2.0, x, target)
        np.testing.assert_array_equal(target, before)  # left as it was

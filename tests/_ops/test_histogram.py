"""quantile, nanquantile, nanmedian, mode, histc, histogram, cov and corrcoef against torch:
values, dtypes, gradients and errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand

MODES = ["linear", "lower", "higher", "midpoint", "nearest"]
NAN = np.nan


def _with_nans(*shape, dtype=np.float32):
    x = rand(*shape, dtype=dtype)
    x.reshape(-1)[::3] = NAN
    return x


# ---- quantile -----------------------------------------------------------------------------
@pytest.mark.parametrize("interpolation", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantile(interpolation, dtype):
    x = rand(4, 5, dtype=dtype)
    q = np.array([0.0, 0.25, 0.4, 0.5, 1.0], dtype)
    kw = dict(interpolation=interpolation)
    compare(lambda lib, a: lib.quantile(a, 0.3, **kw), x)
    compare(lambda lib, a, b: lib.quantile(a, b, dim=1, **kw), x, q)
    compare(lambda lib, a, b: a.quantile(b, -2, keepdim=True, **kw), x, q)
    compare(lambda lib, a: lib.quantile(a, 0.75, 0, True, **kw), noncontig(x))
    compare(lambda lib, a, b: lib.quantile(a, b, keepdim=True, **kw), x, q)
    compare(lambda lib, a, b: lib.quantile(a, b, **kw), x, np.array(0.6, dtype))


@pytest.mark.parametrize("interpolation", MODES)
def test_quantile_ties_nans_and_small_inputs(interpolation):
    kw = dict(interpolation=interpolation)
    ties = np.round(rand(3, 6, low=-2, high=2))
    compare(lambda lib, a: lib.quantile(a, 0.5, dim=1, **kw), ties)
    compare(lambda lib, a: lib.quantile(a, 0.3, dim=1, **kw), _with_nans(3, 4))
    compare(lambda lib, a: lib.quantile(a, 0.5, **kw), np.array(2.0, np.float32))
    compare(lambda lib, a: lib.quantile(a, 0.5, dim=0, keepdim=True, **kw),
            np.array(2.0, np.float32))
    compare(lambda lib, a: lib.quantile(a, 0.5, dim=0, **kw), rand(1, 3))


@pytest.mark.parametrize("interpolation", MODES)
def test_nanquantile(interpolation):
    kw = dict(interpolation=interpolation)
    x = _with_nans(4, 5)
    x[2] = NAN  # an all-NaN row
    q = np.array([0.1, 0.5, 0.9], np.float32)
    compare(lambda lib, a, b: lib.nanquantile(a, b, dim=1, **kw), x, q)
    compare(lambda lib, a: a.nanquantile(0.4, **kw), x)
    compare(lambda lib, a: lib.nanquantile(a, 0.4, 0, keepdim=True, **kw), x)
    compare(lambda lib, a: lib.nanquantile(a, 0.4, **kw), rand(3, 2, dtype=np.float64))


def test_quantile_out_and_errors():
    x = rand(3, 4)
    for lib in (torch, ember):
        o = lib.empty(0)
        assert lib.quantile(lib.tensor(x), 0.5, dim=1, out=o) is o
    np.testing.assert_allclose(o.numpy(), np.quantile(x, 0.5, axis=1), rtol=1e-6)
    check_raises(lambda lib, a: lib.quantile(a, 1.5), rand(3), match="range")
    check_raises(lambda lib, a, q: lib.quantile(a, q), rand(3), np.array([1.5], np.float32),
                 match="range")
    check_raises(lambda lib, a, q: lib.quantile(a, q), rand(3, dtype=np.float64),
                 np.array([0.5], np.float32), match="same dtype")
    check_raises(lambda lib, a, q: lib.quantile(a, q), rand(3), rand(2, 2), match="1D")
    check_raises(lambda lib, a: lib.quantile(a, 0.5), rand(0), match="non-empty")
    check_raises(lambda lib, a: lib.quantile(a, 0.5), np.ones(3, np.int64),
                 match="float or double")
    check_raises(lambda lib, a: lib.quantile(a, 0.5, interpolation="foo"), rand(3),
                 match="interpolation must be one of")
    check_raises(lambda lib, a: lib.quantile(a, 0.5, dim=2), rand(3, 2))
    check_raises(lambda lib, a: lib.nanquantile(a, -0.1), rand(3), match="range")


# ---- nanmedian, mode ----------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_nanmedian_along_a_dim(dim, keepdim):
    x = rand(4, 6)
    x.reshape(-1)[::5] = NAN  # no all-NaN lane: PyTorch's index there is arbitrary
    x[1] = np.round(x[1] * 2)  # ties: the index is the stable lower median's, as PyTorch
    compare(lambda lib, a: lib.nanmedian(a, dim, keepdim), x)
    compare(lambda lib, a: a.nanmedian(dim, keepdim=keepdim), rand(3, 5, dtype=np.float64))
    compare(lambda lib, a: lib.nanmedian(a, dim), rand(4, 5, dtype=np.int64, low=-3, high=3))


def test_nanmedian_of_all_elements():
    compare(lambda lib, a: lib.nanmedian(a), _with_nans(3, 4))
    compare(lambda lib, a: lib.nanmedian(a), np.round(rand(3, 4, low=-2, high=2)))  # ties share
    compare(lambda lib, a: lib.nanmedian(a), np.full(3, NAN, np.float32))
    compare(lambda lib, a: lib.nanmedian(a), rand(0))
    compare(lambda lib, a: lib.nanmedian(a), np.array(1.5))
    compare(lambda lib, a: lib.nanmedian(a, 0), np.array(1.5))
    check_raises(lambda lib, a: lib.nanmedian(a, 1), rand(3, 0))
    check_raises(lambda lib, a: lib.nanmedian(a), np.array([True]), match="median_cpu")
    vals, idx = ember.nanmedian(ember.tensor([[NAN, NAN, NAN]]), 1)
    assert np.isnan(vals.item()) and 0 <= idx.item() < 3  # PyTorch's index here is arbitrary


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_mode(dim, keepdim):
    x = np.round(rand(5, 7, low=-2, high=2))
    compare(lambda lib, a: lib.mode(a, dim, keepdim), x)
    compare(lambda lib, a: a.mode(dim, keepdim), x.astype(np.int64))
    compare(lambda lib, a: lib.mode(a, dim, keepdim), noncontig(x.astype(np.float64)))


def test_mode_small_inputs_and_errors():
    compare(lambda lib, a: lib.mode(a), np.array(3.0, np.float32))
    compare(lambda lib, a: lib.mode(a), np.array([1.0, 2.0, 2.0, 1.0, 3.0], np.float32))
    compare(lambda lib, a: lib.mode(a), rand(0, 3))
    compare(lambda lib, a: lib.mode(a, 1), np.array([[True, False, True]]))
    check_raises(lambda lib, a: lib.mode(a, 1), rand(3, 0), match="non-zero size")
    check_raises(lambda lib, a: lib.mode(a, 2), rand(3, 2))


# ---- histc, histogram ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc(dtype):
    x = rand(50, dtype=dtype, low=-3, high=3)
    compare(lambda lib, a: lib.histc(a), x, grad=False)
    compare(lambda lib, a: lib.histc(a, bins=7, min=-1, max=2), x, grad=False)
    compare(lambda lib, a: a.histc(5, -3, 3), np.round(x), grad=False)  # values on edges
    compare(lambda lib, a: lib.histc(a, 4), np.ones(3, dtype), grad=False)
    compare(lambda lib, a: lib.histc(a, 4, 2, 2), rand(3, 4, dtype=dtype), grad=False)
    compare(lambda lib, a: lib.histc(a, 3), np.zeros(0, dtype), grad=False)
    compare(lambda lib, a: lib.histc(a, 3, 0, 1), np.array([0.5, NAN, 2], dtype), grad=False)


def test_histc_errors():
    check_raises(lambda lib, a: lib.histc(a), np.array([1, 2], np.int64),
                 match="\"histogram_cpu\" not implemented for 'Long'")
    check_raises(lambda lib, a: lib.histc(a, 0), rand(3), match="bins must be > 0")
    check_raises(lambda lib, a: lib.histc(a, 3, 3, 1), rand(3), match="max must be larger")
    check_raises(lambda lib, a: lib.histc(a, 3), np.array([1, NAN], np.float32),
                 match="not finite")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", [False, True])
def test_histogram(dtype, density):
    x = rand(6, 5, dtype=dtype, low=-3, high=3)
    w = rand(6, 5, dtype=dtype, low=0, high=2)
    kw = dict(density=density)
    compare(lambda lib, a: lib.histogram(a, **kw), x, grad=False)
    compare(lambda lib, a: lib.histogram(a, 7, **kw), np.round(x), grad=False)
    compare(lambda lib, a: lib.histogram(a, 4, range=(-1.0, 2.0), **kw), x, grad=False)
    compare(lambda lib, a, b: lib.histogram(a, 3, weight=b, **kw), x, w, grad=False)
    edges = np.array([-3, -1, 0, 0.5, 2.5], dtype)
    compare(lambda lib, a, e: lib.histogram(a, e, **kw), x, edges, grad=False)
    compare(lambda lib, a, e, b: a.histogram(e, weight=b, **kw), x, edges, w, grad=False)
    compare(lambda lib, a: lib.histogram(a, 4, **kw), np.ones(3, dtype), grad=False)
    compare(lambda lib, a: lib.histogram(a, 2, **kw), np.zeros(0, dtype), grad=False)


def test_histogram_out_and_errors():
    x = rand(10)
    for lib in (torch, ember):
        h, e = lib.empty(0), lib.empty(0)
        r = lib.histogram(lib.tensor(x), 3, out=(h, e))
        assert r.hist is h and r.bin_edges is e
    np.testing.assert_array_equal(h.numpy(), torch.histogram(torch.tensor(x), 3).hist.numpy())
    check_raises(lambda lib, a: lib.histogram(a, 3), np.array([1, 2], np.int64))
    # float16 takes only explicit edges (PyTorch's histogramdd kernel has no Half)
    check_raises(lambda lib, a: lib.histogram(a, 3), rand(4, dtype=np.float16),
                 match="not implemented for 'Half'")
    compare(lambda lib, a, b: lib.histogram(a, b), rand(4, dtype=np.float16),
            np.array([-1, 0, 1], np.float16), grad=False)
    check_raises(lambda lib, a: lib.histogram(a, 0), rand(3), match="bins must be > 0")
    check_raises(lambda lib, a, e: lib.histogram(a, e), rand(3), rand(2, 2),
                 match="one dimension")
    check_raises(lambda lib, a, e: lib.histogram(a, e), rand(3), rand(0),
                 match="at least 1 element")
    check_raises(lambda lib, a, e: lib.histogram(a, e), rand(3), rand(1))
    check_raises(lambda lib, a, e: lib.histogram(a, e), rand(3), rand(2, dtype=np.float64),
                 match="same dtype")
    check_raises(lambda lib, a, w: lib.histogram(a, 3, weight=w), rand(3), rand(2),
                 match="same shape")
    check_raises(lambda lib, a: lib.histogram(a, 3, range=(2.0, 1.0)), rand(3),
                 match="min should not exceed max")
    check_raises(lambda lib, a: lib.histogram(a, 3), np.array([1, np.inf], np.float32),
                 match="not finite")


# ---- cov, corrcoef ------------------------------------------------------------------------
@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cov(correction, dtype):
    x = rand(3, 6, dtype=dtype)
    fw = rand(6, dtype=np.int64, low=0, high=4)
    aw = rand(6, dtype=dtype, low=0.1, high=2)
    compare(lambda lib, a: lib.cov(a, correction=correction), x)
    compare(lambda lib, a: a.cov(correction=correction), rand(6, dtype=dtype))
    compare(lambda lib, a, f: lib.cov(a, correction=correction, fweights=f), x, fw)
    compare(lambda lib, a, w: lib.cov(a, correction=correction, aweights=w), x, aw)
    compare(lambda lib, a, f, w: lib.cov(a, correction=correction, fweights=f, aweights=w),
            noncontig(x), fw, aw)
    compare(lambda lib, a: lib.cov(a), rand(6, 3, dtype=np.int64, low=-5, high=5))


def test_cov_edges_and_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, a: lib.cov(a), rand(2, 0), grad=False)
        compare(lambda lib, a: lib.cov(a), rand(0, 3), grad=False)
        compare(lambda lib, a: lib.corrcoef(a), rand(2, 0), grad=False)
        compare(lambda lib, a: lib.cov(a), rand(1), grad=False)
        compare(lambda lib, a: lib.cov(a, correction=3), rand(2, 3), grad=False)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        ember.cov(ember.ones(1))
    check_raises(lambda lib, a: lib.cov(a), rand(2, 2, 2), match="two or fewer")
    check_raises(lambda lib, a: lib.cov(a), np.ones((2, 3), bool), match="bool")
    check_raises(lambda lib, a, f: lib.cov(a, fweights=f), rand(2, 3), rand(3),
                 match="integral dtype")
    check_raises(lambda lib, a, f: lib.cov(a, fweights=f), rand(2, 3), np.ones(2, np.int64),
                 match="same numel")
    check_raises(lambda lib, a, f: lib.cov(a, fweights=f), rand(2, 3),
                 np.array([1, -1, 1], np.int64), match="cannot be negative")
    check_raises(lambda lib, a, f: lib.cov(a, fweights=f), rand(2, 3), np.zeros(3, np.int64),
                 match="sum to zero")
    check_raises(lambda lib, a, w: lib.cov(a, aweights=w), rand(2, 3), np.ones(3, np.int64),
                 match="floating point")
    check_raises(lambda lib, a, w: lib.cov(a, aweights=w), rand(2, 3), -np.ones(3, np.float32),
                 match="cannot be negative")


def test_corrcoef():
    compare(lambda lib, a: lib.corrcoef(a), rand(3, 6))
    compare(lambda lib, a: a.corrcoef(), rand(4, 5, dtype=np.float64))
    compare(lambda lib, a: lib.corrcoef(a), rand(6))
    compare(lambda lib, a: lib.corrcoef(a), np.array([1, 2, 4], np.int64))
    x = rand(3, 4)
    x[1] = 1.0  # zero variance: NaN row and column
    compare(lambda lib, a: lib.corrcoef(a), x, grad=False)
    check_raises(lambda lib, a: lib.corrcoef(a), rand(2, 2, 2), match="two or fewer")


def test_gradcheck():
    x = ember.tensor(rand(3, 5, dtype=np.float64), requires_grad=True)
    q = ember.tensor([0.2, 0.5], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda a: ember.quantile(a, q, dim=1), (x,))
    assert ember.autograd.gradgradcheck(lambda a: ember.quantile(a, q, dim=1), (x,))
    qg = ember.tensor([0.3, 0.7], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: ember.quantile(a, b, dim=0), (x, qg))
    assert ember.autograd.gradcheck(lambda a: ember.cov(a), (x,))
    assert ember.autograd.gradcheck(lambda a: ember.corrcoef(a), (x,))
    assert ember.autograd.gradgradcheck(lambda a: ember.corrcoef(a), (x,))
    assert ember.autograd.gradcheck(lambda a: ember.nanmedian(a, 1).values, (x,))
    assert ember.autograd.gradcheck(lambda a: ember.mode(a, 1).values, (x,))

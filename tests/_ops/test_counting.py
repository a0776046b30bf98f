"""unique, bincount, repeat_interleave and meshgrid against torch: values, dtypes, gradients and
errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand

I64 = np.int64


# ---- unique -------------------------------------------------------------------------------
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
@pytest.mark.parametrize("dtype", [I64, np.int32, np.float32, np.float64, np.bool_])
def test_unique(inverse, counts, dtype):
    x = rand(4, 5, dtype=dtype, low=-3, high=3)
    if dtype in (np.float32, np.float64):
        x = np.round(x)  # repeated values
    compare(lambda lib, a: lib.unique(a, return_inverse=inverse, return_counts=counts), x,
            grad=False)
    compare(lambda lib, a: a.unique(sorted=False, return_inverse=inverse, return_counts=counts),
            x, grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_along_a_dim(dim):
    x = np.array([[1, 2, 1], [1, 2, 1], [0, 1, 0]], I64)
    compare(lambda lib, a: lib.unique(a, dim=dim, return_inverse=True, return_counts=True), x,
            grad=False)


def test_unique_keeps_nans_apart_and_empty_inputs():
    compare(lambda lib, a: lib.unique(a, return_counts=True),
            np.array([1.5, np.nan, 1.5, np.nan], np.float32), grad=False)
    compare(lambda lib, a: lib.unique(a, return_inverse=True), np.zeros((0, 3), I64), grad=False)


# ---- bincount -----------------------------------------------------------------------------
@pytest.mark.parametrize("wdtype", [None, np.float32, np.float64, np.int32])
@pytest.mark.parametrize("minlength", [0, 3, 12])
def test_bincount(wdtype, minlength):
    x = rand(20, dtype=I64, low=0, high=8)
    if wdtype is None:
        compare(lambda lib, a: lib.bincount(a, minlength=minlength), x, grad=False)
        compare(lambda lib, a: a.bincount(minlength=minlength), x, grad=False)
    else:
        w = rand(20, dtype=wdtype, low=-2, high=3)
        compare(lambda lib, a, b: lib.bincount(a, weights=b, minlength=minlength), x, w,
                grad=False)


def test_bincount_edges_and_errors():
    compare(lambda lib, a: lib.bincount(a), np.zeros(0, I64), grad=False)
    compare(lambda lib, a: lib.bincount(a, minlength=2), np.zeros(0, I64), grad=False)
    compare(lambda lib, a: lib.bincount(a), np.array([1, 0, 1], np.uint8), grad=False)
    check_raises(lambda lib, a: lib.bincount(a), np.array([1, -1], I64), match="non-negative")
    check_raises(lambda lib, a: lib.bincount(a), np.array([[1]], I64), match="1-d")
    check_raises(lambda lib, a: lib.bincount(a), np.array([1.0], np.float32), match="Float")
    check_raises(lambda lib, a, w: lib.bincount(a, weights=w), np.array([1, 2], I64),
                 np.ones(3, np.float32), match="same length")


# ---- repeat_interleave --------------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_repeat_interleave_by_a_number(dim):
    compare(lambda lib, a: lib.repeat_interleave(a, 3, dim=dim), rand(2, 3))
    compare(lambda lib, a: a.repeat_interleave(2, dim), rand(2, 3, dtype=np.float64))


@pytest.mark.parametrize("dim", [0, 1])
def test_repeat_interleave_by_a_tensor(dim):
    reps = np.array([2, 0, 1], I64)[:3 if dim == 1 else 2]
    compare(lambda lib, a, r: lib.repeat_interleave(a, r, dim=dim), rand(2, 3), reps)
    compare(lambda lib, a, r: lib.repeat_interleave(a, r, dim=dim), rand(2, 3),
            np.array([2], I64))  # one count for every slice
    compare(lambda lib, r: lib.repeat_interleave(r), np.array([2, 0, 3], I64), grad=False)
    compare(lambda lib, a: lib.repeat_interleave(a, 2, dim=0, output_size=4), rand(2, 3))


def test_repeat_interleave_errors():
    check_raises(lambda lib, a, r: lib.repeat_interleave(a, r, dim=0), rand(2, 3),
                 np.array([1, 2, 3], I64), match="same size as input")
    check_raises(lambda lib, a, r: lib.repeat_interleave(a, r, dim=0), rand(2, 3),
                 np.array([1, -1], I64))
    check_raises(lambda lib, a: lib.repeat_interleave(a, -1), rand(2, 3))


# ---- meshgrid -----------------------------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_meshgrid(indexing, n):
    arrays = [rand(k + 2) for k in range(n)]
    compare(lambda lib, *ts: lib.meshgrid(*ts, indexing=indexing), *arrays)
    compare(lambda lib, *ts: lib.meshgrid(list(ts), indexing=indexing), *arrays)
    compare(lambda lib, a, b: lib.meshgrid(a, b, indexing=indexing),
            np.array(2.0, np.float32), rand(3))


def test_meshgrid_warns_without_indexing_and_checks_its_inputs():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="it will be required to pass the indexing"):
            g = lib.meshgrid(lib.arange(3), lib.arange(2))
        assert tuple(g[0].shape) == (3, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.meshgrid(lib.arange(3), indexing="ij")
    check_raises(lambda lib, a: lib.meshgrid(a, a, indexing="foo"), rand(2), match="indexing")
    check_raises(lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), rand(2), rand(2, 2))
    check_raises(lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), rand(2),
                 rand(2, dtype=np.float64), match="same dtype")


# ---- addcmul, addcdiv --------------------------------------------------------------------
@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul_addcdiv(op, value):
    t2 = rand(3, 1, low=0.5, high=2)
    compare(lambda lib, a, b, c: getattr(lib, op)(a, b, c, value=value), rand(2, 3, 4),
            rand(4), t2)
    compare(lambda lib, a, b, c: getattr(a, op)(b, c, value=value), rand(3, 4), rand(3, 4), t2)
    compare(lambda lib, a, b, c: getattr(a.clone(), op + "_")(b, c, value=value), rand(3, 4),
            rand(3, 4), t2)


def test_addcdiv_refuses_integer_division():
    ints = np.array([2, 3], I64)
    check_raises(lambda lib, a, b, c: lib.addcdiv(a, b, c), ints, ints, ints,
                 match="Integer division with addcdiv is no longer supported")

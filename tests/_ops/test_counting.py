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


# ---- isin, searchsorted, bucketize ---------------------------------------------------------
@pytest.mark.parametrize("invert", [False, True])
def test_isin(invert):
    x, t = rand(3, 4, dtype=I64, low=0, high=6), rand(5, dtype=I64, low=0, high=6)
    compare(lambda lib, a, b: lib.isin(a, b, invert=invert), x, t, grad=False)
    compare(lambda lib, a: lib.isin(a, 3, invert=invert), x, grad=False)
    compare(lambda lib, b: lib.isin(2, b, invert=invert), t, grad=False)
    compare(lambda lib, a, b: lib.isin(a, b), np.array([1.0, np.nan, 2.0], np.float32),
            np.array([np.nan, 2.0], np.float32), grad=False)


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("int32", [False, True])
def test_searchsorted_and_bucketize(right, int32):
    seq = np.sort(rand(8, low=-2, high=2))
    seq[3] = seq[4]  # a tie: left and right differ
    v = np.concatenate([rand(5, low=-3, high=3), seq[3:4]])
    kw = dict(right=right, out_int32=int32)
    compare(lambda lib, s, x: lib.searchsorted(s, x, **kw), seq, v, grad=False)
    compare(lambda lib, s: lib.searchsorted(s, 0.5, **kw), seq, grad=False)
    compare(lambda lib, x, s: lib.bucketize(x, s, **kw), v.reshape(2, 3), seq, grad=False)
    rows = np.sort(rand(3, 6), axis=-1)
    compare(lambda lib, s, x: lib.searchsorted(s, x, **kw), rows, rand(3, 4), grad=False)
    order = np.argsort(v).astype(I64)
    compare(lambda lib, s, o, x: lib.searchsorted(s, x, side="right" if right else "left",
                                                  sorter=o), v, order, seq, grad=False)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_with_nans_in_the_sequence(right):
    """PyTorch's binary search steps right past a NaN it meets (its comparisons are false);
    NumPy orders NaN last: the results differ, and ember gives torch's."""
    nan = np.nan
    seq = np.array([1, 2, nan, 3, 4, nan, nan], np.float32)
    v = np.array([nan, 0, 1, 2, 2.5, 3, 4, 5], np.float32)
    compare(lambda lib, s, x: lib.searchsorted(s, x, right=right), seq, v, grad=False)
    compare(lambda lib, s, x: lib.searchsorted(s, x, right=right), np.array([1, 2, 3, nan]), v,
            grad=False)
    compare(lambda lib, s: lib.searchsorted(s, 2.0, right=right), seq, grad=False)
    rows = np.array([[0, 1, nan, 2], [nan, 1, 2, 3], [0, 1, 2, 3]], np.float32)
    compare(lambda lib, s, x: lib.searchsorted(s, x, right=right), rows,
            np.array([[1, 2.5], [0, 3], [nan, 2]], np.float32), grad=False)
    order = np.array([3, 0, 2, 1], np.int64)
    compare(lambda lib, s, o, x: lib.searchsorted(s, x, right=right, sorter=o),
            np.array([2, 0, nan, 1], np.float32), order, v, grad=False)


def test_search_errors():
    seq = np.arange(4, dtype=np.float32)
    check_raises(lambda lib, s: lib.searchsorted(s, 1.0, right=True, side="left"), seq,
                 match="opposites")
    check_raises(lambda lib, s, x: lib.searchsorted(s, x), np.ones((2, 3), np.float32),
                 np.ones((3, 1), np.float32), match="first N-1 dimensions")
    check_raises(lambda lib, x, s: lib.bucketize(x, s), seq, np.ones((2, 2), np.float32),
                 match="1 dimension")


# ---- nan_to_num, diff, trace ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_to_num(dtype):
    x = np.array([[1.5, np.nan, np.inf], [-np.inf, -2.0, 0.0]], dtype)
    compare(lambda lib, a: lib.nan_to_num(a), x)  # gradient: where the input is finite
    compare(lambda lib, a: a.nan_to_num(nan=0.5, posinf=2.0, neginf=-3.0), x)
    compare(lambda lib, a: (a * 1).nan_to_num_(nan=4.0), x)
    compare(lambda lib, a: lib.nan_to_num(a), np.array([1, 2], I64), grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_diff(dim, n):
    compare(lambda lib, a: lib.diff(a, n=n, dim=dim), rand(4, 5))
    compare(lambda lib, a, p, q: a.diff(n, dim, prepend=p, append=q), rand(4, 5),
            rand(4, 5)[:1] if dim == 0 else rand(4, 1), rand(4, 5)[:2] if dim == 0 else rand(4, 2))
    compare(lambda lib, a: lib.diff(a, n=n, dim=dim), rand(3, 4, dtype=I64, low=-5, high=5),
            grad=False)
    compare(lambda lib, a: lib.diff(a, n=n, dim=dim), rand(3, 4, dtype=np.bool_), grad=False)


def test_trace():
    compare(lambda lib, a: lib.trace(a), rand(3, 4))
    compare(lambda lib, a: a.trace(), rand(4, 2, dtype=np.float64))
    compare(lambda lib, a: lib.trace(a), rand(3, 3, dtype=I64, low=-5, high=5), grad=False)
    check_raises(lambda lib, a: lib.trace(a), np.ones((2, 2), bool),
                 match="not implemented for 'Bool'")
    check_raises(lambda lib, a: lib.trace(a), rand(3), match="expected a matrix")
    check_raises(lambda lib, a: lib.diff(a), np.array(1.0, np.float32), match="one-dimensional")


# ---- rot90, kron, cartesian_prod -------------------------------------------------------------
@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, -2), (0, 2)])
def test_rot90(k, dims):
    compare(lambda lib, a: lib.rot90(a, k, dims), rand(2, 3, 4))
    compare(lambda lib, a: a.rot90(k, list(dims)), rand(3, 2, 2))


def test_rot90_errors():
    check_raises(lambda lib, a: lib.rot90(a, 1, [0]), rand(2, 3), match="rotation dims == 2")
    check_raises(lambda lib, a: lib.rot90(a, 1, [0, 1]), rand(3), match="total dims >= 2")
    check_raises(lambda lib, a: lib.rot90(a, 1, [1, 1]), rand(2, 3), match="to be different")


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (3,)),
                                   ((4,), (3,))])
def test_kron(sa, sb):
    compare(lambda lib, a, b: lib.kron(a, b), rand(*sa), rand(*sb))
    compare(lambda lib, a, b: a.kron(b), rand(*sa, dtype=I64, low=-3, high=3),
            rand(*sb, dtype=I64, low=-3, high=3), grad=False)


def test_cartesian_prod():
    compare(lambda lib, a, b, c: lib.cartesian_prod(a, b, c), rand(2), rand(3), rand(2))
    compare(lambda lib, a: lib.cartesian_prod(a), rand(3))
    check_raises(lambda lib, a: lib.cartesian_prod(a), rand(2, 2), match="Expect a 1D vector")


# ---- cummax, cummin, cross, block_diag ---------------------------------------------------
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cummax_cummin(name, dim):
    x = np.round(rand(4, 5, low=-3, high=3))  # ties: the latest index wins
    compare(lambda lib, a: getattr(lib, name)(a, dim), x)
    compare(lambda lib, a: tuple(getattr(a, name)(dim)), x.astype(np.float64))
    compare(lambda lib, a: getattr(lib, name)(a, dim), rand(3, 4, dtype=I64, low=-3, high=3),
            grad=False)
    compare(lambda lib, a: getattr(lib, name)(a, 0), np.array([1.0, np.nan, 2.0, np.nan],
                                                              np.float32), grad=False)
    compare(lambda lib, a: getattr(lib, name)(a, 0), np.array(2.5, np.float32))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_cross(dim):
    import warnings
    a, b = rand(3, 3), rand(3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (dim=None: PyTorch's deprecation warning)
        compare(lambda lib, x, y: lib.cross(x, y, dim=dim), a, b)
        sx, sy = ((3, 2), (3, 1)) if dim == 0 else ((2, 3), (1, 3))
        compare(lambda lib, x, y: x.cross(y, dim), rand(*sx), rand(*sy))  # broadcast
    check_raises(lambda lib, x, y: lib.cross(x, y, dim=1), rand(2, 2), rand(2, 2),
                 match="must have length 3")
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        check_raises(lambda lib, x, y: lib.cross(x, y), rand(2, 4), rand(2, 4),
                     match="no dimension of size 3")
    check_raises(lambda lib, x, y: lib.cross(x, y, dim=0), rand(3), rand(3, dtype=np.float64),
                 match="expected scalar type Float but found Double")


def test_block_diag():
    compare(lambda lib, a, b, c: lib.block_diag(a, b, c), rand(2, 2), rand(1, 3), rand(3))
    compare(lambda lib, a, b: lib.block_diag(a, b), np.array(2.0, np.float32),
            rand(2, 1, dtype=np.float64))
    compare(lambda lib, a, b: lib.block_diag(a, b), rand(1, 2, dtype=I64, low=0, high=4),
            rand(2, 2), grad=False)
    compare(lambda lib: lib.block_diag(), grad=False)
    check_raises(lambda lib, a: lib.block_diag(a), rand(1, 1, 1), match="2 or fewer dimensions")


def test_addcmul_addcdiv_dtypes_and_value_casts():
    ints = rand(2, dtype=I64, low=1, high=5)
    compare(lambda lib, a, b, c: lib.addcmul(a, b, c, value=2.7), ints, ints, ints, grad=False)
    compare(lambda lib, a, b, c: a.clone().addcmul_(b, c, value=0.5), ints, ints, ints,
            grad=False)
    compare(lambda lib, a, b, c: lib.addcmul(a, b, c, value=0.5), rand(2, dtype=np.float16),
            ints, ints, grad=False)
    compare(lambda lib, a, b, c: lib.addcdiv(a, b, c, value=1 / 3), rand(2, dtype=np.float64),
            rand(2, dtype=np.float16, low=1, high=2), rand(2, dtype=np.float16, low=1, high=2),
            grad=False)
    compare(lambda lib, a, b, c: lib.addcmul(a, b, c, value=True), rand(2), rand(2), rand(2))
    check_raises(lambda lib, a: lib.addcmul(a, a, a, value=1 + 1j), rand(2), match="overflow")


def test_argument_checks_like_torch():
    check_raises(lambda lib, a: lib.bincount(a), np.array([True, False]), match="Bool")
    check_raises(lambda lib, a, r: lib.repeat_interleave(a, r), rand(2),
                 np.array([1.0, 2.0], np.float32), match="Float")
    check_raises(lambda lib, a: lib.repeat_interleave(a, 2.0), rand(2))
    compare(lambda lib, a: lib.nan_to_num(a, nan=None), np.array([np.nan, 1.0], np.float32))


def test_unique_along_a_dim_of_a_tensor_with_another_empty_dim():
    compare(lambda lib, a: lib.unique(a, dim=0), np.ones((0, 3), np.float32), grad=False)
    check_raises(lambda lib, a: lib.unique(a, dim=0), np.ones((2, 0), np.float32),
                 match="0 sized dimensions")

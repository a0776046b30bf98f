"""unique_consecutive, unravel_index, the trapezoid rule, combinations, scalar_tensor,
empty_strided, split_with_sizes, addr and the in-place product family, and the bit shifts,
against torch: values, dtypes, gradients and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand


# ---- unique_consecutive ------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    [1, 1, 2, 2, 3, 1, 1, 2], [5], [], [[1, 1, 2], [2, 2, 3]], [7, 7, 7]])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
def test_unique_consecutive_flat(data, inverse, counts):
    a = np.array(data, np.int64)
    compare(lambda lib, x: lib.unique_consecutive(x, return_inverse=inverse,
                                                  return_counts=counts), a)
    compare(lambda lib, x: x.unique_consecutive(return_inverse=inverse, return_counts=counts), a)


def test_unique_consecutive_nan_and_scalar():
    compare(lambda lib, x: lib.unique_consecutive(x, return_inverse=True, return_counts=True),
            np.array([1.0, np.nan, np.nan, 2.0, 2.0], np.float32), grad=False)
    compare(lambda lib, x: lib.unique_consecutive(x, return_inverse=True, return_counts=True),
            np.array(5, np.int64))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_consecutive_dim(dim):
    a = np.array([[1, 1, 2, 2], [1, 1, 3, 3], [1, 1, 3, 3], [0, 0, 0, 1]], np.int64)
    compare(lambda lib, x: lib.unique_consecutive(x, return_inverse=True, return_counts=True,
                                                  dim=dim), a)
    b = rand(3, 2, 4, dtype=np.int64, low=0, high=2)
    compare(lambda lib, x: lib.unique_consecutive(x, return_counts=True, dim=dim), b)


# ---- unravel_index -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (4,), 6, (2, 3, 4), (1, 5)])
def test_unravel_index(shape):
    n = int(np.prod(shape))
    idx = np.array([[0, n - 1], [-1, n // 2]], np.int64)
    compare(lambda lib, i: lib.unravel_index(i, shape), idx)
    compare(lambda lib, i: lib.unravel_index(i, shape), np.array(n - 1, np.int32))


def test_unravel_index_errors():
    check_raises(lambda lib, i: lib.unravel_index(i, (2, 3)), np.array([1.0], np.float32))
    check_raises(lambda lib, i: lib.unravel_index(i, (2, -3)), np.array([1], np.int64))
    check_raises(lambda lib, i: lib.unravel_index(i, (2, 3.0)), np.array([1], np.int64))


# ---- trapezoid ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["trapezoid", "cumulative_trapezoid"])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_trapezoid_spacing(fn, dim):
    y = rand(3, 4, 5)
    compare(lambda lib, a: getattr(lib, fn)(a, dim=dim), y)
    compare(lambda lib, a: getattr(lib, fn)(a, dx=0.5, dim=dim), y)
    compare(lambda lib, a: getattr(lib, fn)(a, dim=dim), y.astype(np.float64))


@pytest.mark.parametrize("fn", ["trapezoid", "cumulative_trapezoid"])
def test_trapezoid_sample_points(fn):
    y = rand(3, 4)
    x1 = np.sort(rand(4)).astype(np.float32)
    compare(lambda lib, a, x: getattr(lib, fn)(a, x), y, x1)
    x2 = np.sort(rand(3, 4), axis=1).astype(np.float32)
    compare(lambda lib, a, x: getattr(lib, fn)(a, x), y, x2)
    compare(lambda lib, a, x: getattr(lib, fn)(a, x, dim=0), y, np.sort(rand(3)))


def test_trapezoid_edges_and_trapz():
    for shape in [(0,), (1,), (2, 1)]:
        compare(lambda lib, a: lib.trapezoid(a), rand(*shape))
        compare(lambda lib, a: lib.cumulative_trapezoid(a), rand(*shape))
    compare(lambda lib, a: lib.trapezoid(a), np.array([1, 2, 4], np.int64))
    compare(lambda lib, a: lib.trapz(a, dim=0), rand(3, 2))
    compare(lambda lib, a, x: lib.trapz(a, x), rand(3), np.array([0.0, 1.0, 3.0], np.float32))
    check_raises(lambda lib, a, x: lib.trapezoid(a, x), rand(3), rand(2))


# ---- combinations ------------------------------------------------------------------------------
@pytest.mark.parametrize("r", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("rep", [False, True])
def test_combinations(r, rep):
    compare(lambda lib, a: lib.combinations(a, r, with_replacement=rep), rand(4))
    compare(lambda lib, a: lib.combinations(a, r, rep), np.array([3, 1, 2], np.int64))


def test_combinations_errors():
    check_raises(lambda lib, a: lib.combinations(a), rand(2, 2))
    check_raises(lambda lib, a: lib.combinations(a, -1), rand(2))


# ---- creation ----------------------------------------------------------------------------------
def test_scalar_tensor_and_empty_strided():
    for lib_args in [(3,), (3.5,), (True,)]:
        compare(lambda lib: lib.scalar_tensor(*lib_args))
    compare(lambda lib: lib.scalar_tensor(3, dtype=lib.int64))
    for size, stride in [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (2,)), ((0, 3), (3, 1))]:
        e = ember.empty_strided(size, stride)
        t = torch.empty_strided(size, stride)
        assert e.shape == t.shape and e.stride() == t.stride() and e.dtype == ember.float32
    e = ember.ones(2, dtype=ember.float64).new_empty_strided((2, 2), (1, 2))
    assert e.stride() == (1, 2) and e.dtype == ember.float64


def test_split_with_sizes():
    compare(lambda lib, a: lib.split_with_sizes(a, [1, 3], 1), rand(2, 4))
    compare(lambda lib, a: a.split_with_sizes([2, 0, 2]), rand(4, 2))
    compare(lambda lib, a: a.unsafe_split(2), rand(5))
    compare(lambda lib, a: a.unsafe_chunk(3, 1), rand(2, 5))
    check_raises(lambda lib, a: lib.split_with_sizes(a, [1, 2]), rand(4))


# ---- addr and the in-place products ------------------------------------------------------------
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_addr(beta, alpha):
    compare(lambda lib, m, a, b: lib.addr(m, a, b, beta=beta, alpha=alpha),
            rand(3, 4), rand(3), rand(4))
    compare(lambda lib, m, a, b: m.addr(a, b, beta=beta, alpha=alpha), rand(4), rand(3), rand(4))


def test_addr_error():
    check_raises(lambda lib, m, a, b: lib.addr(m, a, b), rand(3, 4), rand(3, 1), rand(4))


@pytest.mark.parametrize("name,shapes", [
    ("addmm_", [(2, 4), (2, 3), (3, 4)]),
    ("addmv_", [(2,), (2, 3), (3,)]),
    ("addbmm_", [(2, 4), (5, 2, 3), (5, 3, 4)]),
    ("baddbmm_", [(5, 2, 4), (5, 2, 3), (5, 3, 4)]),
    ("addr_", [(2, 3), (2,), (3,)]),
])
def test_inplace_products(name, shapes):
    def fn(lib, m, a, b):
        c = m * 1.0  # a non-leaf to write into
        out = getattr(c, name)(a, b, beta=0.5, alpha=2.0)
        assert out is c
        return c
    compare(fn, *[rand(*s) for s in shapes])


# ---- shifts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", [np.int8, np.uint8, np.int32, np.int64])
def test_shifts(dt):
    a = np.array([1, -8, 5, 3, 127, 0, -1], np.int64).astype(dt)
    s = np.array([1, 2, 7, 9, 0, 70, -1], np.int64).astype(dt)
    for name in ["bitwise_left_shift", "bitwise_right_shift"]:
        compare(lambda lib, x, y: getattr(lib, name)(x, y), a, s)
        compare(lambda lib, x: getattr(lib, name)(x, 3), a)
    compare(lambda lib, x, y: (x << y, x >> y, x << 2, x >> 1, 2 << y, 64 >> y), a, s)


def test_shifts_in_place_and_errors():
    def fn(lib, x, y):
        z = x.clone()
        z <<= y
        w = x.clone()
        w.bitwise_right_shift_(1)
        return z, w
    compare(fn, np.array([1, 2, 3], np.int32), np.array([1, 0, 2], np.int32))
    compare(lambda lib, x, y: x << y, np.array([1, 2], np.int8), np.array([1, 2], np.int64))
    check_raises(lambda lib, x: x << 1, rand(3))
    check_raises(lambda lib, x, y: lib.bitwise_left_shift(x, y),
                 np.array([True]), np.array([True]))

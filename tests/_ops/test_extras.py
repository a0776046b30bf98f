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


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in both libraries."""
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as exc:
            make(lib)
        out.append((type(exc.value).__name__, str(exc.value).replace("torch.", "ember.")))
    assert out[1] == out[0]


@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((3, 0), 1), ((2, 0, 3), 1)])
def test_unique_consecutive_empty_along_dim(shape, dim):
    compare(lambda lib, x: lib.unique_consecutive(x, dim=dim, return_inverse=True,
                                                  return_counts=True),
            np.zeros(shape, np.float32), grad=False)


@pytest.mark.parametrize("make", [
    lambda L: L.unique_consecutive(L.zeros(0, 3), dim=1),
    lambda L: L.unique_consecutive(L.zeros(0, 0), dim=0),
    lambda L: L.unique_consecutive(L.tensor(5.), dim=0),
    lambda L: L.unique_consecutive(L.tensor([1 + 1j, 1 + 1j])),
])
def test_unique_consecutive_errors(make):
    _same_error(make)


def test_unique_consecutive_output_tracked_without_derivative():
    for lib in (torch, ember):
        x = lib.tensor([1., 1., 2.], requires_grad=True)
        out, inv, cnt = lib.unique_consecutive(x, return_inverse=True, return_counts=True)
        assert out.requires_grad and not inv.requires_grad and not cnt.requires_grad
    _same_error(lambda L: L.unique_consecutive(L.tensor([1., 1., 2.], requires_grad=True))
                .sum().backward())


@pytest.mark.parametrize("make", [
    lambda L: L.unravel_index(L.tensor([0]), (2, 0)),
    lambda L: L.unravel_index(L.tensor([0]), (0, 2)),
    lambda L: L.unravel_index(L.tensor([1]), (2.0, 3)),
])
def test_unravel_index_zero_size_and_shape_errors(make):
    _same_error(make)


def test_unravel_index_empty_indices_with_a_zero_size():
    compare(lambda lib, i: lib.unravel_index(i, (2, 0)), np.zeros(0, np.int64))


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
@pytest.mark.parametrize("make", [
    lambda L, f: f(L.tensor([True, False])),
    lambda L, f: f(L.tensor(3.)),
    lambda L, f: f(L.ones(3), 2.0),
    lambda L, f: f(L.ones(3), L.ones(3), dx=1),
])
def test_trapezoid_errors(name, make):
    _same_error(lambda L: make(L, getattr(L, name)))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 9])
@pytest.mark.parametrize("r", [1, 2, 3, 4])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_order(n, r, with_replacement):
    compare(lambda lib, x: lib.combinations(x, r, with_replacement),
            np.arange(n, dtype=np.float32) * 1.5 - 2)


def test_combinations_large():
    # (vectorised index arithmetic: itertools over these 4.5 million pairs took seconds)
    out = ember.combinations(ember.arange(3000.))
    assert out.shape == (3000 * 2999 // 2, 2) and out[-1].tolist() == [2998., 2999.]
    assert out[2999].tolist() == [1., 2.]


@pytest.mark.parametrize("make", [
    lambda L: L.scalar_tensor(L.tensor([2.5])),
    lambda L: L.empty_strided((2, 3), (1,)),
    lambda L: L.empty_strided((-2, 3), (1, 2)),
    lambda L: L.empty_strided((2, 3), (1, -2)),
    lambda L: L.addr(L.zeros(2, 3, dtype=L.int64), L.tensor([1, 2]), L.tensor([1, 2, 3]),
                     alpha=1.5),
    lambda L: L.addr(L.zeros(2, 3, dtype=L.int64), L.tensor([1, 2]), L.tensor([1, 2, 3]),
                     beta=0.0),
    lambda L: L.addr(L.zeros(2, 3), L.tensor([1., 2.]), L.tensor([1., 2., 3.]), alpha=True),
    lambda L: L.addr(L.zeros(3, 3), L.tensor([1., 2.]), L.tensor([1., 2., 3.])),
    lambda L: L.zeros(3).addr_(L.ones(2), L.ones(3)),
    lambda L: L.zeros(3, 2).addr_(L.ones(2), L.ones(3)),
    lambda L: L.zeros(2, 3).addr_(L.ones(2, 1), L.ones(3)),
])
def test_creation_and_addr_errors(make):
    _same_error(make)


def test_scalar_tensor_of_a_0d_tensor():
    compare(lambda lib, s: lib.scalar_tensor(s), np.array(2.5, np.float32), grad=False)


def test_empty_strided_negative_strides_allowed_where_harmless():
    for size, stride in [((2, 1), (1, -1)), ((0, 3), (1, -2))]:
        e, t = ember.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert (tuple(e.shape), e.stride()) == (tuple(t.shape), t.stride())


def test_addr_mixed_dtypes_promote():
    compare(lambda lib, a, b, c: lib.addr(a, b, c, beta=0.5),
            np.zeros((2, 3), np.int64), rand(2), np.arange(3, dtype=np.int64), grad=False)

"""tril/triu_indices, vander, diagflat, h/v/dsplit, narrow_copy, scatter_reduce, Tensor.unfold,
fill_diagonal_ and the in-place shape methods against torch: values, gradients and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_close, check_raises, compare, noncontig, rand

I64 = np.int64


# ---- index grids --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2), (0, 4), (4, 0), (1, 1)])
@pytest.mark.parametrize("offset", [0, 1, -1, 3, -4])
def test_tri_indices(name, shape, offset):
    assert_close(getattr(ember, name)(*shape, offset), getattr(torch, name)(*shape, offset), 0, 0)
    assert_close(getattr(ember, name)(*shape, offset=offset, dtype=ember.int32),
                 getattr(torch, name)(*shape, offset=offset, dtype=torch.int32), 0, 0)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices_errors(name):
    check_raises(lambda lib: getattr(lib, name)(-1, 3), match="row must be non-negative")
    check_raises(lambda lib: getattr(lib, name)(3, -3), match="col must be non-negative")
    check_raises(lambda lib: getattr(lib, name)(3, 3, dtype=lib.float32), match="Float")


# ---- vander, diagflat ---------------------------------------------------------------------
@pytest.mark.parametrize("N", [None, 0, 1, 2, 5])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(N, increasing):
    # NOTE: torch's own vander backward fails (its cumprod_out writes into a view it saved), so
    # values are compared here and ember's gradient is checked numerically below
    compare(lambda lib, a: lib.vander(a, N, increasing), rand(4), grad=False)
    compare(lambda lib, a: lib.vander(a, N=N, increasing=increasing), rand(3, dtype=np.float64),
            grad=False)
    compare(lambda lib, a: lib.vander(a, N, increasing), rand(4, dtype=np.int8, low=-3, high=3))
    compare(lambda lib, a: lib.vander(a, N), np.array([True, False]))
    compare(lambda lib, a: lib.vander(a, N), rand(0), grad=False)


def test_vander_gradcheck():
    x = ember.tensor(rand(4, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: ember.vander(a, 5), (x,))
    assert ember.autograd.gradgradcheck(lambda a: ember.vander(a, increasing=True), (x,))


def test_vander_errors():
    check_raises(lambda lib, a: lib.vander(a), rand(2, 2), match="one-dimensional")
    check_raises(lambda lib, a: lib.vander(a, N=-1), rand(2), match="non-negative")


@pytest.mark.parametrize("offset", [0, 1, -2])
def test_diagflat(offset):
    compare(lambda lib, a: lib.diagflat(a, offset), rand(2, 3))
    compare(lambda lib, a: a.diagflat(offset), rand(3, dtype=np.float64))
    compare(lambda lib, a: lib.diagflat(a, offset), np.array(2.0, np.float32))
    compare(lambda lib, a: lib.diagflat(a, offset), rand(3, dtype=I64, low=0, high=5))


# ---- splits, narrow_copy ------------------------------------------------------------------
@pytest.mark.parametrize("name,shape", [("hsplit", (4,)), ("hsplit", (2, 6)),
                                        ("hsplit", (2, 6, 2)), ("vsplit", (6, 2)),
                                        ("vsplit", (4, 2, 3)), ("dsplit", (2, 2, 6))])
def test_splits(name, shape):
    x = rand(*shape)
    compare(lambda lib, a: getattr(lib, name)(a, 2), x)
    compare(lambda lib, a: getattr(a, name)([1, 3]), x)
    compare(lambda lib, a: getattr(lib, name)(a, (0, 5)), x)


def test_split_errors():
    check_raises(lambda lib, a: lib.hsplit(a, 3), rand(3, 4), match="not divisible")
    check_raises(lambda lib, a: lib.hsplit(a, 0), rand(4), match="not divisible")
    check_raises(lambda lib, a: lib.hsplit(a, 2), np.array(1.0, np.float32),
                 match="at least 1 dimension")
    check_raises(lambda lib, a: lib.vsplit(a, 2), rand(4), match="at least 2 dimension")
    check_raises(lambda lib, a: lib.dsplit(a, 2), rand(2, 2), match="at least 3 dimension")


def test_narrow_copy():
    compare(lambda lib, a: lib.narrow_copy(a, 1, 1, 2), rand(3, 4))
    compare(lambda lib, a: a.narrow_copy(-1, 0, 0), rand(3, 4, dtype=np.float64))
    compare(lambda lib, a: lib.narrow_copy(a, 0, 1, 2), noncontig(rand(3, 4)))
    e = ember.arange(5)
    c = ember.narrow_copy(e, 0, 1, 2)
    c[0] = 9
    assert e[1].item() == 1  # a copy, not a view
    check_raises(lambda lib, a: lib.narrow_copy(a, 0, 2, 3), rand(3, 4))
    for lib in (torch, ember):
        o = lib.empty(0, dtype=lib.int64)
        assert lib.narrow_copy(lib.arange(5), 0, 1, 3, out=o) is o and o.tolist() == [1, 2, 3]


# ---- unfold -------------------------------------------------------------------------------
@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 1, 1), (1, 5, 1),
                                           (1, 2, 3), (1, 0, 1), (2, 2, 1)])
def test_unfold(dim, size, step):
    compare(lambda lib, a: a.unfold(dim, size, step), rand(3, 5, 4))
    x = noncontig(rand(3, 5, 4, dtype=np.float64))
    compare(lambda lib, a: a.unfold(dim, size, step), x)
    compare(lambda lib, a: a.unfold(dim, size, step).unfold(0, 2, 1), rand(3, 5, 4))


def test_unfold_is_a_view_and_errors():
    compare(lambda lib, a: a.unfold(0, 1, 1), np.array(2.0, np.float32))
    compare(lambda lib, a: a.unfold(-1, 0, 2), np.array(2.0, np.float32))
    compare(lambda lib, a: a.unfold(0, 2, 2), rand(6, dtype=I64, low=0, high=9))
    x = ember.arange(6.)
    w = x.unfold(0, 2, 2)
    x[2] = 10.0
    assert w[1, 0].item() == 10.0
    check_raises(lambda lib, a: a.unfold(1, 4, 1), rand(2, 3), match="maximum size")
    check_raises(lambda lib, a: a.unfold(1, 2, 0), rand(2, 3), match="step is 0")
    check_raises(lambda lib, a: a.unfold(2, 1, 1), rand(2, 3))


def test_unfold_gradcheck():
    x = ember.tensor(rand(2, 7, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: a.unfold(1, 3, 2), (x,))
    assert ember.autograd.gradgradcheck(lambda a: a.unfold(1, 3, 1), (x,))


# ---- in-place shape methods ---------------------------------------------------------------
@pytest.mark.parametrize("op", [lambda a: a.t_(), lambda a: a.transpose_(0, -1),
                                lambda a: a.swapaxes_(1, 0), lambda a: a.swapdims_(0, 1),
                                lambda a: a.unsqueeze_(1), lambda a: a.unsqueeze_(-1),
                                lambda a: a.squeeze_(), lambda a: a.squeeze_(0)])
def test_inplace_shape_methods(op):
    def fn(lib, a):
        b = a * 2
        r = op(b)
        assert r is b
        return b * b
    compare(fn, rand(1, 3))
    compare(fn, noncontig(rand(1, 4, dtype=np.float64)))
    compare(lambda lib, a: op(a), rand(1, 3), grad=False)  # a leaf that needs no grad


def test_inplace_shape_methods_bump_the_version_and_refuse_leaves():
    for lib in (torch, ember):
        x = lib.zeros(2, 3)
        v = x._version
        x.t_()
        assert x._version == v + 1 and tuple(x.shape) == (3, 2)
        x.unsqueeze_(0).squeeze_(0)
        assert tuple(x.shape) == (3, 2)
        with lib.no_grad():
            y = lib.zeros(2, 3, requires_grad=True)
            y.t_()
        assert tuple(y.shape) == (3, 2) and y.requires_grad and y.is_leaf
    check_raises(lambda lib, a: a.requires_grad_().t_(), rand(2, 3), match="leaf Variable")
    check_raises(lambda lib, a: a.requires_grad_()[0].unsqueeze_(0), rand(2, 3),
                 match="view of a leaf")
    check_raises(lambda lib, a: a.t_(), rand(2, 2, 2), match="t_\\(\\) expects .* <= 2 dimensions")
    check_raises(lambda lib, a: a.transpose_(0, 2), rand(2, 3))


def test_inplace_shape_on_a_view_and_with_views_of_it():
    def fn(lib, a):
        b = a * 1
        v = b[1:]
        v.t_()
        w = b[0]  # made before b changes shape
        b.transpose_(0, 1)
        return v * 2, w * 3, b * b
    compare(fn, rand(3, 4))


# ---- fill_diagonal_ -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (7, 3), (4, 3), (2, 2, 2), (1, 1)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal(shape, wrap):
    compare(lambda lib, a: (a * 1).fill_diagonal_(2.5, wrap=wrap), rand(*shape))
    compare(lambda lib, a: a.fill_diagonal_(-1, wrap), rand(*shape, dtype=I64, low=0, high=5))


def test_fill_diagonal_errors():
    check_raises(lambda lib, a: a.fill_diagonal_(1.0), rand(3), match="larger than 1")
    check_raises(lambda lib, a: a.fill_diagonal_(1.0), rand(2, 3, 2), match="equal length")
    check_raises(lambda lib, a: a.requires_grad_().fill_diagonal_(1.0), rand(2, 2),
                 match="leaf Variable")


# ---- scatter_reduce -----------------------------------------------------------------------
REDUCES = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_reduce(reduce, include_self, dim):
    x = rand(3, 4)
    src = rand(3, 4)
    idx = rand(3, 4, dtype=I64, low=0, high=3 if dim == 0 else 4)
    kw = dict(include_self=include_self)
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, dim, i, s, reduce, **kw), x, idx, src)
    compare(lambda lib, a, i, s: (a * 1).scatter_reduce_(dim, i, s, reduce=reduce, **kw),
            rand(3, 4, dtype=np.float64), idx, rand(3, 4, dtype=np.float64))
    # NOTE: torch's backward refuses an index smaller than src; values only (gradcheck below)
    compare(lambda lib, a, i, s: a.scatter_reduce(dim, i, s, reduce, **kw), x,
            idx[:2, :3].copy(), src, grad=False)
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, dim, i, s, reduce, **kw),
            rand(3, 4, dtype=np.int32, low=-5, high=5), idx,
            rand(3, 4, dtype=np.int32, low=-5, high=5))


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_ties_and_zeros(reduce, include_self):
    x = np.round(rand(2, 5, low=-2, high=2))
    src = np.round(rand(2, 6, low=-2, high=2))  # ties for amax/amin, zeros for prod
    idx = rand(2, 6, dtype=I64, low=0, high=2)
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, 1, i, s, reduce,
                                                    include_self=include_self),
            x, idx, src)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_propagates_nan(reduce):
    src = rand(6)
    src[2] = np.nan
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, reduce), rand(3),
            np.array([0, 1, 0, 2, 1, 0], I64), src)


def test_scatter_reduce_small_inputs_and_errors():
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "sum"), rand(3),
            np.zeros((0,), I64), rand(0))
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "amax"),
            np.array(1.0, np.float32), np.array(0, I64), np.array(3.0, np.float32))
    check_raises(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "foo"), rand(3),
                 np.zeros(2, I64), rand(2), match="reduce argument must be")
    check_raises(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "sum"), rand(3),
                 np.array([0, 3], I64), rand(2), match="out of bounds")
    check_raises(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "sum"), rand(3),
                 np.zeros(2, I64), rand(2, dtype=np.float64))
    check_raises(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "sum"), rand(3),
                 rand(2), rand(2))
    compare(lambda lib, a, i, s: lib.scatter_reduce(a, 0, i, s, "mean"), rand(3),
            np.array([2, 0, 2], np.int32), rand(3))
    check_raises(lambda lib, a, i, s: lib.scatter_reduce(a, 1, i, s, "sum"), rand(3, 2),
                 np.zeros((4, 1), I64), rand(4, 1))


@pytest.mark.parametrize("reduce", ["max", "min"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_takes_scatters_names(reduce, include_self):
    # torch's forward reads them as amax/amin; its backward refuses them
    def fn(lib, a, i, s):
        return a.scatter_reduce(0, i, s, reduce, include_self=include_self)
    args = rand(3, 2), np.array([[0, 2], [0, 0], [1, 2]], I64), rand(3, 2)
    compare(fn, *args, grad=False)
    compare(lambda lib, a, i, s: (a * 1).scatter_reduce_(0, i, s, reduce), *args, grad=False)
    compare(fn, rand(3, dtype=I64, low=-5, high=5), np.array([0, 0, 2], I64),
            rand(3, dtype=I64, low=-5, high=5))
    check_raises(lambda lib, a, i, s: fn(lib, a.requires_grad_(), i, s).sum().backward(), *args,
                 match="Expected 'reduce' to be one of")


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "prod"])
def test_scatter_reduce_gradcheck(reduce):
    x = ember.tensor(rand(3, 4, dtype=np.float64), requires_grad=True)
    s = ember.tensor(rand(3, 5, dtype=np.float64), requires_grad=True)
    i = ember.tensor(rand(2, 4, dtype=I64, low=0, high=4))
    assert ember.autograd.gradcheck(
        lambda a, b: ember.scatter_reduce(a, 1, i, b, reduce, include_self=False), (x, s))
    if reduce in ("sum", "mean"):
        assert ember.autograd.gradgradcheck(
            lambda a, b: ember.scatter_reduce(a, 1, i, b, reduce), (x, s))

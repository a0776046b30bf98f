"""gather/scatter, index_*, masked_*, take, nonzero against PyTorch, with gradients."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand

F64 = np.float64
I64 = np.int64
pytestmark = pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")


def idx(*shape, high):
    return rand(*shape, dtype=I64, low=0, high=high)


# ---- gather / scatter ----------------------------------------------------------------------------
@pytest.mark.parametrize("dim,ishape", [(0, (2, 3)), (1, (3, 5)), (-1, (1, 2)), (0, (0, 3)),
                                        (1, (3, 0))])
def test_gather(dim, ishape):
    high = (3, 4)[dim]
    compare(lambda lib, x, i: lib.gather(x, dim, i), rand(3, 4), idx(*ishape, high=high))
    compare(lambda lib, x, i: x.gather(dim, i), noncontig(rand(3, 4, dtype=F64)),
            idx(*ishape, high=high))
    compare(lambda lib, x, i: x.gather(dim, i.int()), rand(3, 4, dtype=np.int32, low=0, high=9),
            idx(*ishape, high=high))


def test_gather_0d_and_repeats():
    compare(lambda lib, x, i: x.gather(0, i), rand(), np.array(0, I64))
    compare(lambda lib, x, i: x.gather(0, i), rand(4, dtype=F64), np.array([1, 1, 1, 0], I64))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_src_value_add(dim):
    i = np.array([[0, 1, 2], [2, 0, 1]], I64) if dim == 0 else np.array([[0, 3], [2, 1], [1, 0]])
    # NOTE: src as large as index: torch's own backward fails for a larger src (ember pads)
    compare(lambda lib, x, s, i: x.scatter(dim, i, s), rand(3, 4), rand(*i.shape), i)
    compare(lambda lib, x, i: lib.scatter(x, dim, i, 2.5), rand(3, 4, dtype=F64), i)
    compare(lambda lib, x, i: x.scatter(dim, i, value=-1), rand(3, 4), i)
    compare(lambda lib, x, s, i: lib.scatter_add(x, dim, i, s), noncontig(rand(3, 4)),
            rand(*i.shape), i)
    compare(lambda lib, x, s, i: x.scatter(dim, i, s, reduce="add"), rand(3, 4), rand(3, 4), i,
            grad=False)
    compare(lambda lib, x, s, i: x.scatter(dim, i, s, reduce="multiply"), rand(3, 4), rand(3, 4),
            i, grad=False)


def test_scatter_add_accumulates_and_inplace():
    i = np.array([0, 0, 2, 0], I64)
    compare(lambda lib, x, s, i: x.scatter_add(0, i, s), rand(3), rand(4), i)
    compare(lambda lib, x, s, i: x.scatter_add(0, i, s), rand(3), rand(5), i, grad=False)

    def inplace(lib, x, s, i):
        y = x * 1
        y.scatter_(0, i, s)
        y.scatter_add_(0, i, s * 2)
        return y
    compare(inplace, rand(3, dtype=F64), rand(3, dtype=F64), np.array([2, 1, 0], I64))


def test_scatter_src_larger_than_index_gets_padded_gradient():
    x = ember.zeros(3, requires_grad=True)
    s = ember.ones(5, requires_grad=True)
    x.scatter(0, ember.tensor([2, 0]), s).sum().backward()
    assert s.grad.tolist() == [1, 1, 0, 0, 0] and x.grad.tolist() == [0, 1, 0]


def test_scatter_reduce_has_no_gradient():
    x = ember.zeros(3, requires_grad=True)
    y = x.scatter(0, ember.tensor([0]), x * 1, reduce="add")
    with pytest.raises(RuntimeError, match="not implemented"):
        y.sum().backward()


def test_gather_scatter_double_backward():
    a, i = rand(3, 4, dtype=F64), np.array([[0, 1, 1, 2]], I64)
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        it = lib.tensor(i)
        z = lib.zeros(3, 4, dtype=x.dtype)
        y = (x.gather(0, it) ** 2).sum() + (z.scatter_add(0, it, x[:1]) ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0])
    np.testing.assert_allclose(res[1][1], res[0][1])


# ---- index_select / add / fill / copy ------------------------------------------------------------
@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2]), (1, [3]), (-1, []), (0, 1)])
def test_index_select(dim, index):
    i = np.array(index, I64)
    compare(lambda lib, x, i: lib.index_select(x, dim, i), rand(3, 4), i)
    compare(lambda lib, x, i: x.index_select(dim, i.int()), noncontig(rand(3, 4, dtype=F64)), i)


@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2]), (1, [3, 1]), (-1, [])])
def test_index_add_copy_fill(dim, index):
    i = np.array(index, I64)
    src = (len(index), 4) if dim == 0 else (3, len(index))
    compare(lambda lib, x, s, i: lib.index_add(x, dim, i, s), rand(3, 4), rand(*src), i)
    compare(lambda lib, x, s, i: x.index_add(dim, i, s, alpha=-2.0), rand(3, 4, dtype=F64),
            rand(*src, dtype=F64), i)
    compare(lambda lib, x, i: lib.index_fill(x, dim, i, 1.5), rand(3, 4), i)
    compare(lambda lib, x, v, i: x.index_fill(dim, i, v), rand(3, 4, dtype=F64), rand(dtype=F64), i)
    if len(set(index)) == len(index):
        compare(lambda lib, x, s, i: lib.index_copy(x, dim, i, s), rand(3, 4), rand(*src), i)


def test_index_inplace():
    def fn(lib, x, s):
        y = x * 1
        i = lib.tensor([1, 0])
        y.index_add_(1, i, s)
        y.index_fill_(0, lib.tensor([2]), -1.0)
        y.index_copy_(1, lib.tensor([3]), s[:, :1])
        return y
    compare(fn, rand(3, 4), rand(3, 2))


# ---- masks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,ms", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((), ()),
                                   ((0, 2), (2,))])
def test_masked_fill_select(xs, ms):
    m = np.array(rand(*ms, dtype=np.bool_))
    compare(lambda lib, x, m: lib.masked_fill(x, m, 2.0), rand(*xs), m)
    compare(lambda lib, x, v, m: x.masked_fill(m, v), rand(*xs, dtype=F64), rand(dtype=F64), m)
    compare(lambda lib, x, m: x.masked_fill(m, 2.7), rand(*xs, dtype=I64, low=0, high=9), m)
    compare(lambda lib, x, m: lib.masked_select(x, m), rand(*xs), m)
    compare(lambda lib, x, m: x.masked_select(m), noncontig(rand(*xs, dtype=F64)), m)


def test_masked_fill_inplace_and_scatter():
    m = rand(3, 4, dtype=np.bool_)

    def fn(lib, x, m):
        y = x * 1
        y.masked_fill_(m, 0.0)
        return y
    compare(fn, rand(3, 4), m)
    compare(lambda lib, x, s, m: x.masked_scatter(m, s), rand(3, 4), rand(20), m)

    def fn2(lib, x, s, m):
        y = x * 1
        y.masked_scatter_(m, s)
        return y
    compare(fn2, rand(3, 4, dtype=F64), rand(3, 4, dtype=F64), m)


# ---- take / nonzero ------------------------------------------------------------------------------
@pytest.mark.parametrize("ishape", [(2, 2), (5,), (), (0,)])
def test_take(ishape):
    i = rand(*ishape, dtype=I64, low=-12, high=12)
    compare(lambda lib, x, i: lib.take(x, i), rand(3, 4), i)
    compare(lambda lib, x, i: x.take(i), noncontig(rand(3, 4, dtype=F64)), i)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_take_along_dim(dim):
    x = rand(3, 4)
    i = np.argsort(x, axis=dim if dim is not None else None).astype(I64)
    if dim is None:
        i = i[:5]
    compare(lambda lib, x, i: lib.take_along_dim(x, i, dim), x, i)
    compare(lambda lib, x, i: x.take_along_dim(i[:1] if dim == 0 else i, dim=dim), x, i)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (0, 2)])
def test_nonzero(shape):
    a = rand(*shape, dtype=I64, low=0, high=2)
    compare(lambda lib, x: lib.nonzero(x), a)
    compare(lambda lib, x: x.nonzero(as_tuple=True), a)
    compare(lambda lib, x: lib.argwhere(x), a.astype(np.float32))
    compare(lambda lib, x: x[x.nonzero(as_tuple=True)] if x.ndim else x, rand(*shape))


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x, i: x.gather(0, i[0]), lambda lib, x, i: x.gather(0, i + 2),
    lambda lib, x, i: x.gather(0, lib.zeros(1, 5, 4, dtype=lib.long)),
    lambda lib, x, i: x.gather(3, i),
    lambda lib, x, i: x.gather(0, i.short()), lambda lib, x, i: x.scatter(0, i, x.double()),
    lambda lib, x, i: x.scatter(0, i, x[:, :1, :2]), lambda lib, x, i: x.scatter(0, i + 5, x),
    lambda lib, x, i: x.scatter(0, i, x, reduce="foo"),
    lambda lib, x, i: x.scatter_add(0, i, x.double()),
    lambda lib, x, i: x.index_select(1, lib.tensor([[0]])),
    lambda lib, x, i: x.index_select(1, lib.tensor([5])),
    lambda lib, x, i: x.index_select(1, lib.tensor([0.])),
    lambda lib, x, i: x.index_add(1, lib.tensor([0, 2]), x.double()[:, :2]),
    lambda lib, x, i: x.index_add(1, lib.tensor([0, 2]), x[:, :3]),
    lambda lib, x, i: x.index_add(1, lib.tensor([0, 5]), x[:, :2]),
    lambda lib, x, i: x.index_fill(1, lib.tensor([0, 2]), lib.tensor([1.])),
    lambda lib, x, i: x.index_fill(1, lib.tensor([5]), 1.),
    lambda lib, x, i: x.masked_fill(x > 0, lib.tensor([1.])),
    lambda lib, x, i: x.masked_fill(x.int(), 1),
    lambda lib, x, i: x.masked_select(x.int()), lambda lib, x, i: x.take(lib.tensor([24])),
    lambda lib, x, i: x.take(lib.tensor([0]).int()),
    lambda lib, x, i: x.index_copy(1, lib.tensor([5]), x[:, :1]),
    lambda lib, x, i: x.masked_fill_(lib.ones(3, 2, 3, 4, dtype=lib.bool), 1.0),
])
def test_errors(fn):
    check_raises(fn, rand(2, 3, 4), np.array([[[0, 1, 0, 1]]], I64))


def test_error_messages():
    x = ember.zeros(2, 3)
    with pytest.raises(RuntimeError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x.gather(0, ember.tensor([[2]]))
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask "
                                           "with dtype float"):
        x.masked_fill(x, 1.0)


@pytest.mark.parametrize("fn", [
    lambda x, s: x.gather(1, ember.tensor([[0, 0], [3, 1], [2, 2]])),
    lambda x, s: x.scatter(1, ember.tensor([[0, 2], [3, 1], [2, 0]]), s[:, :2]),
    lambda x, s: x.scatter_add(0, ember.tensor([[0, 0, 1, 2]]), s[:1]),
    lambda x, s: x.scatter(0, ember.tensor([[1, 0, 1, 2]]), 3.0),
    lambda x, s: x.index_select(1, ember.tensor([3, 0, 3])),
    lambda x, s: x.index_add(1, ember.tensor([3, 0, 3]), s[:, :3], alpha=2),
    lambda x, s: x.index_fill(0, ember.tensor([1]), s[0, 0]),
    lambda x, s: x.index_copy(1, ember.tensor([2, 0]), s[:, :2]),
    lambda x, s: x.masked_fill(s > 0, s[1, 1]), lambda x, s: x.masked_select(s > 0),
    lambda x, s: x.masked_scatter(s > 0, s * 2),
    lambda x, s: x.take(ember.tensor([[0, -1], [5, 5]])),
    lambda x, s: ember.take_along_dim(x, ember.tensor([[0], [2], [1]]), 1),
])
def test_gradcheck(fn):
    x = ember.tensor(rand(3, 4, dtype=F64), requires_grad=True)
    s = ember.tensor(rand(3, 4, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x, s))
    assert ember.autograd.gradgradcheck(fn, (x, s))

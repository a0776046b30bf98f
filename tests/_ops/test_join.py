"""cat/stack and friends, split/chunk/unbind against PyTorch (values, dtypes, gradients, views)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from helpers import check_raises, compare, noncontig, rand

F64 = np.float64


@pytest.mark.parametrize("shapes,dim", [([(2, 3), (1, 3)], 0), ([(2, 3), (2, 1), (2, 0)], 1),
                                        ([(2, 3), (2, 3)], -1), ([(3,)], 0), ([(0, 2), (0, 2)], 1),
                                        ([(2, 3, 4), (2, 3, 4)], -2)])
def test_cat(shapes, dim):
    compare(lambda lib, *xs: lib.cat(xs, dim), *[rand(*s) for s in shapes])
    compare(lambda lib, *xs: lib.concat(list(xs), dim=dim), *[noncontig(rand(*s, dtype=F64))
                                                            for s in shapes])
    compare(lambda lib, *xs: lib.concatenate(xs, dim), *[rand(*s, dtype=np.int64, low=0, high=5)
                                                         for s in shapes])


def test_cat_promotion_and_legacy_empty():
    compare(lambda lib, a, b: lib.cat([a, b]), rand(2, dtype=np.int32, low=0, high=5),
            rand(3, dtype=F64))
    compare(lambda lib, a, b: lib.cat([a, b]), rand(2, dtype=np.bool_),
            rand(3, dtype=np.uint8, low=0, high=5))
    compare(lambda lib, a, b: lib.cat([a, b]), rand(2, dtype=np.int8, low=0, high=5),
            rand(3, dtype=np.uint8, low=0, high=5))
    compare(lambda lib, a, b, c: lib.cat([a, b, c], 1), rand(0), rand(2, 3), rand(0, dtype=F64))
    compare(lambda lib, a, b: lib.cat([a, b]), rand(0), rand(0))
    compare(lambda lib, a, b: lib.cat([a, b]), rand(2, 3, dtype=np.float32), rand(1, 3, dtype=F64))


def test_cat_out():
    for lib in (torch, ember):
        out = lib.zeros(0)
        r = lib.cat([lib.ones(2), lib.zeros(1)], out=out)
        assert r is out and out.tolist() == [1.0, 1.0, 0.0]


@pytest.mark.parametrize("shape,dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1),
                                       ((), 0), ((0, 2), 1)])
def test_stack(shape, dim):
    compare(lambda lib, a, b, c: lib.stack([a, b, c], dim), rand(*shape), rand(*shape),
            rand(*shape))
    compare(lambda lib, a, b: lib.stack((a, b), dim=dim), noncontig(rand(*shape, dtype=F64)),
            rand(*shape, dtype=np.int32, low=0, high=3))


_STACKS = {"hstack": (2, 1, 1), "vstack": (1, 3, 1), "row_stack": (1, 3, 1), "dstack": (2, 3, 2),
           "column_stack": (2, 1, 1)}


@pytest.mark.parametrize("name", sorted(_STACKS))
@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (3,)], [(2, 3), (2, 3)], [(2, 3, 1), None]])
def test_hvd_stack(name, shapes):
    shapes = [s if s is not None else _STACKS[name] for s in shapes]
    compare(lambda lib, *xs: getattr(lib, name)(xs), *[rand(*s) for s in shapes])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast(n):
    for shape in [(), (3,), (2, 3), (2, 3, 4)]:
        compare(lambda lib, x: getattr(lib, f"atleast_{n}d")(x), rand(*shape))
    compare(lambda lib, x, y: getattr(lib, f"atleast_{n}d")(x, y), rand(), rand(2))
    compare(lambda lib, x, y: getattr(lib, f"atleast_{n}d")([x, y]), rand(), rand(2))


@pytest.mark.parametrize("shape,arg,dim", [((5, 2), 2, 0), ((5, 2), [1, 4], 0), ((2, 5), 5, -1),
                                           ((2, 5), [0, 2, 3], 1), ((2, 5), 7, 1), ((0, 2), 2, 0),
                                           ((0, 2), 0, 0), ((4,), [4], 0), ((4,), 1, 0)])
def test_split(shape, arg, dim):
    compare(lambda lib, x: lib.split(x, arg, dim), rand(*shape))
    compare(lambda lib, x: x.split(arg, dim), noncontig(rand(*shape, dtype=F64)))
    compare(lambda lib, x: x.split(arg, dim)[-1] * 2, rand(*shape))  # only one output used


def test_split_grad_fn_and_views():
    x = ember.zeros(4, 2, requires_grad=True)
    a, b = x.clone().split([1, 3])
    assert a.grad_fn is b.grad_fn and a.grad_fn.name() == "SplitWithSizesBackward0"
    assert (a.output_nr, b.output_nr) == (0, 1)
    assert x.clone().split(2)[0].grad_fn.name() == "SplitBackward0"
    y = ember.zeros(4, 2)
    p, q = y.split(2)
    q[0, 0] = 3.0
    assert y[2, 0].item() == 3.0 and y._version == p._version == 1


@pytest.mark.parametrize("shape,chunks,dim", [((5,), 2, 0), ((6,), 4, 0), ((5,), 4, 0),
                                              ((2, 5), 3, 1),
                                              ((0,), 2, 0), ((3, 2), 5, 0), ((3, 2), 1, -1)])
def test_chunk(shape, chunks, dim):
    compare(lambda lib, x: lib.chunk(x, chunks, dim), rand(*shape))
    compare(lambda lib, x: x.chunk(chunks, dim=dim)[0], noncontig(rand(*shape, dtype=F64)))


@pytest.mark.parametrize("shape,dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((0, 3), 1),
                                       ((3,), 0)])
def test_unbind(shape, dim):
    compare(lambda lib, x: lib.unbind(x, dim), rand(*shape))
    compare(lambda lib, x: x.unbind(dim)[-1] if x.shape[dim] else x.unbind(dim),
            noncontig(rand(*shape, dtype=F64)))


def test_iter_and_unbind_view():
    x = ember.zeros(3, 2)
    rows = list(x)
    rows[1][0] = 4.0
    assert x[1, 0].item() == 4.0
    compare(lambda lib, x: [r * i for i, r in enumerate(x)], rand(3, 2))


@pytest.mark.parametrize("arg,dim", [(3, 0), (2, 1), ([1, 4], 0), ([-2, 8], 0), ([2, 1], 0),
                                     (7, 0)])
def test_tensor_split(arg, dim):
    compare(lambda lib, x: lib.tensor_split(x, arg, dim), rand(5, 3))


def test_double_backward_through_join():
    a = rand(3, 2, dtype=F64)
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        p, q = x.split([1, 2])
        y = lib.cat([q ** 2, p ** 3, lib.stack([p, p]).sum(0)])
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0])
    np.testing.assert_allclose(res[1][1], res[0][1])


@given(st.lists(st.integers(0, 3), min_size=1, max_size=4), st.integers(0, 1), st.integers(1, 3),
       st.integers(1, 4))
@settings(max_examples=50, deadline=None)
def test_cat_split_round_trip(sizes, dim, other, chunk):
    shapes = [(s, other) if dim == 0 else (other, s) for s in sizes]
    xs = [rand(*s, dtype=F64) for s in shapes]

    def fn(lib, *ts):
        joined = lib.cat(ts, dim)
        back = joined.split(sizes, dim)
        return [joined.split(chunk, dim), back]
    out = compare(fn, *xs)
    for x, piece in zip(xs, out[1]):
        np.testing.assert_array_equal(piece.detach().numpy(), x)


@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.cat([x, x[:, :2]]), lambda lib, x: lib.cat([x, x], dim=3),
    lambda lib, x: lib.cat([]),
    lambda lib, x: lib.cat([x, x[0]]),
    lambda lib, x: lib.cat([x, x[0, 0, 0]]),
    lambda lib, x: lib.cat(x),
    lambda lib, x: lib.stack([x, x[:, :2]]),
    lambda lib, x: lib.stack([]),
    lambda lib, x: lib.stack([x, x], 4),
    lambda lib, x: x.split(0),
    lambda lib, x: x.split([1, 1], 1),
    lambda lib, x: x.split([3, -1], 1), lambda lib, x: x.chunk(0), lambda lib, x: x.chunk(-1),
    lambda lib, x: x.unbind(5),
    lambda lib, x: x[0, 0, 0].unbind(),
    lambda lib, x: x[0, 0, 0].chunk(1),
])
def test_errors(fn):
    check_raises(fn, rand(2, 3, 4))


def test_cat_error_message():
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1. "
                                           "Expected size 2 but got size 3 for tensor number 1 in "
                                           "the list."):
        ember.cat([ember.zeros(2, 1), ember.zeros(3, 1)], 1)


@pytest.mark.parametrize("fn", [
    lambda x, y: ember.cat([x, y, x], 1), lambda x, y: ember.stack([x, y], 2),
    lambda x, y: ember.hstack([x, y]), lambda x, y: x.split([1, 2]), lambda x, y: y.chunk(2, 1)[1],
    lambda x, y: x.unbind(1), lambda x, y: ember.tensor_split(y, 2),
])
def test_gradcheck(fn):
    x = ember.tensor(rand(3, 2, dtype=F64), requires_grad=True)
    y = ember.tensor(rand(3, 2, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x, y))
    assert ember.autograd.gradgradcheck(fn, (x, y))

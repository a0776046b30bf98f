"""Indexing (``x[i]``, ``x[i] = v``, select, narrow, index_put) against PyTorch: values, gradients,
views and version counters, grad_fn names, errors; plus hypothesis tests over random indices."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from helpers import check_raises, compare, noncontig, rand

F64 = np.float64
pytestmark = [pytest.mark.filterwarnings("ignore:Using a non-tuple sequence"),
              pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")]


def lib_index(lib, index):
    """The index with NumPy arrays turned into ``lib`` tensors."""
    if isinstance(index, tuple):
        return tuple(lib_index(lib, i) for i in index)
    if isinstance(index, np.ndarray):
        return lib.from_numpy(index.copy())
    return index


A = np.array
I64 = np.int64
GET = [
    0, -1, slice(None), slice(1, None), slice(None, None, 2), slice(-2, None), slice(5, 10),
    (0, 1), (slice(None), 0), (Ellipsis, 1), (None,), (None, 0), (0, None, slice(1, 3)),
    (Ellipsis, None), Ellipsis, (), (slice(None), slice(None), slice(None)),
    A([0, 1, 1], I64), A([[0], [1]], I64), (slice(None), A([2, 0, 2], I64)),
    (A([0, 1], I64), A([1, 2], I64)), (A([0, 1], I64), slice(None), A([1, 3], I64)),
    (0, slice(None), A([0, 1], I64)), (slice(None), 0, A([0, 1], I64)),
    (A([0], I64), None, A([0], I64)), (Ellipsis, A([3, -1], I64)), (A([-1, 0], I64), Ellipsis, 0),
    A([True, False]), (slice(None), A([True, False, True])), A(np.arange(6).reshape(2, 3) % 2 == 0),
    (A(np.ones((2, 3), bool)), 1), (A([[True, False, True]]).repeat(2, 0), slice(1, 3)),
    True, False, (None, A(True)), [0, 1], [[0, 1], [1, 0]], [0, slice(None)],
    A([], I64), A(1, I64), (A(1, I64), slice(None), A([0, 1], I64)), A(0, np.int32),
    A([1, 0], np.int32), A([1, 0], np.uint8),
]


@pytest.mark.parametrize("index", GET, ids=[str(i)[:40] for i in range(len(GET))])
def test_getitem(index):
    compare(lambda lib, x: x[lib_index(lib, index)], rand(2, 3, 4))
    compare(lambda lib, x: x[lib_index(lib, index)] * 2, noncontig(rand(2, 3, 4, dtype=F64)))
    compare(lambda lib, x: x[lib_index(lib, index)], rand(2, 3, 4, dtype=np.int32, low=0, high=9))


@pytest.mark.parametrize("index", [None, Ellipsis, (), A(True), A(False), (None, None)])
def test_getitem_0d(index):
    compare(lambda lib, x: x[lib_index(lib, index)], rand())


@pytest.mark.parametrize("index", [0, slice(None), A([0, 0], I64), A([], I64), (Ellipsis, 1)])
def test_getitem_empty(index):
    compare(lambda lib, x: x[lib_index(lib, index)], rand(2, 0, 3))


def test_zero_dim_tensor_index_acts_like_int():
    compare(lambda lib, x: x[lib.tensor(1)], rand(3, 2))
    compare(lambda lib, x: x[lib.tensor(1), :, lib.tensor([0, 1])], rand(3, 2, 4))
    compare(lambda lib, x: x[lib.tensor(0):lib.tensor(2)], rand(3, 2))


def test_repeated_indices_accumulate():
    compare(lambda lib, x: x[lib.tensor([0, 0, 2, 0])], rand(3, 2, dtype=F64))
    compare(lambda lib, x: x[:, lib.tensor([[1, 1], [1, 0]])], rand(3, 2, dtype=F64))


@pytest.mark.parametrize("index", [0, slice(1, None), (None, 0), Ellipsis, (0, 1), slice(None),
                                   (slice(None), slice(None)), (0, slice(None)), (slice(1, 2), 0),
                                   A([0, 1], I64), (None,), (Ellipsis, None)])
def test_getitem_grad_fn_names(index):
    t = torch.zeros(3, 3, requires_grad=True)[lib_index(torch, index)]
    e = ember.zeros(3, 3, requires_grad=True)[lib_index(ember, index)]
    assert e.grad_fn.name() == type(t.grad_fn).__name__


def test_basic_index_is_a_view():
    x = ember.zeros(3, 4)
    v = x[1, 1:]
    assert v._vc is x._vc
    v[0] = 5.0
    assert x[1, 1].item() == 5.0 and x._version == 1
    x[0] = 1.0
    assert v._version == 2
    a = x[[0, 1]]               # advanced: a copy
    a[0, 0] = -1.0
    assert x[0, 0].item() == 1.0 and a._vc is not x._vc


# ints and plain slices without grad take getitem's fast path (straight to a NumPy view)
PLAIN = [0, -2, slice(1, 3), slice(None, None, 2), slice(-9, 9), slice(3, 1), (1, -1, 2),
         (0, slice(None), slice(1, 3)), (-1, slice(0, 2), slice(None, None, 3)), (1, 2),
         (slice(None), 1, slice(2, None)), (), (1, 2, 3), np.int64(1), (np.int32(-1), slice(1, 3)),
         (np.uint8(1), np.int16(2), np.uint64(3))]


@pytest.mark.parametrize("index", PLAIN, ids=[str(i) for i in range(len(PLAIN))])
def test_plain_basic_index_fast_path(index):
    arr = noncontig(rand(2, 3, 4, dtype=F64))
    for a in (arr, rand(2, 3, 4, dtype=np.int32, low=0, high=9)):
        e = compare(lambda lib, x: x[index], a, grad=False)
        x = ember.from_numpy(a)
        v = x[index]
        assert v._vc is x._vc and v._view[0] is x
        assert v._data.size == 0 or np.shares_memory(v._data, a)
        assert v.grad_fn is None and not v.requires_grad and type(e._data) is np.ndarray
    x = ember.from_numpy(arr).requires_grad_()
    with ember.no_grad():  # no graph, still a view
        v = x[index]
    assert v.grad_fn is None and v._vc is x._vc and v.shape == torch.from_numpy(arr)[index].shape


def test_plain_basic_index_view_rules():
    y = ember.zeros(2, 3)[1]            # a full index of a row: a 0-d view, not a NumPy scalar
    z = y[2]
    assert z.shape == () and z._vc is y._vc
    z.fill_(4.0)
    assert y[2].item() == 4.0 and y._version == 1
    w = ember.zeros(2, 3)
    v = w[0, 1:]
    v.requires_grad_()                  # a view of a tensor needing no grad is a leaf
    assert v.is_leaf and torch.zeros(2, 3)[0, 1:].requires_grad_().is_leaf


def test_plain_basic_index_errors():
    x = rand(2, 3, 4)
    for fn in [lambda lib, x: x[2], lambda lib, x: x[0, -4], lambda lib, x: x[0, 0, 0, 0],
               lambda lib, x: x[0, 1:2:0], lambda lib, x: x[::-1], lambda lib, x: x[:, 0:2.5],
               lambda lib, x: x[0, 0, 4], lambda lib, x: x[np.int64(2)],
               lambda lib, x: x[0, np.uint8(3)]]:
        check_raises(fn, x)
    for fn, msg in [(lambda x: x[2], "index 2 is out of bounds for dimension 0 with size 2"),
                    (lambda x: x[0, 1, -5], "index -5 is out of bounds for dimension 2 with size 4"),
                    (lambda x: x[0, 0, 0, 0], "too many indices for tensor of dimension 3"),
                    (lambda x: x[:, ::-2], "step must be greater than zero"),
                    (lambda x: x[np.bool_(True), 0], r"\(got numpy.bool\)"),
                    (lambda x: x[0, np.float32(1)], r"\(got numpy.float32\)")]:
        with pytest.raises((IndexError, ValueError), match=msg):
            fn(ember.from_numpy(x))
        with pytest.raises((IndexError, ValueError), match=msg):
            fn(torch.from_numpy(x))


def test_negative_step_and_bad_indices():
    x = rand(2, 3, 4)
    for fn in [lambda lib, x: x[::-1], lambda lib, x: x[:, ::0], lambda lib, x: x[5],
               lambda lib, x: x[0, 0, 0, 0], lambda lib, x: x[[5]], lambda lib, x: x[:, [-4]],
               lambda lib, x: x[[0, 1], [0, 1, 2]], lambda lib, x: x[lib.ones(3, dtype=lib.bool)],
               lambda lib, x: x[:, lib.ones(2, dtype=lib.bool)], lambda lib, x: x[1.5],
               lambda lib, x: x[lib.tensor([0.5])],
               lambda lib, x: x[lib.tensor([1], dtype=lib.int16)],
               lambda lib, x: x[0, 0, 0][0], lambda lib, x: x[0, 0, 0][[0]], lambda lib, x: x["a"]]:
        check_raises(fn, x)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        ember.zeros(3)[::-1]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        ember.zeros(2, 3)[5]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
        ember.zeros(2, 3)[[0], [5]]


# ---- __setitem__ ---------------------------------------------------------------------------------
SET = [  # (index, value shape)
    (0, (4,)), (0, ()), (slice(1, None), (1, 4)), ((slice(None), 1), (1, 3)), ((Ellipsis, 2), (3,)),
    ((0, 1), ()), (A([0, 2], I64), (4,)), (A([0, 2], I64), (2, 4)),
    ((A([0, 1], I64), A([1, 2], I64)), (2,)),
    (A([[True, False, True, False]] * 3), ()), (A([[True, False, True, False]] * 3), (6,)),
    ((slice(None), A([3, 0], I64)), (1, 3, 2)), (None, (3, 4)), ((0, slice(None, None, 2)), (2,)),
]


@pytest.mark.parametrize("index,vshape", SET, ids=[str(i) for i in range(len(SET))])
def test_setitem_values_and_grads(index, vshape):
    def fn(lib, x, v):
        y = x * 1
        y[lib_index(lib, index)] = v
        return y
    compare(fn, rand(3, 4), rand(*vshape))
    compare(fn, noncontig(rand(3, 4, dtype=F64)), rand(*vshape, dtype=F64))


def test_setitem_scalar_cast_and_grad_fn():
    def fn(lib, x):
        y = x * 1
        y[0] = 2.5
        y[1:, 1] = 7
        y[lib.tensor([0, 0])] = -1.0
        return y
    compare(fn, rand(3, 2))
    compare(fn, rand(3, 2, dtype=np.int64, low=0, high=9))
    for lib in (torch, ember):
        x = lib.zeros(3, 2, dtype=lib.int64)
        x[0] = lib.tensor([1.7, -2.2])     # a float tensor cast into an int one
        x[1] = 3.9
        assert x.tolist() == [[1, -2], [3, 3], [0, 0]]
    y = ember.zeros(3, requires_grad=True) * 1
    y[0] = 1.0
    assert y.grad_fn.name() == "CopySlices"
    y[[0]] = 1.0
    assert y.grad_fn.name() == "IndexPutBackward0"


def test_setitem_value_requires_grad_only():
    def fn(lib, v):
        y = lib.zeros(3, 2, dtype=v.dtype)
        y[1] = v
        y[lib.tensor([True, False, True])] = v * 2
        return y
    compare(fn, rand(2, dtype=F64))


def test_setitem_version_and_leaf_rules():
    x = ember.zeros(3)
    v = x[1:]
    x[0] = 1.0
    assert x._version == v._version == 1
    leaf = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf[0] = 1.0
    with ember.no_grad():
        leaf[0] = 1.0
    assert leaf.tolist() == [1.0, 0.0, 0.0] and leaf.grad_fn is None
    # a value saved for backward then overwritten: backward must refuse, as in PyTorch
    a = ember.ones(3, requires_grad=True)
    b = a * 1
    c = b * b
    b[0] = 2.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_setitem_overlapping_and_errors():
    def fn(lib, x):
        y = x * 1
        y[2:] = y[:2]
        y[0::2] = y[1::2]
        y[:] = y
        return y
    compare(fn, rand(4, 2))
    for bad in [lambda lib, x: x.__setitem__(slice(1, None), x[:-1]),
                lambda lib, x: x.__setitem__([0, 1], x[2:]),
                lambda lib, x: x.__setitem__(x > 0, x[0]),
                lambda lib, x: x.__setitem__(slice(0, 2), lib.ones(3, 2)),
                lambda lib, x: x.__setitem__(0, lib.ones(3)),
                lambda lib, x: x.__setitem__(5, 1.0),
                lambda lib, x: x.__setitem__(slice(None, None, -1), 1.0)]:
        check_raises(bad, rand(3, 2))


def test_index_put():
    ix = (A([0, 2, 0], I64), A([1, 1, 1], I64))
    compare(lambda lib, x, v: x.index_put(lib_index(lib, ix), v, accumulate=True), rand(3, 2),
            rand(3))
    compare(lambda lib, x, v: lib.index_put(x, lib_index(lib, ix[:1]), v), rand(3, 2, dtype=F64),
            rand(2, dtype=F64))

    def inplace(lib, x, v):
        y = x * 1
        y.index_put_(lib_index(lib, ix), v, accumulate=True)
        return y
    compare(inplace, rand(3, 2), rand())
    check_raises(lambda lib, x, v: x.index_put((lib.tensor([0]),), v), rand(3), rand(1, dtype=F64))


# ---- select / narrow / select_scatter / slice_scatter --------------------------------------------
@pytest.mark.parametrize("dim,index", [(0, 0), (1, -1), (-1, 2), (2, 0)])
def test_select(dim, index):
    compare(lambda lib, x: lib.select(x, dim, index), rand(2, 3, 4))
    compare(lambda lib, x: x.select(dim, index), noncontig(rand(2, 3, 4, dtype=F64)))


@pytest.mark.parametrize("dim,start,length", [(0, 0, 1), (1, 1, 2), (-1, -2, 2), (1, 3, 0),
                                              (2, 0, 4)])
def test_narrow(dim, start, length):
    compare(lambda lib, x: lib.narrow(x, dim, start, length), rand(2, 3, 4))
    compare(lambda lib, x: x.narrow(dim, lib.tensor(start), length), noncontig(rand(2, 3, 4)))


def test_select_narrow_views_and_errors():
    x = ember.zeros(2, 3)
    x.select(1, 2).fill_(1.0)
    x.narrow(0, 1, 1).fill_(2.0)
    assert x.tolist() == [[0, 0, 1], [2, 2, 2]]
    for bad in [lambda lib, x: x.select(1, 3), lambda lib, x: x.select(1, -4),
                lambda lib, x: x[0, 0, 0].select(0, 0), lambda lib, x: x.narrow(1, 2, 2),
                lambda lib, x: x.narrow(1, -4, 1), lambda lib, x: x.narrow(1, 0, -1),
                lambda lib, x: x.select(3, 0)]:
        check_raises(bad, rand(2, 3, 4))


def test_select_slice_scatter():
    compare(lambda lib, x, s: lib.select_scatter(x, s, 1, 0), rand(2, 3), rand(2))
    compare(lambda lib, x, s: lib.slice_scatter(x, s, 1, 1, None, 2), rand(2, 5, dtype=F64),
            rand(2, 2, dtype=F64))


def test_double_backward_through_indexing():
    a = rand(3, 4, dtype=F64)
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        y = (x[1:, lib.tensor([0, 0, 3])] ** 2).sum() + (x[..., None][0] ** 3).sum()
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0])
    np.testing.assert_allclose(res[1][1], res[0][1])


# ---- hypothesis: random indices ------------------------------------------------------------------
@st.composite
def shape_and_index(draw):
    """A shape and a random index for it: ints, slices, None, one Ellipsis, integer arrays (all of
    one shape, so that they broadcast) and boolean masks over one or two dims."""
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    arr_shape = draw(st.sampled_from([(0,), (1,), (3,), (2, 2)]))
    items, dim, has_ell = [], 0, False
    for _ in range(draw(st.integers(1, 5))):
        left = len(shape) - dim
        kind = draw(st.sampled_from(["int", "slice", "arr", "arr", "mask", "none", "ell"]))
        if kind == "none":
            items.append(None)
        elif kind == "ell" and not has_ell:
            items.append(Ellipsis)
            has_ell = True
            dim = len(shape) - draw(st.integers(0, left))
        elif left == 0 or kind == "ell":
            continue
        elif kind == "slice":
            a = draw(st.one_of(st.none(), st.integers(-5, 5)))
            b = draw(st.one_of(st.none(), st.integers(-5, 5)))
            items.append(slice(a, b, draw(st.one_of(st.none(), st.integers(1, 3)))))
            dim += 1
        elif kind == "mask":
            k = draw(st.integers(1, min(2, left)))
            n = int(np.prod(shape[dim:dim + k]))
            bits = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            items.append(A(bits, bool).reshape(shape[dim:dim + k]))
            dim += k
        elif shape[dim] == 0:
            continue
        elif kind == "int":
            items.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        else:
            n = int(np.prod(arr_shape))
            vals = draw(st.lists(st.integers(-shape[dim], shape[dim] - 1), min_size=n, max_size=n))
            items.append(A(vals, I64).reshape(arr_shape))
            dim += 1
    return shape, tuple(items)


@given(shape_and_index(), st.booleans())
@settings(max_examples=100, deadline=None)
def test_random_getitem_matches_torch(case, non_contiguous):
    shape, index = case
    x = rand(*shape, dtype=F64)
    if non_contiguous and len(shape) >= 2:
        x = noncontig(x)
    try:
        torch.zeros(shape)[lib_index(torch, index)]
    except IndexError:
        check_raises(lambda lib, x: x[lib_index(lib, index)], x)
        return
    compare(lambda lib, x: x[lib_index(lib, index)], x)


@given(shape_and_index())
@settings(max_examples=60, deadline=None)
def test_random_setitem_matches_torch(case):
    shape, index = case
    try:
        region = torch.zeros(shape)[lib_index(torch, index)].shape
    except IndexError:
        return

    def fn(lib, x, v):
        y = x * 1
        y[lib_index(lib, index)] = v
        return y
    # a value of one element: repeated indices then write the same number, so the result is
    # deterministic; a full-region value only where the index has no advanced part
    compare(fn, rand(*shape, dtype=F64), rand(*((1,) * min(len(region), 2)), dtype=F64))
    if not any(isinstance(i, (np.ndarray, bool)) for i in index):
        compare(fn, rand(*shape, dtype=F64), rand(*region, dtype=F64))


@pytest.mark.parametrize("fn", [
    lambda x, v: x[1:, ::2], lambda x, v: x[None, ..., 0], lambda x, v: x[[0, 0, 2], 1:],
    lambda x, v: x[x > 0], lambda x, v: x[:, [[0, 1], [3, 3]]], lambda x, v: x.select(1, -1),
    lambda x, v: x.narrow(0, 1, 2), lambda x, v: x.index_put((ember.tensor([0, 0]),), v[:2],
                                                             accumulate=True),
    lambda x, v: _set(x, (slice(None), 1), v[:, 0]), lambda x, v: _set(x, [2, 0], v[:2]),
    lambda x, v: ember.select_scatter(x, v[:, 1], 1, 2),
])
def test_gradcheck(fn):
    x = ember.tensor(rand(3, 4, dtype=F64), requires_grad=True)
    v = ember.tensor(rand(3, 4, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x, v))
    assert ember.autograd.gradgradcheck(fn, (x, v))


def _set(x, index, v):
    y = x * 1
    y[index] = v
    return y

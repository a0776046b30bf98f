import re

import numpy as np
import pytest
import torch

import ember
from helpers import assert_close, check_raises, rand

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def same(fn, rtol=1e-6, atol=1e-7):
    """``fn(lib)`` gives the same tensor (values, shape, dtype) in torch and ember."""
    t = fn(torch)
    e = fn(ember)
    assert_close(e, t, rtol, atol)
    return e


def raises_same(fn, match=None):
    with pytest.raises(Exception) as t_exc:
        fn(torch)
    with pytest.raises(type(t_exc.value), match=match):
        fn(ember)
    return t_exc.value


# ---- tensor() ------------------------------------------------------------------------------------
TENSOR_DATA = [
    3, 2.5, True, [1, 2.5], [True, 1], [True, 1.5], [[1, 2], [3, 4]], (1, 2), range(3), [], [[]],
    [[], []], [[1, 2], (3, 4)], [1.5, float("nan"), float("inf")], [[True, False]],
    [np.float64(1.5), 2], [np.int32(1), 2], [np.int32(1), 2.5], [np.float16(1), 1.0],
    [np.int32(1), True], np.float64(1.5), np.int32(1), np.array([1, 2], dtype=np.float64),
    np.array([[1, 2]], dtype=np.int32).T, np.array(3.5), [np.array([1.5, 2])],
    [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)], [2**62, 1],
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=repr)
def test_tensor_inference(data):
    same(lambda lib: lib.tensor(data))


def test_tensor_from_tensors():
    same(lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]))
    same(lambda lib: lib.tensor([lib.tensor(1), 2.5]))
    same(lambda lib: lib.tensor([lib.tensor(1, dtype=lib.float64), 2]))
    same(lambda lib: lib.tensor([[lib.tensor(1), lib.tensor(2)], [3, 4]]))
    same(lambda lib: lib.tensor(lib.ones(2, 3, dtype=lib.int32)))


@pytest.mark.parametrize("data,dtype", [([1.5, 2.7], "int64"), ([1, 2], "bool"), ([1, 2], float),
                                        ([[1, 2]], "float64"), (3, "float16"), ([], "int32"),
                                        (2.5, "int32"), (np.ones(2), "float32")])
def test_tensor_dtype(data, dtype):
    same(lambda lib: lib.tensor(data, dtype=getattr(lib, dtype) if isinstance(dtype, str)
                                else dtype))


@pytest.mark.parametrize("data", [[[1, 2], [3, 4, 5]], [[1, 2], [3]], [[1, 2], []], [[1, 2], 3],
                                  [1, [2, 3]], "a", ["a"], None, [None], [2**63], 2**63])
def test_tensor_errors(data):
    exc = raises_same(lambda lib: lib.tensor(data))
    if isinstance(exc, ValueError):  # the ragged-list message names the dim and both lengths
        raises_same(lambda lib: lib.tensor(data), match=re.escape(str(exc)))


def test_tensor_copies_and_requires_grad():
    a = np.ones(3, dtype=np.float32)
    t = ember.tensor(a)
    a[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf
    raises_same(lambda lib: lib.tensor([1, 2], requires_grad=True),
                match="Only Tensors of floating point and complex dtype can require gradients")
    y = ember.tensor(x)
    assert not y.requires_grad and y._data is not x._data


def test_as_tensor_from_numpy():
    a = np.ones(3)
    t = ember.as_tensor(a)
    assert t._data is a and t.dtype == ember.float64
    assert ember.as_tensor(a, dtype=ember.float32).dtype == ember.float32
    same(lambda lib: lib.as_tensor([1, 2], dtype=lib.float64))
    same(lambda lib: lib.as_tensor(np.float64(3)))
    same(lambda lib: lib.as_tensor(3))
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    f = ember.from_numpy(a)
    a[1] = 7
    assert f.tolist() == [1.0, 7.0, 1.0]
    raises_same(lambda lib: lib.from_numpy([1]), match=r"expected np.ndarray \(got list\)")
    same(lambda lib: lib.asarray([1, 2.5]))


# ---- by shape ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["zeros", "ones"])
@pytest.mark.parametrize("args", [(2, 3), ((2, 3),), ([2, 3],), ((),), ([],), (0,), (2, 0),
                                  (np.int64(2),)])
def test_zeros_ones(fn, args):
    same(lambda lib: getattr(lib, fn)(*args))
    same(lambda lib: getattr(lib, fn)(*args, dtype=lib.int32))


def test_shape_args():
    same(lambda lib: lib.zeros(lib.Size([2, 3])))
    same(lambda lib: lib.ones(lib.tensor(2)))
    assert ember.empty(2, 3).shape == (2, 3)
    assert ember.empty((4,), dtype=ember.float64).dtype == ember.float64
    raises_same(lambda lib: lib.zeros(2.5))
    raises_same(lambda lib: lib.empty(-1), match=r"negative dimension -1: \[-1\]")
    raises_same(lambda lib: lib.ones(2, -1))
    raises_same(lambda lib: lib.ones(2, dtype=lib.int64, requires_grad=True))
    assert ember.zeros(2, requires_grad=True).requires_grad


def test_full():
    same(lambda lib: lib.full((2,), 3))
    same(lambda lib: lib.full([2, 2], 1.5))
    same(lambda lib: lib.full((2,), True))
    same(lambda lib: lib.full((), 1.5))
    same(lambda lib: lib.full((2,), 1.5, dtype=lib.float64))
    same(lambda lib: lib.full((2,), lib.tensor(4)))
    raises_same(lambda lib: lib.full(2, 3))


def test_out():
    for lib in (torch, ember):
        o = lib.ones(3, dtype=lib.int64)
        r = lib.zeros((2,), out=o)
        assert r is o and tuple(o.shape) == (2,) and str(o.dtype).endswith("int64")
    o = ember.ones(3)
    assert ember.arange(4, out=o) is o and o.tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like"])
@pytest.mark.parametrize("kw", [{}, {"dtype": "int32"}, {"requires_grad": True}])
def test_like(fn, kw):
    x = rand(2, 3, dtype=np.float64)
    res = []
    for lib in (torch, ember):
        k = {n: getattr(lib, v) if n == "dtype" else v for n, v in kw.items()}
        res.append(getattr(lib, fn)(lib.from_numpy(x.copy()), **k))
    t, e = res
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
    assert e.requires_grad == t.requires_grad
    if fn != "empty_like":
        assert_close(e, t, 0, 0)


def test_full_like():
    same(lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), 2.7))
    same(lambda lib: lib.full_like(lib.ones(2), 2.7, dtype=lib.float64))


# ---- new_* ---------------------------------------------------------------------------------------
def test_new_methods():
    for dt in ["float32", "float64", "int32"]:
        def base(lib):
            return lib.ones(2, dtype=getattr(lib, dt))
        same(lambda lib: base(lib).new_tensor([1, 2]))
        same(lambda lib: base(lib).new_tensor([1.5, 2]))
        same(lambda lib: base(lib).new_zeros(2, 3))
        same(lambda lib: base(lib).new_zeros((2, 3), dtype=lib.int32))
        same(lambda lib: base(lib).new_ones([2]))
        same(lambda lib: base(lib).new_full((2,), 3))
        assert ember.ones(2, dtype=getattr(ember, dt)).new_empty(2, 3).shape == (2, 3)
    assert ember.ones(2).new_zeros(2, requires_grad=True).requires_grad
    raises_same(lambda lib: lib.ones(2, dtype=lib.int32).new_ones(2, requires_grad=True))


# ---- ranges --------------------------------------------------------------------------------------
ARANGE = [(5,), (1, 4), (0, 1, 0.25), (0.0, 5), (5, 0, -1.5), (0.5, 3), (1, 1), (0, 10, 3),
          (-3, 3, 2), (0, 1, 0.1), (1.0000001, 1.3, 0.1), (np.int32(3),), (np.float32(3),),
          (0, 100, 7), (10, -10, -3)]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange(args):
    same(lambda lib: lib.arange(*args))


def test_arange_kwargs():
    same(lambda lib: lib.arange(end=5))
    same(lambda lib: lib.arange(0, 5, dtype=lib.float64))
    same(lambda lib: lib.arange(0, 10, 3, dtype=lib.uint8))
    same(lambda lib: lib.arange(0, 1, 0.1, dtype=lib.float64))
    same(lambda lib: lib.arange(lib.tensor(3)))
    same(lambda lib: lib.arange(lib.tensor(3.0)))
    same(lambda lib: lib.arange(0.5, 4.5, dtype=lib.int64))
    assert ember.arange(3, dtype=ember.float32, requires_grad=True).requires_grad


@pytest.mark.parametrize("args,kw", [((0, 5, 0), {}), ((0, 5, -1), {}), ((float("nan"),), {}),
                                     ((float("inf"),), {}), ((0, 5), {"dtype": "bool"}),
                                     ((0, 2.5, 0.5), {"dtype": "int64"})])
def test_arange_errors(args, kw):
    exc = raises_same(lambda lib: lib.arange(*args, **{k: getattr(lib, v) for k, v in kw.items()}))
    raises_same(lambda lib: lib.arange(*args, **{k: getattr(lib, v) for k, v in kw.items()}),
                match=str(exc).replace('"', '.'))


@pytest.mark.parametrize("args", [(0, 1, 5), (0, 1, 7), (-2.5, 3, 11), (0, 1, 1), (0, 1, 0),
                                  (1, 0, 6), (0, 10, 1000)])
def test_linspace(args):
    same(lambda lib: lib.linspace(*args))
    same(lambda lib: lib.linspace(*args, dtype=lib.float64), rtol=1e-12, atol=1e-12)
    same(lambda lib: lib.logspace(*args))
    same(lambda lib: lib.logspace(*args, base=2))


def test_linspace_misc():
    same(lambda lib: lib.linspace(0, 10, 5, dtype=lib.int64))
    same(lambda lib: lib.linspace(lib.tensor(0.0), lib.tensor(1.0), 3))
    raises_same(lambda lib: lib.linspace(0, 1, -1), match="number of steps must be non-negative")
    raises_same(lambda lib: lib.linspace(0, 1))


@pytest.mark.parametrize("args", [(2,), (2, 3), (3, 2), (0,), (1, 0)])
def test_eye(args):
    same(lambda lib: lib.eye(*args))
    same(lambda lib: lib.eye(*args, dtype=lib.int64))


def test_eye_errors():
    raises_same(lambda lib: lib.eye(-1), match="n must be greater or equal to 0, got -1")
    raises_same(lambda lib: lib.eye(2, -1), match="m must be greater or equal to 0, got -1")


def test_default_dtype_follows():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype == ember.float64
        assert ember.zeros(2).dtype == ember.float64
        assert ember.arange(0, 1, 0.5).dtype == ember.float64
        assert ember.linspace(0, 1, 3).dtype == ember.float64
        assert ember.tensor([1 + 2j]).dtype == ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)
    check_raises(lambda lib: lib.tensor([[1], 2]))


def _layouts(lib):
    x = lib.arange(120.0).reshape(2, 3, 4, 5).contiguous(memory_format=lib.channels_last)
    return [x, lib.arange(20.0).reshape(4, 5).t(), lib.arange(24.0).reshape(4, 6)[:, ::2],
            lib.arange(60.0).reshape(3, 4, 5).permute(2, 0, 1)[::2], x[:, :, :, :1], x[:, :2],
            x[:, :, ::2], lib.arange(12.0).reshape(3, 1, 4).transpose(0, 2)]


@pytest.mark.parametrize("fn", ["empty_like", "zeros_like", "ones_like", "full_like"])
def test_like_functions_keep_layouts_as_torch(fn):
    args = (7.0,) if fn == "full_like" else ()
    for e, t in zip(_layouts(ember), _layouts(torch)):
        re, rt = getattr(ember, fn)(e, *args), getattr(torch, fn)(t, *args)
        assert re.stride() == rt.stride() and re.shape == rt.shape
        if fn != "empty_like":
            assert (re.numpy() == rt.numpy()).all()
        for fmt in ["contiguous_format", "channels_last"]:
            if e.ndim == 4:
                kw = {"memory_format": getattr(ember, fmt)}
                kt = {"memory_format": getattr(torch, fmt)}
                assert (getattr(ember, fn)(e, *args, **kw).stride()
                        == getattr(torch, fn)(t, *args, **kt).stride())

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand

F64 = np.float64


def test_clone():
    compare(lambda lib, x: x.clone() * 2, rand(2, 3))
    compare(lambda lib, x: lib.clone(x), noncontig(rand(3, 4, dtype=F64)))
    x = ember.ones(2, requires_grad=True)
    assert x.clone().grad_fn.name() == "CloneBackward0"
    c = ember.ones(3)
    d = c.clone()
    d.add_(1)
    assert c.tolist() == [1.0, 1.0, 1.0]


def test_clone_keeps_transposed_strides():
    for lib in (torch, ember):
        t = lib.from_numpy(np.ones((2, 3), np.float32))
        assert tuple(lib.from_numpy(np.ascontiguousarray(np.ones((3, 2), np.float32)).T)
                     .clone().stride()) == (1, 2)
        assert t.clone().is_contiguous()


def test_contiguous():
    a = rand(3, 4)
    compare(lambda lib, x: x.contiguous(), noncontig(a))
    x = ember.ones(2, 3)
    assert x.contiguous() is x
    y = ember.from_numpy(np.ones((3, 2), np.float32).T)
    assert not y.is_contiguous() and y.contiguous().is_contiguous()


@pytest.mark.parametrize("target", ["float64", "float16", "int64", "int32", "uint8", "bool",
                                    "float32"])
def test_to_dtype(target):
    compare(lambda lib, x: x.to(getattr(lib, target)), rand(2, 3, low=-3, high=3))
    compare(lambda lib, x: x.to(dtype=getattr(lib, target)), rand(4, dtype=F64, low=-3, high=3))
    compare(lambda lib, x: x.to(getattr(lib, target)), rand(4, dtype=np.int64, low=-3, high=3))


def test_to_forms():
    x = ember.ones(2, requires_grad=True)
    assert x.to("cpu") is x and x.to(x) is x and x.to(ember.float32) is x
    assert x.to(ember.float32, copy=True) is not x
    assert x.to(ember.float64).grad_fn.name() == "ToCopyBackward0"
    assert not x.to(ember.int64).requires_grad
    assert x.to("cpu", ember.float64).dtype == ember.float64
    assert x.to(device="cpu", dtype=ember.float16).dtype == ember.float16
    assert x.to(ember.device("cpu")) is x
    assert x.to(float).dtype == ember.float64
    assert x.to(ember.ones(1, dtype=ember.float64)).dtype == ember.float64
    assert x.to("cpu", non_blocking=True) is x
    with pytest.raises(TypeError):
        x.to(foo=1)
    with pytest.raises(RuntimeError):
        x.to("xpu")


def test_to_gradients():
    compare(lambda lib, x: x.to(lib.float64) * 3, rand(3))
    compare(lambda lib, x: x.double().float() * x, rand(3))
    compare(lambda lib, x: x.half().float(), rand(3), rtol=1e-3, atol=1e-3)


def test_casters():
    for name in ["float", "double", "half", "int", "long", "short", "char", "byte", "bool"]:
        compare(lambda lib, x: getattr(x, name)(), rand(2, 3, low=-2, high=2))
    compare(lambda lib, x: x.long(), np.array([1.7, -1.7], np.float32))
    compare(lambda lib, x: x.bool(), np.array([1.5, 0.0], np.float32))


def test_type():
    x = ember.ones(2)
    assert x.type() == "ember.FloatTensor"
    assert x.type(ember.int32).dtype == ember.int32
    assert x.type("torch.DoubleTensor").dtype == ember.float64
    assert x.type("ember.LongTensor").dtype == ember.int64
    check_raises(lambda lib, t: t.type("torch.Foo"), rand(2))
    compare(lambda lib, a, b: a.type_as(b), rand(3), rand(2, dtype=F64))
    assert ember.ones(2).type_as(ember.ones(1, dtype=ember.int64)).dtype == ember.int64


def test_cpu():
    x = ember.ones(2)
    assert x.cpu() is x


def test_printoptions_exported():
    assert callable(ember.set_printoptions) and callable(ember.get_printoptions)

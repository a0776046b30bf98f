import itertools

import numpy as np
import pytest
import torch

import ember
from ember import _dtype

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]
SCALARS = [True, 2, 2.5, 1 + 1j]


def ed(name):
    return getattr(_dtype, "bool_" if name == "bool" else name)


def tname(d):
    # ember has no complex32: PyTorch's float16 + complex gives it, ember complex64
    name = str(d).split(".")[-1]
    return "complex64" if name == "complex32" else name


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_table(a):
    for b in NAMES:
        want = tname(torch.promote_types(getattr(torch, a), getattr(torch, b)))
        assert ed(a).__class__ is _dtype.dtype
        assert _dtype.promote_types(ed(a), ed(b)).name == want, (a, b)
        assert ember.promote_types(ed(a), ed(b)).name == want, (a, b)


def _torch_tensor(name, dim):
    return torch.zeros((2,) if dim else (), dtype=getattr(torch, name))


@pytest.mark.parametrize("a", NAMES)
def test_result_type_tensor_and_scalar(a):
    for s in SCALARS:
        want = tname(torch.result_type(_torch_tensor(a, True), s))
        assert _dtype.result_type((ed(a),), (), (s,)).name == want, (a, s)
        want0 = tname(torch.result_type(_torch_tensor(a, False), s))
        assert _dtype.result_type((), (ed(a),), (s,)).name == want0, (a, s)


@pytest.mark.parametrize("a", NAMES)
def test_result_type_dim_and_zero_dim(a):
    for b in NAMES:
        want = tname(torch.result_type(_torch_tensor(a, True), _torch_tensor(b, False)))
        assert _dtype.result_type((ed(a),), (ed(b),)).name == want, (a, b)
        want = tname(torch.result_type(_torch_tensor(a, False), _torch_tensor(b, False)))
        assert _dtype.result_type((), (ed(a), ed(b))).name == want, (a, b)


def test_result_type_many_operands():
    for a, b, s in itertools.product(["int8", "uint8", "float16", "int64"], ["bool", "int32"],
                                     SCALARS):
        ta, tb = _torch_tensor(a, True), _torch_tensor(b, False)
        want = tname(torch.result_type(ta + tb, s))
        mid = _dtype.result_type((ed(a),), (ed(b),))
        assert _dtype.result_type((mid,), (), (s,)).name == want


def test_result_type_follows_default_dtype():
    try:
        torch.set_default_dtype(torch.float64)
        ember.set_default_dtype(ember.float64)
        for a in NAMES:
            for s in SCALARS:
                want = tname(torch.result_type(_torch_tensor(a, True), s))
                assert _dtype.result_type((ed(a),), (), (s,)).name == want, (a, s)
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name):
    t, e = getattr(torch, name), ed(name)
    assert e.is_floating_point == t.is_floating_point
    assert e.is_complex == t.is_complex
    assert e.is_signed == t.is_signed
    assert e.itemsize == t.itemsize
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert getattr(ember, name) is e


def test_aliases():
    for alias in ["half", "float", "double", "short", "int", "long", "cfloat", "cdouble"]:
        assert getattr(ember, alias).name == tname(getattr(torch, alias))
    assert ember.bool is _dtype.bool_


@pytest.mark.parametrize("spec,want", [
    (float, "float64"), (int, "int64"), (bool, "bool"), (complex, "complex128"),
    ("float32", "float32"), ("torch.int32", "int32"), ("ember.float16", "float16"),
    ("double", "float64"), (np.float32, "float32"), (np.dtype("int16"), "int16")])
def test_as_dtype(spec, want):
    assert _dtype.as_dtype(spec).name == want
    if not isinstance(spec, str) and spec not in (np.float32,) and not isinstance(spec, np.dtype):
        assert tname(torch.zeros(1, dtype=spec).dtype) == want


def test_as_dtype_errors():
    with pytest.raises(TypeError):
        _dtype.as_dtype("notatype")
    with pytest.raises(TypeError):
        _dtype.from_numpy_dtype(np.dtype("U3"))


def test_scalar_dtype():
    for s in [True, 3, 2.5, 1j, np.float64(1.5), np.int32(2), np.bool_(True), np.float16(1)]:
        assert _dtype.scalar_dtype(s).name == tname(torch.full((), s).dtype), s


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.get_default_dtype() is ember.float64
        ember.set_default_dtype("float16")
        assert ember.get_default_dtype() is ember.float16
        with pytest.raises(TypeError):
            ember.set_default_dtype(ember.int64)
    finally:
        ember.set_default_dtype(ember.float32)


def test_dtype_pickles():
    import pickle
    for name in NAMES:
        assert pickle.loads(pickle.dumps(ed(name))) is ed(name)

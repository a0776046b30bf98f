"""Tensor attributes, conversions and Python protocols, against torch."""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember
from helpers import rand


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4)])
def test_attributes(shape):
    a = rand(*shape)
    e, t = ember.tensor(a), torch.tensor(a)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.size() == tuple(t.size())
    assert e.dim() == t.dim() and e.ndim == t.ndim
    assert e.numel() == t.numel() and e.nelement() == t.nelement()
    assert e.element_size() == t.element_size()
    if len(shape):
        assert e.size(-1) == t.size(-1)
        assert e.stride() == t.stride()
    assert e.tolist() == t.tolist()
    assert e.is_contiguous()
    assert e.is_floating_point() and not e.is_complex()
    assert e.is_leaf and not e.requires_grad and e.grad_fn is None and e.grad is None


def test_size_type():
    s = ember.zeros(2, 3).shape
    assert isinstance(s, tuple) and s == (2, 3)
    assert repr(s) == "ember.Size([2, 3])"
    assert s.numel() == 6
    assert isinstance(s[1:], ember.Size)
    assert ember.zeros(s).shape == (2, 3)


def test_bad_dim_in_size():
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        ember.zeros(2, 3).size(2)


def test_item_and_scalars():
    assert ember.tensor(2.5).item() == 2.5
    assert isinstance(ember.tensor(3).item(), int)
    assert float(ember.tensor([1.5])) == 1.5
    assert int(ember.tensor(7)) == 7
    assert bool(ember.tensor([True]))
    assert [10, 20][ember.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        ember.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.0)]


def test_len_iter():
    e = ember.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(e) == 3
    rows = list(e)
    assert len(rows) == 3 and rows[1].tolist() == [3, 4]
    with pytest.raises(TypeError):
        len(ember.tensor(1.0))
    with pytest.raises(TypeError):
        iter(ember.tensor(1.0))


def test_numpy_shares_memory():
    a = np.arange(6, dtype=np.float32)
    e = ember.from_numpy(a)
    a[0] = 100
    assert e.numpy()[0] == 100
    n = e.numpy()
    n[1] = -1
    assert a[1] == -1
    assert np.asarray(e) is not None and np.asarray(e)[1] == -1


def test_numpy_requires_grad_error():
    e = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        e.numpy()
    assert e.detach().numpy().tolist() == [1.0, 1.0]


def test_ndarray_left_operand_gives_tensor():
    e = ember.ones(3)
    r = np.ones(3, dtype=np.float32) + e
    assert isinstance(r, ember.Tensor)


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    assert y.requires_grad and not y.is_leaf


def test_data_property_is_detached_and_shared():
    x = ember.ones(3, requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.numpy()[0] = 5
    assert x.detach().numpy()[0] == 5
    x.data = ember.zeros(3)
    assert x.detach().numpy().tolist() == [0, 0, 0] and x.requires_grad


def test_legacy_constructor():
    assert ember.Tensor(2, 3).shape == (2, 3)
    assert ember.Tensor(2, 3).dtype == ember.float32
    t = ember.Tensor([1, 2])
    assert t.dtype == ember.float32 and t.tolist() == [1.0, 2.0]
    assert ember.Tensor().shape == (0,)


TYPED = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", TYPED)
def test_typed_legacy_constructors_like_torch(name):
    import torch
    for args in (([1.5, 2.0, 0.0],), (2, 3), ()):
        t, e = getattr(torch, name)(*args), getattr(ember, name)(*args)
        assert str(e.dtype)[6:] == str(t.dtype)[6:] and tuple(e.shape) == tuple(t.shape)
        if args and isinstance(args[0], list):
            assert e.tolist() == t.tolist()
    for other in TYPED:  # isinstance: a tensor of that dtype
        x = getattr(torch, other)([1])
        assert isinstance(ember.tensor(x.numpy()), getattr(ember, name)) == isinstance(
            x, getattr(torch, name)), (name, other)
    assert not isinstance(3.0, getattr(ember, name))
    assert ember.ones(2).type(getattr(ember, name)).dtype == getattr(ember, name).dtype
    assert ember.ones(2).type(getattr(ember, name)).type() == f"ember.{name}"


def test_pickle_and_deepcopy_keep_values_and_requires_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [1.0, 2.0] and y.requires_grad and y.is_leaf
    z = copy.deepcopy(x)
    assert z.tolist() == [1.0, 2.0] and z.requires_grad
    z.detach().numpy()[0] = 9
    assert x.tolist()[0] == 1.0
    with pytest.raises(RuntimeError, match="leaves"):
        copy.deepcopy(x * 2)


def test_hashable_by_identity():
    a, b = ember.ones(1), ember.ones(1)
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


def test_format():
    assert f"{ember.tensor(1.23456):.2f}" == "1.23"


def test_typed_constructors_of_a_tensor_share_it_or_refuse_it():
    import torch
    for lib in (torch, ember):
        t = lib.ones(2)
        a = lib.FloatTensor(t)
        a[0] = 5
        assert t.tolist() == [5.0, 1.0]  # the same memory
        with pytest.raises(TypeError, match="expected TensorOptions"):
            lib.FloatTensor(lib.ones(2, dtype=lib.long))
        with pytest.raises(TypeError, match="data must be a sequence"):
            lib.FloatTensor(2.5)


@pytest.mark.parametrize("convert", [float, int, complex])
def test_python_number_of_a_tensor_with_other_than_one_element(convert):
    """``float(t)`` of a tensor of several (or no) elements: torch's ValueError (``item()``
    raises RuntimeError instead)."""
    for lib in (torch, ember):
        for t in (lib.ones(2), lib.ones(0)):
            with pytest.raises(ValueError, match="only one element tensors can be converted"):
                convert(t)
        assert convert(lib.ones(1, 1) * 2) == 2
        with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
            lib.ones(2).item()


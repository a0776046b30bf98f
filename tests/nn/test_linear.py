"""F.linear, F.bilinear, nn.Linear, nn.Bilinear against torch: values, gradients (first and second
order), errors, initialisation, reprs and state_dicts."""
import math

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from helpers import compare, noncontig, rand
from nn.test_module import same_error
from nn.trees import same_repr

F32, F64 = np.float32, np.float64


def lin(lib, *args):
    return lib.nn.functional.linear(*args)


# ---- F.linear: values and gradients --------------------------------------------------------------
@pytest.mark.parametrize("xshape", [(5,), (4, 5), (2, 3, 5), (2, 1, 3, 5), (0, 5), (2, 0, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [F32, F64])
def test_linear_shapes(xshape, bias, dtype):
    args = (rand(*xshape, dtype=dtype), rand(3, 5, dtype=dtype))
    compare(lin, *(args + ((rand(3, dtype=dtype),) if bias else ())))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_noncontiguous(bias):
    b = (rand(4),) if bias else ()
    compare(lin, noncontig(rand(6, 5)), rand(4, 5), *b)              # transposed input
    compare(lin, rand(6, 5), noncontig(rand(4, 5)), *b)              # transposed weight
    compare(lambda lib, x, w, *b: lin(lib, x[:, ::2], w, *b), rand(6, 10), rand(4, 5), *b)
    compare(lambda lib, x, w, *b: lin(lib, x.transpose(0, 1), w, *b), rand(3, 2, 5), rand(4, 5),
            *b)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_linear_big_output(dtype):
    # an output past 2^20 elements takes the bias-column product (float32: the input's gradient
    # sums 5000 products)
    tol = dict(grad_rtol=1e-4, grad_atol=1e-3) if dtype == F32 else {}
    compare(lin, rand(70, 3, 8, dtype=dtype), rand(5000, 8, dtype=dtype), rand(5000, dtype=dtype),
            **tol)
    compare(lin, noncontig(rand(300, 8, dtype=dtype)), rand(3500, 8, dtype=dtype),
            rand(3500, dtype=dtype), **tol)


def test_linear_expanded_upstream_gradient():
    # .sum() sends back a broadcast (stride 0) gradient: it must still reach BLAS correctly
    compare(lambda lib, x, w, b: lin(lib, x, w, b).sum(), rand(6, 5), rand(4, 5), rand(4))
    compare(lambda lib, x, w, b: lin(lib, x, w, b).mean(1), rand(2, 6, 5), rand(4, 5), rand(4))


@pytest.mark.parametrize("xshape,wshape,bshape", [
    ((4, 5), (3, 5), (4, 3)), ((4, 5), (3, 5), ()), ((4, 5), (3, 5), (1,)),
    ((2, 4, 5), (3, 5), (4, 3)), ((2, 4, 5), (3, 5), (2, 1, 3)), ((5,), (3, 5), ()),
    ((4, 5), (5,), None), ((5,), (5,), ()), ((2, 3, 5), (5,), None),
])
def test_linear_unusual_shapes(xshape, wshape, bshape):
    args = (rand(*xshape), rand(*wshape)) + (() if bshape is None else (rand(*bshape),))
    compare(lin, *args)


def test_linear_integers():
    x, w, b = (rand(4, 5, dtype=np.int64, low=-3, high=3), rand(3, 5, dtype=np.int64, low=-3,
               high=3), rand(3, dtype=np.int64, low=-3, high=3))
    compare(lin, x, w, b)
    compare(lin, x, w)


@pytest.mark.parametrize("xshape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_grad_fn_names(xshape, bias):
    def name(lib):
        x = lib.ones(*xshape, requires_grad=True)
        w, b = lib.ones(3, 5, requires_grad=True), lib.ones(3, requires_grad=True)
        return type(lin(lib, x, w, b if bias else None).grad_fn).__name__
    assert name(ember) == name(torch)


def test_linear_only_needed_gradients():
    x, w, b = ember.ones(4, 5), ember.ones(3, 5, requires_grad=True), ember.ones(3)
    F = enn.functional
    F.linear(x, w, b).sum().backward()
    assert w.grad is not None and x.grad is None and b.grad is None
    assert w.grad.dtype == ember.float32
    x.requires_grad_()
    w2 = ember.ones(3, 5)
    F.linear(x, w2).sum().backward()
    assert x.grad.tolist() == [[3.0] * 5] * 4 and w2.grad is None
    with ember.no_grad():
        assert F.linear(x, w, b).grad_fn is None


def test_linear_saved_weight_modified_in_place():
    x = ember.ones(2, 5, requires_grad=True)
    w = ember.ones(3, 5, requires_grad=True) * 1
    y = enn.functional.linear(x, w)
    w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- double backward -----------------------------------------------------------------------------
def _second_order(lib, x, w, b=None):
    args = (x, w) if b is None else (x, w, b)
    y = lib.nn.functional.linear(*args)
    grads = lib.autograd.grad((y * y).sum() + y.sin().sum(), args, create_graph=True)
    return sum((g * g).sum() for g in grads)


@pytest.mark.parametrize("xshape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_double_backward(xshape, bias):
    args = (rand(*xshape, dtype=F64), rand(3, 5, dtype=F64)) + ((rand(3, dtype=F64),) if bias
                                                                 else ())
    compare(_second_order, *args)


def test_linear_gradcheck():
    x = ember.tensor(rand(3, 4, dtype=F64), requires_grad=True)
    w = ember.tensor(rand(2, 4, dtype=F64), requires_grad=True)
    b = ember.tensor(rand(2, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(enn.functional.linear, (x, w, b))
    assert ember.autograd.gradgradcheck(enn.functional.linear, (x, w, b))


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("xshape,wshape,bshape", [
    ((4, 6), (3, 5), None), ((2, 4, 6), (3, 5), (3,)), ((6,), (3, 5), None),
    ((), (3, 5), None), ((4, 3), (), None), ((4, 5), (2, 3, 5), None),
    ((4, 5), (5,), (1,)), ((4, 5), (5,), ()),
    ((4, 5), (3, 5), (4,)), ((4, 5), (3, 5), (2, 4, 3)), ((5,), (3, 5), (4,)),
    ((5,), (3, 5), (2, 3)), ((2, 4, 5), (3, 5), (8, 3)), ((2, 4, 5), (3, 5), (3, 1, 3)),
    ((4, 5), (3, 5), (3, 3)),
])
def test_linear_shape_errors(xshape, wshape, bshape):
    def fn(lib):
        args = [lib.ones(xshape), lib.ones(wshape)]
        return lin(lib, *(args if bshape is None else args + [lib.ones(bshape)]))
    same_error(fn)


@pytest.mark.parametrize("dx,dw,db", [("float32", "float64", None),
                                      ("float32", "float32", "float64"),
                                      ("float64", "float64", "float32"),
                                      ("float64", "float32", "float32")])
def test_linear_dtype_errors(dx, dw, db):
    def fn(lib):
        args = [lib.ones(4, 5, dtype=getattr(lib, dx)), lib.ones(3, 5, dtype=getattr(lib, dw))]
        return lin(lib, *(args if db is None else args + [lib.ones(3, dtype=getattr(lib, db))]))
    same_error(fn)


def test_linear_type_errors():
    same_error(lambda lib: lin(lib, lib.ones(4, 5, dtype=lib.bool), lib.ones(3, 5, dtype=lib.bool)))
    same_error(lambda lib: lin(lib, [1.0], lib.ones(3, 5)))
    same_error(lambda lib: lin(lib, lib.ones(1, 5), [[1.0]]))
    same_error(lambda lib: lin(lib, lib.ones(1, 5), lib.ones(3, 5), 1.0))


def test_linear_module_names_itself_in_shape_errors():
    m = enn.Linear(5, 3)
    with pytest.raises(RuntimeError) as info:
        m(ember.ones(4, 6))
    assert str(info.value) == ("mat1 and mat2 shapes cannot be multiplied (4x6 and 5x3) in "
                               "Linear(in_features=5, out_features=3, bias=True)")


# ---- nn.Linear -----------------------------------------------------------------------------------
def _copy(t_module, e_module):
    e_module.load_state_dict({k: ember.tensor(v.detach().numpy())
                              for k, v in t_module.state_dict().items()})


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xshape", [(7,), (4, 7), (2, 3, 7)])
def test_linear_module_against_torch(bias, xshape):
    t = torch.nn.Linear(7, 4, bias=bias)
    e = enn.Linear(7, 4, bias=bias)
    _copy(t, e)
    x = rand(*xshape)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = t(xt), e(xe)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    up = rand(*yt.shape)
    yt.backward(torch.tensor(up))
    ye.backward(ember.tensor(up))
    pairs = [(xe.grad, xt.grad)] + [(pe.grad, pt.grad) for pe, pt in
                                    zip(e.parameters(), t.parameters())]
    for ge, gt in pairs:
        np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("args", [(5, 3), (5, 3, False), (1, 1), (0, 4), (4, 0)])
def test_linear_module_layout(args):
    t, e = torch.nn.Linear(*args), enn.Linear(*args)
    same_repr(e, t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert e.in_features == t.in_features and e.out_features == t.out_features


def test_linear_module_dtype_and_no_upcast():
    m = enn.Linear(5, 3, dtype=ember.float64)
    assert m.weight.dtype == m.bias.dtype == ember.float64
    m32 = enn.Linear(5, 3)
    y = m32(ember.ones(2, 5))
    assert y.dtype == ember.float32
    y.sum().backward()
    assert m32.weight.grad.dtype == m32.bias.grad.dtype == ember.float32


def test_linear_init_statistics():
    m = enn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy().copy(), m.bias.detach().numpy()
    assert -bound <= w.min() and w.max() <= bound and w.max() > 0.99 * bound
    assert -bound <= b.min() and b.max() <= bound
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03
    assert abs(w.mean()) < 0.01 * bound * 10
    ember.manual_seed(3)
    a = enn.Linear(4, 2).weight.tolist()
    ember.manual_seed(3)
    assert enn.Linear(4, 2).weight.tolist() == a  # reproducible
    m.reset_parameters()
    assert not np.array_equal(m.weight.detach().numpy(), w)


def test_linear_in_sequential_trains_like_torch():
    t = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Linear(5, 2))
    e = enn.Sequential(enn.Linear(6, 5), enn.Linear(5, 2))
    _copy(t, e)
    x = rand(8, 6)
    for lib, m in ((torch, t), (ember, e)):
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            opt.step()
    for (k, vt), (_, ve) in zip(t.state_dict().items(), e.state_dict().items()):
        np.testing.assert_allclose(ve.numpy(), vt.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_identity_lives_in_linear_too():
    from ember.nn.modules import linear
    assert linear.Identity is enn.Identity
    x = ember.ones(2)
    assert enn.Identity(54, unused=0.1)(x) is x


# ---- bilinear ------------------------------------------------------------------------------------
def bil(lib, *args):
    return lib.nn.functional.bilinear(*args)


@pytest.mark.parametrize("lead", [(), (4,), (2, 3), (0,)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(lead, bias):
    args = (rand(*lead, 3), rand(*lead, 5), rand(4, 3, 5)) + ((rand(4),) if bias else ())
    compare(bil, *args)


def test_bilinear_float64_and_double_backward():
    args = (rand(2, 3, dtype=F64), rand(2, 5, dtype=F64), rand(4, 3, 5, dtype=F64),
            rand(4, dtype=F64))

    def fn(lib, *a):
        y = bil(lib, *a)
        return sum((g * g).sum() for g in lib.autograd.grad((y * y).sum(), a, create_graph=True))
    compare(bil, *args)
    compare(fn, *args)


@pytest.mark.parametrize("s1,s2,sw,sb", [
    ((2, 3), (3, 5), (4, 3, 5), (4,)), ((2, 3), (2, 2, 5), (4, 3, 5), (4,)),
    ((2, 4), (2, 5), (4, 3, 5), (4,)), ((2, 3), (2, 6), (4, 3, 5), (4,)),
    ((2, 3), (2, 5), (4, 3, 5), (3,)), ((2, 3), (2, 5), (3, 5), (4,)),
    ((2, 3), (2, 5), (4, 3, 5), (1, 4)),
])
def test_bilinear_errors(s1, s2, sw, sb):
    same_error(lambda lib: bil(lib, lib.ones(*s1), lib.ones(*s2), lib.ones(*sw), lib.ones(*sb)))


def test_bilinear_dtype_error():
    same_error(lambda lib: bil(lib, lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 5),
                               lib.ones(4, 3, 5), lib.ones(4)))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_module(bias):
    t, e = torch.nn.Bilinear(3, 5, 4, bias=bias), enn.Bilinear(3, 5, 4, bias=bias)
    same_repr(e, t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    _copy(t, e)
    x1, x2 = rand(6, 3), rand(6, 5)
    np.testing.assert_allclose(e(ember.tensor(x1), ember.tensor(x2)).detach().numpy(),
                               t(torch.tensor(x1), torch.tensor(x2)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    big = enn.Bilinear(100, 20, 50)
    bound = 1 / math.sqrt(100)
    w = big.weight.detach().numpy()
    assert -bound <= w.min() and w.max() <= bound
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03
    same_error(lambda lib: lib.nn.Bilinear(0, 2, 3))

"""Activation layers against torch (forward, backward, printed form, signatures), and the
activations that are more than elementwise: PReLU, GLU, the softmax family, normalize, RReLU."""
import inspect

import numpy as np
import pytest
import torch

import ember
from helpers import compare, noncontig, rand
from nn.test_activation import F, F32, F64, KINKS


# ---- modules ------------------------------------------------------------------------------------
# (class name, constructor args, kwargs)
MODULES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}),
    ("ReLU6", (True,), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {"inplace": True}), ("SELU", (), {}),
    ("SELU", (True,), {}), ("CELU", (2.0,), {}), ("CELU", (), {"inplace": True}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("GELU", (), {"approximate": "none"}),
    ("SiLU", (), {}), ("SiLU", (True,), {}), ("Mish", (), {}), ("Mish", (), {"inplace": True}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Softplus", (), {}), ("Softplus", (2, 5), {}),
    ("Softplus", (), {"beta": 0.5, "threshold": 10.0}), ("Softsign", (), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 0.5), {}), ("Hardtanh", (-2, 2, True), {}),
    ("Hardsigmoid", (), {}), ("Hardsigmoid", (True,), {}), ("Hardswish", (), {}),
    ("Hardswish", (), {"inplace": True}), ("LogSigmoid", (), {}), ("Threshold", (0.1, 20), {}),
    ("Threshold", (0.5, -1.0, True), {}), ("Tanhshrink", (), {}), ("Softshrink", (), {}),
    ("Softshrink", (1.0,), {}), ("Hardshrink", (), {}), ("Hardshrink", (), {"lambd": 0.25}),
    ("GLU", (), {}), ("GLU", (1,), {}), ("Softmax", (1,), {}), ("Softmax", (), {"dim": -1}),
    ("Softmin", (0,), {}), ("LogSoftmax", (-1,), {}), ("LogSoftmax", (2,), {}),
    ("Softmax2d", (), {}), ("PReLU", (), {}), ("PReLU", (4,), {}), ("PReLU", (4, 0.1), {}),
]
MODULE_IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(MODULES)]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=MODULE_IDS)
def test_module_forward_backward_and_repr(name, args, kwargs):
    mods = {lib: getattr(lib.nn, name)(*args, **kwargs) for lib in (torch, ember)}
    assert repr(mods[ember]) == repr(mods[torch])
    inplace = kwargs.get("inplace") or True in args

    def case(lib, x):
        return mods[lib](x * 1.0 if inplace else x)
    compare(case, rand(3, 4, 2, low=-4, high=4))
    for (n, p), (tn, tp) in zip(mods[ember].named_parameters(), mods[torch].named_parameters()):
        assert n == tn
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_module_default_reprs_and_constants():
    for name in ember.nn.modules.activation.__all__:
        args = {"Threshold": (0.1, 20)}.get(name, ())
        t, e = getattr(torch.nn, name)(*args), getattr(ember.nn, name)(*args)
        assert repr(e) == repr(t)
        assert getattr(type(e), "__constants__", []) == getattr(type(t), "__constants__", [])


def test_module_signatures_match_torch():
    for name in ember.nn.modules.activation.__all__:
        t = inspect.signature(getattr(torch.nn, name).__init__)
        e = inspect.signature(getattr(ember.nn, name).__init__)
        assert [(p.name, p.default) for p in e.parameters.values()] == \
            [(p.name, p.default) for p in t.parameters.values()], name


def test_functional_signatures_match_torch():
    for name in ember.nn._functional.activation.__all__:
        try:
            t = inspect.signature(getattr(torch.nn.functional, name))
        except ValueError:  # a builtin without a signature
            continue
        e = inspect.signature(getattr(ember.nn.functional, name))
        assert [(p.name, p.default) for p in e.parameters.values()] == \
            [(p.name, p.default) for p in t.parameters.values()], name


def test_hardtanh_module_arguments():
    for lib in (torch, ember):
        with pytest.warns(FutureWarning, match="min_value"):
            m = lib.nn.Hardtanh(min_value=-2.0)
        assert m.min_val == -2.0
        with pytest.warns(FutureWarning, match="max_value"):
            assert lib.nn.Hardtanh(max_value=3.0).max_val == 3.0
        with pytest.raises(AssertionError, match=r"max_val \(1.0\) must be greater than min_val"):
            lib.nn.Hardtanh(1.0, 1.0)
    assert ember.nn.ReLU6().min_val == 0.0 and ember.nn.ReLU6().max_val == 6.0
    assert isinstance(ember.nn.ReLU6(), ember.nn.Hardtanh)


# ---- PReLU ---------------------------------------------------------------------------------------
def test_prelu_parameters_and_state_dict():
    for kw in ({}, {"num_parameters": 3}, {"num_parameters": 2, "init": -0.1},
               {"dtype": "float64"}):
        t = torch.nn.PReLU(**{k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()})
        e = ember.nn.PReLU(**{k: getattr(ember, v) if k == "dtype" else v for k, v in kw.items()})
        assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
        assert isinstance(e.weight, ember.nn.Parameter) and e.weight.requires_grad
        assert e.weight.dtype == getattr(ember, str(t.weight.dtype).split(".")[1])
        np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
        assert e.num_parameters == t.num_parameters and e.init == t.init
    m = ember.nn.PReLU()
    m.load_state_dict({"weight": ember.tensor([0.5])})
    assert m.weight.tolist() == [0.5]
    m.weight.data.fill_(2.0)
    m.reset_parameters()
    assert m.weight.tolist() == [0.25]


@pytest.mark.parametrize("xshape,wshape", [((2, 3, 4), (3,)), ((2, 3, 4), (1,)), ((2, 3), (3,)),
                                           ((5,), (1,)), ((), (1,)), ((), ()), ((4,), ()),
                                           ((2, 3, 2, 2), (3,)), ((0, 3), (3,))])
@pytest.mark.parametrize("dt", [F32, F64])
def test_prelu_functional(xshape, wshape, dt):
    w = rand(*wshape, dtype=dt)
    compare(lambda lib, x, w: F(lib).prelu(x, w), rand(*xshape, dtype=dt, low=-3, high=3), w)
    compare(lambda lib, x, w: F(lib).prelu(x, w), np.array(KINKS, dtype=dt)[:6].reshape(2, 3),
            np.array([0.25, -1.0, 0.0][:int(np.prod(wshape)) if wshape else 1], dtype=dt).reshape(
                wshape if wshape in ((3,), (1,), ()) else (1,)))


@pytest.mark.parametrize("x,w", [((2, 3), (4,)), ((2, 3), (1, 3)), ((), (3,)), ((3,), (3,))])
def test_prelu_shape_errors(x, w):
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            F(lib).prelu(lib.ones(x), lib.ones(w))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_prelu_dtype_errors():
    for args in [(torch.ones(2, 3), torch.ones(3, dtype=torch.float64)),
                 (torch.ones(2, 3, dtype=torch.long), torch.ones(3, dtype=torch.long))]:
        with pytest.raises(Exception) as t:
            F(torch).prelu(*args)
        with pytest.raises(type(t.value)) as e:
            F(ember).prelu(*(ember.tensor(a.numpy()) for a in args))
        assert str(e.value) == str(t.value)


# ---- GLU, softmax family, normalize --------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((4,), -1), ((2, 6), 1), ((2, 6), -1), ((4, 3), 0),
                                       ((2, 4, 3), 1), ((2, 4, 3), -2), ((0, 2), 1)])
@pytest.mark.parametrize("dt", [F32, F64])
def test_glu(shape, dim, dt):
    compare(lambda lib, x: F(lib).glu(x, dim), rand(*shape, dtype=dt, low=-50, high=50))
    compare(lambda lib, x: F(lib).glu(x, dim), noncontig(rand(*shape, dtype=dt)))


def test_glu_errors():
    for x, dim in [((3,), 0), ((2, 3), 1), ((2, 3), -1), ((), 0), ((2, 4), 2)]:
        for lib in (torch, ember):
            with pytest.raises((RuntimeError, IndexError)) as info:
                F(lib).glu(lib.ones(x), dim)
            got = (type(info.value), str(info.value))
            if lib is torch:
                expected = got
        assert got == expected


SOFTMAXES = ["softmax", "softmin", "log_softmax"]


@pytest.mark.parametrize("name", SOFTMAXES)
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), -1),
                                       ((2, 3, 4), 1), ((), 0), ((0, 3), 1)])
def test_softmax_family(name, shape, dim):
    x = rand(*shape, low=-3, high=3)
    compare(lambda lib, x: getattr(F(lib), name)(x, dim), x)
    compare(lambda lib, x: getattr(F(lib), name)(x, dim=dim, dtype=lib.float64), x)
    compare(lambda lib, x: getattr(F(lib), name)(x, dim), np.full(shape, 1000.0, F32))


@pytest.mark.parametrize("name", SOFTMAXES)
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_warns(name, shape):
    def case(lib, x):
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name} has been "
                                             "deprecated") as rec:
            out = getattr(F(lib), name)(x)
        assert rec[0].filename == __file__
        return out
    compare(case, rand(*shape))


@pytest.mark.parametrize("cls", ["Softmax", "Softmin", "LogSoftmax"])
def test_softmax_module_implicit_dim(cls):
    def case(lib, x):
        with pytest.warns(UserWarning, match="Implicit dimension"):
            return getattr(lib.nn, cls)()(x)
    compare(case, rand(2, 3, 4))


def test_softmax2d():
    for shape in [(3, 2, 2), (2, 3, 2, 2)]:
        compare(lambda lib, x: lib.nn.Softmax2d()(x), rand(*shape))
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
            lib.nn.Softmax2d()(lib.ones(2, 3))


@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"dim": -1}, {"p": 1}, {"p": 3.0, "dim": 1},
                                {"p": float("inf")}, {"dim": (0, 2)}, {"eps": 0.5}])
def test_normalize(kw):
    compare(lambda lib, x: F(lib).normalize(x, **kw), rand(2, 3, 4, low=-3, high=3))


def test_normalize_zeros_and_out():
    compare(lambda lib, x: F(lib).normalize(x), np.zeros((2, 3), F32))
    compare(lambda lib, x: F(lib).normalize(x, dim=0), rand(0, 3))

    def case(lib, x):
        out = lib.empty(2, 3)
        r = F(lib).normalize(x, out=out)
        assert r is out
        return out
    compare(case, rand(2, 3), grad=False)


# ---- RReLU ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", [F32, F64])
@pytest.mark.parametrize("args", [(), (0.1, 0.3), (0.2, 0.2)])
def test_rrelu_eval(args, dt):
    """Not training: a leaky ReLU with slope (lower + upper) / 2 (its gradient at 0 included)."""
    compare(lambda lib, x: F(lib).rrelu(x, *args), np.array(KINKS, dtype=dt))
    compare(lambda lib, x: lib.nn.RReLU(*args).eval()(x), rand(2, 3, 4, dtype=dt))
    compare(lambda lib, x: (F(lib).rrelu(x * 1.0, *args, inplace=True).grad_fn.name()), rand(5))


@pytest.mark.parametrize("inplace", [False, True])
def test_rrelu_training(inplace):
    x0 = np.concatenate([rand(2000, low=-3, high=3), [0.0, -0.0]]).astype(F32)
    x = ember.tensor(x0, requires_grad=True)
    ember.manual_seed(3)
    y = F(ember).rrelu(x * 1.0, 0.1, 0.3, training=True, inplace=inplace)
    assert y.grad_fn.name() == f"RreluWithNoiseBackward{int(inplace)}"
    y.sum().backward()
    out, g = y.detach().numpy(), x.grad.numpy()
    pos = x0 > 0
    np.testing.assert_array_equal(out[pos], x0[pos])
    np.testing.assert_array_equal(g[pos], 1.0)
    slope = g[~pos]  # a slope per element, drawn in [0.1, 0.3), also at x == 0
    assert slope.min() >= 0.1 and slope.max() < 0.3 and slope.std() > 0.04
    np.testing.assert_allclose(out[~pos], x0[~pos] * slope, rtol=1e-6)
    ember.manual_seed(3)
    again = F(ember).rrelu(ember.tensor(x0), 0.1, 0.3, training=True)
    np.testing.assert_array_equal(again.numpy(), out)  # the default generator's stream
    m = ember.nn.RReLU(0.1, 0.3)
    assert not np.array_equal(m(ember.tensor(x0)).numpy(), m.eval()(ember.tensor(x0)).numpy())


def test_rrelu_errors_and_double_backward():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the "
                                               "upper bound"):
            F(lib).rrelu(lib.ones(2), 0.5, 0.1)
        with pytest.raises(NotImplementedError, match="rrelu_with_noise_out_cpu"):
            F(lib).rrelu(lib.ones(2, dtype=lib.int64), training=True)
        with pytest.raises(NotImplementedError, match="leaky_relu_cpu"):
            F(lib).rrelu(lib.ones(2, dtype=lib.int64))
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        (g,) = lib.autograd.grad(F(lib).rrelu(x, training=True).sum(), x, create_graph=True)
        assert g.requires_grad
        (gg,) = lib.autograd.grad(g.sum(), x)
        assert gg.tolist() == [0.0, 0.0]

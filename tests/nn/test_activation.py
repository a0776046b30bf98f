"""Elementwise activation functions against torch: values and gradients over shapes and dtypes, the
kink points, large magnitudes, in-place variants, argument variants, dtypes and errors, and first
and second derivatives checked numerically (layers: test_activation_layers.py)."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import compare, noncontig, rand

F32, F64 = np.float32, np.float64


def F(lib):
    return lib.nn.functional


# (id, fn(lib, x)): every elementwise activation, with argument variants
ELEMENTWISE = [
    ("relu", lambda lib, x: F(lib).relu(x)),
    ("relu6", lambda lib, x: F(lib).relu6(x)),
    ("leaky_relu", lambda lib, x: F(lib).leaky_relu(x)),
    ("leaky_relu_0.2", lambda lib, x: F(lib).leaky_relu(x, 0.2)),
    ("leaky_relu_neg", lambda lib, x: F(lib).leaky_relu(x, negative_slope=-0.5)),
    ("elu", lambda lib, x: F(lib).elu(x)),
    ("elu_0.5", lambda lib, x: F(lib).elu(x, alpha=0.5)),
    ("selu", lambda lib, x: F(lib).selu(x)),
    ("celu", lambda lib, x: F(lib).celu(x)),
    ("celu_2", lambda lib, x: F(lib).celu(x, 2.0)),
    ("gelu", lambda lib, x: F(lib).gelu(x)),
    ("gelu_tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh")),
    ("silu", lambda lib, x: F(lib).silu(x)),
    ("mish", lambda lib, x: F(lib).mish(x)),
    ("sigmoid", lambda lib, x: F(lib).sigmoid(x)),
    ("tanh", lambda lib, x: F(lib).tanh(x)),
    ("softplus", lambda lib, x: F(lib).softplus(x)),
    ("softplus_beta", lambda lib, x: F(lib).softplus(x, beta=2, threshold=3)),
    ("softplus_beta_half", lambda lib, x: F(lib).softplus(x, 0.5, 10)),
    ("softsign", lambda lib, x: F(lib).softsign(x)),
    ("hardtanh", lambda lib, x: F(lib).hardtanh(x)),
    ("hardtanh_args", lambda lib, x: F(lib).hardtanh(x, -3.0, 0.5)),
    ("hardsigmoid", lambda lib, x: F(lib).hardsigmoid(x)),
    ("hardswish", lambda lib, x: F(lib).hardswish(x)),
    ("logsigmoid", lambda lib, x: F(lib).logsigmoid(x)),
    ("threshold", lambda lib, x: F(lib).threshold(x, 0.5, -2.0)),
    ("threshold_0", lambda lib, x: F(lib).threshold(x, 0.0, 20.0)),
    ("tanhshrink", lambda lib, x: F(lib).tanhshrink(x)),
    ("softshrink", lambda lib, x: F(lib).softshrink(x)),
    ("softshrink_1", lambda lib, x: F(lib).softshrink(x, 1.0)),
    ("hardshrink", lambda lib, x: F(lib).hardshrink(x)),
    ("hardshrink_3", lambda lib, x: F(lib).hardshrink(x, lambd=3.0)),
]
IDS = [c[0] for c in ELEMENTWISE]
# the kinks of every function above (0, +-0.5, +-1, +-3, 6, the thresholds), and magnitudes that
# overflow exp in float32 and float64
KINKS = [-1000.0, -50.0, -6.0, -3.0, -2.0, -1.0, -0.5, -0.25, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0,
         3.0, 6.0, 10.0, 20.0, 50.0, 1000.0]


@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=IDS)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (2, 3, 4)])
def test_elementwise_float32(name, fn, shape):
    compare(fn, rand(*shape, low=-4, high=4))


@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=IDS)
def test_elementwise_float64_noncontig(name, fn):
    compare(fn, noncontig(rand(3, 5, dtype=F64, low=-4, high=4)))


@pytest.mark.parametrize("dt", [F32, F64])
@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=IDS)
def test_kinks_and_large_values(name, fn, dt):
    """Gradients at the kinks equal torch's; large magnitudes give finite results and no NumPy
    overflow warnings (torch is silent)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        compare(fn, np.array(KINKS, dtype=dt))


@pytest.mark.parametrize("dt", [F32, F64])
@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=IDS)
def test_nan_and_inf(name, fn, dt):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        compare(fn, np.array([np.nan, np.inf, -np.inf], dtype=dt), grad=False)


@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=IDS)
def test_float16(name, fn):
    compare(fn, rand(2, 5, dtype=np.float16, low=-4, high=4), rtol=2e-3, atol=2e-3)


def test_gelu_float32_matches_exact_erf():
    """ember's float32 erf approximation is within float32 rounding of the exact GELU."""
    x = np.linspace(-8, 8, 2001, dtype=F32)
    got = F(ember).gelu(ember.tensor(x)).numpy()
    exact = F(torch).gelu(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, exact, rtol=1e-6, atol=1e-6)


# ---- numerical first and second derivatives ------------------------------------------------------
GRADCHECK = ELEMENTWISE + [
    ("prelu_1", lambda lib, x: F(lib).prelu(x, lib.tensor([0.3], dtype=lib.float64))),
    ("glu", lambda lib, x: F(lib).glu(x, 0)),
    ("glu_last", lambda lib, x: F(lib).glu(x.reshape(3, 2))),
    ("softmin", lambda lib, x: F(lib).softmin(x, 0)),
    ("normalize", lambda lib, x: F(lib).normalize(x.reshape(2, 3))),
    ("normalize_p1", lambda lib, x: F(lib).normalize(x.reshape(2, 3), p=1, dim=0)),
]


def _away_from_kinks(n=6):
    # in (0.6, 2.8) in absolute value: every kink above is at least 0.1 away
    x = rand(n, dtype=F64, low=0.6, high=2.8)
    x[::2] *= -1
    return x


@pytest.mark.parametrize("name,fn", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck_and_gradgradcheck(name, fn):
    x = ember.tensor(_away_from_kinks(), requires_grad=True)
    f = lambda t: fn(ember, t)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("name,fn", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_double_backward_against_torch(name, fn):
    """Second derivatives (``create_graph=True``, then grad of a function of the gradient)."""
    if name in ("relu", "prelu_1", "hardsigmoid"):
        # NOTE: torch has no double backward for hardsigmoid; the gradients of relu (not written
        # here) and prelu do not depend on x, so ember's do not require grad where torch's do
        pytest.skip("no second derivative to compare")
    x0, w0 = _away_from_kinks(), rand(6, dtype=F64)
    res = {}
    for lib in (torch, ember):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0)
        out = fn(lib, x)
        (g,) = lib.autograd.grad((out * w[:out.numel()].reshape(out.shape)).sum(), x,
                                 create_graph=True)
        assert g.requires_grad
        (gg,) = lib.autograd.grad((g * g).sum() + g.sum(), x)
        res[lib] = (g.detach().numpy(), gg.numpy())
    for e, t in zip(res[ember], res[torch]):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-9)


def test_second_derivative_node_names():
    x = ember.tensor([0.5, -1.0], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(F(ember).elu(x).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "MulBackward0"
    assert g.grad_fn.next_functions[1][0].name() == "EluBackwardBackward0"


def test_prelu_weight_gradcheck():
    x = ember.tensor(_away_from_kinks(12).reshape(2, 3, 2), requires_grad=True)
    w = ember.tensor([0.1, -0.4, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(F(ember).prelu, (x, w))
    assert ember.autograd.gradgradcheck(F(ember).prelu, (x, w))


# ---- in place ------------------------------------------------------------------------------------
# (id, fn(lib, y) that modifies y in place and returns the result)
INPLACE = [
    ("relu", lambda lib, y: F(lib).relu(y, inplace=True)),
    ("relu_", lambda lib, y: F(lib).relu_(y)),
    ("relu6", lambda lib, y: F(lib).relu6(y, inplace=True)),
    ("leaky_relu", lambda lib, y: F(lib).leaky_relu(y, 0.2, inplace=True)),
    ("leaky_relu_", lambda lib, y: F(lib).leaky_relu_(y)),
    ("elu", lambda lib, y: F(lib).elu(y, 0.5, inplace=True)),
    ("elu_", lambda lib, y: F(lib).elu_(y)),
    ("selu", lambda lib, y: F(lib).selu(y, inplace=True)),
    ("selu_", lambda lib, y: F(lib).selu_(y)),
    ("celu", lambda lib, y: F(lib).celu(y, 2.0, inplace=True)),
    ("celu_", lambda lib, y: F(lib).celu_(y)),
    ("silu", lambda lib, y: F(lib).silu(y, inplace=True)),
    ("mish", lambda lib, y: F(lib).mish(y, inplace=True)),
    ("hardtanh", lambda lib, y: F(lib).hardtanh(y, -0.5, 0.5, inplace=True)),
    ("hardtanh_", lambda lib, y: F(lib).hardtanh_(y)),
    ("hardsigmoid", lambda lib, y: F(lib).hardsigmoid(y, inplace=True)),
    ("hardswish", lambda lib, y: F(lib).hardswish(y, inplace=True)),
    ("threshold", lambda lib, y: F(lib).threshold(y, 0.1, 2.0, inplace=True)),
    ("threshold_", lambda lib, y: F(lib).threshold_(y, 0.1, 2.0)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_non_leaf(name, fn):
    """The input (a non-leaf) is modified and returned; the gradient flows through the in-place
    op to the leaf, and the grad_fn is torch's."""
    def case(lib, x):
        y = x * 1.0
        out = fn(lib, y)
        assert out is y
        return y, y.grad_fn.name()
    compare(case, rand(2, 5, low=-4, high=4))
    compare(case, np.array(KINKS, dtype=F64))


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_without_grad_and_on_leaf(name, fn):
    x = rand(3, 4, low=-4, high=4)
    compare(lambda lib, x: (fn(lib, x) is x, x), x, grad=False)
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            fn(lib, lib.tensor(x, requires_grad=True))


@pytest.mark.parametrize("fn", [lambda lib, y: F(lib).leaky_relu_(y, -0.5),
                                lambda lib, y: F(lib).elu_(y, -0.5)], ids=["leaky_relu", "elu"])
def test_inplace_negative_slope_backward_raises(fn):
    for lib in (torch, ember):
        y = fn(lib, lib.ones(3, requires_grad=True) * 1.0)
        with pytest.raises(RuntimeError, match="negative slope which is not supported") as info:
            y.sum().backward()
        if lib is torch:
            message = str(info.value)
    assert str(info.value) == message


@pytest.mark.parametrize("name,fn", INPLACE[::3], ids=[c[0] for c in INPLACE[::3]])
def test_inplace_through_a_view(name, fn):
    def case(lib, x):
        y = x * 1.0
        fn(lib, y[:, 1:])
        return y
    compare(case, rand(3, 4, low=-3, high=3))


def test_inplace_integer_tensors():
    x = np.array([-3, 0, 2, 7], dtype=np.int64)
    compare(lambda lib, x: (F(lib).relu6(x, inplace=True), x), x)
    compare(lambda lib, x: (F(lib).hardtanh_(x, -1.0, 1.0), x), x)
    compare(lambda lib, x: (F(lib).threshold_(x, 1, -5), x), x)


# ---- dtypes and errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "softsign", "tanhshrink", "sigmoid",
                                  "tanh"])
def test_integer_input(name):
    compare(lambda lib, x: getattr(F(lib), name)(x), np.arange(-4, 8, dtype=np.int64))
    compare(lambda lib, x: F(lib).threshold(x, 1, -5), np.arange(-4, 8, dtype=np.int64))
    compare(lambda lib, x: F(lib).hardtanh(x, -1.5, 2.5), np.arange(-4, 8, dtype=np.int32))
    compare(lambda lib, x: F(lib).hardtanh(x, 1.0, 2.5), np.arange(0, 8, dtype=np.uint8))


DTYPE_ERRORS = ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
                "softsign", "hardtanh", "relu6", "hardsigmoid", "hardswish", "logsigmoid",
                "threshold", "tanhshrink", "softshrink", "hardshrink", "glu", "relu"]


@pytest.mark.parametrize("dt", ["int64", "bool"])
@pytest.mark.parametrize("name", DTYPE_ERRORS)
def test_unsupported_dtypes(name, dt):
    args = (0.5, 1.0) if name == "threshold" else ()

    def call(lib):
        x = lib.tensor([-2, 0, 2, 1]).to(getattr(lib, dt))
        return getattr(F(lib), name)(x, *args)
    try:
        expected = call(torch)
    except Exception as t:
        with pytest.raises(type(t.value if hasattr(t, "value") else t)) as e:
            call(ember)
        if name != "relu":  # NOTE: ember.relu (an _ops primitive) words its error differently
            assert str(e.value) == str(t)
        return
    got = call(ember)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]


def test_argument_errors():
    cases = [
        lambda lib: F(lib).softshrink(lib.ones(2), -1.0),
        lambda lib: F(lib).softshrink(lib.ones(2, dtype=lib.float64), -0.5),
        lambda lib: F(lib).gelu(lib.ones(2), approximate="fast"),
        lambda lib: F(lib).hardtanh(lib.ones(2), 2.0, 1.0),
        lambda lib: F(lib).hardtanh(lib.ones(2, dtype=lib.uint8), -1.0, 1.0),
        lambda lib: F(lib).celu(lib.ones(2), 0.0),
    ]
    for case in cases:
        with pytest.raises(Exception) as t:
            case(torch)
        with pytest.raises(type(t.value)) as e:
            case(ember)
        assert str(e.value) == str(t.value)


def test_functional_namespace():
    names = set(ember.nn._functional.activation.__all__)
    for name in names:
        assert hasattr(torch.nn.functional, name), name
        assert getattr(ember.nn.functional, name) is getattr(ember.nn._functional.activation, name)
    for name in ember.nn.modules.activation.__all__:
        assert getattr(ember.nn, name) is getattr(ember.nn.modules.activation, name)


def test_relu_inplace_on_a_saved_output_and_twice():
    # relu_ writes into the tensor's memory: a node that saved it (exp saves its output) then
    # refuses to run, as in torch; applied twice, the gradient is still relu's
    for lib in (torch, ember):
        e = lib.tensor([-1.0, 2.0], requires_grad=True).exp() - 2.0
        F(lib).relu_(e.exp())
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y = e.exp()
            F(lib).relu_(y)
            y.sum().backward()
    compare(lambda lib, x: F(lib).relu_(F(lib).relu_(x * 1.0) - 1.0), rand(3, 4, low=-4, high=4))

"""Binary arithmetic against torch: broadcasting, promotion, scalars on both sides, edge values,
errors, grad_fn names, numerical gradients, double backward and hypothesis broadcasting properties."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from helpers import check_raises, compare, noncontig, positive, rand

F32, F64 = np.float32, np.float64
_RNG = np.random.default_rng(1)


def numgrad_check(fn, *arrays, eps=1e-6, atol=1e-6, rtol=1e-5):
    """Central-difference check of ember's gradients of ``fn`` in float64 (a local gradcheck)."""
    arrays = [np.asarray(a, dtype=F64) for a in arrays]
    xs = [ember.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    w = _RNG.standard_normal(tuple(out.shape))
    (out * ember.tensor(w)).sum().backward()

    def f(vals):
        with ember.no_grad():
            return float((fn(*[ember.tensor(v) for v in vals])._data * w).sum())

    for k, a in enumerate(arrays):
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            hi = [v.copy() for v in arrays]
            lo = [v.copy() for v in arrays]
            hi[k][i] += eps
            lo[k][i] -= eps
            num[i] = (f(hi) - f(lo)) / (2 * eps)
        got = np.zeros_like(a) if xs[k].grad is None else xs[k].grad.numpy()
        np.testing.assert_allclose(got, num, atol=atol, rtol=rtol, err_msg=f"input {k}")


def double_backward(fn, *arrays):
    """Second derivatives (``create_graph=True`` then grad again) agree with torch's."""
    res = {}
    for lib in (torch, ember):
        xs = [lib.tensor(np.array(a, dtype=F64), requires_grad=True) for a in arrays]
        out = fn(lib, *xs)
        gs = lib.autograd.grad(out.sum(), xs, create_graph=True)
        total = gs[0].sum()
        for g in gs[1:]:
            total = total + (g * g).sum()
        res[lib] = [g.detach().numpy() for g in lib.autograd.grad(total, xs, allow_unused=True,
                                                                    materialize_grads=True)]
    for e, t in zip(res[ember], res[torch]):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-9)


SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ()), ((), ()),
          ((0, 3), (3,)), ((2, 1, 3), (4, 1))]

# (name, fn, kind of second operand: "any" or "pos" for a divisor/base that must stay away from 0)
BINARY = [
    ("add", lambda lib, x, y: lib.add(x, y), "any"),
    ("add_alpha", lambda lib, x, y: lib.add(x, y, alpha=2.5), "any"),
    ("sub", lambda lib, x, y: x - y, "any"),
    ("sub_alpha", lambda lib, x, y: lib.sub(x, y, alpha=-3), "any"),
    ("rsub", lambda lib, x, y: lib.rsub(x, y), "any"),
    ("mul", lambda lib, x, y: x * y, "any"),
    ("div", lambda lib, x, y: x / y, "pos"),
    ("div_trunc", lambda lib, x, y: lib.div(x * 4, y, rounding_mode="trunc"), "pos"),
    ("div_floor", lambda lib, x, y: lib.div(x * 4, y, rounding_mode="floor"), "pos"),
    ("remainder", lambda lib, x, y: lib.remainder(x * 4, y), "pos"),
    ("fmod", lambda lib, x, y: lib.fmod(x * 4, y), "pos"),
    ("pow", lambda lib, x, y: lib.pow(x.abs() + 0.5, y), "any"),
    ("atan2", lambda lib, x, y: lib.atan2(x, y), "pos"),
    ("lerp", lambda lib, x, y: lib.lerp(x, y, 0.3), "any"),
    ("lerp_tensor", lambda lib, x, y: lib.lerp(x, y, y * 0.5 + 0.5), "any"),
]


def _second(kind, shape, dtype):
    if kind == "pos":  # magnitude in [0.5, 2), either sign
        return np.asarray(positive(*shape, dtype=dtype) * np.where(rand(*shape) > 0, 1, -1),
                          dtype=dtype)
    return rand(*shape, dtype=dtype)


@pytest.mark.parametrize("name,fn,kind", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_broadcast(name, fn, kind, sa, sb):
    compare(fn, rand(*sa), _second(kind, sb, F32))


@pytest.mark.parametrize("name,fn,kind", BINARY, ids=[b[0] for b in BINARY])
def test_binary_float64_noncontig(name, fn, kind):
    compare(fn, noncontig(rand(3, 4, dtype=F64)), noncontig(_second(kind, (3, 4), F64)))


@pytest.mark.parametrize("name,fn,kind", [b for b in BINARY if not b[0].startswith("div_")],
                         ids=[b[0] for b in BINARY if not b[0].startswith("div_")])
def test_binary_numerical_gradient(name, fn, kind):
    a, b = rand(2, 3, dtype=F64), _second(kind, (3,), F64)
    if name in ("remainder", "fmod"):  # stay away from the jumps
        a = np.array([[0.3, -0.7, 1.1], [-1.3, 0.45, 2.2]]) / 4
        b = np.array([0.8, -0.9, 0.6])
    numgrad_check(lambda x, y: fn(ember, x, y), a, b)


@pytest.mark.parametrize("expr", [
    lambda lib, x: x + 2, lambda lib, x: 2 + x, lambda lib, x: x - 1.5, lambda lib, x: 1.5 - x,
    lambda lib, x: x * 3, lambda lib, x: 3 * x, lambda lib, x: x / 4, lambda lib, x: 4 / x,
    lambda lib, x: x ** 2, lambda lib, x: x ** 0.5, lambda lib, x: x ** -1, lambda lib, x: x ** 0,
    lambda lib, x: 2 ** x, lambda lib, x: 0.5 ** x, lambda lib, x: x % 0.7, lambda lib, x: x % -0.7,
    lambda lib, x: lib.fmod(x, 0.7), lambda lib, x: lib.pow(2, x), lambda lib, x: lib.div(3, x),
    lambda lib, x: lib.add(x, 2, alpha=3), lambda lib, x: lib.sub(1, x) if lib is ember else 1 - x,
    lambda lib, x: lib.rsub(x, 2), lambda lib, x: -x, lambda lib, x: +x, lambda lib, x: lib.neg(x),
    lambda lib, x: x.lerp(x * 2, 0.7), lambda lib, x: lib.float_power(x, 2),
])
def test_python_scalars_both_sides(expr):
    compare(expr, positive(2, 3))
    compare(expr, positive(2, 3, dtype=F64))


@pytest.mark.parametrize("expr", [lambda lib, x: x // 0.3, lambda lib, x: 2 // x,
                                  lambda lib, x: 2 % x, lambda lib, x: lib.floor_divide(x, x * 0.3)])
def test_not_differentiable_forward(expr):
    compare(expr, positive(2, 3), grad=False)


def test_not_differentiable_backward():
    for expr in (lambda lib, x: x // 2, lambda lib, x: 2 % x):
        def run(lib):
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            expr(lib, x).sum().backward()
        with pytest.raises(RuntimeError) as t:
            run(torch)
        with pytest.raises(RuntimeError) as e:
            run(ember)
        assert str(e.value) == str(t.value)


INT_EXPRS = [
    lambda lib, x, y: x + y, lambda lib, x, y: x - y, lambda lib, x, y: x * y,
    lambda lib, x, y: x / y, lambda lib, x, y: x // y, lambda lib, x, y: x % y,
    lambda lib, x, y: lib.fmod(x, y), lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"),
    lambda lib, x, y: lib.div(x, y, rounding_mode="floor"), lambda lib, x, y: x.abs() ** y.abs(),
    lambda lib, x, y: x ** y,
]


@pytest.mark.parametrize("expr", INT_EXPRS)
def test_integer_arithmetic(expr):
    x = np.array([-7, -3, 0, 3, 7, 9], dtype=np.int64)
    y = np.array([2, -2, 3, -4, 5, 1], dtype=np.int64)
    compare(expr, x, y)
    compare(expr, x.astype(np.int32), y.astype(np.int32))


PROMOTION = [  # (a, b): arrays or scalars; the result dtype must be torch's
    (rand(3, dtype=np.int32, low=1, high=5), 2.5),
    (rand(3, dtype=np.int64, low=1, high=5), 2),
    (rand(3, dtype=np.int32, low=1, high=5), rand(3, dtype=np.int64, low=1, high=5)),
    (rand(3, dtype=np.uint8, low=1, high=5), rand(3, dtype=np.int8, low=1, high=5)),
    (rand(3, dtype=F32), rand(dtype=F64)),
    (rand(3, dtype=F32), rand(3, dtype=F64)),
    (rand(3, dtype=np.int32, low=1, high=5), rand(dtype=F64)),
    (rand(3, dtype=np.int64, low=1, high=5), rand(3, dtype=F32)),
    (rand(3, dtype=np.bool_), rand(3, dtype=np.int32, low=1, high=5)),
    (rand(3, dtype=np.bool_), 3),
    (rand(3, dtype=np.bool_), 1.5),
    (rand(3, dtype=np.bool_), rand(3, dtype=np.bool_)),
    (rand(3, dtype=F32), True),
    (rand(dtype=np.int64, low=1, high=5), rand(3, dtype=np.int16, low=1, high=5)),
    (rand(3, dtype=np.float16), rand(3, dtype=F32)),
    (rand(3, dtype=np.float16), 2.0),
]


def same(fn, *args, **kw):
    """``compare`` without gradients, or, where torch raises, ``check_raises``."""
    try:
        fn(torch, *[torch.from_numpy(np.array(a)) if isinstance(a, np.ndarray) else a for a in args])
    except Exception:
        return check_raises(fn, *args)
    compare(fn, *args, grad=False, **kw)


_ROP = {"add": "__radd__", "sub": "__rsub__", "mul": "__rmul__", "div": "__rtruediv__",
        "floor_divide": "__rfloordiv__", "remainder": "__rmod__", "pow": "__rpow__"}


@pytest.mark.parametrize("op", list(_ROP))
@pytest.mark.parametrize("k", range(len(PROMOTION)))
def test_promotion(op, k):
    a, b = PROMOTION[k]
    kw = {"rtol": 1e-3, "atol": 1e-3} if a.dtype == np.float16 else {}
    same(lambda lib, x, y: getattr(lib, op)(x, y), a, b, **kw)
    if not isinstance(b, np.ndarray):  # the scalar on the left too
        same(lambda lib, x: getattr(x, _ROP[op])(b), a, **kw)


def test_edge_values():
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, 3.0], dtype=F64)
    other = np.array([0.0, 1.0, 0.0, -0.0, 2.0, np.inf, 1.0, -1e30, np.inf], dtype=F64)
    for fn in (lambda lib, x, y: x / y, lambda lib, x, y: x // y, lambda lib, x, y: x % y,
               lambda lib, x, y: lib.fmod(x, y), lambda lib, x, y: x ** y,
               lambda lib, x, y: lib.atan2(x, y), lambda lib, x, y: lib.div(x, y, rounding_mode="trunc")):
        compare(fn, special, other, grad=False)


def test_pow_edge_gradients():
    compare(lambda lib, x: x ** 2, np.array([0.0, 1.0, -2.0]))
    compare(lambda lib, x: x ** 0, np.array([0.0, 1.0, -2.0]))
    compare(lambda lib, x: x ** 0.5, np.array([0.0, 1.0, 4.0]))
    compare(lambda lib, x, y: x ** y, np.array([0.0, 0.0, 1.0, -1.0, 2.0]),
            np.array([0.0, 2.0, 1.0, 2.0, -1.0]))
    compare(lambda lib, x: 0 ** x, np.array([0.0, 1.0, -1.0]))
    compare(lambda lib, x: (-2) ** x, np.array([2.0, 3.0]))
    compare(lambda lib, x, y: lib.atan2(x, y), np.array([0.0, 0.0, 1.0]), np.array([0.0, -0.0, 0.0]))


def test_int_pow_negative_exponent_tensor():
    compare(lambda lib, x, y: x ** y, np.array([2, -2, 1, -1, 0, 3]), np.array([-1, -1, -2, -3, 2, 2]))


def test_errors():
    b = np.array([True, False])
    i = np.array([5, -5])
    check_raises(lambda lib, x, y: x - y, b, b, match="Subtraction")
    check_raises(lambda lib, x: x - True, b)
    check_raises(lambda lib, x: -x, b, match="Negation")
    check_raises(lambda lib, x: +x, b)
    check_raises(lambda lib, x: x // 0, i, match="ZeroDivisionError")
    check_raises(lambda lib, x: x % 0, i)
    check_raises(lambda lib, x: lib.fmod(x, 0), i)
    check_raises(lambda lib, x: lib.div(x, 0, rounding_mode="trunc"), i)
    check_raises(lambda lib, x: x ** -1, i, match="negative integer powers")
    check_raises(lambda lib, x, y: x + y, rand(2), rand(3))
    check_raises(lambda lib, x, y: x * y, rand(2, 3), rand(3, 2))
    check_raises(lambda lib, x: lib.div(x, 2, rounding_mode="round"), rand(2))
    check_raises(lambda lib, x: lib.atan2(x, 2.0), rand(2))
    check_raises(lambda lib, x, y: lib.lerp(x, y, 0.5), rand(2), rand(2, dtype=F64))
    check_raises(lambda lib, x: x + None, rand(2))
    check_raises(lambda lib, x: lib.add(x, x, alpha=0.5), i, match="alpha")
    check_raises(lambda lib, x: x.sub(x, alpha=0.5), i, match="alpha")
    check_raises(lambda lib, x: x.add_(x, alpha=0.5), i, match="alpha")
    check_raises(lambda lib, x: lib.add(x, x, alpha=True), rand(2), match="Boolean alpha")
    compare(lambda lib, x: lib.add(x, x, alpha=2), b)
    compare(lambda lib, x: lib.add(x, 1.5, alpha=2), i)


def test_grad_fn_names():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0, 4.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = torch.tensor([3.0, 4.0], requires_grad=True)
    exprs = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: 1 - a, lambda a, b: a * b,
             lambda a, b: a / b, lambda a, b: 1 / a, lambda a, b: a // b, lambda a, b: a % b,
             lambda a, b: a % 2, lambda a, b: 2 % a, lambda a, b: a.fmod(b), lambda a, b: a.fmod(2),
             lambda a, b: a ** b, lambda a, b: a ** 2, lambda a, b: 2 ** a, lambda a, b: a.atan2(b),
             lambda a, b: a.lerp(b, 0.5), lambda a, b: a.lerp(b, b), lambda a, b: -a,
             lambda a, b: a.div(b, rounding_mode="floor"), lambda a, b: a.div(2, rounding_mode="trunc")]
    for f in exprs:
        assert type(f(x, y).grad_fn).__name__ == type(f(tx, ty).grad_fn).__name__


def test_out_argument():
    for lib in (torch, ember):
        o = lib.zeros(2, 3)
        r = lib.add(lib.ones(2, 3), 1, out=o)
        assert r is o and o.sum().item() == 12.0
        o2 = lib.zeros(2, 3)
        lib.mul(lib.ones(2, 3), lib.ones(3) * 3, out=o2)
        assert o2.sum().item() == 18.0


@pytest.mark.parametrize("call", [
    lambda lib: lib.add(lib.ones(2), 1, out=lib.empty(2, dtype=lib.int64)),      # float -> long
    lambda lib: lib.exp(lib.ones(2), out=lib.empty(2, dtype=lib.int32)),
    lambda lib: lib.mul(lib.ones(2), 1j, out=lib.empty(2)),                      # complex -> float
    lambda lib: lib.atan2(lib.ones(2), lib.ones(2), out=lib.empty(2, dtype=lib.bool)),
    lambda lib: lib.add(lib.ones(2, requires_grad=True), 1, out=lib.empty(2)),   # autograd
    lambda lib: lib.hypot(lib.ones(2), lib.ones(2, requires_grad=True), out=lib.empty(2)),
    lambda lib: lib.nan_to_num(lib.ones(2), out=lib.empty(2, dtype=lib.int64)),
    lambda lib: lib.nan_to_num(lib.ones(2, requires_grad=True), out=lib.empty(2)),
    lambda lib: lib.matmul(lib.ones(2, 2), lib.ones(2, 2), out=lib.empty(2, 2, dtype=lib.int64)),
    lambda lib: lib.mm(lib.ones(2, 2), lib.ones(2, 2), out=lib.empty(2, 2, dtype=lib.float64)),
    lambda lib: lib.matmul(lib.ones(2, 2, requires_grad=True), lib.ones(2, 2),
                           out=lib.empty(2, 2)),
    lambda lib: lib.cat([lib.ones(2)], out=lib.empty(2, dtype=lib.int64)),                # TypeError
    lambda lib: lib.stack([lib.ones(2)], out=lib.empty(1, 2, dtype=lib.int64)),
    lambda lib: lib.cat([lib.ones(2, requires_grad=True)], out=lib.empty(2)),
])
def test_out_argument_errors(call):
    """``out=`` refuses a result of a higher category (bool < int < float < complex; matmul any
    other dtype) and inputs that require grad, with torch's errors."""
    with pytest.raises((RuntimeError, TypeError)) as want:
        call(torch)
    with pytest.raises(type(want.value)) as got:
        call(ember)
    assert str(got.value).endswith(str(want.value).split("): ")[-1])   # (no op-name prefix)


def test_out_argument_casts_up_and_works_without_grad():
    for lib in (torch, ember):
        o = lib.zeros(2, dtype=lib.float64)
        assert lib.add(lib.ones(2, dtype=lib.int64), 1, out=o).tolist() == [2.0, 2.0]
        assert lib.eq(lib.ones(2), 1, out=lib.zeros(2)).tolist() == [1.0, 1.0]   # bool -> float
        with lib.no_grad():
            assert lib.add(lib.ones(2, requires_grad=True), 1, out=o).tolist() == [2.0, 2.0]


# two tensors of one dtype and no graph take the binary ops' fast path (no promotion, no node)
SAME_DTYPE = [F32, F64, np.float16, np.int64, np.int32, np.uint8, np.int8, np.complex64, np.bool_]


@pytest.mark.parametrize("dt", SAME_DTYPE, ids=[np.dtype(d).name for d in SAME_DTYPE])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_same_dtype_fast_path(op, dt):
    a = noncontig(rand(3, 4, dtype=F64) * 4).astype(dt)
    b = (positive(3, 1) * 2).astype(dt)   # divisors away from 0 (1 for bool)
    rtol = {"rtol": 1e-3, "atol": 1e-3} if dt == np.float16 else {}
    same(lambda lib, x, y: getattr(lib, op)(x, y), a, b, **rtol)   # values, dtype or the error
    same(lambda lib, x, y: getattr(lib, op)(x, y), b, a, **rtol)
    same(lambda lib, x, y: getattr(lib, op)(x[0, 0], y[0, 0]), a, b, **rtol)  # 0-d with 0-d
    msg = "Subtraction" if op == "sub" and dt == np.bool_ else "must match the size"
    check_raises(lambda lib, x, y: getattr(lib, op)(x, y), a, a[:2], match=msg)


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__"])
def test_same_dtype_fast_path_keeps_autograd(op):
    a, b = rand(2, 3, dtype=F64), positive(3, dtype=F64)
    compare(lambda lib, x, y: getattr(x, op)(y), a, b)      # both require grad
    for lib in (torch, ember):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b)
        r = getattr(y, op)(x)                                 # only the second one does
        assert r.requires_grad and r.grad_fn is not None
        with lib.no_grad():
            assert getattr(x, op)(y).grad_fn is None
        p = (lib.nn.Parameter(lib.tensor(a)))                 # a Tensor subclass
        assert type(getattr(p, op)(y).grad_fn).__name__ == type(r.grad_fn).__name__


def test_same_dtype_division_by_zero_is_silent():
    import warnings
    a, b = np.array([1.0, 0.0, -1.0, np.inf], F32), np.array([0.0, 0.0, 0.0, np.inf], F32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare(lambda lib, x, y: x / y, a, b, grad=False)
        compare(lambda lib, x, y: x / y, a[:1], b[:1].astype(F64), grad=False)


def test_quiet_division_keeps_the_callers_numpy_error_state():
    from ember._ops._arith import quiet_divide
    before = np.geterr()
    x, z = ember.tensor([1.0, 0.0]), ember.zeros(2)
    for _ in range(2):  # the second time from the cache
        with np.errstate(divide="raise", over="raise"):
            assert np.isinf((x / z)[0].item()) and np.isnan((x / z)[1].item())
            with pytest.raises(FloatingPointError):   # the caller's other settings hold
                quiet_divide(np.array([1e300]), np.array([1e-300]))
            assert np.geterr()["divide"] == "raise"
        assert np.geterr() == before
        with pytest.warns(RuntimeWarning):
            np.array([1.0]) / np.array([0.0])


def test_quiet_division_without_numpy_2s_context_variable(monkeypatch):
    import sys
    import warnings
    from ember._ops._arith import _make_quiet_divide
    monkeypatch.setitem(sys.modules, "numpy._core._ufunc_config", None)   # import fails
    quiet_divide = _make_quiet_divide()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = quiet_divide(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
    assert np.isinf(r[0]) and np.isnan(r[1])


@pytest.mark.parametrize("fn", [
    lambda lib, x, y: x * y * x, lambda lib, x, y: x / y, lambda lib, x, y: x ** y,
    lambda lib, x, y: lib.atan2(x, y), lambda lib, x, y: (x - y) ** 3, lambda lib, x, y: 2 ** x / y,
    lambda lib, x, y: lib.lerp(x, y, y), lambda lib, x, y: lib.remainder(x, y) * x,
])
def test_double_backward(fn):
    double_backward(fn, positive(2, 3), positive(3))


# ---- hypothesis: gradients of broadcast binary ops sum back to each input's shape ----------------
@st.composite
def broadcast_pair(draw):
    out = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    def sub():
        k = draw(st.integers(0, len(out)))
        return tuple(1 if draw(st.booleans()) else s for s in out[len(out) - k:])
    return sub(), sub()


@settings(max_examples=25, deadline=None)
@given(broadcast_pair(), st.sampled_from(["add", "sub", "mul", "div", "pow", "atan2", "maximum"]))
def test_broadcast_gradient_property(shapes, op):
    sa, sb = shapes
    a, b = positive(*sa, dtype=F64), positive(*sb, dtype=F64)
    compare(lambda lib, x, y: getattr(lib, op)(x, y), a, b)


@pytest.mark.parametrize("name,fn,kind", [b for b in BINARY if not b[0].startswith("div_")],
                         ids=[b[0] for b in BINARY if not b[0].startswith("div_")])
def test_binary_gradcheck(name, fn, kind):
    """ember.autograd.gradcheck / gradgradcheck (first and second derivatives, float64)."""
    from ember.autograd import gradcheck, gradgradcheck
    a = np.array([[0.3, -0.7, 1.1], [-1.3, 0.45, 2.2]]) / 4
    b = np.array([0.8, -0.9, 0.6]) if kind == "pos" else np.array([0.35, -0.2, 0.5])
    xs = (ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True))
    assert gradcheck(lambda x, y: fn(ember, x, y), xs)
    assert gradgradcheck(lambda x, y: fn(ember, x, y), xs)

"""Special functions against torch: lgamma, digamma, polygamma, mvlgamma, erfinv, i0, sinc, logit,
xlogy and the float-bit / integer helpers (copysign, nextafter, frexp, ldexp, heaviside, signbit,
gcd, lcm, deg2rad, rad2deg, logcumsumexp). Values over wide ranges with their edge values (0, -0,
negative integers, +-inf, NaN, huge), float32 and float64, gradients, double backward, in-place
variants, integer promotion and errors."""
import numpy as np
import pytest

import ember
from helpers import check_raises, compare, rand

F64, F32 = np.float64, np.float32
EDGES = np.array([0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -3.0, 0.5, -0.5, 10.0, 1e-30, -1e-30, 1e17,
                  1e300, np.inf, -np.inf, np.nan])


def _wide(dtype, n=400):
    x = np.concatenate([rand(n, dtype=F64, low=-12, high=12), rand(n, dtype=F64, low=0, high=3),
                        10.0 ** rand(n // 4, dtype=F64, low=-20, high=30),
                        -(10.0 ** rand(n // 4, dtype=F64, low=-8, high=2)), EDGES])
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def _values(name, x, rtol, atol, *args):
    """ember.<name> and torch.<name> agree on ``x`` (no gradient)."""
    compare(lambda lib, t: getattr(lib, name)(*args, t), x, grad=False, rtol=rtol, atol=atol)


# tolerances by dtype: float32 ones are a few ulps of the float32 algorithms; float64 ones are
# what the float64 kernels reach away from the zeros of the function
TOL = {"lgamma": {F64: (1e-13, 1e-13), F32: (2e-6, 1e-6)},
       "digamma": {F64: (1e-13, 1e-13), F32: (2e-6, 2e-6)},
       "i0": {F64: (1e-14, 0), F32: (2e-6, 0)},
       "sinc": {F64: (1e-14, 1e-15), F32: (1e-6, 1e-7)}}


@pytest.mark.parametrize("name", sorted(TOL))
@pytest.mark.parametrize("dtype", [F32, F64])
def test_unary_values_wide_range(name, dtype):
    rtol, atol = TOL[name][dtype]
    x = _wide(dtype)
    if name == "i0":
        x = np.clip(x, -800, 800)
    _values(name, x, rtol, atol)


@pytest.mark.parametrize("n,dtype,rtol,atol", [(1, F64, 1e-13, 1e-13), (1, F32, 2e-6, 2e-6),
                                               (2, F64, 1e-12, 1e-12), (2, F32, 2e-5, 2e-5),
                                               (3, F64, 1e-12, 1e-12), (5, F32, 2e-5, 2e-5)])
def test_polygamma_values(n, dtype, rtol, atol):
    x = np.concatenate([rand(300, dtype=dtype, low=-6, high=6),
                        rand(100, dtype=dtype, low=0.1, high=50),
                        np.array([0.0, -0.0, 1.0, -1.0, -2.0, np.inf, -np.inf, np.nan], dtype)])
    # NOTE: near a pole the values are huge and the float32 pi*x rounding decides them: keep away
    with np.errstate(invalid="ignore"):
        x = x[~((x < 0) & (np.abs(x - np.round(x)) < 1e-2) & (x != np.round(x)))]
    _values("polygamma", x, rtol, atol, n)


def test_polygamma_zero_is_digamma_and_errors():
    x = rand(5, dtype=F64, low=0.2, high=4)
    compare(lambda lib, t: lib.polygamma(0, t), x)
    check_raises(lambda lib, t: lib.polygamma(-1, t), x, match="negative n")


@pytest.mark.parametrize("dtype", [F32, F64])
def test_erfinv_values(dtype):
    y = np.concatenate([rand(500, dtype=F64), 1 - 10.0 ** rand(50, dtype=F64, low=-15, high=-1),
                        [0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.inf, np.nan, 0.7, -0.7]])
    y = y.astype(dtype)
    near_one = np.abs(y) > 0.999
    rtol = 1e-6 if dtype == F32 else 1e-14
    _values("erfinv", y[~near_one], rtol, 0)
    # NOTE: erfinv is ill-conditioned near +-1: one ulp of erf moves the Newton step by
    # 1e-16 / erf'(x), a relative 1e-11 at 1 - 1e-10 and 1e-4 at 1 - 1e-15 (torch is no closer)
    closer = np.abs(y) > 1 - 1e-10
    _values("erfinv", y[near_one & ~closer], 3e-6 if dtype == F32 else 1e-7, 0)
    _values("erfinv", y[closer], 2e-4, 0)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_i0_overflows_like_torch(dtype):
    _values("i0", np.array([80.0, 88.0, 89.0, -90.0, 700.0, 720.0], dtype), 2e-6, 0)


# ---- gradients ---------------------------------------------------------------------------------
GRAD_CASES = {
    "lgamma": lambda lib, t: lib.lgamma(t),
    "digamma": lambda lib, t: lib.digamma(t),
    "polygamma1": lambda lib, t: lib.polygamma(1, t),
    "polygamma3": lambda lib, t: t.polygamma(3),
    "mvlgamma": lambda lib, t: lib.mvlgamma(t + 3, 4),
    "erfinv": lambda lib, t: lib.erfinv(t * 0.9),
    "i0": lambda lib, t: lib.i0(t * 5),
    "sinc": lambda lib, t: lib.sinc(t * 3),
    "logit": lambda lib, t: lib.logit(t),
    "logit_eps": lambda lib, t: lib.logit(t, eps=0.2),
    "logit_neg_eps": lambda lib, t: lib.logit(t * 2 - 0.5, eps=-1.0),
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
@pytest.mark.parametrize("dtype", [F32, F64])
def test_gradients(case, dtype):
    x = rand(3, 4, dtype=dtype, low=0.05, high=0.95)
    x[0, 0] = 0.5
    tol = 1e-4 if dtype == F32 else 1e-10
    compare(GRAD_CASES[case], x, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", ["lgamma", "digamma", "polygamma1", "erfinv", "i0", "sinc",
                                  "logit", "logit_eps"])
def test_double_backward(case):
    fn = GRAD_CASES[case]

    def second(lib, t):
        (g,) = lib.autograd.grad(fn(lib, t).sum(), t, create_graph=True)
        return g
    x = rand(6, dtype=F64, low=0.05, high=0.95)
    compare(second, x, rtol=1e-9, atol=1e-9)


def test_gradients_at_special_points():
    x = np.array([0.0, 1.0, -0.5], F64)
    compare(lambda lib, t: lib.sinc(t), x)
    compare(lambda lib, t: lib.i0(t), x)
    compare(lambda lib, t: lib.logit(t), np.array([-0.5, 0.5, 1.5]), rtol=1e-12, atol=1e-12)
    compare(lambda lib, t: lib.special.i1(t), x)
    compare(lambda lib, t: lib.special.i1e(t), x)
    compare(lambda lib, t: lib.special.i0e(t), x)


# ---- xlogy -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [F32, F64])
def test_xlogy_values_and_gradients(dtype):
    x = rand(3, 4, dtype=dtype, low=-2, high=2)
    x[0, :2] = 0
    y = rand(4, dtype=dtype, low=0.2, high=3)
    compare(lambda lib, a, b: lib.xlogy(a, b), x, y)
    compare(lambda lib, a, b: a.xlogy(b), x, y)
    compare(lambda lib, a: lib.xlogy(a, 2.5), x)
    compare(lambda lib, b: lib.xlogy(3, b), y)
    specials = np.array([0.0, 0.0, 1.0, 2.0, 0.0, -1.0], dtype)
    others = np.array([0.0, np.nan, 0.0, -1.0, np.inf, np.inf], dtype)
    compare(lambda lib, a, b: lib.xlogy(a, b), specials, others, grad=False)


def test_xlogy_int_promotion_and_in_place():
    i = np.array([0, 1, 3], np.int64)
    compare(lambda lib, a, b: lib.xlogy(a, b), i, i + 1)
    compare(lambda lib, a, b: lib.xlogy_(a * 1, b), rand(3), rand(3, low=0.5, high=2))
    compare(lambda lib, a, b: (a * 1).xlogy_(b), rand(3), rand(3, low=0.5, high=2))


# ---- methods, in place, out=, promotion ----------------------------------------------------------
UNARY_METHODS = ["lgamma", "digamma", "erfinv", "i0", "sinc", "logit"]


@pytest.mark.parametrize("name", UNARY_METHODS)
def test_methods_in_place_out_and_int_promotion(name):
    x = rand(2, 3, dtype=F32, low=0.1, high=0.9)
    compare(lambda lib, t: getattr(t, name)(), x)
    compare(lambda lib, t: getattr(t * 1, name + "_")(), x)
    compare(lambda lib, t: getattr(lib, name)(t, out=lib.empty(2, 3)), x, grad=False)
    compare(lambda lib, t: getattr(lib, name)(t), np.array([[1, 2], [3, 4]], np.int64))
    compare(lambda lib, t: getattr(lib, name)(t), np.array([True, False]))
    compare(lambda lib, t: getattr(lib, name)(t), np.zeros((0, 3), F32))
    compare(lambda lib, t: getattr(lib, name)(t), np.array(0.25, F64))


def test_polygamma_mvlgamma_in_place():
    compare(lambda lib, t: (t * 1).polygamma_(2), rand(4, dtype=F64, low=0.5, high=3))
    compare(lambda lib, t: (t * 1).mvlgamma_(3), rand(4, dtype=F64, low=1.5, high=3))
    compare(lambda lib, t: (t * 1).mvlgamma(1), rand(4, dtype=F64, low=0.5, high=3))
    compare(lambda lib, t: lib.mvlgamma(t, 2), np.array([2, 3], np.int64))
    check_raises(lambda lib, t: lib.mvlgamma(t, 0), rand(3))


def test_in_place_on_integer_tensor_raises():
    check_raises(lambda lib, t: t.lgamma_(), np.array([1, 2], np.int64))


def test_mvlgamma_order_must_be_an_int():
    check_raises(lambda lib, x: lib.mvlgamma(x, 2.0), rand(3, low=2, high=3), match="must be int")
    check_raises(lambda lib, x: x.mvlgamma(2.0), rand(3, low=2, high=3), match="must be int")


def test_mvlgamma_values_include_poles():
    x = np.array([0.5, 1.0, 1.5, 2.0, 7.25], F64)
    compare(lambda lib, t: lib.mvlgamma(t, 3), x, grad=False, rtol=1e-13, atol=1e-13)


# ---- float bits --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [F32, F64])
def test_copysign(dtype):
    a = rand(3, 4, dtype=dtype, low=-2, high=2)
    a[0, 0] = 0
    b = np.array([1.0, -1.0, 0.0, -0.0], dtype)
    compare(lambda lib, x, y: lib.copysign(x, y), a, b)
    compare(lambda lib, x: lib.copysign(x, -0.0), a)
    compare(lambda lib, x: x.copysign(-1), a)
    compare(lambda lib, x, y: (x * 1).copysign_(y), a, b)
    compare(lambda lib, x, y: lib.copysign(x, y), np.array([1, -2], np.int64),
            np.array([-1, 1], np.int32))
    compare(lambda lib, x, y: lib.copysign(x, y), a[0], np.array([-1.0, 2, 3, 4]))


@pytest.mark.parametrize("dtype", [F32, F64])
def test_nextafter_frexp_ldexp(dtype):
    a = np.array([0.0, 1.0, -1.5, 1e30, np.inf, np.nan, 3.0, -0.0], dtype)
    b = np.array([1.0, 0.0, -np.inf, np.inf, 0.0, 1.0, 3.0, 1.0], dtype)
    compare(lambda lib, x, y: lib.nextafter(x, y), a, b, rtol=0, atol=0)
    compare(lambda lib, x, y: lib.nextafter(x, y), rand(4, dtype=dtype), rand(4, dtype=dtype))
    compare(lambda lib, x, y: (x * 1).nextafter_(y), rand(3, dtype=dtype), rand(3, dtype=dtype))
    compare(lambda lib, x: tuple(lib.frexp(x)), a, grad=False)
    compare(lambda lib, x: tuple(x.frexp()), rand(2, 3, dtype=dtype, low=-50, high=50))
    m = compare(lambda lib, x: lib.frexp(x).mantissa, rand(5, dtype=dtype, low=-9, high=9))
    assert m.shape == (5,)
    compare(lambda lib, x, e: lib.ldexp(x, e), rand(2, 3, dtype=dtype),
            np.array([1, -2, 3], np.int64))
    compare(lambda lib, x, e: lib.ldexp(x, e), rand(3, dtype=dtype), rand(3, dtype=dtype))
    compare(lambda lib, x, e: (x * 1).ldexp_(e), rand(3, dtype=dtype),
            np.array([1, 2, 3], np.int32))
    check_raises(lambda lib, x: lib.frexp(x), np.array([1, 2], np.int64))
    check_raises(lambda lib, x: lib.nextafter(x, x), np.array([1, 2], np.int64))


def test_ldexp_result_dtype():
    # the type of input and other together: float16 stays float16 beside an integer exponent
    for x, e in ((np.float16, np.int64), (np.float16, np.int8), (np.int64, np.int32),
                 (np.float32, np.float64), (np.int32, np.float16)):
        compare(lambda lib, a, b: lib.ldexp(a, b), rand(2, 3, dtype=x, low=-3, high=3),
                rand(3, dtype=e, low=-3, high=3), rtol=1e-3, atol=1e-3)
    check_raises(lambda lib, a, b: lib.ldexp(a, b), rand(3), np.ones(3, bool), match="Bool")


def test_frexp_out_and_structure():
    x = ember.tensor([8.0, 0.75])
    r = ember.frexp(x)
    assert type(r).__name__ == "frexp" and r.exponent.dtype == ember.int32
    m, e = ember.empty(2), ember.empty(2, dtype=ember.int32)
    ember.frexp(x, out=(m, e))
    assert m.tolist() == [0.5, 0.75] and e.tolist() == [4, 0]


def test_heaviside_and_signbit():
    x = np.array([-1.5, 0.0, -0.0, 2.0, np.nan, np.inf], F32)
    v = np.array([0.5], F32)
    compare(lambda lib, a, b: lib.heaviside(a, b), x, v, grad=False)
    compare(lambda lib, a, b: a.heaviside(b), x, np.full(6, 7.0, F32), grad=False)
    compare(lambda lib, a, b: lib.heaviside(a, b), np.array([-1, 0, 2]), np.array([5]))
    compare(lambda lib, a, b: (a * 1).heaviside_(b), x, v, grad=False)
    check_raises(lambda lib, a, b: lib.heaviside(a, b), x, np.array([1.0]))
    xt = ember.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        ember.heaviside(xt, ember.tensor([0.5])).sum().backward()
    compare(lambda lib, a: lib.signbit(a), x)
    compare(lambda lib, a: a.signbit(), np.array([-1, 0, 3], np.int64))
    compare(lambda lib, a: lib.signbit(a), np.array([True, False]))


def test_gcd_lcm():
    a = np.array([12, -9, 0, 7, 0, -4], np.int64)
    b = np.array([18, 6, 5, 0, 0, -6], np.int64)
    for name in ("gcd", "lcm"):
        compare(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
        compare(lambda lib, x, y: getattr(x, name)(y), a.astype(np.int32), b[:1].astype(np.int32))
        compare(lambda lib, x, y: getattr(x * 1, name + "_")(y), a, b)
        compare(lambda lib, x, y: getattr(lib, name + "_")(x * 1, y), a, b)
        check_raises(lambda lib, x, y: getattr(lib, name)(x, y), a.astype(F32), b.astype(F32),
                     match="not implemented for 'Float'")


@pytest.mark.parametrize("name", ["deg2rad", "rad2deg"])
def test_deg2rad_rad2deg(name):
    compare(lambda lib, x: getattr(lib, name)(x), rand(2, 3, dtype=F32, low=-400, high=400))
    compare(lambda lib, x: getattr(x, name)(), rand(3, dtype=F64))
    compare(lambda lib, x: getattr(x * 1, name + "_")(), rand(3, dtype=F64))
    compare(lambda lib, x: getattr(lib, name + "_")(x * 1), rand(3, dtype=F64))
    compare(lambda lib, x: getattr(lib, name)(x), np.array([180, -90], np.int64))
    compare(lambda lib, x: getattr(lib, name)(x), np.array([True, False]))


def test_float_power_in_place():
    compare(lambda lib, x: (x * 1).float_power_(2.5), rand(3, dtype=F64, low=0.5, high=2))
    check_raises(lambda lib, x: x.float_power_(2), rand(3, dtype=F32))


# ---- logcumsumexp -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp(dtype, dim):
    x = rand(3, 4, dtype=dtype, low=-5, high=5)
    tol = 1e-5 if dtype == F32 else 1e-10
    compare(lambda lib, t: lib.logcumsumexp(t, dim), x, rtol=tol, atol=tol)
    compare(lambda lib, t: t.logcumsumexp(dim), x, rtol=tol, atol=tol)


def test_logcumsumexp_edges_and_double_backward():
    big = np.array([[1000.0, -1000.0, 1000.0, -np.inf], [-np.inf, -np.inf, 0.0, 1.0]])
    compare(lambda lib, t: lib.logcumsumexp(t, 1), big, grad=False)
    compare(lambda lib, t: lib.logcumsumexp(t, 0), np.array(2.5))
    compare(lambda lib, t: lib.logcumsumexp(t, 1), np.zeros((2, 0)))

    def second(lib, t):
        (g,) = lib.autograd.grad((lib.logcumsumexp(t, 0) ** 2).sum(), t, create_graph=True)
        return g
    compare(second, rand(5, dtype=F64), rtol=1e-9, atol=1e-9)
    check_raises(lambda lib, t: lib.logcumsumexp(t, 0), np.array([1, 2]))
    check_raises(lambda lib, t: lib.logcumsumexp(t, 2), rand(3))
    compare(lambda lib, t: lib.logcumsumexp(t, 0, out=lib.empty(3)), rand(3), grad=False)


def test_no_float64_leak_from_float32():
    x = ember.tensor([0.3, 0.7])
    for r in (ember.lgamma(x), ember.digamma(x), ember.polygamma(2, x), ember.erfinv(x),
              ember.i0(x), ember.sinc(x), ember.logit(x, 1e-3), ember.xlogy(x, 2.0),
              ember.copysign(x, -1.0), ember.ldexp(x, ember.tensor([2])),
              ember.logcumsumexp(x, 0), ember.mvlgamma(x + 2, 2), ember.deg2rad(x)):
        assert r.dtype == ember.float32


# ---- finite differences and layouts ------------------------------------------------------------
GRADCHECK = {
    "lgamma": (lambda t: ember.lgamma(t), 0.2, 5),
    "digamma": (lambda t: ember.digamma(t), 0.2, 5),
    "polygamma2": (lambda t: ember.polygamma(2, t), 0.2, 5),
    "mvlgamma": (lambda t: ember.mvlgamma(t, 3), 1.2, 5),
    "erfinv": (lambda t: ember.erfinv(t), -0.9, 0.9),
    "i0": (lambda t: ember.i0(t), -5, 5),
    "sinc": (lambda t: ember.sinc(t), -3, 3),
    "logit": (lambda t: ember.logit(t, eps=0.1), 0.15, 0.85),
    "copysign": (lambda t: ember.copysign(t, -1.0), 0.2, 5),
    "ldexp": (lambda t: ember.ldexp(t, t), -2, 2),
    "logcumsumexp": (lambda t: ember.logcumsumexp(t, 0), -3, 3),
    "xlogy": (lambda t: ember.xlogy(t, t + 3), -2, 2),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck_and_gradgradcheck(name):
    fn, low, high = GRADCHECK[name]
    t = ember.tensor(rand(5, dtype=F64, low=low, high=high), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (t,), eps=1e-6, atol=1e-6, rtol=1e-4)
    assert ember.autograd.gradgradcheck(fn, (t,), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv", "i0", "sinc", "logit"])
def test_non_contiguous_input(name):
    from helpers import noncontig
    x = noncontig(rand(3, 4, dtype=F64, low=0.1, high=0.9))
    assert not x.flags.c_contiguous
    compare(lambda lib, t: getattr(lib, name)(t), x)
    compare(lambda lib, t: lib.logcumsumexp(t, 0), x)
    compare(lambda lib, a, b: lib.xlogy(a, b), x, noncontig(rand(3, 4, dtype=F64, low=1, high=2)))


def test_shape_errors():
    check_raises(lambda lib, a, b: lib.xlogy(a, b), rand(3), rand(4))
    check_raises(lambda lib, a, b: lib.copysign(a, b), rand(3), rand(4))
    check_raises(lambda lib, a, b: lib.nextafter(a, b), rand(3), rand(4))
    check_raises(lambda lib, a, b: lib.heaviside(a, b), rand(3), rand(4))
    check_raises(lambda lib, a, b: lib.special.zeta(a, b), rand(3), rand(4))


ERRORS = [
    (lambda lib, t: lib.lgamma(t), np.array([1 + 1j], np.complex64)),
    (lambda lib, t: lib.digamma(t), np.array([1 + 1j], np.complex64)),
    (lambda lib, t: lib.erfinv(t), np.array([1 + 1j], np.complex64)),
    (lambda lib, t: lib.i0(t), np.array([1 + 1j], np.complex64)),
    (lambda lib, t: lib.copysign(t, t), np.array([1j], np.complex64)),
    (lambda lib, t: lib.signbit(t), np.array([1j], np.complex64)),
    (lambda lib, t: lib.special.erfcx(t), np.array([1j], np.complex64)),
    (lambda lib, t: lib.heaviside(t, 0.5), np.array([1.0])),
    (lambda lib, t: lib.polygamma(1.5, t), np.array([1.0])),
    (lambda lib, t: lib.xlogy(2.0, 3.0), np.array([1.0])),
    (lambda lib, t: lib.gcd(t, t), np.array([True])),
    (lambda lib, t: t.lgamma_(), np.array([1, 2])),
    (lambda lib, t: t.sinc_(), np.array([1, 2])),
    (lambda lib, t: lib.logcumsumexp(t, 1), np.array(1.0)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    fn, x = ERRORS[i]
    check_raises(fn, x)

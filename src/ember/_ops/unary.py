"""One-input math: ``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``, ``abs``, rounding ...

Each op's Node sits next to it; the floating-point functions that share one shape (cast integer input
to the default float dtype, apply a ufunc, save the input or the output) are built by ``_float_op``
from the ufunc and their Node. Integer and bool inputs of those give the default float dtype, as in
PyTorch. Floating-point errors (log(0), exp overflow) give inf/nan silently, as PyTorch does.
"""
import math

import numpy as np

from ember._ops import _parallel
from ember._ops._arith import _INT, _float_data, _out, zero_grad_node
from ember._ops.powmod import pow
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["abs", "absolute", "sign", "sgn", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1",
           "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin",
           "arccos", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh",
           "arccosh", "arctanh", "sigmoid", "relu", "reciprocal", "floor", "ceil", "round", "trunc",
           "fix", "frac", "erf", "erfc"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_errstate = np.errstate
_TITLE = {"bool": "Bool", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
          "uint8": "Byte"}


def _not_for(input, kernel):
    """PyTorch's error for an integer or bool dtype a kernel does not support."""
    raise NotImplementedError(f"\"{kernel}\" not implemented for "
                              f"'{_TITLE.get(input._data.dtype.name, input._data.dtype.name)}'")


def _holomorphic(cls):
    """``cls`` with PyTorch's complex convention: for a complex gradient ``g`` the backward gives
    ``g * conj(f'(x))``, computed as ``conj(backward(conj(g)))`` from the real formula
    ``g * f'(x)`` (through ops, so double backward works)."""
    formula = cls.backward

    def backward(self, g):
        if g._data.dtype.kind != "c":
            return formula(self, g)
        from ember._ops.complex_math import conj
        return conj(formula(self, conj(g)))
    cls.backward = backward
    return cls


# ---- the hot ones: written out in full -----------------------------------------------------------
class ExpBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        if y._data.dtype.kind == "c":  # PyTorch's complex convention: times conj(exp(x))
            from ember._ops.complex_math import conj
            y = conj(y)
        return g * y


def exp(input, *, out=None):
    """``e ** input``, elementwise."""
    x = input._data
    if x.dtype.kind in _INT:
        x = _float_data(input)
    with _errstate(over="ignore"):
        r = np.exp(x)
    if STATE.enabled and input._rg:
        return _out(track(r, ExpBackward0(), (input,), save_out=True), out)
    return _out(wrap(r), out)


@_holomorphic
class TanhBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return g * (1 - y * y)


def tanh(input, *, out=None):
    """Hyperbolic tangent, elementwise."""
    x = input._data
    r = np.tanh(x if x.dtype.kind not in _INT else _float_data(input))
    if STATE.enabled and input._rg:
        return _out(track(r, TanhBackward0(), (input,), save_out=True), out)
    return _out(wrap(r), out)


@_holomorphic
class SigmoidBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return g * ((1 - y) * y)


def sigmoid(input, *, out=None):
    """The logistic function ``1 / (1 + exp(-input))``, elementwise."""
    x = input._data
    if x.dtype.kind in _INT:
        x = _float_data(input)
    with _errstate(over="ignore"):
        r = np.reciprocal(np.exp(-x) + 1)  # exp(-x) = inf for very negative x: exactly 0, like PyTorch
    if STATE.enabled and input._rg:
        return _out(track(r, SigmoidBackward0(), (input,), save_out=True), out)
    return _out(wrap(r), out)


class ReluBackward0(Node):
    def backward(self, g):
        # relu'(0) = 0: the gradient passes only where the output is positive (a constant mask:
        # multiplying is ~10x faster than a three-way where)
        out = self.saved_output()._data
        gd = g._data
        if STATE.enabled or not _parallel.flat(gd, out):
            return g * wrap((out > 0).astype(gd.dtype))
        r, gf, of = np.empty_like(gd), gd.reshape(-1), out.reshape(-1)
        rf, mask = r.reshape(-1), np.empty(r.size, bool)

        def part(lo, hi):
            np.greater(of[lo:hi], 0, out=mask[lo:hi])
            np.multiply(gf[lo:hi], mask[lo:hi], out=rf[lo:hi])
        _parallel.each(part, r.size, r.size)
        return wrap(r)


def relu_into(x, r):
    """``max(x, 0)`` into ``r`` (``x`` itself: in place; None: a new array), by spans on threads
    for large arrays."""
    if _parallel.flat(x) and x.size >= 2 * _parallel.MIN_ELEMENTS:
        r = np.empty_like(x) if r is None else r
        xf, rf = x.reshape(-1), r.reshape(-1)
        _parallel.each(lambda lo, hi: np.maximum(xf[lo:hi], 0, out=rf[lo:hi]), x.size, x.size)
        return r
    return np.maximum(x, 0) if r is None else np.maximum(x, 0, out=r)


def relu(input):
    """``max(input, 0)``, elementwise (integer tensors stay integer)."""
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    r = relu_into(x, None)
    if STATE.enabled and input._rg:
        return track(r, ReluBackward0(), (input,), save_out=True)
    return wrap(r)


# ---- sign and magnitude ----------------------------------------------------------------------------
class AbsBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        return g * sgn(x)  # abs'(0) = 0


def abs(input, *, out=None):
    """``|input|``, elementwise."""
    x = input._data
    if x.dtype == np.bool_:
        _not_for(input, "abs_cpu")
    r = np.abs(x)
    if STATE.enabled and input._rg:
        node = AbsBackward0()
        node.save_for_backward(input)
        return _out(track(r, node, (input,)), out)
    return _out(wrap(r), out)


SignBackward0 = zero_grad_node("SignBackward0")
SgnBackward0 = zero_grad_node("SgnBackward0")


def _sign(input, node_cls):
    x = input._data
    if x.dtype == np.bool_:
        return wrap(x.copy())
    # NOTE: (x > 0) - (x < 0) rather than np.sign: PyTorch's sign(nan) is 0, NumPy's is nan
    r = (x > 0).astype(x.dtype)
    r -= (x < 0)
    if STATE.enabled and input._rg:
        return track(r, node_cls(), (input,))
    return wrap(r)


def sign(input, *, out=None):
    """-1, 0 or 1 by the sign of each element (0 for NaN, as PyTorch)."""
    return _out(_sign(input, SignBackward0), out)


def sgn(input, *, out=None):
    """``sign`` extended to complex numbers (``x / |x|``); the same as ``sign`` for real tensors."""
    if input._data.dtype.kind == "c":
        x = input._data
        a = np.abs(x)
        r = np.where(a == 0, 0, x / np.where(a == 0, 1, a)).astype(x.dtype)
        if STATE.enabled and input._rg:
            node = ComplexSgnBackward()
            node.save_for_backward(input)
            return _out(track(r, node, (input,), save_out=True), out)
        return _out(wrap(r), out)
    return _out(_sign(input, SgnBackward0), out)


class ComplexSgnBackward(Node):
    """``x / |x|`` of a complex ``x``: PyTorch's gradient ``(g - s re(g conj(s))) / |x|``
    (0 where ``x == 0``), with ``s = sgn(x)``."""

    def backward(self, g):
        from ember._ops.compare import where
        from ember._ops.complex_math import conj, real
        (x,) = self.saved_tensors
        s = sgn(x)
        a = abs(x)
        return where(wrap(a._data == 0), 0.0, (g - s * real(g * conj(s))) / a)


ComplexSgnBackward.__name__ = "SgnBackward0"


@_holomorphic
class ReciprocalBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return -g * (y * y)


def reciprocal(input, *, out=None):
    """``1 / input``, elementwise (integers give floats)."""
    with _errstate(divide="ignore"):
        r = np.reciprocal(_float_data(input))
    if STATE.enabled and input._rg:
        return _out(track(r, ReciprocalBackward0(), (input,), save_out=True), out)
    return _out(wrap(r), out)


def square(input, *, out=None):
    """``input ** 2`` (a bool tensor gives int64, as in PyTorch)."""
    return pow(input, 2, out=out)


# ---- floating-point math built from a ufunc ---------------------------------------------------------
def _float_op(ufunc, node_cls, name, doc, save_out=False):
    """``name(input, *, out=None)``: ``ufunc`` on ``input`` cast to float, recorded with ``node_cls``
    saving either the input or the output."""
    def op(input, *, out=None):
        x = input._data
        if x.dtype.kind in _INT:
            x = _float_data(input)
        with _errstate(all="ignore"):
            r = ufunc(x)
        if STATE.enabled and input._rg:
            node = node_cls()
            if save_out:
                return _out(track(r, node, (input,), save_out=True), out)
            node.save_for_backward(input)
            return _out(track(r, node, (input,)), out)
        return _out(wrap(r), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


@_holomorphic
class Exp2Backward0(Node):
    def backward(self, g):
        return g * (self.saved_output() * _LN2)


@_holomorphic
class LogBackward0(Node):
    def backward(self, g):
        return g / self.saved_tensors[0]


@_holomorphic
class Log2Backward0(Node):
    def backward(self, g):
        return g / (self.saved_tensors[0] * _LN2)


@_holomorphic
class Log10Backward0(Node):
    def backward(self, g):
        return g / (self.saved_tensors[0] * _LN10)


@_holomorphic
class Log1PBackward0(Node):
    def backward(self, g):
        return g / (self.saved_tensors[0] + 1)


@_holomorphic
class Expm1Backward0(Node):
    def backward(self, g):
        return g * (self.saved_output() + 1)


@_holomorphic
class SqrtBackward0(Node):
    def backward(self, g):
        return g / (2 * self.saved_output())


@_holomorphic
class RsqrtBackward0(Node):
    def backward(self, g):
        return -0.5 * g * pow(self.saved_output(), 3)


@_holomorphic
class SinBackward0(Node):
    def backward(self, g):
        return g * cos(self.saved_tensors[0])


@_holomorphic
class CosBackward0(Node):
    def backward(self, g):
        return g * -sin(self.saved_tensors[0])


@_holomorphic
class TanBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return g * (1 + y * y)


@_holomorphic
class AsinBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g * rsqrt(-x * x + 1)


@_holomorphic
class AcosBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g * -rsqrt(-x * x + 1)


@_holomorphic
class AtanBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g / (x * x + 1)


@_holomorphic
class SinhBackward0(Node):
    def backward(self, g):
        return g * cosh(self.saved_tensors[0])


@_holomorphic
class CoshBackward0(Node):
    def backward(self, g):
        return g * sinh(self.saved_tensors[0])


@_holomorphic
class AsinhBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g * rsqrt(x * x + 1)


@_holomorphic
class AcoshBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        if x._data.dtype.kind == "c":  # acosh's principal branch: sqrt(x + 1) sqrt(x - 1)
            return g * (rsqrt(x + 1) * rsqrt(x - 1))
        return g * rsqrt(x * x - 1)


@_holomorphic
class AtanhBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g / (1 - x * x)


class ErfBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g * (_TWO_OVER_SQRT_PI * exp(-(x * x)))


class ErfcBackward0(Node):
    def backward(self, g):
        x = self.saved_tensors[0]
        return g * (-_TWO_OVER_SQRT_PI * exp(-(x * x)))


# erf(x) / x = P1(x^2) for |x| < 1 (relative error 4e-11) and erf(x) = 1 - exp(-x^2) P2(1/x) for
# 1 <= |x| <= 4 (absolute error 2e-10): least-squares fits in float64 at Chebyshev nodes, far
# inside float32's half ulp (3e-8 near 1); past 4, float32's erf is 1
_ERF_P1 = (1.1283791670627457, -0.37612638477231364, 0.11283782633356608, -0.026865438748370794,
           0.005221054238465262, -0.0008484404163473912, 0.00011268283317874284,
           -9.67361239895753e-06)
_ERF_P2 = (4.010584624993024e-05, 0.5634337819902117, 0.0055360980070210085, -0.2980152210255548,
           -0.027571223838046457, 0.8089783241550321, -1.3910540998636898, 1.2932053473443696,
           -0.7281130630194781, 0.2344987769710354, -0.03335525091968227)
_ERF_BLOCK = 1 << 15  # elements per pass: the float64 temporaries stay in L2


def _horner(x, c):
    r = x * c[-1]
    for a in c[-2:0:-1]:
        r += a
        r *= x
    r += c[0]
    return r


def _erf_f32(x):
    """erf of a float32 or float16 array by the fits above, in float64, in cache-sized blocks on
    threads: within float32's rounding of the exact value, and ~20x faster than ``math.erf``
    element by element (GELU's kernel)."""
    x = x if x.flags.c_contiguous else x.copy()
    r = np.empty(x.shape, x.dtype)
    xf, rf = x.reshape(-1), r.reshape(-1)

    def part(lo, hi):
        for b0 in range(lo, hi, _ERF_BLOCK):
            v = xf[b0:min(hi, b0 + _ERF_BLOCK)].astype(np.float64)
            a = np.abs(v)
            small = _horner(a * a, _ERF_P1)
            small *= a
            t = np.clip(a, 1.0, 4.0)
            big = np.exp(-(t * t))
            big *= _horner(np.reciprocal(t), _ERF_P2)
            np.subtract(1.0, big, out=big)
            rf[b0:b0 + len(v)] = np.copysign(np.where(a < 1.0, small, big), v)
    _parallel.each(part, r.size, r.size)
    return r


def _special(name):
    """``erf``/``erfc`` for an array: SciPy's (or CuPy's) ufunc when installed, else ``math.erf``
    elementwise; float32's erf by :func:`_erf_f32`. NOTE: NumPy has no erf, and a short rational
    approximation is not float64-exact."""
    def f(x):
        if name == "erf" and type(x) is np.ndarray and x.dtype in (np.float32, np.float16):
            return _erf_f32(x)
        if type(x) is not np.ndarray:
            import cupyx.scipy.special as sp
            return getattr(sp, name)(x)
        fn = _scipy_special(name)
        if fn is not None:
            return fn(x).astype(x.dtype, copy=False)  # (SciPy computes float16 in float32)
        py = np.frompyfunc(getattr(math, name), 1, 1)
        return np.asarray(py(x), dtype=x.dtype)
    return f


_SCIPY = []


def _scipy_special(name):
    """SciPy's ufunc ``name``, or None without SciPy. NOTE: tried once: a failed import is not
    cached by Python and searched for again (about a millisecond) on every call."""
    if not _SCIPY:
        try:
            import scipy.special as sp
        except ImportError:
            sp = None
        _SCIPY.append(sp)
    return None if _SCIPY[0] is None else getattr(_SCIPY[0], name)


def _rsqrt(x):
    return np.reciprocal(np.sqrt(x))


exp2 = _float_op(np.exp2, Exp2Backward0, "exp2", "``2 ** input``, elementwise.", save_out=True)
log = _float_op(np.log, LogBackward0, "log", "Natural logarithm, elementwise (log(0) = -inf).")
log2 = _float_op(np.log2, Log2Backward0, "log2", "Base-2 logarithm, elementwise.")
log10 = _float_op(np.log10, Log10Backward0, "log10", "Base-10 logarithm, elementwise.")
log1p = _float_op(np.log1p, Log1PBackward0, "log1p", "``log(1 + input)``, accurate for small input.")
expm1 = _float_op(np.expm1, Expm1Backward0, "expm1", "``exp(input) - 1``, accurate for small input.",
                  save_out=True)
sqrt = _float_op(np.sqrt, SqrtBackward0, "sqrt", "Square root, elementwise.", save_out=True)
rsqrt = _float_op(_rsqrt, RsqrtBackward0, "rsqrt", "``1 / sqrt(input)``, elementwise.",
                  save_out=True)
sin = _float_op(np.sin, SinBackward0, "sin", "Sine, elementwise.")
cos = _float_op(np.cos, CosBackward0, "cos", "Cosine, elementwise.")
tan = _float_op(np.tan, TanBackward0, "tan", "Tangent, elementwise.", save_out=True)
asin = _float_op(np.arcsin, AsinBackward0, "asin", "Inverse sine, elementwise.")
acos = _float_op(np.arccos, AcosBackward0, "acos", "Inverse cosine, elementwise.")
atan = _float_op(np.arctan, AtanBackward0, "atan", "Inverse tangent, elementwise.")
sinh = _float_op(np.sinh, SinhBackward0, "sinh", "Hyperbolic sine, elementwise.")
cosh = _float_op(np.cosh, CoshBackward0, "cosh", "Hyperbolic cosine, elementwise.")
asinh = _float_op(np.arcsinh, AsinhBackward0, "asinh", "Inverse hyperbolic sine, elementwise.")
acosh = _float_op(np.arccosh, AcoshBackward0, "acosh", "Inverse hyperbolic cosine, elementwise.")
atanh = _float_op(np.arctanh, AtanhBackward0, "atanh", "Inverse hyperbolic tangent, elementwise.")
erf = _float_op(_special("erf"), ErfBackward0, "erf", "The error function, elementwise.")
erfc = _float_op(_special("erfc"), ErfcBackward0, "erfc", "``1 - erf(input)``, elementwise.")


# ---- rounding ------------------------------------------------------------------------------------
FloorBackward0 = zero_grad_node("FloorBackward0")
CeilBackward0 = zero_grad_node("CeilBackward0")
TruncBackward0 = zero_grad_node("TruncBackward0")
RoundBackward0 = zero_grad_node("RoundBackward0")
RoundBackward1 = zero_grad_node("RoundBackward1")


def _rounding(input, ufunc, node_cls, kernel, out):
    x = input._data
    if x.dtype.kind in "iu":  # already whole numbers: a copy
        return _out(wrap(x.copy()), out)
    if x.dtype == np.bool_:
        _not_for(input, kernel)
    r = ufunc(x)
    if STATE.enabled and input._rg:
        return _out(track(r, node_cls(), (input,)), out)
    return _out(wrap(r), out)


def floor(input, *, out=None):
    """The largest whole number <= each element."""
    return _rounding(input, np.floor, FloorBackward0, "floor_vml_cpu", out)


def ceil(input, *, out=None):
    """The smallest whole number >= each element."""
    return _rounding(input, np.ceil, CeilBackward0, "ceil_vml_cpu", out)


def trunc(input, *, out=None):
    """Each element rounded towards zero."""
    return _rounding(input, np.trunc, TruncBackward0, "trunc_vml_cpu", out)


def round(input, *, decimals=0, out=None):
    """Round to ``decimals`` decimal places, halves to even (``round(2.5) == 2``), as PyTorch."""
    if decimals == 0:
        return _rounding(input, np.rint, RoundBackward0, "round_vml_cpu", out)
    if input._data.dtype.kind in _INT:
        _not_for(input, "round_cpu")
    return _rounding(input, lambda x: np.round(x, decimals), RoundBackward1, "round_cpu", out)


class FracBackward0(Node):
    def backward(self, g):
        return g


def frac(input, *, out=None):
    """The fractional part ``input - trunc(input)``, with the sign of ``input``."""
    x = input._data
    if x.dtype.kind in _INT:
        _not_for(input, "frac_cpu")
    r = x - np.trunc(x)
    if STATE.enabled and input._rg:
        return _out(track(r, FracBackward0(), (input,)), out)
    return _out(wrap(r), out)


absolute, fix = abs, trunc
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

methods(
    abs=abs, absolute=abs, sign=sign, sgn=sgn, exp=exp, exp2=exp2, log=log, log2=log2, log10=log10,
    log1p=log1p, expm1=expm1, sqrt=sqrt, rsqrt=rsqrt, square=square, sin=sin, cos=cos, tan=tan,
    asin=asin, acos=acos, atan=atan, arcsin=asin, arccos=acos, arctan=atan, sinh=sinh, cosh=cosh,
    tanh=tanh, asinh=asinh, acosh=acosh, atanh=atanh, arcsinh=asinh, arccosh=acosh, arctanh=atanh,
    sigmoid=sigmoid, relu=relu, reciprocal=reciprocal, floor=floor, ceil=ceil, round=round,
    trunc=trunc, fix=trunc, frac=frac, erf=erf, erfc=erfc, __abs__=abs,
)

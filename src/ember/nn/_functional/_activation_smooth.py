"""The smooth activation primitives (gelu, silu, mish, softplus, logsigmoid, softsign, tanhshrink)
and the two with a second operand or a split (prelu, glu); the machinery is in ``_activation_ops``.

Forward kernels avoid overflow warnings where PyTorch is silent (``exp`` of a large argument is
inf, and the formulas are arranged so that inf gives the right limit, not NaN).
"""
import math

import numpy as np

from ember._ops._util import wrap_dim
from ember._ops.compare import where
from ember._ops.join import cat
from ember._ops.reduce import type_name
from ember._ops.unary import _not_for, _special
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node
from ember.nn._functional._activation_ops import (
    _activation, _pick, _pointwise, _run, _sigmoid)


# ---- gelu ----------------------------------------------------------------------------------------
# Python floats: a NumPy float64 scalar would promote float32 arrays
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715
# Abramowitz & Stegun 7.1.26, erfc(z) ~ t P(t) exp(-z^2) with t = 1 / (1 + p z) for z >= 0,
# |error| < 1.5e-7 (PyTorch's vectorised float erf uses it too)
_AS_P = 0.3275911 * _SQRT1_2  # (z = |x| / sqrt(2))
_AS_COEFS = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_erf64 = _special("erf")


def _erfc_parts(x):
    """``(t P(t), exp(-x^2 / 2))`` for float32 ``x``, whose product is ``erfc(|x| / sqrt(2))``.
    Written with ``erfc`` of ``|x|``, the normal CDF of a negative ``x`` has no cancellation
    (``1 + erf(x)`` has). (Arrays are reused in place: fewer large temporaries.)"""
    t = np.abs(x)
    t *= _AS_P
    t += 1.0
    np.reciprocal(t, out=t)
    tp = t * _AS_COEFS[4]
    for c in _AS_COEFS[3::-1]:
        tp += c
        tp *= t
    e = np.square(x, out=t)
    e *= -0.5
    np.exp(e, out=e)
    return tp, e


def _gelu(x, tanh):
    if tanh:  # 0.5 x (1 + tanh(beta (x + kappa x^3)))
        r = np.square(x)
        r *= _GELU_KAPPA
        r += 1.0
        r *= x
        r *= _GELU_BETA
        np.tanh(r, out=r)
    elif x.dtype == np.float32:  # x cdf(x) = max(x, 0) - |x| erfc(|x| / sqrt(2)) / 2
        q, r = _erfc_parts(x)
        q *= r
        q *= np.abs(x, out=r)
        q *= 0.5
        np.maximum(x, 0, out=r)
        r -= q
        return r
    else:  # 0.5 x (1 + erf(x / sqrt(2))), with an exact erf
        r = _erf64(x * _SQRT1_2)
    r += 1.0
    r *= x
    r *= 0.5
    return r


def _gelu_d1(x, tanh):
    if tanh:  # 0.5 (1 + t) + 0.5 x (1 - t^2) beta (1 + 3 kappa x^2)
        right = np.square(x)
        t = right * _GELU_KAPPA
        t += 1.0
        t *= x
        t *= _GELU_BETA
        np.tanh(t, out=t)
        right *= 3.0 * _GELU_KAPPA
        right += 1.0
        right *= x
        right *= 0.5 * _GELU_BETA
        sech2 = np.square(t)
        np.subtract(1.0, sech2, out=sech2)
        right *= sech2
        t += 1.0
        t *= 0.5
        t += right
        return t
    if x.dtype == np.float32:  # cdf(x) + x pdf(x); cdf is q / 2 below 0, 1 - q / 2 above
        q, e = _erfc_parts(x)
        q *= e
        upper = np.subtract(1.0, q)
        upper *= x >= 0
        q *= 0.5
        q += upper
        e *= x
        e *= _INV_SQRT_2PI
        q += e
        return q
    cdf = _erf64(x * _SQRT1_2)
    cdf += 1.0
    cdf *= 0.5
    pdf = np.square(x)
    pdf *= -0.5
    np.exp(pdf, out=pdf)
    pdf *= x
    pdf *= _INV_SQRT_2PI
    cdf += pdf
    return cdf


def _gelu_d2(x, tanh):
    x2 = x * x
    if tanh:
        u1 = (x2 * (3.0 * _GELU_KAPPA) + 1.0) * _GELU_BETA  # u = beta (x + kappa x^3); u', u''
        u2 = x * (6.0 * _GELU_KAPPA * _GELU_BETA)
        t = (x * (x2 * _GELU_KAPPA + 1.0) * _GELU_BETA).tanh()
        return (1 - t * t) * (u1 + x * 0.5 * (u2 - 2 * t * u1 * u1))
    return (x2 * -0.5).exp() * ((2 - x2) * _INV_SQRT_2PI)


GeluBackward0 = _activation("GeluBackward0", _gelu, _gelu_d1, _gelu_d2)


def gelu(input, approximate):
    """``x * cdf(x)`` of the standard normal, or its tanh approximation."""
    return _pointwise(input, GeluBackward0, (approximate == "tanh",), "GeluKernelImpl")


# ---- sigmoid-weighted units ----------------------------------------------------------------------
def _silu(x):
    r = np.negative(x)
    np.exp(r, out=r)  # inf for a very negative x: x / inf = -0
    r += 1.0
    return np.divide(x, r, out=r)


def _silu_d1(x):
    s = _sigmoid(x)  # s (1 + x (1 - s))
    r = 1.0 - s
    r *= x
    r += 1.0
    r *= s
    return r


def _silu_d2(x):
    s = x.sigmoid()
    return s * (1 - s) * (x * (1 - 2 * s) + 2)


def _mish(x):
    r = np.exp(x)  # tanh(log1p(inf)) = 1: a large x gives x
    np.log1p(r, out=r)
    np.tanh(r, out=r)
    r *= x
    return r


def _mish_d1(x):
    t = np.exp(x)  # t + x s (1 - t^2), t = tanh(softplus(x))
    np.log1p(t, out=t)
    np.tanh(t, out=t)
    r = _sigmoid(x)
    r *= x
    t2 = np.square(t)
    np.subtract(1.0, t2, out=t2)
    r *= t2
    r += t
    return r


def _mish_d2(x):
    s = x.sigmoid()
    t = softplus(x, 1.0, 20.0).tanh()
    return s * (1 - t * t) * (x * (1 - s) - 2 * x * s * t + 2)


SiluBackward0 = _activation("SiluBackward0", _silu, _silu_d1, _silu_d2)
MishBackward0 = _activation("MishBackward0", _mish, _mish_d1, _mish_d2)


def silu(input):
    """``x * sigmoid(x)``."""
    return _pointwise(input, SiluBackward0, (), "silu_cpu")


def mish(input):
    """``x * tanh(softplus(x))``."""
    return _pointwise(input, MishBackward0, (), "mish_cpu")


# ---- softplus and logsigmoid ---------------------------------------------------------------------
def _softplus(x, beta, threshold):
    bx = x * beta if beta != 1.0 else x
    sp = np.minimum(bx, threshold)  # (exp cannot overflow in the branch not taken)
    np.exp(sp, out=sp)
    np.log1p(sp, out=sp)
    sp /= beta
    return _pick(bx > threshold, x, sp, x.dtype)


def _softplus_d1(x, beta, threshold):
    bx = x * beta if beta != 1.0 else x
    return _pick(bx > threshold, 1, _sigmoid(bx), x.dtype)


def _softplus_d2(x, beta, threshold):
    bx = x * beta
    s = bx.sigmoid()
    return where(bx > threshold, 0.0, s * (1 - s) * beta)


def _logsigmoid(x):
    r = np.abs(x)  # min(x, 0) - log1p(exp(-|x|)): exp never overflows
    np.negative(r, out=r)
    np.exp(r, out=r)
    np.log1p(r, out=r)
    return np.subtract(np.minimum(x, 0), r, out=r)


def _logsigmoid_d1(x):
    return _sigmoid(-x)


def _logsigmoid_d2(x):
    s = x.sigmoid()
    return s * (s - 1)


SoftplusBackward0 = _activation("SoftplusBackward0", _softplus, _softplus_d1, _softplus_d2)
LogSigmoidBackward0 = _activation("LogSigmoidBackward0", _logsigmoid, _logsigmoid_d1,
                                  _logsigmoid_d2)


def softplus(input, beta, threshold):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``."""
    return _pointwise(input, SoftplusBackward0, (beta, threshold), "softplus_cpu")


def logsigmoid(input):
    """``log(sigmoid(x))``, finite for very negative ``x``."""
    return _pointwise(input, LogSigmoidBackward0, (), "log_sigmoid_cpu")


# ---- softsign and tanhshrink (compositions in PyTorch, so their grad_fn names) -------------------
def _softsign(x):
    r = np.abs(x)
    r += 1.0
    return np.divide(x, r, out=r)


def _softsign_d1(x):
    r = np.abs(x)
    r += 1.0
    np.square(r, out=r)
    return np.reciprocal(r, out=r)


def _softsign_d2(x):
    a = x.abs() + 1
    return x.sign() * -2 / (a * a * a)


def _tanhshrink(x):
    return x - np.tanh(x)


def _tanhshrink_d1(x):
    t = np.tanh(x)
    return np.square(t, out=t)


def _tanhshrink_d2(x):
    t = x.tanh()
    return 2 * t * (1 - t * t)


# NOTE: PyTorch computes these as ``x / (x.abs() + 1)`` and ``x - x.tanh()``, whose last nodes are
# DivBackward0 and SubBackward0; ember's one-node primitives carry those names.
_SoftsignNode = _activation("DivBackward0", _softsign, _softsign_d1, _softsign_d2)
_TanhshrinkNode = _activation("SubBackward0", _tanhshrink, _tanhshrink_d1, _tanhshrink_d2)


def _int_as_float(input, fn):
    """An integer input gives the default float dtype (as PyTorch's composition does)."""
    from ember._ops._arith import _float_data
    return wrap(_run(fn, _float_data(input), ()))


def softsign(input):
    """``x / (1 + |x|)``."""
    d = input._data
    if d.dtype == np.bool_:
        _not_for(input, "abs_cpu")
    if d.dtype.kind in "iu":
        return _int_as_float(input, _softsign)
    return _pointwise(input, _SoftsignNode, (), "abs_cpu")


def tanhshrink(input):
    """``x - tanh(x)``."""
    d = input._data
    if d.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if d.dtype.kind in "iu":
        return _int_as_float(input, _tanhshrink)
    return _pointwise(input, _TanhshrinkNode, (), "tanh_cpu")


# ---- glu -----------------------------------------------------------------------------------------
class GluBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        a, b = x.chunk(2, self.dim)
        sb = b.sigmoid()
        ga = g * sb
        return cat((ga, ga * a * (1 - sb)), self.dim)


def glu(input, dim):
    """``a * sigmoid(b)``, where ``a`` and ``b`` are the two halves of ``input`` along ``dim``."""
    d = input._data
    if d.dtype.kind != "f":
        _not_for(input, "glu_cpu")
    axis = wrap_dim(dim, d.ndim)
    n = d.shape[axis]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {n}")
    before = (slice(None),) * axis
    a, b = d[before + (slice(0, n // 2),)], d[before + (slice(n // 2, None),)]
    r = _run(lambda x: _sigmoid(x) * a, b, ())  # (half: b in float32, a * that cast back)
    if STATE.enabled and input._rg:
        node = GluBackward0()
        node.dim = axis
        node.save_for_backward(input)
        return track(r, node, (input,))
    return wrap(r)


# ---- prelu ---------------------------------------------------------------------------------------
def _prelu(x, w):
    r = np.minimum(x, 0)  # max(x, 0) + w * min(x, 0), as leaky_relu
    r *= w
    r += np.maximum(x, 0)
    return r


class PreluKernelBackward0(Node):
    def backward(self, g):
        x, w = self.saved_tensors
        # masks as float tensors, and products rather than where(): faster, still Tensor ops
        pos = x._data > 0
        neg, pos = wrap((~pos).astype(x._data.dtype)), wrap(pos.astype(x._data.dtype))
        return (None if self._next[0] is None else g * (neg * w + pos),
                None if self._next[1] is None else g * x.clamp_max(0))


def prelu(input, weight):
    """``x`` where ``x > 0``, else ``weight * x``, with one weight per channel (dim 1) or one for
    all."""
    d, w = input._data, weight._data
    if w.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{w.ndim}")
    if w.size != 1:
        if d.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = d.shape[1] if d.ndim > 1 else 1
        if channels != w.size:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {w.size} and channel size = {channels}.")
    if d.dtype != w.dtype:
        raise RuntimeError("prelu: Type promoting not supported. Got "
                           f"{type_name(d.dtype)} and {type_name(w.dtype)}")
    if d.dtype.kind != "f":
        _not_for(input, "prelu_cpu")
    # the weight shaped to broadcast over dim 1: (C, 1, ..., 1), or a single value
    shape = () if w.size == 1 else (w.size,) + (1,) * (d.ndim - 2)
    if w.shape != shape:
        weight = weight.reshape(shape)  # (a recorded view: the gradient reaches the parameter)
        w = weight._data
    r = _run(_prelu, d, (w,))
    if STATE.enabled and (input._rg or weight._rg):
        node = PreluKernelBackward0()
        node.save_for_backward(input, weight)
        return track(r, node, (input, weight))
    return wrap(r)

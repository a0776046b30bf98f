"""Special functions with autograd: ``lgamma``, ``digamma``, ``polygamma``, ``mvlgamma``,
``erfinv``, ``i0`` (and ``special.i0e/i1/i1e``), ``sinc``, ``logit``, ``xlogy``/``xlog1py``.

The kernels (``_special_kernels``) are NumPy ports of the algorithms PyTorch's CPU kernels use, so
values agree to a few ulps. Integer and bool inputs give the default float dtype; float32 stays
float32. Backward formulas are PyTorch's, written in Tensor ops, so they differentiate again
(lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1) ...). The
float-bit and integer helpers (``copysign``, ``frexp``, ``gcd``, ``logcumsumexp`` ...) live in
``_num_math`` and are exported from here.
"""
import math

import numpy as np

from ember._ops import _special_kernels as K
from ember._ops._arith import _float_data, _out
from ember._ops._num_math import __all__ as _num_all
from ember._ops._num_math import broadcast_operands, result_dtype, type_name
from ember._ops._num_math import *  # noqa: F401,F403  (exported from here: see the docstring)
from ember._ops.inplace import apply_inplace, inplace_method
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "erfinv", "i0", "i0_", "sinc", "sinc_",
           "logit", "logit_", "xlogy", "xlogy_"] + _num_all

_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)


def _input_array(input, name):
    """The array to compute ``name`` on: integers and bools as the default float dtype."""
    x = _float_data(input)
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(x.dtype)}\'')
    return x


def _via64(kernel):
    """A float64 kernel applied to any float dtype (float16 and float32 results rounded back)."""
    def f(x):
        return kernel(x.astype(np.float64, copy=False)).astype(x.dtype, copy=False)
    return f


def _native(kernel):
    """A kernel that computes in its input's precision, run in float32 for float16 (as ATen)."""
    def f(x):
        if x.dtype == np.float16:
            return kernel(x.astype(np.float32)).astype(np.float16)
        return kernel(x)
    return f


def _unary(input, kernel, node_cls, name, out, save="input", **attrs):
    r = kernel(_input_array(input, name))
    if STATE.enabled and input._rg:
        node = node_cls()
        for k, v in attrs.items():
            setattr(node, k, v)
        if save == "output":
            return _out(track(r, node, (input,), save_out=True), out)
        node.save_for_backward(input)
        return _out(track(r, node, (input,)), out)
    return _out(wrap(r), out)


# ---- gamma family --------------------------------------------------------------------------------
class LgammaBackward0(Node):
    def backward(self, g):
        return g * digamma(self.saved_tensors[0])


class DigammaBackward0(Node):
    def backward(self, g):
        return g * polygamma(1, self.saved_tensors[0])


class PolygammaBackward0(Node):
    def backward(self, g):
        return g * polygamma(self.n + 1, self.saved_tensors[0])


def lgamma(input, *, out=None):
    """``log|gamma(input)|``, elementwise (``inf`` at 0 and the negative integers).

    Example::

        >>> ember.lgamma(ember.tensor([0.5, 1., 10.]))
        tensor([ 0.5724,  0.0000, 12.8018])
    """
    return _unary(input, _via64(K.lgamma), LgammaBackward0, "lgamma_vml_cpu", out)


def digamma(input, *, out=None):
    """The logarithmic derivative of gamma, ``psi(x) = d/dx lgamma(x)`` (-inf at 0, NaN at the
    negative integers).

    Example::

        >>> ember.digamma(ember.tensor([1., 0.5]))
        tensor([-0.5772, -1.9635])
    """
    return _unary(input, _native(K.digamma), DigammaBackward0, "digamma", out)


def polygamma(n, input, *, out=None):
    """The ``n``-th derivative of :func:`digamma`.

    Args:
        n: the order, an int >= 0 (0 is digamma).
        input: the points.

    Example::

        >>> ember.polygamma(1, ember.tensor([1., 2.]))   # pi^2/6, pi^2/6 - 1
        tensor([1.6449, 0.6449])
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input, out=out)
    kernel = _native(K.trigamma) if n == 1 else _native(lambda x: K.polygamma(n, x))
    return _unary(input, kernel, PolygammaBackward0, "polygamma", out, n=n)


def mvlgamma(input, p, *, out=None):
    """The multivariate log-gamma of dimension ``p``:
    ``sum_{j<p} lgamma(input - j/2) + p(p-1)/4 log(pi)`` (differentiable through lgamma).

    Example::

        >>> ember.mvlgamma(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
        raise TypeError(f"mvlgamma(): argument 'p' (position 2) must be int, not "
                        f"{type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    from ember._ops.creation import arange
    x = input if input._data.dtype.kind == "f" else input.to(_default_dtype())
    args = arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=x.dtype) + x.unsqueeze(-1)
    return _out(lgamma(args).sum(-1) + p * (p - 1) * math.log(math.pi) * 0.25, out)


def _default_dtype():
    from ember._dtype import get_default_dtype
    return get_default_dtype()


# ---- erfinv --------------------------------------------------------------------------------------
class ErfinvBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return g * (_HALF_SQRT_PI * (y * y).exp())


def erfinv(input, *, out=None):
    """The inverse error function on [-1, 1] (``+-inf`` at ``+-1``, NaN outside).

    Example::

        >>> ember.erfinv(ember.tensor([0., 0.5, -1.]))
        tensor([0.0000, 0.4769,   -inf])
    """
    return _unary(input, K.erfinv, ErfinvBackward0, "erfinv_vml_cpu", out, save="output")


# ---- modified Bessel functions -------------------------------------------------------------------
def _bessel(kernel):
    """A float64 kernel for any float dtype, rounded back."""
    def f(x):
        if x.dtype == np.float64:
            return kernel(x)
        return kernel(x.astype(np.float64)).astype(x.dtype)
    return f


class I0Backward0(Node):
    def backward(self, g):
        return g * special_i1(self.saved_tensors[0])


class SpecialI1Backward0(Node):
    def backward(self, g):
        with np.errstate(all="ignore"):  # 0/0 at masked points
            return self._grad(g)

    def _grad(self, g):  # i1' = i0 - i1 / x, 1/2 at 0
        from ember._ops.compare import where
        x = self.saved_tensors[0]
        y = self.saved_output()
        return g * where(x == 0, 0.5, i0(x) - y / x)


class SpecialI0EBackward0(Node):
    def backward(self, g):  # i0e' = i1e - sign(x) i0e
        x = self.saved_tensors[0]
        return g * (special_i1e(x) - x.sign() * self.saved_output())


class SpecialI1EBackward0(Node):
    def backward(self, g):
        with np.errstate(all="ignore"):  # 0/0 at masked points
            return self._grad(g)

    def _grad(self, g):  # i1e' = i0e - i1e (sign(x) + 1/x), 1/2 at 0
        from ember._ops.compare import where
        x = self.saved_tensors[0]
        y = self.saved_output()
        return g * where(x == 0, 0.5, special_i0e(x) - y * (x.sign() + x.reciprocal()))


def _save_both(input, kernel, node_cls, name, out):
    r = kernel(_input_array(input, name))
    if STATE.enabled and input._rg:
        node = node_cls()
        node.save_for_backward(input)
        return _out(track(r, node, (input,), save_out=True), out)
    return _out(wrap(r), out)


def _i0_f32(x):
    # NOTE: ATen multiplies by exp(|x|) in float32: inf from |x| > 88.7, though I0 itself fits
    r = K.i0e(x.astype(np.float64)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(np.abs(x)) * r


def _i1_f32(x):
    r = K.i1e(x.astype(np.float64)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(np.abs(x)) * r


def _by_dtype(k64, k32):
    def f(x):
        if x.dtype == np.float64:
            return k64(x)
        r = k32(x.astype(np.float32))
        return r.astype(x.dtype)
    return f


def i0(input, *, out=None):
    """The modified Bessel function of the first kind of order zero, elementwise.

    Example::

        >>> ember.i0(ember.tensor([0., 1., 2.]))
        tensor([1.0000, 1.2661, 2.2796])
    """
    return _unary(input, _by_dtype(K.i0, _i0_f32), I0Backward0, "i0_vml_cpu", out)


def special_i0e(input, *, out=None):
    """``exp(-|x|) * i0(x)``, elementwise (no overflow)."""
    return _save_both(input, _bessel(K.i0e), SpecialI0EBackward0, "i0e_cpu", out)


def special_i1(input, *, out=None):
    """The modified Bessel function of the first kind of order one, elementwise."""
    return _save_both(input, _by_dtype(K.i1, _i1_f32), SpecialI1Backward0, "i1_cpu", out)


def special_i1e(input, *, out=None):
    """``exp(-|x|) * i1(x)``, elementwise (no overflow)."""
    return _save_both(input, _bessel(K.i1e), SpecialI1EBackward0, "i1e_cpu", out)


# ---- sinc, logit ---------------------------------------------------------------------------------
def _sinc_kernel(x):
    with np.errstate(all="ignore"):
        px = x.dtype.type(math.pi) * x
        return np.where(x == 0, x.dtype.type(1), np.sin(px) / px)


class SincBackward0(Node):
    def backward(self, g):
        with np.errstate(all="ignore"):  # 0/0 at masked points
            return self._grad(g)

    def _grad(self, g):
        from ember._ops.compare import where
        x = self.saved_tensors[0]
        px = math.pi * x
        d = (px * px.cos() - px.sin()) / (math.pi * x * x)
        return g * where(x == 0, 0.0, d)


def sinc(input, *, out=None):
    """The normalised sinc ``sin(pi x) / (pi x)`` (1 at 0), elementwise.

    Example::

        >>> ember.sinc(ember.tensor([0., 0.5, 1.]))
        tensor([ 1.0000e+00,  6.3662e-01, -2.7828e-08])
    """
    return _unary(input, _native(_sinc_kernel), SincBackward0, "sinc_cpu", out)


class LogitBackward0(Node):
    def backward(self, g):
        with np.errstate(all="ignore"):  # 0/0 at masked points
            return self._grad(g)

    def _grad(self, g):
        from ember._ops.compare import where
        x = self.saved_tensors[0]
        d = g / (x * (1 - x))
        if self.eps is None or self.eps < 0:
            return where((x < 0) | (x > 1), math.nan, d)
        return where((x < self.eps) | (x > 1 - self.eps), 0.0, d)


def logit(input, eps=None, *, out=None):
    """``log(p / (1 - p))``, the inverse of sigmoid; with ``eps``, ``p`` is first clamped to
    ``[eps, 1 - eps]`` (and the gradient is 0 outside).

    Example::

        >>> ember.logit(ember.tensor([0.5, 0.0]), eps=1e-6)
        tensor([  0.0000, -13.8155])
    """
    def kernel(x):
        if eps is not None and eps >= 0:
            x = np.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        with np.errstate(all="ignore"):
            return np.log(x / (1 - x))
    return _unary(input, kernel, LogitBackward0, "logit_cpu", out, eps=eps)


# ---- xlogy, xlog1py ------------------------------------------------------------------------------
def _xlog(log):
    def kernel(a, b):
        with np.errstate(all="ignore"):
            r = np.where(a == 0, 0, a * log(b))
        r = np.where(np.isnan(b), b, r)
        return np.asarray(r, dtype=np.result_type(a, b))
    return kernel


class XlogyBackward0(Node):
    def backward(self, g):
        x, y = self.saved_tensors
        n = self._next
        gx = gy = None
        if n[0] is not None:  # log(y), but 0 where x == 0 and y <= 0 (PyTorch's formula)
            gx = _masked_fill(xlogy(g, y), (x == 0) & (y <= 0), 0.0)
        if n[1] is not None:
            gy = g * x / y
        return gx, gy


class SpecialXlog1PyBackward0(Node):
    def backward(self, g):
        x, y = self.saved_tensors
        n = self._next
        gx = gy = None
        if n[0] is not None:
            gx = _masked_fill(special_xlog1py(g, y), (x == 0) & (y <= -1), 0.0)
        if n[1] is not None:
            gy = g * x / (y + 1)
        return gx, gy


def _masked_fill(t, mask, value):
    from ember._ops.compare import where
    return where(mask, value, t)


def _binary_xlog(input, other, kernel, node_cls, out):
    ta, tb, ad, bd = broadcast_operands(input, other, "xlogy")
    dt = result_dtype(ta, tb, ad, bd)
    ad, bd = ad.astype(dt, copy=False), bd.astype(dt, copy=False)
    r = kernel(ad, bd)
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = node_cls()
        node.save_for_backward(ta if ta is not None else wrap(ad),
                               tb if tb is not None else wrap(bd))
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN).

    Example::

        >>> ember.xlogy(ember.tensor([0., 2.]), ember.tensor([0., 3.]))
        tensor([0.0000, 2.1972])
    """
    return _binary_xlog(input, other, _xlog(np.log), XlogyBackward0, out)


def special_xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    return _binary_xlog(input, other, _xlog(np.log1p), SpecialXlog1PyBackward0, out)


# ---- in-place variants and methods ---------------------------------------------------------------
def _polygamma_self(self, n):
    """``polygamma(n, self)`` (the method takes the order first, as in PyTorch)."""
    return polygamma(n, self)


def polygamma_(self, n):
    """In-place version of :meth:`polygamma`."""
    return apply_inplace(self, _polygamma_self, n)


i0_, sinc_, logit_, xlogy_ = (inplace_method(f) for f in (i0, sinc, logit, xlogy))

methods(lgamma=lgamma, digamma=digamma, polygamma=_polygamma_self,
        mvlgamma=mvlgamma, erfinv=erfinv, i0=i0, sinc=sinc, logit=logit, xlogy=xlogy,
        lgamma_=inplace_method(lgamma), digamma_=inplace_method(digamma), polygamma_=polygamma_,
        mvlgamma_=inplace_method(mvlgamma), erfinv_=inplace_method(erfinv), i0_=i0_, sinc_=sinc_,
        logit_=logit_, xlogy_=xlogy_)

"""Reductions of floating-point tensors: ``var``, ``std``, ``var_mean``, ``std_mean``, ``logsumexp``
and ``norm`` (vector norms; ``linalg.vector_norm`` is :func:`vector_norm`).

Each is one primitive with a backward written in Tensor ops, so second derivatives work.
"""
import math
import warnings

import numpy as np

from ember import _dtype
from ember._backend import xp_of
from ember._ops._select import track_pair, torch_kwargs, write_out
from ember._ops.reduce import axes_of, count, expand_back, keep, kept_shape, mean, type_name
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["var", "std", "var_mean", "std_mean", "logsumexp", "norm"]



def _float_data(d):
    """Integers become the default float dtype (logsumexp of ints is a float, as in PyTorch)."""
    return d.astype(_dtype.get_default_dtype().np) if d.dtype.kind in "biu" else d


def _upcast(d):
    """Half is computed in float32 and rounded back at the end."""
    return d.astype(np.float32) if d.dtype == np.float16 else d


# ---- var / std -----------------------------------------------------------------------------------
def _correction(unbiased, correction):
    if correction is not None:
        if unbiased is not None:
            raise TypeError("var(): cannot pass both 'unbiased' and 'correction'")
        return correction
    return 1 if unbiased is None or unbiased else 0


def _moments(input, dim, unbiased, keepdim, correction, name):
    """(variance, mean, axes, n, correction): mean and variance arrays with keepdims=True."""
    d = input._data
    if isinstance(dim, bool):  # var(x, True): the legacy (input, unbiased) overload
        dim, unbiased = None, dim
    if d.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    c = _correction(unbiased, correction)
    axes = axes_of(d, dim)
    n = count(d.shape, axes)
    if n - c <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    x = _upcast(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = x.sum(axis=axes, keepdims=True) / x.dtype.type(n)
        dev = x - m
        v = (dev * dev).sum(axis=axes, keepdims=True) / x.dtype.type(max(n - c, 0))
    return v, m, axes, n, c



def _var_grad(x, g, axes, keepdim, shape, n, c):
    """d var / dx = 2 (x - mean) / (n - c), times the broadcast upstream gradient."""
    ge = expand_back(g, shape, axes, keepdim)
    if n == c:  # no degrees of freedom: the variance is nan or inf, so is its gradient
        with np.errstate(invalid="ignore"):
            return ge * (x - mean(x, axes, True)) * math.inf
    return ge * (x - mean(x, axes, True)) * (2.0 / (n - c))


def _std_grad(x, g, out, axes, keepdim, shape, n, c):
    """d std / dx = d var / dx / (2 std); 0 where std is 0 (as PyTorch)."""
    zero = out._data == 0
    g = g / (out + wrap(zero)) * wrap(~zero)
    return _var_grad(x, g, axes, keepdim, shape, n, c) * 0.5


class VarBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        return _var_grad(x, g, self.axes, self.keepdim, self.shape, self.n, self.c)


class StdBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        return _std_grad(x, g, self.saved_output(), self.axes, self.keepdim, self.shape, self.n,
                         self.c)


def _node(cls, input, axes, keepdim, n, c):
    node = cls()
    node.axes, node.keepdim, node.shape, node.n, node.c = axes, keepdim, input._data.shape, n, c
    node.save_for_backward(input)
    return node


@torch_kwargs("var")
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` (default all), divided by ``N - correction`` (default 1: Bessel's
    correction; ``unbiased=False`` is ``correction=0``).

    Example::

        ember.tensor([1., 2., 3., 4.]).var()   # tensor(1.6667)
    """
    v, _, axes, n, c = _moments(input, dim, unbiased, keepdim, correction, "var")
    d = input._data
    r = keep(v, d.shape, axes, keepdim).astype(d.dtype, copy=False)
    if STATE.enabled and input._rg:
        return track(r, _node(VarBackward0, input, axes, keepdim, n, c), (input,))
    return wrap(r)


@torch_kwargs("std")
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: the square root of :func:`var` (same arguments)."""
    v, _, axes, n, c = _moments(input, dim, unbiased, keepdim, correction, "std")
    d = input._data
    r = np.sqrt(keep(v, d.shape, axes, keepdim)).astype(d.dtype, copy=False)
    if STATE.enabled and input._rg:
        return track(r, _node(StdBackward0, input, axes, keepdim, n, c), (input,), save_out=True)
    return wrap(r)


class VarMeanBackward0(Node):
    def backward(self, gv, gm):
        (x,) = self.saved_tensors
        res = None if gv is None else self._first(x, gv)
        if gm is not None:
            part = expand_back(gm, self.shape, self.axes, self.keepdim) / self.n
            res = part if res is None else res + part
        return res

    def _first(self, x, g):
        return _var_grad(x, g, self.axes, self.keepdim, self.shape, self.n, self.c)


class StdMeanBackward0(VarMeanBackward0):
    def _first(self, x, g):
        return _std_grad(x, g, self.saved_output(), self.axes, self.keepdim, self.shape, self.n,
                         self.c)


def _with_mean(input, dim, unbiased, keepdim, correction, name, node_cls):
    v, m, axes, n, c = _moments(input, dim, unbiased, keepdim, correction, name)
    d = input._data
    if name == "std":
        v = np.sqrt(v)
    rv = keep(v, d.shape, axes, keepdim).astype(d.dtype, copy=False)
    rm = keep(m, d.shape, axes, keepdim).astype(d.dtype, copy=False)
    if STATE.enabled and input._rg:
        node = _node(node_cls, input, axes, keepdim, n, c)
        pair = track_pair(rv, rm, node, (input,))
        node._out = (pair[0]._data, pair[0]._vc, 0)  # std_mean's backward needs the std
        return pair
    return wrap(rv), wrap(rm)


@torch_kwargs("var_mean", out=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one pass; arguments as :func:`var`."""
    return _with_mean(input, dim, unbiased, keepdim, correction, "var", VarMeanBackward0)


@torch_kwargs("std_mean", out=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one pass; arguments as :func:`var`."""
    return _with_mean(input, dim, unbiased, keepdim, correction, "std", StdMeanBackward0)


# ---- logsumexp -----------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        sh, axes, keepdim = self.shape, self.axes, self.keepdim
        out = expand_back(self.saved_output(), sh, axes, keepdim)
        return expand_back(g, sh, axes, keepdim) * (x - out).exp()


@torch_kwargs("logsumexp")
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed stably (the max is subtracted first).

    Example::

        ember.logsumexp(ember.tensor([1000., 1000.]), 0)   # tensor(1000.6931)
    """
    d = _float_data(input._data)
    axes = axes_of(d, dim)
    x = _upcast(d)
    xp = xp_of(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if x.size:
            m = x.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or an inf) lanes: no shift, no inf - inf
        else:
            m = xp.zeros(kept_shape(x.shape, axes), x.dtype)
        r = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
    r = keep(r, d.shape, axes, keepdim).astype(d.dtype, copy=False)
    if STATE.enabled and input._rg:
        node = LogsumexpBackward0()
        node.shape, node.axes, node.keepdim = d.shape, axes, keepdim
        node.save_for_backward(input)
        return track(r, node, (input,), save_out=True)
    return wrap(r)


# ---- norms ---------------------------------------------------------------------------------------
class LinalgVectorNormBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        p, sh, axes, keepdim = self.ord, self.shape, self.axes, self.keepdim
        if p == 0:
            return None
        ge = expand_back(g, sh, axes, keepdim)
        xd = x._data
        xp = xp_of(xd)
        if p == 1:
            return ge * wrap(xp.sign(xd))
        out = expand_back(self.saved_output(), sh, axes, keepdim)
        zero_norm = out._data == 0
        if p == 2:
            return ge * x / (out + wrap(zero_norm))
        if math.isinf(p):
            # like amax(abs(x)): shared among the elements that reach it (NaNs count as reaching it)
            a = xp.abs(xd)
            mask = (a == out._data) | xp.isnan(a)
            with np.errstate(divide="ignore", invalid="ignore"):
                w = xp.sign(xd) * mask / mask.sum(axis=axes, keepdims=True)
            return ge * wrap(w.astype(xd.dtype))
        zero_x = xd == 0
        sign = wrap(xp.sign(xd))
        if p < 1:  # |x|^(p-1) is infinite at 0: those elements get 0, as in PyTorch
            scaled = sign * (x + wrap(zero_x)).abs().pow(p - 1) * wrap(~zero_x)
            return scaled * ge * out.pow(1 - p)
        scale = ge / (out.pow(p - 1) + wrap(zero_norm)) * wrap(~zero_norm)
        if p < 2:
            return sign * x.abs().pow(p - 1) * scale
        return x * x.abs().pow(p - 2) * scale


def _vector_norm_array(d, p, axes):
    a = np.abs(d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 2:
            return np.sqrt((a * a).sum(axis=axes, keepdims=True))
        if p == 1:
            return a.sum(axis=axes, keepdims=True)
        if p == 0:
            return (a != 0).sum(axis=axes, keepdims=True).astype(d.dtype)
        if p == math.inf:
            return a.max(axis=axes, keepdims=True)
        if p == -math.inf:
            return a.min(axis=axes, keepdims=True)
        return (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (default all elements): ``sum(|x|^ord)^(1/ord)``;
    ``inf``/``-inf`` give the max/min of ``|x|``, 0 the number of nonzeros
    (``linalg.vector_norm``)."""
    if dtype is not None:
        x = x.to(dtype)
    d = x._data
    if d.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(d.dtype)}")
    p = float(ord)
    axes = axes_of(d, dim)
    if p < 0 or math.isinf(p):
        _check_identity(d, axes, ord)
    xd = _upcast(d)
    rk = _vector_norm_array(xd, p, axes).astype(d.dtype, copy=False)
    r = keep(rk, d.shape, axes, keepdim)
    if STATE.enabled and x._rg:
        node = LinalgVectorNormBackward0()
        node.ord, node.shape, node.axes, node.keepdim = p, d.shape, axes, keepdim
        node.save_for_backward(x)
        return track(r, node, (x,), save_out=True)
    return wrap(r)


def _check_identity(d, axes, ord):
    """Norms with no identity (negative and infinite orders) refuse empty reductions."""
    if axes is None:
        if not d.size:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               "tensor because the operation does not have an identity")
        return
    for a in axes:
        if d.shape[a] == 0:
            # NOTE: "{a}because" without a space is PyTorch's message
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the "
                               f"dimension {a}because this dimension is empty and the operation "
                               "does not have an identity")


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The ``p``-norm of ``input`` over ``dim`` (default: all elements as one vector).

    Args:
        p: ``'fro'`` (default; the 2-norm), a number (``inf``, ``-inf``, 0, 1, 2, ...), or
            ``'nuc'`` (nuclear norm of a matrix).
        dim: an int or a tuple of ints to reduce.
        keepdim: keep the reduced dims with size 1.
        dtype: compute in this dtype.

    The gradient at a zero vector is 0 (not NaN), as in PyTorch.
    """
    if isinstance(p, str):
        if p == "nuc":  # a matrix norm: ember.linalg's
            from ember.linalg import matrix_norm
            return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:  # 'fro' is a matrix norm then
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(str(d) for d in dim))
        p = 2
    elif p is None:
        p = 2
    return write_out(vector_norm(input, p, dim, keepdim, dtype=dtype), out, "norm")


methods(var=var, std=std, logsumexp=logsumexp, norm=norm)

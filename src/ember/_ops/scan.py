"""Cumulative ops along a dim: ``cumsum`` and ``cumprod``.

Integers and bools accumulate as int64 (PyTorch's rule); half accumulates in float32. The gradient
of a cumsum is a reversed cumsum, which is a cumsum too (``_cumsum(..., reverse=True)``), so
derivatives of any order stay inside this file. cumprod's gradient is exact with zeros in the
input, to any order.
"""
import numpy as np

from ember import _dtype
from ember._backend import xp_of
from ember._ops._select import torch_kwargs
from ember._ops._util import wrap_dim
from ember._ops.inplace import inplace_method
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["cumsum", "cumprod", "diff", "cummax", "cummin"]


def _acc_dtype(d, dtype):
    """(accumulation dtype, result dtype) as NumPy dtypes."""
    if dtype is not None:
        out = _dtype.as_dtype(dtype).np
    elif d.dtype.kind in "biu":
        out = np.dtype(np.int64)
    else:
        out = d.dtype
    return (np.dtype(np.float32) if out == np.float16 else out), out


def _scan(d, axis, dtype, fn, reverse=False):
    acc, out = _acc_dtype(d, dtype)
    if d.ndim == 0:
        return d.astype(out, copy=True)
    xp = xp_of(d)
    if reverse:
        r = xp.flip(fn(xp.flip(d, axis), axis=axis, dtype=acc), axis)
    else:
        r = fn(d, axis=axis, dtype=acc)
    return xp.ascontiguousarray(r.astype(out, copy=False))


def _needs_grad(input, r):
    return STATE.enabled and input._rg and r.dtype.kind in "fc"


# ---- cumsum --------------------------------------------------------------------------------------
class CumsumBackward0(Node):
    def backward(self, g):
        return _cumsum(g, self.axis, not self.reverse)


def _cumsum(input, axis, reverse=False, dtype=None):
    """cumsum along ``axis`` (already wrapped); ``reverse`` sums from the end (for backward)."""
    d = input._data
    r = _scan(d, axis, dtype, xp_of(d).cumsum, reverse)
    if _needs_grad(input, r):
        node = CumsumBackward0()
        node.axis, node.reverse = axis, reverse
        return track(r, node, (input,))
    return wrap(r)


@torch_kwargs("cumsum")
def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``: ``y[i] = x[0] + ... + x[i]``.

    Example::

        ember.tensor([1, 2, 3]).cumsum(0)   # tensor([1, 3, 6])
    """
    return _cumsum(input, wrap_dim(dim, input._data.ndim), False, dtype)


# ---- cumprod -------------------------------------------------------------------------------------
class CumprodBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        a = self.axis
        xd = x._data
        if xd.ndim == 0 or xd.shape[a] <= 1:
            return g
        zero = xd == 0
        if not zero.any():
            return _cumsum(g * self.saved_output(), a, True) / x
        if STATE.enabled:  # create_graph: a formula that is itself differentiable
            return _cumprod_grad_graph(x, g, a)
        return wrap(_cumprod_grad_zeros(xd, g._data, self.saved_output()._data, a, zero))


def _cumprod_grad_zeros(x, g, out, axis, zero):
    """First-order gradient of cumprod when ``x`` has zeros, in O(n) per lane (arrays only).

    Before a lane's first zero z the usual formula holds; at z the gradient is
    sum_{j >= z} g_j prod_{i <= j, i != z} x_i; after z it is 0.
    """
    xp = xp_of(x)
    nz = xp.cumsum(zero, axis)
    before = nz == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        part = xp.flip(xp.cumsum(xp.flip(out * g * before, axis), axis), axis) / x
    first = zero & (nz == 1)
    between = (nz == 1) & ~first
    q = xp.cumprod(xp.where(between, x, 1), axis)        # prod_{z < i <= j} x_i for j in [z, z2)
    s = ((q * g * (nz == 1)).sum(axis, keepdims=True)
         * xp.where(before, x, 1).prod(axis, keepdims=True))
    return xp.where(before, part, 0) + xp.where(first, s, 0)


def _cumprod_grad_graph(x, g, a):
    """dx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i, written with Tensor ops (O(n^2) per lane):
    a new axis k holds, for each k, the cumprod of x with x_k replaced by 1."""
    xd = x._data
    xp = xp_of(xd)
    n, shape = xd.shape[a], xd.shape
    trail = (1,) * (xd.ndim - a - 1)
    eye = xp.eye(n, dtype=xd.dtype).reshape((n, n) + trail)
    upper = xp.triu(xp.ones((n, n), xd.dtype)).reshape((n, n) + trail)   # [k, j]: j >= k
    split = shape[:a] + (1,) + shape[a:]
    m = _cumprod(x.reshape(split) * wrap(1 - eye) + wrap(eye), a + 1)
    return (g.reshape(split) * m * wrap(upper)).sum(a + 1)


def _cumprod(input, axis, dtype=None):
    d = input._data
    r = _scan(d, axis, dtype, xp_of(d).cumprod)
    if _needs_grad(input, r):
        node = CumprodBackward0()
        node.axis = axis
        node.save_for_backward(input)
        return track(r, node, (input,), save_out=True)
    return wrap(r)


@torch_kwargs("cumprod")
def cumprod(input, dim, *, dtype=None):
    """Cumulative product along ``dim``: ``y[i] = x[0] * ... * x[i]``. The gradient is right with
    zeros in the input.

    Example::

        ember.tensor([1., 2., 3.]).cumprod(0)   # tensor([1., 2., 6.])
    """
    return _cumprod(input, wrap_dim(dim, input._data.ndim), dtype)


# ---- product of the others (prod's gradient with zeros) ------------------------------------------
class ShiftBackward0(Node):
    def backward(self, g):
        return _shift(g, self.axis, -self.step, 0)


def _shift(input, axis, step, fill):
    """Shift by one along ``axis`` (``step`` 1: towards the end), filling the vacated slot."""
    d = input._data
    r = xp_of(d).full(d.shape, fill, d.dtype)
    n = d.shape[axis]
    head = (slice(None),) * axis
    if step > 0:
        r[head + (slice(1, n),)] = d[head + (slice(0, n - 1),)]
    else:
        r[head + (slice(0, n - 1),)] = d[head + (slice(1, n),)]
    if STATE.enabled and input._rg:
        node = ShiftBackward0()
        node.axis, node.step = axis, step
        return track(r, node, (input,))
    return wrap(r)


def prod_others(x, axis):
    """``prod_{j != k} x_j`` along ``axis`` for every k: exclusive cumprods from both ends, safe
    with zeros and differentiable (PyTorch's prod_safe_zeros_backward)."""
    left = _cumprod(_shift(x, axis, 1, 1), axis)
    right = _cumprod(_shift(x.flip(axis), axis, 1, 1), axis).flip(axis)
    return left * right


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``x[i + 1] - x[i]``; for bool, whether they
    differ), after joining ``prepend`` and ``append`` to ``input`` along ``dim``.

    Example::

        >>> ember.diff(ember.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
    """
    from ember._ops.compare import ne
    from ember._ops.join import cat
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    x = input
    if n == 0:  # (prepend and append are not joined either, as in PyTorch)
        return x
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, input, append) if t is not None], dim)
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        hi, lo = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
        x = ne(hi, lo) if x.dtype == _dtype.bool_ else hi - lo
    return x


class _CumExtremeBackward(Node):
    """The gradient goes to where each running extreme was found (``indices``)."""

    def backward(self, g):
        from ember._ops.creation import zeros_like
        return zeros_like(g).scatter_add(self.dim, wrap(self.indices), g)


class CummaxBackward0(_CumExtremeBackward):
    pass


class CumminBackward0(_CumExtremeBackward):
    pass


def _cum_extreme(input, dim, ufunc, node_cls, name):  # ufunc: 'maximum' or 'minimum'
    from ember._ops._select import return_types
    d = input._data
    xp = xp_of(d)
    if d.ndim == 0:
        vals, idx = d.copy(), xp.zeros((), np.int64)
    else:
        dim = wrap_dim(dim, d.ndim)
        vals = getattr(xp, ufunc).accumulate(d, axis=dim) if d.size else d.copy()
        # the running extreme was found here: equal to it (the latest of ties wins) or NaN
        here = vals == d
        if d.dtype.kind in "fc":
            here |= xp.isnan(d)
        pos = xp.arange(d.shape[dim], dtype=np.int64).reshape(
            (-1,) + (1,) * (d.ndim - dim - 1))
        idx = xp.maximum.accumulate(xp.where(here, pos, 0), axis=dim) if d.size else \
            xp.zeros(d.shape, np.int64)
    values = wrap(vals)
    if STATE.enabled and input._rg:
        node = node_cls()
        node.dim, node.indices = dim, idx
        values = track(vals, node, (input,))
    return getattr(return_types, name)(values, wrap(idx))


def cummax(input, dim):
    """The running maximum along ``dim`` and where it was found (the latest of equal values;
    NaN propagates).

    Example::

        >>> ember.cummax(ember.tensor([1., 3., 2., 5.]), 0).values
        tensor([1., 3., 3., 5.])
    """
    return _cum_extreme(input, dim, "maximum", CummaxBackward0, "cummax")


def cummin(input, dim):
    """The running minimum along ``dim`` and where it was found (as :func:`cummax`)."""
    return _cum_extreme(input, dim, "minimum", CumminBackward0, "cummin")


methods(cummax=cummax, cummin=cummin, diff=diff, cumsum=cumsum, cumprod=cumprod,
        cumsum_=inplace_method(cumsum),
        cumprod_=inplace_method(cumprod))

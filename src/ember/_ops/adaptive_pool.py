"""Adaptive pooling over the last 1-3 dims: output position ``i`` of a dim of size ``n`` pools
input ``[floor(i * n / out), ceil((i + 1) * n / out))`` (PyTorch's windows).

Average pooling is separable: one dim at a time, a reshape-and-mean where the windows are uniform
(``n % out == 0``, global pooling included) and a small averaging matrix elsewhere; its adjoint is
the transpose. Max pooling reuses ``pool.py``'s running max over *taps*: windows of one dim have at
most ``L`` elements, and tap ``j`` gathers element ``min(start + j, end - 1)`` of every window (the
repeated last element never wins a tie, so indices match PyTorch's first maximum). Max is
separable too, indices included: one dim at a time, ``L`` gathers per dim.
"""
import math

import numpy as np

from ember._backend import xp_of
from ember._ops import pool
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = []


def bounds(n, out):
    """Start and end (exclusive) of each adaptive window along a dim."""
    o = np.arange(out)
    return (o * n) // out, -((-(o + 1) * n) // out)


# ---- average -------------------------------------------------------------------------------------
def _avg_matrix(n, out, dtype):
    start, end = bounds(n, out)
    i = np.arange(n)
    m = (i >= start[:, None]) & (i < end[:, None])
    return (m / (end - start)[:, None]).astype(dtype)


def _along(a, axis, fn):
    """``fn`` applied to ``a`` with ``axis`` moved last, the result moved back."""
    return xp_of(a).moveaxis(fn(xp_of(a).moveaxis(a, axis, -1)), -1, axis)


def avg_apply(x, ins, outs, adjoint=False):
    """Adaptive averages of ``x`` (``ins`` to ``outs`` over its last dims); with ``adjoint``, the
    transpose map (from ``outs``-sized ``x`` back to ``ins``), which is the backward."""
    xp = xp_of(x)
    nd = len(ins)
    dt = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    a = x.astype(dt, copy=False)
    for i, (n, o) in enumerate(zip(ins, outs)):
        ax = a.ndim - nd + i
        if n == o:
            continue
        if o and n % o == 0:
            k = n // o
            if adjoint:
                a = xp.repeat(a / dt.type(k), k, axis=ax)
            else:
                a = a.reshape(a.shape[:ax] + (o, k) + a.shape[ax + 1:]).mean(axis=ax + 1)
        else:
            m = xp.asarray(_avg_matrix(n, o, dt))
            a = _along(a, ax, (lambda v, m=m: v @ m) if adjoint else (lambda v, m=m: v @ m.T))
    return a.astype(x.dtype, copy=False)


class _AdaptiveAvgBackward(Node):
    def backward(self, g):
        return avg_op(g, self.ins, self.outs, not self.adjoint)


_AVG = {nd: type(f"AdaptiveAvgPool{nd}DBackward0", (_AdaptiveAvgBackward,), {}) for nd in (2, 3)}
_AVG_BB = {nd: type(f"AdaptiveAvgPool{nd}DBackwardBackward0", (_AdaptiveAvgBackward,), {})
           for nd in (2, 3)}


def avg_op(input, ins, outs, adjoint=False):
    """:func:`avg_apply` on a Tensor, recorded."""
    r = avg_apply(input._data, ins, outs, adjoint)
    if STATE.enabled and input._rg:
        node = (_AVG_BB if adjoint else _AVG)[max(len(ins), 2)]()
        node.ins, node.outs, node.adjoint = ins, outs, adjoint
        return track(r, node, (input,))
    return wrap(r)


def adaptive_avg_pool(input, outs):
    """Adaptive average pooling of a Tensor to the sizes ``outs`` of its last dims."""
    return avg_op(input, tuple(input._data.shape[-len(outs):]), tuple(outs))


# ---- max -----------------------------------------------------------------------------------------
def _tables(n, out):
    """``(out, L)`` input positions of each window, its last one repeated to a common length
    (a repeat never wins: ties go to the first)."""
    start, end = bounds(n, out)
    span = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(span), end[:, None] - 1)


def max_apply(x, ins, outs):
    """Adaptive maxima of ``x`` and PyTorch's flat indices, one dim at a time (the maximum over a
    box is the maximum over rows of row maxima; keeping the first tie / last NaN at each stage
    keeps PyTorch's choice in row-major order). After each dim, the positions found for the dims
    done before are carried along with the rows chosen."""
    xp = xp_of(x)
    nd = len(ins)
    nan = pool.has_nan(x)
    a, pos = x, []
    for d in reversed(range(nd)):
        ax = a.ndim - nd + d
        t = _tables(ins[d], outs[d])
        taps = [xp.take(a, xp.asarray(t[:, j]), axis=ax) for j in range(t.shape[1])]
        a, arg = pool.running_max(taps, nan)
        shape = [1] * a.ndim
        shape[ax] = outs[d]
        src = xp.asarray(t)[xp.arange(outs[d]).reshape(shape), arg.astype(np.intp)]
        pos = [xp.take_along_axis(p, src, axis=ax) for p in pos]
        pos.insert(0, src)
    flat = 0
    for d, p in enumerate(pos):
        flat = flat + p * math.prod(ins[d + 1:])
    return a, flat


class _AdaptiveMaxBackward(Node):
    def backward(self, g):
        return pool.scatter_flat_op(g, self.idx, self.shape, self.nd)


_MAX = {nd: type(f"AdaptiveMaxPool{nd}DBackward0", (_AdaptiveMaxBackward,), {}) for nd in (2, 3)}


def adaptive_max_pool(input, outs):
    """Adaptive max pooling of a Tensor: ``(values, indices)``, indices flat in each plane."""
    nd = len(outs)
    ins = tuple(input._data.shape[-nd:])
    if 0 in outs:
        shape = input.shape[:-nd] + tuple(outs)
        idx = xp_of(input._data).zeros(shape, np.int64)
        return input.reshape(-1)[:0].reshape(shape), wrap(idx)
    if all(n % o == 0 for n, o in zip(ins, outs)):  # uniform windows: a plain max pool
        k = tuple(n // o for n, o in zip(ins, outs))
        w = pool.Window(ins, outs, k, k, (0,) * nd, (1,) * nd)
        return pool.max_pool(input, w, adaptive=True)
    vals, idx = max_apply(input._data, ins, tuple(outs))
    if STATE.enabled and input._rg:
        node = _MAX[max(nd, 2)]()
        node.idx, node.shape, node.nd = idx, input._data.shape, nd
        return track(vals, node, (input,)), wrap(idx)
    return wrap(vals), wrap(idx)

"""Adaptive pooling over the last 1-3 dims: output position ``i`` of a dim of size ``n`` pools
input ``[floor(i * n / out), ceil((i + 1) * n / out))`` (PyTorch's windows).

Average pooling is separable: one dim at a time, a reshape-and-mean where the windows are uniform
(``n % out == 0``, global pooling included) and a small averaging matrix elsewhere; its adjoint is
the transpose. Max pooling reuses ``pool.py``'s running max over *taps*: windows of one dim have at
most ``L`` elements, and tap ``j`` gathers element ``min(start + j, end - 1)`` of every window (the
repeated last element never wins a tie, so indices match PyTorch's first maximum).
"""
import itertools
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
class AdaptiveWindow:
    """Adaptive windows in the interface of ``pool.Window`` (taps gathered, not views)."""

    views = False

    def __init__(self, ins, outs):
        self.ins, self.outs = tuple(ins), tuple(outs)
        self.tables = []
        for n, o in zip(ins, outs):
            start, end = bounds(n, o)
            span = int((end - start).max())
            self.tables.append(np.minimum(start[:, None] + np.arange(span), end[:, None] - 1))
        self.k = tuple(t.shape[1] for t in self.tables)
        self.p = (0,) * len(ins)
        self.ntaps = math.prod(self.k)

    def padded(self, a, fill):
        return a

    def _grid(self, xp, cols):
        """Index arrays (one per dim, broadcasting over the output grid) for the tap ``cols``."""
        nd = len(self.ins)
        out = []
        for i, (t, c) in enumerate(zip(self.tables, cols)):
            shape = [1] * nd
            shape[i] = t.shape[0]
            out.append(xp.asarray(t[:, c].reshape(shape)))
        return out

    def taps(self, a):
        xp = xp_of(a)
        for j, cols in enumerate(itertools.product(*[range(k) for k in self.k])):
            yield j, a[(Ellipsis,) + tuple(self._grid(xp, cols))]

    def flat_index(self, arg):
        xp = xp_of(arg)
        nd = len(self.ins)
        flat = 0
        rest = arg.astype(np.int64)
        for i in reversed(range(nd)):
            col = rest % self.k[i]
            rest = rest // self.k[i]
            shape = [1] * arg.ndim
            shape[arg.ndim - nd + i] = self.outs[i]
            rows = xp.arange(self.outs[i]).reshape(shape)
            flat = flat + xp.asarray(self.tables[i])[rows, col] * math.prod(self.ins[i + 1:])
        return flat


def adaptive_max_pool(input, outs):
    """Adaptive max pooling of a Tensor: ``(values, indices)``, indices flat in each plane."""
    ins = tuple(input._data.shape[-len(outs):])
    if 0 in outs:
        shape = input.shape[:-len(outs)] + tuple(outs)
        idx = xp_of(input._data).zeros(shape, np.int64)
        return input.reshape(-1)[:0].reshape(shape), wrap(idx)
    if all(n % o == 0 for n, o in zip(ins, outs)):
        k = tuple(n // o for n, o in zip(ins, outs))
        w = pool.Window(ins, outs, k, k, (0,) * len(k), (1,) * len(k))
    else:
        w = AdaptiveWindow(ins, outs)
    return pool.max_pool(input, w, adaptive=True)

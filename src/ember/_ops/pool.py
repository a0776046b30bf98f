"""Sliding-window pooling over the last 1-3 dims: max pooling (with indices), average pooling and
max unpooling, each one primitive with a hand-written backward.

No loop runs over pixels or the batch. A window's elements are reached through *taps*: for kernel
offset ``j``, a strided view of the (padded) input holds the element at offset ``j`` of every
window at once, so an op is a handful of whole-array operations per kernel offset. Max pooling keeps
a running max and the tap it came from; its backward writes the gradient back through the same
views. Kernels with many offsets (global pooling) use one windowed view and a reduction instead.

Backward formulas are primitives too, in adjoint pairs (scatter / gather at the argmax, average /
its adjoint), so double backward works and costs nothing extra when it is not asked for.
"""
import itertools
import math

import numpy as np

from ember._backend import xp_of
from ember._ops import _parallel
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = []

_MANY_TAPS = 32  # above this many kernel offsets, one windowed reduction beats the tap loop


def out_size(n, k, p, s, d, ceil):
    """PyTorch's ``pooling_output_shape``: in ceil mode a last, partial window is kept only when it
    starts inside the input or the left padding."""
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


class Window:
    """The geometry of a pool over the last ``len(kernel)`` dims: output sizes, and the padded
    extent ``full`` that holds every window (the input sits at offset ``padding`` in it)."""

    def __init__(self, ins, outs, kernel, stride, padding, dilation):
        self.ins, self.outs = tuple(ins), tuple(outs)
        self.k, self.s, self.p, self.d = kernel, stride, padding, dilation
        span = [(o - 1) * s + d * (k - 1) + 1 for o, k, s, d in zip(outs, kernel, stride, dilation)]
        self.full = tuple(max(sp, n + p) for sp, n, p in zip(span, ins, padding))
        self.ntaps = math.prod(kernel)
        # windows of one tap never share an element; windows of different taps may
        self.overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))

    def _inner(self):
        return tuple(slice(p, p + n) for p, n in zip(self.p, self.ins))

    def padded(self, a, fill):
        """``a`` placed in a buffer of the padded extent filled with ``fill`` (``a`` itself when
        no padding is needed)."""
        if self.full == a.shape[-len(self.full):]:
            return a
        buf = xp_of(a).full(a.shape[:-len(self.full)] + self.full, fill, a.dtype)
        buf[(Ellipsis,) + self._inner()] = a
        return buf

    def cropped(self, buf):
        """The input region of a buffer of the padded extent."""
        if self.full == self.ins:
            return buf
        return buf[(Ellipsis,) + self._inner()]

    def taps(self, a):
        """``(j, view)`` for each kernel offset ``j`` (row-major over the kernel): ``view[..., o]``
        is element ``j`` of window ``o`` of the padded array ``a``."""
        ranges = [range(k) for k in self.k]
        for j, offs in enumerate(itertools.product(*ranges)):
            yield j, a[(Ellipsis,) + tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                                           for i, o, s, d in zip(offs, self.outs, self.s, self.d))]

    def windows(self, a):
        """A view ``(..., *outs, *kernel)`` of every window of the padded array ``a`` (writing
        through it is safe only when windows do not overlap)."""
        nd = len(self.k)
        st = a.strides[-nd:]
        shape = a.shape[:-nd] + self.outs + tuple(self.k)
        strides = (a.strides[:-nd] + tuple(x * s for x, s in zip(st, self.s))
                   + tuple(x * d for x, d in zip(st, self.d)))
        return xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)

    def flat_index(self, arg):
        """Taps (``arg``) to PyTorch's indices: flat positions in each input plane."""
        xp = xp_of(arg)
        nd = len(self.k)
        plane = [math.prod(self.ins[i + 1:]) for i in range(nd)]
        base = 0
        for i in range(nd):
            pos = (np.arange(self.outs[i]) * self.s[i] - self.p[i]) * plane[i]
            base = np.add.outer(base, pos) if i else pos
        offs = np.zeros(self.k, np.int64)
        for i in range(nd):
            shape = [1] * nd
            shape[i] = self.k[i]
            offs = offs + (np.arange(self.k[i]) * self.d[i] * plane[i]).reshape(shape)
        return xp.asarray(base) + xp.asarray(offs.ravel())[arg]

    def first_valid(self):
        """For each window, the first tap inside the input (PyTorch's index for a window whose
        elements are all -inf)."""
        arg = 0
        for i in range(len(self.k)):
            start = np.arange(self.outs[i]) * self.s[i] - self.p[i]
            f = np.maximum(-(start // self.d[i]), 0)  # ceil(-start / d), at least 0
            arg = np.add.outer(arg * self.k[i], f) if i else f
        return arg


def lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# ---- max pooling ---------------------------------------------------------------------------------
def has_nan(x):
    return x.dtype.kind == "f" and x.size and bool(xp_of(x).isnan(x.max()))


def running_max(taps, nan, low=None, start=None):
    """The elementwise maximum of the arrays ``taps`` and the index of the tap it came from: the
    first of ties, the last NaN (PyTorch's ``val > max || isnan(val)``). ``start`` (with ``low``)
    is the index to report where every tap holds ``low`` (padding never wins)."""
    xp = xp_of(taps[0])
    tdt = np.uint8 if len(taps) <= 256 else np.int32
    if not nan:
        # NOTE: maxima first, then the first tap equal to each: a few fast whole-array ops per
        # tap, where updating a running argmax needs slow masked copies
        best = taps[0].copy()
        for v in taps[1:]:
            xp.maximum(best, v, out=best)
        if start is None or not bool((best == low).any()):  # else a padding tap might tie
            arg = xp.zeros(best.shape, tdt)
            eq = xp.empty(best.shape, bool)
            for j in reversed(range(len(taps))):
                xp.equal(taps[j], best, out=eq)
                arg -= (arg - tdt(j)) * eq
            return best, arg
    # the exact rule, one masked update per tap
    if start is None:
        best, arg, first = taps[0].copy(), xp.zeros(taps[0].shape, tdt), 1
    else:
        best = xp.full(taps[0].shape, low, taps[0].dtype)
        arg, first = xp.broadcast_to(xp.asarray(start.astype(tdt)), best.shape).copy(), 0
    upd = xp.empty(best.shape, bool)
    for j in range(first, len(taps)):
        v = taps[j]
        xp.greater(v, best, out=upd)
        if nan:
            upd |= xp.isnan(v)
        xp.copyto(best, v, where=upd)
        xp.copyto(arg, tdt(j), where=upd)
    return best, arg


def max_forward(x, w):
    """Window maxima of ``x`` and the tap of each (the first of ties, the last NaN, as PyTorch)."""
    xp = xp_of(x)
    low = lowest(x.dtype)
    xpad = w.padded(x, low)
    nan = has_nan(x)
    if w.ntaps > _MANY_TAPS and not nan and not any(w.p):
        win = w.windows(xpad)
        win = win.reshape(win.shape[:-len(w.k)] + (-1,))
        arg = win.argmax(-1).astype(np.uint8 if w.ntaps <= 256 else np.int32)
        return xp.take_along_axis(win, arg[..., None].astype(np.intp), -1)[..., 0], arg
    taps = [v for _, v in w.taps(xpad)]
    return running_max(taps, nan, low, w.first_valid() if any(w.p) else None)


def scatter_taps(g, arg, w, shape, out=None):
    """The adjoint of :func:`gather_taps`: ``g`` added at the input position of each window's
    tap ``arg``; ``shape`` is the input's. Written into ``out`` when given."""
    xp = xp_of(g)
    # NOTE: overlapping windows (3x3 stride 2) need an add per tap: one bincount of flat indices
    # is ~3x faster than 9 masked adds through strided views
    if w.ntaps > _MANY_TAPS or w.overlap and xp is np:
        r = scatter_flat(g, w.flat_index(arg), shape, len(w.k))
        if out is None:
            return r
        out[...] = r
        return out
    if out is not None and w.full == w.ins:
        buf = out
        buf[...] = 0
    else:
        buf = xp.zeros(shape[:-len(w.k)] + w.full, g.dtype)
    m = xp.empty(g.shape, bool)
    for j, v in w.taps(buf):
        xp.equal(arg, j, out=m)
        if w.overlap:
            v += g * m
        else:
            xp.multiply(g, m, out=v)
    r = w.cropped(buf)
    if out is not None and r is not out:
        out[...] = r
        return out
    return r


def gather_taps(x, arg, w):
    """Element ``arg`` of each window of ``x``."""
    xp = xp_of(x)
    if w.ntaps > _MANY_TAPS:
        return gather_flat(x, w.flat_index(arg), len(w.k))
    xpad = w.padded(x, 0)
    out = xp.zeros(arg.shape, x.dtype)
    m = xp.empty(arg.shape, bool)
    for j, v in w.taps(xpad):
        xp.equal(arg, j, out=m)
        out += v * m
    return out


def scatter_flat(g, idx, shape, nd):
    """``g`` added into zeros of ``shape`` at flat positions ``idx`` (shaped like ``g``) of each
    trailing ``nd``-dim plane."""
    xp = xp_of(g)
    planes, size = math.prod(shape[:-nd]), math.prod(shape[-nd:])
    flat = (idx.reshape(planes, math.prod(idx.shape[-nd:]))
            + xp.arange(planes)[:, None] * size).ravel()
    r = xp.bincount(flat, weights=g.reshape(-1), minlength=planes * size)
    return r.astype(g.dtype, copy=False).reshape(shape)


def gather_flat(x, idx, nd):
    """Elements of ``x`` at flat positions ``idx`` in each of its trailing ``nd``-dim planes."""
    xp = xp_of(x)
    planes = math.prod(x.shape[:-nd])
    x2 = x.reshape(planes, math.prod(x.shape[-nd:]))
    i2 = idx.reshape(planes, math.prod(idx.shape[-nd:]))
    return xp.take_along_axis(x2, i2, 1).reshape(idx.shape)


class _MaxPoolBackward(Node):
    def backward(self, g):
        return scatter_taps_op(g, self.arg, self.w, self.shape, self.adaptive)


class _MaxPoolBackwardBackward(Node):
    def backward(self, gg):
        return gather_taps_op(gg, self.arg, self.w)


class _MaxPoolDoubleBackward(Node):
    def backward(self, g):
        return scatter_taps_op(g, self.arg, self.w, self.shape)


# PyTorch's grad_fn names, by (adaptive, number of pooled dims)
_MAXPOOL = {(a, nd): type(f"{'Adaptive' if a else ''}MaxPool{nd}D{'' if a else 'WithIndices'}"
                          "Backward0", (_MaxPoolBackward,), {})
            for a in (False, True) for nd in (2, 3)}
_MAXPOOL_BB = {(a, nd): type(f"{'Adaptive' if a else ''}MaxPool{nd}D{'' if a else 'WithIndices'}"
                             "BackwardBackward0", (_MaxPoolBackwardBackward,), {})
               for a in (False, True) for nd in (2, 3)}


def _batch_spans(x, w):
    """Spans of the batch (the dims before the pooled ones) to pool on separate threads; a single
    span for small inputs, CuPy arrays or no batch dim."""
    if type(x) is not np.ndarray or x.ndim <= len(w.k):
        return [None]
    return _parallel.spans(x.shape[0], x.size)


def _max_forward(x, w):
    """:func:`max_forward`, the batch cut into spans run on threads when it is large."""
    spans = _batch_spans(x, w)
    if len(spans) == 1:
        return max_forward(x, w)
    parts = _parallel.run(lambda i: max_forward(x[spans[i][0]:spans[i][1]], w), len(spans))
    return tuple(np.concatenate(r) for r in zip(*parts))


def _scatter_taps(g, arg, w, shape):
    """:func:`scatter_taps`, the batch cut into spans run on threads when it is large."""
    spans = _batch_spans(g, w)
    if len(spans) == 1:
        return scatter_taps(g, arg, w, shape)
    out = np.empty(shape, g.dtype)
    _parallel.run(lambda i: scatter_taps(g[spans[i][0]:spans[i][1]], arg[spans[i][0]:spans[i][1]],
                                         w, (spans[i][1] - spans[i][0],) + tuple(shape[1:]),
                                         out[spans[i][0]:spans[i][1]]), len(spans))
    return out


def scatter_taps_op(g, arg, w, shape, adaptive=False):
    """:func:`scatter_taps` on a Tensor, recorded when ``g`` needs grad (double backward)."""
    r = _scatter_taps(g._data, arg, w, shape)
    if STATE.enabled and g._rg:
        node = _MAXPOOL_BB[(adaptive, max(len(w.k), 2))]()
        node.arg, node.w = arg, w
        return track(r, node, (g,))
    return wrap(r)


def gather_taps_op(x, arg, w):
    r = gather_taps(x._data, arg, w)
    if STATE.enabled and x._rg:
        node = _MaxPoolDoubleBackward()
        node.arg, node.w, node.shape = arg, w, x._data.shape
        return track(r, node, (x,))
    return wrap(r)


def max_pool(input, w, with_indices=True, adaptive=False):
    """Max pooling of a Tensor over the window ``w``: ``(values, indices)`` Tensors (indices int64,
    flat in each input plane), or ``(values, None)`` when the indices are not asked for."""
    x = input._data
    vals, arg = _max_forward(x, w)
    idx = wrap(w.flat_index(arg)) if with_indices else None
    if STATE.enabled and input._rg:
        node = _MAXPOOL[(adaptive, max(len(w.k), 2))]()
        node.arg, node.w, node.shape, node.adaptive = arg, w, x.shape, adaptive
        return track(vals, node, (input,)), idx
    return wrap(vals), idx


# ---- average pooling -----------------------------------------------------------------------------
def avg_divisor(w, count_include_pad, divisor_override):
    """Each window's divisor (an int array over the output positions, or the override): its size
    clipped to the padded input, or to the input when padding is not counted (PyTorch's rule)."""
    if divisor_override:
        return divisor_override
    div = 1
    for i, (n, o, k, s, p) in enumerate(zip(w.ins, w.outs, w.k, w.s, w.p)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        cnt = end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
        div = np.multiply.outer(div, cnt) if i else cnt
    return div


def _acc_dtype(dt):
    if dt.kind in "iub":
        return np.dtype(np.int64)
    return np.dtype(np.float32) if dt == np.float16 else dt


def _divide(acc, div, dtype):
    xp = xp_of(acc)
    if not isinstance(div, int):
        div = xp.asarray(div)
    if acc.dtype.kind == "i":  # integer pooling truncates toward zero, as C++ division
        q = xp.abs(acc) // div
        return xp.where(acc < 0, -q, q).astype(dtype, copy=False)
    if not isinstance(div, int):
        div = div.astype(acc.dtype)
    return (acc / div).astype(dtype, copy=False)


def avg_forward(x, w, div):
    """Window sums of ``x`` (zero padded) over ``div``."""
    adt = _acc_dtype(x.dtype)
    xpad = w.padded(x, 0)
    if w.ntaps > _MANY_TAPS:
        acc = w.windows(xpad).sum(axis=tuple(range(-len(w.k), 0)), dtype=adt)
    else:
        taps = w.taps(xpad)
        acc = next(taps)[1].astype(adt, copy=True)
        for _, v in taps:
            acc += v
    return _divide(acc, div, x.dtype)


def avg_adjoint(g, w, div, shape):
    """The adjoint of :func:`avg_forward` (its backward): ``g / div`` spread over each window."""
    xp = xp_of(g)
    gs = _divide(g.astype(_acc_dtype(g.dtype)), div, g.dtype)
    buf = xp.zeros(shape[:-len(w.k)] + w.full, g.dtype)
    if w.ntaps > _MANY_TAPS and not w.overlap:
        win = w.windows(buf)
        win[...] = gs.reshape(gs.shape + (1,) * len(w.k))
    else:
        for _, v in w.taps(buf):
            if w.overlap:
                v += gs
            else:
                v[...] = gs
    return w.cropped(buf)


class _AvgPoolBackward(Node):
    def backward(self, g):
        return avg_adjoint_op(g, self.w, self.div, self.shape)


class _AvgPoolBackwardBackward(Node):
    def backward(self, gg):
        return avg_pool(gg, self.w, self.div)


_AVGPOOL = {nd: type(f"AvgPool{nd}DBackward0", (_AvgPoolBackward,), {}) for nd in (2, 3)}
_AVGPOOL_BB = {nd: type(f"AvgPool{nd}DBackwardBackward0", (_AvgPoolBackwardBackward,), {})
               for nd in (2, 3)}


def avg_pool(input, w, div):
    """Average pooling of a Tensor over the window ``w`` with divisors ``div``."""
    x = input._data
    r = avg_forward(x, w, div)
    if STATE.enabled and input._rg:
        node = _AVGPOOL[max(len(w.k), 2)]()
        node.w, node.div, node.shape = w, div, x.shape
        return track(r, node, (input,))
    return wrap(r)


def avg_adjoint_op(g, w, div, shape):
    r = avg_adjoint(g._data, w, div, shape)
    if STATE.enabled and g._rg:
        node = _AVGPOOL_BB[max(len(w.k), 2)]()
        node.w, node.div = w, div
        return track(r, node, (g,))
    return wrap(r)


# ---- max unpooling -------------------------------------------------------------------------------
class _GatherFlatBackward(Node):
    def backward(self, g):
        return scatter_flat_op(g, self.idx, self.shape, self.nd)


class _ScatterFlatBackward(Node):
    def backward(self, g):
        return gather_flat_op(g, self.idx, self.nd)


_UNPOOL = {nd: type(f"MaxUnpool{nd}DBackward0", (_ScatterFlatBackward,), {}) for nd in (2, 3)}


def gather_flat_op(x, idx, nd):
    """:func:`gather_flat` on a Tensor, recorded."""
    r = gather_flat(x._data, idx, nd)
    if STATE.enabled and x._rg:
        node = _GatherFlatBackward()
        node.idx, node.shape, node.nd = idx, x._data.shape, nd
        return track(r, node, (x,))
    return wrap(r)


def scatter_flat_op(g, idx, shape, nd):
    r = scatter_flat(g._data, idx, shape, nd)
    if STATE.enabled and g._rg:
        node = _ScatterFlatBackward()
        node.idx, node.nd = idx, nd
        return track(r, node, (g,))
    return wrap(r)


def max_unpool(input, indices, out_sizes):
    """Each value of ``input`` written at its flat index (``indices``) in zero planes of
    ``out_sizes``; the partial inverse of max pooling."""
    x, idx = input._data, indices._data
    xp = xp_of(x)
    nd = len(out_sizes)
    shape = x.shape[:-nd] + tuple(out_sizes)
    size = math.prod(out_sizes)
    planes = math.prod(x.shape[:-nd])
    i2 = idx.reshape(planes, math.prod(idx.shape[-nd:]))
    if i2.size:
        bad = (i2 < 0) | (i2 >= size)
        if bool(bad.any()):
            first = int(i2.ravel()[int(bad.ravel().argmax())])
            raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                               f"{'x'.join(map(str, out_sizes))})")
    r = xp.zeros((planes, size), x.dtype)
    r[xp.arange(planes)[:, None], i2] = x.reshape(planes, -1)
    r = r.reshape(shape)
    if STATE.enabled and input._rg:
        node = _UNPOOL[max(nd, 2)]()
        node.idx, node.nd = idx, nd
        return track(r, node, (input,))
    return wrap(r)

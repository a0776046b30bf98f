"""Resampling (``F.interpolate``'s nearest, nearest-exact, linear / bilinear / trilinear and bicubic
modes) as one primitive over the last 1-3 dims.

Every mode is separable: along each dim, output ``o`` is a weighted sum of a few inputs (1 for
nearest, 2 for linear, 4 for bicubic), at PyTorch's source indices and weights, computed in its
precision (float32 for float32 and float16 inputs). The op applies the dims one after another.
Along one dim the map is a sparse ``(out, in)`` matrix: for short dims it is applied as a dense
matrix product (a BLAS call), otherwise by gathering the taps; the backward is its transpose
(scatter-add of the taps), and the transpose's backward is the map again, so double backward works.
"""
import math

import numpy as np

from ember._backend import xp_of
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = []

_DENSE = 256  # up to this many inputs along a dim, a dense matrix product beats gathering


def _f(dt):
    """PyTorch's ``opmath_t`` for the index arithmetic: float32 unless the input is float64."""
    return np.float64 if dt == np.float64 else np.float32


def _scale(n, out, align_corners, scale, dt):
    """``area_pixel_compute_scale``: input step per output step."""
    t = _f(dt)
    if align_corners:
        return t(n - 1) / t(out - 1) if out > 1 else t(0)
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(n) / t(out)


def nearest_taps(n, out, scale, exact, dt):
    """Source index of each output: ``floor(o * scale)`` ('nearest', PyTorch's historical rule) or
    ``floor((o + 0.5) * scale)`` ('nearest-exact'), clipped to the input."""
    o = np.arange(out)
    if out == n:
        return [(o, None)]
    if out == 2 * n:
        return [(o >> 1, None)]
    if scale is not None and scale > 0:
        s = np.float32(1.0 / scale)
    else:
        s = np.float32(n) / np.float32(out)
    src = (o.astype(np.float32) + np.float32(0.5)) * s if exact else o.astype(np.float32) * s
    return [(np.minimum(np.floor(src).astype(np.int64), n - 1), None)]


def _guard(real, n):
    """PyTorch's ``guard_index_and_lambda``: the floor index (at most ``n - 1``), the fraction."""
    idx = np.minimum(np.floor(real).astype(np.int64), n - 1)
    lam = np.clip(real - idx.astype(real.dtype), 0, 1).astype(real.dtype)
    return idx, lam


def linear_taps(n, out, align_corners, scale, dt):
    """Two taps per output: ``(i0, 1 - l), (i1, l)`` at PyTorch's source index."""
    t = _f(dt)
    if out == n:
        return [(np.arange(out), None)]
    s = _scale(n, out, align_corners, scale, dt)
    o = np.arange(out).astype(t)
    real = s * o if align_corners else np.maximum(s * (o + t(0.5)) - t(0.5), t(0))
    i0, l1 = _guard(real, n)
    i1 = i0 + (i0 < n - 1)
    return [(i0, t(1) - l1), (i1, l1)]


def cubic_taps(n, out, align_corners, scale, dt):
    """Four taps per output (indices clamped to the input) with the cubic convolution weights
    of Keys' kernel, ``A = -0.75``, as PyTorch's bicubic."""
    t = _f(dt)
    s = _scale(n, out, align_corners, scale, dt)
    o = np.arange(out).astype(t)
    real = s * o if align_corners else s * (o + t(0.5)) - t(0.5)
    i0, lam = _guard(real, n)
    a = t(-0.75)

    def conv1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    one = t(1)
    ws = [conv2(lam + one), conv1(lam), conv1(one - lam), conv2(one - lam + one)]
    return [(np.clip(i0 - 1 + j, 0, n - 1), w.astype(t)) for j, w in enumerate(ws)]


def aa_taps(n, out, align_corners, scale, dt, cubic):
    """Antialiased taps (PyTorch's ``_compute_weights_aa``, as PIL): when shrinking, the linear or
    cubic (``a = -0.5``) filter is stretched by the scale, so every input contributes; weights are
    normalised per output. Unused taps get weight 0."""
    t = _f(dt)
    s = _scale(n, out, align_corners, scale, dt)
    interp = 4 if cubic else 2
    support = t(interp * 0.5 * s) if s >= 1 else t(interp * 0.5)
    invscale = t(1.0 / s) if s >= 1 else t(1)
    center = (np.float64(s) * (np.arange(out) + 0.5)).astype(t)
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
    xsize = np.minimum((center + support + 0.5).astype(np.int64), n) - xmin
    j = np.arange(int(xsize.max()))
    x = np.abs((((j + xmin[:, None]) - center[:, None]) + 0.5) * invscale).astype(t)
    if cubic:
        a = t(-0.5)
        w = np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                     np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, t(0)))
    else:
        w = np.where(x < 1, 1 - x, t(0))
    w = np.where(j < xsize[:, None], w, t(0)).astype(t)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w).astype(t)
    idx = np.minimum(j + xmin[:, None], n - 1)
    return [(idx[:, i], w[:, i]) for i in range(len(j))]


class Plan:
    """One dim's map: ``n`` inputs to ``out`` outputs through ``taps`` (index, weight or None)."""

    def __init__(self, n, out, taps):
        self.n, self.out, self.taps = n, out, taps
        self._dense = {}

    def identity(self):
        return self.n == self.out and self.taps[0][1] is None and len(self.taps) == 1

    def matrix(self, dt, xp):
        key = (np.dtype(dt).str, xp.__name__)
        if key not in self._dense:
            m = np.zeros((self.out, self.n), dt)
            rows = np.arange(self.out)
            for idx, w in self.taps:
                np.add.at(m, (rows, idx), 1 if w is None else w)
            self._dense[key] = xp.asarray(m)
        return self._dense[key]

    def _dense_ok(self, a):
        return self.n <= _DENSE and self.out <= 8 * _DENSE and a.dtype.kind == "f" and bool(
            xp_of(a).isfinite(a).all())

    def apply(self, a, axis):
        """The map along ``axis`` of ``a``."""
        xp = xp_of(a)
        if self._dense_ok(a):
            return _matmul_along(a, self.matrix(a.dtype, xp), axis)
        r = None
        for idx, w in self.taps:
            v = xp.take(a, xp.asarray(idx), axis=axis)
            if w is not None:
                v = v * _along(xp.asarray(w.astype(a.dtype, copy=False)), axis, a.ndim)
            r = v if r is None else r + v
        return r

    def adjoint(self, g, axis):
        """The transpose map along ``axis``: ``out``-sized ``g`` back to ``n``."""
        xp = xp_of(g)
        if self._dense_ok(g):
            return _matmul_along(g, self.matrix(g.dtype, xp).T, axis)
        gm = xp.moveaxis(g, axis, -1)
        r = xp.zeros(gm.shape[:-1] + (self.n,), g.dtype)
        for idx, w in self.taps:
            v = gm if w is None else gm * xp.asarray(w.astype(g.dtype, copy=False))
            _add_at_last(r, xp.asarray(idx), v)
        return xp.moveaxis(r, -1, axis)


def _along(w, axis, ndim):
    return w.reshape((-1,) + (1,) * (ndim - 1 - axis))


def _matmul_along(a, m, axis):
    """``m @ a`` along ``axis`` (``m``: (out, in))."""
    if axis == a.ndim - 1:
        return a @ m.T
    xp = xp_of(a)
    if axis == a.ndim - 2:
        return xp.matmul(m, a)
    return xp.moveaxis(xp.moveaxis(a, axis, -1) @ m.T, -1, axis)


def _add_at_last(r, idx, v):
    """``r[..., idx] += v`` with repeated indices accumulating."""
    xp = xp_of(r)
    if xp is np:
        np.add.at(r, (Ellipsis, idx), v)
    else:  # CuPy
        import cupyx
        cupyx.scatter_add(r, (Ellipsis, idx), v)


def resample_array(x, plans, adjoint=False):
    """All dims' maps applied to the last ``len(plans)`` dims of ``x`` (or their transposes)."""
    nd = len(plans)
    dt = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    a = x.astype(dt, copy=False)
    for i, p in enumerate(plans):
        if not p.identity():
            ax = a.ndim - nd + i
            with np.errstate(invalid="ignore"):  # inf * 0 weight is NaN, as in PyTorch
                a = p.adjoint(a, ax) if adjoint else p.apply(a, ax)
    return a.astype(x.dtype, copy=False)


class _ResampleBackward(Node):
    def backward(self, g):
        return resample(g, self.plans, self.mode, not self.adjoint)


# grad_fn names: UpsampleBilinear2DBackward0 ...; their backward's: ...BackwardBackward0
_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
          "bilinear": "Bilinear", "trilinear": "Trilinear", "bicubic": "Bicubic"}
_NODES = {}


def _node(mode, nd, adjoint):
    key = (mode, nd, adjoint)
    if key not in _NODES:
        aa = "Aa" if mode.endswith("-aa") else ""
        name = (f"Upsample{_NAMES[mode.replace('-aa', '')]}{nd}D{aa}Backward"
                f"{'Backward' if adjoint else ''}0")
        _NODES[key] = type(name, (_ResampleBackward,), {})
    return _NODES[key]()


def resample(input, plans, mode, adjoint=False):
    """:func:`resample_array` on a Tensor, recorded with PyTorch's grad_fn name."""
    x = input._data
    if not x.size:
        shape = x.shape[:-len(plans)] + tuple(p.n if adjoint else p.out for p in plans)
        r = xp_of(x).zeros(shape, x.dtype)
    else:
        r = resample_array(x, plans, adjoint)
    if STATE.enabled and input._rg:
        node = _node(mode, len(plans), adjoint)
        node.plans, node.mode, node.adjoint = plans, mode, adjoint
        return track(r, node, (input,))
    return wrap(r)


def plans_for(mode, ins, outs, scales, align_corners, dt):
    """Each dim's :class:`Plan` for ``mode`` (``'bilinear-aa'`` and ``'bicubic-aa'`` for the
    antialiased ones); ``scales`` are the user's scale factors (or None)."""
    plans = []
    for n, o, s in zip(ins, outs, scales):
        if mode.endswith("-aa"):
            taps = aa_taps(n, o, align_corners, s, dt, mode == "bicubic-aa")
        elif mode in ("nearest", "nearest-exact"):
            taps = nearest_taps(n, o, s, mode == "nearest-exact", dt)
        elif mode == "bicubic":
            taps = cubic_taps(n, o, align_corners, s, dt)
        else:
            taps = linear_taps(n, o, align_corners, s, dt)
        plans.append(Plan(n, o, taps))
    return plans


def size_of(x, scale):
    """PyTorch's output size for a scale factor: ``floor(n * scale)``."""
    return int(math.floor(float(x) * scale))

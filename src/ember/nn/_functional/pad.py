"""``F.pad``: constant padding of any number of dims (negative amounts crop), and reflect,
replicate and circular padding of the last 1 to 3 dims.

Two primitives: constant padding (its gradient is the same op with the amounts negated) and an
index padding for the other modes: the output gathers ``x`` at a per-dim index map (mirrored,
clamped or wrapped positions), and its gradient is the adjoint, which sums the gradient back
through the same maps. Each is the other's backward, so double backward works.
"""
import numpy as np

from ember._backend import xp_of
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")
_NAMES = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}


# ---- constant ------------------------------------------------------------------------------------
class ConstantPadNdBackward0(Node):
    def backward(self, g):
        return _constant(g, [-p for p in self.pad], 0)


def _constant(input, pad, value):
    """``pad`` in PyTorch's order (last dim first, (before, after) pairs); negative crops."""
    x = input._data
    nd = x.ndim
    shape, dst, src = list(x.shape), [slice(None)] * nd, [slice(None)] * nd
    for i in range(len(pad) // 2):
        d = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = x.shape[d]
        shape[d] = n + lo + hi
        if shape[d] < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        a, b = max(lo, 0), max(min(n + lo, shape[d]), max(lo, 0))
        dst[d], src[d] = slice(a, b), slice(a - lo, b - lo)
    xp = xp_of(x)
    full = all(s.start == 0 and s.stop == m for s, m in zip(dst, shape) if s.start is not None)
    if full:
        r = xp.empty(shape, x.dtype)
    elif value == 0:
        r = xp.zeros(shape, x.dtype)
    else:
        r = xp.full(shape, value, x.dtype)
    r[tuple(dst)] = x[tuple(src)]
    if STATE.enabled and input._rg:
        node = ConstantPadNdBackward0()
        node.pad = list(pad)
        return track(r, node, (input,))
    return wrap(r)


# ---- reflect, replicate, circular: gather through index maps -------------------------------------
def _index_map(mode, n, lo, hi):
    """Which input position each output position ``-lo .. n + hi - 1`` reads."""
    if mode == "circular":  # NOTE: PyTorch crops first (negative amounts), then wraps what is left
        c0, c1 = max(-lo, 0), n - max(-hi, 0)
        if c1 <= c0:
            return np.arange(0)
        return c0 + np.arange(-max(lo, 0), c1 - c0 + max(hi, 0)) % (c1 - c0)
    p = np.arange(-lo, n + hi)
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p > n - 1, 2 * (n - 1) - p, p)
    return np.clip(p, 0, n - 1)


class _IndexPadBackward(Node):
    def name(self):
        return f"{_NAMES[self.mode]}{len(self.maps)}DBackward0"

    def backward(self, g):
        return _index_pad_adjoint(g, self)


class _IndexPadAdjointBackward(Node):
    def name(self):
        return f"{_NAMES[self.fwd.mode]}{len(self.fwd.maps)}DBackwardBackward0"

    def backward(self, g):
        return _index_pad(g, self.fwd.mode, self.fwd.maps, self.fwd.lows)


def _index_pad(input, mode, maps, lows):
    """Gather the last ``len(maps)`` dims of ``input`` through the index maps (one copy)."""
    x = input._data
    xp = xp_of(x)
    k = len(maps)
    ix = np.ix_(*maps) if k > 1 else (maps[0],)
    if xp is not np:
        ix = tuple(xp.asarray(i) for i in ix)
    r = x[(Ellipsis,) + tuple(ix)]
    if STATE.enabled and input._rg:
        node = _IndexPadBackward()
        node.mode, node.maps, node.lows, node.sizes = mode, maps, lows, x.shape[-k:]
        return track(r, node, (input,))
    return wrap(r)


def _index_pad_adjoint(grad, fwd):
    """Sum ``grad`` back through the index maps of ``fwd``: per dim, the identity part is one
    slice and only the padded positions (a few) are added one at a time."""
    r = grad._data
    k = len(fwd.maps)
    for i, (idx, lo, n) in enumerate(zip(fwd.maps, fwd.lows, fwd.sizes)):
        axis = r.ndim - k + i
        m = r.shape[axis]
        j0, j1 = max(0, lo), min(m, n + lo)  # outputs that read position j - lo unchanged
        shape = list(r.shape)
        shape[axis] = n
        out = xp_of(r).zeros(shape, r.dtype)
        pre = (slice(None),) * axis
        if j1 > j0:
            out[pre + (slice(j0 - lo, j1 - lo),)] = r[pre + (slice(j0, j1),)]
        for j in [*range(0, min(j0, m)), *range(max(j1, 0), m)]:
            out[pre + (int(idx[j]),)] += r[pre + (j,)]
        r = out
    if STATE.enabled and grad._rg:
        node = _IndexPadAdjointBackward()
        node.fwd = fwd
        return track(r, node, (grad,))
    return wrap(r)


# ---- F.pad ---------------------------------------------------------------------------------------
def _unsupported(k, nd):
    raise NotImplementedError(
        f"Padding size {2 * k} is not supported for {nd}D input tensor.\nSupported combinations "
        "for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
        "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: "
        "padding size = 6 (pads last 3 dimensions)")


def _check_index_pad(mode, shape, pad, k):
    nd = len(shape)
    if mode != "circular" and 0 in shape[1 if nd == k + 2 else 0:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{list(shape)}")
    for i in range(k):
        d = nd - 1 - i
        n, lo, hi = shape[d], pad[2 * i], pad[2 * i + 1]
        letter = "WHD"[i]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) at "
                               f"dimension {d} of input {list(shape)}")
        if mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + lo + hi < (1 if i else 0):  # (PyTorch allows an empty last dim only)
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        elif n + lo + hi < 1:
            raise RuntimeError(f"input ({letter}: {n}) is too small. Calculated output {letter}: "
                               f"{n + lo + hi}")


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last dims of a tensor.

    Args:
        input (Tensor): the tensor to pad.
        pad (tuple of ints): ``(before, after)`` amounts starting from the last dim:
            ``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last two...
        mode (str): ``'constant'`` (any number of dims), or ``'reflect'`` (mirror without
            repeating the edge), ``'replicate'`` (repeat the edge), ``'circular'`` (wrap around)
            for the last 1, 2 or 3 dims of a batched or unbatched input.
        value (float): the fill value of ``'constant'`` padding. Default: 0.

    Shape:
        Each padded dim grows by ``before + after``.

    Example::

        F.pad(ember.ones(1, 2, 3), (1, 1), value=0.5).shape          # ember.Size([1, 2, 5])
        F.pad(ember.randn(1, 3, 8, 8), (2, 2, 2, 2), mode='reflect')  # 12 x 12 images
    """
    pad = list(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {i}")
    pad = [int(p) for p in pad]
    nd = input._data.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{nd}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return _constant(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        _unsupported(k, nd)
    shape = input._data.shape
    _check_index_pad(mode, shape, pad, k)
    # maps in dim order (the pad tuple lists the last dim first)
    lows = [pad[2 * i] for i in reversed(range(k))]
    maps = [_index_map(mode, shape[nd - 1 - i], pad[2 * i], pad[2 * i + 1])
            for i in reversed(range(k))]
    return _index_pad(input, mode, maps, lows)

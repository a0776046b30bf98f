"""Convolutions whose output map is tiny (a few positions): one product per output position over
only the kernel taps that land on the input (arrays in, arrays out).

Deep layers of a network on small images see maps of 2x2 or 1x1, padded by one: a 3x3 kernel
over a 1x1 map touches the input with its centre tap only, and over a 2x2 map with 4 of its 9
taps per position. im2col would multiply the zero padding too, 9 or 2.25 times the work; here
each output position ``l`` gets its own product over the taps ``T_l`` that read data,
``y[:, :, l] = W[:, :, T_l] @ x[:, :, s(l, T_l)]`` with the batch as the short side. Measured on
ResNet-18 at 32x32 (batch 32): the last two stages' convolutions 2-4x faster.
"""
import functools
import itertools

import numpy as np

from ember._backend import xp_of
from ember._ops import _parallel
from ember._ops._im2col import _prod

MAX_POSITIONS = 4  # used for output maps of at most this many positions


def useful(g, groups):
    return groups == 1 and _prod(g.L) <= MAX_POSITIONS


@functools.lru_cache(maxsize=256)
def _plan(g, K):
    """``(used, per_position)``: the flat kernel taps that read data at some output position,
    and per output position ``(flat input indices, indices into used)`` of its taps."""
    per, used = [], []
    for l in itertools.product(*map(range, g.L)):
        src, taps = [], []
        for ki, k in enumerate(itertools.product(*map(range, K))):
            s = [a * st + b * d - lo for a, b, st, d, lo in zip(l, k, g.stride, g.dilation, g.lo)]
            if all(0 <= v < n for v, n in zip(s, g.S)):
                flat = 0
                for v, n in zip(s, g.S):
                    flat = flat * n + v
                src.append(flat)
                taps.append(ki)
        per.append((src, taps))
        used += [k for k in taps if k not in used]
    used.sort()
    return used, [(src, [used.index(k) for k in taps]) for src, taps in per]


def _gather(xf, src):
    """``xf`` (B, C, S) -> ``(t * C, B)`` of the inputs at ``src`` (row order tap, channel)."""
    B, C = xf.shape[:2]
    return xp_of(xf).ascontiguousarray(xf[:, :, src].transpose(2, 1, 0)).reshape(-1, B)


def _taps_first(w, used):
    """``w`` (O, C, *K) -> ``(O, len(used), C)``: the used taps, each a contiguous (O, C)
    block, so that a position's weights are a cheap row gather."""
    O, C = w.shape[:2]
    w3 = w.reshape(O, C, -1)
    # NOTE: a run of taps is a slice (a view): a fancy index would copy once more (0.3 -> 0.17 ms
    # for a 256x256x3x3 weight)
    taps = slice(used[0], used[-1] + 1) if used and used[-1] - used[0] == len(used) - 1 else used
    return xp_of(w).ascontiguousarray(w3[:, :, taps].transpose(0, 2, 1))


def forward(x, w, g, bias=None):
    """Convolution ``x`` (B, C, *S) by ``w`` (O, C, *K) -> (B, O, *L), one group. The output
    channels are cut into spans run on threads when the weight is large."""
    xp = xp_of(x)
    B, C = x.shape[:2]
    O = w.shape[0]
    used, plan = _plan(g, tuple(w.shape[2:]))
    xf = x.reshape(B, C, -1)
    cols = [_gather(xf, src) if taps else None for src, taps in plan]
    y = xp.zeros((B, O, _prod(g.L)), x.dtype)
    spans = _spans(xp, O, w.size)

    def part(i):
        o0, o1 = spans[i]
        wt = _taps_first(w[o0:o1], used)
        for l, (src, taps) in enumerate(plan):
            if taps:
                y[:, o0:o1, l] = (wt[:, taps].reshape(o1 - o0, -1) @ cols[l]).T
    _parallel.run(part, len(spans))
    if bias is not None:
        y += bias.reshape(O, 1)
    return y.reshape((B, O) + tuple(g.L))


def backward(x, w, gy, g, need_x, need_w, wshape):
    """Gradients of :func:`forward` (as ``_conv_chunks.backward``): the weight gradient cut by
    output channel, the input gradient by input channel, into spans run on threads."""
    xp = xp_of(gy)
    B, O = gy.shape[:2]
    C, nk = wshape[1], _prod(wshape[2:])
    used, plan = _plan(g, tuple(wshape[2:]))
    gyf = gy.reshape(B, O, -1)
    gx = xp.zeros((B, C, _prod(g.S)), gy.dtype) if need_x else None
    gw = None  # every tap's gradient is written when every tap reads data somewhere
    if need_w:
        gw = (xp.empty if len(used) == nk else xp.zeros)((O, C, nk), gy.dtype)
    if need_w:
        xf = x.reshape(B, C, -1)
        cols = [_gather(xf, src).T if taps else None for src, taps in plan]  # (B, t * C)
    n = len(_spans(xp, O, O * C * nk))
    ospans, cspans = _split(O, n), _split(C, n)

    def part(i):
        o0, o1 = ospans[i]
        c0, c1 = cspans[i]
        if need_w and o1 > o0:  # taps are distinct within a position: no repeated index in +=
            gwt = xp.zeros((o1 - o0, len(used), C), gy.dtype)
            for l, (src, taps) in enumerate(plan):
                if taps:
                    gl = gyf[:, o0:o1, l]
                    gwt[:, taps] += (gl.T @ cols[l]).reshape(o1 - o0, len(taps), C)
            gw[o0:o1, :, used] = gwt.transpose(0, 2, 1)
        if need_x and c1 > c0:  # so are the input positions
            wt = _taps_first(w[:, c0:c1], used)  # (O, U, c)
            for l, (src, taps) in enumerate(plan):
                if taps:
                    gc = wt[:, taps].reshape(O, -1).T @ gyf[:, :, l].T  # (t * c, B)
                    gx[:, c0:c1, src] += gc.reshape(len(taps), c1 - c0, B).transpose(2, 1, 0)
    _parallel.run(part, n)
    return (None if gx is None else gx.reshape((B, C) + tuple(g.S)),
            None if gw is None else gw.reshape(wshape))


def _spans(xp, rows, elements):
    return _parallel.spans(rows, elements) if xp is np else [(0, rows)]


def _split(rows, n):
    step = -(-rows // n)
    return [(min(rows, i * step), min(rows, (i + 1) * step)) for i in range(n)]

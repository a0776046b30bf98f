"""Array kernels of convolution (NumPy or CuPy arrays in, arrays out; no autograd here).

A convolution is described by its :class:`Geom`: per spatial dim the size ``S`` of the side the
kernel slides over (the input of a convolution, the output of a transposed one), the number ``L``
of window positions, stride, dilation and the zero padding ``lo`` before the first element. Only
``lo`` is needed: the padded extent actually read is
``P = (L - 1) * stride + dilation * (K - 1) + 1``, so the padding after the last element (and any
tail a stride skips) follows from ``L``; this also covers PyTorch's asymmetric ``padding='same'``
and ``output_padding``.

The convolution's products run chunk by chunk in ``_conv_chunks``; this module has the
geometry, the zero padding, the strided window view (im2col without a copy) and :class:`Fold`
(col2im), also used whole by ``F.unfold`` / ``F.fold``.
"""
import itertools
from collections import namedtuple

from ember._backend import xp_of

Geom = namedtuple("Geom", "S L stride dilation lo")


def extent(g, K):
    """The padded extent read along each dim: ``(L - 1) * stride + dilation * (K - 1) + 1``."""
    return tuple((n - 1) * s + d * (k - 1) + 1
                 for n, s, d, k in zip(g.L, g.stride, g.dilation, K))


def _overlap(lo, S, P):
    """Where ``[0, S)`` (the data) lands in ``[0, P)`` (the padded extent), for slicing both."""
    a, b = max(lo, 0), min(lo + S, P)
    b = max(a, b)
    return slice(a, b), slice(a - lo, b - lo)


def padded(x, g, K):
    """``x`` (B, C, *S) zero-padded (or cut) to the extent the windows read. A view of ``x`` when
    no padding is needed, else one new array of the padded size."""
    P = extent(g, K)
    if all(lo == 0 and p <= s for lo, p, s in zip(g.lo, P, g.S)):
        return x[(Ellipsis,) + tuple(slice(0, p) for p in P)]
    xp = xp_of(x)
    out = xp.zeros(x.shape[:2] + P, x.dtype)
    dst, src = zip(*(_overlap(lo, s, p) for lo, s, p in zip(g.lo, g.S, P)))
    out[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
    return out


def windows(xpad, g, K):
    """The sliding windows of a padded ``(B, C, *P)`` array as a strided view
    ``(B, C, *K, *L)`` (no copy): ``view[b, c, k, l] = xpad[b, c, l * stride + k * dilation]``."""
    st = xpad.strides
    sp = st[2:]
    shape = xpad.shape[:2] + tuple(K) + tuple(g.L)
    strides = (st[0], st[1]) + tuple(s * d for s, d in zip(sp, g.dilation)) \
        + tuple(s * t for s, t in zip(sp, g.stride))
    return xp_of(xpad).lib.stride_tricks.as_strided(xpad, shape, strides)


class Fold:
    """col2im into ``out`` (n, C, *S): sum columns back onto the windows they were taken from;
    padding is dropped. Columns are ``(n, C, *K, *L)`` or, ``channels_last``, ``(n, *L, *K, C)``
    (any strides). Built once per geometry, so a convolution's backward can fold chunk after
    chunk with one accumulation buffer."""

    def __init__(self, g, K, C, nb, dtype, xp, channels_last=False):
        P = extent(g, K)
        d, cl = len(K), channels_last
        self.direct = not cl and all(lo == 0 and p == s for lo, p, s in zip(g.lo, P, g.S))
        if not self.direct:
            self.acc = xp.empty((nb,) + P + (C,) if cl else (nb, C) + P, dtype)
            dst, src = zip(*(_overlap(-lo, p, s) for lo, s, p in zip(g.lo, g.S, P)))
            self.dst = (Ellipsis,) + dst
            self.src = (slice(None),) + src + (slice(None),) if cl else (Ellipsis,) + src
            self.full = all(a.start == 0 and a.stop == s for a, s in zip(dst, g.S))
        self.move = (0, d + 1) + tuple(range(1, d + 1)) if cl else None
        # NOTE: one add per kernel offset: each adds all window positions of that offset at once
        head, tail = ((slice(None),), (slice(None),)) if cl else ((slice(None),) * 2, ())
        self.offsets = [((slice(None),) * (1 + d) + k + tail if cl else head + k,
                         head + tuple(slice(i * dl, i * dl + (m - 1) * s + 1, s) for i, dl, m, s
                                      in zip(k, g.dilation, g.L, g.stride)) + tail)
                        for k in itertools.product(*map(range, K))]

    def __call__(self, out, cols):
        n = out.shape[0]
        acc = out if self.direct else self.acc[:n]
        acc[...] = 0
        for src, dst in self.offsets:
            acc[dst] += cols[src]
        if not self.direct:
            if not self.full:
                out[...] = 0
            r = acc[self.src]
            out[self.dst] = r if self.move is None else r.transpose(self.move)
        return out


def col2im(cols, g):
    """The adjoint of :func:`windows` + crop: ``(B, C, *K, *L)`` -> ``(B, C, *S)``."""
    xp = xp_of(cols)
    B, C = cols.shape[:2]
    K = cols.shape[2:2 + len(g.S)]
    return Fold(g, K, C, B, cols.dtype, xp)(xp.empty((B, C) + tuple(g.S), cols.dtype), cols)


def _prod(t):
    r = 1
    for v in t:
        r *= v
    return r

"""Array kernels of convolution (NumPy or CuPy arrays in, arrays out; no autograd here).

A convolution is described by its :class:`Geom`: per spatial dim the size ``S`` of the side the
kernel slides over (the input of a convolution, the output of a transposed one), the number ``L``
of window positions, stride, dilation and the zero padding ``lo`` before the first element. Only
``lo`` is needed: the padded extent actually read is
``P = (L - 1) * stride + dilation * (K - 1) + 1``, so the padding after the last element (and any
tail a stride skips) follows from ``L``; this also covers PyTorch's asymmetric ``padding='same'``
and ``output_padding``.

Three kernels make every convolution, forward and backward (``G`` groups, ``K`` kernel positions):

- ``columns(x)``: im2col, one copy of a strided view into ``(G, C/G * K, B * L)``;
- ``forward(w, cols)``: one matrix product per group, ``(O/G, C/G * K) @ cols``;
- ``scatter(w, gy)``: the adjoint, ``w.T @ gy`` then col2im (a loop over the K offsets).

Columns are laid out channels-and-kernel by batch-and-positions, so each product is one large GEMM
over the whole batch; the price is a transpose of the (much smaller) output. The column buffer is
the only big temporary and is dropped as soon as its product is done.
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


def col2im(cols, g, out_dtype=None, channels_first=False):
    """The adjoint of :func:`windows` + crop: sum a ``(B, C, *K, *L)`` array (any strides) back
    into ``(B, C, *S)``. ``channels_first`` accumulates in (C, B) memory order, which is how the
    columns of :func:`scatter` are laid out (contiguous adds); the result is always (B, C)
    contiguous."""
    xp = xp_of(cols)
    n = len(g.S)
    B, C = cols.shape[:2]
    K = cols.shape[2:2 + n]
    P = extent(g, K)
    dtype = cols.dtype if out_dtype is None else out_dtype
    if channels_first:
        buf = xp.zeros((C, B) + P, dtype).swapaxes(0, 1)
    else:
        buf = xp.zeros((B, C) + P, dtype)
    # NOTE: one add per kernel offset (K of them): each adds all positions of that offset at once
    for k in itertools.product(*map(range, K)):
        dst = tuple(slice(i * d, i * d + (m - 1) * s + 1, s)
                    for i, d, m, s in zip(k, g.dilation, g.L, g.stride))
        buf[(slice(None), slice(None)) + dst] += cols[(slice(None), slice(None)) + k]
    return crop(buf, g)


def crop(buf, g):
    """The data region ``[lo, lo + S)`` of a padded-extent array ``(B, C, *P)``, as a new
    (B, C)-contiguous array; zeros where the extent does not reach."""
    xp = xp_of(buf)
    P = buf.shape[2:]
    dst, src = zip(*(_overlap(-lo, p, s) for lo, s, p in zip(g.lo, g.S, P)))
    full = all(d.start == 0 and d.stop == s for d, s in zip(dst, g.S))
    out = (xp.empty if full else xp.zeros)(buf.shape[:2] + tuple(g.S), buf.dtype)
    out[(Ellipsis,) + dst] = buf[(Ellipsis,) + src]
    return out


def columns(x, K, g, groups):
    """im2col: ``x`` (B, C, *S) -> ``(G, C/G * prod(K), B * prod(L))`` contiguous."""
    xp = xp_of(x)
    n = len(K)
    v = windows(padded(x, g, K), g, K)  # (B, C, *K, *L)
    order = (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))
    cols = xp.ascontiguousarray(v.transpose(order))  # (C, *K, B, *L): the only copy
    return cols.reshape(groups, x.shape[1] // groups * _prod(K), x.shape[0] * _prod(g.L))


def channels_first(y, groups):
    """``y`` (B, O, *L) -> ``(G, O/G, B * prod(L))`` contiguous (the layout of the products)."""
    xp = xp_of(y)
    t = xp.ascontiguousarray(y.swapaxes(0, 1))
    return t.reshape(groups, y.shape[1] // groups, y.shape[0] * _prod(y.shape[2:]))


def forward(w, cols, B, L, bias=None):
    """``w`` (O, C/G, *K) times columns -> (B, O, *L): one GEMM per group."""
    xp = xp_of(cols)
    G = cols.shape[0]
    O = w.shape[0]
    wm = w.reshape(G, O // G, _prod(w.shape[1:]))
    out = wm[0] @ cols[0] if G == 1 else xp.matmul(wm, cols)
    del cols  # (the caller passes the only reference: free it before the output's transpose)
    out = out.reshape((O, B) + tuple(L))
    if bias is not None:
        out += bias.reshape((O, 1) + (1,) * len(L))
    return xp.ascontiguousarray(out.swapaxes(0, 1))


def weight_grad(gy_cf, cols, wshape):
    """``sum over batch and positions of gy * columns``: (O, C/G, *K), one GEMM per group."""
    xp = xp_of(cols)
    # NOTE: a long inner dimension (B * L) and few output rows is OpenBLAS's slow case (several
    # times slower threaded); computing the transpose puts the larger side first
    if cols.shape[1] >= gy_cf.shape[1]:
        r = xp.matmul(cols, gy_cf.swapaxes(1, 2)).swapaxes(1, 2)
    else:
        r = xp.matmul(gy_cf, cols.swapaxes(1, 2))
    return xp.ascontiguousarray(r).reshape(wshape)


def scatter(w, gy, g, groups, gy_cf=None):
    """The adjoint of ``forward(w, columns(x))`` w.r.t. ``x``: ``gy`` (B, O, *L) -> (B, C, *S).
    This is also a transposed convolution's forward. ``gy_cf``: ``channels_first(gy)`` if the
    caller has it."""
    O, Cg = w.shape[:2]
    # the convolution's columns are O * prod(S) per kernel offset and image, col2im's C * prod(L):
    # take the stride-1 shortcut only when its buffer is no larger
    if all(s == 1 for s in g.stride) and O * _prod(g.S) <= groups * Cg * _prod(g.L):
        return _scatter_as_conv(w, gy, g, groups)
    xp = xp_of(gy)
    if gy_cf is None:
        gy_cf = channels_first(gy, groups)
    B = gy.shape[0]
    K = w.shape[2:]
    n = len(K)
    wm = w.reshape(groups, O // groups, _prod(w.shape[1:]))
    gc = xp.matmul(wm.swapaxes(1, 2), gy_cf)  # (G, Cg * K, B * L)
    gc = gc.reshape((groups * Cg,) + tuple(K) + (B,) + tuple(g.L))  # (C, *K, B, *L)
    order = (n + 1, 0) + tuple(range(1, n + 1)) + tuple(range(n + 2, 2 * n + 2))
    return col2im(gc.transpose(order), g, channels_first=True)


def _scatter_as_conv(w, gy, g, groups):
    """Stride 1: the adjoint is a plain convolution of ``gy`` with the kernel flipped and its
    channel axes swapped, padded by ``dilation * (K - 1) - lo``; this skips col2im's K passes
    over the input-sized buffer (about a third of the time of a backward)."""
    xp = xp_of(gy)
    O, Cg = w.shape[:2]
    K = w.shape[2:]
    n = len(K)
    wf = w.reshape((groups, O // groups, Cg) + tuple(K)).swapaxes(1, 2)
    wf = wf[(Ellipsis,) + (slice(None, None, -1),) * n]
    wf = xp.ascontiguousarray(wf).reshape((groups * Cg, O // groups) + tuple(K))
    gt = Geom(g.L, g.S, g.stride, g.dilation,
              tuple(d * (k - 1) - lo for d, k, lo in zip(g.dilation, K, g.lo)))
    return forward(wf, columns(gy, K, gt, groups), gy.shape[0], g.S)


def _prod(t):
    r = 1
    for v in t:
        r *= v
    return r

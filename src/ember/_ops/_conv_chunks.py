"""Convolution forward and backward over the batch in cache-sized chunks (arrays in, arrays out).

The geometry (:class:`~ember._ops._im2col.Geom`) and the strided-window view are in ``_im2col``;
this module runs the three products of a convolution:

- :func:`forward`: ``y = W @ im2col(x)``;
- :func:`backward`: ``gW = gy @ im2col(x).T`` and ``gx = col2im(W.T @ gy)`` in one pass; the input
  gradient alone is also a transposed convolution's forward.

Why chunks. im2col makes a buffer ``prod(kernel)`` times the input (42 MB for the MNIST network's
second convolution at batch 64). Written whole, the copy runs at memory speed and the matrix
product then reads it back from memory: the copy cost as much as half the product. Done a few
images at a time into one reused buffer of about L2 size, the copy stays in cache and the product
reads it from there; measured on 2 cores this makes im2col almost free, and peak memory no longer
grows with the column buffer. On a GPU (CuPy) the whole batch is one chunk.

Within a chunk, columns are laid out channels-and-kernel by images-and-positions, so each product
is one GEMM over all the chunk's images; the price is a transpose of the (smaller) output, also in
cache.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops import _conv_small, _parallel
from ember._ops._im2col import Fold, _overlap, _prod, extent, padded, windows

# NOTE: a few MB of columns per chunk (L2 is 1 MB a core, L3 tens of MB); but at least
# _MIN_COLUMNS column vectors, or the products get too thin for BLAS to run at full speed
_CHUNK_BYTES = 2 << 20
_MIN_COLUMNS = 512


class _Columns:
    """im2col of ``x`` (B, C, *S) a chunk of images at a time, into one reused buffer:
    ``cols(b0, b1)`` is ``(G, C/G * prod(K), (b1 - b0) * prod(L))``."""

    def __init__(self, x, K, g, groups, nb):
        xp = self.xp = xp_of(x)
        self.x, self.K, self.g, self.groups = x, tuple(K), g, groups
        B, C = x.shape[:2]
        n = len(K)
        self.nk, self.nl = _prod(K), _prod(g.L)
        P = extent(g, K)
        self.order = (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))
        if all(lo == 0 and p <= s for lo, p, s in zip(g.lo, P, g.S)):
            self.pad = None
            self.crop = (Ellipsis,) + tuple(slice(0, p) for p in P)
        else:  # zero borders once; each chunk only rewrites the interior
            dst, src = zip(*(_overlap(lo, s, p) for lo, s, p in zip(g.lo, g.S, P)))
            self.pad = _bordered(xp, (min(nb, B), C) + P, x.dtype, 2, dst)
            self.dst, self.src = (Ellipsis,) + dst, (Ellipsis,) + src
        self.buf = xp.empty(C * self.nk * min(nb, B) * self.nl, x.dtype)

    def __call__(self, b0, b1):
        n = b1 - b0
        if self.pad is None:
            xc = self.x[b0:b1][self.crop]
        else:
            xc = self.pad[:n]
            xc[self.dst] = self.x[b0:b1][self.src]
        C = self.x.shape[1]
        cols = self.buf[:C * self.nk * n * self.nl].reshape((C,) + self.K + (n,) + self.g.L)
        self.xp.copyto(cols, windows(xc, self.g, self.K).transpose(self.order))
        return cols.reshape(self.groups, C // self.groups * self.nk, n * self.nl)


def _bordered(xp, shape, dtype, first, inner):
    """An uninitialised array whose dims ``first, first + 1, ...`` are zero outside the slices
    ``inner``: the padding of a buffer whose interior each chunk overwrites (zeroing only the
    border, not a fresh buffer's every page)."""
    a = xp.empty(shape, dtype)
    for i, sl in enumerate(inner):
        head = (slice(None),) * (first + i)
        a[head + (slice(0, sl.start),)] = 0
        a[head + (slice(sl.stop, None),)] = 0
    return a


class _ColumnsLast:
    """im2col channels-last: ``cols(b0, b1)`` is ``((b1 - b0) * prod(L), prod(K) * C)``, rows
    ordered (image, *positions), columns (*kernel offsets, channel). The copy's inner loop runs
    over channels (and adjacent kernel offsets), not along a short image row."""

    def __init__(self, x, K, g, nb):
        xp = self.xp = xp_of(x)
        self.x, self.g = x, g
        B, C = x.shape[:2]
        d = len(K)
        self.nk, self.nl = _prod(K), _prod(g.L)
        P = extent(g, K)
        dst, src = zip(*(_overlap(lo, s, p) for lo, s, p in zip(g.lo, g.S, P)))
        self.pad = _bordered(xp, (min(nb, B),) + P + (C,), x.dtype, 1, dst)  # borders stay 0
        self.dst = (slice(None),) + dst + (slice(None),)
        self.src = (Ellipsis,) + src
        self.move = (0,) + tuple(range(2, 2 + d)) + (1,)
        st = self.pad.strides
        self.shape = tuple(g.L) + tuple(K) + (C,)
        self.strides = (tuple(a * b for a, b in zip(st[1:-1], g.stride))
                        + tuple(a * b for a, b in zip(st[1:-1], g.dilation)) + st[-1:])
        self.buf = xp.empty(min(nb, B) * self.nl * self.nk * C, x.dtype)

    def __call__(self, b0, b1):
        n = b1 - b0
        xc = self.pad[:n]
        xc[self.dst] = self.x[b0:b1][self.src].transpose(self.move)
        win = self.xp.lib.stride_tricks.as_strided(xc, (n,) + self.shape,
                                                    xc.strides[:1] + self.strides)
        cols = self.buf[:n * self.nl * self.nk * self.x.shape[1]].reshape((n,) + self.shape)
        self.xp.copyto(cols, win)
        return cols.reshape(n * self.nl, -1)


def _channels_last(C, g, groups, xp, B):
    """Whether to lay columns out channels-last. Measured (one core): faster from about 16
    channels, by up to 1.5x on deep layers over small images, where the channel-first copies'
    inner loop is a short image row; but with few output positions in all (a 1x1 map at batch
    32) its product has too few rows for BLAS. One group, NumPy only."""
    return xp is np and groups == 1 and C >= 16 and B * _prod(g.L) >= 256


def _chunk(x, per_image, nl):
    """Images per chunk: the whole batch on a GPU, else about ``_CHUNK_BYTES`` of columns
    (``per_image`` elements a image, ``nl`` positions), and at least one chunk per thread."""
    B = x.shape[0]
    if xp_of(x) is not np:
        return max(B, 1)
    n = max(_CHUNK_BYTES // max(per_image * x.itemsize, 1), -(-_MIN_COLUMNS // max(nl, 1)), 1)
    t = _parallel.workers(B)
    n = max(1, min(B, n, -(-B // t)))
    # NOTE: as many chunks for each thread (3 chunks on 2 threads take as long as 4)
    chunks = -(-B // n)
    return -(-B // (-(-chunks // t) * t)) if B else 1


def _split(B, nb):
    """The chunks ``[(b0, b1), ...]`` of a batch, dealt out to threads: ``(per thread, n)``."""
    chunks = [(b0, min(B, b0 + nb)) for b0 in range(0, B, nb)]
    n = _parallel.workers(len(chunks))
    return [chunks[i::n] for i in range(n)], n


def _mm(a, b, out):
    """``a @ b`` per group into ``out``; one plain GEMM when there is one group."""
    if a.shape[0] == 1:
        return xp_of(out).matmul(a[0], b[0], out=out[0])
    return xp_of(out).matmul(a, b, out=out)


def forward(x, w, g, groups, bias=None):
    """Convolution ``x`` (B, C, *g.S) by ``w`` (O, C/G, *K) -> (B, O, *g.L), plus ``bias``."""
    if _conv_small.useful(g, groups):
        return _conv_small.forward(x, w, g, bias)
    xp = xp_of(x)
    B = x.shape[0]
    O, K = w.shape[0], w.shape[2:]
    nl = _prod(g.L)
    nb = _chunk(x, x.shape[1] * _prod(K) * nl, nl)
    y = xp.empty((B, O) + tuple(g.L), x.dtype)
    parts, nt = _split(B, nb)
    if _channels_last(x.shape[1], g, groups, xp, B):
        wt = _weight_last(w)

        def part(i):
            cols = _ColumnsLast(x, K, g, nb)
            obuf = xp.empty((min(nb, B) * nl, O), x.dtype)
            for b0, b1 in parts[i]:
                n = b1 - b0
                o = obuf[:n * nl]
                xp.matmul(cols(b0, b1), wt, out=o)
                if bias is not None:
                    o += bias
                y[b0:b1].reshape(n, O, nl)[...] = o.reshape(n, nl, O).transpose(0, 2, 1)
    else:
        wm = w.reshape(groups, O // groups, -1)

        def part(i):
            cols = _Columns(x, K, g, groups, nb)
            obuf = xp.empty(O * min(nb, B) * nl, x.dtype)
            for b0, b1 in parts[i]:
                n = b1 - b0
                o = obuf[:O * n * nl].reshape(groups, O // groups, n * nl)
                _mm(wm, cols(b0, b1), o)
                o = o.reshape(O, n, nl)
                if bias is not None:
                    o += bias.reshape(O, 1, 1)
                y[b0:b1].reshape(n, O, nl)[...] = o.swapaxes(0, 1)
    _parallel.run(part, nt)
    return y


def backward(x, w, gy, g, groups, need_x=True, need_w=True, wshape=None):
    """Gradients of :func:`forward` for output gradient ``gy`` (B, O, *g.L): ``(gx, gw)``, each
    None unless needed. ``x`` is needed only for ``gw`` and ``w`` only for ``gx`` (then
    ``wshape`` gives the weight's shape). ``gx`` alone is a transposed convolution of ``gy``."""
    xp = xp_of(gy)
    wshape = tuple(w.shape) if w is not None else tuple(wshape)
    if _conv_small.useful(g, groups):
        return _conv_small.backward(x, w, gy, g, need_x, need_w, wshape)
    B, O = gy.shape[:2]
    K = wshape[2:]
    C = wshape[1] * groups
    nk, nl = _prod(K), _prod(g.L)
    nb = _chunk(gy, max(C * nk, O) * nl, nl)
    parts, nt = _split(B, nb)
    gx = xp.empty((B, C) + tuple(g.S), gy.dtype) if need_x else None
    if _channels_last(C, g, groups, xp, B):
        gws = _parallel.run(_backward_last(x, w, gy, gx, g, need_w, wshape, nb, parts), nt)
        if not need_w:
            return gx, None
        d = len(K)  # (*K, C, O) -> (O, C, *K)
        order = (d + 1, d) + tuple(range(d))
        return gx, xp.ascontiguousarray(sum(gws[1:], gws[0]).reshape(
            tuple(K) + (C, O)).transpose(order))
    if need_x:
        wt = w.reshape(groups, O // groups, -1).swapaxes(1, 2)
        d = len(K)  # (C, *K, n, *L) -> (n, C, *K, *L)
        order = (d + 1, 0) + tuple(range(1, d + 1)) + tuple(range(d + 2, 2 * d + 2))

    def part(i):
        gbuf = xp.empty(O * min(nb, B) * nl, gy.dtype)
        gw = None
        if need_w:
            cols = _Columns(x, K, g, groups, nb)
            gw = xp.zeros((groups, O // groups, C // groups * nk), gy.dtype)
            acc = xp.empty_like(gw)
        if need_x:
            cbuf = xp.empty(C * nk * min(nb, B) * nl, gy.dtype)
            fold = Fold(g, K, C, min(nb, B), gy.dtype, xp)
        for b0, b1 in parts[i]:
            n = b1 - b0
            gc = gbuf[:O * n * nl].reshape(O, n, nl)
            gc[...] = gy[b0:b1].reshape(n, O, nl).swapaxes(0, 1)
            gc = gc.reshape(groups, O // groups, n * nl)
            if need_w:
                c = cols(b0, b1)
                # NOTE: OpenBLAS is slow on few output rows with a long inner dimension;
                # computing the transpose puts the larger side first
                if c.shape[1] >= gc.shape[1]:
                    _mm(c, gc.swapaxes(1, 2), acc.swapaxes(1, 2))
                else:
                    _mm(gc, c.swapaxes(1, 2), acc)
                gw += acc
            if need_x:
                gcols = cbuf[:C * nk * n * nl].reshape(groups, C // groups * nk, n * nl)
                _mm(wt, gc, gcols)
                fold(gx[b0:b1], gcols.reshape((C,) + tuple(K) + (n,) + tuple(g.L)).transpose(
                    order))
        return gw

    gws = _parallel.run(part, nt)
    return gx, (sum(gws[1:], gws[0]).reshape(wshape) if need_w else None)


# NOTE: up to this many columns (input channels times kernel taps), the weight gradient reads the
# output gradient as it lies, image by image (measured: the MNIST network's first convolution,
# 9 columns, 1.56 -> 0.58 ms with its bias gradient)
_NARROW = 32


def narrow(gy, g, groups, wshape):
    """Whether :func:`narrow_weight_grad` suits this weight gradient: few columns (a first layer
    over 1-3 channels), one group, NumPy."""
    return xp_of(gy) is np and groups == 1 and wshape[1] * _prod(wshape[2:]) <= _NARROW


def narrow_weight_grad(x, gy, g, wshape, need_b):
    """The weight gradient of :func:`forward` (and the bias gradient, else None) for few
    columns: per image ``gy_b (O, L) @ [cols_b, 1] (L, C * prod(K) + 1)``. The products read
    ``gy`` in its own layout, without the transposed copy :func:`backward` makes: with few
    columns that copy, not the product, is the cost. The column of ones gives the bias's sums
    in the same pass."""
    B, O = gy.shape[:2]
    K, C = tuple(wshape[2:]), wshape[1]
    nk, nl, d = _prod(K), _prod(g.L), len(K)
    width = C * nk + (1 if need_b else 0)
    nb = _chunk(gy, max(nl * width, O * nl), nl)
    parts, nt = _split(B, nb)
    # (n, C, *K, *L) windows -> (n, *L, C, *K) columns
    order = (0,) + tuple(range(2 + d, 2 + 2 * d)) + (1,) + tuple(range(2, 2 + d))

    def part(i):
        cols = np.empty((max(min(nb, B), 1), nl, width), gy.dtype)
        if need_b:
            cols[..., -1] = 1
        acc = np.zeros((O, width), gy.dtype)
        for b0, b1 in parts[i]:
            n = b1 - b0
            win = windows(padded(x[b0:b1], g, K), g, K)
            cols[:n, :, :C * nk].reshape((n,) + tuple(g.L) + (C,) + K)[...] = win.transpose(order)
            acc += np.matmul(gy[b0:b1].reshape(n, O, nl), cols[:n]).sum(0)
        return acc

    acc = sum(_parallel.run(part, nt))
    gw = np.ascontiguousarray(acc[:, :C * nk]).reshape(wshape)
    return gw, (np.ascontiguousarray(acc[:, -1]) if need_b else None)


def _weight_last(w):
    """``w`` (O, C, *K) as the ``(prod(K) * C, O)`` matrix of channels-last columns."""
    d = w.ndim - 2
    t = w.transpose(tuple(range(2, 2 + d)) + (1, 0))
    return xp_of(w).ascontiguousarray(t).reshape(-1, w.shape[0])


def _backward_last(x, w, gy, gx, g, need_w, wshape, nb, parts):
    """The per-thread part of :func:`backward` with channels-last columns (one group): fills
    its chunks of ``gx`` (if given) and returns its share of the weight gradient,
    ``(prod(K) * C, O)``, or None."""
    xp = xp_of(gy)
    B, O = gy.shape[:2]
    K, C = wshape[2:], wshape[1]
    nl, nk, d = _prod(g.L), _prod(K), len(K)
    wm = None
    if gx is not None:  # (*K, O, C): one product per kernel tap, each tap's columns contiguous
        wm = xp.ascontiguousarray(w.reshape(O, C, nk).transpose(2, 0, 1))
        # (*K, n, *L, C) seen as the (n, *L, *K, C) that Fold reads
        order = (d,) + tuple(range(d + 1, 2 * d + 1)) + tuple(range(d)) + (2 * d + 1,)

    def part(i):
        gbuf = xp.empty((min(nb, B) * nl, O), gy.dtype)
        gw = None
        if need_w:
            cols = _ColumnsLast(x, K, g, nb)
            gw = xp.zeros((_prod(K) * C, O), gy.dtype)
            acc = xp.empty_like(gw)
        if gx is not None:
            cbuf = xp.empty(min(nb, B) * nl * nk * C, gy.dtype)
            fold = Fold(g, K, C, min(nb, B), gy.dtype, xp, channels_last=True)
        for b0, b1 in parts[i]:
            n = b1 - b0
            gc = gbuf[:n * nl]
            gc.reshape(n, nl, O)[...] = gy[b0:b1].reshape(n, O, nl).transpose(0, 2, 1)
            if need_w:
                xp.matmul(cols(b0, b1).T, gc, out=acc)
                gw += acc
            if gx is not None:
                # NOTE: tap-major, so that each of col2im's adds reads whole contiguous
                # (n, *L, C) blocks: its inner loops run over rows of channels, not C alone
                gcols = cbuf[:n * nl * nk * C].reshape(nk, n * nl, C)
                xp.matmul(gc, wm, out=gcols)
                fold(gx[b0:b1], gcols.reshape(tuple(K) + (n,) + tuple(g.L) + (C,)).transpose(
                    order))
        return gw

    return part

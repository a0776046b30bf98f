"""Training-mode batch norm on NumPy arrays viewed as rows: ``(N, C, L)`` as ``(N, C * L)``.

Why: a convolutional network's deep layers have small maps (L = 16, 4 or 1 positions at 32x32
inputs), where NumPy spends most of its time on overhead: ``x - mean[:, None]`` broadcast over an
inner loop of L elements runs several times slower than over whole rows, and ``einsum`` pays a
parse per call. Here every per-channel factor is repeated L times once (C * L values) so that each
pass is a row operation, and the per-channel sums are a BLAS product with a vector of ones (a
column sum of the rows) followed by a sum over L on C * L values. The formulas are
``_NormBackward``'s; the statistics keep the stable two-pass form (``x - mean`` is kept).
"""
import numpy as np


def usable(x):
    """Whether ``x`` (the (N, C, L) view of a batch norm's input) can go by rows."""
    return (type(x) is np.ndarray and x.dtype in (np.float32, np.float64) and x.flags.c_contiguous
            and x.size > 0)


def _sums(rows, C, L):
    """Per-channel sums of ``rows`` (N, C * L)."""
    s = np.ones(rows.shape[0], rows.dtype) @ rows
    return s.reshape(C, L).sum(1) if L > 1 else s


def _rep(v, L):
    """``v`` (C,) with each value repeated L times: a row of per-element factors."""
    return np.repeat(v, L) if L > 1 else v


def forward(x, w, b, eps):
    """``x`` (N, C, L); ``w``, ``b`` (C,) or None. Returns ``(y, mean, biased var, invstd)``,
    ``y`` shaped like ``x`` and the statistics (C,)."""
    N, C, L = x.shape
    n = N * L
    rows = x.reshape(N, C * L)
    mean = _sums(rows, C, L) / n
    xc = rows - _rep(mean, L)
    y = np.multiply(xc, xc)
    var = _sums(y, C, L) / n
    invstd = 1 / np.sqrt(var + eps)
    np.multiply(xc, _rep(invstd if w is None else invstd * w, L), out=y)
    if b is not None:
        y += _rep(b, L)
    return y.reshape(N, C, L), mean, var, invstd


def backward(g, x, mean, invstd, w, need_x):
    """Gradients for output gradient ``g`` (N, C, L) of :func:`forward`. Returns ``(dx, dw,
    db)``; ``dw``, ``db`` (C,), computed always (cheap once the sums are there)."""
    N, C, L = x.shape
    n = N * L
    gr = np.ascontiguousarray(g).reshape(N, C * L)
    gs = _sums(gr, C, L)
    xc = x.reshape(N, C * L) - _rep(mean, L)
    tmp = np.multiply(gr, xc)
    gx = _sums(tmp, C, L) * invstd  # the sum of g * xhat per channel
    dx = None
    if need_x:
        scale = invstd if w is None else invstd * w
        # dx = invstd w (g - mean(g) - xhat mean(g xhat))
        dx = np.multiply(gr, _rep(scale, L), out=tmp)
        a, bb = (gs, gx) if w is None else (gs * w, gx * w)
        xc *= _rep(invstd * invstd * bb / n, L)
        xc += _rep(invstd * a / n, L)
        dx -= xc
        dx = dx.reshape(N, C, L)
    return dx, gx, gs

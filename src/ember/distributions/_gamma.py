"""Gamma sampling with a reparameterized gradient (``torch._standard_gamma``) and the
regularized lower incomplete gamma function it needs (NumPy, float64)."""
import numpy as np

from ember._backend import device_of, to_device, xp_of
from ember._ops._special_kernels import lgamma as _lgamma
from ember._ops.random import _rng_for
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

_FPMIN = 1e-300


def _log_prefactor(a, x):
    with np.errstate(divide="ignore"):
        return a * np.log(x) - x - _lgamma(a)


def _series(a, x):
    """``P(a, x)`` by its power series (converges fast for ``x < a + 1``)."""
    total = term = 1.0 / a
    ap = a.copy()
    for _ in range(2000):
        ap = ap + 1
        term = term * x / ap
        total = total + term
        if np.all(np.abs(term) <= np.abs(total) * 1e-17):
            break
    return total * np.exp(_log_prefactor(a, x))


def _contfrac(a, x):
    """``Q(a, x) = 1 - P(a, x)`` by Lentz's continued fraction (for ``x >= a + 1``)."""
    b = x + 1 - a
    c = np.full_like(x, 1 / _FPMIN)
    d = 1 / b
    h = d
    for i in range(1, 2000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < _FPMIN, _FPMIN, d)
        c = b + an / c
        c = np.where(np.abs(c) < _FPMIN, _FPMIN, c)
        d = 1 / d
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta - 1) <= 1e-16):
            break
    return np.exp(_log_prefactor(a, x)) * h


def gammainc_parts(a, x):
    """``(P, Q, use_series)`` of float64 arrays ``a`` and ``x`` broadcast together: the series
    gives ``P`` where ``x < a + 1``, the continued fraction ``Q`` elsewhere, each accurately."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    a, x = a.ravel(), x.ravel()
    use_series = x < a + 1
    direct = np.zeros_like(x)
    if use_series.any():
        direct[use_series] = _series(a[use_series], x[use_series])
    cf = ~use_series
    if cf.any():
        direct[cf] = _contfrac(a[cf], x[cf])
    return direct, use_series


def gammainc(a, x):
    """The regularized lower incomplete gamma function ``P(a, x)`` (float64 arrays)."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(x))
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    a, x = a.ravel(), x.ravel()
    # as Cephes (PyTorch's igamma): nan for x < 0 or a < 0 (or both 0), P(a, 0) = 0, P(0, x) = 1,
    # P(a, inf) = 1
    inner = (a > 0) & (x > 0) & np.isfinite(x)
    p = np.full_like(x, np.nan)
    if inner.any():
        direct, use_series = gammainc_parts(a[inner], x[inner])
        p[inner] = np.where(use_series, direct, 1 - direct)
    with np.errstate(invalid="ignore"):
        p[(x == 0) & (a > 0)] = 0.0
        p[((a == 0) & (x > 0)) | ((x == np.inf) & (a > 0))] = 1.0
    return p.reshape(shape)


def standard_gamma_grad(x, alpha):
    """``d sample / d alpha`` of a standard gamma sample ``x`` with concentration ``alpha``
    (implicit reparameterization: ``-dP(alpha, x)/dalpha / pdf(x)``), float64."""
    x = np.asarray(x, np.float64)
    alpha = np.asarray(alpha, np.float64)
    shape = np.broadcast_shapes(x.shape, alpha.shape)
    xf = np.broadcast_to(x, shape).ravel()
    af = np.broadcast_to(alpha, shape).ravel()
    h = 1e-5 * np.maximum(af, 1e-3)
    # NOTE: differentiate whichever of P or Q was computed directly (Q = 1 - P loses digits
    # near P = 1); both are evaluated with the same branch at a +- h
    hi, s_hi = gammainc_parts(af + h, xf)
    lo, s_lo = gammainc_parts(af - h, xf)
    same = s_hi == s_lo
    d = (hi - lo) / (2 * h)
    d = np.where(s_hi, d, -d)
    if not same.all():  # straddles x = a + 1: recompute both sides from P
        p_hi = np.where(s_hi, hi, 1 - hi)
        p_lo = np.where(s_lo, lo, 1 - lo)
        d = np.where(same, d, (p_hi - p_lo) / (2 * h))
    with np.errstate(all="ignore"):
        log_pdf = (af - 1) * np.log(xf) - xf - _lgamma(af)
        g = -d / np.exp(log_pdf)
    return np.where(np.isfinite(g), g, 0.0).reshape(shape)


class StandardGammaBackward0(Node):
    def backward(self, g):
        # NOTE: the incomplete gamma is computed on the host (NumPy), then moved back
        x = self.saved_output()._data
        grad = standard_gamma_grad(to_device(x, "cpu"), to_device(self.alpha, "cpu"))
        return g * wrap(to_device(grad.astype(x.dtype), device_of(x)))


def standard_gamma(concentration):
    """Samples of Gamma(concentration, 1) with the reparameterized gradient
    (``torch._standard_gamma``); clamped below at the dtype's smallest normal number."""
    d = concentration._data
    rng = _rng_for(None, concentration.device).g
    tiny = np.finfo(d.dtype).tiny
    # NOTE: NumPy returns a Python float for 0-d input
    arr = xp_of(d).asarray(rng.standard_gamma(d.astype(np.float64))).astype(d.dtype)
    arr[arr < tiny] = tiny
    if STATE.enabled and concentration._rg:
        node = StandardGammaBackward0()
        node.alpha = d
        return track(arr, node, (concentration,), save_out=True)
    return wrap(arr)

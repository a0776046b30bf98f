"""The frequency helpers of ``ember.fft``: ``fftfreq``, ``rfftfreq`` (sample frequencies) and
``fftshift``, ``ifftshift`` (moving the zero frequency to the middle and back). Split from
``ember/fft.py``, which re-exports them."""
import operator

import numpy as np

from ember import _dtype
from ember._ops._arith import _out
from ember._ops.complex_math import _SCALAR_NAME
from ember._ops.creation import _finish
from ember._ops.rearrange import roll
from ember._tensor import _wrap_dim

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _freq_dtype(dtype, name):
    dt = (_dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np
    if dt.kind not in "fc":
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if dt.kind == "c":  # (PyTorch builds the frequencies with arange, which has no complex kernel)
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_SCALAR_NAME[dt.name]}'")
    return dt


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of :func:`fft` for a signal of length ``n`` and sample spacing
    ``d``: ``[0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d * n)``.

    Args:
        n (int): the signal length.
        d (float): the sample spacing.
        dtype, device, requires_grad: as in :func:`ember.arange`.

    Example::

        >>> ember.fft.fftfreq(4)
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    k = np.arange(n, dtype=_freq_dtype(dtype, "fftfreq"))
    k[(n + 1) // 2:] -= n
    return _out(_finish(_scaled(k, n, d), device, requires_grad), out)


def _scaled(k, n, d):
    """``k * (1 / (n * d))`` in ``k``'s dtype, as PyTorch (n = 0: inf, so 0 becomes nan)."""
    with np.errstate(all="ignore"):
        return k * k.dtype.type(np.float64(1.0) / np.float64(n * d))


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of :func:`rfft` for a signal of length ``n`` and sample spacing
    ``d``: ``[0, 1, ..., n // 2] / (d * n)``.

    Args:
        n (int): the signal length.
        d (float): the sample spacing.
        dtype, device, requires_grad: as in :func:`ember.arange`.

    Example::

        >>> ember.fft.rfftfreq(4)
        tensor([0.0000, 0.2500, 0.5000])
    """
    n = operator.index(n)
    m = int(n / 2) + 1  # (C's division, as PyTorch: rfftfreq(-1) has one value)
    if m < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {m}: [{m}]")
    k = np.arange(m, dtype=_freq_dtype(dtype, "rfftfreq"))
    return _out(_finish(_scaled(k, n, d), device, requires_grad), out)


def _shift(input, dim, sign):
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(_wrap_dim(operator.index(d), input.ndim) for d in dims)
    if not dims:
        raise RuntimeError("`shifts` required")
    shifts = tuple(sign * (input.shape[d] // 2) for d in dims)
    return roll(input, shifts, dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the middle: ``roll`` by ``n // 2`` along each dim (default:
    all).

    Args:
        input (Tensor): a spectrum as :func:`fft` gives it.
        dim (int or sequence of int, optional): the dims to shift.

    Example::

        >>> ember.fft.fftshift(ember.fft.fftfreq(4))
        tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`: ``roll`` by ``-(n // 2)`` along each dim.

    Example::

        >>> ember.fft.ifftshift(ember.fft.fftshift(ember.arange(5)))
        tensor([0, 1, 2, 3, 4])
    """
    return _shift(input, dim, -1)

"""Window functions for spectral analysis: ``hann_window``, ``hamming_window``,
``bartlett_window``, ``blackman_window``, ``kaiser_window``.

Each follows PyTorch's kernel step by step in the output dtype (so float16 rounds after
every step, as PyTorch's does), and the values agree to the last bit or two. A periodic window
of length ``N`` is the symmetric window of length ``N + 1`` without its last value (the form
spectral code wants).
"""
import math
import operator

import numpy as np

from ember import _dtype
from ember._ops.creation import _finish

__all__ = ["hann_window", "hamming_window", "bartlett_window", "blackman_window",
           "kaiser_window"]


def _setup(name, window_length, dtype):
    """The length as an int and the NumPy dtype."""
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    n = operator.index(window_length)
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    dt = (_dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np
    if dt.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: "
                           f"{_dtype.as_dtype(dtype)}")
    return n, dt


def _window(name, window_length, periodic, dtype, device, requires_grad, formula):
    """Run ``formula(indices, n)`` (``n``: the symmetric length) with PyTorch's special cases."""
    n, dt = _setup(name, window_length, dtype)
    if n <= 1:
        arr = np.ones(n, dt)
    else:
        m = n + 1 if periodic else n
        arr = formula(np.arange(m, dtype=dt), m, dt.type)[:n].astype(dt)
    return _finish(arr, device, requires_grad)


def _hamming(alpha, beta):
    def formula(k, m, t):
        return np.cos(k * t(2 * math.pi / (m - 1))) * t(-beta) + t(alpha)
    return formula


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    """The Hamming window ``alpha - beta * cos(2 pi k / (N - 1))``.

    Args:
        window_length (int): the number of values.
        periodic (bool): the periodic form (for spectral analysis) instead of the symmetric
            one (for filter design).
        alpha, beta (float): the coefficients.
        dtype: a floating dtype (default: the default dtype).
        requires_grad (bool): make the result a leaf that requires grad.

    Example::

        >>> ember.hamming_window(4)
        tensor([0.0800, 0.5400, 1.0000, 0.5400])
    """
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming(alpha, beta))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    """The Hann window ``0.5 - 0.5 * cos(2 pi k / (N - 1))`` (args as :func:`hamming_window`).

    Example::

        >>> ember.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming(0.5, 0.5))


def _bartlett(k, m, t):
    w = k * t(2.0 / (m - 1))
    half = ((m - 1) >> 1) + 1
    w[half:] = t(2) - w[half:]
    return w


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """The Bartlett (triangular) window, 0 at the ends and 1 in the middle (args as
    :func:`hamming_window`).

    Example::

        >>> ember.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _bartlett)


def _blackman(k, m, t):
    w = k * t(math.pi / (m - 1))
    return np.cos(w * t(4)) * t(0.08) - np.cos(w * t(2)) * t(0.5) + t(0.42)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))``
    (args as :func:`hamming_window`).

    Example::

        >>> ember.blackman_window(3, periodic=False)
        tensor([-2.9802e-08,  1.0000e+00, -2.9802e-08])
    """
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _blackman)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    """The Kaiser window ``I0(beta * sqrt(1 - ((k - a) / a)^2)) / I0(beta)``, ``a = (N - 1) / 2``
    (``I0``: the modified Bessel function of order 0; other args as :func:`hamming_window`).

    Example::

        >>> ember.kaiser_window(3, periodic=False, beta=2.0)
        tensor([0.4387, 1.0000, 0.4387])
    """
    def formula(k, m, t):
        if t is np.float16:  # one kernel computing in float32, rounded once
            k, t = k.astype(np.float32), np.float32
        a = t((m - 1) / 2.0)
        x = np.sqrt(np.abs(t(1) - ((k - a) / a) ** 2)) * t(beta)
        # NOTE: NumPy's i0 works in float64; one rounding at the end is within PyTorch's ulps
        return (np.i0(x.astype(np.float64)) / np.i0(float(beta))).astype(t)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   formula)

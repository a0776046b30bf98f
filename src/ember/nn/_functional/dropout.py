"""Dropout: ``F.dropout``, ``F.alpha_dropout``, ``F.dropout1d``, ``F.feature_alpha_dropout``.

All are one primitive, PyTorch's ``_dropout_impl``: a keep-mask drawn from ember's generator
(``ember.manual_seed`` makes it reproducible), ``output = input * mask * scale (+ shift)``; the
backward is ``grad * mask * scale``, with the mask kept as a boolean array (a byte per element).
``feature`` variants draw one mask entry per channel (``(N, C, 1, ...)``) and broadcast it.
"""
import numpy as np

from ember._backend import xp_for, xp_of
from ember._ops import _parallel
from ember._ops.random import _rng_for
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["dropout", "alpha_dropout", "dropout1d", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766  # SELU's alpha * lambda: the value alpha dropout drops to is -_ALPHA


class MulBackward0(Node):
    """``grad * mask * scale``; ``mask`` (bool array) broadcasts over the gradient for the feature
    variants. PyTorch's CPU dropout is a multiplication, hence the name."""

    def backward(self, g):
        keep, scale = self.keep, self.scale
        if STATE.enabled:  # create_graph: a recorded product (its own derivative is the same)
            return g * wrap(keep.astype(g._data.dtype) * g._data.dtype.type(scale))
        gd = g._data
        if _spans_ok(gd, keep):
            r = np.empty_like(gd)
            gf, kf, rf, s = gd.reshape(-1), keep.reshape(-1), r.reshape(-1), gd.dtype.type(scale)

            def part(lo, hi):
                np.multiply(gf[lo:hi], kf[lo:hi], out=rf[lo:hi])
                rf[lo:hi] *= s
            _parallel.each(part, r.size, r.size)
            return wrap(r)
        r = gd * keep
        r *= r.dtype.type(scale)
        return wrap(r)


def _spans_ok(a, mask):
    """Large flat-cuttable arrays: the work can go by spans on threads."""
    return a.size >= 2 * _parallel.MIN_ELEMENTS and _parallel.flat(a, mask)


def _keep_and_apply(u, p, d):
    """``(u >= p, d * (u >= p))``, by spans on threads for large arrays."""
    if not _spans_ok(d, u):
        keep = u >= p
        return keep, d * keep
    keep, r = np.empty(u.shape, bool), np.empty_like(d)
    uf, kf, df, rf = u.reshape(-1), keep.reshape(-1), d.reshape(-1), r.reshape(-1)

    def part(lo, hi):
        np.greater_equal(uf[lo:hi], p, out=kf[lo:hi])
        np.multiply(df[lo:hi], kf[lo:hi], out=rf[lo:hi])
    _parallel.each(part, r.size, r.size)
    return keep, r


class AddBackward0(MulBackward0):
    """Alpha dropout: ``input * a * mask + b``, whose gradient is the same ``grad * mask * a``."""


def _draw(shape, dt, device):
    """The uniform draws a mask is cut from (one per element of ``shape``)."""
    return _rng_for(None, device).random(shape, dt if dt.itemsize >= 4 else "float32")


def keep_mask(shape, p, dt, device):
    """``(keep, scale)`` of dropout with probability ``p`` (0 < p <= 1) over ``shape``: the
    boolean mask :func:`dropout` would draw now (it takes the same numbers from the generator)
    and the factor kept entries are scaled by. For kernels that apply dropout themselves (the
    recurrent stack, ``_ops/rnn_stack.py``)."""
    if p == 1:
        return xp_for(device).zeros(shape, bool), 0.0
    return _draw(shape, dt, device) >= p, 1.0 / (1.0 - p)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, train, inplace, lead=0, alpha=False):
    """PyTorch's ``_dropout_impl`` (``ATen/native/Dropout.cpp``) on arrays. ``lead``: 0 for one
    draw per element, else one draw per index of the first ``lead`` dims (feature dropout)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    d = input._data
    if p == 0 or not train or d.size == 0:
        return input
    if lead and d.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if inplace:
        from ember._ops.inplace import apply_inplace
        return apply_inplace(input, _dropout_impl, p, train, False, lead, alpha)
    dt = d.dtype
    if dt.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_title(dt)}")
    shape = d.shape[:lead] + (1,) * (d.ndim - lead) if lead else d.shape
    node_cls = MulBackward0
    if p == 1:  # everything dropped (alpha dropout too, as in PyTorch): input * 0
        keep, scale = xp_of(d).zeros(shape, bool), 0.0
        r = d * keep
    else:
        keep, r = _keep_and_apply(_draw(shape, dt, input.device), p, d)
        if alpha:
            scale = (1.0 / ((_ALPHA * _ALPHA * p + 1) * (1 - p))) ** 0.5
            # dropped entries end at -alpha * a * (1 - p), kept ones are shifted by alpha * a * p
            shift = (keep - dt.type(1)) * dt.type(_ALPHA * scale) + dt.type(_ALPHA * scale * p)
            node_cls = AddBackward0
        else:
            scale = 1.0 / (1.0 - p)
    r *= dt.type(scale)
    if alpha and p != 1:
        r += shift
    if STATE.enabled and input._rg:
        node = node_cls()
        node.keep, node.scale = keep, scale
        return track(r, node, (input,))
    return wrap(r)


def _title(dt):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (so the
    expected value is unchanged); the identity when ``training`` is False.

    Args:
        input: any floating tensor.
        p: probability of an element to be zeroed. Default: 0.5.
        training: apply dropout if ``True``. Default: ``True``.
        inplace: overwrite ``input`` with the result. Default: ``False``.

    Example::

        ember.manual_seed(0)
        F.dropout(ember.ones(2, 4), p=0.5)    # entries 0 or 2
    """
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped entries take SELU's negative saturation value and the
    result is rescaled and shifted so that mean and variance are kept (Klambauer et al., 2017).
    Note ``training`` defaults to ``False``, as in PyTorch.

    Example::

        F.alpha_dropout(ember.randn(3, 4), 0.2, training=True)
    """
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: input ``(N, C, *)``, one draw per ``(n, c)``."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, lead=2, alpha=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p`` (one draw
    per channel), scaling the rest by ``1 / (1 - p)``.

    Example::

        F.dropout1d(ember.ones(2, 3, 5), 0.5)    # each row of 5 is all 0 or all 2
    """
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on inputs "
                           "with 1 spatial dimension, a channel dimension, and an optional batch "
                           "dimension (i.e. 2D or 3D inputs).")
    # one draw per channel: (N, C) of a batch, (C,) of a single sample
    return _dropout_impl(input, p, training, inplace, lead=2 if inp_dim == 3 else 1)

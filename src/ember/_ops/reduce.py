"""Reductions: sum, mean, ... over all elements or over ``dim`` (an int or a tuple), with ``keepdim``."""
import numpy as np

from ember import _dtype
from ember._ops._util import dims_arg
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["sum", "mean"]


def _kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and len(shape):
        g = g.reshape(_kept_shape(shape, axes))
    return g.expand(shape)


class SumBackward0(Node):
    def backward(self, g):
        return _expand_back(g, self.shape, self.axes, self.keepdim)


def _np_dtype(input, dtype):
    if dtype is not None:
        return _dtype.as_dtype(dtype).np
    if input._data.dtype.kind in "biu":  # PyTorch sums integers and bools as int64
        return np.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over ``dim`` (int or tuple of ints).

    Example::

        ember.ones(2, 3).sum(1)    # tensor([3., 3.])
    """
    d = input._data
    axes = dims_arg(dim, d.ndim)
    r = d.sum(axis=axes, keepdims=keepdim, dtype=_np_dtype(input, dtype))
    if STATE.enabled and input._rg:
        node = SumBackward0()
        node.shape, node.axes, node.keepdim = d.shape, axes, keepdim
        return track(r, node, (input,))
    return wrap(r)


def sum_to(g, shape):
    """Sum ``g`` down to ``shape`` (undo broadcasting). The engine's one unbroadcast."""
    gs = g._data.shape
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and gs[i + lead] != 1)
    if axes:
        g = sum(g, axes, keepdim=True)
    return g.reshape(shape) if g._data.shape != shape else g


class MeanBackward0(Node):
    def backward(self, g):
        return _expand_back(g, self.shape, self.axes, self.keepdim) / self.count


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or over ``dim``. Needs a floating-point input (or ``dtype``)."""
    d = input._data
    if dtype is None and d.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_dtype.from_numpy_dtype(d.dtype)}")
    axes = dims_arg(dim, d.ndim)
    nd = None if dtype is None else _dtype.as_dtype(dtype).np
    with np.errstate(invalid="ignore", divide="ignore"):
        r = d.mean(axis=axes, keepdims=keepdim, dtype=nd)
    if nd is None and r.dtype != d.dtype:
        r = r.astype(d.dtype)
    if STATE.enabled and input._rg:
        node = MeanBackward0()
        node.shape, node.axes, node.keepdim = d.shape, axes, keepdim
        node.count = d.size if axes is None else int(np.prod([d.shape[a] for a in axes]))
        return track(r, node, (input,))
    return wrap(r)


methods(sum=sum, mean=mean)

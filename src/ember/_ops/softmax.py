"""``softmax`` and ``log_softmax`` along a dim.

Each is one primitive rather than a composition of exp / sum / div: the max along ``dim`` is
subtracted first, so large inputs (1000.0) give no inf or NaN, and the backward reuses the saved
output. Backward formulas are Tensor ops, so double backward works.
"""
import numpy as np

from ember._ops._select import torch_kwargs
from ember._ops._util import wrap_dim
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["softmax", "log_softmax"]


def _prepare(input, dim, dtype, name):
    """The input cast to ``dtype`` (a tracked cast, as PyTorch's), its array, the wrapped axis."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    d = input._data
    if d.dtype.kind not in "fc":
        from ember._ops.reduce import type_name
        raise NotImplementedError(f'"{name}_kernel_impl" not implemented for '
                                  f"'{type_name(d.dtype)}'")
    axis = wrap_dim(dim, d.ndim)
    return input, d, (axis if d.ndim else None)


def _shifted(d, axis):
    """``d - max(d)`` along ``axis`` (half in float32): exp of it cannot overflow. A lane holding
    an inf becomes NaN, as in PyTorch."""
    x = d.astype(np.float32) if d.dtype == np.float16 else d
    if not x.size:
        return x
    return x - x.max(axis=axis, keepdims=True)


class SoftmaxBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return y * (g - (g * y).sum(self.dim, keepdim=True))


@torch_kwargs("softmax", out=False)
def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``: each slice along ``dim`` sums to 1.

    Args:
        input: a floating-point tensor.
        dim: the dim along which the slices sum to 1.
        dtype: cast the input to this dtype first (e.g. to compute a float16 softmax in float32).

    Example::

        ember.softmax(ember.tensor([1000., 1000.]), 0)   # tensor([0.5000, 0.5000])
    """
    input, d, axis = _prepare(input, dim, dtype, "softmax")
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(_shifted(d, axis))
        r = (e / e.sum(axis=axis, keepdims=True)).astype(d.dtype, copy=False)
    if STATE.enabled and input._rg:
        node = SoftmaxBackward0()
        node.dim = dim
        return track(r, node, (input,), save_out=True)
    return wrap(r)


class LogSoftmaxBackward0(Node):
    def backward(self, g):
        y = self.saved_output()
        return g - y.exp() * g.sum(self.dim, keepdim=True)


@torch_kwargs("log_softmax", out=False)
def log_softmax(input, dim, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed directly (``x - max - log(sum(exp(x - max)))``),
    which stays finite where ``softmax`` underflows to 0.

    Example::

        ember.log_softmax(ember.tensor([0., 1000.]), 0)   # tensor([-1000., 0.])
    """
    input, d, axis = _prepare(input, dim, dtype, "log_softmax")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        s = _shifted(d, axis)
        r = (s - np.log(np.exp(s).sum(axis=axis, keepdims=True))).astype(d.dtype, copy=False)
    if STATE.enabled and input._rg:
        node = LogSoftmaxBackward0()
        node.dim = dim
        return track(r, node, (input,), save_out=True)
    return wrap(r)


methods(softmax=softmax, log_softmax=log_softmax)

"""Two-input math with an exact NumPy kernel: ``hypot``, ``logaddexp``, ``logaddexp2``.

Each avoids the overflow of its naive formula (``sqrt(a*a + b*b)``, ``log(exp(a) + exp(b))``) in
the forward; the backward is PyTorch's formula in Tensor ops (so it can be differentiated again).
"""
import numpy as np

from ember._ops._arith import _out, shape_error
from ember._ops._util import binary_operands
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["hypot", "logaddexp", "logaddexp2"]


class HypotBackward0(Node):
    def backward(self, g):  # d hypot / d a = a / hypot (NaN at the origin, as PyTorch)
        a, b = self.saved_tensors
        h = self.saved_output()
        n = self._next
        return (None if n[0] is None else g * a / h, None if n[1] is None else g * b / h)


class LogaddexpBackward0(Node):
    def backward(self, g):  # d / d a = 1 / (1 + exp(b - a))
        a, b = self.saved_tensors
        n = self._next
        return (None if n[0] is None else g / (1 + (b - a).exp()),
                None if n[1] is None else g / (1 + (a - b).exp()))


class Logaddexp2Backward0(Node):
    def backward(self, g):  # d / d a = 1 / (1 + 2^(b - a))
        a, b = self.saved_tensors
        n = self._next
        return (None if n[0] is None else g / (1 + (b - a).exp2()),
                None if n[1] is None else g / (1 + (a - b).exp2()))


def _binary(name, kernel, node_cls, input, other, out, save_out=False):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    ta, tb, ad, bd = binary_operands(input, other)
    if ad.dtype.kind not in "fc":
        from ember._ops.reduce import type_name
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{type_name(ad.dtype)}\'')
    try:
        with np.errstate(over="ignore"):
            r = kernel(ad, bd)
    except ValueError:
        raise shape_error(ad, bd) from None
    if STATE.enabled and (ta._rg or tb._rg):
        node = node_cls()
        node.save_for_backward(ta, tb)
        return _out(track(r, node, (ta, tb), save_out=save_out), out)
    return _out(wrap(r), out)


def hypot(input, other, *, out=None):
    """``sqrt(input**2 + other**2)`` without overflow or underflow in between (floats).

    Example::

        >>> ember.hypot(ember.tensor([3., 1e30]), ember.tensor([4., 1e30]))
        tensor([5.0000e+00, 1.4142e+30])
    """
    return _binary("hypot", np.hypot, HypotBackward0, input, other, out, save_out=True)


def logaddexp(input, other, *, out=None):
    """``log(exp(input) + exp(other))`` computed without overflow (floats).

    Example::

        >>> ember.logaddexp(ember.tensor([1., -1000.]), ember.tensor([2., -1000.]))
        tensor([   2.3133, -999.3069])
    """
    return _binary("logaddexp", np.logaddexp, LogaddexpBackward0, input, other, out)


def logaddexp2(input, other, *, out=None):
    """``log2(2**input + 2**other)`` computed without overflow (floats)."""
    return _binary("logaddexp2", np.logaddexp2, Logaddexp2Backward0, input, other, out)


methods(hypot=hypot, logaddexp=logaddexp, logaddexp2=logaddexp2)

"""Elementwise arithmetic: each primitive is a function (forward) beside its Node (backward).

Backward formulas are written with Tensor operations, so with ``create_graph=True`` they record a graph
of their own (double backward) and under the engine's default no-grad mode they cost one array op each.
Formulas never undo broadcasting: the engine sums each gradient back to its input's shape.
"""
import numpy as np

from ember._ops._util import binary_operands
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative", "exp"]


# ---- binary arithmetic ---------------------------------------------------------------------------
class AddBackward0(Node):
    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and PyTorch's type promotion."""
    ta, tb, ad, bd = binary_operands(input, other)
    r = ad + bd if alpha == 1 else ad + bd * alpha
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = AddBackward0()
        node.alpha = alpha
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class SubBackward0(Node):
    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    ta, tb, ad, bd = binary_operands(input, other)
    if ad.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    r = ad - bd if alpha == 1 else ad - bd * alpha
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = SubBackward0()
        node.alpha = alpha
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class MulBackward0(Node):
    def backward(self, g):
        b, a = self.saved_tensors  # saved as (what d/da needs, what d/db needs)
        return (None if b is None else g * b), (None if a is None else g * a)


def mul(input, other, *, out=None):
    """``input * other``."""
    ta, tb, ad, bd = binary_operands(input, other)
    r = ad * bd
    a_rg = ta is not None and ta._rg
    b_rg = tb is not None and tb._rg
    if STATE.enabled and (a_rg or b_rg):
        node = MulBackward0()
        # save only what the gradient needs: d/da needs b, d/db needs a (a Python scalar as is)
        node.save_for_backward((bd if tb is None else tb) if a_rg else None,
                               (ad if ta is None else ta) if b_rg else None)
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class DivBackward0(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        ga = None if self._next[0] is None else g / b
        gb = None if self._next[1] is None else -g * a / (b * b)
        return ga, gb


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``: true division (integers give floats) unless ``rounding_mode`` is
    ``'trunc'`` or ``'floor'``."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode, out)
    ta, tb, ad, bd = binary_operands(input, other)
    if (ad if ta is not None else bd).dtype.kind in "biu":  # int / int is a float, as in Python
        from ember._dtype import get_default_dtype
        ft = get_default_dtype().np
        ad = ad.astype(ft) if ta is not None else ad
        bd = bd.astype(ft) if tb is not None else bd
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ad / bd
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = DivBackward0()
        node.save_for_backward(ad if ta is None else ta, bd if tb is None else tb)
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def _rounded_div(input, other, mode, out):
    ta, tb, ad, bd = binary_operands(input, other)
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{mode}'")
    kind = (ad if ta is not None else bd).dtype.kind
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind in "iub":
            if mode == "floor":
                r = np.floor_divide(ad, bd)
            else:
                r = np.trunc(np.true_divide(ad, bd)).astype((ad if ta is not None else bd).dtype)
        else:
            r = np.floor(ad / bd) if mode == "floor" else np.trunc(ad / bd)
    r = np.asarray(r)
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        return _out(track(r, _ZeroGrad(), (ta, tb)), out)
    return _out(wrap(r), out)


class _ZeroGrad(Node):
    """Backward of piecewise-constant ops (floor, round, sign, ...): zero gradients."""

    def name(self):
        return "ZeroGradBackward0"

    def backward(self, g):
        z = g * 0
        return (z,) * len(self._next)


def _out(t, out):
    """Honour an ``out=`` argument: copy the result into ``out`` (resized like PyTorch does)."""
    if out is None:
        return t
    if out._data.shape != t._data.shape:
        out._data = np.empty_like(t._data, dtype=out._data.dtype)
    out._data[...] = t._data
    out._vc[0] += 1
    return out


# ---- unary ---------------------------------------------------------------------------------------
class NegBackward0(Node):
    def backward(self, g):
        return -g


def neg(input):
    """``-input``."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    r = -input._data
    if STATE.enabled and input._rg:
        return track(r, NegBackward0(), (input,))
    return wrap(r)


class ExpBackward0(Node):
    def backward(self, g):
        return g * self.saved_output()


def exp(input):
    """``e ** input``."""
    x = _float_data(input)
    r = np.exp(x)
    if STATE.enabled and input._rg:
        return track(r, ExpBackward0(), (input,), save_out=True)
    return wrap(r)


def _float_data(t):
    """The array of ``t``, cast to the default float dtype when it is an integer or bool array
    (``exp(int_tensor)`` is a float tensor in PyTorch)."""
    d = t._data
    if d.dtype.kind in "biu":
        from ember._dtype import get_default_dtype
        return d.astype(get_default_dtype().np)
    return d


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg

methods(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=div,
    neg=neg, negative=neg, exp=exp,
    __add__=add, __radd__=lambda self, other: add(other, self),
    __sub__=sub, __rsub__=lambda self, other: sub(other, self),
    __mul__=mul, __rmul__=lambda self, other: mul(other, self),
    __truediv__=div, __rtruediv__=lambda self, other: div(other, self),
    __neg__=neg, __pos__=lambda self: self,
)

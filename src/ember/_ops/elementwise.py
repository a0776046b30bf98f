"""Binary arithmetic: each primitive is a function (forward) beside its Node (backward).

Backward formulas are written with Tensor operations, so with ``create_graph=True`` they record a graph
of their own (double backward) and under the engine's default no-grad mode they cost one array op each.
Formulas never undo broadcasting: the engine sums each gradient back to its input's shape.

Comparisons, ``maximum``/``minimum``, ``clamp`` and ``where`` live in ``compare.py``; one-input math
(``exp``, ``tanh``, ``abs`` ...) in ``unary.py``.
"""
import builtins
import math

import numpy as np

from ember._ops._util import binary_operands
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "lerp",
           "neg", "negative", "positive"]

_INT = "biu"


def _rg(ta, tb):
    """Whether the op must record: grad mode is on and an operand requires grad."""
    return STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg)


def _out(t, out):
    """Honour an ``out=`` argument: copy the result into ``out`` (resized like PyTorch does)."""
    if out is None:
        return t
    if out._data.shape != t._data.shape:
        out._data = np.empty_like(t._data, dtype=out._data.dtype)
    out._data[...] = t._data
    out._vc[0] += 1
    return out


def _float_data(t):
    """The array of ``t``, cast to the default float dtype when it is an integer or bool array
    (``exp(int_tensor)`` is a float tensor in PyTorch)."""
    d = t._data
    if d.dtype.kind in _INT:
        from ember._dtype import get_default_dtype
        return d.astype(get_default_dtype().np)
    return d


def shape_error(a, b):
    """PyTorch's RuntimeError for operands (arrays, numbers or shape tuples) that do not broadcast
    (NumPy raises ValueError)."""
    sa = a if type(a) is tuple else np.shape(a)
    sb = b if type(b) is tuple else np.shape(b)
    n = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if sa[i] != sb[i] and sa[i] != 1 and sb[i] != 1:
            return RuntimeError(f"The size of tensor a ({sa[i]}) must match the size of tensor b "
                                f"({sb[i]}) at non-singleton dimension {i}")
    return RuntimeError(f"operands of shapes {list(sa)} and {list(sb)} do not broadcast")


def _is_bool(x):
    return x.__class__ is bool or isinstance(x, Tensor) and x._data.dtype == np.bool_


def _no_bool_kernel(dt, kernel):
    if dt == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_int_zero(bd):
    """PyTorch raises on integer division by zero (NumPy would warn and give 0)."""
    if not np.all(bd):
        raise RuntimeError("ZeroDivisionError")


# ---- add / sub / mul / div -----------------------------------------------------------------------
class AddBackward0(Node):
    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and PyTorch's type promotion.

    Example::

        ember.add(ember.ones(2, 3), ember.ones(3), alpha=2)   # all 3.
    """
    ta, tb, ad, bd = binary_operands(input, other)
    try:
        r = ad + bd if alpha == 1 else ad + bd * alpha
    except ValueError:
        raise shape_error(ad, bd) from None
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = AddBackward0()
        node.alpha = alpha
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class SubBackward0(Node):
    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


def _no_bool_sub(input, other):
    """PyTorch refuses subtraction with any bool operand (a Python bool included)."""
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a or b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    _no_bool_sub(input, other)
    ta, tb, ad, bd = binary_operands(input, other)
    try:
        r = ad - bd if alpha == 1 else ad - bd * alpha
    except ValueError:
        raise shape_error(ad, bd) from None
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = SubBackward0()
        node.alpha = alpha
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class RsubBackward0(Node):
    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha), g


class RsubBackward1(Node):
    def backward(self, g):
        return -g if self.alpha == 1 else g * -self.alpha


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (what ``2 - x`` calls)."""
    _no_bool_sub(other, input)
    ta, tb, ad, bd = binary_operands(input, other)
    try:
        r = bd - ad if alpha == 1 else bd - ad * alpha
    except ValueError:
        raise shape_error(ad, bd) from None
    if _rg(ta, tb):
        if tb is None:
            node = RsubBackward1()
            node.alpha = alpha
            return track(r, node, (ta,))
        node = RsubBackward0()
        node.alpha = alpha
        return track(r, node, (ta, tb))
    return wrap(r)


class MulBackward0(Node):
    def backward(self, g):
        b, a = self.saved_tensors  # saved as (what d/da needs, what d/db needs)
        return (None if b is None else g * b), (None if a is None else g * a)


def mul(input, other, *, out=None):
    """``input * other``."""
    ta, tb, ad, bd = binary_operands(input, other)
    try:
        r = ad * bd
    except ValueError:
        raise shape_error(ad, bd) from None
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
    ``'trunc'`` (round towards zero) or ``'floor'`` (round down)."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode, out)
    ta, tb, ad, bd = binary_operands(input, other)
    if (ad if ta is not None else bd).dtype.kind in _INT:  # int / int is a float, as in Python
        from ember._dtype import get_default_dtype
        ft = get_default_dtype().np
        ad = ad.astype(ft) if ta is not None else ad
        bd = bd.astype(ft) if tb is not None else bd
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = ad / bd
    except ValueError:
        raise shape_error(ad, bd) from None
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = DivBackward0()
        node.save_for_backward(ad if ta is None else ta, bd if tb is None else tb)
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def _rtruediv(self, other):
    # NOTE: PyTorch computes ``2 / x`` as ``x.reciprocal() * 2`` (its grad_fn is MulBackward0)
    from ember._ops.unary import reciprocal
    return mul(reciprocal(self), other)


class _ZeroGrad(Node):
    """Backward of piecewise-constant ops (rounded division, floor, sign ...): zero gradients."""

    def backward(self, g):
        z = g * 0
        return (z,) * len(self._next) if len(self._next) > 1 else z


def zero_grad_node(name):
    """A Node class named ``name`` (PyTorch's grad_fn name) whose gradients are all zero."""
    return type(name, (_ZeroGrad,), {"__doc__": "Zero gradient (piecewise-constant op)."})


DivBackward2 = zero_grad_node("DivBackward2")


class _NotDifferentiable(Node):
    """PyTorch's ``NotImplemented`` node: the op records, but backward through it raises."""

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


_NotDifferentiable.__name__ = "NotImplemented"


def _not_differentiable(r, op, ta, tb):
    node = _NotDifferentiable()
    node.op = op
    return track(r, node, (ta, tb))


def _int_trunc_div(ad, bd):
    q = np.floor_divide(ad, bd)
    # C division truncates: where the floor went below zero with a remainder, step back up
    fix = (np.remainder(ad, bd) != 0) & ((np.asarray(ad) < 0) != (np.asarray(bd) < 0))
    return q + fix.astype(q.dtype)


def _rounded_div(input, other, mode, out):
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{mode}'")
    ta, tb, ad, bd = binary_operands(input, other)
    dt = (ad if ta is not None else bd).dtype
    _no_bool_kernel(dt, "div_floor_cpu" if mode == "floor" else "div_trunc_cpu")
    try:
        if dt.kind in _INT:
            _check_int_zero(bd)
            r = np.floor_divide(ad, bd) if mode == "floor" else _int_trunc_div(ad, bd)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                # NumPy's floor_divide is Python's (and PyTorch's) floor division, exact at .5 edges
                r = np.floor_divide(ad, bd) if mode == "floor" else np.trunc(ad / bd)
    except ValueError:
        raise shape_error(ad, bd) from None
    r = np.asarray(r)
    if _rg(ta, tb):
        return _out(track(r, DivBackward2(), (ta, tb)), out)
    return _out(wrap(r), out)


def floor_divide(input, other, *, out=None):
    """``input // other``: division rounded down (Python's ``//``); not differentiable."""
    ta, tb, ad, bd = binary_operands(input, other)
    dt = (ad if ta is not None else bd).dtype
    _no_bool_kernel(dt, "div_floor_cpu")
    if dt.kind in _INT:
        _check_int_zero(bd)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.asarray(np.floor_divide(ad, bd))
    except ValueError:
        raise shape_error(ad, bd) from None
    if _rg(ta, tb):
        return _out(_not_differentiable(r, "floor_divide", ta, tb), out)
    return _out(wrap(r), out)


# ---- remainder / fmod ----------------------------------------------------------------------------
class RemainderBackward0(Node):
    def backward(self, g):
        return g


class RemainderBackward1(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        gb = None if self._next[1] is None else -g * div(a, b, rounding_mode="floor")
        return g, gb


def remainder(input, other, *, out=None):
    """Python's modulus ``input % other``: the result has the sign of ``other``."""
    return _mod(input, other, out, np.remainder, "floor", RemainderBackward0, RemainderBackward1,
                "remainder")


class FmodBackward0(Node):
    def backward(self, g):
        return g


class FmodBackward1(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        gb = None if self._next[1] is None else -g * div(a, b, rounding_mode="trunc")
        return g, gb


def fmod(input, other, *, out=None):
    """C's ``fmod``: the remainder of truncated division, with the sign of ``input``."""
    return _mod(input, other, out, np.fmod, "trunc", FmodBackward0, FmodBackward1, "fmod")


def _mod(input, other, out, ufunc, mode, scalar_node, tensor_node, name):
    ta, tb, ad, bd = binary_operands(input, other)
    dt = (ad if ta is not None else bd).dtype
    _no_bool_kernel(dt, name + "_cpu")
    if dt.kind in _INT:
        _check_int_zero(bd)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.asarray(ufunc(ad, bd))
    except ValueError:
        raise shape_error(ad, bd) from None
    if not _rg(ta, tb):
        return _out(wrap(r), out)
    if ta is None:  # ``2 % x``: PyTorch has no derivative for a scalar dividend
        return _out(_not_differentiable(r, name, ta, tb), out)
    if tb is None:
        return _out(track(r, scalar_node(), (ta,)), out)
    node = tensor_node()
    node.save_for_backward(ta, tb)
    return _out(track(r, node, (ta, tb)), out)


# ---- pow -----------------------------------------------------------------------------------------
class PowBackward0(Node):
    """``x ** c`` for a number ``c``."""

    def backward(self, g):
        (x,) = self.saved_tensors
        c = self.exponent
        if c == 0:
            return g * 0
        return g * (c * pow(x, c - 1))


class PowBackward1(Node):
    """``x ** y`` for two tensors."""

    def backward(self, g):
        from ember._ops.compare import where
        x, y = self.saved_tensors
        gx = gy = None
        if self._next[0] is not None:
            gx = where(wrap(y._data == 0), 0.0, g * (y * pow(x, y - 1)))
        if self._next[1] is not None:
            # d/dy x**y = x**y log x, defined as 0 where x == 0 and y >= 0 (0**y is flat there)
            flat = wrap((x._data == 0) & (y._data >= 0))
            gy = g * where(flat, 0.0, self.saved_output() * x.log())
        return gx, gy


class PowBackward2(Node):
    """``c ** y`` for a number ``c``."""

    def backward(self, g):
        c = self.base
        if c == 0:
            from ember._ops.compare import where
            (y,) = self.saved_tensors
            # 0 ** y: flat (zero gradient) for y >= 0, and -inf * ... where it blows up
            return g * where(wrap(y._data >= 0), 0.0, self.saved_output() * float("-inf"))
        return g * (self.saved_output() * (math.log(c) if c > 0 else math.nan))


def _int_pow(ad, bd):
    """Integer powers with negative exponents, as PyTorch gives them (NumPy refuses): 1 ** -n is 1,
    (-1) ** -n is +-1, anything else truncates to 0."""
    neg = bd < 0
    safe = np.where(neg, 0, bd)
    r = np.power(ad, safe)
    odd = (np.asarray(bd) % 2) == 1
    inv = np.where(ad == 1, 1, np.where(ad == -1, np.where(odd, -1, 1), 0)).astype(r.dtype)
    return np.where(neg, inv, r)


def pow(input, exponent, *, out=None):
    """``input ** exponent``; either may be a number (``pow(2, x)`` is ``2 ** x``).

    Example::

        ember.pow(ember.tensor([1., 2., 3.]), 2)   # tensor([1., 4., 9.])
    """
    ta, tb, ad, bd = binary_operands(input, exponent)
    if ta is not None and tb is not None:
        _no_bool_kernel(ad.dtype, "pow")
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = ad ** bd
    except ValueError:  # integer tensor to a negative integer power, or shapes
        if ta is not None and tb is not None and ad.dtype.kind in _INT:
            try:
                r = _int_pow(ad, bd)
            except ValueError:
                raise shape_error(ad, bd) from None
        elif tb is None:
            raise RuntimeError("Integers to negative integer powers are not allowed.") from None
        else:
            raise shape_error(ad, bd) from None
    r = np.asarray(r)
    dt = (ad if ta is not None else bd).dtype
    if r.dtype != dt:  # NumPy's bool ** bool is int8; PyTorch keeps the promoted dtype
        r = r.astype(dt)
    if not _rg(ta, tb):
        return _out(wrap(r), out)
    if tb is None:
        node = PowBackward0()
        node.exponent = bd
        node.save_for_backward(ta)
        return _out(track(r, node, (ta,)), out)
    if ta is None:
        node = PowBackward2()
        node.base = ad
        node.save_for_backward(tb)
        return _out(track(r, node, (tb,), save_out=True), out)
    node = PowBackward1()
    node.save_for_backward(ta, tb)
    return _out(track(r, node, (ta, tb), save_out=True), out)


def float_power(input, exponent, *, out=None):
    """``input ** exponent`` computed in double precision (the result is float64)."""
    from ember._dtype import float64
    a = input.to(float64) if isinstance(input, Tensor) else builtins.float(input)
    b = exponent.to(float64) if isinstance(exponent, Tensor) else builtins.float(exponent)
    return pow(a, b, out=out)


# ---- atan2 / lerp / neg --------------------------------------------------------------------------
class Atan2Backward0(Node):
    def backward(self, g):
        from ember._ops.compare import where
        a, b = self.saved_tensors
        denom = a * a + b * b
        zero = wrap(denom._data == 0)  # at the origin PyTorch gives zero gradients, not NaN
        ga = None if self._next[0] is None else where(zero, 0.0, g * b / denom)
        gb = None if self._next[1] is None else where(zero, 0.0, g * -a / denom)
        return ga, gb


def atan2(input, other, *, out=None):
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant."""
    if not isinstance(other, Tensor):
        raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    ta, tb, ad, bd = binary_operands(input, other)
    if ad.dtype.kind in _INT:
        from ember._dtype import get_default_dtype
        ad, bd = ad.astype(get_default_dtype().np), bd.astype(get_default_dtype().np)
    try:
        r = np.arctan2(ad, bd)
    except ValueError:
        raise shape_error(ad, bd) from None
    if _rg(ta, tb):
        node = Atan2Backward0()
        node.save_for_backward(ta, tb)
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class LerpBackward0(Node):
    """Scalar weight."""

    def backward(self, g):
        w = self.weight
        return g * (1 - w), g * w


class LerpBackward1(Node):
    """Tensor weight."""

    def backward(self, g):
        a, b, w = self.saved_tensors
        n = self._next
        return (None if n[0] is None else g * (1 - w), None if n[1] is None else g * w,
                None if n[2] is None else g * (b - a))


def lerp(input, end, weight, *, out=None):
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or a tensor."""
    if input._data.dtype != end._data.dtype:
        raise RuntimeError(f"expected dtype {_c_name(input)} for `end` but got dtype {_c_name(end)}")
    if input._data.dtype.kind in _INT:
        raise NotImplementedError(f"\"lerp_kernel_scalar\" not implemented for '{input.dtype}'")
    a, b = input._data, end._data
    wt = weight if isinstance(weight, Tensor) else None
    w = weight._data if wt is not None else weight
    # NOTE: PyTorch's formula, exact at both ends: from the nearer endpoint
    small = np.abs(w) < 0.5
    try:
        r = np.where(small, a + w * (b - a), b - (b - a) * (1 - w)).astype(a.dtype, copy=False)
    except ValueError:
        raise shape_error(a, b if np.ndim(w) == 0 else np.broadcast_to(w, b.shape)) from None
    if STATE.enabled and (input._rg or end._rg or wt is not None and wt._rg):
        if wt is None:
            node = LerpBackward0()
            node.weight = weight
            return _out(track(r, node, (input, end)), out)
        node = LerpBackward1()
        node.save_for_backward(input, end, wt)
        return _out(track(r, node, (input, end, wt)), out)
    return _out(wrap(r), out)


def _c_name(t):
    n = t.dtype.name
    return {"float32": "float", "float64": "double", "float16": "half", "int64": "long"}.get(n, n)


class NegBackward0(Node):
    def backward(self, g):
        return -g


def neg(input, *, out=None):
    """``-input``."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    r = -input._data
    if STATE.enabled and input._rg:
        return _out(track(r, NegBackward0(), (input,)), out)
    return _out(wrap(r), out)


def positive(input):
    """``+input``: the tensor itself."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


subtract, multiply, divide, true_divide, negative, arctan2 = sub, mul, div, div, neg, atan2

methods(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=div,
    floor_divide=floor_divide, remainder=remainder, fmod=fmod, pow=pow, float_power=float_power,
    atan2=atan2, arctan2=atan2, lerp=lerp, neg=neg, negative=neg, positive=positive,
    __add__=add, __radd__=lambda self, other: add(other, self),
    __sub__=sub, __rsub__=lambda self, other: rsub(self, other),
    __mul__=mul, __rmul__=lambda self, other: mul(other, self),
    __truediv__=div, __rtruediv__=_rtruediv,
    __floordiv__=floor_divide, __rfloordiv__=lambda self, other: floor_divide(other, self),
    __mod__=remainder, __rmod__=lambda self, other: remainder(other, self),
    __pow__=pow, __rpow__=lambda self, other: pow(other, self),
    __neg__=neg, __pos__=positive,
)

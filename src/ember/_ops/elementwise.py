"""Binary arithmetic: each primitive is a function (forward) beside its Node (backward).

Backward formulas are written with Tensor operations, so with ``create_graph=True`` they record a graph
of their own (double backward) and under the engine's default no-grad mode they cost one array op each.
Formulas never undo broadcasting: the engine sums each gradient back to its input's shape.

``pow`` and the rounded divisions (``//``, ``%``, ``fmod``) live in ``powmod.py``; comparisons,
``maximum``/``minimum``, ``clamp`` and ``where`` in ``compare.py``; one-input math in ``unary.py``.
"""
import numpy as np

from ember._ops._arith import (_float_data, _INT, _is_bool, _out, _rg, quiet_divide,  # noqa: F401
                               shape_error)
from ember._ops._util import binary_operands
from ember._ops.powmod import _rounded_div, float_power, floor_divide, fmod, pow, remainder
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "lerp",
           "addcmul", "addcdiv", "neg", "negative", "positive"]

_ONE = 1  # ``alpha is _ONE``: the default alpha (a 1 that is not True or 1.0), checked in one step


def _plain(a, b):
    """Whether ``a`` and ``b`` are plain Tensors of one dtype on one kind of array and no graph is
    recorded: then a binary op needs no promotion and no node.

    NOTE: the fast path of add/sub/mul/div, which per-item data pipelines (``(crop - mean) / std``)
    call tens of thousands of times an epoch. ``is`` on dtypes is conservative: NumPy's built-in
    dtypes are singletons, and an equal dtype that is another object takes the general path."""
    return (a.__class__ is b.__class__ is Tensor and a._data.dtype is b._data.dtype
            and a._data.__class__ is b._data.__class__ and not (STATE.enabled and (a._rg or b._rg)))


# ---- add / sub / mul / div -----------------------------------------------------------------------
class AddBackward0(Node):
    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and PyTorch's type promotion.

    Example::

        ember.add(ember.ones(2, 3), ember.ones(3), alpha=2)   # all 3.
    """
    if alpha is _ONE and out is None and _plain(input, other):
        try:
            return wrap(input._data + other._data)
        except ValueError:
            pass  # the general path raises PyTorch's error
    ta, tb, ad, bd = binary_operands(input, other)
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha(ad if ta is not None else bd, alpha)
    try:
        r = ad + bd if alpha == 1 else _alpha_op(np.add, ad, bd, alpha, ta)
    except ValueError:
        raise shape_error(ad, bd) from None
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = AddBackward0()
        node.alpha = alpha
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def _check_alpha(arr, alpha):
    """PyTorch's rules for ``alpha``: no float alpha with integers, no bool alpha unless bool."""
    kind = arr.dtype.kind
    if kind in "iu" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point "
                           "number.")
    if isinstance(alpha, bool) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


def _alpha_op(ufunc, ad, bd, alpha, ta):
    """``ufunc(ad, bd * alpha)`` in the promoted dtype (bool * int would give NumPy's int64)."""
    r = ufunc(ad, bd * alpha)
    dt = (ad if ta is not None else bd).dtype
    return r if r.dtype == dt else r.astype(dt)


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
    if (alpha is _ONE and out is None and _plain(input, other)
            and input._data.dtype.kind != "b"):
        try:
            return wrap(input._data - other._data)
        except ValueError:
            pass
    _no_bool_sub(input, other)
    ta, tb, ad, bd = binary_operands(input, other)
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha(ad if ta is not None else bd, alpha)
    try:
        r = ad - bd if alpha == 1 else _alpha_op(np.subtract, ad, bd, alpha, ta)
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
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha(ad, alpha)
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


def _same(t):
    return t


def _conj(t):
    """``conj(t)`` for a complex operand (a saved Tensor, array or number), else ``t``."""
    if isinstance(t, Tensor):
        if t._data.dtype.kind != "c":
            return t
        from ember._ops.complex_math import conj
        return conj(t)
    return np.conj(t) if np.iscomplexobj(t) else t


class MulBackward0(Node):
    scalar = None  # ``x * 2``: the number, kept as an attribute (no saved tensor to check)

    def backward(self, g):
        # complex operands: PyTorch's gradients multiply by the conjugate (a real gradient means
        # a real product, so real operands: nothing to conjugate)
        c = _conj if g._data.dtype.kind == "c" else _same
        s = self.scalar
        if s is not None:
            s = c(s)
            return (g * s, None) if self._next[1] is None else (None, g * s)
        b, a = self.saved_tensors  # saved as (what d/da needs, what d/db needs)
        return (None if b is None else g * c(b)), (None if a is None else g * c(a))


def mul(input, other, *, out=None):
    """``input * other``."""
    if out is None and _plain(input, other):
        try:
            return wrap(input._data * other._data)
        except ValueError:
            pass
    ta, tb, ad, bd = binary_operands(input, other)
    try:
        r = ad * bd
    except ValueError:
        raise shape_error(ad, bd) from None
    a_rg = ta is not None and ta._rg
    b_rg = tb is not None and tb._rg
    if STATE.enabled and (a_rg or b_rg):
        node = MulBackward0()
        if tb is None:
            node.scalar = bd
        elif ta is None:
            node.scalar = ad
        else:  # save only what the gradient needs: d/da needs b, d/db needs a
            node.save_for_backward(tb if a_rg else None, ta if b_rg else None)
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


class DivBackward0(Node):
    divisor = None  # ``x / 2``: the number, kept as an attribute

    def backward(self, g):
        c = _conj if g._data.dtype.kind == "c" else _same  # (see MulBackward0)
        if self.divisor is not None:
            return g / c(self.divisor), None
        a, b = self.saved_tensors
        ga = None if self._next[0] is None else g / c(b)
        gb = None if self._next[1] is None else -g * c(a) / c(b * b)
        return ga, gb


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``: true division (integers give floats) unless ``rounding_mode`` is
    ``'trunc'`` (round towards zero) or ``'floor'`` (round down)."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode, out)
    if out is None and _plain(input, other) and input._data.dtype.kind in "fc":
        try:
            return wrap(quiet_divide(input._data, other._data))
        except ValueError:
            pass
    ta, tb, ad, bd = binary_operands(input, other)
    if (ad if ta is not None else bd).dtype.kind in _INT:  # int / int is a float, as in Python
        from ember._dtype import get_default_dtype
        ft = get_default_dtype().np
        ad = ad.astype(ft) if ta is not None else ad
        bd = bd.astype(ft) if tb is not None else bd
    try:
        r = quiet_divide(ad, bd)
    except ValueError:
        raise shape_error(ad, bd) from None
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = DivBackward0()
        if tb is None:
            node.divisor = bd
        else:
            node.save_for_backward(ad if ta is None else ta, tb)
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def _rtruediv(self, other):
    # NOTE: PyTorch computes ``2 / x`` as ``x.reciprocal() * 2`` (its grad_fn is MulBackward0)
    from ember._ops.unary import reciprocal
    return mul(reciprocal(self), other)


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


def _addc(input, tensor1, tensor2, value, combine):
    """``input + value * tensor1 (*|/) tensor2`` in the three tensors' common dtype, ``value``
    cast to it first (truncated for integers), multiplied in that order: PyTorch's rounding."""
    from ember import _dtype
    dt = _dtype.promote_types(_dtype.promote_types(input.dtype, tensor1.dtype), tensor2.dtype)
    if isinstance(value, complex) and not dt.is_complex:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES.get(dt.name, dt.name)} "
                           "without overflow")
    value = (complex(value) if dt.is_complex else float(value) if dt.is_floating_point
             else int(value))
    a, b, c = (t if t.dtype == dt else t.to(dt) for t in (input, tensor1, tensor2))
    return add(a, combine(mul(b, value), c))


_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int"}


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``, in the tensors' common dtype (``value`` cast to it)
    and multiplied in that order (PyTorch's rounding).

    Example::

        >>> ember.addcmul(ember.ones(2), ember.tensor([2., 3.]), ember.tensor([4., 5.]), value=0.5)
        tensor([5.0000, 8.5000])
    """
    return _out(_addc(input, tensor1, tensor2, value, mul), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2`` (a true division; integer tensors are refused, as by
    PyTorch).

    Example::

        >>> ember.addcdiv(ember.ones(2), ember.tensor([2., 3.]), ember.tensor([4., 5.]), value=2)
        tensor([2.0000, 2.2000])
    """
    if tensor1._data.dtype.kind in _INT and tensor2._data.dtype.kind in _INT:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return _out(_addc(input, tensor1, tensor2, value, div), out)


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
    atan2=atan2, arctan2=atan2, lerp=lerp, addcmul=addcmul, addcdiv=addcdiv, neg=neg, negative=neg,
    positive=positive,
    __add__=add, __radd__=lambda self, other: add(other, self),
    __sub__=sub, __rsub__=lambda self, other: rsub(self, other),
    __mul__=mul, __rmul__=lambda self, other: mul(other, self),
    __truediv__=div, __rtruediv__=_rtruediv,
    __floordiv__=floor_divide, __rfloordiv__=lambda self, other: floor_divide(other, self),
    __mod__=remainder, __rmod__=lambda self, other: remainder(other, self),
    __pow__=pow, __rpow__=lambda self, other: pow(other, self),
    __neg__=neg, __pos__=positive,
)

"""Comparisons, logic and selection: ``eq``/``lt``/..., ``isclose``, ``logical_*``, ``bitwise_*``, and the
ops that pick elements by comparing them: ``maximum``/``minimum``/``fmax``/``fmin``, ``clamp``, ``where``.

Comparison and logic results are bool tensors that never require grad. The selecting ops pass the
gradient to the element that was picked (ties in ``maximum``/``minimum`` split it evenly, like PyTorch).
Their masks are computed once from arrays and enter formulas as constants (``wrap(mask)``).
"""
import numpy as np

from ember._backend import xp_of
from ember._ops._util import as_tensor_operand, binary_operands
from ember._ops._arith import _out, shape_error
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "isposinf",
           "isneginf", "isreal", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "maximum", "minimum", "fmax",
           "fmin", "clamp", "clip", "clamp_min", "clamp_max", "where", "nan_to_num"]

_TITLE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
          "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


# ---- comparisons ---------------------------------------------------------------------------------
def _apply(ufunc, ad, bd):
    try:
        return ufunc(ad, bd)
    except ValueError:
        raise shape_error(ad, bd) from None


def _comparison(ufunc, name, symbol):
    def op(input, other, *, out=None):
        _, _, ad, bd = binary_operands(input, other)
        return _out(wrap(_apply(ufunc, ad, bd)), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``input {symbol} other`` elementwise, with broadcasting: a bool tensor."
    return op


eq = _comparison(np.equal, "eq", "==")
ne = _comparison(np.not_equal, "ne", "!=")
lt = _comparison(np.less, "lt", "<")
le = _comparison(np.less_equal, "le", "<=")
gt = _comparison(np.greater, "gt", ">")
ge = _comparison(np.greater_equal, "ge", ">=")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _dunder(op):
    """An operator method: an operand neither Tensor nor number (``t == None``) gives
    NotImplemented, so Python falls back (``==`` to identity, ``<`` to a TypeError), as in PyTorch."""
    def method(self, other):
        if other is None or isinstance(other, str):
            return NotImplemented
        return op(self, other)
    method.__name__ = f"__{op.__name__}__"
    return method


def equal(input, other):
    """True when both tensors have the same shape and the same values."""
    a, b = input._data, other._data
    return a.shape == b.shape and bool((a == b).all())


def _same_dtype(input, other):
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{_TITLE[input._data.dtype.name]} did not match "
                           f"{_TITLE[other._data.dtype.name]}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (infinities equal themselves)."""
    _same_dtype(input, other)
    a, b = input._data, other._data
    if a.dtype == np.bool_:
        return wrap(a == b)
    xp_isclose = np.isclose if type(a) is np.ndarray else xp_of(a).isclose
    return wrap(xp_isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when :func:`isclose` holds for every element."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _test(ufunc, name, doc):
    def op(input):
        return wrap(ufunc(input._data))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


isnan = _test(np.isnan, "isnan", "Which elements are NaN.")
isinf = _test(np.isinf, "isinf", "Which elements are +inf or -inf.")
isfinite = _test(np.isfinite, "isfinite", "Which elements are neither inf nor NaN.")
isposinf = _test(np.isposinf, "isposinf", "Which elements are +inf.")
isneginf = _test(np.isneginf, "isneginf", "Which elements are -inf.")
isreal = _test(lambda a: a.imag == 0 if a.dtype.kind == "c" else np.ones_like(a, dtype=bool), "isreal",
               "Which elements have no imaginary part (all, for a real tensor).")


# ---- logic and bits ------------------------------------------------------------------------------
def _logical(ufunc, name):
    def op(input, other, *, out=None):
        _, _, ad, bd = binary_operands(input, other)
        return _out(wrap(_apply(ufunc, ad, bd)), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name.split('_')[1]} of the truth values (nonzero is True)."
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input, *, out=None):
    """Elementwise not of the truth values (nonzero is True)."""
    return _out(wrap(np.logical_not(input._data)), out)


def _bitwise(ufunc, name):
    kernel = name + "_cpu"

    def op(input, other, *, out=None):
        _, _, ad, bd = binary_operands(input, other)
        d = getattr(ad, "dtype", None)  # one of the two is an array; the other may be a number
        if d is None:
            d = bd.dtype
        if d.kind not in "biu":
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TITLE[d.name]}'")
        return _out(wrap(_apply(ufunc, ad, bd)), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name.split('_')[1]} of the bits of integer or bool tensors."
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input, *, out=None):
    """Elementwise not of the bits of an integer tensor (logical not for bool)."""
    d = input._data
    if d.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_TITLE[d.dtype.name]}'")
    return _out(wrap(np.invert(d)), out)


def _invert(self):
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return wrap(np.invert(self._data))


# ---- selection: maximum / minimum / fmax / fmin ----------------------------------------------------
class MaximumBackward0(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        return _tie_split(self, g, a._data, b._data)


class MinimumBackward0(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        return _tie_split(self, g, b._data, a._data)


def _tie_split(node, g, hi, lo):
    """Gradient of max(hi, lo): to the larger input, halved between equal ones (NaN: to both)."""
    tie = wrap(hi == lo)
    half = where(tie, g / 2, g)
    ga = None if node._next[0] is None else where(wrap(hi < lo), 0.0, half)
    gb = None if node._next[1] is None else where(wrap(hi > lo), 0.0, half)
    return ga, gb


class FmaxBackward0(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        return _nan_aware(self, g, np.greater_equal(a._data, b._data) | np.isnan(b._data))


class FminBackward0(Node):
    def backward(self, g):
        a, b = self.saved_tensors
        return _nan_aware(self, g, np.less_equal(a._data, b._data) | np.isnan(b._data))


def _nan_aware(node, g, first):
    """fmax/fmin: the gradient goes to ``input`` where it was picked (ties included), else ``other``."""
    m = wrap(first)
    ga = None if node._next[0] is None else where(m, g, 0.0)
    gb = None if node._next[1] is None else where(m, 0.0, g)
    return ga, gb


def _selector(ufunc, node_cls, name, doc):
    def op(input, other, *, out=None):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        ta, tb, ad, bd = binary_operands(input, other)
        r = _apply(ufunc, ad, bd)
        if STATE.enabled and (ta._rg or tb._rg):
            node = node_cls()
            node.save_for_backward(ta, tb)
            return _out(track(r, node, (ta, tb)), out)
        return _out(wrap(r), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


maximum = _selector(np.maximum, MaximumBackward0, "maximum",
                    "The larger of two tensors, elementwise (NaN if either is NaN).")
minimum = _selector(np.minimum, MinimumBackward0, "minimum",
                    "The smaller of two tensors, elementwise (NaN if either is NaN).")
fmax = _selector(np.fmax, FmaxBackward0, "fmax",
                 "The larger of two tensors, elementwise, ignoring a NaN when the other is a number.")
fmin = _selector(np.fmin, FminBackward0, "fmin",
                 "The smaller of two tensors, elementwise, ignoring a NaN when the other is a number.")


# ---- clamp ---------------------------------------------------------------------------------------
class ClampBackward1(Node):
    """Number bounds: the gradient passes where ``min <= x <= max`` (boundaries included)."""

    def backward(self, g):
        (x,) = self.saved_tensors
        return where(wrap(_inside(x._data, self.min, self.max)), g, 0.0)


def _inside(d, lo, hi):
    """Where ``lo <= d <= hi`` (a None bound is no bound; NaN is never inside)."""
    if lo is None:
        return d <= hi
    return d >= lo if hi is None else (d >= lo) & (d <= hi)


class ClampBackward0(Node):
    """Tensor bounds: ``min`` gets the gradient where it was picked (and ``min < max``), ``max`` where
    it was picked or where ``max < min`` (then it wins everywhere)."""

    def backward(self, g):
        x, lo, hi = self.saved_tensors
        d = x._data
        n = self._next
        gx = None if n[0] is None else where(
            wrap(_inside(d, None if lo is None else lo._data, None if hi is None else hi._data)),
            g, 0.0)
        glo = ghi = None
        if lo is not None and n[1] is not None:
            m = d < lo._data
            if hi is not None:
                m = m & (lo._data < hi._data)
            glo = where(wrap(m), g, 0.0)
        if hi is not None and n[2] is not None:
            m = d > hi._data
            if lo is not None:
                m = m | (hi._data < lo._data)
            ghi = where(wrap(m), g, 0.0)
        return gx, glo, ghi


class ClampMinBackward0(ClampBackward1):
    pass


class ClampMaxBackward0(ClampBackward1):
    pass


class ClampMinBackward1(ClampBackward0):
    pass


class ClampMaxBackward1(ClampBackward0):
    pass


def clamp(input, min=None, max=None, *, out=None):
    """Limit every element to ``[min, max]``; either bound may be None, a number, or a tensor
    (broadcast against ``input``). With ``min > max`` every element becomes ``max``.

    Example::

        ember.tensor([-2., 0.5, 3.]).clamp(0, 1)   # tensor([0.0, 0.5, 1.0])
    """
    return _out(_clamp(input, min, max, ClampBackward1, ClampBackward0), out)


def _clamp(input, lo, hi, scalar_node, tensor_node):
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tensors = isinstance(lo, Tensor) or isinstance(hi, Tensor)
    if tensors and not (lo is None or isinstance(lo, Tensor)) or tensors and not (
            hi is None or isinstance(hi, Tensor)):
        raise TypeError("clamp() received an invalid combination of arguments: min and max must be "
                        "both numbers or both Tensors")
    r = input._data
    if lo is not None:
        _, _, r, lo_d = binary_operands(input, lo) if not tensors else binary_operands(wrap(r), lo)
        r = _apply(np.maximum, r, lo_d)
    if hi is not None:
        _, _, r, hi_d = binary_operands(wrap(r), hi)
        r = _apply(np.minimum, r, hi_d)
    rg = STATE.enabled and (input._rg or tensors and (lo is not None and lo._rg
                                                        or hi is not None and hi._rg))
    if not rg:
        return wrap(r)
    if not tensors:
        node = scalar_node()
        node.min, node.max = lo, hi
        node.save_for_backward(input)
        return track(r, node, (input,))
    node = tensor_node()
    node.save_for_backward(input, lo, hi)
    return track(r, node, (input, lo, hi))


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return _clamp(input, min, None, ClampMinBackward0, ClampMinBackward1)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return _clamp(input, None, max, ClampMaxBackward0, ClampMaxBackward1)


clip = clamp


# ---- where ---------------------------------------------------------------------------------------
class WhereBackward0(Node):
    def backward(self, g):
        c = self.cond
        n = self._next
        return (None if n[0] is None else where(c, g, 0.0),
                None if n[1] is None else where(c, 0.0, g))


def where(condition, input=None, other=None, *, out=None):
    """``input`` where ``condition`` is True, else ``other`` (both broadcast; either may be a number).
    With only ``condition``: the indices of its nonzero elements, one tensor per dimension.

    Example::

        ember.where(x > 0, x, 0.0)   # relu
    """
    c = condition._data
    if input is None and other is None:
        return tuple(wrap(i) for i in np.nonzero(c))
    if c.dtype != np.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with "
                           f"dtype {_TITLE[c.dtype.name]}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_tensor_operand(input, condition)  # on the condition's device
    ta, tb, ad, bd = binary_operands(input, other)
    try:
        r = np.where(c, ad, bd)
    except ValueError:
        try:
            s = np.broadcast_shapes(np.shape(ad), np.shape(bd))
        except ValueError:
            raise shape_error(ad, bd) from None
        raise shape_error(c, s) from None
    if r.dtype != (ad if ta is not None else bd).dtype:  # a Python scalar must not upcast
        r = r.astype((ad if ta is not None else bd).dtype)
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = WhereBackward0()
        node.cond = condition
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """``input`` with NaN replaced by ``nan`` and +-inf by ``posinf`` / ``neginf`` (default: the
    dtype's largest and lowest finite values); integers pass through. The gradient flows where
    the input was finite, as PyTorch's.

    Example::

        >>> ember.nan_to_num(ember.tensor([1., float("nan"), float("inf")]), nan=0.5)
        tensor([1.0000e+00, 5.0000e-01, 3.4028e+38])
    """
    d = input._data
    if d.dtype.kind not in "fc":
        r = input.clone()
    else:
        xp = xp_of(d)
        filled = wrap(xp.nan_to_num(d, nan=0.0 if nan is None else nan, posinf=posinf,
                                    neginf=neginf))
        r = where(isfinite(input), input, filled)
    if out is not None and out.dtype != input.dtype:
        from ember._ops.reduce import type_name
        raise RuntimeError(f"nan_to_num: dtype of out: {type_name(out._data.dtype)} should be same "
                           f"as input: {type_name(d.dtype)}")
    return _out(r, out)


methods(
    nan_to_num=nan_to_num,
    eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt, greater_equal=ge, less=lt, less_equal=le,
    not_equal=ne, equal=equal, allclose=allclose, isclose=isclose, isnan=isnan, isinf=isinf,
    isfinite=isfinite, isposinf=isposinf, isneginf=isneginf, isreal=isreal,
    logical_and=logical_and, logical_or=logical_or, logical_xor=logical_xor, logical_not=logical_not,
    bitwise_and=bitwise_and, bitwise_or=bitwise_or, bitwise_xor=bitwise_xor, bitwise_not=bitwise_not,
    maximum=maximum, minimum=minimum, fmax=fmax, fmin=fmin, clamp=clamp, clip=clamp,
    clamp_min=clamp_min, clamp_max=clamp_max, where=lambda self, condition, other: where(
        condition, self, other),
    __eq__=_dunder(eq), __ne__=_dunder(ne), __lt__=_dunder(lt), __le__=_dunder(le),
    __gt__=_dunder(gt), __ge__=_dunder(ge),
    __and__=bitwise_and, __or__=bitwise_or, __xor__=bitwise_xor,
    __rand__=lambda self, other: bitwise_and(other, self),
    __ror__=lambda self, other: bitwise_or(other, self),
    __rxor__=lambda self, other: bitwise_xor(other, self),
    __invert__=_invert,
)
# NOTE: Tensor keeps identity hashing (dict keys, sets) although ``==`` is elementwise
Tensor.__hash__ = object.__hash__

"""Powers and rounded division: ``pow``, ``float_power``, ``div(rounding_mode=...)``,
``floor_divide``, ``remainder`` and ``fmod``. Their operators (``**``, ``//``, ``%``) are attached in
``elementwise.py`` with the other arithmetic dunders."""
import builtins
import cmath
import math

import numpy as np

from ember._ops._arith import (_INT, _check_int_zero, _no_bool_kernel, _not_differentiable, _out,
                               _rg, shape_error, zero_grad_node)
from ember._ops._util import binary_operands
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.graph import Node

__all__ = ["floor_divide", "remainder", "fmod", "pow", "float_power"]

DivBackward2 = zero_grad_node("DivBackward2")


def _int_trunc_div(ad, bd):
    q = np.floor_divide(ad, bd)
    # C division truncates: where the floor went below zero with a remainder, step back up
    fix = (np.remainder(ad, bd) != 0) & ((ad < 0) != (bd < 0))
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
            r = np.floor_divide(ad, bd)
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
        gb = None if self._next[1] is None else -g * _rounded_div(a, b, "floor", None)
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
        gb = None if self._next[1] is None else -g * _rounded_div(a, b, "trunc", None)
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
            r = ufunc(ad, bd)
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
        d = c * pow(x, c - 1)
        if d._data.dtype.kind == "c":  # PyTorch's convention: times the conjugate derivative
            from ember._ops.complex_math import conj
            d = conj(d)
        return g * d


class PowBackward1(Node):
    """``x ** y`` for two tensors."""

    def backward(self, g):
        from ember._ops.compare import where
        x, y = self.saved_tensors
        gx = gy = None
        if self._next[0] is not None:
            gx = where(wrap(y._data == 0), 0.0, g * _conj(y * pow(x, y - 1)))
        if self._next[1] is not None:
            # d/dy x**y = x**y log x, defined as 0 where x == 0 and y >= 0 (0**y is flat there);
            # the log in the result's dtype (a negative real base of a complex power: log(-2) is
            # complex)
            out = self.saved_output()
            flat = wrap((x._data == 0) & _real_nonneg(y._data))
            xr = x if x._data.dtype == out._data.dtype else x.to(_dtype_of(out))
            gy = g * where(flat, 0.0, _conj(out * xr.log()))
        return gx, gy


class PowBackward2(Node):
    """``c ** y`` for a number ``c``."""

    def backward(self, g):
        out = self.saved_output()
        c = self.base
        if out._data.dtype.kind == "c":  # PyTorch's complex log of the base, conjugated
            log_c = cmath.log(c) if c != 0 else complex(-math.inf, 0)
        else:
            log_c = math.log(c) if c > 0 else (-math.inf if c == 0 else math.nan)
        d = _conj(out * log_c)
        if c == 0:
            from ember._ops.compare import where
            (y,) = self.saved_tensors
            # 0 ** y: flat (zero gradient) for y >= 0, and -inf * ... where it blows up
            d = where(wrap(_real_nonneg(y._data)), 0.0, d)
        return g * d


def _conj(t):
    """PyTorch's complex convention: a gradient times the conjugate derivative."""
    if t._data.dtype.kind != "c":
        return t
    from ember._ops.complex_math import conj
    return conj(t)


def _real_nonneg(a):
    """``a >= 0`` (for a complex ``a``: real, with a non-negative real part), as PyTorch."""
    if a.dtype.kind == "c":
        return (a.imag == 0) & (a.real >= 0)
    return a >= 0


def _dtype_of(t):
    from ember._dtype import as_dtype
    return as_dtype(t._data.dtype)


def _int_pow(ad, bd):
    """Integer powers with negative exponents, as PyTorch gives them (NumPy refuses): 1 ** -n is 1,
    (-1) ** -n is +-1, anything else truncates to 0."""
    neg = bd < 0
    safe = np.where(neg, 0, bd)
    r = np.power(ad, safe)
    odd = (bd % 2) == 1
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


methods(floor_divide=floor_divide, remainder=remainder, fmod=fmod, pow=pow, float_power=float_power)

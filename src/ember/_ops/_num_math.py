"""Floating-point bits, integer helpers and a log-space scan: ``copysign``, ``nextafter``,
``frexp``, ``ldexp``, ``heaviside``, ``signbit``, ``gcd``, ``lcm``, ``deg2rad``, ``rad2deg``,
``logcumsumexp``. Exported through ``special_math`` (the registered op family)."""
import math

import numpy as np

from ember._ops._arith import _INT, _float_data, _not_differentiable, _out, shape_error
from ember._ops._select import _structseq, return_types
from ember._ops._util import binary_operands, wrap_dim
from ember._ops.inplace import inplace_method
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["copysign", "nextafter", "frexp", "ldexp", "ldexp_", "heaviside", "signbit", "gcd",
           "gcd_", "lcm", "lcm_", "deg2rad", "deg2rad_", "rad2deg", "rad2deg_", "logcumsumexp"]

if not hasattr(return_types, "frexp"):
    _structseq("frexp", ("mantissa", "exponent"))


def type_name(dt):
    """PyTorch's name of a NumPy dtype in kernel errors ('Float', 'Long', 'ComplexFloat' ...)."""
    from ember._ops.reduce import type_name as name
    return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(dt.name, name(dt))


def broadcast_operands(input, other, name):
    """``binary_operands`` as arrays, with PyTorch's errors for two numbers and bad shapes."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__})")
    ta, tb, ad, bd = binary_operands(input, other)
    ad, bd = np.asarray(ad), np.asarray(bd)
    try:
        np.broadcast_shapes(ad.shape, bd.shape)
    except ValueError:
        raise shape_error(ad, bd) from None
    return ta, tb, ad, bd


def result_dtype(ta, tb, ad, bd):
    """The NumPy result dtype of a binary float op (``binary_operands`` has already cast the
    array beside a Python scalar); integers give the default float dtype."""
    dt = bd.dtype if ta is None else ad.dtype if tb is None else np.result_type(ad, bd)
    if dt.kind in _INT:
        from ember._dtype import get_default_dtype
        dt = get_default_dtype().np
    return dt


def _rg(*ts):
    return STATE.enabled and any(t is not None and t._rg for t in ts)


# ---- copysign, nextafter, heaviside, signbit -----------------------------------------------------
class CopysignBackward0(Node):
    def backward(self, g):
        with np.errstate(all="ignore"):  # 0/0 at masked points
            return self._grad(g)

    def _grad(self, g):
        from ember._ops.compare import where
        (x,) = self.saved_tensors
        r = self.saved_output()
        n = self._next
        gx = None if n[0] is None else g * where(x == 0, 0.0, r / x)
        gy = None if len(n) < 2 or n[1] is None else g * 0
        return (gx, gy) if len(n) > 1 else gx


def copysign(input, other, *, out=None):
    """``|input|`` with the sign of ``other`` (floats; integers give the default float dtype).

    Example::

        >>> ember.copysign(ember.tensor([1., -2.]), -0.0)
        tensor([-1., -2.])
    """
    ta, tb, ad, bd = broadcast_operands(input, other, "copysign")
    if "c" in (ad.dtype.kind, bd.dtype.kind):
        bad = ad.dtype if ad.dtype.kind == "c" else bd.dtype
        raise NotImplementedError(f"\"copysign_cpu\" not implemented for '{type_name(bad)}'")
    dt = result_dtype(ta, tb, ad, bd)
    r = np.copysign(ad.astype(dt), bd.astype(dt)).astype(dt, copy=False)
    if _rg(ta, tb):
        node = CopysignBackward0()
        node.save_for_backward(ta if ta is not None else wrap(ad.astype(dt)))
        return _out(track(r, node, (ta, tb), save_out=True), out)
    return _out(wrap(r), out)


class NextafterBackward0(Node):
    def backward(self, g):  # as PyTorch: input gets g (0 where it equals other), other none
        from ember._ops.compare import where
        n = self._next
        x, y = self.saved_tensors
        return (None if n[0] is None else where(x == y, 0.0, g), None if n[1] is None else g * 0)


def nextafter(input, other, *, out=None):
    """The next floating-point value after ``input`` towards ``other``, elementwise."""
    ta, tb, ad, bd = broadcast_operands(input, other, "nextafter")
    if ad.dtype.kind != "f":
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for "
                                  f"'{type_name(ad.dtype)}'")
    r = np.nextafter(ad, bd)
    if _rg(ta, tb):
        node = NextafterBackward0()
        node.save_for_backward(ta if ta is not None else wrap(ad), tb if tb is not None else
                               wrap(np.asarray(bd, ad.dtype)))
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)


def heaviside(input, values, *, out=None):
    """The step function: 0 where ``input < 0``, 1 where ``input > 0``, ``values`` where 0.

    Example::

        >>> ember.heaviside(ember.tensor([-1., 0., 2.]), ember.tensor([0.5]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    ad, bd = input._data, values._data
    try:
        r = np.where(ad == 0, bd, (ad > 0).astype(ad.dtype)).astype(ad.dtype)
    except ValueError:
        raise shape_error(ad, bd) from None
    if _rg(input, values):
        return _out(_not_differentiable(r, "heaviside", input, values), out)
    return _out(wrap(r), out)


def signbit(input, *, out=None):
    """Whether the sign bit of each element is set (True for -0.0), as a bool tensor."""
    d = input._data
    if d.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    r = np.signbit(d) if d.dtype.kind == "f" else (d < 0) if d.dtype.kind == "i" else \
        np.zeros(d.shape, bool)
    return _out(wrap(np.asarray(r)), out)


# ---- frexp, ldexp --------------------------------------------------------------------------------
class FrexpBackward0(Node):
    def backward(self, g):
        return g / self.exponent.to(g.dtype).exp2()


def frexp(input, *, out=None):
    """Split ``input`` into a mantissa in (-1, 1) and an int32 exponent:
    ``input == mantissa * 2 ** exponent``.

    Example::

        >>> ember.frexp(ember.tensor([8., 0.75]))
        ember.return_types.frexp(
        mantissa=tensor([0.5000, 0.7500]),
        exponent=tensor([4, 0], dtype=ember.int32))
    """
    d = input._data
    if d.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(d)
    e = wrap(np.asarray(e, np.int32))
    mt = wrap(np.asarray(m))
    if STATE.enabled and input._rg:
        node = FrexpBackward0()
        node.exponent = e.detach()
        mt = track(np.asarray(m), node, (input,))
    res = return_types.frexp(mt, e)
    if out is not None:
        _out(mt, out[0])
        _out(e, out[1])
        return return_types.frexp(out[0], out[1])
    return res


class LdexpBackward0(Node):
    def backward(self, g):
        from ember._ops.powmod import pow
        x, e = self.saved_tensors
        n = self._next
        gx = gy = None
        if n[0] is not None:
            if e._data.dtype.kind in _INT:
                # NOTE: PyTorch takes 2 ** other in integer arithmetic here: 0 for other < 0
                d = e._data.astype(np.int64)
                gx = g * wrap(np.where(d < 0, 0, 2.0 ** np.maximum(d, 0)).astype(g._data.dtype))
            else:
                gx = g * pow(2.0, e)
        if n[1] is not None:
            gy = g * x * pow(2.0, e) * math.log(2.0)
        return gx, gy


def ldexp(input, other, *, out=None):
    """``input * 2 ** other`` (a float result).

    Example::

        >>> ember.ldexp(ember.tensor([1.]), ember.tensor([3]))
        tensor([8.])
    """
    from ember._ops.powmod import pow
    ta, tb, ad, bd = broadcast_operands(input, other, "ldexp")
    if ad.dtype.kind == "f" and tb is not None and tb._data.dtype.kind == "b":
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    # NOTE: PyTorch's type is that of input and other together (float16 stays float16 beside an
    # integer other), not that of input * 2.0 ** other
    dt = result_dtype(ta, tb, ad, bd)
    with _no_grad():
        r = (input * pow(2.0, other))._data.astype(dt, copy=False)
    if _rg(input, other if isinstance(other, Tensor) else None):
        node = LdexpBackward0()
        tb = other if isinstance(other, Tensor) else wrap(np.asarray(other))
        node.save_for_backward(input, tb)
        return _out(track(r, node, (input, other if isinstance(other, Tensor) else None)), out)
    return _out(wrap(r), out)


def _no_grad():
    from ember.autograd.grad_mode import no_grad
    return no_grad()


# ---- gcd, lcm ------------------------------------------------------------------------------------
def _int_binary(input, other, name, fn, out):
    ta, tb, ad, bd = broadcast_operands(input, other, name)
    if ad.dtype.kind not in "iu" or bd.dtype.kind not in "iu":
        bad = ad.dtype if ad.dtype.kind not in "iu" else bd.dtype
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{type_name(bad)}'")
    return _out(wrap(np.asarray(fn(ad, bd))), out)


def gcd(input, other, *, out=None):
    """The greatest common divisor (non-negative), elementwise, of integer tensors.

    Example::

        >>> ember.gcd(ember.tensor([12, -9, 0]), ember.tensor([18, 6, 0]))
        tensor([6, 3, 0])
    """
    return _int_binary(input, other, "gcd", np.gcd, out)


def lcm(input, other, *, out=None):
    """The least common multiple (non-negative), elementwise, of integer tensors."""
    return _int_binary(input, other, "lcm", np.lcm, out)


# ---- degrees and radians -------------------------------------------------------------------------
def _scaled(input, factor, out):
    x = input if input._data.dtype.kind == "f" else wrap(_float_data(input))
    return _out(x * factor, out)


def deg2rad(input, *, out=None):
    """Degrees to radians, elementwise (integers give the default float dtype)."""
    return _scaled(input, math.pi / 180, out)


def rad2deg(input, *, out=None):
    """Radians to degrees, elementwise (integers give the default float dtype)."""
    return _scaled(input, 180 / math.pi, out)


# ---- logcumsumexp --------------------------------------------------------------------------------
class LogcumsumexpBackward0(Node):
    def backward(self, g):
        with np.errstate(all="ignore"):  # 0/0 at masked points
            return self._grad(g)

    def _grad(self, g):  # PyTorch's formula: g's positive and negative parts in log space
        from ember._ops.compare import where
        (x,) = self.saved_tensors
        r = self.saved_output()
        a = self.axis
        low = float(np.finfo(g._data.dtype).min)
        log_abs = g.abs().log()
        pos = where(g > 0, log_abs, low)
        neg = where(g < 0, log_abs, low)

        def rev(t):
            return _logcumsumexp(t.flip(a), a).flip(a)
        return (rev(pos - r) + x).exp() - (rev(neg - r) + x).exp()


def _logcumsumexp(input, axis):
    d = input._data
    with np.errstate(all="ignore"):
        r = d.copy() if d.ndim == 0 or d.size == 0 else np.logaddexp.accumulate(d, axis=axis)
    r = np.ascontiguousarray(r) if r.ndim else r
    if STATE.enabled and input._rg:
        node = LogcumsumexpBackward0()
        node.axis = axis
        node.save_for_backward(input)
        return track(r, node, (input,), save_out=True)
    return wrap(r)


def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))`` computed without overflow.

    Example::

        >>> ember.logcumsumexp(ember.tensor([0., 0., 1000.]), 0)
        tensor([0.0000e+00, 6.9315e-01, 1.0000e+03])
    """
    d = input._data
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{type_name(d.dtype)}'")
    axis = wrap_dim(dim, d.ndim)
    return _out(_logcumsumexp(input, axis if d.ndim else 0), out)


def _float_power_(self, exponent):
    from ember._ops.powmod import float_power
    if self._data.dtype != np.float64:
        raise RuntimeError("the base given to float_power_ has dtype "
                           f"{type_name(self._data.dtype)} but the operation's result "
                           "requires dtype Double")
    from ember._ops.inplace import apply_inplace
    return apply_inplace(self, float_power, exponent)


ldexp_, gcd_, lcm_ = inplace_method(ldexp), inplace_method(gcd), inplace_method(lcm)
deg2rad_, rad2deg_ = inplace_method(deg2rad), inplace_method(rad2deg)

methods(copysign=copysign, nextafter=nextafter, frexp=frexp, ldexp=ldexp, heaviside=heaviside,
        signbit=signbit, gcd=gcd, lcm=lcm, deg2rad=deg2rad, rad2deg=rad2deg,
        logcumsumexp=logcumsumexp, copysign_=inplace_method(copysign),
        nextafter_=inplace_method(nextafter), heaviside_=inplace_method(heaviside), ldexp_=ldexp_,
        gcd_=gcd_, lcm_=lcm_, deg2rad_=deg2rad_, rad2deg_=rad2deg_, float_power_=_float_power_)

"""Helpers shared by the elementwise families (``elementwise``, ``powmod``, ``unary``, ``compare``):
``out=`` handling, float casting, PyTorch's errors for shapes, bools and integer division by zero, and
the nodes of piecewise-constant and non-differentiable ops."""
import builtins

import numpy as np

from ember._backend import xp_of
from ember._tensor import Tensor, track
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

_INT = "biu"
_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}  # bool < integer < float < complex


def _rg(ta, tb):
    """Whether the op must record: grad mode is on and an operand requires grad."""
    return STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg)


def _out(t, out, exact=False):
    """Honour an ``out=`` argument: copy the result into ``out`` (resized like PyTorch does).
    PyTorch refuses inputs that require grad, and a result of a higher category than ``out``'s
    dtype (bool < integer < float < complex; ``exact``: any other dtype, as its matmul)."""
    if out is None:
        return t
    if t._rg and STATE.enabled:
        raise RuntimeError("functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    rd, od = t._data.dtype, out._data.dtype
    if exact and rd != od:
        from ember._ops.reduce import cpp_name
        raise RuntimeError(f"Expected out tensor to have dtype {cpp_name(rd)}, but got "
                           f"{cpp_name(od)} instead")
    if _KIND_RANK[rd.kind] > _KIND_RANK[od.kind]:
        from ember._ops.reduce import type_name
        raise RuntimeError(f"result type {type_name(rd)} can't be cast to the desired output "
                           f"type {type_name(od)}")
    if out._data.shape != t._data.shape:
        out._data = xp_of(t._data).empty(t._data.shape, od)
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


def _make_quiet_divide():
    """``quiet_divide(a, b)``: ``a / b`` where x / 0 is inf and 0 / 0 nan without a warning, as in
    PyTorch.

    NOTE: NumPy 2 keeps its error state in a context variable; setting it directly (the quiet
    state derived once per state of the caller, so ``np.errstate(over="raise")`` around ember
    still holds) costs ~0.2 us where ``np.errstate`` costs ~0.6 to 1 us: data pipelines divide
    once per item. Another NumPy takes the public way."""
    try:
        from numpy._core._ufunc_config import _extobj_contextvar as state
        from numpy._core.umath import _make_extobj
    except ImportError:
        def quiet_divide(a, b):
            with np.errstate(divide="ignore", invalid="ignore"):
                return a / b
        return quiet_divide
    quiet_of = {}  # the caller's state -> it with divide and invalid ignored (the key is kept
    #                alive, so its id is not reused)

    def quiet_divide(a, b):
        caller = state.get()
        quiet = quiet_of.get(caller)
        if quiet is None:
            if len(quiet_of) > 16:
                quiet_of.clear()
            quiet = quiet_of[caller] = _make_extobj(divide="ignore", invalid="ignore")
        token = state.set(quiet)
        try:
            return a / b
        finally:
            state.reset(token)
    return quiet_divide


quiet_divide = _make_quiet_divide()


def _is_bool(x):
    return x.__class__ is bool or isinstance(x, Tensor) and x._data.dtype == np.bool_


def _no_bool_kernel(dt, kernel):
    if dt == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_int_zero(bd):
    """PyTorch raises on integer division by zero (NumPy would warn and give 0)."""
    if not np.all(bd):
        raise RuntimeError("ZeroDivisionError")


class _ZeroGrad(Node):
    """Backward of piecewise-constant ops (rounded division, floor, sign ...): zero gradients."""

    def backward(self, g):
        z = g * 0
        return (z,) * len(self._next) if len(self._next) > 1 else z


def zero_grad_node(name):
    """A Node class named ``name`` (PyTorch's grad_fn name) whose gradients are all zero."""
    return type(name, (_ZeroGrad,), {"__doc__": "Zero gradient (piecewise-constant op)."})


class _NotDifferentiable(Node):
    """PyTorch's ``NotImplemented`` node: the op records, but backward through it raises."""

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


_NotDifferentiable.__name__ = "NotImplemented"


def _not_differentiable(r, op, ta, tb):
    node = _NotDifferentiable()
    node.op = op
    return track(r, node, (ta, tb))

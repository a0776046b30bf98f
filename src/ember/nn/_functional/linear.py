"""``F.linear`` and ``F.bilinear``.

``linear`` is one fused primitive (PyTorch's ``addmm`` on the batch folded into rows): the forward
is one BLAS call plus an in-place bias add, and the backward computes only the gradients that are
needed, each one BLAS call (or one row sum for the bias) on the arrays, with transposes passed to
BLAS as views rather than copied. Under ``create_graph`` the backward switches to Tensor ops, so
double backward works.
"""
import math

import numpy as np

from ember._backend import xp_of
from ember._ops.reduce import cpp_name
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["linear", "bilinear"]

_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
           "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _blas(a):
    """``a`` itself when BLAS can read it (C or Fortran order: a transpose is a free flag), else a
    C-ordered copy (NumPy's matmul would otherwise fall back to a slow non-BLAS loop)."""
    f = a.flags
    if f.c_contiguous or f.f_contiguous:
        return a
    return xp_of(a).ascontiguousarray(a)


def _col_sums(a):
    """``a.sum(0)`` of an (N, out) gradient. NOTE: for float32/64 a BLAS product with a vector of
    ones reads ``a`` once at BLAS speed: ~2x NumPy's row-by-row sum on a language model's
    700 x 10,000 decoder gradient."""
    if a.dtype.kind != "f" or a.dtype.itemsize < 4 or a.shape[0] < 2:
        return a.sum(0)
    return xp_of(a).ones(a.shape[0], a.dtype) @ a


def _big(x2, ws):
    """Whether the output is too big for the cache and has rows enough for
    :func:`_with_bias_column` to pay (float32/64 NumPy arrays)."""
    return (x2.shape[0] >= 64 and x2.shape[0] * ws[0] >= 1 << 20 and x2.dtype.kind == "f"
            and x2.dtype.itemsize >= 4 and type(x2) is np.ndarray)


def _with_bias_column(x2, w, b):
    """``x2 @ w.T + b`` as one product: ``[x2, 1] @ [w, b].T``. NOTE: adding ``b`` to an output
    bigger than the cache is a second pass through memory; copying ``w`` and ``x2`` with one more
    column costs less (-1.1 ms, ~4%, on a 700 x 200 -> 10,000 decoder)."""
    n, k = x2.shape
    xa = np.empty((n, k + 1), x2.dtype)
    xa[:, :k] = x2
    xa[:, k] = 1
    wa = np.empty((w.shape[0], k + 1), w.dtype)
    wa[:, :k] = w
    wa[:, k] = b
    return xa @ wa.T


def _rows(a):
    """``a`` as a matrix: leading dims folded into rows (a 1-D ``a`` is one row)."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


# ---- the primitive -------------------------------------------------------------------------------
class AddmmBackward0(Node):
    """Backward of ``linear``; named (by the subclasses below) after the grad_fn PyTorch's
    ``linear`` produces for each case. ``in_shape``: the input's shape; ``vec_bias``: whether the
    bias is the usual ``(out_features,)`` vector (else the engine sums its gradient back)."""

    def backward(self, g):
        x, w = self.saved_tensors
        n_x, n_w, n_b = self._next
        if STATE.enabled:  # create_graph: record the formulas so they can be differentiated
            return self._recorded(g, x, w, n_x, n_w, n_b)
        gi = gw = gb = None
        g2 = _blas(_rows(g._data))
        if n_x is not None:
            r = g2 @ w._data                       # (N, out) @ (out, in)
            gi = wrap(r if r.shape == self.in_shape else r.reshape(self.in_shape))
        if n_w is not None:
            gw = wrap(g2.T @ _blas(_rows(x._data)))   # (out, N) @ (N, in): g2.T is a BLAS flag
        if n_b is not None:
            gb = wrap(_col_sums(g2)) if self.vec_bias else g
        return gi, gw, gb

    def _recorded(self, g, x, w, n_x, n_w, n_b):
        gi = gw = gb = None
        if n_x is not None:
            gi = g.matmul(w)
        if n_w is not None:
            out_f, in_f = w._data.shape if w is not None else self.w_shape
            gw = g.reshape(-1, out_f).t().matmul(x.reshape(-1, in_f))
        if n_b is not None:
            gb = g.sum(tuple(range(g.ndim - 1))) if self.vec_bias and g.ndim > 1 else g
        return gi, gw, gb


class MmBackward0(AddmmBackward0):
    pass


class ViewBackward0(AddmmBackward0):
    pass


class UnsafeViewBackward0(AddmmBackward0):
    pass


class SqueezeBackward4(AddmmBackward0):
    pass


def _node(nd, has_bias):
    if has_bias:
        return AddmmBackward0() if nd == 2 else ViewBackward0()
    return MmBackward0() if nd == 2 else SqueezeBackward4() if nd == 1 else UnsafeViewBackward0()


def linear(input, weight, bias=None):
    r"""Applies an affine transformation to the last dimension: :math:`y = xA^T + b`.

    Args:
        input: :math:`(*, in\_features)`, any number of leading dimensions (including none).
        weight: :math:`(out\_features, in\_features)` (or :math:`(in\_features)`).
        bias: :math:`(out\_features)` or anything broadcastable to the output; optional.

    Shape:
        - Output: :math:`(*, out\_features)`.

    Example::

        x = ember.randn(128, 20)
        w, b = ember.randn(30, 20), ember.randn(30)
        F.linear(x, w, b).shape    # ember.Size([128, 30])
    """
    try:
        xd = input._data
        wd = weight._data
        bd = None if bias is None else bias._data
    except AttributeError:
        _type_errors(input, weight, bias)
        raise
    xs, ws = xd.shape, wd.shape
    dt = xd.dtype
    if len(ws) != 2 or not xs or xs[-1] != ws[1] or wd.dtype != dt or dt.kind not in "fc":
        r = _odd_operands(input, weight, bias, xd, wd, bd)
        if r is not None:  # a 1-D weight: composed from matmul
            return r
    x2 = _rows(xd)
    vec_bias = True
    if bd is not None and bd.shape == (ws[0],) and bd.dtype == dt and _big(x2, ws):
        r = _with_bias_column(x2, wd, bd)
        bd = None
    else:
        r = _blas(x2) @ _blas(wd).T                # (N, in) @ (in, out): the transpose is a flag
    if bd is not None:
        if bd.shape == (ws[0],) and bd.dtype == dt:
            r += bd                                # r is fresh: add in place, no second buffer
        else:
            r, vec_bias = _odd_bias(r, xd, bd, ws, dt), False
    if r.ndim != len(xs) or len(xs) > 2:
        r = r.reshape(xs[:-1] + (ws[0],))
        if not vec_bias:
            r = r + bd
    elif not vec_bias:
        r += bd
    if STATE.enabled and (input._rg or weight._rg or (bias is not None and bias._rg)):
        node = _node(len(xs), bias is not None)
        node.save_for_backward(input if weight._rg else None, weight if input._rg else None)
        node.in_shape, node.w_shape, node.vec_bias = xs, ws, vec_bias
        return track(r, node, (input, weight, bias))
    return wrap(r)


# ---- checks and rare cases, off the hot path -----------------------------------------------------
def _type_errors(input, weight, bias):
    for i, (name, t) in enumerate((("input", input), ("weight", weight), ("bias", bias))):
        if not isinstance(t, Tensor) and not (name == "bias" and t is None):
            raise TypeError(f"linear(): argument '{name}' (position {i + 1}) must be Tensor, not "
                            f"{type(t).__name__}")


def _odd_operands(input, weight, bias, xd, wd, bd):
    """Raise PyTorch's error for operands ``linear`` refuses; compute the 1-D weight case."""
    xs, ws = xd.shape, wd.shape
    if not xs or not ws:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{len(xs)}D and {len(ws)}D")
    if len(ws) > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {len(ws)}D")
    fused = bd is not None and (len(xs) in (2, 3) or bd.ndim == 1)  # PyTorch's addmm path
    if len(ws) == 1:
        if fused:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        r = input.matmul(weight)
        return r if bias is None else r + bias
    if xd.dtype != wd.dtype:
        if bd is not None:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{_SCALAR[xd.dtype.name]} and {_SCALAR[wd.dtype.name]}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{cpp_name(xd.dtype)} != {cpp_name(wd.dtype)}")
    if xs[-1] != ws[1]:
        rows = math.prod(xs[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xs[-1]} and "
                           f"{ws[1]}x{ws[0]})")
    if xd.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    return None  # integers: NumPy multiplies them like PyTorch's CPU kernels


def _odd_bias(r, xd, bd, ws, dt):
    """Check a bias that is not an ``(out_features,)`` vector of the input's dtype, with PyTorch's
    errors; returns the product ``r`` (the caller adds the bias once ``r`` has its final shape)."""
    if bd.dtype != dt:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_SCALAR[bd.dtype.name]} and {_SCALAR[dt.name]}")
    bs, out_shape = bd.shape, xd.shape[:-1] + (ws[0],)
    if xd.ndim == 2 or bd.ndim <= 1:   # PyTorch's addmm path: bias expanded to (rows, out)
        _expand_check(bs, r.shape, bd)
        return r
    n = max(len(bs), len(out_shape))   # else ``output.add_(bias)``
    a = (1,) * (n - len(out_shape)) + out_shape
    b = (1,) * (n - len(bs)) + bs
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}")
    full = tuple(max(p, q) for p, q in zip(a, b))
    if full != out_shape:
        raise RuntimeError(f"output with shape {list(out_shape)} doesn't match the broadcast shape "
                           f"{list(full)}")
    return r


def _expand_check(bs, target, bd):
    if len(bs) > len(target):
        name = f"ember.{_SCALAR[bd.dtype.name]}Tensor"
        raise RuntimeError(f"expand({name}{{{list(bs)}}}, size={list(target)}): the number of "
                           f"sizes provided ({len(target)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({len(bs)})")
    lead = len(target) - len(bs)
    for i, n in enumerate(bs):
        if n != 1 and n != target[i + lead]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i + lead]}) must match "
                               f"the existing size ({n}) at non-singleton dimension {i + lead}.  "
                               f"Target sizes: {list(target)}.  Tensor sizes: {list(bs)}")


# ---- bilinear ------------------------------------------------------------------------------------
def bilinear(input1, input2, weight, bias=None):
    r"""Applies a bilinear transformation: :math:`y_k = x_1^T A_k x_2 + b_k`.

    Composed from ``linear`` and a batched product, so its gradients come for free.

    Args:
        input1: :math:`(*, H_{in1})`.
        input2: :math:`(*, H_{in2})`, the same leading dimensions as ``input1``.
        weight: :math:`(H_{out}, H_{in1}, H_{in2})`.
        bias: :math:`(H_{out})`, optional.

    Shape:
        - Output: :math:`(*, H_{out})`.

    Example::

        x1, x2 = ember.randn(128, 20), ember.randn(128, 30)
        F.bilinear(x1, x2, ember.randn(40, 20, 30)).shape   # ember.Size([128, 40])
    """
    _bilinear_checks(input1, input2, weight, bias)
    out_f, in1, in2 = weight.shape
    lead = input1.shape[:-1]
    # x1 A_k for every k at once: (N, in1) @ (in1, out * in2), then a row-wise dot with x2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = input1.reshape(-1, in1).matmul(w).reshape(-1, out_f, in2)
    y = t.matmul(input2.reshape(-1, in2, 1)).reshape(tuple(lead) + (out_f,))
    return y if bias is None else y + bias


def _bilinear_checks(input1, input2, weight, bias):
    a, b, w = input1._data, input2._data, weight._data
    dts = [a.dtype, b.dtype, w.dtype] + ([] if bias is None else [bias._data.dtype])
    if len(set(dts)) > 1:
        names = ["input1", "input2", "weight"] + ([] if bias is None else ["bias"])
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{n}: {cpp_name(d)}" for n, d in zip(names, dts)))
    if a.ndim != b.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {b.ndim}")
    for i in range(a.ndim - 1):
        if a.shape[i] != b.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{a.shape[i]} and {b.shape[i]}")
    if w.ndim > 1 and a.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{a.shape[-1]} but expected {w.shape[1]}")
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D, got {w.ndim}-D")
    if b.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{b.shape[-1]} but expected {w.shape[2]}")
    if bias is not None and bias._data.shape[:1] != w.shape[:1]:
        got = bias._data.shape[0] if bias._data.ndim else 1
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but "
                           f"expected {w.shape[0]}")

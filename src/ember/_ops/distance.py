"""Distances between rows: ``cdist``, ``pdist``, ``dist``, and ``renorm`` (rescale slices whose
norm is too large).

``cdist`` is one primitive (``pdist`` reads its upper triangle) whose backward follows PyTorch's
``_cdist_backward``: a zero distance gets a zero gradient (not NaN), and for ``p=inf`` every
coordinate that reaches the maximum gets the whole gradient. Both passes form the differences
a block of rows at a time, in Tensor ops in backward so it can be differentiated again.
``dist`` is ``linalg.vector_norm`` of the difference (PyTorch's ``norm_backward``); ``renorm`` is a
primitive (so ``renorm_`` can save the input it overwrites) with PyTorch's ``renorm_backward``.
"""
import math

import numpy as np

from ember._backend import xp_of
from ember._ops._arith import _out
from ember._ops.compare import where
from ember._ops.inplace import inplace_method
from ember._ops.reduce import type_name
from ember._ops.scatter import index_select
from ember._ops.stats import LinalgVectorNormBackward0, _vector_norm_array, vector_norm
from ember._tensor import Tensor, _wrap_dim, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["cdist", "pdist", "dist", "renorm"]

_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
          "donot_use_mm_for_euclid_dist")


def _pnorm_array(d, p):
    a = np.abs(d)
    if not d.shape[-1]:
        return np.zeros(d.shape[:-1], d.dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 0:
            return (a != 0).sum(axis=-1).astype(d.dtype)
        if p == 1:
            return a.sum(axis=-1)
        if p == 2:
            return np.sqrt((a * a).sum(axis=-1))
        if math.isinf(p):
            return a.max(axis=-1)
        return (a ** p).sum(axis=-1) ** (1.0 / p)


# NOTE: the differences are formed a block of rows of x1 at a time, so memory stays bounded by
# about this many elements whatever P * R * M is
_BLOCK = 1 << 20


def _blocks(rows, per_row):
    step = max(1, _BLOCK // max(1, per_row))
    return [(lo, min(lo + step, rows)) for lo in range(0, rows, step)]


def _diff_grad(diff, g, out, p):
    """d out / d diff times ``g`` for one block (``g``, ``out``: ``(..., c, R)``), with
    PyTorch's ``_cdist_backward`` conventions."""
    dd = diff._data
    xp = xp_of(dd)
    g = g.unsqueeze(-1)
    if p == 0:  # PyTorch returns zeros, not an undefined gradient
        return g * wrap(xp.zeros_like(dd))
    sign = wrap(xp.sign(dd))
    if p == 1:
        return g * sign
    out = out.unsqueeze(-1)
    od = out._data
    if math.isinf(p):  # every coordinate that reaches the maximum gets the whole gradient
        return g * sign * wrap((xp.abs(dd) == od).astype(dd.dtype))
    # NOTE: where the distance is 0 the formulas divide 0 by 0; PyTorch gives 0 there, and for
    # p < 1 also where one coordinate's difference is 0 (|d|^(p-1) is infinite)
    dead = od == 0
    if p < 1:
        dead = dead | (dd == 0)
    keep = wrap(~dead)
    safe_out = out + wrap(od == 0)
    if p == 2:
        return g * diff / safe_out * keep
    if p < 2:
        safe_abs = diff.abs() + wrap(dd == 0)
        return g * sign * safe_abs.pow(p - 1) / safe_out.pow(p - 1) * keep
    return g * diff * diff.abs().pow(p - 2) / safe_out.pow(p - 1) * keep


class CdistBackward0(Node):
    def backward(self, g):
        x1, x2 = self.saved_tensors
        out = self.saved_output()
        batch, p = self.batch, self.p
        n1, n2, m = x1.shape[-2], x2.shape[-2], x1.shape[-1]
        a1 = x1.expand(batch + (n1, m))
        a2 = x2.expand(batch + (n2, m)).unsqueeze(-3)
        parts, g2 = [], None
        for lo, hi in _blocks(n1, n2 * m * math.prod(batch)):
            diff = a1.narrow(-2, lo, hi - lo).unsqueeze(-2) - a2
            gd = _diff_grad(diff, g.narrow(-2, lo, hi - lo), out.narrow(-2, lo, hi - lo), p)
            parts.append(gd.sum(-2))
            g2 = -gd.sum(-3) if g2 is None else g2 - gd.sum(-3)
        xp = xp_of(g._data)
        if not parts:  # no rows in x1
            z = wrap(xp.zeros(batch + (n2, m), g._data.dtype))
            return wrap(xp.zeros(batch + (n1, m), g._data.dtype)), z
        from ember._ops.join import cat
        g1 = parts[0] if len(parts) == 1 else cat(parts, -2)
        return (None if self._next[0] is None else g1, None if self._next[1] is None else g2)


def _cdist_array(a1, a2, p):
    batch = np.broadcast_shapes(a1.shape[:-2], a2.shape[:-2])
    n1, n2, m = a1.shape[-2], a2.shape[-2], a1.shape[-1]
    a1 = np.broadcast_to(a1, batch + (n1, m))
    a2 = np.broadcast_to(a2, batch + (n2, m))[..., None, :, :]
    out = xp_of(a1).empty(batch + (n1, n2), a1.dtype)
    for lo, hi in _blocks(n1, n2 * m * math.prod(batch)):
        out[..., lo:hi, :] = _pnorm_array(a1[..., lo:hi, None, :] - a2, p)
    return out, batch


def _check_p(p, name):
    if p < 0:
        raise RuntimeError(f"{name} only supports non-negative p values")
    return float(p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The ``p``-norm distance between each row of ``x1`` and each row of ``x2``.

    Args:
        x1 (Tensor): ``(*B, P, M)``.
        x2 (Tensor): ``(*B, R, M)``; batch dims broadcast with ``x1``'s.
        p (float): the norm, ``>= 0`` (``inf`` allowed).
        compute_mode (str): accepted for PyTorch's signature; distances are always computed
            from the differences (exact, no matrix-product shortcut), a block of rows at a
            time.

    Returns:
        Tensor: ``(*B, P, R)``.

    Example::

        >>> ember.cdist(ember.tensor([[0., 0.]]), ember.tensor([[3., 4.], [1., 0.]]))
        tensor([[5., 1.]])
    """
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.dim()}D")
    for name, x in (("X1", x1), ("X2", x2)):
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{type_name(x._data.dtype)}")
    for x in (x1, x2):
        if x._data.dtype == np.float16:
            raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    p = _check_p(p, "cdist")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {type_name(x1._data.dtype)} but found "
                           f"{type_name(x2._data.dtype)}")
    try:
        r, batch = _cdist_array(x1._data, x2._data, p)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({x1.shape[-3]}) must match the size of tensor "
                           f"b ({x2.shape[-3]}) at non-singleton dimension 0") from None
    if STATE.enabled and (x1._rg or x2._rg):
        node = CdistBackward0()
        node.p, node.batch = p, batch
        node.save_for_backward(x1, x2)
        return track(r, node, (x1, x2), save_out=True)
    return wrap(r)


def pdist(input, p=2):
    """The ``p``-norm distance between each pair of rows of the 2-D ``input``: the upper triangle
    of ``cdist(input, input)`` above the diagonal, flattened row by row.

    Args:
        input (Tensor): ``(N, M)``.
        p (float): the norm, ``>= 0``.

    Returns:
        Tensor: ``(N * (N - 1) / 2,)``.

    Example::

        >>> ember.pdist(ember.tensor([[0., 0.], [3., 4.], [0., 1.]]))
        tensor([5.0000, 1.0000, 4.2426])
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if input._data.dtype == np.float16:
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    p = _check_p(p, "pdist")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    # NOTE: the full matrix costs twice the work of the pairs but keeps memory bounded (blocks)
    flat = wrap(xp_of(input._data).asarray(i * n + j, dtype=np.int64))
    return index_select(cdist(input, input, p).reshape(-1), 0, flat)


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast), over all elements.

    Example::

        >>> ember.dist(ember.tensor([1., 2.]), ember.tensor([4., 6.]))
        tensor(5.)
    """
    if isinstance(p, Tensor):
        p = p.item()
    diff = input - other
    if diff._data.dtype.kind not in "fc":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {type_name(diff._data.dtype)} instead.")
    return vector_norm(diff, p)


class _NormGrad(LinalgVectorNormBackward0):
    """``norm_backward`` of a norm computed elsewhere (``self.norm``, connected to the graph when
    double backward records)."""

    def saved_output(self):
        return self.norm


class RenormBackward0(Node):
    def backward(self, g):  # PyTorch's renorm_backward: d/dx of x * maxnorm / (norm(x) + 1e-7)
        (x,) = self.saved_tensors
        axes, maxnorm = self.axes, self.maxnorm
        norm = vector_norm(x, self.p, axes, keepdim=True)
        ng = _NormGrad()
        ng.ord, ng.shape, ng.axes, ng.keepdim, ng.norm = self.p, x.shape, axes, True, norm
        ng.save_for_backward(x)
        nb = ng.backward((x * g).sum(axes, keepdim=True))
        inv = 1 / (norm + 1e-7)
        return where(wrap(norm._data > maxnorm), maxnorm * inv * (g - inv * nb), g)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice ``input.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` scaled down to
    norm ``maxnorm`` (times ``norm / (norm + 1e-7)``, as PyTorch); other slices unchanged.

    Args:
        input (Tensor): at least 2-D, floating.
        p (float): the norm, ``> 0``.
        dim (int): the dim whose slices are renormalised.
        maxnorm (float): the largest norm kept, ``>= 0``.

    Example::

        >>> ember.renorm(ember.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.0)
        tensor([[0.6000, 0.8000], [0.3000, 0.4000]])
    """
    d = input._data
    if d.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {d.ndim} "
                           "dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if d.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(d.dtype)}")
    dim = _wrap_dim(dim, d.ndim)
    axes = tuple(k for k in range(d.ndim) if k != dim)
    norm = _vector_norm_array(d, float(p), axes)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(d.dtype)
    r = d * scale
    if STATE.enabled and input._rg:
        node = RenormBackward0()
        node.p, node.axes, node.maxnorm = float(p), axes, maxnorm
        node.save_for_backward(input)
        r = track(r, node, (input,))
    else:
        r = wrap(r)
    return _out(r, out)


methods(dist=dist, renorm=renorm, renorm_=inplace_method(renorm))

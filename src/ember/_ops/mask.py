"""Masks and flat indices: masked_fill/select/scatter, take, take_along_dim, nonzero/argwhere, and
the in-place variants."""
import numpy as np

from ember._backend import xp_of
from ember._ops._util import wrap_dim
from ember._ops.index import IndexBackward0, _Plan, _apply_plan, _plan
from ember._ops.inplace import inplace_method
from ember._ops.scatter import _CNAME, _TITLE, _any_rg, _fill_value, _pad_to, gather
from ember._tensor import methods, track, wrap
from ember.autograd.graph import Node

__all__ = ["masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim", "nonzero",
           "argwhere"]


# ---- masks ---------------------------------------------------------------------------------------
def _bool_mask(mask, msg):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(msg)
    return mask._data


class MaskedFillBackward0(Node):
    def backward(self, g):
        ga = gv = None
        if self._next[0] is not None:
            ga = masked_fill(g, self.mask, 0)
        if len(self._next) > 1 and self._next[1] is not None:
            gv = masked_fill(g, wrap(~self.mask._data), 0).sum()
        return (ga,) if len(self._next) == 1 else (ga, gv)


class MaskedFillBackward1(MaskedFillBackward0):
    """masked_fill with a 0-d tensor ``value``."""


def masked_fill(input, mask, value):
    """A copy of ``input`` (broadcast with ``mask``) with ``value`` where ``mask`` is True.

    Example::

        x.masked_fill(x < 0, 0.0)    # like relu
    """
    d = input._data
    m = _bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype "
                         f"{_CNAME.get(mask.dtype.name, mask.dtype.name)}")
    v, vt = _fill_value(value, "masked_fill_")
    shape = np.broadcast_shapes(d.shape, m.shape)
    xp = xp_of(d)
    r = d.copy() if shape == d.shape else xp.broadcast_to(d, shape).copy()
    r[xp.broadcast_to(m, shape)] = v
    if _any_rg(input, vt):
        node = MaskedFillBackward0() if vt is None else MaskedFillBackward1()
        node.mask = mask
        return track(r, node, (input,) if vt is None else (input, vt))
    return wrap(r)


class MaskedSelectBackward0(IndexBackward0):
    pass


def masked_select(input, mask):
    """The elements of ``input`` (broadcast with ``mask``) where ``mask`` is True, as a 1-d copy."""
    m = _bool_mask(mask, "masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    if input._data.shape != shape:
        input = input.expand(shape)
    if m.shape != shape:
        m = xp_of(m).broadcast_to(m, shape)
    plan = _plan(wrap(m), shape) if m.ndim else _Plan((Ellipsis,), (m.reshape(1).nonzero()[0],),
                                                          "Index")
    if not m.ndim:
        input = input.reshape(1)
    return _apply_plan(input, plan, MaskedSelectBackward0)


class MaskedScatterBackward0(Node):
    def backward(self, g):
        ga = gs = None
        if self._next[0] is not None:
            ga = masked_fill(g, self.mask, 0)
        if self._next[1] is not None:
            sel = masked_select(g, self.mask)
            gs = _pad_to(sel, (self.src_numel,)).reshape(self.src_shape)
        return ga, gs


def masked_scatter(input, mask, source):
    """A copy of ``input`` with the positions where ``mask`` is True filled, in order, with the
    first elements of ``source``."""
    d, s = input._data, source._data
    m = _bool_mask(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype "
                         f"{_CNAME.get(mask.dtype.name, mask.dtype.name)}")
    if s.dtype != d.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got "
                           f"{_TITLE[input.dtype.name]} and {_TITLE[source.dtype.name]}")
    shape = np.broadcast_shapes(d.shape, m.shape)
    xp = xp_of(d)
    r = xp.broadcast_to(d, shape).copy()
    mb = xp.broadcast_to(m, shape)
    k = int(mb.sum())
    if k > s.size:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as "
                           f"the ones selected by the mask, got {s.size} and {k}")
    r[mb] = s.reshape(-1)[:k]
    if _any_rg(input, source):
        node = MaskedScatterBackward0()
        node.mask, node.src_numel, node.src_shape = wrap(mb), s.size, s.shape
        return track(r, node, (input, source))
    return wrap(r)


# ---- take, nonzero -------------------------------------------------------------------------------
class TakeBackward0(IndexBackward0):
    pass


def take(input, index):
    """The elements of ``input`` treated as 1-d at the positions ``index`` (any shape; negative
    positions count from the end). The result has ``index``'s shape."""
    if index._data.dtype != np.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{_TITLE.get(index.dtype.name, index.dtype.name)}")
    n = input._data.size
    idx = index._data
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = input.reshape(-1)
    return _apply_plan(flat, _Plan((Ellipsis,), (idx,), "Index"), TakeBackward0)


def take_along_dim(input, indices, dim=None, *, out=None):
    """Pick values along ``dim`` at ``indices`` (broadcast against ``input`` in the other dims), as
    returned by ``argmax``/``argsort``; without ``dim`` both are flattened first."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d, idx = input._data, indices._data
    if d.ndim != idx.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {d.ndim} dimensions for input, and {idx.ndim} "
                           "dimensions for indices")
    dim = wrap_dim(dim, d.ndim)
    one = lambda s: tuple(1 if k == dim else n for k, n in enumerate(s))  # noqa: E731
    b = list(np.broadcast_shapes(one(d.shape), one(idx.shape)))
    bi, bx = list(b), list(b)
    bi[dim], bx[dim] = d.shape[dim], idx.shape[dim]
    x = input if tuple(bi) == d.shape else input.expand(bi)
    i = indices if tuple(bx) == idx.shape else wrap(xp_of(idx).broadcast_to(idx, bx))
    if i._data.size:
        i = wrap(i._data % max(d.shape[dim], 1))  # negative indices count from the end
    return gather(x, dim, i)


def nonzero(input, *, as_tuple=False, out=None):
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-d tensor per dim (usable as an index)."""
    d = input._data
    xp = xp_of(d)
    if as_tuple:
        return tuple(wrap(c.astype(np.int64, copy=False)) for c in xp.nonzero(d.reshape(-1) if
                                                                                d.ndim == 0 else d))
    return wrap(xp.argwhere(d).astype(np.int64, copy=False))


def argwhere(input):
    """``nonzero(input)``: the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


methods(masked_fill=masked_fill, masked_select=masked_select, masked_scatter=masked_scatter,
        take=take, take_along_dim=take_along_dim, nonzero=nonzero, argwhere=argwhere,
        masked_fill_=inplace_method(masked_fill), masked_scatter_=inplace_method(masked_scatter))

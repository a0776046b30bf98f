"""Sorting and order statistics: ``sort``, ``argsort``, ``msort``, ``topk``, ``kthvalue``,
``median``.

Ops that select values return ``(values, indices)`` named tuples (``ember.return_types``); the
gradient of the values goes back to the positions they were taken from. Sorting is stable; NaN
sorts as the largest value (last ascending, first descending), as in PyTorch.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops._select import put_along, return_types, torch_kwargs
from ember._ops._util import wrap_dim
from ember._ops.reduce import MaxBackward1, check_nonempty
from ember._tensor import methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median"]


def _order(d, axis, descending):
    """Stable sorting indices along ``axis`` (int64). Descending keeps equal elements in their
    original order: sort the reversed array stably, then reverse the result."""
    xp = xp_of(d)
    kw = {"kind": "stable"} if xp is np else {}
    if not descending:
        return xp.argsort(d, axis=axis, **kw).astype(np.int64, copy=False)
    idx = xp.argsort(xp.flip(d, axis), axis=axis, **kw)
    return xp.ascontiguousarray(xp.flip(d.shape[axis] - 1 - idx, axis)).astype(np.int64, copy=False)


class SortBackward0(Node):
    """The values' gradient is scattered back to the positions they came from."""

    _n_out = 2  # (values, indices); the indices carry no gradient

    def backward(self, g, _=None):
        if not self.keepdim:
            g = g.reshape(self.index.shape)
        return put_along(g, self.index, self.axis, self.shape)


class TopkBackward0(SortBackward0):
    pass


class KthvalueBackward0(SortBackward0):
    pass


class MedianBackward1(SortBackward0):
    pass


def _selected(input, index, axis, keepdim, node_cls, cls):
    """``(values, indices)`` at ``index`` (kept-dims shape) along ``axis``, tracked by
    ``node_cls``."""
    d = input._data
    if d.ndim:
        vals = xp_of(d).take_along_axis(d, index, axis)
    else:
        vals, index = d.copy(), xp_of(d).zeros((), np.int64)
    idx = index
    if not keepdim and d.ndim:
        vals, idx = vals.squeeze(axis), idx.squeeze(axis)
    if STATE.enabled and input._rg and d.dtype.kind in "fc":
        node = node_cls()
        node.index, node.axis, node.keepdim, node.shape = index, axis, keepdim, d.shape
        return cls(track(vals, node, (input,)), wrap(idx))
    return cls(wrap(vals), wrap(idx))


@torch_kwargs("sort")
def sort(input, dim=-1, descending=False, *, stable=False):
    """The values along ``dim`` in order, with the indices they came from.

    Example::

        v, i = ember.sort(ember.tensor([3., 1., 2.]))   # [1., 2., 3.], [1, 2, 0]
    """
    d = input._data
    axis = wrap_dim(dim, d.ndim)
    index = _order(d, axis, descending) if d.ndim else None
    return _selected(input, index, axis, True, SortBackward0, return_types.sort)


@torch_kwargs("argsort")
def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64)."""
    d = input._data
    axis = wrap_dim(dim, d.ndim)
    if not d.ndim:
        return wrap(xp_of(d).zeros((), np.int64))
    return wrap(_order(d, axis, descending))


@torch_kwargs("msort")
def msort(input):
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


@torch_kwargs("topk")
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or, ``largest=False``, smallest) values along ``dim`` and their indices,
    in order (also when ``sorted=False``)."""
    d = input._data
    axis = wrap_dim(dim, d.ndim)
    n = d.shape[axis] if d.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if d.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    index = None
    if d.ndim:
        order = _order(d, axis, largest)
        index = order[(slice(None),) * axis + (slice(0, k),)]
    return _selected(input, index, axis, True, TopkBackward0, return_types.topk)


@torch_kwargs("kthvalue")
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value along ``dim`` (``k`` counts from 1) and its index."""
    d = input._data
    axis = wrap_dim(dim, d.ndim)
    if d.ndim:
        check_nonempty(d, (axis,), "kthvalue")
    n = d.shape[axis] if d.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    index = None
    if d.ndim:
        index = _order(d, axis, False)[(slice(None),) * axis + (slice(k - 1, k),)]
    return _selected(input, index, axis, keepdim, KthvalueBackward0, return_types.kthvalue)


class MedianBackward0(MaxBackward1):
    """median() of all elements: the gradient is shared among elements equal to the median."""


@torch_kwargs("median")
def median(input, dim=None, keepdim=False):
    """The median (the lower of the two middle values for an even count, never their mean). With
    ``dim``: ``(values, indices)`` along it. NaN is the median of a slice that holds one.

    Example::

        ember.median(ember.tensor([1., 4., 2., 3.]))   # tensor(2.)
    """
    d = input._data
    if d.dtype == np.bool_:
        raise NotImplementedError('"median_cpu" not implemented for \'Bool\'')
    if dim is None:
        flat = d.reshape(-1)
        if not flat.size:  # PyTorch gives NaN (for integers: the smallest value)
            fill = np.nan if d.dtype.kind in "fc" else np.iinfo(d.dtype).min
            r = xp_of(d).full((), fill, d.dtype)
        else:
            r = flat[_median_index(flat, 0)].reshape(())
        if STATE.enabled and input._rg and d.dtype.kind in "fc":
            node = MedianBackward0()
            node.save_for_backward(input)
            node._r = r
            return track(r, node, (input,))
        return wrap(r)
    axis = wrap_dim(dim, d.ndim)
    index = None
    if d.ndim:
        check_nonempty(d, (axis,), "median")
        index = _median_index(d, axis)
    return _selected(input, index, axis, keepdim, MedianBackward1, return_types.median)


def _median_index(d, axis):
    """Index (kept-dims shape) of the lower median along ``axis``; of the first NaN in a lane that
    has one."""
    xp = xp_of(d)
    n = d.shape[axis]
    index = _order(d, axis, False)[(slice(None),) * axis + (slice((n - 1) // 2, (n + 1) // 2),)]
    if d.dtype.kind == "f":
        nan = xp.isnan(d)
        has = nan.any(axis=axis, keepdims=True)
        if has.any():
            index = xp.where(has, nan.argmax(axis=axis, keepdims=True), index)
    return index


methods(sort=sort, argsort=argsort, msort=msort, topk=topk, kthvalue=kthvalue, median=median)

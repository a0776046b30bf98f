"""Counting, searching and repeating: ``unique``, ``bincount``, ``isin``, ``searchsorted``,
``bucketize``, ``repeat_interleave``, ``meshgrid``.

``unique``, ``bincount`` and the searches have no gradient (as in PyTorch); ``repeat_interleave``
is an ``index_select`` and ``meshgrid`` a set of expanded views, so both get theirs from those
ops.
"""
import warnings

import numpy as np

from ember._backend import xp_of
from ember._ops.scatter import index_select
from ember._ops.reduce import type_name
from ember._tensor import Tensor, _wrap_dim, methods, wrap

__all__ = ["unique", "bincount", "isin", "searchsorted", "bucketize", "repeat_interleave",
           "meshgrid"]


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` (flattened), or its distinct slices along ``dim``, in
    ascending order; NaNs are all distinct, as in PyTorch.

    Args:
        input (Tensor): the tensor.
        sorted (bool): accepted for PyTorch's signature; the result is always sorted, as
            PyTorch's CPU result is.
        return_inverse (bool): also return, for each element (slice), the index of its value in
            the result (shaped like ``input``, or ``(input.shape[dim],)``).
        return_counts (bool): also return how often each distinct value occurs.
        dim (int, optional): compare slices along this dim instead of elements.

    Returns:
        The distinct values, then the inverse indices and counts (int64) when asked for.

    Example::

        >>> ember.unique(ember.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    d = input._data
    xp = xp_of(d)
    kw = dict(return_inverse=return_inverse, return_counts=return_counts)
    if dim is None:
        if d.dtype.kind in "fc" and xp is np:
            kw["equal_nan"] = False
        res = xp.unique(d.reshape(-1), **kw)
        shape = d.shape
    else:
        dim = _wrap_dim(dim, d.ndim)
        if any(n == 0 for i, n in enumerate(d.shape) if i != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                               "cannot be applied")
        res = xp.unique(d, axis=dim, **kw)
        shape = (d.shape[dim],)
    if not (return_inverse or return_counts):
        return wrap(res)
    out = [wrap(res[0])]
    if return_inverse:
        out.append(wrap(res[1].reshape(shape).astype(np.int64, copy=False)))
    if return_counts:
        out.append(wrap(res[-1].astype(np.int64, copy=False)))
    return tuple(out)


def bincount(input, weights=None, minlength=0):
    """How often each value ``0 .. max(input)`` occurs in the 1-D non-negative integer tensor
    ``input`` (the sum of ``weights`` at its positions, when given); at least ``minlength``
    bins.

    Returns:
        int64 counts; with ``weights``, sums in their dtype (float32 stays float32, other dtypes
        give float64), as PyTorch's.

    Example::

        >>> ember.bincount(ember.tensor([1, 1, 3]))
        tensor([0, 2, 0, 1])
    """
    d = input._data
    if d.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{type_name(d.dtype)}\'')
    if d.ndim != 1 or d.size and int(d.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = xp_of(d)
    w = None
    if weights is not None:
        w = weights._data
        if w.ndim != 1 or w.shape[0] != d.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
    r = xp.bincount(d.astype(np.int64, copy=False), weights=w, minlength=minlength)
    if w is None:
        return wrap(r.astype(np.int64, copy=False))
    return wrap(r.astype(np.float32 if w.dtype == np.float32 else np.float64, copy=False))


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number);
    with ``invert``, whether it is not.

    Example::

        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 3]))
        tensor([False,  True,  True])
    """
    e, t = _array(elements), _array(test_elements)
    xp = xp_of(e) if isinstance(elements, Tensor) else xp_of(t)
    return wrap(xp.isin(e, t, assume_unique=assume_unique, invert=invert))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value of ``input`` would go in ``sorted_sequence`` to keep it sorted: the first
    such index (``right``: the last). An N-D sequence is searched row by row, with ``input``'s
    matching rows.

    Args:
        sorted_sequence (Tensor): sorted along its last dim (or sorted by ``sorter``).
        input (Tensor or number): the values to place.
        out_int32 (bool): int32 indices instead of int64.
        right, side: ``right=True`` or ``side='right'`` for the last index.
        sorter (Tensor, optional): the indices that sort ``sorted_sequence``.

    Example::

        >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 4]))
        tensor([1, 2])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    seq, v = sorted_sequence._data, _array(input)
    xp = xp_of(seq)
    how = "right" if right else "left"
    srt = None if sorter is None else sorter._data
    if seq.dtype.kind == "f" and seq.size and bool(xp.isnan(seq).any()):
        s2 = seq.reshape(-1, seq.shape[-1])
        if seq.ndim > 1 and (v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]):
            s2 = None  # (the error below)
        else:
            v2 = v.reshape(s2.shape[0], -1)
            o2 = None if srt is None else srt.reshape(s2.shape)
            r = _bisect(xp, s2, v2, right, o2).reshape(v.shape)
            return wrap(xp.asarray(r, dtype=np.int32 if out_int32 else np.int64))
    if seq.ndim == 1:
        r = xp.searchsorted(seq, v, side=how, sorter=srt)
    else:
        if v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               "tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(v.shape)}")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), v.reshape(-1, v.shape[-1])
        o2 = None if srt is None else srt.reshape(s2.shape)
        r = xp.stack([xp.searchsorted(s2[i], v2[i], side=how,
                                      sorter=None if o2 is None else o2[i])
                      for i in range(s2.shape[0])]).reshape(v.shape)
    return wrap(xp.asarray(r, dtype=np.int32 if out_int32 else np.int64))


def _bisect(xp, s2, v2, right, o2):
    """PyTorch's binary search of each row of ``v2`` in the same row of ``s2`` (through the
    sorter ``o2``), all rows at once. For sequences with NaNs: NumPy orders NaN last, while
    PyTorch's comparisons with NaN are false, so its search steps right past a NaN it meets."""
    n = s2.shape[1]
    lo = xp.zeros(v2.shape, np.int64)
    hi = xp.full(v2.shape, n, np.int64)
    rows = xp.arange(s2.shape[0])[:, None]
    while True:
        active = lo < hi
        if not bool(active.any()):
            return lo
        mid = (lo + hi) >> 1
        at = xp.minimum(mid, n - 1)
        mv = s2[rows, at if o2 is None else o2[rows, at]]
        onward = ~(mv > v2) if right else ~(mv >= v2)
        lo = xp.where(active & onward, mid + 1, lo)
        hi = xp.where(active & ~onward, mid, hi)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the sorted 1-D ``boundaries``:
    :func:`searchsorted` with the arguments swapped.

    Example::

        >>> ember.bucketize(ember.tensor([2, 6]), ember.tensor([1, 3, 5]))
        tensor([1, 3])
    """
    if boundaries.dim() != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (slice along ``dim``) of ``input`` ``repeats`` times in place, unlike
    ``repeat`` which tiles the whole tensor. Without ``dim`` the input is flattened first. With
    one argument (``repeat_interleave(repeats)``): each index ``i`` repeated ``repeats[i]`` times.

    Args:
        input (Tensor): the tensor.
        repeats (int or Tensor): one count for all, or one per slice along ``dim``.
        dim (int, optional): the dim to repeat along.
        output_size (int, optional): the total length along ``dim`` (PyTorch uses it to skip a
            synchronisation; checked here).

    Example::

        >>> ember.repeat_interleave(ember.tensor([[1, 2], [3, 4]]), 2, dim=0)
        tensor([[1, 2], [1, 2], [3, 4], [3, 4]])
    """
    if repeats is None:  # repeat_interleave(repeats): the indices, each repeated
        r = input._data
        if r.ndim != 1 or r.dtype.kind not in "iu":
            raise RuntimeError("repeats must be 1-d tensor")
        return wrap(_repeat_index(r, r.shape[0], output_size))
    x = input
    if dim is None:
        x, dim = input.reshape(-1), 0
    dim = _wrap_dim(dim, x.dim())
    n = x.shape[dim]
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError('"repeat_interleave_cpu" not implemented for '
                                      f"'{type_name(r.dtype)}'")
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.size == 1:
            r = r.reshape(())
        elif r.shape[0] != n:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.shape[0]} and input.size({dim}) = {n}")
    else:
        if not isinstance(repeats, (int, np.integer)) or isinstance(repeats, bool):
            raise TypeError("repeat_interleave(): argument 'repeats' must be int or Tensor, not "
                            f"{type(repeats).__name__}")
        r = np.asarray(repeats)
    if r.ndim == 0:
        r = np.full(n, int(r), np.int64)
    return index_select(x, dim, wrap(_repeat_index(r, n, output_size)))


def _repeat_index(r, n, output_size):
    xp = xp_of(r)
    if r.size and int(r.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    idx = xp.repeat(xp.arange(n, dtype=np.int64), r.astype(np.int64, copy=False))
    if output_size is not None and idx.shape[0] != output_size:
        raise RuntimeError("allocated size does not match required size")
    return idx


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: with ``indexing='ij'`` output ``k`` has shape
    ``(len(t0), len(t1), ...)`` and varies along dim ``k``; ``'xy'`` swaps the first two dims
    (Cartesian, as NumPy's default). The grids are expanded views of the inputs.

    Args:
        *tensors: 0-D or 1-D tensors of one dtype (or one list of them).
        indexing (str): ``'ij'`` or ``'xy'``. Without it: ``'ij'``, with PyTorch's warning.

    Example::

        >>> xs, ys = ember.meshgrid(ember.arange(3), ember.arange(2), indexing="ij")
        >>> xs.shape
        ember.Size([3, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("torch.meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have "
                               "the same dtype.")
    shape = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
        axes[0], axes[1] = 1, 0
    out = []
    for t, ax in zip(tensors, axes):
        view = [1] * len(tensors)
        view[ax] = -1
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


methods(unique=unique, bincount=bincount, repeat_interleave=repeat_interleave)

"""Structured tensors and structural ops: ``tril_indices``, ``triu_indices``, ``vander``,
``diagflat``, ``hsplit``/``vsplit``/``dsplit``, ``narrow_copy``, ``scatter_reduce``; the Tensor
methods ``unfold`` (sliding windows, a view), ``fill_diagonal_`` and the in-place shape changes
``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``, ``swapaxes_``/``swapdims_``.

``scatter_reduce``'s backward is PyTorch's ``scatter_reduce_backward``, written with gather,
scatter_add and scatter_reduce itself, so it can be differentiated again.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops._util import wrap_dim
from ember._ops.creation import _finish
from ember._ops.index import _add_at
from ember._ops.inplace import check_leaf, inplace_method
from ember._ops.reduce import type_name
from ember._ops.scatter import _check_box, _coords, _pad_to, gather, index_add, scatter_add
from ember._ops.shape import squeeze, swapaxes, t, transpose, unsqueeze
from ember._tensor import methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["tril_indices", "triu_indices", "vander", "diagflat", "hsplit", "vsplit", "dsplit",
           "narrow_copy", "scatter_reduce"]


# ---- index grids --------------------------------------------------------------------------------
def _tri_indices(name, np_fn, row, col, offset, dtype, device):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    from ember import _dtype
    dt = _dtype.as_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    if dt.kind not in "iu":
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(dt)}\'')
    r, c = np_fn(row, offset, col)
    return _finish(np.stack([r, c]).astype(dt).reshape(2, -1), device, False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The coordinates of the lower triangle (on and below diagonal ``offset``) of a
    ``row x col`` matrix, as a ``2 x N`` tensor in row-major order (int64 by default).

    Example::

        >>> ember.tril_indices(2, 2)
        tensor([[0, 1, 1], [0, 0, 1]])
    """
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The coordinates of the upper triangle (on and above diagonal ``offset``) of a
    ``row x col`` matrix, as a ``2 x N`` tensor in row-major order (int64 by default).

    Example::

        >>> ember.triu_indices(2, 2)
        tensor([[0, 0, 1], [0, 1, 1]])
    """
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


# ---- matrices built from vectors ----------------------------------------------------------------
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: column ``j`` is ``x ** (N - 1 - j)`` (``x ** j``
    with ``increasing``). Integer and bool inputs give int64.

    Args:
        x (Tensor): 1-D.
        N (int, optional): the number of columns (default ``len(x)``).
        increasing (bool): ascending powers from the left.

    Example::

        >>> ember.vander(ember.tensor([1, 2, 3]))
        tensor([[1, 1, 1], [4, 2, 1], [9, 3, 1]])
    """
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":  # (PyTorch's cumprod promotes integers to int64)
        x = wrap(x._data.astype(np.int64))
    from ember._ops.join import cat
    ones = wrap(xp_of(x._data).ones((x.shape[0], min(n, 1)), x._data.dtype))
    if n > 1:
        # PyTorch's cumprod of x repeated, so the gradient is the cumprod's
        powers = x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)
        r = cat([ones, powers], 1)
    else:
        r = ones
    return r if increasing else r.flip(1)


def diagflat(input, offset=0):
    """A 2-D tensor with the flattened ``input`` on diagonal ``offset``, zeros elsewhere.

    Example::

        >>> ember.diagflat(ember.tensor([[1, 2]]))
        tensor([[1, 0], [0, 2]])
    """
    return input.reshape(-1).diag(offset)


# ---- splits and narrowing -----------------------------------------------------------------------
def _split(name, input, sections, dim, min_dims):
    nd = input.dim()
    if nd < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {nd} dimensions!")
    if isinstance(sections, int):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the split_size "
                               f"{sections}!")
    return input.tensor_split(sections, dim)


def hsplit(input, indices_or_sections):
    """Split into pieces along dim 1 (dim 0 for a 1-D tensor): equal pieces for an int, cuts
    before the given indices for a list (as ``tensor_split``).

    Example::

        >>> [p.shape for p in ember.hsplit(ember.zeros(2, 4), 2)]
        [ember.Size([2, 2]), ember.Size([2, 2])]
    """
    return _split("hsplit", input, indices_or_sections, 0 if input.dim() == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2-D input); see :func:`hsplit`."""
    return _split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3-D input); see :func:`hsplit`."""
    return _split("dsplit", input, indices_or_sections, 2, 3)


def narrow_copy(input, dim, start, length, *, out=None):
    """A copy (not a view) of ``input.narrow(dim, start, length)``.

    Example::

        >>> ember.narrow_copy(ember.arange(5), 0, 1, 3)
        tensor([1, 2, 3])
    """
    r = input.narrow(dim, start, length).clone()
    if out is not None:
        from ember._ops._arith import _out
        return _out(r, out)
    return r


# ---- sliding windows ----------------------------------------------------------------------------
class UnfoldBackward0(Node):
    def backward(self, g):  # every window adds its gradient back to the positions it covers
        dim, size, step, n = self.dim, self.size, self.step, self.n
        if not self.shape:  # a 0-d input gave one window of at most one element
            return g.sum()
        xp = xp_of(g._data)
        pos = (xp.arange(n)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        gm = g.movedim(-1, dim + 1).flatten(dim, dim + 1)
        base = wrap(xp.zeros(self.shape, g._data.dtype))
        return index_add(base, dim, wrap(pos.astype(np.int64)), gm)


def unfold(self, dimension, size, step):
    """A view of all slices of length ``size`` along ``dimension``, ``step`` apart: that dim
    becomes the number of windows and a new last dim of length ``size`` holds each window.

    Example::

        >>> ember.arange(5.).unfold(0, 2, 2)
        tensor([[0., 1.], [2., 3.]])
    """
    d = self._data
    dim = wrap_dim(dimension, d.ndim)
    length = d.shape[dim] if d.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    n = (length - size) // step + 1
    node = None
    if STATE.enabled and self._rg:
        node = UnfoldBackward0()
        node.dim, node.size, node.step, node.n, node.shape = dim, size, step, n, d.shape
    if not d.ndim:
        return view_of(d.reshape(1)[:size], self, node)
    shape = d.shape[:dim] + (n,) + d.shape[dim + 1:] + (size,)
    strides = d.strides[:dim] + (d.strides[dim] * step,) + d.strides[dim + 1:] + (d.strides[dim],)
    arr = np.lib.stride_tricks.as_strided(d, shape, strides, writeable=d.flags.writeable)
    return view_of(arr, self, node)


# ---- in-place changes of shape ------------------------------------------------------------------
def _inplace_view(self, view_fn, *args):
    """``self`` becomes ``view_fn(self, *args)`` (a view of the same memory): PyTorch's in-place
    view ops. The version goes up, as in PyTorch, and ``self`` moves to the view's node."""
    if STATE.enabled and self._rg:
        check_leaf(self)
    r = view_fn(self, *args)
    self._data = r._data
    if r.grad_fn is not None:
        self.grad_fn, self._oi = r.grad_fn, 0
    self._vc[0] += 1
    if self._view is not None:  # (the grad_fn just set already reads the new geometry)
        self._view = (self._view[0], self._vc[0])
    return self


def _squeeze_(self, dim=None):
    """In-place :meth:`squeeze`: ``self`` loses its size-1 dims (those among ``dim``)."""
    return _inplace_view(self, squeeze, dim)


def _unsqueeze_(self, dim):
    """In-place :meth:`unsqueeze`."""
    return _inplace_view(self, unsqueeze, dim)


def _t_(self):
    """In-place :meth:`t`."""
    if self.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.dim()}D")
    return _inplace_view(self, t)


def _transpose_(self, dim0, dim1):
    """In-place :meth:`transpose`."""
    return _inplace_view(self, transpose, dim0, dim1)


def _swapaxes_(self, axis0, axis1):
    """In-place :meth:`swapaxes`."""
    return _inplace_view(self, swapaxes, axis0, axis1)


def _fill_diagonal(self, fill_value, wrap_=False):
    d = self._data
    if d.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    h, w = d.shape[0], d.shape[1]
    if d.ndim > 2 and any(s != h for s in d.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = xp_of(d)
    step = sum(int(np.prod(d.shape[k + 1:])) for k in range(d.ndim))
    mask = xp.zeros(d.size, bool)
    mask[:step * min(h, w):step] = True
    if wrap_ and d.ndim == 2 and h > w + 1:
        mask[::w + 1] = True  # the diagonal restarts below each square block, a row further down
    return self.masked_fill(wrap(mask.reshape(d.shape)), fill_value)


def _fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (``self[i, i, ...]``) with ``fill_value``, in place. With ``wrap``,
    a tall matrix's diagonal continues after every ``N + 1`` rows (NumPy's ``fill_diagonal``).

    Example::

        >>> ember.zeros(2, 3).fill_diagonal_(5.)
        tensor([[5., 0., 0.], [0., 5., 0.]])
    """
    from ember._ops.inplace import apply_inplace
    return apply_inplace(self, _fill_diagonal, fill_value, wrap)


# ---- scatter_reduce -----------------------------------------------------------------------------
_REDUCES = ("sum", "prod", "mean", "amax", "amin")
# NOTE: PyTorch's forward also takes scatter_'s names for amax/amin; its backward refuses them
_ALIASES = {"max": "amax", "min": "amin"}


def _identity(reduce, dt):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dt.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dt.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dt)
    return info.min if reduce == "amax" else info.max


def _reduce_array(d, idx, s, dim, reduce, include_self):
    xp = xp_of(d)
    r = d.copy()
    if not idx.size:
        return r
    target = r.reshape(1) if r.ndim == 0 else r
    ix = idx.reshape(-1) if idx.ndim == 0 else idx
    coords = _coords(ix.astype(np.int64, copy=False), 0 if r.ndim == 0 else dim)
    sb = s.reshape(1) if s.ndim == 0 else s
    vals = sb[tuple(slice(0, n) for n in ix.shape)]
    if not include_self:
        target[coords] = _identity(reduce, d.dtype)
    if reduce in ("sum", "mean"):
        _add_at(target, coords, vals)
    else:
        ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
        with np.errstate(invalid="ignore", over="ignore"):  # NaNs propagate, as in PyTorch
            ufunc.at(target, coords, vals)
    if reduce == "mean":
        count = xp.full(target.shape, 1 if include_self else 0, np.int64)
        _add_at(count, coords, 1)
        count = xp.maximum(count, 1)
        if d.dtype.kind == "f":
            target[...] = target / count
        else:
            target[...] = target // count
    return r


class ScatterReduceBackward0(Node):
    def backward(self, g):
        # NaN inputs make NaN gradients, as in PyTorch, without NumPy's warnings
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._backward(g)

    def _backward(self, g):  # PyTorch's scatter_reduce_backward
        if self.alias is not None:
            raise RuntimeError("Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                               f"'amin' but got {self.alias}.")
        x, index, src = self.saved_tensors
        dim, reduce, incl = self.dim, self.reduce, self.include_self
        result = self.saved_output()
        dt = g.dtype
        if reduce == "sum":
            gs, gsrc = g, gather(g, dim, index)
        elif reduce == "mean":
            xp = xp_of(g._data)
            n = wrap(xp.full(g.shape, 1 if incl else 0, g._data.dtype))
            n = scatter_add(n, dim, index, wrap(xp.ones(src.shape, g._data.dtype)))
            n = n.masked_fill(n == 0, 1)
            gs, gsrc = g / n, gather(g, dim, index) / gather(n, dim, index)
        elif reduce in ("amax", "amin"):
            value = gather(result, dim, index)
            self_is = (x == result).to(dt)
            src_is = (_trim(src, index) == value).to(dt)
            gd = g / scatter_add(self_is, dim, index, src_is)
            gs = self_is * gd
            gsrc = src_is * gather(gd, dim, index)
        else:
            gs, gsrc = self._prod(g, x, index, src, result)
        if not incl:
            xp = xp_of(g._data)
            hit = wrap(_reduce_array(xp.zeros(g.shape, bool), index._data,
                                     xp.ones(src.shape, bool), dim, "amax", True))
            gs = gs.masked_fill(hit, 0)
        if self._next[1] is not None:
            gsrc = _pad_to(gsrc, src.shape)
        return gs, gsrc

    def _prod(self, g, x, index, src, result):
        dim, incl = self.dim, self.include_self
        masked_x = x.masked_fill(x == 0, 1)
        gs = g * scatter_reduce(masked_x, dim, index, src, "prod", include_self=incl) / masked_x
        st = _trim(src, index)
        zero = st == 0
        zeros = scatter_add(wrap(xp_of(x._data).zeros(x.shape, x._data.dtype)), dim, index,
                            zero.to(x.dtype))
        single = zero & (gather(zeros, dim, index) == 1)
        masked_src = src.masked_fill(_pad_mask(single, src.shape), 1)
        masked_result = scatter_reduce(x, dim, index, masked_src, "prod", include_self=incl)
        from ember._ops.compare import where
        gsrc = where(single, gather(g * masked_result, dim, index),
                     gather(g * result, dim, index) / st.masked_fill(zero, 1))
        return gs, gsrc


def _trim(src, index):
    """The part of ``src`` that ``index`` reads (``index`` may be smaller)."""
    if src.shape == index.shape:
        return src
    return src[tuple(slice(0, n) for n in index.shape)]


def _pad_mask(mask, shape):
    if tuple(mask.shape) == tuple(shape):
        return mask
    m = xp_of(mask._data).zeros(shape, bool)
    m[tuple(slice(0, n) for n in mask.shape)] = mask._data
    return wrap(m)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """A copy of ``input`` where the values of ``src`` are reduced into the positions that
    ``index`` gives along ``dim`` (as :func:`scatter`), by ``reduce``.

    Args:
        input (Tensor): the values to start from.
        dim (int): the dim ``index`` indexes.
        index (Tensor): int64, same number of dims as ``input`` and ``src``, no larger.
        src (Tensor): the values to reduce in (same dtype as ``input``).
        reduce (str): ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``.
        include_self (bool): whether ``input``'s value at a target position takes part
            (without it, a position that receives values keeps only their reduction).

    Example::

        >>> x = ember.tensor([1., 2., 3., 4.])
        >>> ember.zeros(2).scatter_reduce(0, ember.tensor([0, 1, 0, 1]), x, "amax")
        tensor([3., 4.])
    """
    alias = reduce if reduce in _ALIASES else None
    reduce = _ALIASES.get(reduce, reduce)
    if reduce not in _REDUCES:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d, idx, s = input._data, index._data, src._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("scatter_reduce(): Expected dtype int32/int64 for index")
    if s.dtype != d.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    dim = wrap_dim(dim, d.ndim)
    _check_box(d, idx, dim, "scatter_reduce", s)
    r = _reduce_array(d, idx, s, dim, reduce, include_self)
    if STATE.enabled and (input._rg or src._rg):
        node = ScatterReduceBackward0()
        node.dim, node.reduce, node.include_self = dim, reduce, include_self
        node.alias = alias
        node.save_for_backward(input, index, src)
        r = track(r, node, (input, src), save_out=True)
    else:
        r = wrap(r)
    if out is not None:
        from ember._ops._arith import _out
        return _out(r, out)
    return r


methods(unfold=unfold, scatter_reduce=scatter_reduce,
        scatter_reduce_=inplace_method(scatter_reduce, "scatter_reduce_"),
        squeeze_=_squeeze_, unsqueeze_=_unsqueeze_, t_=_t_, transpose_=_transpose_,
        swapaxes_=_swapaxes_, swapdims_=_swapaxes_, fill_diagonal_=_fill_diagonal_,
        diagflat=diagflat, hsplit=hsplit, vsplit=vsplit, dsplit=dsplit,
        narrow_copy=narrow_copy)

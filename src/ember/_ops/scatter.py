"""Indexing by index tensors along a dim: gather/scatter, index_select/add/fill/copy, and the
in-place variants (masks, take and nonzero are in ``mask.py``).

The pairs are each other's backward: gather's gradient is a scatter_add, index_select's an index_add,
scatter's (for ``src``) a gather; so double backward works with no extra code.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops._util import wrap_dim
from ember._ops.index import _Plan, _add_at, _scatter_plan
from ember._ops.inplace import inplace_method
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill",
           "index_copy"]

_TITLE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}
_CNAME = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
          "uint8": "unsigned char", "float32": "float", "float64": "double",
          "float16": "c10::Half"}


def _any_rg(*ts):
    return STATE.enabled and any(isinstance(t, Tensor) and t._rg for t in ts)


def _zeros(like, shape):
    d = like._data
    return wrap(xp_of(d).zeros(shape, d.dtype))


def _pad_to(t, shape):
    """``t`` placed at the start of zeros of ``shape`` (differentiable)."""
    if t._data.shape == tuple(shape):
        return t
    plan = _Plan(tuple(slice(0, n) for n in t._data.shape) + (Ellipsis,), None, "Slice")
    return _scatter_plan(t, tuple(shape), plan)


def _index_dtype(index, fname, msg=None):
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(msg or f"{fname}(): Expected dtype int32/int64 for index")


# ---- gather / scatter ----------------------------------------------------------------------------
def _check_box(d, idx, dim, fname, src=None):
    if idx.ndim != d.ndim and not (idx.ndim <= 1 and d.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if fname == 'gather' else 'self'} tensor")
    if src is not None and idx.ndim != src.ndim and not (idx.ndim <= 1 and src.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k in range(idx.ndim):
        if k == dim:
            continue
        if idx.shape[k] > d.shape[k] or (src is not None and idx.shape[k] > src.shape[k]):
            if src is None:
                raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                   f"{list(idx.shape)} to be no larger than self {list(d.shape)} "
                                   f"apart from dimension {dim}")
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(d.shape)} apart from dimension {dim} and to be no larger "
                               f"size than src {list(src.shape)}")
    if idx.size:
        n = d.shape[dim] if d.ndim else 1
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            raise RuntimeError(f"index {hi if hi >= n else lo} is out of bounds for dimension "
                               f"{dim} with size {n}")


def _coords(idx, dim):
    """Full coordinates of the elements ``idx`` addresses: ``idx`` along ``dim``, the element's own
    position along every other dim."""
    xp = xp_of(idx)
    nd = idx.ndim
    return tuple(idx if k == dim else
                 xp.arange(idx.shape[k]).reshape((-1,) + (1,) * (nd - k - 1)) for k in range(nd))


class GatherBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        return scatter_add(_zeros(g, self.shape), self.dim, index, g)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (for dim 0): pick elements along ``dim``.
    ``index`` has the input's number of dims and is no larger in the others.

    Example::

        ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[0, 0], [1, 0]]))
        # tensor([[1, 1], [4, 3]])
    """
    d, idx = input._data, index._data
    _index_dtype(index, "gather")
    dim = wrap_dim(dim, d.ndim)
    _check_box(d, idx, dim, "gather")
    if d.ndim == 0:
        r = d.reshape(1)[idx]
    else:
        box = d[tuple(slice(None) if k == dim else slice(0, n) for k, n in enumerate(idx.shape))]
        r = xp_of(d).take_along_axis(box, idx.astype(np.int64, copy=False), axis=dim)
    if _any_rg(input):
        node = GatherBackward0()
        node.dim, node.shape = dim, d.shape
        node.save_for_backward(index)
        return track(r, node, (input,))
    return wrap(r)


class ScatterBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        ga = gb = None
        if self._next[0] is not None:
            ga = scatter(g, self.dim, index, 0)
        if len(self._next) > 1 and self._next[1] is not None:
            gb = _pad_to(gather(g, self.dim, index), self.src_shape)
        return (ga,) if len(self._next) == 1 else (ga, gb)


class ScatterBackward1(ScatterBackward0):
    """scatter with a scalar ``value``."""


class ScatterAddBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        gb = None
        if self._next[1] is not None:
            gb = _pad_to(gather(g, self.dim, index), self.src_shape)
        return g, gb


class _NoDerivative(Node):
    def name(self):
        return "NotImplemented"

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def _scatter(input, dim, index, src, value, reduce, fname):
    d, idx = input._data, index._data
    _index_dtype(index, "scatter")
    dim = wrap_dim(dim, d.ndim)
    s = None if src is None else src._data
    if s is not None and s.dtype != d.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    _check_box(d, idx, dim, fname, s)
    r = d.copy()
    if idx.size:
        target = r.reshape(1) if r.ndim == 0 else r
        ix = idx.reshape(-1) if idx.ndim == 0 else idx
        coords = _coords(ix, 0 if r.ndim == 0 else dim)
        if s is None:
            vals = value
        else:
            sb = s.reshape(1) if s.ndim == 0 else s
            vals = sb[tuple(slice(0, n) for n in ix.shape)]
        if reduce == "add" or fname == "scatter_add":
            _add_at(target, coords, vals)
        elif reduce == "multiply":
            _mul_at(target, coords, vals)
        else:
            target[coords] = vals
    if not _any_rg(input, src):
        return wrap(r)
    if reduce is not None:
        node = _NoDerivative()
        node.op = "scatter"
        return track(r, node, (input, src))
    node = ScatterAddBackward0() if fname == "scatter_add" else \
        ScatterBackward1() if src is None else ScatterBackward0()
    node.dim = dim
    node.src_shape = None if s is None else s.shape
    node.save_for_backward(index)
    return track(r, node, (input,) if src is None else (input, src))


def _mul_at(target, coords, vals):
    """``target[coords] *= vals`` with repeated coordinates multiplying in turn."""
    if type(target) is np.ndarray:
        np.multiply.at(target, coords, vals)
        return
    xp = xp_of(target)  # NOTE: CuPy has no multiply.at; this rare path loops on the host
    flat = xp.ravel_multi_index(coords, target.shape)
    vals = xp.broadcast_to(xp.asarray(vals, target.dtype), flat.shape)
    view = target.reshape(-1)
    for f, v in zip(flat.ravel().tolist(), vals.ravel().tolist()):
        view[f] *= v


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (or the number ``value``) written at the positions that
    ``index`` gives along ``dim`` (the inverse of :func:`gather`); ``reduce='add'|'multiply'``
    combines with the old values instead (no gradient then)."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    return _scatter(input, dim, index, src, value, reduce, "scatter")


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at the positions that ``index`` gives along ``dim``;
    repeated positions accumulate."""
    return _scatter(input, dim, index, src, None, None, "scatter_add")


# ---- index_select / index_add / index_fill / index_copy ------------------------------------------
def _along(dim, idx):
    return (slice(None),) * dim + (idx,)


def _vector_index(index, fname):
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"{fname}(): Index is supposed to be a vector")
    return idx.reshape(-1)


class IndexSelectBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        return index_add(_zeros(g, self.shape), self.dim, index, g)


def index_select(input, dim, index, *, out=None):
    """The entries ``index`` (a 1-d integer tensor) of dim ``dim``, in that order (a copy)."""
    d = input._data
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = _vector_index(index, "index_select")
    dim = wrap_dim(dim, d.ndim)
    if d.ndim == 0:
        if idx.size != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        r = d.reshape(1)[idx].reshape(())
    else:
        n = d.shape[dim]
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
            bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        r = xp_of(d).take(d, idx, axis=dim)
    if _any_rg(input):
        node = IndexSelectBackward0()
        node.dim, node.shape = dim, d.shape
        node.save_for_backward(index)
        return track(r, node, (input,))
    return wrap(r)


def _check_range(idx, n, msg):
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(msg)


class IndexAddBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        gs = None
        if self._next[1] is not None:
            gs = index_select(g, self.dim, index) if self.src_nd else g
            if self.alpha != 1:
                gs = gs * self.alpha
        return g, gs


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at the entries ``index`` of dim ``dim``;
    repeated indices accumulate."""
    d, s = input._data, source._data
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_TITLE.get(index.dtype.name, index.dtype.name)}")
    if s.dtype != d.dtype:
        raise RuntimeError(f"index_add_(): self ({_TITLE[input.dtype.name]}) and source "
                           f"({_TITLE[source.dtype.name]}) must have the same scalar type")
    idx = _vector_index(index, "index_add_")
    dim = wrap_dim(dim, d.ndim)
    n_src = s.shape[dim] if s.ndim else 1
    if idx.size != n_src:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {dim}")
    _check_range(idx, d.shape[dim] if d.ndim else 1, "index out of range in self")
    r = d.copy()
    vals = s if alpha == 1 else s * alpha
    if d.ndim == 0:
        r[...] += vals.sum()
    else:
        _add_at(r, _along(dim, idx), vals if s.ndim else vals.reshape(1))
    if _any_rg(input, source):
        node = IndexAddBackward0()
        node.dim, node.alpha, node.src_nd = dim, alpha, s.ndim
        node.save_for_backward(index)
        return track(r, node, (input, source))
    return wrap(r)


class IndexFillBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        ga = None if self._next[0] is None else index_fill(g, self.dim, index, 0)
        gv = None
        if len(self._next) > 1 and self._next[1] is not None:
            # each position is filled once, however often the index repeats it
            n = g._data.shape[self.dim] if g._data.ndim else 1
            unique = wrap(xp_of(index._data).unique(index._data.reshape(-1) % max(n, 1)))
            gv = index_select(g, self.dim, unique).sum()
        return (ga,) if len(self._next) == 1 else (ga, gv)


class IndexFillBackward1(IndexFillBackward0):
    """index_fill with a 0-d tensor ``value``."""


def _fill_value(value, fname):
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"{fname} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return value._data.item(), value
    return value, None


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the entries ``index`` of dim ``dim`` set to ``value`` (a number
    or a 0-d tensor)."""
    d = input._data
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    idx = _vector_index(index, "index_fill_")
    dim = wrap_dim(dim, d.ndim)
    n = d.shape[dim] if d.ndim else 1
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
    v, vt = _fill_value(value, "index_fill_")
    r = d.copy()
    if d.ndim == 0:
        if idx.size:
            r[...] = v
    else:
        r[_along(dim, idx)] = v
    if _any_rg(input, vt):
        node = IndexFillBackward0() if vt is None else IndexFillBackward1()
        node.dim = dim
        node.save_for_backward(index)
        return track(r, node, (input,) if vt is None else (input, vt))
    return wrap(r)


class IndexCopyBackward0(Node):
    def backward(self, g):
        (index,) = self.saved_tensors
        ga = None if self._next[0] is None else index_fill(g, self.dim, index, 0)
        gs = None if self._next[1] is None else index_select(g, self.dim, index)
        return ga, gs


def index_copy(input, dim, index, source):
    """A copy of ``input`` with the entries ``index`` of dim ``dim`` replaced by ``source``'s."""
    d, s = input._data, source._data
    if index._data.dtype != np.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{_TITLE.get(index.dtype.name, index.dtype.name)}")
    idx = _vector_index(index, "index_copy_")
    dim = wrap_dim(dim, d.ndim)
    n = d.shape[dim] if d.ndim else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {dim} with "
                         f"size {n}")
    if s.dtype != d.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_TITLE[input.dtype.name]} and (source) "
                           f"{_TITLE[source.dtype.name]}")
    r = d.copy()
    if d.ndim == 0:
        r[...] = s.reshape(())
    else:
        r[_along(dim, idx)] = s
    if _any_rg(input, source):
        node = IndexCopyBackward0()
        node.dim = dim
        node.save_for_backward(index)
        return track(r, node, (input, source))
    return wrap(r)


methods(gather=gather, scatter=scatter, scatter_add=scatter_add, index_select=index_select,
        index_add=index_add, index_fill=index_fill, index_copy=index_copy,
        scatter_=inplace_method(scatter), scatter_add_=inplace_method(scatter_add),
        index_add_=inplace_method(index_add), index_fill_=inplace_method(index_fill),
        index_copy_=inplace_method(index_copy))

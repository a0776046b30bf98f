"""Shared by the value-selecting ops (max/min over a dim, sort, topk, kthvalue, median):

- ``return_types``: the ``(values, indices)`` named tuples, like ``torch.return_types``;
- ``take_along`` / ``put_along``: gather values at indices along a dim, and scatter a gradient back
  to those positions. Each is the other's backward, so double backward works through them.
- ``track_pair``: the two outputs of one node (``var_mean``, ``aminmax``).
"""
import collections
import functools

from ember._backend import xp_of
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node


class return_types:
    """Named tuples returned by ops with several results, as in ``torch.return_types``:
    ``ember.max(x, 0)`` is a ``return_types.max`` with ``.values`` and ``.indices``."""


def _repr(self):
    fields = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
    return f"ember.return_types.{type(self).__name__}(\n{fields})"


def _structseq(name, fields=("values", "indices")):
    cls = collections.namedtuple(name, fields)
    # NOTE: the qualified name lets pickle find the class as ember._ops._select.return_types.<name>
    cls.__qualname__ = f"return_types.{name}"
    cls.__module__ = __name__
    cls.__repr__ = _repr
    setattr(return_types, name, cls)
    return cls


for _name in ("max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin"):
    _structseq(_name)
_structseq("aminmax", ("min", "max"))
del _name


def write_out(result, out, name):
    """Honour ``out=``: copy ``result`` (a Tensor or a tuple of them) into ``out``, resized as
    PyTorch does, and return ``out`` (a ``return_types`` tuple for tuples)."""
    if out is None:
        return result
    pairs = zip(result, out) if isinstance(result, tuple) else ((result, out),)
    for r, o in pairs:
        if r._rg:
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires grad.")
        if o._data.shape != r._data.shape:
            o._data = xp_of(o._data).empty(r._data.shape, o._data.dtype)
        o._data[...] = r._data
        o._vc[0] += 1
    return type(result)(*out) if isinstance(result, tuple) else out


def torch_kwargs(name, out=True):
    """Decorator: PyTorch's keyword extras for an op with a ``dim``: the ``out=`` keyword (see
    :func:`write_out`) and NumPy's aliases ``axis`` (for ``dim``) and ``keepdims``."""
    def deco(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            if kwargs:
                if "axis" in kwargs:
                    kwargs["dim"] = kwargs.pop("axis")
                if "keepdims" in kwargs:
                    kwargs["keepdim"] = kwargs.pop("keepdims")
                o = kwargs.pop("out", None) if out else None
                if o is not None:
                    return write_out(fn(*args, **kwargs), o, name)
            return fn(*args, **kwargs)
        return op
    return deco


def track_pair(a, b, node, inputs):
    """Two outputs of one node: the tensors carry ``_oi`` 0 and 1."""
    node._n_out = 2
    t0 = track(a, node, inputs)
    t1 = wrap(b)
    t1._rg, t1.grad_fn, t1._oi = True, node, 1
    return t0, t1


# ---- gather / scatter along a dim ----------------------------------------------------------------
class GatherBackward0(Node):
    def backward(self, g):
        return put_along(g, self.index, self.axis, self.shape)


def take_along(input, index, axis):
    """``input`` gathered at ``index`` (an integer array shaped like the result) along ``axis``."""
    d = input._data
    r = xp_of(d).take_along_axis(d, index, axis) if d.ndim else d[()]
    if STATE.enabled and input._rg:
        node = GatherBackward0()
        node.index, node.axis, node.shape = index, axis, d.shape
        return track(r, node, (input,))
    return wrap(r)


class ScatterBackward0(Node):
    def backward(self, g):
        return take_along(g, self.index, self.axis)


def put_along(src, index, axis, shape):
    """A zero tensor of ``shape`` with ``src`` written at ``index`` along ``axis`` (indices along
    the axis must be distinct: a permutation or a selection)."""
    s = src._data
    xp = xp_of(s)
    r = xp.zeros(shape, s.dtype)
    if len(shape):
        # put_along_axis by hand (older CuPy lacks it): open grids for the other axes
        grids = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
        grids[axis] = index
        r[tuple(grids)] = s
    else:
        r[()] = s
    if STATE.enabled and src._rg:
        node = ScatterBackward0()
        node.index, node.axis = index, axis
        return track(r, node, (src,))
    return wrap(r)


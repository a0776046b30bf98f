"""``select`` and ``narrow`` (views of one index or one range of a dim), and their out-of-place
inverses ``select_scatter`` and ``slice_scatter``; built on the index plans of ``index.py``."""
from ember._ops._util import wrap_dim
from ember._ops.index import CopySlices, _Plan, _apply_plan, _region_shape, _slice_bounds
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE

__all__ = ["select", "narrow", "select_scatter", "slice_scatter"]


def select(input, dim, index):
    """The slice ``index`` of dim ``dim``, without that dim (a view): ``x.select(1, 0)`` is
    ``x[:, 0]``."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, d.ndim)
    index = index.__index__() if isinstance(index, Tensor) else int(index)
    size = d.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(d.shape)} "
                         f"at dimension {dim}")
    plan = _Plan((slice(None),) * dim + (index % size, Ellipsis), None, "Select")
    return _apply_plan(input, plan)


def narrow(input, dim, start, length):
    """The ``length`` elements of dim ``dim`` from ``start`` (a view)."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, d.ndim)
    start = start.__index__() if isinstance(start, Tensor) else int(start)
    length = int(length)
    size = d.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    plan = _Plan((slice(None),) * dim + (slice(start, start + length, 1), Ellipsis), None, "Slice")
    return _apply_plan(input, plan)


def _scatter_into(input, src, plan, what):
    d = input._data
    region = _region_shape(d, plan)
    if src._data.shape != region:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(region)}")
    r = d.copy()
    r[plan.basic] = src._data
    if STATE.enabled and (input._rg or src._rg):
        node = _ScatterIntoBackward()
        node.plan, node.what = plan, what
        return track(r, node, (input, src))
    return wrap(r)


class _ScatterIntoBackward(CopySlices):
    def name(self):
        return self.what


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``input.select(dim, index)``."""
    d = input._data
    dim = wrap_dim(dim, d.ndim)
    index = int(index)
    size = d.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(d.shape)} "
                         f"at dimension {dim}")
    plan = _Plan((slice(None),) * dim + (index % size, Ellipsis), None, "Select")
    return _scatter_into(input, src, plan, "SelectScatterBackward0")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written at ``input[..., start:end:step, ...]`` (dim
    ``dim``)."""
    d = input._data
    dim = wrap_dim(dim, d.ndim)
    s = _slice_bounds(slice(start, end, step), d.shape[dim])
    plan = _Plan((slice(None),) * dim + (slice(*s), Ellipsis), None, "Slice")
    return _scatter_into(input, src, plan, "SliceScatterBackward0")


methods(select=select, narrow=narrow, select_scatter=select_scatter, slice_scatter=slice_scatter)

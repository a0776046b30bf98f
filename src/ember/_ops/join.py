"""Joining tensors (cat, stack and the h/v/d/column variants) and splitting them (split, chunk,
unbind, tensor_split).

Splits return views of their input (shared memory and version counter) from one multi-output node:
output ``i`` is ``(node, i)`` in the graph, and the backward gets one gradient per output, ``None``
for an output that received none (it counts as zeros).
"""
import builtins

from ember import _dtype
from ember._backend import xp_of
from ember._ops._arith import _out
from ember._ops._util import wrap_dim
from ember._tensor import Tensor, methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node, connect

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "split", "chunk", "unbind",
           "tensor_split"]


def _tensor_list(tensors, fname):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        "Tensor")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return tensors


def _common_arrays(tensors):
    """The arrays of ``tensors`` cast to their common dtype (PyTorch's promotion over all of
    them) on one device."""
    arrs = [t._data for t in tensors]
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = _dtype.promote_types(dt, t.dtype)
    kinds = {type(a) for a in arrs}
    if len(kinds) > 1:
        devs = sorted({str(t.device) for t in tensors})
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {devs[0]} and {devs[1]}!")
    return [a if a.dtype == dt.np else a.astype(dt.np) for a in arrs]


def _any_rg(tensors):
    return STATE.enabled and builtins.any(t._rg for t in tensors)


def _write_out(r, out):
    if out is None:
        return r
    try:
        return _out(r, out)
    except RuntimeError as e:
        if "can't be cast" not in str(e):
            raise
        from ember._ops.reduce import type_name
        raise TypeError("torch.cat(): input types can't be cast to the desired output type "
                        f"{type_name(out._data.dtype)}") from None


# ---- cat and stack -------------------------------------------------------------------------------
class CatBackward0(Node):
    def backward(self, g):
        grads = []
        for i, (off, size) in enumerate(self.spans):
            if self._next[i] is None:
                grads.append(None)
            elif off is None:  # a skipped legacy empty tensor
                grads.append(wrap(xp_of(g._data).zeros((0,), g._data.dtype)))
            else:
                grads.append(g.narrow(self.dim, off, size))
        return tuple(grads)


def cat(tensors, dim=0, *, out=None):
    """Concatenate tensors along an existing dim ``dim``; all other dims must match. The result
    has the promoted dtype of all inputs. (Legacy: 1-d empty tensors are skipped.)

    Example::

        ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape    # (3, 3)
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    arrs = _common_arrays(tensors)
    keep = [i for i, a in enumerate(arrs) if not (a.ndim == 1 and a.shape[0] == 0)]
    ref = arrs[keep[0]] if keep else arrs[0]
    dim = wrap_dim(dim, ref.ndim)
    for i in keep:
        a = arrs[i]
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{a.ndim}")
        for k in range(ref.ndim):
            if k != dim and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {ref.shape[k]} but got size {a.shape[k]} for "
                                   f"tensor number {i} in the list.")
    if keep:
        r = xp_of(ref).concatenate([arrs[i] for i in keep], axis=dim)
    else:
        r = xp_of(ref).zeros((0,), ref.dtype)
    if _any_rg(tensors):
        node = CatBackward0()
        node.dim, spans, off = dim, [], 0
        kept = set(keep)
        for i, a in enumerate(arrs):
            if i in kept:
                spans.append((off, a.shape[dim]))
                off += a.shape[dim]
            else:
                spans.append((None, 0))
        node.spans = spans
        return _write_out(track(r, node, tuple(tensors)), out)
    return _write_out(wrap(r), out)


concat = concatenate = cat


class StackBackward0(Node):
    def backward(self, g):
        return tuple(None if e is None else g.select(self.dim, i) for i, e in enumerate(self._next))


def stack(tensors, dim=0, *, out=None):
    """Join tensors of equal shape along a new dim ``dim``.

    Example::

        ember.stack([ember.zeros(3), ember.ones(3)], dim=1).shape    # (3, 2)
    """
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} "
                               f"at entry 0 and {list(t._data.shape)} at entry {i}")
    dim = wrap_dim(dim, len(shape) + 1)
    arrs = _common_arrays(tensors)
    r = xp_of(arrs[0]).stack(arrs, axis=dim)
    if _any_rg(tensors):
        node = StackBackward0()
        node.dim = dim
        return _write_out(track(r, node, tuple(tensors)), out)
    return _write_out(wrap(r), out)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1:
        tensors = tuple(tensors[0])
    return tuple(fn(t) for t in tensors)


def _at1(t):
    return t.reshape(1) if t._data.ndim == 0 else t


def _at2(t):
    nd = t._data.ndim
    return t.reshape(1, 1) if nd == 0 else t.unsqueeze(0) if nd == 1 else t


def _at3(t):
    nd = t._data.ndim
    if nd == 0:
        return t.reshape(1, 1, 1)
    if nd == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if nd == 2 else t


def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dim (a 0-d tensor becomes shape (1,))."""
    return _atleast(tensors, _at1)


def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dims (a 1-d tensor of n becomes (1, n))."""
    return _atleast(tensors, _at2)


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(tensors, _at3)


def hstack(tensors, *, out=None):
    """Concatenate horizontally: along dim 0 for 1-d tensors, dim 1 otherwise."""
    ts = [_at1(t) for t in _tensor_list(tensors, "hstack")]
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate vertically (dim 0) after making each tensor at least 2-d."""
    return cat([_at2(t) for t in _tensor_list(tensors, "vstack")], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate depth-wise (dim 2) after making each tensor at least 3-d."""
    return cat([_at3(t) for t in _tensor_list(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out=None):
    """Stack as columns: 0-d and 1-d tensors become columns, then concatenate along dim 1."""
    ts = _tensor_list(tensors, "column_stack")
    return cat([t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in ts], 1, out=out)


# ---- split, chunk, unbind ------------------------------------------------------------------------
def _multi_view(input, arrs, node):
    """Views ``arrs`` of ``input`` as the outputs ``0..k-1`` of one node (None: no graph)."""
    outs = []
    if node is not None:
        node._n_out = len(arrs)
        connect(node, (input,))
    for i, a in enumerate(arrs):
        t = view_of(a, input)
        if node is not None:
            t._rg, t.grad_fn, t._oi = True, node, i
        outs.append(t)
    return tuple(outs)


def _fill_none(grads, shapes, like):
    """Gradients of a multi-output node's outputs, zeros where an output got none."""
    xp, dt = xp_of(like._data), like._data.dtype
    return [wrap(xp.zeros(s, dt)) if g is None else g for g, s in zip(grads, shapes)]


class SplitBackward0(Node):
    def backward(self, *grads):
        like = next(g for g in grads if g is not None)
        return cat(_fill_none(grads, self.shapes, like), self.dim)


class SplitWithSizesBackward0(SplitBackward0):
    pass


def _pieces(input, dim, sizes, node_cls):
    d = input._data
    arrs, off, lead = [], 0, (slice(None),) * dim
    for s in sizes:
        arrs.append(d[lead + (slice(off, off + s),)])
        off += s
    node = None
    if STATE.enabled and input._rg:
        node = node_cls()
        node.dim, node.shapes = dim, [a.shape for a in arrs]
    return _multi_view(input, arrs, node)


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` along ``dim`` (the last may be smaller), or into pieces
    of the sizes listed. The pieces are views.

    Example::

        ember.arange(5).split(2)         # (tensor([0, 1]), tensor([2, 3]), tensor([4]))
        ember.arange(5).split([1, 4])    # (tensor([0]), tensor([1, 2, 3, 4]))
    """
    d = tensor._data
    if d.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                               f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
        return _pieces(tensor, dim, sizes, SplitWithSizesBackward0)
    s = int(split_size_or_sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    k = max(-(-n // s), 1) if s else 1
    sizes = [min(s, n - i * s) for i in range(k)]
    return _pieces(tensor, dim, sizes, SplitBackward0)


def _split_method(self, split_size=None, dim=0, **kw):
    return split(self, kw.pop("split_size_or_sections", split_size), dim)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of equal size ``ceil(n / chunks)`` (fewer when ``n`` does not
    allow that many)."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    size = -(-n // chunks)
    if size == 0 and n == 0:
        return _pieces(input, dim, [0] * chunks, SplitWithSizesBackward0)
    return split(input, size, dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``sections`` nearly equal pieces (the first ``n % sections`` one larger), or at
    the given indices. Views."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    dim = wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    ios = indices_or_sections
    if isinstance(ios, Tensor) and ios._data.ndim == 0:
        ios = int(ios.item())
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, rem = divmod(n, ios)
        bounds, off = [], 0
        for i in range(ios):
            size = q + (1 if i < rem else 0)
            bounds.append((off, off + size))
            off += size
    else:
        idx = [int(i) for i in (ios.tolist() if isinstance(ios, Tensor) else ios)]
        starts = [0] + idx
        ends = idx + [n]
        bounds = []
        for a, b in zip(starts, ends):
            a = min(max(a + n if a < 0 else a, 0), n)
            b = min(max(b + n if b < 0 else b, 0), n)
            bounds.append((a, max(a, b)))
    return tuple(input.narrow(dim, a, b - a) for a, b in bounds)


class UnbindBackward0(Node):
    def backward(self, *grads):
        like = next(g for g in grads if g is not None)
        return stack(_fill_none(grads, [self.shape] * len(grads), like), self.dim)


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as a tuple of views without that dim."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, d.ndim)
    lead = (slice(None),) * dim
    arrs = [d[lead + (i, Ellipsis)] for i in range(d.shape[dim])]
    node = None
    if STATE.enabled and input._rg:
        node = UnbindBackward0()
        node.dim, node.shape = dim, d.shape[:dim] + d.shape[dim + 1:]
    return _multi_view(input, arrs, node)


methods(split=_split_method, chunk=chunk, unbind=unbind, tensor_split=tensor_split,
        split_with_sizes=lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim))

"""Shape operations. Those that return views of their input (reshape of a contiguous tensor,
transpose, expand, squeeze, diagonal ...) share its memory and its version counter, as in PyTorch;
flip, roll, repeat, tril/triu return copies, also as in PyTorch.

Joining and splitting (cat, stack, split, chunk, unbind) live in ``join.py``; indexing in
``index.py``.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops._util import dims_arg, wrap_dim
from ember._tensor import Size, methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["reshape", "expand", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze", "permute",
           "transpose", "swapaxes", "swapdims", "t", "adjoint", "movedim", "moveaxis", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes", "tile", "flip", "fliplr", "flipud", "roll", "tril",
           "triu", "diagonal", "diagonal_scatter", "diag_embed", "diag"]


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``, and ``ember.Size``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _record(input):
    return STATE.enabled and input._rg


def _zeros(like, shape):
    """A constant zero tensor of ``like``'s dtype and device (for backward formulas)."""
    d = like._data
    return wrap(xp_of(d).zeros(shape, d.dtype))


# ---- reshape and view ----------------------------------------------------------------------------
def _infer_shape(shape, numel):
    """Resolve a single -1 and check that the element count matches (PyTorch's messages)."""
    if -1 in shape:
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                                   "because the unspecified dimension size -1 can be any value and "
                                   "is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    n = 1
    for s in shape:
        if s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_arr(d, shape):
    """``d`` reshaped without copying, or None when the strides do not allow it."""
    if type(d) is np.ndarray:
        try:
            return d.reshape(shape, copy=False)
        except ValueError:
            return None
    r = d.view()
    try:
        r.shape = shape  # CuPy: assigning .shape raises where reshape would copy
    except AttributeError:
        return None
    return r


class ViewBackward0(Node):
    def backward(self, g):
        return g.reshape(self.shape)


class UnsafeViewBackward0(ViewBackward0):
    """reshape that had to copy (PyTorch's name for it)."""


def _reshape(input, shape, must_view):
    d = input._data
    shape = _infer_shape(shape, d.size)
    r = _view_arr(d, shape)
    if r is None and must_view:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    record = _record(input)
    if r is not None:
        node = None
        if record:
            node = ViewBackward0()
            node.shape = d.shape
        return view_of(r, input, node)
    r = d.reshape(shape)
    if record:
        node = UnsafeViewBackward0()
        node.shape = d.shape
        return track(r, node, (input,))
    return wrap(r)


def reshape(input, *shape):
    """The same elements in a new shape; a view when the strides allow, else a copy. One dim may
    be -1 (inferred).

    Example::

        ember.arange(6).reshape(2, -1)    # shape (2, 3)
    """
    return _reshape(input, _shape_arg(shape), False)


def view(input, *shape):
    """Like reshape but always a view; raises when the memory layout does not allow one.
    ``view(dtype)`` reinterprets the bytes instead (no gradient)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from ember._dtype import as_dtype
        return view_of(input._data.view(as_dtype(shape[0]).np), input)
    return _reshape(input, _shape_arg(shape), True)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (a view when possible). A 0-d tensor becomes 1-d."""
    d = input._data
    if d.ndim == 0:
        return _reshape(input, (1,), False)
    s, e = wrap_dim(start_dim, d.ndim), wrap_dim(end_dim, d.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for k in d.shape[s:e + 1]:
        n *= k
    return _reshape(input, d.shape[:s] + (n,) + d.shape[e + 1:], False)


def ravel(input):
    """All elements as a 1-d tensor (a view when the input is contiguous)."""
    return _reshape(input, (-1,), False)


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one entry may be -1).

    Example::

        ember.zeros(2, 6).unflatten(1, (2, 3)).shape    # (2, 2, 3)
    """
    d = input._data
    dim = wrap_dim(dim, d.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    n = d.shape[dim]
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {dim} ({n}) in the input tensor")
    return _reshape(input, d.shape[:dim] + sizes + d.shape[dim + 1:], False)


# ---- squeeze / unsqueeze -------------------------------------------------------------------------
class SqueezeBackward0(ViewBackward0):
    """squeeze() of all size-1 dims."""


class SqueezeBackward1(ViewBackward0):
    """squeeze(dim)."""


class SqueezeBackward2(ViewBackward0):
    """squeeze((dims, ...))."""


class UnsqueezeBackward0(ViewBackward0):
    pass


def _reshaped_view(input, shape, node_cls):
    d = input._data
    r = d.reshape(shape)  # dropping or adding size-1 dims never copies
    node = None
    if _record(input):
        node = node_cls()
        node.shape = d.shape
    return view_of(r, input, node)


def squeeze(input, dim=None):
    """Remove size-1 dims: all of them, or those among ``dim`` (an int or a tuple); a dim that is
    not of size 1 is left alone."""
    d = input._data
    if dim is None:
        cls, axes = SqueezeBackward0, range(d.ndim)
    elif isinstance(dim, (tuple, list)):
        cls, axes = SqueezeBackward2, dims_arg(dim, d.ndim) or ()
    else:
        cls, axes = SqueezeBackward1, (wrap_dim(dim, d.ndim),)
    shape = tuple(s for i, s in enumerate(d.shape) if not (s == 1 and i in axes))
    return _reshaped_view(input, shape, cls)


def unsqueeze(input, dim):
    """Insert a size-1 dim at position ``dim`` (in ``[-ndim-1, ndim]``)."""
    d = input._data
    dim = wrap_dim(dim, d.ndim + 1)
    return _reshaped_view(input, d.shape[:dim] + (1,) + d.shape[dim:], UnsqueezeBackward0)


# ---- permutations --------------------------------------------------------------------------------
class PermuteBackward0(Node):
    def backward(self, g):
        return g.permute(self.inverse)


def _permuted(input, perm):
    node = None
    if _record(input):
        node = PermuteBackward0()
        node.inverse = tuple(int(i) for i in np.argsort(perm))
    return view_of(input._data.transpose(perm), input, node)


def permute(input, *dims):
    """A view with the dims reordered: ``x.permute(2, 0, 1)`` or ``ember.permute(x, (2, 0, 1))``."""
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does not "
                           "match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {nd} is not equal to len(dims) = {len(dims)}")
    perm = tuple(wrap_dim(p, nd) for p in dims)
    if len(set(perm)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permuted(input, perm)


class TransposeBackward0(Node):
    def backward(self, g):
        return g.transpose(self.dim0, self.dim1)


def transpose(input, dim0, dim1):
    """A view with dims ``dim0`` and ``dim1`` swapped."""
    d = input._data
    a, b = wrap_dim(dim0, d.ndim), wrap_dim(dim1, d.ndim)
    node = None
    if _record(input):
        node = TransposeBackward0()
        node.dim0, node.dim1 = a, b
    return view_of(d.swapaxes(a, b) if d.ndim else d.view(), input, node)


def swapaxes(input, axis0, axis1):
    """Alias of :func:`transpose` (NumPy's name)."""
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """Alias of :func:`transpose`."""
    return transpose(input, dim0, dim1)


class TBackward0(Node):
    def backward(self, g):
        return g.t()


def t(input):
    """Transpose of a matrix; 0-d and 1-d tensors are returned as views unchanged."""
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    return view_of(d.T, input, TBackward0() if _record(input) else None)


def _T(input):
    return _permuted(input, tuple(range(input._data.ndim - 1, -1, -1)))


def _mT(input):
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


def _conj(x):
    return x.conj() if x._data.dtype.kind == "c" else x


def adjoint(input):
    """The conjugate transpose of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. "
                           f"Got {input._data.ndim}-D tensor.")
    return _conj(transpose(input, -2, -1))


def _H(input):
    if input._data.ndim not in (0, 2):
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{input._data.ndim}-D tensor.")
    return _conj(_T(input))


def _dim_list(x, nd):
    return [wrap_dim(int(d), nd) for d in (x if isinstance(x, (tuple, list)) else (x,))]


def movedim(input, source, destination):
    """Move the dims ``source`` (int or tuple) to positions ``destination``; the others keep their
    order. A view."""
    nd = input._data.ndim
    src, dst = _dim_list(source, nd), _dim_list(destination, nd)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} "
                           "dims)")
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(_raw(source))})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(_raw(destination))})")
    perm = [-1] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    perm = tuple(p if p != -1 else next(rest) for p in perm)
    return _permuted(input, perm)


def _raw(x):
    return x if isinstance(x, (tuple, list)) else (x,)


moveaxis = movedim


# ---- broadcasting --------------------------------------------------------------------------------
class ExpandBackward0(Node):
    def backward(self, g):
        from ember._ops.reduce import sum_to
        return sum_to(g, self.shape)


def expand(input, *sizes):
    """A broadcast view of ``input`` with singleton dims repeated; -1 keeps a dim's size. New dims
    may be added in front.

    Example::

        ember.ones(3, 1).expand(2, 3, 4).shape    # (2, 3, 4)
    """
    sizes = _shape_arg(sizes)
    d = input._data
    if len(sizes) < d.ndim:
        from ember._tensor_str import type_name
        raise RuntimeError(f"expand({type_name(input)}{{{list(d.shape)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({d.ndim})")
    lead = len(sizes) - d.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            target.append(s)
            continue
        have = d.shape[i - lead]
        if s == -1:
            s = have
        elif have != s and have != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                               f"({have}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(d.shape)}")
        elif s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
        target.append(s)
    target = tuple(target)
    r = d.view() if target == d.shape else xp_of(d).broadcast_to(d, target)
    node = None
    if _record(input):
        node = ExpandBackward0()
        node.shape = d.shape
    return view_of(r, input, node)


def broadcast_to(input, size):
    """``input`` expanded to ``size`` (see :func:`expand`)."""
    return expand(input, tuple(size))


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to (ints count as 1-d shapes)."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    nd = max((len(s) for s in shapes), default=0)
    out = [1] * nd
    for k, s in enumerate(shapes):
        for i, n in enumerate(s):
            j = nd - len(s) + i
            if n < 0:
                raise RuntimeError("Trying to create tensor with negative dimension "
                                   f"{n}: {list(s)}")
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape."
                                   f"  Mismatch is between arg {_first_with(shapes, j, nd, out[j])} "
                                   f"and arg {k}.")
    return Size(out)


def _first_with(shapes, j, nd, n):
    for k, s in enumerate(shapes):
        i = j - (nd - len(s))
        if i >= 0 and s[i] == n:
            return k
    return 0


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views); a tensor already of that shape is
    returned as is."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = tuple(tensors[0]._data.shape)
    for k, x in enumerate(tensors[1:], 1):
        s = x._data.shape
        try:
            shape = np.broadcast_shapes(shape, s)
        except ValueError:
            nd = max(len(shape), len(s))
            a, b = (1,) * (nd - len(shape)) + shape, (1,) * (nd - len(s)) + s
            i = next(i for i in range(nd) if a[i] != b[i] and a[i] != 1 and b[i] != 1)
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}") from None
    return tuple(x if x._data.shape == shape else expand(x, shape) for x in tensors)


# ---- repeat, flip, roll --------------------------------------------------------------------------
class RepeatBackward0(Node):
    def backward(self, g):
        # g has dims r_i * s_i; view them as (r_i, s_i) pairs and sum the repeats away
        pairs = []
        for r, s in zip(self.reps, self.padded):
            pairs += [r, s]
        g = g.reshape(pairs).sum(tuple(range(0, len(pairs), 2))) if pairs else g
        return g.reshape(self.shape)


def repeat(input, *sizes):
    """The tensor tiled ``sizes[i]`` times along each dim (more sizes than dims add leading dims).
    A copy."""
    reps = _shape_arg(sizes)
    d = input._data
    if len(reps) < d.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(reps) - d.ndim) + d.shape
    for r, s in zip(reps, padded):
        if r < 0:
            out = [a * b for a, b in zip(reps, padded)]
            raise RuntimeError(f"Trying to create tensor with negative dimension {r * s}: {out}")
    r = xp_of(d).tile(d, reps) if reps else d.copy()
    if _record(input):
        node = RepeatBackward0()
        node.reps, node.padded, node.shape = reps, padded, d.shape
        return track(r, node, (input,))
    return wrap(r)


def tile(input, *dims):
    """Like :meth:`Tensor.repeat`, but fewer ``dims`` than the tensor has are padded with 1s in
    front."""
    reps = _shape_arg(dims)
    nd = input._data.ndim
    return repeat(input, (1,) * (nd - len(reps)) + reps)


class FlipBackward0(Node):
    def backward(self, g):
        return g.flip(self.dims)


def flip(input, *dims):
    """A copy with the order of elements reversed along ``dims``."""
    dims = _shape_arg(dims)
    d = input._data
    axes = dims_arg(dims, d.ndim) or ()
    idx = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(d.ndim))
    r = d[idx].copy()
    if _record(input):
        node = FlipBackward0()
        node.dims = axes
        return track(r, node, (input,))
    return wrap(r)


def fliplr(input):
    """Flip dim 1 (left/right); the input must be at least 2-d."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Flip dim 0 (up/down); the input must be at least 1-d."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class RollBackward0(Node):
    def backward(self, g):
        return roll(g, tuple(-s for s in self.shifts), self.dims)


def roll(input, shifts, dims=None):
    """Shift elements cyclically by ``shifts`` along ``dims`` (without dims: over the flattened
    tensor, keeping the shape).

    Example::

        ember.tensor([1, 2, 3]).roll(1)    # tensor([3, 1, 2])
    """
    d = input._data
    sh = tuple(int(s) for s in (shifts if isinstance(shifts, (tuple, list)) else (shifts,)))
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        r = xp_of(d).roll(d, sh[0])
    else:
        dm = tuple(int(x) for x in (dims if isinstance(dims, (tuple, list)) else (dims,)))
        if len(sh) != len(dm):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, "
                               f"dims:{len(dm)}")
        dm = tuple(wrap_dim(x, d.ndim) for x in dm)
        r = xp_of(d).roll(d, sh, dm) if d.ndim else d.copy()
    if _record(input):
        node = RollBackward0()
        node.shifts, node.dims = sh, (None if dims is None else dm)
        return track(r, node, (input,))
    return wrap(r)


# ---- triangles and diagonals ---------------------------------------------------------------------
class TrilBackward0(Node):
    def backward(self, g):
        return tril(g, self.diagonal)


class TriuBackward0(Node):
    def backward(self, g):
        return triu(g, self.diagonal)


def _triangle(input, diagonal, upper):
    d = input._data
    name = "triu" if upper else "tril"
    if d.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    xp = xp_of(d)
    r = (xp.triu if upper else xp.tril)(d, int(diagonal))
    if _record(input):
        node = TriuBackward0() if upper else TrilBackward0()
        node.diagonal = int(diagonal)
        return track(r, node, (input,))
    return wrap(r)


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements above ``diagonal`` set to 0)."""
    return _triangle(input, diagonal, False)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements below ``diagonal`` set to 0)."""
    return _triangle(input, diagonal, True)


def _diag_dims(nd, offset, dim1, dim2):
    a, b = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return int(offset), a, b


def _diag_view(d, offset, a, b):
    """The (writable) strided view of diagonal ``offset`` of dims ``a``, ``b``, appended last."""
    s1, s2 = d.shape[a], d.shape[b]
    if offset >= 0:
        n = max(min(s1, s2 - offset), 0)
        start = [0] * d.ndim
        start[b] = offset if n else 0
    else:
        n = max(min(s1 + offset, s2), 0)
        start = [0] * d.ndim
        start[a] = -offset if n else 0
    base = d[tuple(slice(st, None) for st in start)] if n else d
    keep = [i for i in range(d.ndim) if i not in (a, b)]
    shape = tuple(d.shape[i] for i in keep) + (n,)
    strides = tuple(d.strides[i] for i in keep) + (d.strides[a] + d.strides[b],)
    return xp_of(d).lib.stride_tricks.as_strided(base, shape, strides)


class DiagonalBackward0(Node):
    def backward(self, g):
        return diagonal_scatter(_zeros(g, self.shape), g, self.offset, self.dim1, self.dim2)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal of dims ``dim1``, ``dim2`` (``offset`` > 0 above the main one),
    appended as the last dim."""
    d = input._data
    offset, a, b = _diag_dims(d.ndim, offset, dim1, dim2)
    node = None
    if _record(input):
        node = DiagonalBackward0()
        node.shape, node.offset, node.dim1, node.dim2 = d.shape, offset, a, b
    return view_of(_diag_view(d, offset, a, b), input, node)


class DiagonalScatterBackward0(Node):
    def backward(self, g):
        a = b = None
        if self._next[0] is not None:
            a = diagonal_scatter(g, _zeros(g, self.src_shape), self.offset, self.dim1, self.dim2)
        if self._next[1] is not None:
            b = diagonal(g, self.offset, self.dim1, self.dim2)
        return a, b


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with its diagonal (as in :func:`diagonal`) replaced by ``src``."""
    d = input._data
    offset, a, b = _diag_dims(d.ndim, offset, dim1, dim2)
    r = d.copy()
    view = _diag_view(r, offset, a, b)
    if src._data.shape != view.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(view.shape)}")
    view[...] = src._data
    if STATE.enabled and (input._rg or src._rg):
        node = DiagonalScatterBackward0()
        node.src_shape, node.offset, node.dim1, node.dim2 = src._data.shape, offset, a, b
        return track(r, node, (input, src))
    return wrap(r)


class DiagEmbedBackward0(Node):
    def backward(self, g):
        return diagonal(g, self.offset, self.dim1, self.dim2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims ``dim1``, ``dim2`` of the result) whose diagonal ``offset`` holds the last
    dim of ``input``; zeros elsewhere."""
    d = input._data
    offset, a, b = _diag_dims(d.ndim + 1, offset, dim1, dim2)
    n = d.shape[-1] if d.ndim else 1
    m = n + abs(offset)
    shape = list(d.shape[:-1])
    for pos in sorted((a, b)):
        shape.insert(pos, m)
    r = xp_of(d).zeros(tuple(shape), d.dtype)
    _diag_view(r, offset, a, b)[...] = d
    if _record(input):
        node = DiagEmbedBackward0()
        node.offset, node.dim1, node.dim2 = offset, a, b
        return track(r, node, (input,))
    return wrap(r)


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 (PyTorch's name)
    pass


def diag(input, diagonal=0):
    """1-d input: a square matrix with ``input`` on diagonal ``diagonal``. 2-d input: a copy of
    that diagonal."""
    d = input._data
    if d.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if d.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {d.ndim}D")
    r = _diag_view(d, int(diagonal), 0, 1).copy()
    if _record(input):
        node = DiagonalBackward0_copy()
        node.shape, node.offset, node.dim1, node.dim2 = d.shape, int(diagonal), 0, 1
        return track(r, node, (input,))
    return wrap(r)


def _dims_varargs(fn):
    """A method taking ``x.flip(0, 1)`` as well as ``x.flip((0, 1))`` and ``dims=``."""
    def method(self, *dims, **kw):
        return fn(self, *(dims or (kw.pop("dims"),)), **kw)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


methods(reshape=reshape, view=view, expand=expand, flatten=flatten, unflatten=unflatten,
        ravel=ravel, squeeze=squeeze, unsqueeze=unsqueeze, permute=_dims_varargs(permute),
        transpose=transpose, swapaxes=swapaxes, swapdims=swapdims, t=t, adjoint=adjoint,
        T=property(_T), mT=property(_mT), H=property(_H), mH=property(adjoint),
        movedim=movedim, moveaxis=moveaxis, broadcast_to=broadcast_to,
        repeat=lambda self, *sizes, **kw: repeat(self, *(sizes or (kw["repeats"],))),
        tile=_dims_varargs(tile), flip=_dims_varargs(flip), fliplr=fliplr, flipud=flipud,
        roll=roll, tril=tril, triu=triu, diagonal=diagonal, diagonal_scatter=diagonal_scatter,
        diag_embed=diag_embed, diag=diag,
        expand_as=lambda self, other: expand(self, other._data.shape),
        reshape_as=lambda self, other: reshape(self, other._data.shape),
        view_as=lambda self, other: view(self, other._data.shape))

"""Ops that move elements into a new tensor: repeat/tile, flip, roll, the triangles (tril/triu) and
diagonals (diagonal, diag_embed, diag, diagonal_scatter). All return copies, as in PyTorch, except
:func:`diagonal`, a strided view.
"""
from ember._backend import xp_of
from ember._ops._arith import _out
from ember._ops._util import dims_arg, wrap_dim
from ember._ops.shape import _record, _shape_arg, dims_varargs
from ember._tensor import methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["trace", "rot90", "kron", "cartesian_prod", "cross", "block_diag", "tile", "flip",
           "fliplr", "flipud", "roll", "tril", "triu", "diagonal", "diagonal_scatter",
           "diag_embed", "diag"]


def _zeros(like, shape):
    """A constant zero tensor of ``like``'s dtype and device (for backward formulas)."""
    d = like._data
    return wrap(xp_of(d).zeros(shape, d.dtype))


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


def trace(input):
    """The sum of a matrix's main diagonal (integers summed as int64, as by ``sum``).

    Example::

        >>> ember.trace(ember.arange(9.).reshape(3, 3))
        tensor(12.)
    """
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    if input._data.dtype == bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return diagonal(input).sum()


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards the
    second (a flip and a transpose; k = 2 flips both).

    Example::

        >>> ember.rot90(ember.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    n = input.dim()
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == n:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    d0, d1 = wrap_dim(dims[0], n), wrap_dim(dims[1], n)
    k %= 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return input.clone()


def kron(input, other):
    """The Kronecker product: every element of ``input`` times the whole of ``other``, as blocks
    (the shorter shape padded with leading ones).

    Example::

        >>> ember.kron(ember.tensor([1, 2]), ember.tensor([1, 10]))
        tensor([ 1, 10,  2, 20])
    """
    n = max(input.dim(), other.dim())
    a = [1] * (n - input.dim()) + list(input.shape)
    b = [1] * (n - other.dim()) + list(other.shape)
    ra = [s for d in a for s in (d, 1)]
    rb = [s for d in b for s in (1, d)]
    return (input.reshape(ra) * other.reshape(rb)).reshape([x * y for x, y in zip(a, b)])


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows ``(n, len(tensors))`` (a
    single tensor is returned as it is).

    Example::

        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor([[1, 3], [1, 4], [2, 3], [2, 4]])
    """
    from ember._ops.counting import meshgrid
    from ember._ops.join import stack
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def cross(input, other, dim=None, *, out=None):
    """The cross product of 3-vectors along ``dim`` (the two broadcast together). Without
    ``dim``: the first dim of size 3, with PyTorch's deprecation warning.

    Example::

        >>> ember.cross(ember.tensor([1., 0., 0.]), ember.tensor([0., 1., 0.]), dim=0)
        tensor([0., 0., 1.])
    """
    import warnings
    from ember._ops.join import stack
    from ember._ops.reduce import type_name
    from ember._ops.shape import broadcast_tensors
    if input.dtype != other.dtype:  # (PyTorch does not promote here)
        raise RuntimeError(f"expected scalar type {type_name(input._data.dtype)} but found "
                           f"{type_name(other._data.dtype)}")
    a, b = broadcast_tensors(input, other)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        dim = next((i for i, n in enumerate(a.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    dim = wrap_dim(dim, a.dim())
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    a0, a1, a2 = a.unbind(dim)
    b0, b1, b2 = b.unbind(dim)
    r = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)
    return _out(r, out)


def block_diag(*tensors):
    """The tensors as blocks along the diagonal of one matrix, zeros elsewhere (a 0-D tensor is
    a 1x1 block, a 1-D one a row).

    Example::

        >>> ember.block_diag(ember.ones(2, 2), ember.tensor([[5]]))
        tensor([[1., 1., 0.],
                [1., 1., 0.],
                [0., 0., 5.]])
    """
    from ember import _dtype
    from ember._ops.creation import zeros
    from ember._ops.join import cat
    blocks = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.dim()} dimensions")
        blocks.append(t.reshape(1, 1) if t.dim() == 0 else t.reshape(1, -1) if t.dim() == 1
                      else t)
    dt = _dtype.get_default_dtype()
    if blocks:
        dt = blocks[0].dtype
        for t in blocks[1:]:
            dt = _dtype.promote_types(dt, t.dtype)
    width = sum(t.shape[1] for t in blocks)
    rows, col = [], 0
    for t in blocks:
        h, w = t.shape
        rows.append(cat([zeros(h, col, dtype=dt), t.to(dt), zeros(h, width - col - w, dtype=dt)],
                        1))
        col += w
    return cat(rows, 0) if rows else zeros(1, 0, dtype=dt)  # (PyTorch: shape (1, 0))


methods(trace=trace, rot90=rot90, kron=kron, cross=cross,
        repeat=lambda self, *sizes, **kw: repeat(self, *(sizes or (kw["repeats"],))),
        tile=dims_varargs(tile), flip=dims_varargs(flip), fliplr=fliplr, flipud=flipud,
        roll=roll, tril=tril, triu=triu, diagonal=diagonal, diagonal_scatter=diagonal_scatter,
        diag_embed=diag_embed, diag=diag)

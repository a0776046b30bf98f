"""Shape operations: reshape/view, squeeze/unsqueeze, permutations, expand and broadcasting. All but
a reshape that must copy return views of their input: they share its memory and its version
counter, as in PyTorch.

Related families: ``rearrange.py`` (repeat, flip, roll, triangles, diagonals), ``join.py`` (cat,
stack, split ...), ``index.py`` (indexing).
"""
import numpy as np

from ember._backend import xp_of
from ember._ops._util import dims_arg, wrap_dim
from ember._tensor import Size, methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["reshape", "expand", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze", "permute",
           "transpose", "swapaxes", "swapdims", "t", "adjoint", "movedim", "moveaxis",
           "broadcast_to", "broadcast_tensors", "broadcast_shapes"]


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``, and ``ember.Size``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _record(input):
    return STATE.enabled and input._rg


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


def dims_varargs(fn):
    """A method taking ``x.flip(0, 1)`` as well as ``x.flip((0, 1))`` and ``dims=``."""
    def method(self, *dims, **kw):
        return fn(self, *(dims or (kw.pop("dims"),)), **kw)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


methods(reshape=reshape, view=view, expand=expand, flatten=flatten, unflatten=unflatten,
        ravel=ravel, squeeze=squeeze, unsqueeze=unsqueeze, permute=dims_varargs(permute),
        transpose=transpose, swapaxes=swapaxes, swapdims=swapdims, t=t, adjoint=adjoint,
        T=property(_T), mT=property(_mT), H=property(_H), mH=property(adjoint),
        movedim=movedim, moveaxis=moveaxis, broadcast_to=broadcast_to,
        expand_as=lambda self, other: expand(self, other._data.shape),
        reshape_as=lambda self, other: reshape(self, other._data.shape),
        view_as=lambda self, other: view(self, other._data.shape))

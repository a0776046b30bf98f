"""Shape operations. Those that return views of their input (reshape of a contiguous tensor,
transpose, expand, ...) share its memory and its version counter, as in PyTorch."""
from ember._backend import xp_of
from ember._tensor import methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["reshape", "expand"]


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``, and ``ember.Size``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel, src_shape):
    """Resolve a single -1 and check that the element count matches (PyTorch's message)."""
    if -1 in shape:
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
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


class ViewBackward0(Node):
    def backward(self, g):
        return g.reshape(self.shape)


def _reshape(input, shape, must_view):
    d = input._data
    shape = _infer_shape(shape, d.size, d.shape)
    if must_view:
        r = d.view()
        try:
            r.shape = shape  # NOTE: assigning .shape raises where reshape would silently copy
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                               "least one dimension spans across two contiguous subspaces). Use "
                               ".reshape(...) instead.") from None
    else:
        r = d.reshape(shape)
    node = None
    if STATE.enabled and input._rg:
        node = ViewBackward0()
        node.shape = d.shape
    if must_view or r.base is not None:
        return view_of(r, input, node)
    return wrap(r) if node is None else track(r, node, (input,))


def reshape(input, *shape):
    """The same elements in a new shape; a view when possible, else a copy. One dim may be -1."""
    return _reshape(input, _shape_arg(shape), False)


def view(input, *shape):
    """Like reshape but always a view; raises when the memory layout does not allow one.
    ``view(dtype)`` reinterprets the bytes instead (no gradient)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from ember._dtype import as_dtype
        return view_of(input._data.view(as_dtype(shape[0]).np), input)
    return _reshape(input, _shape_arg(shape), True)


class ExpandBackward0(Node):
    def backward(self, g):
        from ember._ops.reduce import sum_to
        return sum_to(g, self.shape)


def expand(input, *sizes):
    """A broadcast view of ``input`` with singleton dims repeated; -1 keeps a dim's size."""
    sizes = _shape_arg(sizes)
    d = input._data
    if len(sizes) < d.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(d.shape)}}}, size={list(sizes)}): the "
                           "number of sizes provided ({}) must be greater or equal to the number of "
                           "dimensions in the tensor ({})".format(len(sizes), d.ndim))
    lead = len(sizes) - d.ndim
    target = tuple(d.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    try:
        r = d if target == d.shape else xp_of(d).broadcast_to(d, target)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({target[-1]}) must match the existing "
                           f"size ({d.shape[-1]}) at non-singleton dimension. Target sizes: "
                           f"{list(sizes)}.  Tensor sizes: {list(d.shape)}") from None
    node = None
    if STATE.enabled and input._rg:
        node = ExpandBackward0()
        node.shape = d.shape
    return view_of(r, input, node)


methods(reshape=reshape, view=view, expand=expand,
        expand_as=lambda self, other: expand(self, other._data.shape),
        reshape_as=lambda self, other: reshape(self, other._data.shape),
        view_as=lambda self, other: view(self, other._data.shape))

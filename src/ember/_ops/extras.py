"""Smaller functions of the torch namespace: ``unique_consecutive``, ``unravel_index``, the
trapezoid rule (``trapezoid``, ``trapz``, ``cumulative_trapezoid``), ``combinations``,
``scalar_tensor``, ``empty_strided``, ``split_with_sizes``, ``addr`` and the in-place forms of the
product family (``addmm_`` ...), and the bit shifts. Built on other ops, so their gradients come
from those ops' backward formulas."""
import itertools
import operator
from collections.abc import Sequence

import numpy as np

from ember import _dtype
from ember._backend import xp_of
from ember._ops.compare import _TITLE
from ember._tensor import Tensor, _wrap_dim, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["unique_consecutive", "unravel_index", "trapezoid", "trapz", "cumulative_trapezoid",
           "combinations", "scalar_tensor", "empty_strided", "split_with_sizes", "addr",
           "bitwise_left_shift", "bitwise_right_shift"]


class UniqueConsecutiveBackward0(Node):
    def backward(self, g):
        raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one.

    Args:
        input (Tensor): the input.
        return_inverse (bool): also return, for each element, the index of its run.
        return_counts (bool): also return the length of each run.
        dim (int, optional): compare whole slices along this dim; default: the flattened input.

    Example::

        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 3, 1, 1, 2]))
        tensor([1, 2, 3, 1, 2])
    """
    a = input._data
    xp = xp_of(a)
    if a.dtype.kind == "c":
        raise NotImplementedError(f"\"unique\" not implemented for '{_TITLE[a.dtype.name]}'")
    if dim is None:
        flat = a.reshape(-1)
        new = flat[1:] != flat[:-1]
        inv_shape = a.shape
    else:
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = _wrap_dim(dim, a.ndim)
        if a.size == 0:  # PyTorch's checks of empty inputs
            if sum(s == 0 for s in a.shape) > 1:
                raise RuntimeError("Number of zero sized dimensions is more than one, so unique "
                                   "cannot be applied ")
            if a.shape[d] != 0:
                raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                                   "unique cannot be applied")
        flat = xp.moveaxis(a, d, 0)
        diff = flat[1:] != flat[:-1]
        new = diff.reshape(diff.shape[0], -1).any(1) if diff.size else \
            xp.zeros(max(flat.shape[0] - 1, 0), bool)
        inv_shape = (flat.shape[0],)
    n = flat.shape[0]
    starts = xp.concatenate([xp.zeros(min(n, 1), bool), new]) if n else xp.zeros(0, bool)
    if n:
        starts[0] = True
    first = xp.flatnonzero(starts)
    out = flat[first]
    if dim is not None and a.ndim:
        out = xp.moveaxis(out, 0, _wrap_dim(dim, a.ndim))
    result = [wrap(xp.ascontiguousarray(out))]
    if STATE.enabled and input.requires_grad:  # as PyTorch: tracked, with no derivative
        result[0] = track(result[0]._data, UniqueConsecutiveBackward0(), (input,))
    if return_inverse:
        result.append(wrap((xp.cumsum(starts) - 1).astype(np.int64).reshape(inv_shape)))
    if return_counts:
        result.append(wrap(xp.diff(xp.append(first, n)).astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of flat ``indices`` (negative ones count back from
    the end, as Python's floor division takes them).

    Returns:
        a tuple of tensors, one per dim of ``shape``, each of ``indices``' shape.

    Example::

        >>> ember.unravel_index(ember.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices.dtype.is_floating_point or indices.is_complex() or indices.dtype == _dtype.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    elif not isinstance(shape, Sequence):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for s in shape:
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    i = indices._data.astype(np.int64)
    if 0 in shape and i.size:  # PyTorch divides by the zero size; its integer kernels refuse
        raise RuntimeError("ZeroDivisionError")
    coefs = list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))[::-1]
    with np.errstate(divide="ignore"):
        return tuple(wrap((i // c) % s if s else i) for c, s in zip(coefs, shape))


def _trapezoid_parts(y, x, dx, dim):
    """The interval widths and the mean heights of ``y``'s sample points along ``dim``."""
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return None, d
    left, right = y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)
    if x is None:
        return ((left + right) * (0.5 * (1 if dx is None else dx)), d)
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        widths = (x[1:] - x[:-1]).reshape((n - 1,) + (1,) * (y.ndim - 1 - d))
    else:
        if x.shape[_wrap_dim(dim, x.ndim)] != n:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        xd = _wrap_dim(dim, x.ndim)
        widths = x.narrow(xd, 1, n - 1) - x.narrow(xd, 0, n - 1)
    return (left + right) * widths * 0.5, d


def _float_input(name, y, x, dx, dim):
    """PyTorch's checks of the arguments (its argument parser's message for a bad combination),
    then ``y`` in a floating dtype."""
    if (x is not None and not isinstance(x, Tensor)) or (x is not None and dx is not None):
        got = ", ".join(["Tensor", type(x).__name__] + ([f"dx={type(dx).__name__}"]
                                                         if dx is not None else []))
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\n * (Tensor y, Tensor x, *, int dim = -1)\n"
                        " * (Tensor y, *, Number dx = 1, int dim = -1)\n")
    if y.dtype == _dtype.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions"
                         if name == "trapezoid" else "slice() cannot be applied to a 0-dim tensor.")
    return y if y.is_floating_point() or y.is_complex() else y.to(_dtype.get_default_dtype())


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoid rule, at sample points ``x`` (a
    1-D tensor, or one shaped like ``y``) or spaced ``dx`` apart (default 1).

    Example::

        >>> ember.trapezoid(ember.tensor([1., 2., 4.]))
        tensor(4.5000)
    """
    y = _float_input("trapezoid", y, x, dx, dim)
    parts, d = _trapezoid_parts(y, x, dx, dim)
    if parts is None:
        return y.sum(d)
    return parts.sum(d)


def trapz(y, x=None, *, dx=None, dim=-1):
    """An alias of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral of ``y`` along ``dim``: one element fewer than ``y``
    there (see :func:`trapezoid`)."""
    y = _float_input("cumulative_trapezoid", y, x, dx, dim)
    parts, d = _trapezoid_parts(y, x, dx, dim)
    if parts is None:
        return y
    return parts.cumsum(d)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-D tensor's elements, as rows (itertools'
    ``combinations`` / ``combinations_with_replacement`` order).

    Example::

        >>> ember.combinations(ember.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(xp_of(input._data).zeros(0, input._data.dtype))
    idx = _combination_indices(input.shape[0], r, with_replacement)
    return input[wrap(xp_of(input._data).asarray(idx))]


def _combination_indices(n, r, with_replacement):
    """``(count, r)`` int64 rows of increasing (non-decreasing) indices in itertools' order, built
    a column at a time: each row is repeated once per value its next index may take."""
    idx = np.arange(n, dtype=np.int64)[:, None]
    for _ in range(r - 1):
        start = idx[:, -1] + (0 if with_replacement else 1)
        counts = n - start
        total = int(counts.sum())
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        idx = np.concatenate([np.repeat(idx, counts, axis=0),
                              (np.repeat(start, counts) + offsets)[:, None]], axis=1)
    return idx


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """A 0-d tensor holding the number ``s``, of the default float dtype unless ``dtype``."""
    from ember._ops.creation import tensor
    if isinstance(s, Tensor):  # (PyTorch's argument parser takes a 0-d tensor as a number)
        if s.ndim != 0:
            raise TypeError("scalar_tensor(): argument 's' (position 1) must be Number, not "
                            "Tensor")
        s = s.item()
    dtype = _dtype.get_default_dtype() if dtype is None else dtype
    return tensor(s, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """An uninitialised tensor of ``size`` whose elements lie ``stride`` elements apart (a view
    into a fresh block just large enough)."""
    from ember._ops.creation import empty
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    if any(b < 0 for b in stride):
        # PyTorch refuses a negative stride only where it would reach before the storage (a
        # dim of size 2 or more, no dim of size 0); elsewhere it stores the stride as 1
        if 0 not in size and any(b < 0 and a > 1 for a, b in zip(size, stride)):
            raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                               f"strides={list(stride)}")
        stride = tuple(1 if b < 0 else b for b in stride)
    n = 0 if 0 in size else 1 + sum((a - 1) * b for a, b in zip(size, stride))
    base = empty(n, dtype=dtype, device=device)
    d = base._data
    view = xp_of(d).lib.stride_tricks.as_strided(d, size, tuple(s * d.itemsize for s in stride))
    t = wrap(view)
    return t.requires_grad_() if requires_grad else t


def split_with_sizes(input, split_sizes, dim=0):
    """Split into pieces of the listed sizes along ``dim`` (views)."""
    return input.split(list(split_sizes), dim)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)``; ``input`` broadcasts to the outer product.

    Example::

        >>> ember.addr(ember.zeros(2, 3), ember.tensor([1., 2.]), ember.tensor([1., 2., 3.]))
        tensor([[1., 2., 3.],
                [2., 4., 6.]])
    """
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
                           if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    _check_addr_scalars(input, vec1, vec2, beta, alpha)
    input = input.expand(vec1.shape[0], vec2.shape[0])
    prod = vec1.outer(vec2)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # input's values are ignored (NaN included), its gradient is zero
        r = prod + (input * 0).nan_to_num(0.0, 0.0, 0.0) if input.requires_grad else prod
    else:
        r = prod + (input if beta == 1 else input * beta)
    if out is not None:
        from ember._ops._arith import _out
        return _out(r, out)
    return r


def _check_addr_scalars(input, vec1, vec2, beta, alpha):
    """PyTorch's checks of ``beta`` and ``alpha`` against the inputs' common dtype."""
    common = _dtype.promote_types(_dtype.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    for name, v in (("beta", beta), ("alpha", alpha)):
        if isinstance(v, (bool, np.bool_)) and common != _dtype.bool_:
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
        if (not (common.is_floating_point or common.is_complex)
                and not isinstance(v, (int, np.integer, bool, np.bool_))):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                               "floating point number.")


def addr_(self, vec1, vec2, *, beta=1, alpha=1):
    """In-place :func:`addr` (``self`` must have the outer product's shape)."""
    from ember._ops.inplace import apply_inplace
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    if self.ndim != 2:
        raise RuntimeError(f"2D tensor expected, got {self.ndim}D tensor for input")
    if tuple(self.shape) != (vec1.shape[0], vec2.shape[0]):
        raise RuntimeError(f"size mismatch, input: {list(self.shape)}, v1: {list(vec1.shape)}, "
                           f"v2: {list(vec2.shape)}")
    return apply_inplace(self, addr, vec1, vec2, beta=beta, alpha=alpha)


def _shift(name, left):
    kernel = ("lshift" if left else "rshift") + "_cpu"

    def fn(input, other):
        from ember._ops._util import binary_operands
        from ember._ops.compare import _TITLE
        _, _, a, b = binary_operands(input, other)
        dt = next(v.dtype for v in (a, b) if hasattr(v, "dtype"))
        if dt.kind not in "iu":
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TITLE[dt.name]}'")
        xp = xp_of(a if hasattr(a, "dtype") else b)
        a, b = xp.asarray(a, dt), xp.asarray(b, dt)
        bits = dt.itemsize * 8
        # NOTE: C (and NumPy) leave shifts by the width or more undefined; PyTorch defines them
        bad = (b >= bits) | (b < 0) if dt.kind == "i" else b >= bits
        safe = xp.where(bad, 0, b).astype(dt)
        if left:
            r = xp.where(bad, 0, xp.left_shift(a, safe))
        else:
            r = xp.where(bad, xp.right_shift(a, bits - 1) if dt.kind == "i" else 0,
                         xp.right_shift(a, safe))
        return wrap(xp.asarray(r, dt))
    fn.__name__ = name
    fn.__doc__ = (f"``input {'<<' if left else '>>'} other`` elementwise on integers; shifts of "
                  f"the type's width or more (or negative) give {'0' if left else 'the sign'}.")
    return fn


bitwise_left_shift = _shift("bitwise_left_shift", True)
bitwise_right_shift = _shift("bitwise_right_shift", False)


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        from ember._ops.inplace import apply_inplace
        return apply_inplace(self, fn, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In-place :func:`{fn.__name__}`."
    return method


def _product(name):
    def fn(self, *args, **kwargs):
        from ember._ops import linalg
        return getattr(linalg, name)(self, *args, **kwargs)
    fn.__name__ = name
    return fn


addmm_ = _inplace(_product("addmm"), "addmm_")
addmv_ = _inplace(_product("addmv"), "addmv_")
addbmm_ = _inplace(_product("addbmm"), "addbmm_")
baddbmm_ = _inplace(_product("baddbmm"), "baddbmm_")
bitwise_left_shift_ = _inplace(bitwise_left_shift, "bitwise_left_shift_")
bitwise_right_shift_ = _inplace(bitwise_right_shift, "bitwise_right_shift_")


methods(unique_consecutive=unique_consecutive, split_with_sizes=split_with_sizes, addr=addr,
        addr_=addr_, addmm_=addmm_, addmv_=addmv_, addbmm_=addbmm_, baddbmm_=baddbmm_,
        bitwise_left_shift=bitwise_left_shift, bitwise_right_shift=bitwise_right_shift,
        bitwise_left_shift_=bitwise_left_shift_, bitwise_right_shift_=bitwise_right_shift_,
        __lshift__=bitwise_left_shift, __rshift__=bitwise_right_shift,
        __rlshift__=lambda self, other: bitwise_left_shift(other, self),
        __rrshift__=lambda self, other: bitwise_right_shift(other, self),
        __ilshift__=bitwise_left_shift_, __irshift__=bitwise_right_shift_)

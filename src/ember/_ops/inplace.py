"""In-place operations (``add_``, ``mul_``, ``copy_``, ``__setitem__`` ...) on top of their out-of-place
twins.

``apply_inplace(self, fn, *args)`` computes ``fn(self, *args)`` out of place, writes the result into
``self``'s memory (so views and NumPy arrays sharing it see the change), bumps the version counter, and,
when recording, moves ``self`` to the new node of the graph (PyTorch's "rebase"). If that node saved
``self`` for its backward, it gets a snapshot of the old value instead, as PyTorch's ``original_self``.
"""
import numpy as np

from ember._backend import xp_of
from ember._tensor import Tensor, methods, wrap
from ember.autograd import graph as _graph
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node, connect

_KCAT = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}

__all__ = []


def check_leaf(self):
    if STATE.enabled and self._rg:
        if self.grad_fn is None:
            if self._acc is _graph.NO_GRAD_VIEW:
                raise RuntimeError(
                    "A view was created in no_grad mode and is being modified inplace with grad "
                    "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                    "forbidden. You can clarify your code by moving both the view and the inplace "
                    "either both inside the no_grad block (if you don't want the inplace to be "
                    "tracked) or both outside (if you want the inplace to be tracked).")
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        vw = self._view
        if vw is None:
            return
        if vw[0]._rg and vw[0].grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        if self.grad_fn._n_out > 1:
            op = self.grad_fn.name().removesuffix("Backward0").removesuffix("WithSizes")
            raise RuntimeError(f"Output {self._oi} of {op} is a view and is being modified inplace. "
                               "This view is the output of a function that returns multiple views. "
                               "Such functions do not allow the output views to be modified "
                               "inplace. You should replace the inplace operation by an "
                               "out-of-place one.")


# ---- views: an in-place write through a view rebases its root (PyTorch's CopySlices) -----------------
def _ptr(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def _byte_offsets(a, start):
    xp = xp_of(a)
    off = xp.full(a.shape, start, dtype=np.int64)
    for k, (n, st) in enumerate(zip(a.shape, a.strides)):
        off += xp.arange(n, dtype=np.int64).reshape((n,) + (1,) * (a.ndim - k - 1)) * st
    return off


def view_index(view, root):
    """For each element of array ``view`` (a view of ``root``'s memory), its flat (C-order) index in
    ``root``: the geometry that lets a gradient move between a base and its view."""
    addr = _byte_offsets(view, _ptr(view) - _ptr(root))
    if root.flags.c_contiguous:
        return addr // root.itemsize
    xp = xp_of(root)
    raddr = _byte_offsets(root, 0).ravel()
    order = xp.argsort(raddr)
    return order[xp.searchsorted(raddr[order], addr)]


def _scatter_flat(g, idx, base_shape):
    """A zero tensor of ``base_shape`` with ``g`` added at the flat positions ``idx``."""
    from ember._ops.creation import zeros
    n = 1
    for s in base_shape:
        n *= s
    z = zeros(n, dtype=g.dtype, device=g.device)
    return z.index_add(0, wrap(idx.reshape(-1)), g.reshape(-1)).reshape(base_shape)


class AsStridedBackward0(Node):
    """A view rebuilt from its (since modified) base: the gradient goes to the view's region."""

    def backward(self, g):
        return _scatter_flat(g, self.idx, self.base_shape)


class ViewCopySlices(Node):
    """The root base after an in-place op wrote through one of its views: outside the view's region
    the gradient passes to the old base; inside, it goes through the in-place op's own backward,
    whose gradient for the old view's values lands back in the region."""

    def name(self):
        return "CopySlices"

    def backward(self, g):
        idx = self.idx
        region = g.reshape(-1)[wrap(idx)]
        grads = self.op.backward(region)
        grads = grads if type(grads) is tuple else (grads,)
        g_base = None
        if self._next[0] is not None:
            g_base = g * wrap(self.keep.astype(g._data.dtype))
            for i in self.self_slots:
                if grads[i] is not None:
                    gi = grads[i]
                    if gi._data.shape != idx.shape:
                        gi = gi.expand(idx.shape)
                    g_base = g_base + _scatter_flat(gi, idx, g._data.shape)
        return (g_base,) + tuple(None if i in self.self_slots else gr
                                 for i, gr in enumerate(grads))

    def _free(self):
        Node._free(self)
        self.op._free()


def _refresh_view(t):
    """Give view ``t`` a grad_fn that reads it out of its root's current graph position."""
    root = t._view[0]
    node = AsStridedBackward0()
    node.idx, node.base_shape = view_index(t._data, root._data), root._data.shape
    connect(node, (root,))
    t.grad_fn, t._oi, t._rg = node, 0, True
    t._view = (root, t._vc[0])


_graph.refresh_view = _refresh_view


def rebase(self, node):
    """Make ``self``, just overwritten in place, the output of ``node`` (whose inputs include the old
    ``self``). For a view, the root base is rebased onto a CopySlices node instead, and the view
    becomes a fresh view of it."""
    vw = self._view
    if vw is None:
        self.grad_fn, self._oi, self._rg = node, 0, True
        return
    root = vw[0]
    old = self.grad_fn
    cs = ViewCopySlices()
    cs.op = node
    cs.idx = view_index(self._data, root._data)
    keep = xp_of(root._data).ones(root._data.size, dtype=bool)
    keep[cs.idx.reshape(-1)] = False
    cs.keep = keep.reshape(root._data.shape)
    cs.self_slots = tuple(i for i, e in enumerate(node._next)
                          if e is not None and old is not None and e[0] is old and e[1] == self._oi)
    root_edge = _graph.edge(root)
    cs._next = (root_edge,) + tuple(None if i in cs.self_slots else e
                                    for i, e in enumerate(node._next))
    root.grad_fn, root._oi, root._rg = cs, 0, True
    _refresh_view(self)


def write(self, arr):
    """Write ``arr`` into ``self``'s memory with PyTorch's shape and dtype checks; bump the version."""
    d = self._data
    if arr.shape != d.shape:
        if np.broadcast_shapes(arr.shape, d.shape) != d.shape:
            raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(arr.shape, d.shape))}")
    if arr.dtype != d.dtype and _KCAT[arr.dtype.kind] > _KCAT[d.dtype.kind]:
        from ember._dtype import from_numpy_dtype as f
        raise RuntimeError(f"result type {_title(f(arr.dtype))} can't be cast to the desired output "
                           f"type {_title(f(d.dtype))}")
    try:
        d[...] = arr
    except ValueError as e:
        if not d.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                               "refers to a single memory location. Please clone() the tensor before "
                               "performing the operation.") from None
        raise RuntimeError(str(e)) from None
    self._vc[0] += 1


def _title(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


def _needs_grad(self, args, kwargs=None):
    if not STATE.enabled:
        return False
    if self._rg:
        return True
    for a in args:
        if isinstance(a, Tensor) and a._rg:
            return True
    if kwargs:
        return any(isinstance(a, Tensor) and a._rg for a in kwargs.values())
    return False


class AliasBackward0(Node):
    """Passes the gradient through unchanged (used when an in-place result is an existing tensor)."""

    def backward(self, g):
        return g


def apply_inplace(self, fn, *args, **kwargs):
    """Run ``fn(self, *args, **kwargs)`` and make ``self`` hold the result, in place."""
    if not _needs_grad(self, args, kwargs):
        r = fn(self, *args, **kwargs)
        write(self, r._data)
        return self
    check_leaf(self)
    r = fn(self, *args, **kwargs)
    node = r.grad_fn
    if node is None or r is self or any(r is a for a in args):
        node = connect(AliasBackward0(), (r,))
    elif node._saved:
        # the backward formula wants the value self had before this write: give it a snapshot
        saved = node._saved
        if any(s is self for s in saved):
            snap = _snapshot(self)
            node._saved = tuple(snap if s is self else s for s in saved)
            # the snapshot has a version counter of its own, at 0
            node._versions = tuple(0 if s is self else v for s, v in zip(saved, node._versions))
    write(self, r._data)
    if node._out is not None:
        node._out = (self._data, self._vc, self._vc[0])
    rebase(self, node)
    return self


def _snapshot(t):
    s = wrap(t._data.copy())
    s._rg, s.grad_fn, s._oi = t._rg, t.grad_fn, t._oi
    s._acc = t._acc
    return s


def inplace_method(fn, name=None):
    """``Tensor.<name>_`` from an out-of-place function ``fn(self, *args, **kwargs)``."""
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, *args, **kwargs)
    method.__name__ = name or fn.__name__ + "_"
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


# ---- in-place ops without an out-of-place twin -----------------------------------------------------
def _assign(self, value):
    """``self[...] = value`` with PyTorch's error for memory shared by several elements."""
    try:
        self._data[...] = value
    except ValueError as e:
        if not self._data.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                               "refers to a single memory location. Please clone() the tensor before "
                               "performing the operation.") from None
        raise RuntimeError(str(e)) from None
    self._vc[0] += 1


def zero_(self):
    """Fill with zeros."""
    return _fill(self, 0, ZeroBackward0)


def fill_(self, value):
    """Fill with ``value`` (a number or a 0-dimensional tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if _needs_grad(self, (value,)):
            check_leaf(self)
            node = connect(FillBackward3(), (self, value))
            _assign(self, value._data)
            rebase(self, node)
            return self
        value = value._data
    return _fill(self, value, FillBackward2)


def _fill(self, value, node_cls):
    check_leaf(self)
    record = STATE.enabled and self._rg
    node = connect(node_cls(), (self,)) if record else None
    _assign(self, value)
    if record:
        rebase(self, node)
    return self


class FillBackward2(Node):
    """The old value was overwritten by a constant: it gets a zero gradient."""

    def backward(self, g):
        return g * 0


class ZeroBackward0(FillBackward2):
    pass


class FillBackward3(Node):
    """Filled from a 0-d tensor: that tensor gets the sum of the gradient."""

    def backward(self, g):
        return (None if self._next[0] is None else g * 0,
                None if self._next[1] is None else g.sum())


class CopyBackwards(Node):
    def backward(self, g):
        return g * 0, g


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast to ``self``'s dtype and device) into ``self``."""
    from ember import _backend
    if not isinstance(src, Tensor):
        from ember._ops.creation import tensor
        src = tensor(src)
    arr = src._data
    if type(arr) is not type(self._data):
        arr = _backend.to_device(arr, self.device)
    try:
        both = np.broadcast_shapes(arr.shape, self._data.shape)
    except ValueError:
        from ember._ops._arith import shape_error
        raise shape_error(self._data, arr) from None
    if both != self._data.shape:  # (src broadcasts with self, but to a larger shape)
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(both)}")
    if not _needs_grad(self, (src,)):
        _assign(self, arr)
        return self
    check_leaf(self)
    node = CopyBackwards()
    connect(node, (self, src))
    _assign(self, arr)
    rebase(self, node)
    return self


methods(zero_=zero_, fill_=fill_, copy_=copy_)


# ---- in-place twins of the elementwise ops ----------------------------------------------------------
# NOTE: imported here, not at the top: the out-of-place families are complete by the time this
# module runs (ember._ops imports them first), and they must not import this module back.
from ember._ops import (binary_math as _bm, compare as _cmp, elementwise as _ew,  # noqa: E402
                        rearrange as _re, unary as _un)

def _fast_operand(d, other, floats_only):
    """``other`` as an operand NumPy can combine into ``d`` in place giving PyTorch's result, or None
    when the general path must decide (promotion, broadcasting, errors)."""
    k = d.dtype.kind
    if k != "f" and (floats_only or k not in "iu") or not d.flags.writeable:
        return None
    t = type(other)
    if t is float:
        return other if k == "f" else None
    if t is int:  # (a Python bool takes the general path: ``sub_(True)`` raises)
        return other
    if t is Tensor:
        od = other._data
        if od.dtype == d.dtype and type(od) is type(d) and (
                od.shape == d.shape or _broadcasts_to(od.shape, d.shape)):
            return od
    return None


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _add_tracked(self, other):
    """``self += other`` written straight into ``self``'s memory when autograd records it (a
    residual block's ``out += identity``), with add's own backward node; None when the general
    path must do it. NOTE: :func:`apply_inplace` would compute a new array and copy it over."""
    if not (STATE.enabled and (self._rg or type(other) is Tensor and other._rg)):
        return None
    d = self._data
    if type(d) is not np.ndarray or d.dtype.kind != "f" or self._view is not None or not (
            d.flags.c_contiguous):
        return None
    od = _fast_operand(d, other, True)
    if od is None:
        return None
    check_leaf(self)
    node = _ew.AddBackward0()
    node.alpha = 1
    _graph.connect(node, (self, other if type(other) is Tensor else None))
    np.add(d, od, out=d)
    self._vc[0] += 1
    rebase(self, node)
    return self


def _fast_binary(ufunc, fn, floats_only=False, name=None):
    """``self.<name>(other)``: without autograd, ``ufunc(d, other, out=d)`` writes straight into
    ``self``'s memory (optimizers call these on every parameter each step); otherwise
    :func:`apply_inplace`."""
    def method(self, other, **kwargs):
        if ufunc is np.add and not kwargs:
            r = _add_tracked(self, other)
            if r is not None:
                return r
        if not (STATE.enabled and (self._rg or type(other) is Tensor and other._rg)) and (
                not kwargs or list(kwargs) == ["alpha"]):
            d = self._data
            od = _fast_operand(d, other, floats_only)
            if od is not None:
                alpha = kwargs.get("alpha", 1)
                if alpha == 1:
                    ufunc(d, od, out=d)
                    self._vc[0] += 1
                    return self
                if type(alpha) is float and d.dtype.kind == "f" or type(alpha) is int:
                    ufunc(d, od * alpha, out=d)
                    self._vc[0] += 1
                    return self
        return apply_inplace(self, fn, other, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


add_ = _fast_binary(np.add, _ew.add, name="add_")
sub_ = _fast_binary(np.subtract, _ew.sub, name="sub_")
mul_ = _fast_binary(np.multiply, _ew.mul, name="mul_")
_div_true = _fast_binary(np.true_divide, _ew.div, floats_only=True, name="div_")


def div_(self, other, *, rounding_mode=None):
    """In-place version of :meth:`div`."""
    if rounding_mode is None:
        return _div_true(self, other)
    return apply_inplace(self, _ew.div, other, rounding_mode=rounding_mode)


def relu_(self):
    """In-place version of :meth:`relu`: ``max(self, 0)`` written straight into ``self``'s memory
    (ResNet's ``ReLU(inplace=True)``), ``self`` then the output of ReLU's own backward node.
    NOTE: :func:`apply_inplace` would compute a new array and copy it over ``self``."""
    d = self._data
    if type(d) is not np.ndarray or d.dtype.kind != "f" or self._view is not None or not (
            d.flags.writeable and d.flags.c_contiguous):
        return _relu_copying(self)
    grad = STATE.enabled and self._rg
    if grad:
        check_leaf(self)
        node = _un.ReluBackward0()
        _graph.connect(node, (self,))
    _un.relu_into(d, d)
    self._vc[0] += 1
    if grad:
        node._out = (d, self._vc, self._vc[0])
        rebase(self, node)
    return self


_INPLACE = {name: inplace_method(getattr(fam, name), name + "_") for fam, names in (
    (_ew, "floor_divide remainder fmod pow atan2 arctan2 lerp addcmul addcdiv neg negative"),
    (_un, "abs absolute sign sgn exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square sin cos tan "
          "asin acos atan arcsin arccos arctan sinh cosh tanh asinh acosh atanh arcsinh arccosh "
          "arctanh sigmoid relu reciprocal floor ceil round trunc fix frac erf erfc"),
    (_cmp, "eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and "
           "logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not "
           "clamp clip clamp_min clamp_max nan_to_num"),
    (_re, "tril triu"),
    (_bm, "hypot"),
) for name in names.split()}
_relu_copying = _INPLACE["relu"]
_INPLACE.update(add=add_, sub=sub_, subtract=sub_, mul=mul_, multiply=mul_, div=div_, divide=div_,
                true_divide=div_, relu=relu_)

methods(**{name + "_": fn for name, fn in _INPLACE.items()})
methods(
    __iadd__=add_, __isub__=sub_, __imul__=mul_, __itruediv__=div_,
    __ifloordiv__=_INPLACE["floor_divide"], __imod__=_INPLACE["remainder"],
    __ipow__=_INPLACE["pow"], __iand__=_INPLACE["bitwise_and"], __ior__=_INPLACE["bitwise_or"],
    __ixor__=_INPLACE["bitwise_xor"],
)
# the in-place functions PyTorch also has in its namespace (``torch.relu_(x)``)
_NAMESPACE = ("neg negative abs exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square sin cos tan "
              "asin acos atan arcsin arccos arctan sinh cosh tanh asinh acosh atanh arcsinh arccosh "
              "arctanh sigmoid relu reciprocal floor ceil round trunc fix frac erf erfc clamp clip "
              "clamp_min clamp_max").split()
globals().update({name + "_": _INPLACE[name] for name in _NAMESPACE})
__all__ += [name + "_" for name in _NAMESPACE] + ["zero_", "fill_"]

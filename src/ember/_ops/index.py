"""Indexing: ``x[index]``, ``x[index] = value``, ``index_put`` (``select``/``narrow`` and the slice
scatters, built on the same plans, are in ``slicing.py``).

An index is turned into a :class:`_Plan` in two stages, the way PyTorch applies it: first the basic
part (ints, slices, None, Ellipsis) as one NumPy view, then the advanced part (integer arrays and
boolean masks, the latter as their ``nonzero()`` coordinates) on the dims that are left. Applying ints
first matters: ``x[0, :, [0, 1]]`` has shape (3, 2) in PyTorch (NumPy gives (2, 3)).

Basic indexing returns a view (shared memory and version counter); advanced indexing a copy. The
backward of both scatters the gradient into zeros (``np.add.at``: repeated indices accumulate), and
that scatter's own backward is the same indexing again, so double backward works.
"""
import numpy as np

from ember._backend import to_device, xp_of
from ember._ops.inplace import AliasBackward0, check_leaf, inplace_method, rebase
from ember._tensor import Tensor, methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node, connect

__all__ = ["index_put"]

_BAD_TENSOR = "tensors used as indices must be long, int, byte or bool tensors"
_INDEX_NP = (np.dtype(np.int64), np.dtype(np.int32))


class _Plan:
    """A parsed index: ``basic`` (a NumPy basic index ending in Ellipsis), ``adv`` (the advanced
    index applied to the result of ``basic``, or None) and the grad_fn kind PyTorch would show."""

    __slots__ = ("basic", "adv", "kind")

    def __init__(self, basic, adv, kind):
        self.basic, self.adv, self.kind = basic, adv, kind


# ---- parsing -------------------------------------------------------------------------------------
def _seq_as_tuple(seq):
    """PyTorch's (deprecated) rule: a short list holding a sequence, slice, Ellipsis, None or Tensor
    is a tuple of indices, so ``x[[0, slice(None)]]`` is ``x[0, :]``."""
    if len(seq) >= 32:
        return False
    return any(isinstance(i, (Tensor, list, tuple, slice, np.ndarray)) or i is None or i is Ellipsis
               for i in seq)


def _classify(item):
    """``(kind, value)`` for one index item: kind is none, ell, int, slice, arr, mask or bool0."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ell", None
    if isinstance(item, bool):
        return "bool0", item
    if isinstance(item, np.generic) and not isinstance(item, np.integer):  # np.bool_ too
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got numpy.{type(item).__name__})")
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, Tensor):
        return _classify_array(item._data)
    if isinstance(item, np.ndarray) or type(item).__module__.startswith("cupy"):
        return _classify_array(item)
    if isinstance(item, (list, tuple)):
        arr = np.asarray([i.item() if isinstance(i, Tensor) else i for i in item])
        if arr.size == 0:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":  # PyTorch turns the list into a long tensor
            arr = arr.astype(np.int64)
        return _classify_array(arr)
    if isinstance(item, float):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "Variables are valid indices (got float)")
    raise TypeError(f"new(): invalid data type '{type(item).__name__}'")


def _classify_array(a):
    if a.dtype == np.bool_ or a.dtype == np.uint8:
        if a.ndim == 0:
            return "bool0", bool(a)
        return "mask", a
    if a.dtype not in _INDEX_NP:
        raise IndexError(_BAD_TENSOR)
    if a.ndim == 0:
        return "int", int(a)
    return "arr", a


def _slice_bounds(s, size):
    def val(v):
        return v.__index__() if isinstance(v, Tensor) else v
    step = 1 if s.step is None else val(s.step)
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start, stop, _ = slice(val(s.start), val(s.stop), step).indices(size)
    return start, max(stop, start), step


_ONE_DIM = frozenset(("int", "slice", "arr"))


def _plan(index, shape):
    """Parse ``index`` for a tensor of ``shape`` (PyTorch's errors for bad indices)."""
    nd = len(shape)
    if type(index) is int and nd and -shape[0] <= index < shape[0]:  # the common x[i]
        return _Plan((index, Ellipsis), None, "Select")
    single = not isinstance(index, tuple)
    if single and type(index) is list and _seq_as_tuple(index):
        index, single = tuple(index), False
    items = [_classify(index)] if single else [_classify(i) for i in index]
    used = n_ell = 0
    for kind, v in items:
        if kind in _ONE_DIM:
            used += 1
        elif kind == "mask":
            used += v.ndim
        elif kind == "ell":
            n_ell += 1
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if used > nd:
        if nd == 0 and items[0][0] == "int":
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    basic, adv, names = [], {}, []
    i = j = 0   # i: dim of the input, j: dim of the basic view
    n_adv = 0
    oob = None  # the first out-of-bounds index array: an error unless the result is empty
    for kind, v in items:
        if kind == "none":
            basic.append(None)
            names.append("Unsqueeze")
            j += 1
        elif kind == "ell":
            k = nd - used
            basic += [slice(None)] * k
            i += k
            j += k
        elif kind == "int":
            size = shape[i]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {i} with size {size}")
            basic.append(v)
            names.append("Select")
            i += 1
        elif kind == "slice":
            size = shape[i]
            start, stop, step = _slice_bounds(v, size)
            basic.append(slice(start, stop, step))
            if single or not (start == 0 and stop == size and step == 1):
                names.append("Slice")
            i += 1
            j += 1
        elif kind == "arr":
            size = shape[i]
            if v.size and oob is None:
                lo, hi = int(v.min()), int(v.max())
                if lo < -size or hi >= size:
                    oob = (hi if hi >= size else lo, n_adv, size)
            basic.append(slice(None))
            adv[j] = v
            n_adv += 1
            i += 1
            j += 1
        elif kind == "mask":
            k = v.ndim
            if v.shape != tuple(shape[i:i + k]):
                at = next(kk for kk in range(k) if i + kk >= nd or v.shape[kk] != shape[i + kk])
                raise IndexError(f"The shape of the mask {list(v.shape)} at index {at} does not "
                                 f"match the shape of the indexed tensor {list(shape)} at index "
                                 f"{i + at}")
            for kk, coords in enumerate(xp_of(v).nonzero(v)):
                adv[j + kk] = coords
            basic += [slice(None)] * k
            n_adv += k
            i += k
            j += k
        else:  # bool0: a new dim of size 1 (True) or 0 (False)
            basic.append(None)
            adv[j] = np.arange(1 if v else 0)
            j += 1
    basic.append(Ellipsis)
    if adv:
        adv_t = tuple(adv.get(k, slice(None)) for k in range(max(adv) + 1))
        arrays = [a for a in adv_t if not isinstance(a, slice)]
        try:
            b = arrays[0].shape if len(arrays) == 1 else np.broadcast_shapes(*[a.shape for a in
                                                                               arrays])
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             f"with shapes {', '.join(str(list(a.shape)) for a in arrays)}") from None
        plan = _Plan(tuple(basic), adv_t, "Index")
        if oob is not None and np.prod(b) != 0:
            # NOTE: PyTorch checks bounds while copying elements: an index into a dim of size 0
            # fails, any other out-of-bounds index only when the result has elements
            bad, k, size = oob
            if size == 0:
                raise IndexError("index is out of bounds for dimension with size 0")
            dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape, (0,) * nd)
            if np.prod(_region_shape(dummy, plan)) != 0:
                raise IndexError(f"index {bad} is out of bounds for dimension {k} with size {size}")
            plan.adv = tuple(a if isinstance(a, slice) else np.zeros_like(a) for a in adv_t)
        return plan
    return _Plan(tuple(basic), None, names[-1] if names else "Alias")


def _region_shape(arr, plan):
    """The shape of ``arr[plan]`` without computing it."""
    v = arr[plan.basic]
    if plan.adv is None:
        return v.shape
    adv = plan.adv
    pos = [k for k, a in enumerate(adv) if not isinstance(a, slice)]
    b = np.broadcast_shapes(*[adv[k].shape for k in pos])
    rest = [s for k, s in enumerate(v.shape) if k not in pos]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return tuple(rest[:pos[0]]) + b + tuple(rest[pos[0]:])
    return b + tuple(rest)


def _on(arr, like):
    """An index array on the device of ``like`` (a CPU mask for a CUDA tensor, say)."""
    if isinstance(arr, slice) or type(arr) is type(like):
        return arr
    return to_device(np.asarray(arr), _device(like))


def _device(arr):
    from ember._backend import device_of
    return device_of(arr)


def _adv_on(plan, like):
    return tuple(_on(a, like) for a in plan.adv)


def _add_at(a, idx, v):
    """``a[idx] += v`` with repeated indices accumulating."""
    if type(a) is np.ndarray:
        np.add.at(a, idx, v)
    else:
        import cupyx
        cupyx.scatter_add(a, idx, v)


# ---- the two primitives: gather by a plan, and scatter by a plan ---------------------------------
class _PlanBackward(Node):
    def backward(self, g):
        return _scatter_plan(g, self.shape, self.plan)


class SelectBackward0(_PlanBackward):
    pass


class SliceBackward0(_PlanBackward):
    pass


class UnsqueezeBackward0(_PlanBackward):
    pass


class IndexBackward0(_PlanBackward):
    pass


_NODES = {"Select": SelectBackward0, "Slice": SliceBackward0, "Unsqueeze": UnsqueezeBackward0,
          "Index": IndexBackward0}


def _apply_plan(input, plan, node_cls=None):
    """``input[plan]``: a view for a basic plan, a copy for an advanced one."""
    d = input._data
    v = d[plan.basic]
    record = STATE.enabled and input._rg
    if plan.adv is None:
        if not record:
            return view_of(v, input)
        if plan.kind == "Alias":
            return view_of(v, input, AliasBackward0())
        node = (node_cls or _NODES[plan.kind])()
        node.shape, node.plan = d.shape, plan
        return view_of(v, input, node)
    r = v[_adv_on(plan, d)]
    if not record:
        return wrap(r)
    node = (node_cls or IndexBackward0)()
    node.shape, node.plan = d.shape, plan
    return track(r, node, (input,))


class _ScatterPlanBackward(Node):
    def name(self):
        return "IndexPutBackward0"

    def backward(self, g):
        return _apply_plan(g, self.plan)


def _scatter_plan(g, shape, plan):
    """Zeros of ``shape`` with ``g`` added at ``plan`` (the backward of indexing)."""
    d = g._data
    z = xp_of(d).zeros(shape, d.dtype)
    v = z[plan.basic]
    if plan.adv is None:
        v[...] = d
    else:
        _add_at(v, _adv_on(plan, z), d)
    if STATE.enabled and g._rg:
        node = _ScatterPlanBackward()
        node.plan = plan
        return track(z, node, (g,))
    return wrap(z)


class _ZeroRegionBackward(Node):
    def name(self):
        return "IndexFillBackward0"

    def backward(self, g):
        return _zero_region(g, self.plan)


def _zero_region(g, plan):
    """A copy of ``g`` with the elements at ``plan`` set to 0 (linear and its own adjoint)."""
    d = g._data.copy()
    v = d[plan.basic]
    if plan.adv is None:
        v[...] = 0
    else:
        v[_adv_on(plan, d)] = 0
    if STATE.enabled and g._rg:
        node = _ZeroRegionBackward()
        node.plan = plan
        return track(d, node, (g,))
    return wrap(d)


# ---- __getitem__ / __setitem__ -------------------------------------------------------------------
def getitem(self, index):
    """``self[index]`` with PyTorch's (= NumPy's) rules; basic indexing gives a view."""
    if not (STATE.enabled and self._rg):
        v = _plain_basic(self._data, index)
        if v is not None:
            return view_of(v, self)
    return _apply_plan(self, _plan(index, self._data.shape))


_ELL = (Ellipsis,)


def _plain_basic(d, index):
    """``d[index]`` when ``index`` is an int, a plain slice or a tuple of them, in bounds; else None.

    NOTE: the fast path of per-item data augmentation (``img[i, :, y:y + h, x:x + w]``): there NumPy's
    view is PyTorch's, so no plan is parsed. The trailing Ellipsis keeps a full index a 0-d view
    (NumPy would return a scalar). Anything else (None, Ellipsis, tensors, bools, NumPy ints, bad
    steps, out of bounds) goes the general way, which raises PyTorch's errors."""
    c = index.__class__
    if c is not tuple:
        if c in _INTS or c is slice:
            index = (index,)
        else:
            return None
    shape = d.shape
    if len(index) > len(shape):
        return None
    k = 0
    for it in index:
        c = it.__class__
        if c in _INTS:
            n = shape[k]
            if not -n <= it < n:
                return None
        elif c is slice:
            if it.start.__class__ not in _BOUND or it.stop.__class__ not in _BOUND:
                return None
            st = it.step
            if st is not None and (st.__class__ is not int or st <= 0):
                return None
        else:
            return None
        k += 1
    return d[index + _ELL]


_BOUND = frozenset((int, type(None)))
# Python's and NumPy's integer scalars (a NumPy int from a sampler or a permutation is an index)
_INTS = frozenset((int, np.byte, np.ubyte, np.short, np.ushort, np.intc, np.uintc, np.int_,
                   np.uint, np.longlong, np.ulonglong))


class CopySlices(Node):
    """``x[basic] = value``: the old ``x`` gets the gradient outside the region, ``value`` the
    gradient inside it."""

    def backward(self, g):
        ga = None if self._next[0] is None else _zero_region(g, self.plan)
        gb = None if self._next[1] is None else _apply_plan(g, self.plan)
        return ga, gb


class IndexPutBackward0(CopySlices):
    pass


def _value_array(self, value, region):
    """The value to write as an array of ``self``'s dtype and device, leading 1s stripped (as in
    PyTorch), checked against the region's shape; and the Tensor to connect (or None)."""
    d = self._data
    if not isinstance(value, Tensor):
        if isinstance(value, (bool, int, float, complex, np.generic)):
            return value, None
        from ember._ops.creation import tensor
        value = tensor(value)
    v = value
    k = 0
    while v._data.ndim - k > len(region) and v._data.shape[k] == 1:
        k += 1
    if k:
        v = v.reshape(v._data.shape[k:])
    arr = v._data
    if type(arr) is not type(d):
        arr = to_device(arr, _device(d))
    from ember._ops.shape import expand
    expand(wrap(arr), region)  # PyTorch's errors for a value that does not broadcast
    if arr.dtype != d.dtype:
        arr = arr.astype(d.dtype)
    return arr, v


def _dense(a):
    return a.flags.c_contiguous or a.flags.f_contiguous


def _check_overlap(dst, src, allow_same):
    """PyTorch refuses to write a value that partly overlaps its destination (where both are
    dense; elsewhere it does not try to tell)."""
    if type(src) is not np.ndarray or not np.may_share_memory(dst, src):
        return
    if not (_dense(dst) and _dense(src)):
        return
    same = (allow_same and dst.__array_interface__["data"][0] == src.__array_interface__["data"][0]
            and dst.shape == src.shape and dst.strides == src.strides)
    if not same:
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")


def setitem(self, index, value):
    """``self[index] = value``: write in place (value broadcast and cast to ``self``'s dtype)."""
    d = self._data
    plan = _plan(index, d.shape)
    region = _region_shape(d, plan)
    arr, vt = _value_array(self, value, region)
    record = STATE.enabled and (self._rg or (vt is not None and vt._rg))
    if record:
        check_leaf(self)
        node = CopySlices() if plan.adv is None else IndexPutBackward0()
        node.plan = plan
        connect(node, (self, vt))
    view = d[plan.basic]
    if vt is not None:
        _check_overlap(view if plan.adv is None else d, arr, plan.adv is None)
    if plan.adv is None:
        view[...] = arr
    else:
        view[_adv_on(plan, d)] = arr
    self._vc[0] += 1
    if record:
        rebase(self, node)


# ---- index_put -----------------------------------------------------------------------------------
class _IndexPutAccBackward(Node):
    def name(self):
        return "IndexPutBackward0"

    def backward(self, g):
        return g, (None if self._next[1] is None else _apply_plan(g, self.plan))


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written (or, with ``accumulate``, added) at the
    positions given by ``indices``, a tuple of index tensors (one per leading dim)."""
    d = input._data
    if not isinstance(values, Tensor):
        from ember._ops.creation import tensor
        values = tensor(values, dtype=input.dtype)
    if values._data.dtype != d.dtype:
        from ember._ops.inplace import _title
        from ember._dtype import from_numpy_dtype as f
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{_title(f(d.dtype))} for the destination and "
                           f"{_title(f(values._data.dtype))} for the source.")
    plan = _plan(tuple(indices), d.shape)
    region = _region_shape(d, plan)
    arr, vt = _value_array(input, values, region)
    r = d.copy()
    view = r[plan.basic]
    if plan.adv is None:
        if accumulate:
            view += arr
        else:
            view[...] = arr
    elif accumulate:
        _add_at(view, _adv_on(plan, r), xp_of(r).broadcast_to(arr, region))
    else:
        view[_adv_on(plan, r)] = arr
    if STATE.enabled and (input._rg or values._rg):
        node = _IndexPutAccBackward() if accumulate else IndexPutBackward0()
        node.plan = plan
        return track(r, node, (input, vt))
    return wrap(r)


methods(__getitem__=getitem, __setitem__=setitem, index_put=index_put,
        index_put_=inplace_method(index_put))

"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), by shape (``zeros`` ...),
as ranges (``arange``, ``linspace``, ``logspace``, ``eye``) and ``Tensor.new_*``."""
import builtins
import math
import operator

import numpy as np

from ember import _backend, _dtype
from ember._tensor import Tensor, methods, wrap

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "zeros_like", "ones_like", "empty_like", "full_like", "arange", "range", "linspace",
           "logspace", "eye"]

_builtin_range = range
_PY_SCALARS = (bool, int, float, complex)


# ---- tensor(data): PyTorch's shape and dtype inference -------------------------------------------
def _is_seq(x):
    return isinstance(x, (list, tuple, _builtin_range, np.ndarray)) or (
        isinstance(x, Tensor) and x._data.ndim > 0)


def _shape_of(data):
    """The shape PyTorch infers: descend through the first element of each level."""
    shape = []
    x = data
    while True:
        if isinstance(x, (Tensor, np.ndarray)):
            shape.extend(x.shape)
            return shape
        if not isinstance(x, (list, tuple, _builtin_range)):
            return shape
        shape.append(len(x))
        if not len(x):
            return shape
        x = x[0]


def _scan(x, dim, shape, found):
    """Check that ``x`` (a sequence at depth ``dim``) has the inferred shape, and collect the dtypes
    of its scalars into ``found``: Python types, or ember dtypes for Tensors and NumPy values."""
    n = len(x)
    if n != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {n})")
    if isinstance(x, (Tensor, np.ndarray)):
        found.add(_dtype.from_numpy_dtype(x.dtype if isinstance(x, np.ndarray) else x._data.dtype))
        return
    if dim == len(shape) - 1:
        types = set(map(type, x))
        if types.issubset(_PY_SCALARS):  # the common case, checked at C speed
            found.update(types)
            return
        for item in x:
            _scalar_dtype(item, found)
        return
    for item in x:
        if not _is_seq(item):
            raise TypeError("not a sequence")
        _scan(item, dim + 1, shape, found)


def _scalar_dtype(item, found):
    if type(item) in _PY_SCALARS:
        found.add(type(item))
    elif isinstance(item, (np.generic, np.ndarray)) and item.ndim == 0 or (
            isinstance(item, Tensor) and item._data.ndim == 0):
        found.add(_dtype.from_numpy_dtype(item.dtype if not isinstance(item, Tensor)
                                          else item._data.dtype))
    elif isinstance(item, _PY_SCALARS):  # subclasses of int/float (IntEnum ...)
        found.add(next(t for t in _PY_SCALARS[::-1] if isinstance(item, t)))
    elif _is_seq(item):
        raise TypeError(f"'{type(item).__name__}' object cannot be interpreted as an integer")
    elif isinstance(item, str):
        raise ValueError(f"too many dimensions '{type(item).__name__}'")
    else:
        raise RuntimeError(f"Could not infer dtype of {type(item).__name__}")


_PY_DTYPE = {bool: lambda: _dtype.bool_, int: lambda: _dtype.int64,
             float: _dtype.get_default_dtype,
             complex: lambda: _dtype.get_default_dtype().to_complex()}


def _infer_dtype(found):
    """Promote the dtypes of all scalars (Python numbers count as their default dtype)."""
    res = None
    for d in found:
        d = _PY_DTYPE[d]() if d in _PY_DTYPE else d
        res = d if res is None else _dtype.promote_types(res, d)
    return _dtype.get_default_dtype() if res is None else res


def _plain(x):
    """``x`` with Tensors replaced by NumPy arrays, so ``np.array`` can read it."""
    if isinstance(x, Tensor):
        d = x._data
        return d if type(d) is np.ndarray else d.get()
    if isinstance(x, (list, tuple)):
        return [_plain(i) for i in x]
    return x


def _has_tensor(x):
    if isinstance(x, Tensor):
        return True
    return isinstance(x, (list, tuple)) and any(_has_tensor(i) for i in x)


def _data_array(data, dtype):
    """A NumPy (or CuPy) array with PyTorch's inferred shape and dtype (or ``dtype``)."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr.copy() if dtype is None else arr.astype(dtype.np)
    if isinstance(data, np.ndarray) or _is_cupy(data):
        _dtype.from_numpy_dtype(data.dtype)
        return data.astype(data.dtype if dtype is None else dtype.np, order="C", copy=True)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    found = set()
    if _is_seq(data):
        shape = _shape_of(data)
        _scan(data, 0, shape, found)
        src = _plain(data) if _has_tensor(data) else data
    else:
        shape = ()
        _scalar_dtype(data, found)
        src = data
    nd = (dtype or _infer_dtype(found)).np
    try:
        return np.array(src, dtype=nd).reshape(shape)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None


def _is_cupy(x):
    return type(x).__module__.startswith("cupy")


def _finish(arr, device, requires_grad):
    if device is not None:
        arr = _backend.to_device(arr, device)
    t = wrap(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested lists, a NumPy array or a Tensor).

    Args:
        data: the values; Python floats become the default dtype (float32), ints int64, bools
            bool; NumPy arrays and scalars and 0-d tensors inside lists keep their dtype.
        dtype: the element type (inferred when omitted).
        device: ``'cpu'`` or ``'cuda'``.
        requires_grad: record operations on the result for autograd.

    Example::

        ember.tensor([[1, 2], [3, 4]], dtype=ember.float32)
    """
    dt = None if dtype is None else _dtype.as_dtype(dtype)
    arr = _data_array(data, dt)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like :func:`tensor`, but shares memory with a NumPy array or Tensor when dtype and device
    allow."""
    if isinstance(data, Tensor):
        if (dtype is None or _dtype.as_dtype(dtype) == data.dtype) and \
                (device is None or _backend.as_device(device) == data.device):
            return data
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) or _is_cupy(data):
        arr = data if dtype is None else data.astype(_dtype.as_dtype(dtype).np, copy=False)
        _dtype.from_numpy_dtype(arr.dtype)
        return _finish(arr, device, False)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Like :func:`as_tensor`; ``copy=True`` always copies."""
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy and (t is obj or isinstance(obj, np.ndarray) and t._data is obj):
        t = wrap(t._data.copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``: changing one changes the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return wrap(ndarray)


# ---- by shape ------------------------------------------------------------------------------------
def size_arg(size, fn="zeros"):
    """Accept ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``, ``zeros(ember.Size(...))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        size = tuple(operator.index(s) for s in size)
    except TypeError:
        bad = next(s for s in size if not _index_ok(s))
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found "
                        f"element of type {type(bad).__name__} at pos 0") from None
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _index_ok(s):
    try:
        operator.index(s)
        return True
    except TypeError:
        return False


def _np_dtype(dtype):
    return (_dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def _filled(fill, size, dtype, device, requires_grad, out=None):
    if out is not None:
        # NOTE: like PyTorch, out= keeps out's dtype and device unless dtype says otherwise
        d = out._data
        nd = d.dtype if dtype is None else _np_dtype(dtype)
        xp = _backend.xp_of(d)
        out._data = xp.empty(size, nd) if fill is None else xp.full(size, fill, nd)
        out._vc[0] += 1
        return out
    xp = _backend.xp_for(device)
    nd = _np_dtype(dtype)
    arr = xp.empty(size, nd) if fill is None else xp.full(size, fill, nd)
    if device is not None and xp is not np:
        arr = _backend.to_device(arr, device)
    return _finish(arr, None, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """A tensor of zeros of the given shape (default dtype float32).

    Example::

        ember.zeros(2, 3); ember.zeros((2, 3), dtype=ember.int64)
    """
    return _filled(0, size_arg(size, "zeros"), dtype, device, requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of ones of the given shape."""
    return _filled(1, size_arg(size, "ones"), dtype, device, requires_grad, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    """An uninitialised tensor of the given shape."""
    return _filled(None, size_arg(size, "empty"), dtype, device, requires_grad, out)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of the given shape filled with ``fill_value`` (its dtype inferred from the value:
    bool, int64 or the default float dtype)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None and out is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _filled(fill_value, size_arg((size,), "full"), dtype, device, requires_grad, out)


def _like(input, dtype, device):
    return (input.dtype if dtype is None else dtype), (input.device if device is None else device)


def _laid_out(t, input, memory_format):
    """``t`` (a fresh tensor shaped like ``input``) in ``memory_format``'s layout: by default
    (``preserve_format``) dense strides ordered as ``input``'s (a channels-last or transposed
    input gives the same strides), as PyTorch's ``*_like`` functions give."""
    from ember._ops.convert import _copy_in, _order
    d, r = input._data, t._data
    order = _order(d, memory_format)
    if order is None:  # preserve: a dense input's strides, else dense ones in its order
        if d.flags.c_contiguous or d.ndim < 2:
            return t
        if _dense(d):
            xp = _backend.xp_of(r)
            flat = xp.empty(r.size, r.dtype)
            t._data = xp.lib.stride_tricks.as_strided(flat, d.shape, tuple(
                s // d.itemsize * r.itemsize for s in d.strides))
            t._data[...] = r
            return t
        order = tuple(sorted(builtins.range(d.ndim), key=lambda i: -d.strides[i]))
    elif order == "C":
        return t
    t._data = _copy_in(r, order)
    return t


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Zeros with the shape of ``input`` (and its dtype and device unless given)."""
    dt, dev = _like(input, dtype, device)
    return _laid_out(_filled(0, input._data.shape, dt, dev, requires_grad), input,
                     memory_format)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Ones with the shape of ``input``."""
    dt, dev = _like(input, dtype, device)
    return _laid_out(_filled(1, input._data.shape, dt, dev, requires_grad), input,
                     memory_format)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """An uninitialised tensor with the shape of ``input``."""
    dt, dev = _like(input, dtype, device)
    return _laid_out(_filled(None, input._data.shape, dt, dev, requires_grad), input,
                     memory_format)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """``fill_value`` everywhere, with the shape (and dtype, device) of ``input``."""
    dt, dev = _like(input, dtype, device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _laid_out(_filled(fill_value, input._data.shape, dt, dev, requires_grad), input,
                     memory_format)


# ---- ranges --------------------------------------------------------------------------------------
def _dense(d):
    """Whether ``d``'s elements fill its memory without gaps or overlaps, in some dim order."""
    dims = sorted((i for i in builtins.range(d.ndim) if d.shape[i] != 1),
                  key=lambda i: -d.strides[i])
    step = d.itemsize
    for i in reversed(dims):
        if d.strides[i] != step:
            return False
        step *= d.shape[i]
    return True


def _number(x):
    """A Python number from a number, NumPy scalar or one-element tensor."""
    if isinstance(x, Tensor):
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _is_float(x):
    if isinstance(x, Tensor):
        return x._data.dtype.kind in "fc"
    return isinstance(x, (float, np.floating))


def _place(arr, out, device, requires_grad):
    if out is not None:
        out._data = arr if type(out._data) is np.ndarray else _backend.to_device(arr, out.device)
        out._vc[0] += 1
        return out
    return _finish(arr, device, requires_grad)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values from ``start`` up to (not including) ``end`` spaced by ``step``.

    ``arange(end)`` starts at 0. The dtype is int64 unless an argument is a float (then the default
    float dtype); the length is ``ceil((end - start) / step)``.

    Example::

        ember.arange(5)             # tensor([0, 1, 2, 3, 4])
        ember.arange(0, 1, 0.25)    # tensor([0.0000, 0.2500, 0.5000, 0.7500])
    """
    if end is None:
        start, end = 0, start
    floating = _is_float(start) or _is_float(end) or _is_float(step)
    start, end, step = _number(start), _number(end), _number(step)
    if dtype is None:
        dt = (out.dtype if out is not None else
              _dtype.get_default_dtype() if floating else _dtype.int64)
    else:
        dt = _dtype.as_dtype(dtype)
    if dt is _dtype.bool_:
        raise NotImplementedError('"arange_cpu" not implemented for \'Bool\'')
    if not dt.is_floating_point and not dt.is_complex and floating:
        step = int(step)  # NOTE: PyTorch casts the step to an integer dtype first
        if step == 0:
            raise ValueError("step must be nonzero")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {_fmt(start)} -> {_fmt(end)}")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(0, math.ceil((end - start) / step))
    # computed as start + i * step in float64, then cast: what PyTorch's CPU kernel does
    arr = (np.arange(n, dtype=np.float64) * step + start) if floating else (
        np.arange(n, dtype=np.int64) * step + start)
    return _place(arr.astype(dt.np, copy=False), out, device, requires_grad)


def _fmt(v):
    return str(int(v)) if isinstance(v, float) and math.isfinite(v) and v == int(v) else str(v)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Deprecated in PyTorch: like :func:`arange` but including ``end``, default float dtype."""
    if end is None:
        start, end = 0, start
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype)
    start, end, step = _number(start), _number(end), _number(step)
    n = int(math.floor((end - start) / step)) + 1
    arr = np.arange(max(n, 0), dtype=np.float64) * step + start
    return _place(arr.astype(dt.np), out, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (default float dtype).

    Example::

        ember.linspace(0, 1, 5)     # tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = (_dtype.get_default_dtype() if out is None else out.dtype) if dtype is None \
        else _dtype.as_dtype(dtype)
    return _place(_linspace(_number(start), _number(end), steps, dt.np), out, device,
                  requires_grad)


def _linspace(start, end, steps, nd):
    """PyTorch's kernel: the first half counts up from ``start``, the second half down from
    ``end`` (so both ends are exact), in the output dtype (float64 for integer outputs)."""
    nd = np.dtype(nd)
    ct = nd if nd.kind in "fc" else np.dtype(np.float64)
    if steps == 0:
        return np.empty(0, nd)
    if steps == 1:
        return np.full(1, start, nd)
    s, e = ct.type(start), ct.type(end)
    step = (e - s) / ct.type(steps - 1)
    idx = np.arange(steps, dtype=ct)
    half = steps // 2
    r = np.empty(steps, ct)
    r[:half] = s + step * idx[:half]
    r[half:] = e - step * (ct.type(steps - 1) - idx[half:])
    return r.astype(nd, copy=False)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype)
    exps = _linspace(_number(start), _number(end), steps, np.float64)
    arr = np.power(float(base), exps).astype(dt.np)
    return _place(arr, out, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    """A 2-D tensor with ones on the diagonal: ``n`` rows, ``m`` (default ``n``) columns."""
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    m = n if m is None else operator.index(m)
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    xp = _backend.xp_for(device)
    arr = xp.eye(n, m, dtype=_np_dtype(dtype))
    return _place(arr, out, None, requires_grad)


# ---- Tensor.new_* : defaults from self -----------------------------------------------------------
def _new_defaults(self, dtype, device):
    return (self.dtype if dtype is None else dtype), (self.device if device is None else device)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    """A new tensor of ``data`` with this tensor's dtype and device (unless given)."""
    dt, dev = _new_defaults(self, dtype, device)
    return tensor(data, dtype=dt, device=dev, requires_grad=requires_grad)


def _new_filled(fill, name):
    def new(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
            pin_memory=False):
        dt, dev = _new_defaults(self, dtype, device)
        return _filled(fill, size_arg(size, name), dt, dev, requires_grad)
    new.__name__ = name
    new.__doc__ = f"``{name[4:]}`` of the given size, with this tensor's dtype and device."
    return new


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    """``fill_value`` everywhere, with this tensor's dtype and device (unless given)."""
    dt, dev = _new_defaults(self, dtype, device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, size_arg((size,), "new_full"), dt, dev, requires_grad)


methods(new_tensor=new_tensor, new_zeros=_new_filled(0, "new_zeros"),
        new_ones=_new_filled(1, "new_ones"), new_empty=_new_filled(None, "new_empty"),
        new_full=new_full)

"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``) and by shape (``zeros`` ...)."""
import numpy as np

from ember import _backend, _dtype
from ember._tensor import Tensor, wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like"]


def _infer_np_dtype(data, arr):
    """PyTorch's dtype for data given as Python objects: floats -> default dtype, ints -> int64."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return arr.dtype
    k = arr.dtype.kind
    if k == "f":
        return _dtype.get_default_dtype().np
    if k in "iu":
        return np.dtype(np.int64)
    if k == "c":
        return _dtype.get_default_dtype().to_complex().np
    if k == "b":
        return arr.dtype
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _finish(arr, device, requires_grad):
    if device is not None:
        arr = _backend.to_device(arr, device)
    t = wrap(arr)
    if requires_grad:
        t.requires_grad = True  # the setter checks the dtype
    return t


def _to_array(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and data and any(isinstance(x, Tensor) for x in data):
        return np.stack([np.asarray(x) for x in data]) if all(
            isinstance(x, Tensor) for x in data) else np.asarray([_to_array(x) for x in data])
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested lists, a NumPy array or a Tensor).

    Args:
        data: the values; Python floats become the default dtype (float32), ints int64.
        dtype: the element type (inferred when omitted).
        device: ``'cpu'`` or ``'cuda'``.
        requires_grad: record operations on the result for autograd.

    Example::

        ember.tensor([[1, 2], [3, 4]], dtype=ember.float32)
    """
    src = _to_array(data)
    if not isinstance(src, np.ndarray) and type(src).__module__.startswith("cupy"):
        arr = src.copy()
    else:
        arr = np.array(src)
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    nd = _dtype.as_dtype(dtype).np if dtype is not None else (
        arr.dtype if isinstance(data, Tensor) else _infer_np_dtype(data, arr))
    if arr.dtype != nd:
        arr = arr.astype(nd)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like :func:`tensor` but shares memory with a NumPy array or Tensor when dtype and device allow."""
    if isinstance(data, Tensor):
        if (dtype is None or _dtype.as_dtype(dtype) == data.dtype) and \
                (device is None or _backend.as_device(device) == data.device):
            return data
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray):
        arr = data if dtype is None else data.astype(_dtype.as_dtype(dtype).np, copy=False)
        _dtype.from_numpy_dtype(arr.dtype)
        return _finish(arr, device, False)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``: changing one changes the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return wrap(ndarray)


def size_arg(size):
    """Accept ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])`` and ``zeros(ember.Size(...))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        size = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be a tuple of ints, got {size!r}") from None
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _np_dtype(dtype):
    return (_dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def _filled(fill, size, dtype, device, requires_grad):
    xp = _backend.xp_for(device)
    nd = _np_dtype(dtype)
    arr = xp.empty(size, nd) if fill is None else xp.full(size, fill, nd)
    if device is not None and xp is not np:
        arr = _backend.to_device(arr, device)
    return _finish(arr, None, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros of the given shape (default dtype float32)."""
    return _filled(0, size_arg(size), dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones of the given shape."""
    return _filled(1, size_arg(size), dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    """An uninitialised tensor of the given shape."""
    return _filled(None, size_arg(size), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of the given shape filled with ``fill_value`` (its dtype inferred from the value)."""
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled(fill_value, size_arg((size,)), dtype, device, requires_grad)


def _like(input, dtype, device):
    return (input.dtype if dtype is None else dtype), (input.device if device is None else device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _filled(0, input._data.shape, dt, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _filled(1, input._data.shape, dt, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _filled(None, input._data.shape, dt, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _filled(fill_value, input._data.shape, dt, dev, requires_grad)

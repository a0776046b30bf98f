"""Shared helpers for op bodies: operand coercion with PyTorch's promotion, dim handling."""
import numpy as np

from ember import _dtype
from ember._tensor import Tensor, _wrap_dim

_KCAT = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
_SCALAR_CAT = {bool: 0, int: 1, float: 2, complex: 3}


def as_tensor_operand(x, like=None):
    """Turn a non-scalar operand (list, ndarray) into a Tensor."""
    if isinstance(x, Tensor):
        return x
    if x is None or isinstance(x, (str, bytes)):  # ``t + None`` is a TypeError in PyTorch
        raise TypeError(f"unsupported operand type for a Tensor operation: '{type(x).__name__}'")
    from ember._ops.creation import tensor
    t = tensor(x)
    if like is not None and like.is_cuda and not t.is_cuda:
        t = t.to(like.device)
    return t


def _cat_default(cat):
    return (_dtype.bool_, _dtype.int64, _dtype.get_default_dtype(), _dtype.complex64)[cat].np


def _check_devices(ad, bd):
    if type(ad) is not type(bd) and ad.ndim and bd.ndim:
        from ember._backend import device_of
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {device_of(ad)} and {device_of(bd)}!")


def promote_arrays(ad, bd):
    """Cast two arrays to PyTorch's result dtype (zero-dim arrays count for less)."""
    _check_devices(ad, bd)
    da, db = _dtype.from_numpy_dtype(ad.dtype), _dtype.from_numpy_dtype(bd.dtype)
    if ad.ndim and bd.ndim or not ad.ndim and not bd.ndim:
        rt = _dtype.promote_types(da, db)
    elif ad.ndim:
        rt = _dtype.result_type((da,), (db,))
    else:
        rt = _dtype.result_type((db,), (da,))
    rt = rt.np
    return (ad if ad.dtype == rt else ad.astype(rt)), (bd if bd.dtype == rt else bd.astype(rt))


def with_scalar(ad, s):
    """An array and a Python scalar: the scalar only upcasts when its category is higher."""
    cat = _SCALAR_CAT.get(type(s))
    if cat is None:
        if isinstance(s, np.generic):
            s = s.item()
            cat = _SCALAR_CAT[type(s)]
        else:
            raise TypeError(f"unsupported operand type: {type(s).__name__}")
    if cat > _KCAT[ad.dtype.kind]:
        # a complex number with float64 (or an integer and a float64 default dtype) gives
        # complex128, as PyTorch
        wide = ad.dtype == np.float64 or (ad.dtype.kind != "f" and _dtype.get_default_dtype().np
                                          == np.float64)
        ad = ad.astype(np.complex128 if cat == 3 and wide else _cat_default(cat))
    elif cat == 1 and ad.dtype.kind in "iu":
        s = _in_range(s, ad.dtype)
    return ad, s


_INT_RANGE = {}


def _in_range(s, dt):
    """An int scalar for an integer array: wrapped into ``dt``'s range, as PyTorch converts it
    (``int32_tensor + 2**40`` adds 0, ``uint8_tensor - 1`` wraps), where NumPy 2 raises
    OverflowError; beyond int64 PyTorch raises it too."""
    rng = _INT_RANGE.get(dt)
    if rng is None:
        rng = _INT_RANGE[dt] = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    lo, hi = rng
    if lo <= s <= hi:
        return s
    if s < -2 ** 63:
        raise OverflowError("can't convert negative int to unsigned")
    if s >= 2 ** 64:
        raise OverflowError("int too big to convert")
    return int(np.array(s & (2 ** 64 - 1), np.uint64).astype(dt))


def binary_operands(a, b):
    """Prepare a binary op: returns ``(ta, tb, ad, bd)``: the Tensor operands (None for a Python
    scalar) and the arrays (or scalar) to compute with, already in the result dtype."""
    if isinstance(a, Tensor):
        ad = a._data
        if isinstance(b, Tensor):
            bd = b._data
            if ad.dtype != bd.dtype or type(ad) is not type(bd):
                ad, bd = promote_arrays(ad, bd)
            return a, b, ad, bd
        if type(b) in _SCALAR_CAT or isinstance(b, np.generic):
            ad, b = with_scalar(ad, b)
            return a, None, ad, b
        return binary_operands(a, as_tensor_operand(b, a))
    if isinstance(b, Tensor):
        if type(a) in _SCALAR_CAT or isinstance(a, np.generic):
            bd, a = with_scalar(b._data, a)
            return None, b, a, bd
        return binary_operands(as_tensor_operand(a, b), b)
    return binary_operands(as_tensor_operand(a), b)


def dims_arg(dim, ndim):
    """Normalise a ``dim`` argument (None, int, or a tuple/list) into a sorted tuple of axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (_wrap_dim(dim, ndim),)


wrap_dim = _wrap_dim

"""Printing tensors the way PyTorch does: ``tensor([1., 2.], requires_grad=True)``."""
import numpy as np

from ember import _dtype

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def type_name(t):
    """PyTorch's legacy type string: 'ember.FloatTensor', 'ember.cuda.LongTensor'."""
    base = _TYPE_NAMES[t.dtype.name]
    return f"ember.cuda.{base}" if t.is_cuda else f"ember.{base}"


def dtype_of_type_name(name):
    short = name.rsplit(".", 1)[-1]
    for k, v in _TYPE_NAMES.items():
        if v == short:
            return _dtype.as_dtype(k)
    raise ValueError(f"invalid type: '{name}'")


def tensor_repr(t):
    arr = np.asarray(t._data if t.is_cpu else t._data.get())
    body = np.array2string(arr, separator=", ", prefix="tensor(")
    parts = [body]
    if t.is_cuda:
        parts.append(f"device='{t.device}'")
    if t.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_):
        parts.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        parts.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        parts.append("requires_grad=True")
    return "tensor(" + ", ".join(parts) + ")"

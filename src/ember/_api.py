"""Small top-level helpers of the torch namespace: type predicates, dtype info, thread settings."""
import os

import numpy as np

from ember import _backend, _dtype
from ember._tensor import Tensor

__all__ = ["is_tensor", "numel", "is_floating_point", "is_complex", "is_nonzero", "result_type",
           "can_cast", "finfo", "iinfo", "get_num_threads", "set_num_threads", "typename",
           "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor"]


def is_tensor(obj):
    """True if ``obj`` is an ember Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_nonzero(input):
    """The truth value of a one-element tensor (RuntimeError for any other size, as PyTorch)."""
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if input.numel() == 0 else 'more than one value'} is ambiguous")
    return bool(input.item())


def result_type(tensor1, tensor2):
    """The dtype PyTorch's promotion gives an operation on the two operands (tensors or numbers)."""
    dims, zero_dims, scalars = [], [], []
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            (dims if x.ndim else zero_dims).append(x.dtype)
        else:
            scalars.append(x)
    return _dtype.result_type(dims, zero_dims, scalars)


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` -> ``to`` (no lowering of category)."""
    return from_._cat <= to._cat


class finfo:
    """Machine limits of a floating-point dtype: ``bits eps max min tiny smallest_normal resolution``."""

    def __init__(self, type=None):
        self.dtype = _dtype.get_default_dtype() if type is None else _dtype.as_dtype(type)
        f = np.finfo(self.dtype.np)
        self.bits, self.eps, self.max, self.min = f.bits, float(f.eps), float(f.max), float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        self.resolution = 10.0 ** -f.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, eps={self.eps},"
                f" smallest_normal={self.smallest_normal}, tiny={self.tiny}, dtype={self.dtype.name})")


class iinfo:
    """Limits of an integer dtype: ``bits max min``."""

    def __init__(self, type):
        self.dtype = _dtype.as_dtype(type)
        i = np.iinfo(self.dtype.np)
        self.bits, self.max, self.min = i.bits, int(i.max), int(i.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype.name})"


def get_num_threads():
    """Threads used by NumPy's BLAS (all cores unless limited)."""
    n = _backend.blas_num_threads()
    if n is not None:
        return n
    try:
        from threadpoolctl import threadpool_info
        return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"),
                   default=os.cpu_count())
    except ImportError:
        return os.cpu_count()


def set_num_threads(n):
    """Limit NumPy's BLAS threads (OpenBLAS directly; another BLAS through ``threadpoolctl``
    when installed, else a no-op). Convolutions also run their chunks on this many threads."""
    if int(n) < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    if _backend.set_blas_num_threads(n):
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(int(n), user_api="blas")


def typename(obj):
    if isinstance(obj, Tensor):
        from ember._tensor_str import type_name
        return type_name(obj)
    return type(obj).__qualname__


# ---- the legacy typed constructors (``torch.FloatTensor`` ...) ---------------------------------
class _TypedTensorMeta(type):
    """``isinstance(t, ember.FloatTensor)``: a CPU tensor of that dtype, as in PyTorch."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and not obj.is_cuda


def _options(dt):
    """PyTorch's text for a tensor type in its legacy constructors' errors."""
    names = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
             "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool"}
    return (f"TensorOptions(dtype={names.get(dt.name, dt.name)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


def _typed(name, dt):
    def __new__(cls, *args, device=None):
        if len(args) == 1 and isinstance(args[0], Tensor):  # shares its memory, as PyTorch's
            if args[0].dtype is not dt:
                raise TypeError(f"expected {_options(dt)} (got {_options(args[0].dtype)})")
            return args[0].view_as(args[0])
        if len(args) == 1 and isinstance(args[0], (float, complex, bool)):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        return Tensor(*args, device=device, dtype=dt)
    doc = (f"``{name}(data)`` or ``{name}(*sizes)``: PyTorch's legacy constructor of "
           f"{dt.name} tensors (a copy of ``data``, or uninitialised); prefer ``ember.tensor``.")
    return _TypedTensorMeta(name, (), {"__new__": __new__, "dtype": dt, "__doc__": doc,
                                       "__module__": "ember"})


FloatTensor = _typed("FloatTensor", _dtype.float32)
DoubleTensor = _typed("DoubleTensor", _dtype.float64)
HalfTensor = _typed("HalfTensor", _dtype.float16)
LongTensor = _typed("LongTensor", _dtype.int64)
IntTensor = _typed("IntTensor", _dtype.int32)
ShortTensor = _typed("ShortTensor", _dtype.int16)
CharTensor = _typed("CharTensor", _dtype.int8)
ByteTensor = _typed("ByteTensor", _dtype.uint8)
BoolTensor = _typed("BoolTensor", _dtype.bool_)

"""Copies and conversions: ``clone``, ``contiguous``, ``to`` (dtype, device), ``float()`` & co."""
from ember import _backend, _dtype
from ember._tensor import Tensor, methods, track, wrap
from ember._tensor_str import get_printoptions, set_printoptions  # noqa: F401  (exported)
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

# NOTE: the print options live with the printing code; ember exports them from this family
__all__ = ["clone", "set_printoptions", "get_printoptions"]


class CloneBackward0(Node):
    def backward(self, g):
        return g


def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own memory; gradients flow back to ``input``.

    Like PyTorch's default ``preserve_format``, a transposed (dense) input keeps its strides;
    ``memory_format=ember.contiguous_format`` or ``ember.channels_last`` orders the copy so.
    """
    d = input._data
    order = _order(d, memory_format)
    r = d.copy(order="K") if order is None else _copy_in(d, order)
    if STATE.enabled and input._rg:
        return track(r, CloneBackward0(), (input,))
    return wrap(r)


def contiguous(input, memory_format=None):
    """``input`` itself when it is contiguous in ``memory_format`` (default: row-major), else a
    copy that is."""
    d = input._data
    order = _order(d, memory_format) or _ROW_MAJOR
    if _dense_in(d, order):
        return input
    r = _copy_in(d, order)
    if STATE.enabled and input._rg:
        return track(r, CloneBackward0(), (input,))
    return wrap(r)


_ROW_MAJOR = "C"


def _order(d, memory_format):
    """The dim order (outermost first) ``memory_format`` asks of ``d``: ``_ROW_MAJOR``, a
    permutation (channels last), or None for ``preserve_format`` / no format."""
    name = getattr(memory_format, "_name", None)
    if memory_format is None or name == "preserve_format":
        return None
    if name == "contiguous_format":
        return _ROW_MAJOR
    rank = {"channels_last": 4, "channels_last_3d": 5}.get(name)
    if rank is None:
        raise TypeError(f"memory_format must be an ember.memory_format, not {memory_format!r}")
    if d.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")
    return (0,) + tuple(range(2, rank)) + (1,)


def _dense_in(d, order):
    """Whether ``d`` is laid out densely in ``order``."""
    if order is _ROW_MAJOR:
        return d.flags.c_contiguous
    return d.transpose(order).flags.c_contiguous


def _copy_in(d, order):
    """A copy of ``d`` laid out in ``order`` (same shape and values)."""
    if order is _ROW_MAJOR:
        return d.copy()
    xp = _backend.xp_of(d)
    back = tuple(sorted(range(d.ndim), key=order.__getitem__))
    return xp.ascontiguousarray(d.transpose(order)).transpose(back)


def is_contiguous(input, memory_format=None):
    """Whether ``input``'s elements lie densely in ``memory_format``'s order (default:
    row-major)."""
    d = input._data
    name = getattr(memory_format, "_name", None)
    if name in ("channels_last", "channels_last_3d"):
        rank = 4 if name == "channels_last" else 5
        return d.ndim == rank and _dense_in(d, _order(d, memory_format))
    return bool(d.flags.c_contiguous)


class ToCopyBackward0(Node):
    def backward(self, g):
        return _convert(g, self.dtype, self.device)


def _convert(input, dtype, device):
    """``input`` with the NumPy dtype / ember device given (None keeps it); ``input`` itself when
    nothing changes."""
    d = input._data
    same_dtype = dtype is None or d.dtype == dtype
    same_dev = device is None or _same_device(_backend.device_of(d), device)
    if same_dtype and same_dev:
        return input
    r = d if same_dev else _backend.to_device(d, device)
    if not same_dtype:
        r = r.astype(dtype)
    if STATE.enabled and input._rg and r.dtype.kind in "fc":
        node = ToCopyBackward0()
        node.dtype, node.device = d.dtype, _backend.device_of(d)
        return track(r, node, (input,))
    return wrap(r)


def _same_device(have, want):
    # 'cuda' without an index means the current device, which is where CuPy puts new arrays
    if have.type != want.type:
        return False
    return want.index is None or have.index == want.index or want.type == "cpu"


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, (str, _backend.device, int)):
            device = a
        elif a is not None:
            dtype = _dtype.as_dtype(a)
    return dtype, device


def to(input, *args, **kwargs):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``; also
    ``copy=True`` to always copy. Returns ``input`` itself when nothing changes.

    Example::

        x.to(ember.float64); x.to('cuda'); x.to(y)
    """
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
    dtype, device = _parse_to(args, kwargs)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    out = _convert(input, None if dtype is None else _dtype.as_dtype(dtype).np,
                   None if device is None else _backend.as_device(device))
    if _order(out._data, memory_format) is not None:
        if copy and out is input:
            return clone(out, memory_format=memory_format)
        return contiguous(out, memory_format)
    return clone(out) if copy and out is input else out


def type_(input, dtype=None, non_blocking=False):
    """``t.type()`` names the tensor type ('ember.FloatTensor'); ``t.type(dtype)`` converts."""
    if dtype is None:
        from ember._tensor_str import type_name
        return type_name(input)
    if isinstance(dtype, str):  # PyTorch takes type names here ('torch.DoubleTensor')
        from ember._tensor_str import dtype_of_type_name
        dtype = dtype_of_type_name(dtype)
    elif isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtype.dtype):
        dtype = dtype.dtype  # a typed tensor class (ember.DoubleTensor)
    return to(input, _dtype.as_dtype(dtype))


def type_as(input, other):
    """``input`` converted to ``other``'s dtype."""
    return _convert(input, other._data.dtype, None)


def _cuda_device(device):
    """``t.cuda()``'s argument: None (device 0), an index, a string or an ember device."""
    if isinstance(device, (str, _backend.device)):
        return _backend.as_device(device)
    return _backend.device("cuda", device or 0)


def _caster(dt):
    def cast(self, memory_format=None):
        return _convert(self, dt.np, None)
    cast.__name__ = dt.name
    cast.__doc__ = f"``self.to({dt!r})``"
    return cast


methods(
    clone=clone, contiguous=contiguous, is_contiguous=is_contiguous, to=to, type=type_,
    type_as=type_as,
    cpu=lambda self, memory_format=None: _convert(self, None, _backend.CPU),
    cuda=lambda self, device=None, non_blocking=False, memory_format=None: _convert(
        self, None, _cuda_device(device)),
    float=_caster(_dtype.float32), double=_caster(_dtype.float64), half=_caster(_dtype.float16),
    int=_caster(_dtype.int32), long=_caster(_dtype.int64), short=_caster(_dtype.int16),
    char=_caster(_dtype.int8), byte=_caster(_dtype.uint8), bool=_caster(_dtype.bool_),
    cfloat=_caster(_dtype.complex64), cdouble=_caster(_dtype.complex128),
)

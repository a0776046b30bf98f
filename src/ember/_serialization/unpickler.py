"""Read ``data.pkl`` safely: a restricted unpickler that maps torch's globals to ember.

Unpickling can call any function a file names; :class:`RestrictedUnpickler` resolves only the
globals a checkpoint needs (:data:`ALLOWED`) and refuses every other with
:class:`pickle.UnpicklingError`, before anything is called. ``REDUCE``/``NEWOBJ``/``BUILD`` can
only act on what ``find_class`` returned, so nothing outside this table ever runs.
"""
import collections
import pickle
import warnings

import numpy as np

from ember import _backend, _dtype
from ember._backend import device as _device, xp_of
from ember._tensor import Size, Tensor, wrap

# torch storage class -> element type ('bfloat16' is converted to float32 when read)
STORAGE_DTYPES = {"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
                  "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
                  "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
                  "BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                  "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8"}
_ITEMSIZE = {"bfloat16": 2}

_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}

BF16_NOTE = ("ember has no bfloat16 dtype: bfloat16 tensors in this checkpoint were loaded as "
             "float32 (exactly: every bfloat16 value is a float32 value)")


class Refused(pickle.UnpicklingError):
    """The file asks for something ``weights_only`` loading doesn't allow."""


class StorageType:
    """What ``torch.FloatStorage`` and friends resolve to: the storage's element type."""

    def __init__(self, name):
        self.name = name
        self.dtype = STORAGE_DTYPES[name]

    def __repr__(self):
        return f"StorageType(torch.{self.name})"


class Storage:
    """A storage read from a checkpoint: a 1-D array of its elements on one device.

    This is what a ``map_location`` callable receives (``lambda storage, loc: storage``); like a
    torch storage it has ``cpu()``, ``cuda(device)``, ``to(device)``, ``device`` and ``nbytes()``.
    """

    def __init__(self, array):
        self.array = array

    @property
    def device(self):
        return _backend.device_of(self.array)

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self.array.dtype)

    def nbytes(self):
        return self.array.nbytes

    def size(self):
        return self.array.size

    __len__ = size

    def to(self, device=None, non_blocking=False):
        return Storage(_backend.to_device(self.array, as_device(device)))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        index = device.index if isinstance(device, _device) else device
        return self.to(_device("cuda", index if index is not None else 0))

    def __repr__(self):
        return f"<ember Storage of {self.array.size} {self.dtype} on {self.device}>"


def as_device(d):
    """An ember device from a device, a string, an int (a CUDA index) or a torch.device."""
    if d is None or isinstance(d, (_device, int)):
        return _backend.as_device(d)
    return _backend.as_device(str(d))  # a str, or anything whose str() names a device


def restore_location(map_location):
    """``f(storage, location) -> Storage`` for torch's ``map_location`` forms.

    ember's default placement is the CPU: a storage goes elsewhere only when ``map_location``
    says so (a device for all, a dict ``{saved location: target}``, or a callable).
    """
    if map_location is None:
        return lambda s, loc: s
    if isinstance(map_location, dict):
        def restore(s, loc):
            target = map_location.get(loc)
            return s if target is None else s.to(target)
        return restore
    if callable(map_location) and not isinstance(map_location, _device):
        def restore(s, loc):
            r = map_location(s, loc)
            if r is None:
                return s
            if not isinstance(r, Storage):
                raise TypeError("map_location callable must return the storage it was given (or "
                                f"storage.cpu() / storage.cuda(i) / None), got {type(r).__name__}")
            return r
        return restore
    target = as_device(map_location)
    return lambda s, loc: s.to(target)


# ---- rebuild functions: what torch._utils' names resolve to --------------------------------------
def _ints(name, v):
    if not isinstance(v, (tuple, list)) or not all(type(x) is int for x in v):
        raise pickle.UnpicklingError(f"tensor {name} must be a tuple of ints, got {v!r}")
    return tuple(v)


def _rebuild_tensor(storage, storage_offset, size, stride, dtype=None):
    if not isinstance(storage, Storage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor, got {storage!r}")
    arr = storage.array
    if dtype is not None:  # _rebuild_tensor_v3: an untyped (byte) storage viewed as dtype
        arr = arr.view(dtype.np) if arr.size % dtype.itemsize == 0 else None
        if arr is None:
            raise pickle.UnpicklingError("untyped storage size is not a multiple of the itemsize")
    size, stride = _ints("size", size), _ints("stride", stride)
    if type(storage_offset) is not int or storage_offset < 0 or len(size) != len(stride) or \
            any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise pickle.UnpicklingError(f"invalid tensor geometry: offset {storage_offset!r}, size "
                                     f"{size}, stride {stride}")
    xp = xp_of(arr)
    numel = int(np.prod(size, dtype=np.int64))
    if numel == 0:
        return wrap(xp.empty(size, arr.dtype))
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= arr.size:
        raise pickle.UnpicklingError(
            f"tensor of size {list(size)}, stride {list(stride)} and offset {storage_offset} reads "
            f"past the end of its storage of {arr.size} elements")
    # NOTE: views into the one storage array, so tensors that shared memory when saved share it
    # again (as in torch); a contiguous tensor is a plain reshape of its slice.
    flat = arr[storage_offset:storage_offset + last + 1]
    contiguous = stride == tuple(int(np.prod(size[i + 1:], dtype=np.int64))
                                 for i in range(len(size)))
    if contiguous:
        return wrap(flat[:numel].reshape(size))
    return wrap(xp.lib.stride_tricks.as_strided(flat, size, tuple(s * arr.itemsize for s in stride)))


def _set_requires_grad(t, requires_grad):
    if requires_grad and t._data.dtype.kind in "fc":
        t._rg = True
    return t


def rebuild_tensor_v1(storage, storage_offset, size, stride):
    return _rebuild_tensor(storage, storage_offset, size, stride)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                      backward_hooks=None, metadata=None):
    return _set_requires_grad(_rebuild_tensor(storage, storage_offset, size, stride),
                              requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                      metadata=None):
    if not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError(f"expected a dtype, got {dtype!r}")
    return _set_requires_grad(_rebuild_tensor(storage, storage_offset, size, stride, dtype),
                              requires_grad)


def _parameter_class():
    try:
        from ember.nn.parameter import Parameter
    except ModuleNotFoundError as e:  # ember.nn not there (yet): a tensor that requires grad
        if e.name not in ("ember.nn", "ember.nn.parameter"):
            raise
        return None
    return Parameter


def make_parameter(data, requires_grad=True):
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"a Parameter needs a tensor, got {type(data).__name__}")
    cls = _parameter_class()
    if cls is None:
        return _set_requires_grad(data, requires_grad)
    return cls(data, bool(requires_grad) and data._data.dtype.kind in "fc")


def rebuild_parameter(data, requires_grad, backward_hooks):
    return make_parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(make_parameter(data, requires_grad), state)


def _set_state(obj, state):
    if isinstance(state, tuple) and len(state) == 2:
        state = {**(state[0] or {}), **(state[1] or {})}
    if isinstance(state, dict):
        obj.__dict__.update({k: v for k, v in state.items() if isinstance(k, str)})
    return obj


class ParameterType:
    """What ``torch.nn.parameter.Parameter`` resolves to (an ember Parameter if ember.nn exists)."""

    def __new__(cls, data=None, requires_grad=True):
        return make_parameter(data, requires_grad)


def rebuild_from_type_v2(func, new_type, args, state):
    if not any(func is v for v in (*ALLOWED.values(), *USER_ALLOWED.values())):
        raise Refused(f"refused to call {func!r} while rebuilding a tensor")
    ret = func(*args)
    if new_type is ParameterType and not isinstance(ret, _parameter_class() or ()):
        ret = make_parameter(ret, ret.requires_grad)
    return _set_state(ret, state)


def safe_encode(text, encoding="utf-8"):
    """``_codecs.encode`` for bytes in protocol 2, limited to text codecs (no codec lookups)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise Refused(f"refused _codecs.encode({type(text).__name__}, {encoding!r})")
    return text.encode(encoding)


def safe_bytes(source=b""):
    """``builtins.bytes``, which pickle uses for ``b''``; never ``bytes(n)`` (n zero bytes)."""
    if not isinstance(source, (bytes, bytearray, list, tuple)):
        raise Refused(f"refused bytes({type(source).__name__})")
    return bytes(source)


def _torch_device(type_, index=None):
    try:
        return _device(type_, index)
    except RuntimeError:  # 'mps', 'meta' ...: ember has no such device; keep its name
        return type_ if index is None else f"{type_}:{index}"


ALLOWED = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.complex": complex,
    "builtins.bytearray": bytearray,
    "builtins.bytes": safe_bytes,
    "_codecs.encode": safe_encode,
    "torch._utils._rebuild_tensor": rebuild_tensor_v1,
    "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
    "torch._utils._rebuild_parameter": rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": rebuild_parameter_with_state,
    "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
    "torch.nn.parameter.Parameter": ParameterType,
    "torch.Tensor": Tensor,
    "torch.Size": Size,
    "torch.device": _torch_device,
    "torch.bfloat16": _dtype.float32,
}
ALLOWED.update({f"torch.{n}": StorageType(n) for n in STORAGE_DTYPES if n != "UntypedStorage"})
ALLOWED["torch.storage.UntypedStorage"] = StorageType("UntypedStorage")
ALLOWED["torch.UntypedStorage"] = ALLOWED["torch.storage.UntypedStorage"]
ALLOWED.update({f"torch.{d.name}": d for d in _dtype.ALL})
ALLOWED.update({f"torch.{n}": d for n, d in _dtype.ALIASES.items()})

# user additions (ember.serialization.add_safe_globals): "module.name" -> object
USER_ALLOWED = {}


def storage_itemsize(stype):
    return _ITEMSIZE.get(stype.dtype) or np.dtype(stype.dtype).itemsize


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose globals come only from :data:`ALLOWED` (and the user's list).

    Args:
        file: the pickle stream.
        persistent_load: ``f(pid) -> Storage`` for the ``('storage', ...)`` ids; ``None`` refuses
            persistent ids (a plain pickle has none).
        weights_only: ``False`` lets any non-torch global through (runs code from the file).
        source: how to name the file in error messages.
    """

    def __init__(self, file, persistent_load=None, weights_only=True, source="the checkpoint"):
        super().__init__(file, encoding="utf-8")
        self._pload = persistent_load
        self._weights_only = weights_only
        self._source = source

    def find_class(self, module, name):
        module = _PY2_MODULES.get(module, module)
        full = f"{module}.{name}"
        if full in ALLOWED:
            return ALLOWED[full]
        if full in USER_ALLOWED:
            return USER_ALLOWED[full]
        if module == "torch" and name.endswith("Storage") or module == "torch" and name in (
                "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "qint8", "quint8",
                "qint32", "complex32", "chalf"):
            raise RuntimeError(f"{self._source} holds data of type torch.{name}, which ember "
                               "doesn't support")
        if not self._weights_only and not module.split(".")[0] == "torch":
            return super().find_class(module, name)
        if not self._weights_only:
            raise Refused(f"ember.load can't load '{full}' from {self._source}: it needs "
                          "PyTorch, and ember has no equivalent of it")
        raise Refused(
            f"ember.load refused to load '{full}' from {self._source}: only tensors, containers "
            "and numbers are allowed in checkpoints (weights_only=True), so that loading never "
            "runs code from the file. If you trust where it came from, allow this one global with "
            f"ember.serialization.add_safe_globals([...]) or load with weights_only=False.")

    def persistent_load(self, pid):
        if self._pload is None or not isinstance(pid, tuple) or not pid or (
                pid[0] if isinstance(pid[0], str) else bytes(pid[0]).decode("ascii", "replace")
        ) != "storage":
            raise Refused(f"ember.load refused the persistent id {pid!r:.80} in {self._source}: "
                          "only torch storages may be referenced")
        return self._pload(pid)


def warn_bfloat16():
    warnings.warn(BF16_NOTE, UserWarning, stacklevel=5)

"""Write ``data.pkl``: the object tree as the protocol-2 pickle that ``torch.save`` writes.

Tensors are ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
requires_grad, OrderedDict())`` calls whose storage is a persistent id
``('storage', torch.FloatStorage, key, location, numel)``; the storage's bytes go to the record
``data/<key>``.

NOTE: this is a small hand-written pickler rather than :class:`pickle.Pickler` because the
standard one can only name a global (``torch.FloatStorage``) by importing it, and ember never
imports torch. Writing opcodes ourselves also guarantees that only the opcodes torch's
``weights_only`` unpickler understands appear in the file.
"""
import collections
import struct
import sys

import numpy as np

from ember import _dtype
from ember._tensor import Size, Tensor
from ember._backend import device as _device

# ember dtype name -> the storage class torch pickles for it
STORAGE_OF = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
              "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
              "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
              "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}

_BATCH = 1000  # items per MARK ... APPENDS / SETITEMS, as pickle does


def _ptr(arr):
    return arr.__array_interface__["data"][0] if isinstance(arr, np.ndarray) else arr.data.ptr


def _owner(arr):
    """The array at the end of ``arr``'s chain of bases: the one owning the memory. (NumPy
    collapses view chains to the owner, whatever its dtype; ``as_strided`` adds a wrapper.)"""
    kind = type(arr)
    while True:
        b = arr.base
        if not isinstance(b, kind):  # np.lib.stride_tricks.DummyArray holds the array in .base
            b = getattr(b, "base", None)
        if not isinstance(b, kind):
            return arr
        arr = b


def storage_of(arr):
    """``(storage, owner, offset, stride)``: the memory ``arr`` views and where, in elements.

    ``storage`` is the owner's whole memory as a 1-D array of ``arr``'s dtype, so views of one
    array share a storage in the file, as in torch, and a tensor loaded (a view of a byte
    buffer) and saved again keeps sharing. ``storage`` is ``None`` when ``arr`` can't be described
    that way (negative strides, a broadcast of a non-contiguous array ...); it is then saved as a
    contiguous copy of its own.
    """
    size = arr.itemsize
    owner = _owner(arr)
    if arr.size == 0 or not (owner.flags.c_contiguous or owner.flags.f_contiguous) or \
            owner.nbytes % size:
        return None, None, 0, None
    delta = _ptr(arr) - _ptr(owner)
    if delta < 0 or delta % size or any(s < 0 or s % size for s in arr.strides):
        return None, None, 0, None
    offset, stride = delta // size, tuple(s // size for s in arr.strides)
    if (offset + sum((n - 1) * s for n, s in zip(arr.shape, stride))) * size >= owner.nbytes:
        return None, None, 0, None
    flat = owner.ravel(order="K")
    storage = flat if flat.dtype == arr.dtype else flat.view(np.uint8).view(arr.dtype)
    return storage, owner, offset, stride


class Pickler:
    """Serialize one object tree. ``storages`` lists ``(key, array)`` in key order afterwards."""

    def __init__(self):
        self.out = [b"\x80\x02"]  # PROTO 2
        self.memo = {}            # id(obj), or ('global', module, name) -> memo index
        self._alive = []          # objects whose id is in memo (ids must not be reused meanwhile)
        self._building = set()    # ids of tuples being written (a tuple can't contain itself)
        self._keys = {}           # (id(owner), dtype) -> storage key
        self.storages = []        # (key, 1-D contiguous array in memory order)
        self._parameter = getattr(sys.modules.get("ember.nn.parameter"), "Parameter", None)

    def dump(self, obj):
        self.save(obj)
        self.out.append(b".")
        return b"".join(self.out)

    # ---- opcodes --------------------------------------------------------------------------------
    def _put(self, key, obj=None):
        i = len(self.memo)
        self.memo[key] = i
        if obj is not None:
            self._alive.append(obj)
        self.out.append(b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i))

    def _get(self, i):
        self.out.append(b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i))

    def _global(self, module, name):
        key = ("global", module, name)  # memoized by name, as pickle memoizes by object
        if key in self.memo:
            return self._get(self.memo[key])
        self.out.append(b"c" + module.encode() + b"\n" + name.encode() + b"\n")
        self._put(key)

    def _call(self, module, name, *args):
        """``module.name(*args)`` as GLOBAL, the argument tuple, REDUCE."""
        self._global(module, name)
        self._save_tuple(args, memo=False)
        self.out.append(b"R")

    def _int(self, v):
        if 0 <= v < 256:
            self.out.append(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            self.out.append(b"M" + struct.pack("<H", v))
        elif -2**31 <= v < 2**31:
            self.out.append(b"J" + struct.pack("<i", v))
        else:
            data = v.to_bytes((v + (v < 0)).bit_length() // 8 + 1, "little", signed=True)
            self.out.append((b"\x8a" + bytes([len(data)]) if len(data) < 256 else
                             b"\x8b" + struct.pack("<i", len(data))) + data)

    # ---- objects --------------------------------------------------------------------------------
    def save(self, obj):
        if obj is None:
            return self.out.append(b"N")
        if obj is True or obj is False:
            return self.out.append(b"\x88" if obj else b"\x89")
        t = type(obj)
        if t is int:
            return self._int(obj)
        if t is float:
            return self.out.append(b"G" + struct.pack(">d", obj))
        if id(obj) in self.memo:
            return self._get(self.memo[id(obj)])
        if isinstance(obj, np.generic) and obj.dtype.kind in "biufc":
            return self.save(obj.item())  # NumPy scalars are saved as the Python number
        if isinstance(obj, Tensor):
            return self._save_tensor(obj)
        if isinstance(obj, str):
            data = str(obj).encode("utf-8", "surrogatepass")
            self.out.append(b"X" + struct.pack("<I", len(data)) + data)
            return self._put(id(obj), obj)
        if isinstance(obj, (bytes, bytearray)):
            # protocol 2 has no bytes opcode: pickle writes _codecs.encode(latin-1 text)
            if isinstance(obj, bytearray):
                self._global("__builtin__", "bytearray")
            self._call("_codecs", "encode", bytes(obj).decode("latin1"), "latin1")
            if isinstance(obj, bytearray):
                self.out.append(b"\x85R")  # TUPLE1 REDUCE
            return self._put(id(obj), obj)
        if isinstance(obj, int):
            return self._int(int(obj))
        if isinstance(obj, float):
            return self.save(float(obj))
        if isinstance(obj, complex):
            self._call("__builtin__", "complex", obj.real, obj.imag)
            return self._put(id(obj), obj)
        if isinstance(obj, _dtype.dtype):
            return self._global("torch", obj.name)
        if isinstance(obj, _device):
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            self._call("torch", "device", *args)
            return self._put(id(obj), obj)
        if isinstance(obj, Size):
            self._call("torch", "Size", tuple(obj))
            return self._put(id(obj), obj)
        if isinstance(obj, tuple):
            return self._save_tuple(obj)
        if isinstance(obj, list):
            self.out.append(b"]")
            self._put(id(obj), obj)
            return self._items(list(obj), b"e")
        if isinstance(obj, set):
            self._call("__builtin__", "set", list(obj))
            return self._put(id(obj), obj)
        if isinstance(obj, dict):
            return self._save_dict(obj)
        raise TypeError(
            f"ember.save can't save an object of type {t.__module__}.{t.__qualname__}: checkpoints "
            "hold tensors, numbers, strings, bytes, None, dtypes, devices and containers (dict, "
            "OrderedDict, list, tuple, set) of them, so that they load safely (weights_only) in "
            "ember and PyTorch" + _hint(obj))

    def _save_tuple(self, items, memo=True):
        if not items:
            self.out.append(b")")
        else:
            if id(items) in self._building:
                raise ValueError("ember.save can't save a tuple that contains itself")
            self._building.add(id(items))
            if len(items) > 3:
                self.out.append(b"(")
            for x in items:
                self.save(x)
            self._building.discard(id(items))
            self.out.append(b"t" if len(items) > 3 else b"\x85\x86\x87"[len(items) - 1:len(items)])
        if memo:
            self._put(id(items), items)

    def _items(self, items, op):
        """APPENDS (``op=b'e'``) or SETITEMS (``op=b'u'``) in batches; items flat for dicts."""
        step = _BATCH * (2 if op == b"u" else 1)
        for start in range(0, len(items), step):
            self.out.append(b"(")
            for x in items[start:start + step]:
                self.save(x)
            self.out.append(op)

    def _save_dict(self, d):
        if isinstance(d, collections.OrderedDict):
            self._call("collections", "OrderedDict")
        elif isinstance(d, collections.Counter):
            self._call("collections", "Counter")
        else:  # other dict subclasses (defaultdict ...) are saved as plain dicts
            self.out.append(b"}")
        self._put(id(d), d)
        self._items([x for kv in d.items() for x in kv], b"u")
        state = getattr(d, "__dict__", None) if isinstance(d, collections.OrderedDict) else None
        if state:  # e.g. a state_dict's ``_metadata``, restored by BUILD as torch does
            self.save(dict(state))
            self.out.append(b"b")

    def _save_tensor(self, t):
        param = self._parameter is not None and isinstance(t, self._parameter)
        if param:
            self._global("torch._utils", "_rebuild_parameter")
            self.out.append(b"(")
        arr = t._data
        location = str(t.device) if t.is_cuda else "cpu"
        if location == "cuda":
            location = "cuda:0"
        storage, owner, offset, stride = storage_of(arr)
        if storage is None:
            owner = storage = arr.copy(order="C") if isinstance(arr, np.ndarray) else arr.copy()
            offset, stride = 0, _contiguous_strides(arr.shape)
            storage = storage.reshape(-1)
        key = self._keys.get((id(owner), arr.dtype.str))
        if key is None:
            key = str(len(self.storages))
            self._keys[(id(owner), arr.dtype.str)] = key
            self._alive.append(owner)
            self.storages.append((key, storage))
        self._global("torch._utils", "_rebuild_tensor_v2")
        self.out.append(b"((")  # MARK (args) MARK (persistent id)
        self.save("storage")
        self._global("torch", STORAGE_OF[t.dtype.name])
        self.save(key)
        self.save(location)
        self._int(int(self.storages[int(key)][1].size))
        self.out.append(b"tQ")  # TUPLE, BINPERSID
        self._int(offset)
        self._save_tuple(tuple(int(n) for n in arr.shape), memo=False)
        self._save_tuple(stride, memo=False)
        self.save(bool(t.requires_grad) and not param)  # a Parameter wraps its plain .data
        self._call("collections", "OrderedDict")  # backward hooks: never saved, as in torch
        self.out.append(b"tR")
        if param:
            self.save(bool(t.requires_grad))
            self._call("collections", "OrderedDict")
            self.out.append(b"tR")
        self._put(id(t), t)


def _hint(obj):
    if isinstance(obj, np.ndarray):
        return ". Wrap NumPy arrays with ember.from_numpy(array)"
    if callable(getattr(obj, "state_dict", None)):
        return ". Save a model's or optimizer's state_dict() and load it back with load_state_dict"
    return ""


def _contiguous_strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))

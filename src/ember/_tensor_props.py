"""Tensor properties and predicates of PyTorch that hold trivially for ember's dense tensors
(``layout``, ``is_sparse``, ``is_pinned()``, ``get_device()``, ``storage_offset()`` ...), and a
few small methods built on other ops. Kept apart so that ``_tensor.py`` stays the core."""
import numpy as np

from ember._globals import strided
from ember._tensor import Tensor


def _false(self):
    return False


for _name in ("is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_nested", "is_mkldnn",
              "is_xpu", "is_mps", "is_ipu", "is_xla", "is_vulkan", "is_maia", "is_mtia"):
    setattr(Tensor, _name, property(_false, doc="False: ember tensors are dense CPU/CUDA arrays."))
# NOTE: ember keeps no lazy negative bit (nor conjugate bit: see _ops/complex_math.py)
for _name in ("is_pinned", "is_shared", "is_inference", "is_neg"):
    setattr(Tensor, _name, _false)
Tensor.layout = property(lambda self: strided, doc="``ember.strided``: a dense tensor.")


def get_device(self):
    """The CUDA device index of a GPU tensor; -1 for a CPU tensor."""
    d = self.device
    return -1 if d.type == "cpu" else (d.index or 0)


def storage_offset(self):
    """How many elements into its storage the tensor starts: 0 unless it is a view that starts
    further in, as ``x[1:]`` (the storage is the memory of the tensor the view was taken
    from; a tensor made by ``from_numpy`` owns its array's memory from its first element)."""
    a = self._data
    root = self._view[0]._data if self._view is not None else a
    if type(a) is np.ndarray:
        start = root.__array_interface__["data"][0]
        return (a.__array_interface__["data"][0] - start) // a.itemsize
    return (a.data.ptr - root.data.ptr) // a.itemsize


def is_signed(self):
    """Whether the dtype holds negative numbers (every dtype but ``uint8`` and ``bool``)."""
    return self._data.dtype.kind not in "ub"


def is_same_size(self, other):
    """Whether ``other`` has the same shape."""
    if not isinstance(other, Tensor):
        raise TypeError("is_same_size(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return self.shape == other.shape


def sum_to_size(self, *size):
    """Sum ``self`` down to ``size``, which it must broadcast from (a gradient's reduction)."""
    from ember._ops.reduce import sum_to
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(shape)}}}.")
    return sum_to(self, size)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    """An uninitialised tensor of ``size`` and ``stride`` with ``self``'s dtype and device
    (unless given)."""
    from ember._ops.extras import empty_strided
    return empty_strided(size, stride, dtype=dtype if dtype is not None else self.dtype,
                         device=device if device is not None else self.device,
                         requires_grad=requires_grad)


def _unsafe(name):
    def fn(self, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)
    fn.__name__ = "unsafe_" + name
    fn.__doc__ = f"``{name}``: ember's views need no unsafe variant."
    return fn


def _is_nonzero(self):
    from ember._api import is_nonzero
    return is_nonzero(self)


Tensor.get_device = get_device
Tensor.storage_offset = storage_offset
Tensor.is_signed = is_signed
Tensor.is_same_size = is_same_size
Tensor.is_nonzero = _is_nonzero
Tensor.sum_to_size = sum_to_size
Tensor.new_empty_strided = new_empty_strided
Tensor.unsafe_chunk = _unsafe("chunk")
Tensor.unsafe_split = _unsafe("split")
Tensor.unsafe_split_with_sizes = _unsafe("split_with_sizes")
del _name

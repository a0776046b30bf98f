"""The one place that knows NumPy from CuPy.

Op bodies call ``xp_of(array)`` (Chainer's ``get_array_module``) and use the namespace it returns,
so the same code runs on CPU and GPU. CuPy is imported only when a CUDA tensor is first made.
"""
import os
import sys

import numpy as np

_cupy = None


def _keep_freed_memory():
    """Ask glibc to keep freed memory for reuse instead of returning it to the OS after each op.

    NOTE: every op allocates its result; with glibc's defaults, arrays over a few MB come from
    fresh ``mmap`` pages (or trim the heap when freed), so each op pays page faults again —
    measured 3-4x on elementwise ops over 1M floats. PyTorch avoids this with its own caching
    allocator; here two ``mallopt`` settings do it. ``EMBER_SYSTEM_MALLOC=1`` turns this off."""
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_SYSTEM_MALLOC"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 1 << 30)     # M_TRIM_THRESHOLD: keep up to 1 GiB of free heap
        libc.mallopt(-3, 32 << 20)    # M_MMAP_THRESHOLD: heap (reusable) up to 32 MiB blocks
    except (OSError, AttributeError):  # not glibc (musl, ...): keep the system's behaviour
        pass


_keep_freed_memory()


_blas_ctl = None
short_blas_spin = False  # set by ember/__init__: whether BLAS threads stop spinning soon when idle


def _openblas_symbols(*names):
    """The functions ``names`` (with ``{p}`` and ``{s}`` for a build's prefix and suffix) of
    NumPy's OpenBLAS through ctypes, and whether it takes 64-bit ints; None when not found.
    Found among the libraries this process has loaded, as threadpoolctl does, without that
    dependency; NumPy's own build first (ILP64, ``64_``): SciPy may have loaded another."""
    try:
        import ctypes
        libs = [ctypes.CDLL(path) for path in sorted(loaded_openblas())]
    except (OSError, ImportError):  # a library that will not load
        return None
    for p, s in (("scipy_", "64_"), ("", "64_"), ("scipy_", ""), ("", "")):
        for lib in libs:
            fns = [getattr(lib, n.format(p=p, s=s), None) for n in names]
            if None not in fns:
                return fns, s == "64_"
    return None


def _openblas_ctl():
    """``(get, set)`` of the thread count of NumPy's OpenBLAS, else None (another BLAS)."""
    global _blas_ctl
    if _blas_ctl is None:
        import ctypes
        found = _openblas_symbols("{p}openblas_get_num_threads{s}",
                                  "{p}openblas_set_num_threads{s}")
        _blas_ctl = False
        if found:
            get, put = found[0]
            get.restype, get.argtypes = ctypes.c_int, []
            put.restype, put.argtypes = None, [ctypes.c_int]
            _blas_ctl = (get, put)
    return _blas_ctl or None


def loaded_openblas():
    """The paths of the OpenBLAS libraries this process has loaded (Linux; empty elsewhere)."""
    try:
        with open("/proc/self/maps") as f:
            return {line.split()[-1] for line in f
                    if "openblas" in line.rsplit("/", 1)[-1].lower()}
    except OSError:  # no /proc: not Linux
        return set()


def blas_num_threads():
    """Threads NumPy's BLAS uses now; None when it cannot be told (not OpenBLAS)."""
    ctl = _openblas_ctl()
    return ctl[0]() if ctl else None


def set_blas_num_threads(n):
    """Set NumPy's BLAS thread count; False when it cannot be set (not OpenBLAS)."""
    ctl = _openblas_ctl()
    if ctl:
        ctl[1](int(n))
    return bool(ctl)


_axpy_fns = None


def _blas_axpy():
    """``{dtype: (fn, int limit)}``: OpenBLAS's ``cblas_saxpy``/``cblas_daxpy`` through ctypes,
    or empty when NumPy's BLAS is another one."""
    global _axpy_fns
    if _axpy_fns is None:
        import ctypes
        _axpy_fns = {}
        found = _openblas_symbols("{p}cblas_saxpy{s}", "{p}cblas_daxpy{s}")
        if found:
            int_t = ctypes.c_int64 if found[1] else ctypes.c_int
            for fn, ct, dt in zip(found[0], (ctypes.c_float, ctypes.c_double),
                                  (np.float32, np.float64)):
                fn.restype = None
                fn.argtypes = [int_t, ct, ctypes.c_void_p, int_t, ctypes.c_void_p, int_t]
                _axpy_fns[np.dtype(dt)] = (fn, 2 ** (8 * ctypes.sizeof(int_t) - 1) - 1)
    return _axpy_fns


def axpy(alpha, x, y):
    """``y += alpha * x`` in place in one pass, with one rounding (a fused multiply-add, as
    PyTorch's ``y.add_(x, alpha=alpha)`` computes it), by BLAS. False, leaving ``y`` as it is,
    when BLAS cannot do it (not OpenBLAS, CuPy, other dtypes, non-contiguous or different-shape
    arrays): the caller then multiplies and adds itself. NOTE: NumPy has no fused ufunc for
    this; a multiply into a temporary and an add take twice as long on arrays past the caches."""
    # NOTE: OpenBLAS returns early for alpha == 0, where y + 0 * x must still turn NaN/inf in x
    # into NaN in y (an SGD step with lr = 0 does that in PyTorch)
    if type(y) is not np.ndarray or type(x) is not np.ndarray or x.dtype != y.dtype or not alpha:
        return False
    entry = _blas_axpy().get(y.dtype)
    if (entry is None or y.size > entry[1] or x.shape != y.shape or not y.flags.c_contiguous
            or not x.flags.c_contiguous or not y.flags.writeable):
        return False
    entry[0](y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    return True


def cupy():
    """Import CuPy on first use; a clear error when it (or a GPU) is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp
        except ImportError:
            raise RuntimeError("CUDA tensors need CuPy: pip install 'ember[gpu]'") from None
        try:
            cp.cuda.runtime.getDeviceCount()
        except Exception as e:  # cupy raises its own CUDARuntimeError
            raise RuntimeError(f"CuPy is installed but no CUDA device is usable: {e}") from None
        _cupy = cp
    return _cupy


def cuda_is_available():
    try:
        cupy()
        return True
    except RuntimeError:
        return False


def xp_of(arr):
    """NumPy or CuPy, whichever owns ``arr``."""
    if type(arr) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(arr)


class device:
    """Where a tensor lives: ``ember.device('cpu')``, ``ember.device('cuda', 0)``, ``'cuda:1'``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or device, got {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: "
                               f"{type}")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(d):
    if d is None or d is CPU:
        return CPU
    if isinstance(d, int):
        return device("cuda", d)
    d = d if isinstance(d, device) else device(d)
    if d.type == "cpu":
        return CPU
    return d


def device_of(arr):
    if type(arr) is np.ndarray:
        return CPU
    return device("cuda", arr.device.id)


def to_device(arr, dev):
    """Move (or keep) an array on ``dev``; returns the same array when it is already there."""
    dev = as_device(dev)
    if dev.type == "cpu":
        if type(arr) is np.ndarray:
            return arr
        return arr.get()
    cp = cupy()
    with cp.cuda.Device(dev.index or 0):
        return cp.asarray(arr)


def xp_for(dev):
    return np if dev is None or as_device(dev).type == "cpu" else cupy()

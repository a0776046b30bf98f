"""Worker-to-main transfers: a pickle whose large NumPy buffers travel through shared memory.

A worker pickles a batch with :func:`dumps`: every array of at least :data:`INLINE_MAX` bytes
(ember Tensors pickle as their array) is left out of the pickle and written into one POSIX
shared-memory segment per message, named ``<prefix><worker>_<n>``; small arrays stay inline. The
main process's :func:`loads` maps the segment, unlinks it at once (the mapping outlives the name)
and rebuilds the arrays as views of the mapping: no copy, and the memory is freed when the last
array of the batch is. Segments of messages that were never read (an early break, a dead worker)
are removed by :func:`sweep`, which the DataLoader calls after its workers have ended.
"""
import io
import mmap
import os
import pickle
import sys

import numpy as np

try:
    import _posixshmem  # the shm_open/shm_unlink that multiprocessing.shared_memory uses
except ImportError:  # Windows: everything is pickled inline
    _posixshmem = None

INLINE_MAX = 32 * 1024   # arrays smaller than this are cheaper to pickle inline
_ALIGN = 64              # each array starts on a cache line
_SHM_DIR = "/dev/shm"    # where Linux keeps the segments (to sweep by prefix)
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # map all pages in one call instead of one fault each


class _Pickler(pickle.Pickler):
    """Collects the large arrays instead of pickling them (their index is the persistent id)."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.arrays = []

    def persistent_id(self, obj):
        if type(obj) is np.ndarray and obj.nbytes >= INLINE_MAX and not obj.dtype.hasobject:
            self.arrays.append(obj)
            return len(self.arrays) - 1
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, arrays):
        super().__init__(file)
        self.arrays = arrays

    def persistent_load(self, pid):
        return self.arrays[pid]


def dumps(obj, name):
    """Pickle ``obj`` for the main process; returns ``(payload, segment)`` where ``segment`` is
    None or ``(name, size, [(offset, shape, dtype), ...])`` of the shared memory holding its large
    arrays."""
    if _posixshmem is None:
        return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), None
    buf = io.BytesIO()
    p = _Pickler(buf)
    p.dump(obj)
    if not p.arrays:
        return buf.getvalue(), None
    layout, size = [], 0
    for a in p.arrays:
        size = -(-size // _ALIGN) * _ALIGN
        layout.append((size, a.shape, a.dtype))
        size += a.nbytes
    try:
        _write(name, size, p.arrays, layout)
    except OSError:  # /dev/shm is full or unusable: fall back to the pipe
        return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), None
    return buf.getvalue(), (name, size, layout)


def _write(name, size, arrays, layout):
    fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, size)
        if sys.platform == "linux":
            # NOTE: pwrite into tmpfs is about twice as fast as faulting in a fresh mapping
            for a, (off, _, _) in zip(arrays, layout):
                mv = memoryview(np.ascontiguousarray(a).reshape(-1).view(np.uint8))
                while mv:
                    n = os.pwrite(fd, mv, off)
                    mv, off = mv[n:], off + n
        else:  # macOS: shared memory objects can only be mapped
            with mmap.mmap(fd, size) as mm:
                for a, (off, shape, dtype) in zip(arrays, layout):
                    np.copyto(np.ndarray(shape, dtype, buffer=mm, offset=off), a)
    except BaseException:
        _posixshmem.shm_unlink(name)
        raise
    finally:
        os.close(fd)


def loads(payload, segment):
    """Rebuild what :func:`dumps` pickled; maps and unlinks its segment."""
    if segment is None:
        return pickle.loads(payload)
    name, size, layout = segment
    try:
        fd = _posixshmem.shm_open(name, os.O_RDWR, 0o600)
        try:
            mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED | _POPULATE)
        finally:
            os.close(fd)
    finally:
        _posixshmem.shm_unlink(name)
    arrays = [np.ndarray(shape, dtype, buffer=mm, offset=off) for off, shape, dtype in layout]
    return _Unpickler(io.BytesIO(payload), arrays).load()


def unlink(name):
    try:
        _posixshmem.shm_unlink(name)
    except FileNotFoundError:
        pass


def sweep(prefix):
    """Unlink every segment whose name starts with ``prefix`` (call once its writers are gone)."""
    if _posixshmem is None or not os.path.isdir(_SHM_DIR):
        return
    stem = prefix.lstrip("/")
    for f in os.listdir(_SHM_DIR):
        if f.startswith(stem):
            unlink("/" + f)


def leftovers(prefix):
    """The names of segments with ``prefix`` still present (for tests)."""
    if not os.path.isdir(_SHM_DIR):
        return []
    return [f for f in os.listdir(_SHM_DIR) if f.startswith(prefix.lstrip("/"))]

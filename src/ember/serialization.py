"""Checkpoints: ``ember.save`` / ``ember.load`` in PyTorch's file format, and ``.safetensors``.

Files written by ``ember.save`` load in real ``torch.load(f, weights_only=True)``, and files written
by ``torch.save`` load with ``ember.load`` (torch need not be installed). The format is torch's zip
archive: ``<archive>/data.pkl`` (a protocol-2 pickle of the object tree whose tensors point at
storages by key), ``<archive>/data/<key>`` (each storage's raw little-endian bytes, 64-byte aligned),
and the small records ``version``, ``byteorder``, ``.format_version``, ``.storage_alignment``,
``.data/serialization_id``.

Guarantees:

- **Safe by default**: ``load`` never runs code from the file. Only tensors, numbers, strings,
  bytes, ``None``, dtypes, devices and containers (dict, OrderedDict, list, tuple, set) are
  rebuilt; any other global in the pickle is refused with :class:`pickle.UnpicklingError`.
- **Never lost**: saving to a path writes a temporary file beside it, flushes and fsyncs it, then
  renames it over the target in one step, so a crash leaves the previous checkpoint intact.
- **Clear errors**: an empty, truncated or corrupt file raises ``RuntimeError`` naming the file
  and what is wrong with it.

Differences from torch, on purpose: tensors load on the CPU unless ``map_location`` sends them
elsewhere; bfloat16 tensors load as float32 (ember has no bfloat16; the values are exact); the
pickle is always protocol 2; ``load`` also reads ``.safetensors`` files (recognised by content).
"""
import contextlib
import hashlib
import io
import os
import pickle
import secrets
import stat
import struct
import zipfile
import zlib

import numpy as np

from ember._serialization import safetensors_io
from ember._serialization.pickler import Pickler
from ember._serialization.unpickler import (ALLOWED, USER_ALLOWED, Refused, RestrictedUnpickler,
                                            Storage, StorageType, restore_location,
                                            storage_itemsize, warn_bfloat16)
from ember._serialization.zipformat import ZipReader, ZipWriter

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "add_safe_globals",
           "get_safe_globals", "clear_safe_globals", "safe_globals"]

# the first bytes of torch's pre-1.6 format: a pickled magic number
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save an object (tensors, a ``state_dict``, an optimizer state, nested containers) to a file.

    Args:
        obj: what to save: tensors, numbers, strings, bytes, ``None``, dtypes, devices, and dicts
            (``OrderedDict`` too), lists, tuples and sets of them. Tensors that share memory
            (views) share a storage in the file, as in torch.
        f: a path (``str`` / ``os.PathLike``) or a binary file object opened for writing. A path
            is written atomically (temporary file, fsync, rename); a file object directly.
        pickle_module, pickle_protocol: accepted for torch compatibility; ember always writes
            the protocol-2 pickle torch writes by default.

    Raises:
        TypeError: ``obj`` holds something that can't be loaded safely (nothing is written).

    Example::

        ember.save(model.state_dict(), "model.pt")
        model.load_state_dict(ember.load("model.pt"))
    """
    if not _use_new_zipfile_serialization:
        raise ValueError("ember.save writes only PyTorch's zip format "
                         "(_use_new_zipfile_serialization=True)")
    pickler = Pickler()
    data = pickler.dump(obj)  # NOTE: before touching the file, so a TypeError leaves it alone
    if _is_path(f):
        path = os.fspath(f)
        name = os.path.splitext(os.path.basename(path))[0] or "archive"
        _atomic_write(path, lambda fh: _write_archive(fh, data, pickler.storages, name))
    else:
        _write_archive(f, data, pickler.storages, "archive")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``ember.save`` or ``torch.save`` (or a ``.safetensors`` file).

    Args:
        f: a path or a binary file object opened for reading.
        map_location: where tensors go: ``None`` (the CPU), a device or string (``'cpu'``,
            ``'cuda:0'``) for all of them, a dict mapping saved locations to devices
            (``{'cuda:1': 'cuda:0'}``; others go to the CPU), or a callable
            ``f(storage, location)`` returning ``storage``, ``storage.cuda(i)`` ... or ``None``.
        weights_only: ``True`` (default, and for ``None``): rebuild only tensors, numbers,
            strings and containers, and refuse anything else in the file. ``False`` lets the
            file name any Python global -- **which runs code from the file: use it only for files
            you trust** (PyTorch-only globals still can't load).
        mmap: map the file's storages into memory instead of reading them (``f`` must be a
            path): loading is instant and pages are read when used; changes to the tensors stay
            in memory (copy-on-write). Skips the checksum test of the data.
        pickle_module, pickle_load_args: accepted for torch compatibility.

    Returns:
        The saved object; tensors are ember Tensors, parameters ``ember.nn.Parameter``.

    Raises:
        RuntimeError: the file is empty, truncated, corrupt or not a checkpoint.
        pickle.UnpicklingError: the file names a global that isn't allowed (see
            :func:`add_safe_globals`).

    Example::

        state = ember.load("model.pt", map_location="cpu")
    """
    if weights_only is None:
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified (ember.load with weights_only=True)")
    if _is_path(f):
        path = os.fspath(f)
        source = f"'{path}'"
        with open(path, "rb") as fh:
            return _load_stream(fh, source, map_location, weights_only, path, mmap)
    if mmap:
        raise ValueError("ember.load(mmap=True) needs a path, not a file object")
    if not (hasattr(f, "read") and hasattr(f, "seek") and _seekable(f)):
        f = io.BytesIO(f.read())  # a pipe or socket: zip needs to seek
    return _load_stream(f, "the file object", map_location, weights_only, None, False)


# ---- writing -------------------------------------------------------------------------------------
def _write_archive(fh, data, storages, name):
    w = ZipWriter(fh, name)
    w.write_record("data.pkl", data)
    w.write_record(".format_version", b"1")
    w.write_record(".storage_alignment", b"64")
    w.write_record("byteorder", b"little")
    for key, arr in storages:
        if not isinstance(arr, np.ndarray):  # a CUDA (CuPy) storage: copy to the host
            arr = arr.get()
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)  # no copy on little-endian
        w.write_record(f"data/{key}", arr.view(np.uint8))
    w.write_record("version", b"3\n")
    # NOTE: torch writes 40 decimal digits; derived from the pickle so equal saves are equal files
    sid = str(int.from_bytes(hashlib.sha256(data).digest()[:16], "big")).zfill(40)
    w.write_record(".data/serialization_id", sid.encode())
    w.finish()


def _atomic_write(path, write):
    """Write ``path`` through a temporary file in its folder, fsync'd, then renamed over it.

    A crash at any moment leaves either the old file or the new one, never a mix; a crashed
    save can leave its ``.<name>.<random>.tmp`` file behind, never a damaged target.
    """
    path = os.path.realpath(path)  # through a symlink: replace the file it points to
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    while True:
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        try:  # mode 0o666 less the umask, like open(path, 'wb')
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
    try:
        with contextlib.suppress(FileNotFoundError):  # keep a private checkpoint private
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)


# ---- reading -------------------------------------------------------------------------------------
class _Corrupt(Exception):
    """A damaged file; carries the reason, turned into one RuntimeError by the loader."""


class _Passthrough(Exception):
    """Carries an error from the user's ``map_location`` out of the unpickler unchanged."""


def _load_stream(fh, source, map_location, weights_only, path, mmap):
    start = fh.tell()
    head = fh.read(16)
    total = fh.seek(0, os.SEEK_END) - start
    fh.seek(start)
    if not head:
        raise RuntimeError(f"ember.load: {source} is empty (0 bytes), so it holds no checkpoint; "
                           "was it created by a save that did not finish?")
    try:
        if head.startswith(b"PK"):
            return _load_zip(fh, source, map_location, weights_only, path if mmap else None)
        if safetensors_io.is_safetensors(head, total):
            return _load_safetensors_stream(fh, path, map_location)
        if head.startswith(_LEGACY_MAGIC):
            raise RuntimeError(f"ember.load: {source} is in PyTorch's legacy format (torch.save "
                               "before 1.6, or _use_new_zipfile_serialization=False), which ember "
                               "doesn't read: load it with torch and save it again with torch.save")
        if len(head) > 1 and head[0] == 0x80 and 2 <= head[1] <= 5:  # a plain pickle (no tensors inside)
            return RestrictedUnpickler(fh, None, weights_only, source).load()
    except _Corrupt as e:
        raise RuntimeError(_corrupt_message(source, str(e))) from None
    except (zipfile.BadZipFile, EOFError, zlib.error, struct.error, OSError, ValueError,
            OverflowError, NotImplementedError) as e:  # what zipfile raises on damaged bytes
        raise RuntimeError(_corrupt_message(source, _describe(e))) from e
    except Refused:
        raise
    except pickle.UnpicklingError as e:
        raise RuntimeError(_corrupt_message(source, _describe(e))) from e
    raise RuntimeError(
        f"ember.load: {source} is not a checkpoint: expected PyTorch's zip format (what "
        f"torch.save and ember.save write), a .safetensors file or a pickle, but it starts with "
        f"{head[:8]!r}")


def _corrupt_message(source, why):
    return (f"ember.load: {source} is truncated or corrupt ({why}). It may have been cut short by "
            "a crash while saving, or copied or downloaded only in part: save it again or fetch a "
            "fresh copy.")


def _describe(e):
    msg = str(e) or type(e).__name__
    if isinstance(e, zipfile.BadZipFile) and "not a zip file" in msg:
        return "the zip archive's directory at its end is missing; the file was likely cut short"
    if "CRC" in msg:
        return f"{msg}: some bytes of the file changed after it was written"
    return msg


def _load_zip(fh, source, map_location, weights_only, mmap_path):
    reader = ZipReader(fh)
    if reader.has("constants.pkl"):
        raise RuntimeError(f"ember.load: {source} is a TorchScript archive (torch.jit.save); "
                           "ember loads what torch.save writes")
    if not reader.has("data.pkl"):
        raise RuntimeError(f"ember.load: {source} is a zip archive but not a checkpoint: it has "
                           f"no {reader.prefix}data.pkl record")
    order = reader.read("byteorder") if reader.has("byteorder") else b"little"
    if order not in (b"little", b"big"):
        raise _Corrupt(f"unknown byte order {order!r}")
    restore = restore_location(map_location)
    storages, bf16 = {}, []

    def persistent_load(pid):
        if len(pid) != 5 or not isinstance(pid[1], StorageType):
            raise pickle.UnpicklingError(f"malformed storage persistent id {pid!r:.80}")
        _, stype, key, location, numel = pid
        key = key.decode() if isinstance(key, bytes) else str(key)
        location = location.decode() if isinstance(location, bytes) else str(location)
        if key in storages:
            return storages[key]
        name = f"data/{key}"
        if not reader.has(name):
            raise _Corrupt(f"the record {name} is missing")
        nbytes = int(numel) * storage_itemsize(stype)
        if reader.size(name) != nbytes:
            raise _Corrupt(f"the record {name} has {reader.size(name)} bytes, expected {nbytes}")
        raw = reader.map_array(name, mmap_path) if mmap_path else reader.read_array(name)
        if stype.dtype == "bfloat16":
            arr = (raw.view(order == b"big" and ">u2" or "<u2").astype(np.uint32) << 16).view(
                np.float32)
            bf16.append(key)
        else:
            dt = np.dtype(stype.dtype).newbyteorder(">" if order == b"big" else "<")
            arr = raw.view(dt)
            if not dt.isnative:
                arr = arr.astype(dt.newbyteorder("="))
        try:
            storages[key] = restore(Storage(arr), location)
        except Exception as e:
            raise _Passthrough(e) from None
        return storages[key]

    try:
        result = RestrictedUnpickler(io.BytesIO(reader.read("data.pkl")), persistent_load,
                                     weights_only, source).load()
    except _Passthrough as p:
        raise p.args[0]
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        raise _Corrupt(f"its data.pkl does not describe a checkpoint: {e}") from e
    if bf16:
        warn_bfloat16()
    return result


def _load_safetensors_stream(fh, path, map_location):
    if isinstance(map_location, dict) or callable(map_location) and not isinstance(
            map_location, (str, bytes)):
        # NOTE: torch.load's own message for .safetensors files
        raise RuntimeError("Loading safetensors file with dict or callable map_location is not "
                           "supported. Use a device string or device instead.")
    device = "cpu" if map_location is None else map_location
    if path is not None:
        return safetensors_io.load_path(path, device)
    return safetensors_io.from_bytes(fh.read(), device, "the file object")


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _seekable(f):
    try:
        return f.seekable()
    except (AttributeError, OSError):
        return False


# ---- safetensors ---------------------------------------------------------------------------------
def save_safetensors(tensors, path, metadata=None):
    """Save a dict of tensors as a ``.safetensors`` file (atomically, like :func:`save`).

    Needs the ``safetensors`` package (``pip install 'ember[safetensors]'``). The file holds no
    code and loads in ``safetensors.torch.load_file``; non-contiguous tensors are stored compact.

    Args:
        tensors: ``{name: Tensor}``, e.g. ``model.state_dict()``.
        path: a path, or a binary file object opened for writing.
        metadata: optional ``{str: str}`` stored in the header.

    Example::

        save_safetensors(model.state_dict(), "model.safetensors", metadata={"epoch": "3"})
    """
    data = safetensors_io.to_bytes(tensors, metadata)
    if _is_path(path):
        _atomic_write(os.fspath(path), lambda fh: fh.write(data))
    else:
        path.write(data)


def load_safetensors(path, device="cpu"):
    """Load a ``.safetensors`` file as a dict ``{name: Tensor}``, in the file's order.

    Args:
        path: a path, or a binary file object opened for reading.
        device: where the tensors go (``'cpu'``, ``'cuda:0'`` ...). bfloat16 loads as float32.

    Example::

        model.load_state_dict(load_safetensors("model.safetensors"))
    """
    if _is_path(path):
        return safetensors_io.load_path(os.fspath(path), device)
    return safetensors_io.from_bytes(path.read(), device, "the file object")


# ---- the allowlist -------------------------------------------------------------------------------
def add_safe_globals(safe_globals):
    """Allow ``weights_only`` loading of these classes / functions (as torch's function).

    Args:
        safe_globals: a list of objects (named by ``__module__`` and ``__qualname__``), or of
            ``(object, "module.name")`` pairs. Only add what can't run harmful code when called
            with arguments from the file.

    Example::

        add_safe_globals([argparse.Namespace])
    """
    for g in safe_globals:
        obj, name = g if isinstance(g, tuple) else (g, f"{g.__module__}.{g.__qualname__}")
        if name in ALLOWED:
            continue
        USER_ALLOWED[name] = obj


def get_safe_globals():
    """The objects added by :func:`add_safe_globals`."""
    return list(USER_ALLOWED.values())


def clear_safe_globals():
    """Forget everything added by :func:`add_safe_globals`."""
    USER_ALLOWED.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow these globals only inside a ``with`` block (see :func:`add_safe_globals`)."""
    before = dict(USER_ALLOWED)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        USER_ALLOWED.clear()
        USER_ALLOWED.update(before)

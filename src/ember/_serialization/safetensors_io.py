"""``.safetensors`` files through the ``safetensors`` package (``pip install 'ember[safetensors]'``).

A safetensors file is an 8-byte little-endian header length, a JSON header (``{name: {"dtype",
"shape", "data_offsets"}}`` plus ``"__metadata__"``) and the tensors' bytes. It holds no code, so
loading is safe by construction. The package's NumPy front end does the work; ember adds
bfloat16 (NumPy has none: read from the header's offsets and widened to float32) and file objects.
"""
import contextlib
import json
import struct
import warnings

import numpy as np

from ember._backend import to_device
from ember._tensor import Tensor, wrap
from ember._serialization.unpickler import BF16_NOTE, as_device


def _package():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise RuntimeError(".safetensors files need the safetensors package: "
                           "pip install 'ember[safetensors]' (or pip install safetensors)") from None
    return safetensors


def is_safetensors(head, total_size):
    """Whether a file starting with ``head`` (>= 9 bytes) looks like safetensors."""
    if len(head) < 9:
        return False
    n = struct.unpack("<Q", head[:8])[0]
    return head[8:9] == b"{" and 8 + n <= total_size


def to_bytes(tensors, metadata=None):
    """The file's bytes for ``{name: Tensor}``."""
    if not isinstance(tensors, dict):
        raise TypeError(f"save_safetensors expects a dict of name -> Tensor, got "
                        f"{type(tensors).__name__}")
    arrays = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors names must be str, got {name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"safetensors holds only tensors, but '{name}' is a "
                            f"{type(t).__name__}")
        arr = t._data if type(t._data) is np.ndarray else t._data.get()
        arrays[name] = np.ascontiguousarray(arr)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("safetensors metadata must be a dict of str -> str")
    return _package().numpy.save(arrays, metadata=metadata)


def _widen_bf16(raw):
    return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)


@contextlib.contextmanager
def _clear_errors(source):
    """A damaged file raises one RuntimeError naming it, not the package's own error type."""
    try:
        yield
    except Exception as e:
        if type(e).__name__ != "SafetensorError" and not isinstance(
                e, (ValueError, KeyError, TypeError, struct.error)):
            raise
        raise RuntimeError(f"ember.load: {source} is not a valid .safetensors file: it is "
                           f"truncated or corrupt ({e})") from e


def from_bytes(buf, device="cpu", source="the file object"):
    """``{name: Tensor}`` from a safetensors file's bytes, in the file's order (as ``safe_open``)."""
    with _clear_errors(source):
        return _from_bytes(buf, device)


def _from_bytes(buf, device):
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(bytes(buf[8:8 + n]))
    header.pop("__metadata__", None)
    names = sorted(header, key=lambda k: header[k]["data_offsets"][0])
    bf16 = [k for k in names if header[k].get("dtype") == "BF16"]
    if not bf16:
        plain = _package().numpy.load(bytes(buf))
        return _finish({k: plain[k] for k in names}, device)
    body = memoryview(buf)[8 + n:]
    plain = _package().numpy.load(_without(header, names, body)) if len(bf16) < len(names) else {}
    out = {}
    for k in names:
        if k in bf16:
            a, b = header[k]["data_offsets"]
            out[k] = _widen_bf16(np.frombuffer(body[a:b], np.uint8).copy()).reshape(
                header[k]["shape"])
        else:
            out[k] = plain[k]
    warnings.warn(BF16_NOTE, UserWarning, stacklevel=3)
    return _finish(out, device)


def _without(header, names, body):
    """A safetensors file of the non-bfloat16 entries (the package's NumPy loader refuses BF16)."""
    keep, parts, pos = {}, [], 0
    for k in names:
        if header[k]["dtype"] != "BF16":
            a, b = header[k]["data_offsets"]
            keep[k] = dict(header[k], data_offsets=[pos, pos + b - a])
            parts.append(bytes(body[a:b]))
            pos += b - a
    head = json.dumps(keep).encode()
    return struct.pack("<Q", len(head)) + head + b"".join(parts)


def load_path(path, device="cpu"):
    """``{name: Tensor}`` from a ``.safetensors`` path, through ``safetensors.safe_open``."""
    st = _package()
    with _clear_errors(f"'{path}'"), st.safe_open(path, framework="numpy") as f:
        if any(f.get_slice(k).get_dtype() == "BF16" for k in f.keys()):
            with open(path, "rb") as fh:
                return _from_bytes(fh.read(), device)
        return _finish({k: f.get_tensor(k) for k in f.keys()}, device)


def _finish(arrays, device):
    dev = as_device(device)
    out = {}
    for k, arr in arrays.items():
        if not arr.flags.writeable:  # NOTE: the package may hand out read-only views of a buffer
            arr = arr.copy()
        out[k] = wrap(to_device(arr, dev))
    return out

"""``autocast``: the mixed-precision context as a switch (see ``ember.amp``: ember computes in
float32 inside it), with PyTorch's arguments, state queries and errors."""
import functools
import threading
import warnings

from ember import _dtype

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd",
           "is_autocast_enabled", "get_autocast_dtype", "set_autocast_enabled",
           "set_autocast_dtype"]

_DEVICES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
            "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
            "privateuseone")


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {"cpu": _dtype.float16, "cuda": _dtype.float16}


_STATE = _State()


def _device(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    base = device_type.split(":")[0]
    if base not in _DEVICES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICES)} device type at start of "
                           f"device string: {device_type}")
    return base


def is_autocast_available(device_type):
    """Whether ``autocast`` accepts ``device_type`` (``"cpu"`` and ``"cuda"``)."""
    return _device(device_type) in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    """Whether an ``autocast`` region for ``device_type`` (default ``"cuda"``) is active."""
    return _STATE.enabled.get("cuda" if device_type is None else _device(device_type), False)


def set_autocast_enabled(device_type, enabled=None):
    """Turn the ``device_type`` region on or off (``set_autocast_enabled(flag)`` means CUDA)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _STATE.enabled[_device(device_type)] = bool(enabled)


def get_autocast_dtype(device_type):
    """The lower-precision dtype ``autocast`` names for ``device_type``."""
    return _STATE.dtype.get(_device(device_type), _dtype.float16)


def set_autocast_dtype(device_type, dtype):
    _STATE.dtype[_device(device_type)] = dtype


class autocast:
    """A region (context manager or decorator) where PyTorch runs eligible ops in lower
    precision. Ember records the region (``is_autocast_enabled`` reports it) and computes in
    float32: see ``ember.amp``.

    Args:
        device_type (str): ``"cuda"`` or ``"cpu"``.
        dtype (ember.dtype, optional): the lower precision (PyTorch's defaults: float16 on CUDA,
            bfloat16 on CPU; ember, lacking bfloat16, reports float16).
        enabled (bool): whether the region is active.
        cache_enabled (bool, optional): accepted; ember keeps no cast cache.

    Example::

        with ember.autocast("cuda"):
            loss = model(x).sum()
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = _device(device_type)
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{self.device}'")
        self.fast_dtype = get_autocast_dtype(self.device) if dtype is None else dtype
        enabled = bool(enabled)
        # PyTorch disables (with a warning) a CUDA region without a GPU and a CPU region of a
        # dtype CPU autocast does not support
        if enabled and self.device == "cuda":
            from ember import cuda
            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", stacklevel=2)
                enabled = False
        elif enabled and self.fast_dtype != _dtype.float16:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of ember.bfloat16, "
                          "ember.float16 currently.", stacklevel=2)
            enabled = False
        self._enabled = enabled
        self.prev = None

    def __enter__(self):
        self.prev = (_STATE.enabled.get(self.device, False), get_autocast_dtype(self.device))
        _STATE.enabled[self.device] = self._enabled
        _STATE.dtype[self.device] = self.fast_dtype
        return self

    def __exit__(self, *exc):
        _STATE.enabled[self.device], _STATE.dtype[self.device] = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)
        return wrapper


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    """Decorator for a custom autograd Function's ``forward`` (nothing to cast in ember)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type="cuda"):
    """Decorator for a custom autograd Function's ``backward`` (nothing to cast in ember)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd

"""Top-level constants and process-wide settings of the torch namespace: ``e pi inf nan newaxis``,
the ``layout`` and ``memory_format`` objects, deterministic-algorithm and matmul-precision
switches, inter-op threads.

Ember's kernels are deterministic (NumPy reduces in a fixed order, and the threaded kernels
split work the same way on every run), and float32 products are always full precision, so these
settings change no results: they are kept and reported, as PyTorch's CPU build does for most of
them, so that scripts that set them run unchanged.
"""
import math

__all__ = ["e", "pi", "inf", "nan", "newaxis", "layout", "strided", "memory_format",
           "contiguous_format", "preserve_format", "channels_last", "channels_last_3d",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "get_num_interop_threads", "set_num_interop_threads",
           "set_flush_denormal"]

e, pi, inf, nan, newaxis = math.e, math.pi, math.inf, math.nan, None


class _Named:
    """A singleton constant of the namespace: printed as ``ember.<name>`` and pickled by name."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "ember." + self._name

    def __reduce__(self):
        return self._name


class layout(_Named):
    """A tensor's memory layout; ember has dense (``ember.strided``) tensors only."""


class memory_format(_Named):
    """How a dense tensor's elements are ordered in memory (``contiguous()``, ``clone()``,
    ``to()``, ``is_contiguous()``): ``ember.contiguous_format`` (row-major),
    ``channels_last`` (NHWC strides for a 4-d NCHW tensor), ``channels_last_3d`` (5-d) or
    ``preserve_format``."""


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

_settings = {"deterministic": False, "warn_only": False, "matmul_precision": "highest",
             "interop_threads": None}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms (every ember kernel already is one).

    Args:
        mode (bool): on or off.
        warn_only (bool): PyTorch warns instead of raising for an op without a deterministic
            implementation; ember has none such.
    """
    if not isinstance(mode, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    # NOTE: PyTorch keeps warn_only as given, even with the mode off
    _settings["deterministic"], _settings["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    """Whether :func:`use_deterministic_algorithms` is on."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """Whether :func:`use_deterministic_algorithms` was turned on with ``warn_only=True``."""
    return _settings["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """The same switch as a level: ``"default"`` / 0 (off), ``"warn"`` / 1, ``"error"`` / 2."""
    if isinstance(debug_mode, str):
        names = ("default", "warn", "error")
        if debug_mode not in names:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = names.index(debug_mode)
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError("invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0, 1 or 2: see :func:`set_deterministic_debug_mode`."""
    if not _settings["deterministic"]:
        return 0
    return 1 if _settings["warn_only"] else 2


def set_float32_matmul_precision(precision):
    """``"highest"``, ``"high"`` or ``"medium"``: the precision PyTorch may trade for speed in
    float32 products (TF32, bfloat16). Ember's products are always full float32; the setting is
    kept for :func:`get_float32_matmul_precision`. Another value warns and changes nothing."""
    if precision not in ("highest", "high", "medium"):
        import warnings
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    """The value last given to :func:`set_float32_matmul_precision` (``"highest"`` at first)."""
    return _settings["matmul_precision"]


def get_num_interop_threads():
    """Threads for running independent ops at once. Ember runs ops one after another (its
    kernels thread inside); reported as the number of cores, as PyTorch's default."""
    import os
    n = _settings["interop_threads"]
    return n if n is not None else (os.cpu_count() or 1)


def set_num_interop_threads(num):
    """Set the number :func:`get_num_interop_threads` reports (a positive int)."""
    if not isinstance(num, int):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got "
                           f"{type(num).__name__}")
    if num < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _settings["interop_threads"] = num


def set_flush_denormal(mode):
    """Whether denormal floats are flushed to zero: not supported by NumPy, so ``False`` (as
    PyTorch answers on a CPU without SSE3), and nothing changes."""
    return False

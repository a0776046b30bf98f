"""PyTorch's pooling entry points with its argument checks and messages: the ``torch.`` ones
(``torch.max_pool2d``, ``torch.avg_pool1d``, ``torch.adaptive_avg_pool1d`` ...) and those of
``torch._C._nn`` that ``nn.functional`` calls (``max_pool2d_with_indices``, ``avg_pool2d`` ...).

The arithmetic lives in ``pool.py`` and ``adaptive_pool.py``. The 1-d ops are PyTorch's
compositions (a 2-d pool of the input unsqueezed at -2), so their results, errors and grad_fn
(``SqueezeBackward1``) are PyTorch's.
"""
import numpy as np

from ember._ops import adaptive_pool, pool
from ember._ops.reduce import type_name

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d"]

_WORD = {1: "one", 2: "two", 3: "three"}


# ---- argument handling ---------------------------------------------------------------------------
def int_list(value, fn, arg, pos):
    """An int or a sequence of ints as a list (PyTorch's IntArrayRef), with its TypeErrors."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)]
    if isinstance(value, (tuple, list)):
        for v in value:
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos "
                                f"{pos} with error \"type must be tuple of ints,but got "
                                f"{type(v).__name__}\"")
        return [int(v) for v in value]
    raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be tuple of ints, not "
                    f"{type(value).__name__}")


def _cdiv(a, b):
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _sizes(t):
    return f"[{', '.join(map(str, t.shape))}]"


def _check_dtype(input, name, ints=True):
    kind = input._data.dtype.kind
    if kind == "b" or (not ints and kind in "iu") or kind == "c":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")


def _expand(name, nd, kernel, stride, padding, dilation, either=True):
    """Each argument as ``nd`` ints (stride defaults to the kernel), with PyTorch's messages."""
    w, e = _WORD[nd], "either " if either else ""
    if len(kernel) not in (1, nd):
        raise RuntimeError(f"{name}: kernel_size must {e}be a single int, or a tuple of {w} ints")
    if len(stride) not in (0, 1, nd):
        raise RuntimeError(f"{name}: stride must {e}be omitted, a single int, or a tuple of {w} "
                           "ints")
    if len(padding) not in (1, nd):
        raise RuntimeError(f"{name}: padding must {e}be a single int, or a tuple of {w} ints")
    if dilation is not None and len(dilation) not in (1, nd):
        raise RuntimeError(f"{name}: dilation must be either a single int, or a tuple of {w} ints")
    k = kernel * nd if len(kernel) == 1 else kernel
    s = k if not stride else (stride * nd if len(stride) == 1 else stride)
    p = padding * nd if len(padding) == 1 else padding
    d = [1] * nd if dilation is None else (dilation * nd if len(dilation) == 1 else dilation)
    return tuple(k), tuple(s), tuple(p), tuple(d)


def _out_shape(n, k, p, s, d, ceil):
    """PyTorch's ``pooling_output_shape`` with its checks."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > _cdiv((k - 1) * d + 1, 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                           f"kernel_size={k} and dilation={d}")
    return pool.out_size(n, k, p, s, d, ceil)


def _shape_check_2d(input, k, s, p, d, outs):
    """PyTorch's ``pool2d_shape_check``."""
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    sh = input.shape
    valid = sh[1] != 0 and sh[2] != 0
    if not ((len(sh) == 3 and sh[0] != 0 and valid) or (len(sh) == 4 and valid and sh[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{_sizes(input)}")
    if k[1] // 2 < p[1] or k[0] // 2 < p[0]:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if outs[0] < 1 or outs[1] < 1:
        c = sh[-3]
        raise RuntimeError(f"Given input size: ({c}x{sh[-2]}x{sh[-1]}). Calculated output size: "
                           f"({c}x{outs[0]}x{outs[1]}). Output size is too small")


def _shape_check_3d(input, k, s, p, d, outs, fn, check_input_size=False):
    """PyTorch's ``pool3d_shape_check``."""
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} "
                           f"kH: {k[1]} kW: {k[2]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} "
                           f"dW: {s[2]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} "
                           f"dilationH: {d[1]} dilationW: {d[2]}")
    sh = input.shape
    for i, n in enumerate(sh):
        if not (len(sh) == 5 and i == 0) and n <= 0:
            raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive "
                               f"length, but input has a shape of {_sizes(input)} and non-batch "
                               f"dimension {n} has length zero!")
    if check_input_size and (sh[-3] < k[0] or sh[-2] < k[1] or sh[-1] < k[2]):
        raise RuntimeError(f"input image (T: {sh[-3]} H: {sh[-2]} W: {sh[-1]}) smaller than "
                           f"kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if k[0] // 2 < p[0] or k[2] // 2 < p[2] or k[1] // 2 < p[1]:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} "
                           f"padH: {p[1]}")
    if min(outs) < 1:
        raise RuntimeError(f"Given input size: ({sh[-4]}x{sh[-3]}x{sh[-2]}x{sh[-1]}). Calculated "
                           f"output size: ({sh[-4]}x{outs[0]}x{outs[1]}x{outs[2]}). Output size "
                           "is too small")


def _window(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode, avg=False,
            divisor_override=None):
    """Validate a pool's arguments as PyTorch does; the ``pool.Window``."""
    kernel = int_list(kernel_size, name, "kernel_size", 2)
    stride = int_list(stride, name, "stride", 3) if stride is not None else []
    padding = int_list(padding, name, "padding", 4)
    dilation = None if avg else int_list(dilation, name, "dilation", 5)
    k, s, p, d = _expand(name, nd, kernel, stride, padding, dilation, either=not (avg and nd == 3))
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           "input")
    ins = tuple(input.shape[-nd:])
    outs = tuple(_out_shape(n, *a, ceil_mode) for n, *a in zip(ins, k, p, s, d))
    if nd == 2:
        _shape_check_2d(input, k, s, p, d, outs)
    else:
        fn = "avg_pool3d()" if avg else "max_pool3d_with_indices_out_cpu_template()"
        _shape_check_3d(input, k, s, p, d, outs, fn, check_input_size=avg)
    return pool.Window(ins, outs, k, s, p, d)


def _check1d(fn, arg, value, pos):
    v = int_list(value, fn, arg, pos)
    if len(v) != 1:
        raise RuntimeError(f"{fn}() argument '{arg}' should contain one int (got {len(v)})")
    return v


def _check_dim_range(input, fn, lo, hi):
    if not lo <= input.ndim < hi:
        raise RuntimeError(f"Expected {lo} to {hi - 1} dimensions, but got {input.ndim}-"
                           "dimensional tensor for argument #1 'self' (while checking arguments "
                           f"for {fn})")


# ---- max pooling ---------------------------------------------------------------------------------
def max_pool2d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``(values, indices)`` of 2-d max pooling (``torch._C._nn.max_pool2d_with_indices``)."""
    w = _window("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_dtype(input, "max_pool2d")
    return pool.max_pool(input, w)


def max_pool3d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``(values, indices)`` of 3-d max pooling."""
    w = _window("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_dtype(input, "max_pool3d")
    return pool.max_pool(input, w)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """2-d max pooling over the last two dims (see :class:`ember.nn.MaxPool2d`)."""
    w = _window("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_dtype(input, "max_pool2d")
    return pool.max_pool(input, w, with_indices=False)[0]


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """3-d max pooling over the last three dims (see :class:`ember.nn.MaxPool3d`)."""
    w = _window("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_dtype(input, "max_pool3d")
    return pool.max_pool(input, w, with_indices=False)[0]


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``(values, indices)`` of 1-d max pooling: 2-d pooling of the input unsqueezed at -2."""
    _check_dim_range(input, "max_pool1d", 2, 4)
    k = _check1d("max_pool1d", "kernel_size", kernel_size, 2)
    s = _check1d("max_pool1d", "stride", stride, 3) if stride not in (None, (), []) else k
    p = _check1d("max_pool1d", "padding", padding, 4)
    d = _check1d("max_pool1d", "dilation", dilation, 5)
    v, i = max_pool2d_with_indices(input.unsqueeze(-2), [1, k[0]], [1, s[0]], [0, p[0]],
                                   [1, d[0]], ceil_mode)
    return v.squeeze(-2), i.squeeze(-2)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """1-d max pooling over the last dim (see :class:`ember.nn.MaxPool1d`)."""
    sh = input.shape
    if not ((input.ndim == 2 and sh[0] != 0 and sh[1] != 0)
            or (input.ndim == 3 and sh[1] != 0 and sh[2] != 0)):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{_sizes(input)}")
    k = int_list(kernel_size, "max_pool1d", "kernel_size", 2)
    s = int_list(stride, "max_pool1d", "stride", 3) if stride is not None else []
    p = int_list(padding, "max_pool1d", "padding", 4)
    d = int_list(dilation, "max_pool1d", "dilation", 5)
    msg = "max_pool1d() {} must be {} but got size {}"
    if len(k) != 1:
        raise RuntimeError(msg.format("kernel_size", "an int, list of ints or tuple of ints of "
                                      "size 1", len(k)))
    if len(s) > 1:
        raise RuntimeError(msg.format("stride", "None, an int, list of ints, or tuple of ints of "
                                      "size 1", len(s)))
    if len(p) != 1:
        raise RuntimeError(msg.format("padding", "an int, list of ints, or tuple of ints of size "
                                      "1", len(p)))
    if len(d) != 1:
        raise RuntimeError(msg.format("dilation", "an int, list of ints or tuple of ints of size 1",
                                      len(d)))
    s = s or k
    if k[0] <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k[0]}")
    if s[0] <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s[0]}")
    if p[0] < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p[0]}")
    if p[0] > k[0] // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p[0]} and kernel_size={k[0]}")
    if d[0] <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d[0]}")
    ow = pool.out_size(sh[-1], k[0], p[0], s[0], d[0], ceil_mode)
    if ow <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {ow}")
    if input.requires_grad:
        return max_pool1d_with_indices(input, k, s, p, d, ceil_mode)[0]
    _check_dtype(input, "max_pool1d_impl", ints=False)
    w = pool.Window(sh[-1:], (ow,), tuple(k), tuple(s), tuple(p), tuple(d))
    return pool.max_pool(input, w, with_indices=False)[0]


# ---- average pooling -----------------------------------------------------------------------------
def _avg(name, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
         divisor_override):
    w = _window(name, nd, input, kernel_size, stride, padding, 1, ceil_mode, avg=True,
                divisor_override=divisor_override)
    _check_dtype(input, name)
    return pool.avg_pool(input, w, pool.avg_divisor(w, count_include_pad, divisor_override))


def avg_pool2d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling over the last two dims (see :class:`ember.nn.AvgPool2d`)."""
    return _avg("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling over the last three dims (see :class:`ember.nn.AvgPool3d`)."""
    return _avg("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling over the last dim (see :class:`ember.nn.AvgPool1d`)."""
    _check_dim_range(input, "avg_pool1d", 2, 4)
    k = _check1d("avg_pool1d", "kernel_size", kernel_size, 2)
    s = _check1d("avg_pool1d", "stride", stride, 3) if stride not in (None, (), []) else k
    p = _check1d("avg_pool1d", "padding", padding, 4)
    return avg_pool2d(input.unsqueeze(-2), [1, k[0]], [1, s[0]], [0, p[0]], ceil_mode,
                      count_include_pad).squeeze(-2)


# ---- adaptive pooling ----------------------------------------------------------------------------
def adaptive_avg_pool2d(input, output_size):
    """Adaptive average pooling of the last two dims to ``output_size`` (two ints)."""
    return _adaptive_avg(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive average pooling of the last three dims to ``output_size`` (three ints)."""
    return _adaptive_avg(input, output_size, 3)


def _adaptive_avg(input, output_size, nd):
    name = f"adaptive_avg_pool{nd}d"
    outs = int_list(output_size, name, "output_size", 2)
    if not isinstance(output_size, (tuple, list)):  # an int[nd] argument: one int stands for all
        outs = outs * nd
    if len(outs) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    if min(outs) < 0:
        got = (", " if nd == 2 else ",").join(map(str, outs))
        if nd == 3:
            got = f"{outs[0]}, " + ",".join(map(str, outs[1:]))
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{got}}}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{_sizes(input)}")
    dims = range(input.ndim - 2, input.ndim) if nd == 2 else range(1, input.ndim)
    for i in dims:
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_sizes(input)} with dimension "
                               f"{i} being empty")
    _check_dtype(input, name, ints=False)
    return adaptive_pool.adaptive_avg_pool(input, tuple(outs))


def adaptive_max_pool2d(input, output_size):
    """``(values, indices)`` of adaptive max pooling of the last two dims."""
    return _adaptive_max(input, output_size, 2)


def adaptive_max_pool3d(input, output_size):
    """``(values, indices)`` of adaptive max pooling of the last three dims."""
    return _adaptive_max(input, output_size, 3)


def _adaptive_max(input, output_size, nd):
    name = f"adaptive_max_pool{nd}d"
    outs = int_list(output_size, name, "output_size", 2)
    if not isinstance(output_size, (tuple, list)):  # an int[nd] argument: one int stands for all
        outs = outs * nd
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{_sizes(input)}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_sizes(input)} with dimension "
                               f"{i} being empty")
    if len(outs) != nd:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    if min(outs) < 0:
        shape = list(input.shape[:-nd]) + outs
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(outs)}: {shape}")
    _check_dtype(input, name, ints=False)
    return adaptive_pool.adaptive_max_pool(input, tuple(outs))


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling of the last dim to ``output_size``."""
    _check_dim_range(input, "adaptive_avg_pool1d", 2, 4)
    o = _check1d("adaptive_avg_pool1d", "output_size", output_size, 2)
    return adaptive_avg_pool2d(input.unsqueeze(-2), [1, o[0]]).squeeze(-2)


def adaptive_max_pool1d(input, output_size):
    """``(values, indices)`` of adaptive max pooling of the last dim."""
    _check_dim_range(input, "adaptive_max_pool1d", 2, 4)
    o = _check1d("adaptive_max_pool1d", "output_size", output_size, 2)
    v, i = adaptive_max_pool2d(input.unsqueeze(-2), [1, o[0]])
    return v.squeeze(-2), i.squeeze(-2)


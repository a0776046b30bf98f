"""Pooling: ``F.max_pool1d/2d/3d``, ``F.avg_pool1d/2d/3d``, ``F.max_unpool1d/2d/3d``,
``F.lp_pool1d/2d/3d`` and the adaptive pools, with ``torch.nn.functional``'s signatures.

``return_indices`` picks between the ``*_with_indices`` form (a ``(values, indices)`` pair) and the
plain one, like PyTorch's ``boolean_dispatch``. The primitives are in ``ember/_ops/pool.py``.
"""
from ember._ops import pool, pool_api
from ember._ops.pool_api import adaptive_avg_pool1d, avg_pool1d  # noqa: F401
from ember._ops.reduce import type_name

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_avg_pool3d"]


def _stride(stride):
    return [] if stride is None else stride


# ---- max pooling ---------------------------------------------------------------------------------
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``(values, indices)`` of :func:`max_pool1d`."""
    return pool_api.max_pool1d_with_indices(input, kernel_size, _stride(stride), padding, dilation,
                                            ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``(values, indices)`` of :func:`max_pool2d`; indices are flat positions in each
    ``H * W`` input plane (what :func:`max_unpool2d` takes)."""
    return pool_api.max_pool2d_with_indices(input, kernel_size, _stride(stride), padding, dilation,
                                            ceil_mode)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``(values, indices)`` of :func:`max_pool3d`."""
    return pool_api.max_pool3d_with_indices(input, kernel_size, _stride(stride), padding, dilation,
                                            ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling over the last dim of a ``(N, C, L)`` or ``(C, L)`` input.

    Args:
        kernel_size: the window size.
        stride: the window step. Default: ``kernel_size``.
        padding: implicit -inf padding on both sides, at most half the kernel size.
        dilation: the step between the elements of a window.
        ceil_mode: round the output size up (a last window may hang over the end).
        return_indices: also return the position of each maximum.

    Example::

        F.max_pool1d(ember.tensor([[[1., 3., 2., 5.]]]), 2)    # tensor([[[3., 5.]]])
    """
    if return_indices:
        return pool_api.max_pool1d_with_indices(input, kernel_size, _stride(stride), padding,
                                                dilation, ceil_mode)
    return pool_api.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling over the last two dims of a ``(N, C, H, W)`` or ``(C, H, W)`` input
    (see :class:`ember.nn.MaxPool2d` for the arguments and output size).

    Example::

        F.max_pool2d(ember.randn(1, 3, 8, 8), 2).shape    # ember.Size([1, 3, 4, 4])
    """
    if return_indices:
        return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return pool_api.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling over the last three dims of a ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    input (see :class:`ember.nn.MaxPool3d`)."""
    if return_indices:
        return max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return pool_api.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


# ---- max unpooling -------------------------------------------------------------------------------
def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """PyTorch's default (or checked) output size of a max unpooling."""
    nd = len(kernel_size)
    default = [(input.size()[-nd + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(nd)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{lo} and {hi})")
        ret = output_size
    for d in range(nd):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return list(ret)


def _tuple(x, n):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,) * n


def _max_unpool(input, indices, output_size, nd):
    name = f"max_unpooling{nd}d"
    if indices._data.dtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{type_name(indices._data.dtype)}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to {name} should be a {nd + 1}d or {nd + 2}d Tensor, but got a "
                           f"tensor with {input.ndim} dimensions.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but got {list(input.shape)} with "
                               f"dimension {i} being empty.")
    return pool.max_unpool(input, indices, tuple(output_size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool1d`: each value written back at its index, zeros
    elsewhere (see :class:`ember.nn.MaxUnpool1d`)."""
    k = _tuple(kernel_size, 1)
    s = _tuple(stride, 1) if stride is not None else k
    size = _unpool_output_size(input, k, s, _tuple(padding, 1), output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1], 2).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d` (see :class:`ember.nn.MaxUnpool2d`).

    Example::

        out, idx = F.max_pool2d(x, 2, return_indices=True)
        F.max_unpool2d(out, idx, 2)    # x's maxima in place, zeros elsewhere
    """
    k = _tuple(kernel_size, 2)
    s = _tuple(stride, 2) if stride is not None else k
    size = _unpool_output_size(input, k, s, _tuple(padding, 2), output_size)
    return _max_unpool(input, indices, size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool3d` (see :class:`ember.nn.MaxUnpool3d`)."""
    k = _tuple(kernel_size, 3)
    s = _tuple(stride, 3) if stride is not None else k
    size = _unpool_output_size(input, k, s, _tuple(padding, 3), output_size)
    return _max_unpool(input, indices, size, 3)


# ---- average pooling -----------------------------------------------------------------------------
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-d average pooling over the last two dims (see :class:`ember.nn.AvgPool2d`).

    Example::

        F.avg_pool2d(ember.ones(1, 1, 4, 4), 2, padding=1)    # 0.25 in the corners
    """
    return pool_api.avg_pool2d(input, kernel_size, _stride(stride), padding, ceil_mode,
                               count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-d average pooling over the last three dims (see :class:`ember.nn.AvgPool3d`)."""
    return pool_api.avg_pool3d(input, kernel_size, _stride(stride), padding, ceil_mode,
                               count_include_pad, divisor_override)


# ---- power-average pooling -----------------------------------------------------------------------
def _lp_finish(out, norm_type, numel):
    # PyTorch's formula: sign * relu(abs) keeps a zero sum's gradient at zero
    return (out.sign() * out.abs().relu()).mul(numel).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over each window of x ** p) ** (1 / p)`` along the last dim (see
    :class:`ember.nn.LPPool1d`); ``p = inf`` is max pooling of ``abs(x)``."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool1d(input.pow(norm_type), kernel_size, _stride(stride), 0, ceil_mode)
    return _lp_finish(out, norm_type, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over each window of x ** p) ** (1 / p)`` over the last two dims (see
    :class:`ember.nn.LPPool2d`)."""
    kw, kh = _tuple(kernel_size, 2)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kw * kh)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over each window of x ** p) ** (1 / p)`` over the last three dims."""
    kd, kw, kh = _tuple(kernel_size, 3)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kd * kw * kh)


# ---- adaptive pooling ----------------------------------------------------------------------------
def _list_with_default(out_size, defaults):
    """``None`` entries of ``output_size`` keep the input's size (PyTorch's helper)."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d
            for v, d in zip(out_size, list(defaults)[-len(out_size):])]


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size whatever the input size: output ``i`` of a dim of
    size ``n`` averages inputs ``floor(i * n / out)`` to ``ceil((i + 1) * n / out) - 1``.

    Args:
        output_size: an int or two (``None`` keeps that dim's size).

    Example::

        F.adaptive_avg_pool2d(ember.randn(2, 8, 7, 9), 1).shape    # ember.Size([2, 8, 1, 1])
    """
    return pool_api.adaptive_avg_pool2d(input, _list_with_default(output_size, input.size()))


def adaptive_avg_pool3d(input, output_size):
    """Adaptive average pooling over the last three dims (see :func:`adaptive_avg_pool2d`)."""
    return pool_api.adaptive_avg_pool3d(input, _list_with_default(output_size, input.size()))


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of :func:`adaptive_max_pool1d`."""
    return pool_api.adaptive_max_pool1d(input, output_size)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of :func:`adaptive_max_pool2d`."""
    return pool_api.adaptive_max_pool2d(input, _list_with_default(output_size, input.size()))


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of :func:`adaptive_max_pool3d`."""
    return pool_api.adaptive_max_pool3d(input, _list_with_default(output_size, input.size()))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of the last dim to ``output_size`` positions (adaptive windows as in
    :func:`adaptive_avg_pool2d`)."""
    r = adaptive_max_pool1d_with_indices(input, output_size)
    return r if return_indices else r[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of the last two dims to ``output_size`` (adaptive windows as in
    :func:`adaptive_avg_pool2d`).

    Example::

        F.adaptive_max_pool2d(ember.randn(1, 3, 10, 7), (3, 3)).shape    # ember.Size([1, 3, 3, 3])
    """
    r = adaptive_max_pool2d_with_indices(input, output_size)
    return r if return_indices else r[0]


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of the last three dims to ``output_size``."""
    r = adaptive_max_pool3d_with_indices(input, output_size)
    return r if return_indices else r[0]


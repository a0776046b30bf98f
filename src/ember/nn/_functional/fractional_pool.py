"""Fractional max pooling (Graham, 2014, https://arxiv.org/abs/1412.6071) as PyTorch's
``aten/src/ATen/native/FractionalMaxPool2d.cpp``: each plane draws two samples ``u`` in [0, 1) (one
for the width, one for the height) that fix the windows' start offsets
``int((i + u) * alpha) - int(u * alpha)``, ``alpha = (in - k) / (out - 1)``, the last window ending
at the input's edge. The offsets are computed in the input's dtype, as PyTorch does, so given the
same ``_random_samples`` the windows match exactly. The output is a gather of the input at the
windows' argmax, so its gradient (a scatter-add) comes from ``gather``."""
import numpy as np

from ember._backend import xp_of
from ember._ops.reduce import type_name
from ember._tensor import wrap
from ember.autograd.grad_mode import STATE

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices"]


def _pair(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x, x)


def _intervals(xp, sample, in_size, out_size, pool):
    """The windows' start offsets, ``(*sample.shape, out_size)`` int64, as PyTorch's
    ``generate_intervals`` (float arithmetic in the samples' dtype)."""
    seq = xp.empty(sample.shape + (out_size,), np.int64)
    if out_size > 1:
        dt = sample.dtype.type
        alpha = dt(in_size - pool) / dt(out_size - 1)
        i = xp.arange(out_size - 1, dtype=sample.dtype)
        u = sample[..., None]
        seq[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out_size > 0:
        seq[..., -1] = in_size - pool
    return seq


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool2d` that always returns ``(output, indices)``."""
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is None:
        if isinstance(output_ratio, (tuple, list)) and len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single "
                             "Int or tuple of Ints.")
        ratio = _pair(output_ratio)
        output_size = [int(input.shape[-2] * ratio[0]), int(input.shape[-1] * ratio[1])]
    if _random_samples is None:
        from ember._ops.random import rand
        n_batch = 1 if input.dim() == 3 else input.size(0)
        _random_samples = rand(n_batch, input.size(-3), 2, dtype=input.dtype, device=input.device)
    ks, os_ = _pair(kernel_size), _pair(output_size)
    if len(ks) != 2:
        raise RuntimeError("fractional_max_pool2d: kernel_size must either be a single Int or "
                           "tuple of Ints")
    if len(os_) != 2:
        raise RuntimeError("fractional_max_pool2d: output_size must either be a single Int or "
                           "tuple of Ints")
    if STATE.enabled and _random_samples.requires_grad:
        raise RuntimeError("The function 'fractional_max_pool2d' is not differentiable with "
                           "respect to argument 'random_samples'. This input cannot have "
                           "requires_grad True.")
    xd = input._data
    nd = xd.ndim
    if nd not in (3, 4):
        raise RuntimeError(f"fractional_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(xd.shape)}")
    for i in range(1, nd):
        if xd.shape[i] == 0:
            raise RuntimeError("fractional_max_pool2d(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got{list(xd.shape)} with dimension {i} "
                               "being empty.")
    (kh, kw), (oh, ow) = ks, os_
    h, w = xd.shape[-2:]
    if oh + kh - 1 > h:
        raise RuntimeError(f"fractional_max_pool2d(): pool height {kh} too large relative to "
                           f"input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d(): pool width {kw} too large relative to input "
                           f"width {w}")
    n, c = (1, xd.shape[0]) if nd == 3 else xd.shape[:2]
    # PyTorch's checks of the samples (its fractional_max_pool_check_shape), then of the dtype
    sd = _random_samples._data
    if sd.dtype != xd.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if sd.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {sd.ndim}")
    if sd.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if sd.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if sd.shape[2] != 2:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to 2; got {sd.shape[2]}.")
    if xd.dtype.kind != "f":
        raise NotImplementedError("\"fractional_max_pool2d_out_frame\" not implemented for "
                                  f"'{type_name(xd.dtype)}'")
    xp = xp_of(xd)
    sd = sd[:n]
    rows = _intervals(xp, sd[..., 1], h, oh, kh)  # (N, C, oH): samples[..., 1] is the height's
    cols = _intervals(xp, sd[..., 0], w, ow, kw)
    ri = rows[..., :, None, None, None] + xp.arange(kh)[:, None]  # (N, C, oH, 1, kH, 1)
    ci = cols[..., None, :, None, None] + xp.arange(kw)  # (N, C, 1, oW, 1, kW)
    x4 = xd.reshape(n, c, h * w)
    flat = (ri * w + ci).reshape(n, c, oh * ow * kh * kw)
    win = xp.take_along_axis(x4, flat, 2).reshape(n, c, oh, ow, kh * kw)
    k = win.argmax(-1)
    # NOTE: PyTorch's scan takes every NaN it meets (``val > max || isnan(val)``), so a window
    # with NaNs points at its last one, where argmax gives the first
    nan = xp.isnan(win)
    if nan.any():
        last = kh * kw - 1 - nan[..., ::-1].argmax(-1)
        k = xp.where(nan.any(-1), last, k)
    idx = (rows[..., :, None] + k // kw) * w + cols[..., None, :] + k % kw  # (N, C, oH, oW)
    out = input.reshape(n, c, h * w).gather(2, wrap(idx.reshape(n, c, oh * ow)))
    shape = (c, oh, ow) if nd == 3 else (n, c, oh, ow)
    return out.reshape(shape), wrap(idx.reshape(shape))


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """2-D fractional max pooling: max over ``kernel_size`` windows at pseudo-random increasing
    offsets, so that the output has ``output_size`` (or ``output_ratio`` times the input size).

    Args:
        input (Tensor): ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size (int or tuple): the window ``(kH, kW)``.
        output_size (int or tuple, optional): ``(oH, oW)``.
        output_ratio (float or tuple, optional): the output size as a fraction of the input's.
        return_indices (bool): also return the argmax (flat ``h * W + w``, for ``max_unpool2d``).
        _random_samples (Tensor, optional): ``(N, C, 2)`` samples in [0, 1) of the input's dtype;
            drawn from ember's generator when not given.

    Example::

        >>> F.fractional_max_pool2d(ember.randn(2, 3, 10, 9), 3, output_size=(4, 5)).shape
        ember.Size([2, 3, 4, 5])
    """
    out, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                  return_indices, _random_samples)
    return (out, idx) if return_indices else out

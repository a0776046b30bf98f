"""Resizing and rearranging images: ``F.interpolate`` (and its deprecated aliases ``F.upsample``,
``F.upsample_nearest``, ``F.upsample_bilinear``), ``F.pixel_shuffle``, ``F.pixel_unshuffle``.

``interpolate`` follows ``torch.nn.functional.interpolate`` step by step (argument checks, the
choice between a user's scale factor and a recomputed one, the mode / rank table); the resampling
itself is one primitive in ``ember/_ops/upsample.py``.
"""
import warnings

import numpy as np

from ember._ops import upsample as _up
from ember._ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from ember._ops.pool_api import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from ember._ops.reduce import type_name
from ember._tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]

_MODES = ("nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact")
# the kernel PyTorch names when it refuses an integer input, by (mode, spatial dims)
_KERNEL = {("nearest", 2): "upsample_nearest2d_channels_last",
           ("nearest-exact", 2): "upsample_nearest2d_channels_last",
           ("bilinear", 2): "upsample_bilinear2d_channels_last",
           ("bicubic", 2): "compute_indices_weights_cubic"}


def _is_integer(x):
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return True
    return isinstance(x, Tensor) and not x.is_floating_point()


def _resample(input, output_size, scale_factors, mode, align_corners):
    """The C++ ``upsample_*`` ops: output size from the scale factors when no size is given, the
    size checks, then the primitive."""
    nd = input.ndim - 2
    ins = tuple(input.shape[2:])
    if output_size is None:
        output_size = [_up.size_of(n, s) for n, s in zip(ins, scale_factors)]
    outs = tuple(int(o) for o in output_size)
    names = "DHW"[3 - nd:]
    if min(ins) <= 0 or min(outs) <= 0:
        i = ", ".join(f"{c}: {n}" for c, n in zip(names, ins))
        o = ", ".join(f"{c}: {n}" for c, n in zip(names, outs))
        sep = " and" if nd == 1 else ""
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"({i}){sep} output ({o})")
    if input.numel() == 0 and 0 in input.shape[1:]:
        raise RuntimeError(f"Non-empty {nd + 2}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    dt = input._data.dtype
    if dt.kind not in "f":
        kind = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
                "bicubic": "cubic"}.get(mode, "nearest")
        if mode.endswith("-aa"):
            kind = f"aa_{mode[:-3]}"
        kernel = _KERNEL.get((mode, nd), f"compute_indices_weights_{kind}")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(dt)}\'')
    scales = scale_factors if scale_factors is not None else [None] * nd
    plans = _up.plans_for(mode, ins, outs, scales, align_corners, dt)
    return _up.resample(input, plans, mode)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` input to
    ``size`` or by ``scale_factor``.

    Args:
        input: the tensor to resize.
        size: the output spatial size (an int or one per spatial dim).
        scale_factor: a multiplier of the spatial size (a float or one per dim); the output size is
            ``floor(input size * scale_factor)``.
        mode: ``'nearest'`` (source index ``floor(dst * in / out)``, PyTorch's historical rule),
            ``'nearest-exact'`` (``floor((dst + 0.5) * in / out)``), ``'linear'`` (3-D input),
            ``'bilinear'`` (4-D), ``'bicubic'`` (4-D), ``'trilinear'`` (5-D) or ``'area'``
            (adaptive average pooling). Default: ``'nearest'``.
        align_corners: for the interpolating modes: map the corner pixels' centres onto each other
            (``True``) or the corner pixels' outer edges (``False``, the default).
        recompute_scale_factor: compute the sampling step from the output size rather than from
            the given ``scale_factor``.
        antialias: for 'bilinear' and 'bicubic': when shrinking, average over the whole
            footprint of each output pixel (as PIL) instead of sampling, which avoids aliasing.

    Shape:
        - Input: :math:`(N, C, *in)`; Output: :math:`(N, C, *out)`

    Example::

        x = ember.arange(4.).reshape(1, 1, 2, 2)
        F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial "
                                 "dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                                 "size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(x) for x in size]}")
            output_size = size
        else:
            output_size = [size for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial "
                                 "dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, "
                                 "...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = scale_factor
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if output_size is not None:
        output_size = [int(s) for s in output_size]
    if scale_factors is not None:
        scale_factors = [float(s) for s in scale_factors]
    ok = {3: ("nearest", "nearest-exact", "area", "linear"),
          4: ("nearest", "nearest-exact", "area", "bilinear", "bicubic"),
          5: ("nearest", "nearest-exact", "area", "trilinear")}
    if mode in ok.get(input.dim(), ()):
        if mode == "area":
            return (adaptive_avg_pool1d, adaptive_avg_pool2d,
                    adaptive_avg_pool3d)[dim - 1](input, output_size)
        return _resample(input, output_size, scale_factors, mode + ("-aa" if antialias else ""),
                         align_corners)
    if input.dim() == 4 and mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        raise NotImplementedError("interpolate(mode='lanczos') is not supported by ember")
    need = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if input.dim() in (3, 4, 5) and need.get(mode, input.dim()) != input.dim():
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{need[mode]}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                              f"{input.dim()}D) for the modes: {_MODES} (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

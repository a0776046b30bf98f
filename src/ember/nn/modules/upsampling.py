"""Upsampling layers, as ``torch/nn/modules/upsampling.py``: ``Upsample`` (all of
``F.interpolate``'s modes) and the fixed-mode ``UpsamplingNearest2d`` / ``UpsamplingBilinear2d``."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resize the spatial dims of a 3-D, 4-D or 5-D input (see
    :func:`ember.nn.functional.interpolate`).

    Args:
        size: the output spatial size (an int or one per spatial dim).
        scale_factor: a multiplier of the spatial size (a float or one per dim).
        mode: ``'nearest'`` (default), ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
            ``'bicubic'`` or ``'trilinear'``.
        align_corners: for the interpolating modes, align the corner pixels' centres.
        recompute_scale_factor: derive the sampling step from the output size.

    Shape:
        - Input: :math:`(N, C, W_{in})`, :math:`(N, C, H_{in}, W_{in})` or
          :math:`(N, C, D_{in}, H_{in}, W_{in})`
        - Output: the same with each spatial size ``size`` or ``floor(in * scale_factor)``

    Example::

        nn.Upsample(scale_factor=2, mode='bilinear')(ember.randn(1, 3, 4, 4)).shape
        # ember.Size([1, 3, 8, 8])
    """

    __constants__ = ["size", "scale_factor", "mode", "align_corners", "name",
                     "recompute_scale_factor"]

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def __setstate__(self, state):
        if "recompute_scale_factor" not in state:
            state["recompute_scale_factor"] = True
        super().__setstate__(state)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        info += ", mode=" + repr(self.mode)
        return info


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of 4-D input (``Upsample(mode='nearest')``).

    Example::

        nn.UpsamplingNearest2d(scale_factor=2)(ember.arange(4.).reshape(1, 1, 2, 2))
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of 4-D input with ``align_corners=True``.

    Example::

        nn.UpsamplingBilinear2d(scale_factor=2)(ember.arange(4.).reshape(1, 1, 2, 2))
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)

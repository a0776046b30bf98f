"""``PixelShuffle`` and ``PixelUnshuffle``: trade channels for spatial resolution and back."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Rearrange ``(*, C * r**2, H, W)`` into ``(*, C, H * r, W * r)`` (efficient sub-pixel
    convolution, Shi et al., 2016).

    Args:
        upscale_factor (int): ``r``, the factor to increase the spatial resolution by.

    Example::

        nn.PixelShuffle(3)(ember.randn(1, 9, 4, 4)).shape    # ember.Size([1, 1, 12, 12])
    """

    __constants__ = ["upscale_factor"]

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of :class:`PixelShuffle`: ``(*, C, H * r, W * r)`` to ``(*, C * r**2, H, W)``.

    Args:
        downscale_factor (int): ``r``, the factor to decrease the spatial resolution by.

    Example::

        nn.PixelUnshuffle(3)(ember.randn(1, 1, 12, 12)).shape    # ember.Size([1, 9, 4, 4])
    """

    __constants__ = ["downscale_factor"]

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"

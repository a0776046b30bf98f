"""``pixel_shuffle`` and ``pixel_unshuffle`` (``torch.pixel_shuffle``, ``F.pixel_shuffle``):
trade channels for spatial resolution and back. A reshape, a permutation and a reshape, so the
gradients (and double backward) come from those ops."""
import numpy as np

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _factor(name, arg, r, input):
    """The factor ``r`` as an int, after PyTorch's checks of it and of ``input``, in its order."""
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be int, not "
                        f"{type(r).__name__}")
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {arg}, but got {r}")
    return int(r)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r**2, H, W)`` into ``(*, C, H * r, W * r)``: each group of ``r**2``
    channels becomes an ``r x r`` block of pixels (sub-pixel convolution's last step).

    Example::

        F.pixel_shuffle(ember.randn(1, 9, 4, 4), 3).shape    # ember.Size([1, 1, 12, 12])
    """
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor, input)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of :func:`pixel_shuffle`: ``(*, C, H * r, W * r)`` to ``(*, C * r**2, H, W)``.

    Example::

        F.pixel_unshuffle(ember.randn(1, 1, 12, 12), 3).shape    # ember.Size([1, 9, 4, 4])
    """
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor, input)
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)

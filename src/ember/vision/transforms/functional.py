"""Functional transforms, like ``torchvision.transforms.functional`` (imported as ``F``).

Images are ember tensors of shape ``(..., C, H, W)`` (any number of leading dims); ``to_tensor`` and
``pil_to_tensor`` also take NumPy ``(H, W, C)`` arrays and PIL images (Pillow is optional and only
imported when a PIL image is passed).

Example::

    from ember.vision.transforms import functional as F
    img = F.resize(ember.rand(3, 32, 48), [16, 24])
"""
import math
import numbers
import sys
from enum import Enum

import numpy as np

import ember
from ember.vision.transforms import _functional_tensor as F_t
from ember.vision.transforms._functional_tensor import convert_image_dtype, get_dimensions

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
           "to_tensor", "pil_to_tensor", "convert_image_dtype", "normalize", "resize", "pad",
           "crop", "center_crop", "resized_crop", "hflip", "vflip", "rgb_to_grayscale",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "adjust_gamma", "invert", "gaussian_blur", "rotate", "affine", "erase"]


class InterpolationMode(Enum):
    """Interpolation modes; tensors support NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"  # PIL only
    HAMMING = "hamming"  # PIL only
    LANCZOS = "lanczos"  # PIL only


_PIL_CODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
              3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
              5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation_mode(interpolation):
    """An InterpolationMode from itself or from a Pillow integer constant."""
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        return _PIL_CODES[interpolation]
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    return interpolation


def _is_pil_image(img):
    if "PIL.Image" not in sys.modules:  # NOTE: never import Pillow just to check a type
        return False
    return isinstance(img, sys.modules["PIL.Image"].Image)


def get_image_size(img):
    """``[width, height]`` of an image tensor."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    """The number of channels of an image tensor (1 for a 2-D tensor)."""
    return get_dimensions(img)[0]


def to_tensor(pic):
    """Convert a PIL image or a NumPy ``(H, W, C)`` / ``(H, W)`` array to a ``(C, H, W)`` tensor;
    uint8 data is scaled to floats in [0, 1], other dtypes are kept as they are.

    Args:
        pic (PIL Image or numpy.ndarray): the image.

    Example::

        F.to_tensor(np.zeros((4, 5, 3), np.uint8)).shape  # ember.Size([3, 4, 5])
    """
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = ember.from_numpy(np.ascontiguousarray(pic.transpose((2, 0, 1))))
    else:
        nptype = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                  "F": np.float32}.get(pic.mode, np.uint8)
        arr = np.array(pic, nptype, copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        img = ember.from_numpy(np.ascontiguousarray(arr.transpose((2, 0, 1))))
    if img.dtype == ember.uint8:
        return img.to(dtype=ember.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic):
    """Convert a PIL image to a ``(C, H, W)`` tensor of the same dtype (no scaling).

    Args:
        pic (PIL Image): the image.
    """
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return ember.from_numpy(arr).permute((2, 0, 1))


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor.

    Args:
        tensor (Tensor): the image; mean, std (sequence): per channel; inplace (bool).

    Example::

        F.normalize(ember.rand(3, 4, 4), [0.5] * 3, [0.25] * 3)
    """
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    F_t.assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def _resized_size(image_size, size, max_size=None):
    h, w = image_size
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize an image tensor with ``interpolate``.

    Args:
        img (Tensor): ``(..., C, H, W)``; integer images are resized in float32 and rounded back.
        size (int or sequence): ``(h, w)``, or the length of the smaller edge (aspect kept).
        interpolation (InterpolationMode): NEAREST, NEAREST_EXACT, BILINEAR or BICUBIC.
        max_size (int, optional): bound on the longer edge when ``size`` is one number.
        antialias (bool): antialiased (PIL-like) downscaling for BILINEAR and BICUBIC.

    Example::

        F.resize(ember.rand(3, 8, 12), 4).shape  # ember.Size([3, 4, 6])
    """
    interpolation = _interpolation_mode(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1 in "
                             "torchscript mode.")
    elif not isinstance(size, int):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT,
                             InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor "
                         "input")
    _, h, w = get_dimensions(img)
    out = _resized_size((h, w), [size] if isinstance(size, int) else list(size), max_size)
    if [h, w] == out:
        return img
    return F_t.resize(img, out, interpolation.value, antialias)


def _parse_padding(padding):
    """torchvision's padding forms (int, [all], [lr, tb], [l, t, r, b]) as [l, r, t, b]."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the last two dims of an image tensor.

    Args:
        img (Tensor): ``(..., H, W)``.
        padding (int or sequence): all sides, (left/right, top/bottom) or (left, top, right, bottom).
        fill (number): the value for ``padding_mode='constant'``.
        padding_mode (str): 'constant', 'edge', 'reflect' or 'symmetric'.

    Example::

        F.pad(ember.rand(3, 4, 4), [1, 2]).shape  # ember.Size([3, 8, 6])
    """
    F_t.assert_image_tensor(img)
    fill = 0 if fill is None else fill
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return F_t.pad(img, _parse_padding(padding), fill, padding_mode)


def crop(img, top, left, height, width):
    """``img[..., top:top + height, left:left + width]``, zero-padded where the box leaves the image.

    Example::

        F.crop(ember.rand(3, 8, 8), 2, 1, 4, 5).shape  # ember.Size([3, 4, 5])
    """
    F_t.assert_image_tensor(img)
    return F_t.crop(img, top, left, height, width)


def center_crop(img, output_size):
    """Crop the centre ``output_size`` (int or (h, w)), zero-padding a too small image first.

    Example::

        F.center_crop(ember.rand(3, 8, 8), 4).shape  # ember.Size([3, 4, 4])
    """
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return crop(img, top, left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """Flip the image left to right (the last dim)."""
    F_t.assert_image_tensor(img)
    return img.flip(-1)


def vflip(img):
    """Flip the image top to bottom (dim -2)."""
    F_t.assert_image_tensor(img)
    return img.flip(-2)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` of an RGB ``(..., 3, H, W)`` image, as 1 or 3 channels.

    Example::

        F.rgb_to_grayscale(ember.rand(3, 4, 4)).shape  # ember.Size([1, 4, 4])
    """
    F_t.assert_image_tensor(img)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def _color_checks(img, factor, name):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")
    F_t.assert_image_tensor(img)
    F_t.assert_channels(img, [1, 3])


def adjust_brightness(img, brightness_factor):
    """Blend with black: 0 gives black, 1 the image, 2 twice as bright (clamped)."""
    _color_checks(img, brightness_factor, "brightness_factor")
    return F_t.adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the mean gray level of the image."""
    _color_checks(img, contrast_factor, "contrast_factor")
    return F_t.adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blend with the grayscale image: 0 gives gray, 1 the image."""
    _color_checks(img, saturation_factor, "saturation_factor")
    return F_t.adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor):
    """Shift the hue (in HSV) by ``hue_factor`` in [-0.5, 0.5] of a turn.

    Example::

        F.adjust_hue(ember.rand(3, 4, 4), 0.25)
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be Tensor image")
    F_t.assert_image_tensor(img)
    F_t.assert_channels(img, [1, 3])
    return F_t.adjust_hue(img, hue_factor)


def adjust_gamma(img, gamma, gain=1):
    """``gain * img ** gamma`` on the [0, 1] scale."""
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be a Tensor.")
    F_t.assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    return F_t.adjust_gamma(img, gamma, gain)


def invert(img):
    """``max - img`` (max is 255 for uint8, 1 for floats)."""
    F_t.assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    F_t.assert_channels(img, [1, 3])
    return F_t.invert(img)


def gaussian_blur(img, kernel_size, sigma=None):
    """Gaussian blur with reflect padding.

    Args:
        img (Tensor): ``(..., C, H, W)``.
        kernel_size (int or [kx, ky]): odd, positive.
        sigma (float or [sx, sy], optional): default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``.

    Example::

        F.gaussian_blur(ember.rand(3, 8, 8), [3, 3], [1.0, 1.0])
    """
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    F_t.assert_image_tensor(img)
    return F_t.gaussian_blur(img, kernel_size, sigma)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear):
    """The output-to-input matrix (6 floats) of rotation/scale/shear about ``center`` then
    ``translate``, all in pixels with (0, 0) at the image centre."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _check_grid_inputs(img, interpolation, fill):
    if not isinstance(img, ember.Tensor):
        raise TypeError("Input img should be Tensor")
    F_t.assert_image_tensor(img)
    c = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != c:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of "
                         f"channels of the image ({len(fill)} != {c})")
    if interpolation.value not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor "
                         "input")


def _center_offset(img, center):
    if center is None:
        return [0.0, 0.0]
    _, h, w = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by ``angle`` degrees.

    Args:
        img (Tensor): ``(..., C, H, W)``.
        angle (number): degrees, counter-clockwise.
        interpolation (InterpolationMode): NEAREST or BILINEAR.
        expand (bool): grow the output to hold the whole rotated image.
        center (sequence, optional): (x, y) in pixels; default the image centre.
        fill (number or sequence, optional): value outside the image (default 0).

    Example::

        F.rotate(ember.rand(3, 5, 5), 90)
    """
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_grid_inputs(img, interpolation, fill)
    # NOTE: -angle: affine and rotate turn opposite ways (as torchvision)
    matrix = _get_inverse_affine_matrix(_center_offset(img, center), -angle, [0.0, 0.0], 1.0,
                                        [0.0, 0.0])
    return F_t.affine(img, matrix, interpolation.value, fill, expand=expand)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Affine transform keeping the image centre: rotate by ``angle`` degrees (clockwise, as
    torchvision), scale, shear (degrees, x or (x, y)), then translate by (tx, ty) pixels.

    Example::

        F.affine(ember.rand(3, 5, 5), angle=0.0, translate=[1, 0], scale=1.0, shear=[0.0, 0.0])
    """
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_grid_inputs(img, interpolation, fill)
    matrix = _get_inverse_affine_matrix(_center_offset(img, center), float(angle),
                                        [1.0 * t for t in translate], scale, shear)
    return F_t.affine(img, matrix, interpolation.value, fill)


def erase(img, i, j, h, w, v, inplace=False):
    """Set ``img[..., i:i + h, j:j + w] = v``.

    Example::

        F.erase(ember.rand(3, 5, 5), 1, 1, 2, 2, ember.tensor(0.0))
    """
    F_t.assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img

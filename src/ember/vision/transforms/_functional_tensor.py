"""Tensor kernels behind ``ember.vision.transforms.functional`` (torchvision's
``transforms/_functional_tensor.py``): images are ember tensors of shape ``(..., C, H, W)``.

The public functions in ``functional.py`` check their arguments and call these.
"""
import ember
from ember.nn import functional as nnF

_INT_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "uint16": 65535, "int32": 2147483647,
            "int64": 9223372036854775807}


def _max_value(dtype):
    """The largest pixel value of ``dtype``: its integer maximum, or 1 for floating point."""
    return _INT_MAX.get(str(dtype).split(".")[-1], 1)


def assert_image_tensor(img):
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def convert_image_dtype(image, dtype=ember.float32):
    if image.dtype == dtype:
        return image
    to_float = dtype.is_floating_point
    if image.is_floating_point():
        if to_float:
            return image.to(dtype)
        if ((image.dtype == ember.float32 and dtype in (ember.int32, ember.int64))
                or (image.dtype == ember.float64 and dtype == ember.int64)):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # NOTE: torchvision scales by max + 1 - eps so that the float range maps evenly onto ints
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = float(_max_value(image.dtype))
    if to_float:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def _cast_squeeze_in(img, req_dtypes):
    """Flatten the leading dims to one batch dim (N, C, H, W) and cast to ``req_dtypes[0]`` if the
    dtype is not in ``req_dtypes``; returns what ``_cast_squeeze_out`` needs to undo it."""
    lead = tuple(img.shape[:-3]) if img.ndim >= 4 else None
    img = img.reshape(-1, *img.shape[-3:]) if img.ndim > 4 else img
    squeeze = img.ndim < 4
    if squeeze:
        img = img.unsqueeze(0)
    out_dtype = img.dtype
    need_cast = out_dtype not in req_dtypes
    if need_cast:
        img = img.to(req_dtypes[0])
    return img, (need_cast, squeeze, lead, out_dtype)


def _cast_squeeze_out(img, state):
    need_cast, squeeze, lead, out_dtype = state
    if squeeze:
        img = img.squeeze(0)
    elif lead is not None and len(lead) != 1:
        img = img.reshape(*lead, *img.shape[-3:])
    if need_cast:
        if not out_dtype.is_floating_point:
            img = ember.round(img)  # it is better to round before the cast
        img = img.to(out_dtype)
    return img


def resize(img, size, interpolation="bilinear", antialias=True):
    if antialias and interpolation not in ("bilinear", "bicubic"):
        antialias = False  # torchvision ignores antialias for the other modes
    if img.ndim == 2:
        return resize(img.unsqueeze(0), size, interpolation, antialias).squeeze(0)
    img, state = _cast_squeeze_in(img, [ember.float32, ember.float64])
    align = False if interpolation in ("bilinear", "bicubic") else None
    img = nnF.interpolate(img, size=list(size), mode=interpolation, align_corners=align,
                          antialias=antialias)
    if interpolation == "bicubic" and state[3] == ember.uint8:
        img = img.clamp(min=0, max=255)
    return _cast_squeeze_out(img, state)


def _pad_symmetric(img, padding):
    """Mirror padding that repeats the edge pixel; ``padding`` is (left, right, top, bottom)."""
    if min(padding) < 0:
        cl, cr, ct, cb = [-min(x, 0) for x in padding]
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        padding = [max(x, 0) for x in padding]
    h, w = img.shape[-2], img.shape[-1]
    xs = list(range(padding[0] - 1, -1, -1)) + list(range(w)) + [w - 1 - i for i in range(padding[1])]
    ys = list(range(padding[2] - 1, -1, -1)) + list(range(h)) + [h - 1 - i for i in range(padding[3])]
    xi = ember.tensor(xs, device=img.device)
    yi = ember.tensor(ys, device=img.device)
    return img.index_select(-1, xi).index_select(-2, yi)


def pad(img, padding, fill=0, padding_mode="constant"):
    """``padding`` is already (left, right, top, bottom)."""
    if padding_mode == "symmetric":
        return _pad_symmetric(img, padding)
    mode = "replicate" if padding_mode == "edge" else padding_mode
    lead = tuple(img.shape[:-2])
    x = img.reshape(-1, 1, *img.shape[-2:])  # torch's pad takes (N, C, H, W): fold every leading dim
    cast = mode != "constant" and img.dtype not in (ember.float32, ember.float64)
    if cast:
        x = x.to(ember.float32)
    if mode == "constant":
        x = nnF.pad(x, padding, mode="constant", value=float(fill))
    else:
        x = nnF.pad(x, padding, mode=mode)
    if cast:
        x = x.to(img.dtype)
    return x.reshape(*lead, *x.shape[-2:])


def crop(img, top, left, height, width):
    h, w = img.shape[-2], img.shape[-1]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding = [max(-left + min(0, right), 0), max(right - max(w, left), 0),
                   max(-top + min(0, bottom), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding, fill=0)
    return img[..., top:bottom, left:right]


# ---------------------------------------------------------------------------------------- color

def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        # NOTE: TensorFlow's weights (ITU-R 601-2 luma), as torchvision
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        l_img = img.clone()
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img, factor):
    return blend(img, ember.zeros_like(img), factor)


def adjust_contrast(img, factor):
    dtype = img.dtype if img.is_floating_point() else ember.float32
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = ember.mean(gray.to(dtype), dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, factor)


def adjust_saturation(img, factor):
    if img.shape[-3] == 1:  # as PIL
        return img
    return blend(img, rgb_to_grayscale(img), factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = ember.max(img, dim=-3).values
    minc = ember.min(img, dim=-3).values
    # NOTE: where max == min, S and H are 0; the divisors are replaced by 1 there to avoid NaN
    eqc = maxc == minc
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_divisor = ember.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ember.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = ember.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(ember.int32) % 6
    p = ember.clamp(v * (1.0 - s), 0.0, 1.0)
    q = ember.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = ember.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    # for each sector i, the (r, g, b) taken from (v, q, p, t)
    table = ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))
    out = []
    for c in range(3):
        ch = table[5][c]
        for k in range(4, -1, -1):
            ch = ember.where(i == k, table[k][c], ch)
        out.append(ch)
    return ember.stack(out, dim=-3)


def adjust_hue(img, factor):
    if img.shape[-3] == 1:  # as PIL
        return img
    orig = img.dtype
    img = convert_image_dtype(img, ember.float32)
    h, s, v = _rgb2hsv(img).unbind(dim=-3)
    h = (h + factor) % 1.0
    return convert_image_dtype(_hsv2rgb(ember.stack((h, s, v), dim=-3)), orig)


def adjust_gamma(img, gamma, gain=1.0):
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, ember.float32)
    result = (gain * result ** gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def invert(img):
    return _max_value(img.dtype) - img


def gaussian_blur(img, kernel_size, sigma):
    dtype = img.dtype if img.is_floating_point() else ember.float32

    def kernel1d(k, s):
        half = (k - 1) * 0.5
        x = ember.linspace(-half, half, steps=k, dtype=dtype, device=img.device)
        pdf = ember.exp(-0.5 * (x / s).pow(2))
        return pdf / pdf.sum()

    kernel = ember.mm(kernel1d(kernel_size[1], sigma[1])[:, None],
                      kernel1d(kernel_size[0], sigma[0])[None, :])
    c = img.shape[-3]
    kernel = kernel.expand(c, 1, kernel.shape[0], kernel.shape[1])
    x, state = _cast_squeeze_in(img, [kernel.dtype])
    padding = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2]
    x = nnF.conv2d(nnF.pad(x, padding, mode="reflect"), kernel, groups=c)
    return _cast_squeeze_out(x, state)


# ------------------------------------------------------------------------------------ geometry

def _gen_affine_grid(theta, w, h, ow, oh):
    """Sampling grid (1, oh, ow, 2) of the inverse affine ``theta`` (2 x 3, in pixels about the
    centre), normalised by the *input* size (w, h): unlike affine_grid this covers expand=True."""
    dt, dev = theta.dtype, theta.device
    xs = ember.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow, dtype=dt, device=dev)
    ys = ember.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh, dtype=dt, device=dev)
    gy, gx = ember.meshgrid(ys, xs, indexing="ij")
    base = ember.stack((gx, gy, ember.ones_like(gx)), dim=-1).reshape(1, oh * ow, 3)
    scale = ember.tensor([0.5 * w, 0.5 * h], dtype=dt, device=dev)
    rescaled = theta.transpose(1, 2) / scale
    return base.bmm(rescaled).reshape(1, oh, ow, 2)


def _apply_grid_transform(img, grid, mode, fill):
    x, state = _cast_squeeze_in(img, [grid.dtype])
    n = x.shape[0]
    grid = grid.expand(n, grid.shape[1], grid.shape[2], grid.shape[3])
    if fill is not None:  # NOTE: a channel of ones marks where the output saw the input
        x = ember.cat((x, ember.ones((n, 1, x.shape[2], x.shape[3]), dtype=x.dtype,
                                     device=x.device)), dim=1)
    x = nnF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = x[:, -1:, :, :]
        x = x[:, :-1, :, :]
        mask = mask.expand_as(x)
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = ember.tensor(fill_list, dtype=x.dtype, device=x.device).view(
            1, len(fill_list), 1, 1).expand_as(x)
        if mode == "nearest":
            x = ember.where(mask < 0.5, fill_img, x)
        else:
            x = x * mask + (1.0 - mask) * fill_img
    return _cast_squeeze_out(x, state)


def _affine_output_size(matrix, w, h):
    """(w, h) of the box holding the transformed image, as PIL's rotate(expand=True)."""
    pts = ember.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    theta = ember.tensor(matrix, dtype=ember.float32).view(2, 3)
    new_pts = ember.matmul(pts, theta.T)
    centre = ember.tensor((w * 0.5, h * 0.5))
    lo = new_pts.min(dim=0).values + centre
    hi = new_pts.max(dim=0).values + centre
    tol = 1e-4  # NOTE: truncate to 1e-4 so that ceil(1e-15) does not add a pixel
    size = ember.ceil((hi / tol).trunc() * tol) - ember.floor((lo / tol).trunc() * tol)
    return int(size[0]), int(size[1])


def affine(img, matrix, interpolation="nearest", fill=None, expand=False):
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    theta = ember.tensor(matrix, dtype=dtype, device=img.device).reshape(1, 2, 3)
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, ow, oh), interpolation, fill)

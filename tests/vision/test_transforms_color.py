"""ember.vision.transforms color and random-geometry transforms against torchvision's formulas
written with torch ops (torchvision is not installed)."""
import math

import numpy as np
import pytest
import torch

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F


def img(*shape, uint8=False, seed=0):
    r = np.random.default_rng(seed)
    if uint8:
        return r.integers(0, 256, shape).astype(np.uint8)
    return r.random(shape).astype(np.float32)


def pair(a):
    return ember.tensor(a), torch.tensor(a)


def same(e, t, atol=0.0):
    e, t = e.numpy(), t.numpy()
    assert e.shape == t.shape and e.dtype == t.dtype, (e.shape, t.shape, e.dtype, t.dtype)
    np.testing.assert_allclose(e.astype(np.float64), t.astype(np.float64), atol=atol, rtol=0)


# torchvision's tensor formulas, with torch
def t_gray(x):
    r, g, b = x.unbind(-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(x.dtype).unsqueeze(-3)


def t_blend(a, b, ratio):
    bound = 255 if a.dtype == torch.uint8 else 1
    return (ratio * a + (1.0 - ratio) * b).clamp(0, bound).to(a.dtype)


def t_rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc, minc = torch.max(img, dim=-3).values, torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    crd = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    h = ((maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
         + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc))
    return torch.stack((torch.fmod(h / 6.0 + 1.0, 1.0), s, maxc), dim=-3)


def t_hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32)
    p = torch.clamp(v * (1.0 - s), 0.0, 1.0)
    q = torch.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = torch.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


@pytest.mark.parametrize("uint8", [False, True])
@pytest.mark.parametrize("shape", [(3, 5, 6), (2, 3, 5, 6)])
def test_grayscale(uint8, shape):
    e, t = pair(img(*shape, uint8=uint8))
    same(T.Grayscale()(e), t_gray(t))
    out3 = T.Grayscale(num_output_channels=3)(e)
    same(out3, t_gray(t).expand(t.shape))
    same(T.RandomGrayscale(p=1.0)(e), t_gray(t).expand(t.shape))
    same(T.RandomGrayscale(p=0.0)(e), t)
    with pytest.raises(TypeError):
        F.rgb_to_grayscale(ember.zeros(2, 4, 4))
    with pytest.raises(ValueError):
        F.rgb_to_grayscale(e, num_output_channels=2)


@pytest.mark.parametrize("uint8", [False, True])
@pytest.mark.parametrize("factor", [0.0, 0.6, 1.7])
def test_adjust_brightness_contrast_saturation(uint8, factor):
    e, t = pair(img(2, 3, 5, 6, uint8=uint8))
    same(F.adjust_brightness(e, factor), t_blend(t, torch.zeros_like(t), factor))
    mean = torch.mean(t_gray(t).to(torch.float32), dim=(-3, -2, -1), keepdim=True)
    same(F.adjust_contrast(e, factor), t_blend(t, mean, factor), atol=1 if uint8 else 1e-6)
    same(F.adjust_saturation(e, factor), t_blend(t, t_gray(t), factor), atol=1e-6)
    one = ember.tensor(img(1, 5, 6))
    assert F.adjust_saturation(one, factor) is one  # one channel: unchanged, as PIL
    with pytest.raises(ValueError):
        F.adjust_brightness(e, -0.1)
    with pytest.raises(TypeError):
        F.adjust_contrast(ember.zeros(2, 4, 4), 0.5)


@pytest.mark.parametrize("uint8", [False, True])
@pytest.mark.parametrize("hue", [-0.5, -0.2, 0.0, 0.3])
def test_adjust_hue(uint8, hue):
    a = img(2, 3, 6, 7, uint8=uint8)
    a[..., 0, 0] = a[..., 1, 0, 0][..., None]  # a gray pixel (max == min)
    e, t = pair(a)
    x = t.float() / 255 if uint8 else t
    h, s, v = t_rgb2hsv(x).unbind(-3)
    rgb = t_hsv2rgb(torch.stack(((h + hue) % 1.0, s, v), dim=-3))
    exp = rgb.mul(255 + 1.0 - 1e-3).to(torch.uint8) if uint8 else rgb
    out = F.adjust_hue(e, hue)
    same(out, exp, atol=1 if uint8 else 1e-6)
    with pytest.raises(ValueError):
        F.adjust_hue(e, 0.6)
    with pytest.raises(TypeError):
        F.adjust_hue(a, 0.1)


def test_adjust_gamma_invert():
    e, t = pair(img(3, 4, 5))
    same(F.adjust_gamma(e, 2.2, 0.9), (0.9 * t ** 2.2).clamp(0, 1), atol=1e-6)
    same(F.invert(e), 1 - t)
    u, tu = pair(img(3, 4, 5, uint8=True))
    same(F.invert(u), 255 - tu)


def test_color_jitter():
    e, t = pair(img(3, 6, 7))
    cj = T.ColorJitter(brightness=0.5, contrast=0.4, saturation=(0.5, 1.5), hue=0.2)
    assert repr(cj) == ("ColorJitter(brightness=(0.5, 1.5), contrast=(0.6, 1.4), "
                        "saturation=(0.5, 1.5), hue=(-0.2, 0.2))")
    ember.manual_seed(4)
    out = cj(e)
    ember.manual_seed(4)
    order, b, c, s, h = T.ColorJitter.get_params(cj.brightness, cj.contrast, cj.saturation,
                                                 cj.hue)
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert 0.5 <= b <= 1.5 and 0.6 <= c <= 1.4 and 0.5 <= s <= 1.5 and -0.2 <= h <= 0.2
    fns = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c),
           2: (F.adjust_saturation, s), 3: (F.adjust_hue, h)}
    x = e
    for k in order.tolist():
        x = fns[k][0](x, fns[k][1])
    same(out, x)
    assert not np.allclose(out.numpy(), t.numpy())
    identity = T.ColorJitter()
    assert identity.brightness is None and identity.hue is None
    same(identity(e), t)
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.7)
    with pytest.raises(TypeError):
        T.ColorJitter(contrast=[1, 2, 3])


@pytest.mark.parametrize("uint8", [False, True])
def test_gaussian_blur(uint8):
    e, t = pair(img(2, 3, 7, 8, uint8=uint8))
    ks, sig = [3, 5], [0.8, 1.3]

    def k1(k, s):
        x = torch.linspace(-(k - 1) / 2, (k - 1) / 2, k)
        p = torch.exp(-0.5 * (x / s) ** 2)
        return p / p.sum()

    kernel = (k1(ks[1], sig[1])[:, None] @ k1(ks[0], sig[0])[None, :]).expand(3, 1, 5, 3)
    x = torch.nn.functional.pad(t.float(), [1, 1, 2, 2], mode="reflect")
    exp = torch.nn.functional.conv2d(x, kernel, groups=3)
    if uint8:
        exp = exp.round().to(torch.uint8)
    same(F.gaussian_blur(e, ks, sig), exp, atol=1 if uint8 else 1e-6)
    ember.manual_seed(2)
    out = T.GaussianBlur(3, sigma=(0.5, 1.5))(e)
    ember.manual_seed(2)
    s = T.GaussianBlur.get_params(0.5, 1.5)
    assert 0.5 <= s <= 1.5
    same(out, F.gaussian_blur(e, [3, 3], [s, s]))
    with pytest.raises(ValueError):
        T.GaussianBlur(4)
    with pytest.raises(ValueError):
        T.GaussianBlur(3, sigma=(2.0, 1.0))
    with pytest.raises(ValueError):
        F.gaussian_blur(e, [3, 4])
    with pytest.raises(TypeError):
        F.gaussian_blur(e, 3.0)


@pytest.mark.parametrize("uint8", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotate_multiples_of_90(uint8, k):
    e, t = pair(img(2, 3, 6, 6, uint8=uint8))
    same(F.rotate(e, 90.0 * k), torch.rot90(t, k, dims=(-2, -1)))
    same(F.rotate(e, 90 * k, interpolation=T.InterpolationMode.BILINEAR),
         torch.rot90(t, k, dims=(-2, -1)), atol=1 if uint8 else 1e-5)
    # expand: a 4 x 6 image turned by 90 becomes 6 x 4
    r, tr = pair(img(3, 4, 6, uint8=uint8))
    same(F.rotate(r, 90.0 * k, expand=True), torch.rot90(tr, k, dims=(-2, -1)))


def test_rotate_fill_and_random_rotation():
    e, t = pair(img(3, 7, 7))
    out = F.rotate(e, 45.0, fill=[0.25, 0.5, 0.75])
    np.testing.assert_allclose(out.numpy()[:, 0, 0], [0.25, 0.5, 0.75])  # a corner left the image
    same(out[:, 3, 3], t[:, 3, 3])  # the centre stays
    assert F.rotate(e, 45.0, expand=True).shape == (3, 11, 11)
    ember.manual_seed(9)
    rr = T.RandomRotation((10, 40), fill=1)
    out = rr(e)
    ember.manual_seed(9)
    angle = T.RandomRotation.get_params([10.0, 40.0])
    assert 10 <= angle <= 40
    same(out, F.rotate(e, angle, fill=[1.0] * 3))
    assert repr(rr) == "RandomRotation(degrees=[10.0, 40.0], interpolation=nearest, expand=False, fill=1)"
    with pytest.raises(ValueError):
        T.RandomRotation(-3)
    with pytest.raises(TypeError):
        T.RandomRotation(3, fill={1})
    with pytest.raises(ValueError):
        F.rotate(e, 10.0, fill=[1.0, 2.0])
    with pytest.raises(ValueError):
        F.rotate(e, 10.0, interpolation=T.InterpolationMode.BICUBIC)
    with pytest.raises(TypeError):
        F.rotate(e, "10")


def test_affine_translate_and_random_affine():
    e, t = pair(img(3, 6, 7))
    out = F.affine(e, angle=0.0, translate=[2, 1], scale=1.0, shear=[0.0, 0.0])
    exp = torch.zeros_like(t)
    exp[:, 1:, 2:] = t[:, :-1, :-2]
    same(out, exp)
    # affine's angle turns the other way from rotate's
    sq = ember.tensor(img(3, 6, 6))
    same(F.affine(sq, angle=-90.0, translate=[0, 0], scale=1.0, shear=0.0), F.rotate(sq, 90.0))
    ember.manual_seed(1)
    ra = T.RandomAffine(degrees=20, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=(-5, 5, -3, 3))
    out = ra(e)
    ember.manual_seed(1)
    angle, tr, sc, sh = T.RandomAffine.get_params(ra.degrees, ra.translate, ra.scale, ra.shear,
                                                  [7, 6])
    assert -20 <= angle <= 20 and abs(tr[0]) <= 1.4 and abs(tr[1]) <= 0.6 and 0.8 <= sc <= 1.2
    assert -5 <= sh[0] <= 5 and -3 <= sh[1] <= 3
    same(out, F.affine(e, angle, list(tr), sc, list(sh), fill=[0.0] * 3))
    assert repr(T.RandomAffine(10, scale=(0.5, 1.0))) == (
        "RandomAffine(degrees=[-10.0, 10.0], scale=(0.5, 1.0))")
    with pytest.raises(ValueError):
        T.RandomAffine(10, translate=(0.5, 1.5))
    with pytest.raises(ValueError):
        T.RandomAffine(10, scale=(0.0, 1.0))
    with pytest.raises(ValueError):
        F.affine(e, 0.0, [0, 0], 0.0, 0.0)
    with pytest.raises(TypeError):
        F.affine(e, 0.0, 1, 1.0, 0.0)


def test_random_erasing():
    e, t = pair(img(2, 3, 10, 12))
    same(T.RandomErasing(p=0.0)(e), t)
    ember.manual_seed(5)
    out = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(e)
    ember.manual_seed(5)
    assert bool(ember.rand(1) < 1.0)
    i, j, h, w, v = T.RandomErasing.get_params(e, (0.02, 0.33), (0.3, 3.3), [0.1, 0.2, 0.3])
    assert 0 < h < 10 and 0 < w < 12 and 0.02 * 120 * 0.5 <= h * w <= 0.33 * 120 * 1.5
    exp = t.clone()
    exp[..., i:i + h, j:j + w] = torch.tensor([0.1, 0.2, 0.3])[:, None, None]
    same(out, exp)
    assert not np.array_equal(out.numpy(), t.numpy())
    same(e, t)  # not in place
    # noise fill, in place
    x = e.clone()
    ember.manual_seed(6)
    y = T.RandomErasing(p=1.0, value="random", inplace=True)(x)
    assert y is x and not np.array_equal(x.numpy(), t.numpy())
    # scale too large: 10 failed tries give back the image
    i, j, h, w, v = T.RandomErasing.get_params(e, (1.0, 1.0), (1.0, 1.0), [0.0])
    assert (i, j, h, w) == (0, 0, 10, 12) and v is e
    assert repr(T.RandomErasing()) == ("RandomErasing(p=0.5, scale=(0.02, 0.33), "
                                       "ratio=(0.3, 3.3), value=0, inplace=False)")
    with pytest.raises(ValueError):
        T.RandomErasing(value="noise")
    with pytest.raises(TypeError):
        T.RandomErasing(value=None)
    with pytest.raises(ValueError):
        T.RandomErasing(p=1.5)
    with pytest.raises(ValueError):
        T.RandomErasing(scale=(0.1, 2.0))
    with pytest.raises(ValueError):
        T.RandomErasing(p=1.0, value=[1.0, 2.0])(e)


def test_hsv_roundtrip_is_identity():
    e = ember.tensor(img(3, 5, 5, seed=3))
    out = F.adjust_hue(e, 0.0)
    np.testing.assert_allclose(out.numpy(), e.numpy(), atol=1e-6)
    assert math.isfinite(float(out.sum()))

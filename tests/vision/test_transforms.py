"""ember.vision.transforms (conversion, resize, crops, flips, pads, random containers) against
torch's own ops on the same data (torchvision is not installed)."""
import random

import numpy as np
import pytest
import torch

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F


def img(*shape, dtype=np.float32, seed=0):
    r = np.random.default_rng(seed)
    if dtype == np.uint8:
        return r.integers(0, 256, shape).astype(np.uint8)
    return r.random(shape).astype(dtype)


def pair(a):
    return ember.tensor(a), torch.tensor(a)


def same(e, t, atol=0.0, rtol=0.0):
    e = e.numpy()
    t = t.numpy()
    assert e.shape == t.shape, (e.shape, t.shape)
    assert e.dtype == t.dtype, (e.dtype, t.dtype)
    np.testing.assert_allclose(e.astype(np.float64), t.astype(np.float64), atol=atol, rtol=rtol)


# ------------------------------------------------------------------------------ conversion

def test_to_tensor_numpy():
    a = img(4, 5, 3, dtype=np.uint8)
    out = T.ToTensor()(a)
    assert out.dtype == ember.float32
    same(out, torch.from_numpy(a).permute(2, 0, 1).float().div(255))
    gray = img(4, 5, dtype=np.uint8)
    assert T.ToTensor()(gray).shape == (1, 4, 5)
    f = img(4, 5, 2)  # non-uint8 data is kept as it is
    same(F.to_tensor(f), torch.from_numpy(f).permute(2, 0, 1))
    with pytest.raises(TypeError):
        F.to_tensor([[1, 2]])
    with pytest.raises(ValueError):
        F.to_tensor(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(TypeError):
        F.pil_to_tensor(a)


def test_pil_paths():
    Image = pytest.importorskip("PIL.Image")
    a = img(4, 5, 3, dtype=np.uint8)
    pic = Image.fromarray(a, mode="RGB")
    same(T.PILToTensor()(pic), torch.from_numpy(a).permute(2, 0, 1))
    same(T.ToTensor()(pic), torch.from_numpy(a).permute(2, 0, 1).float().div(255))
    same(T.ToTensor()(Image.fromarray(a[..., 0], mode="L")),
         torch.from_numpy(a[..., :1]).permute(2, 0, 1).float().div(255))


@pytest.mark.parametrize("src,dst", [("uint8", "float32"), ("float32", "uint8"),
                                     ("uint8", "int32"), ("int32", "uint8"),
                                     ("float32", "float64"), ("int16", "uint8")])
def test_convert_image_dtype(src, dst):
    if src == "float32":
        a = img(2, 3, 4)
    else:
        a = np.random.default_rng(1).integers(0, 120, (2, 3, 4)).astype(src) * 3
    e, t = pair(a)
    out = T.ConvertImageDtype(getattr(ember, dst))(e)
    # torchvision's rules written with torch ops
    imax = {"uint8": 255, "int16": 32767, "int32": 2147483647}
    if src == "float32" and dst == "uint8":
        exp = t.mul(255 + 1.0 - 1e-3).to(torch.uint8)
    elif src.startswith("float"):
        exp = t.to(getattr(torch, dst))
    elif dst.startswith("float"):
        exp = t.to(getattr(torch, dst)) / imax[src]
    elif imax[src] > imax[dst]:
        exp = torch.div(t, (imax[src] + 1) // (imax[dst] + 1), rounding_mode="floor").to(
            getattr(torch, dst))
    else:
        exp = t.to(getattr(torch, dst)) * ((imax[dst] + 1) // (imax[src] + 1))
    same(out, exp, rtol=1e-6)
    with pytest.raises(RuntimeError):
        F.convert_image_dtype(ember.zeros(1, 2, 2), ember.int64)


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (2, 2, 3, 4, 5)])
def test_normalize(shape):
    e, t = pair(img(*shape))
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.3, 0.4]
    m, s = torch.tensor(mean).view(-1, 1, 1), torch.tensor(std).view(-1, 1, 1)
    out = T.Normalize(mean, std)(e)
    same(out, (t - m) / s, atol=1e-6)
    assert not np.allclose(e.numpy(), out.numpy())  # not in place by default
    e2 = e.clone()
    out2 = T.Normalize(mean, std, inplace=True)(e2)
    same(e2, (t - m) / s, atol=1e-6)
    assert out2 is e2


def test_normalize_errors():
    with pytest.raises(TypeError):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), [0.0], [1.0])
    with pytest.raises(ValueError):
        F.normalize(ember.zeros(2, 2), [0.0], [1.0])
    with pytest.raises(ValueError):
        F.normalize(ember.zeros(1, 2, 2), [0.0], [0.0])
    with pytest.raises(TypeError):
        F.normalize(np.zeros((1, 2, 2), np.float32), [0.0], [1.0])


def test_compose_lambda_repr():
    c = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2),
                   T.Normalize(mean=(0.5,), std=(0.25,))])
    assert repr(c) == ("Compose(\n    ToTensor()\n    Lambda()\n"
                       "    Normalize(mean=(0.5,), std=(0.25,))\n)")
    a = img(3, 4, 1, dtype=np.uint8)
    exp = (torch.from_numpy(a).permute(2, 0, 1).float().div(255) * 2 - 0.5) / 0.25
    same(c(a), exp, atol=1e-6)
    with pytest.raises(TypeError):
        T.Lambda(3)


# ---------------------------------------------------------------------------------- resize

@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(5, 7), (13, 19)])
def test_resize_float(mode, antialias, size):
    e, t = pair(img(2, 3, 9, 11))
    out = T.Resize(size, interpolation=T.InterpolationMode(mode), antialias=antialias)(e)
    align = None if mode == "nearest" else False
    aa = antialias and mode != "nearest"
    exp = torch.nn.functional.interpolate(t, size=size, mode=mode, align_corners=align,
                                          antialias=aa)
    same(out, exp, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_resize_uint8_and_shapes(mode):
    a = img(3, 10, 8, dtype=np.uint8)
    e, t = pair(a)
    out = F.resize(e, [5, 4], interpolation=T.InterpolationMode(mode))
    assert out.dtype == ember.uint8
    align = None if mode == "nearest" else False
    x = torch.nn.functional.interpolate(t[None].float(), size=[5, 4], mode=mode,
                                        align_corners=align, antialias=mode != "nearest")
    if mode == "bicubic":
        x = x.clamp(0, 255)
    same(out, x.round().to(torch.uint8)[0], atol=1)  # rounding at .5 may differ by one step
    assert np.mean(out.numpy() != x.round().to(torch.uint8)[0].numpy()) < 0.05
    # a 2-D image and leading batch dims
    assert F.resize(ember.tensor(img(10, 8)), [5, 4], T.InterpolationMode(mode)).shape == (5, 4)
    b = img(2, 2, 3, 10, 8)
    out5 = F.resize(ember.tensor(b), [5, 4], T.InterpolationMode(mode))
    exp5 = torch.nn.functional.interpolate(torch.tensor(b).reshape(4, 3, 10, 8), size=[5, 4],
                                           mode=mode, align_corners=align,
                                           antialias=mode != "nearest").reshape(2, 2, 3, 5, 4)
    same(out5, exp5, atol=1e-5)


def test_resize_smaller_edge_and_max_size():
    e = ember.rand(3, 10, 20)
    assert T.Resize(5)(e).shape == (3, 5, 10)
    assert T.Resize([5])(ember.rand(3, 20, 10)).shape == (3, 10, 5)
    assert T.Resize(5, max_size=8)(e).shape == (3, 4, 8)
    assert T.Resize(5, max_size=12)(e).shape == (3, 5, 10)
    assert T.Resize(10)(e) is e  # already the right size
    with pytest.raises(ValueError):
        T.Resize(5, max_size=5)(e)
    with pytest.raises(ValueError):
        F.resize(e, [5, 5], max_size=8)
    with pytest.raises(TypeError):
        T.Resize(5.0)
    with pytest.raises(ValueError):
        T.Resize((1, 2, 3))
    with pytest.raises(ValueError):
        F.resize(e, [5, 5], interpolation=T.InterpolationMode.LANCZOS)
    with pytest.raises(TypeError):
        F.resize(e, [5, 5], interpolation="bilinear")
    assert T.Resize(4, interpolation=0).interpolation == T.InterpolationMode.NEAREST
    assert repr(T.Resize((4, 5))) == ("Resize(size=(4, 5), interpolation=bilinear, "
                                      "max_size=None, antialias=True)")


# ------------------------------------------------------------------------ crops, flips, pads

@pytest.mark.parametrize("shape", [(6, 8), (3, 6, 8), (2, 3, 6, 8)])
def test_crop_flip(shape):
    e, t = pair(img(*shape))
    same(F.crop(e, 1, 2, 3, 4), t[..., 1:4, 2:6])
    same(T.RandomHorizontalFlip(p=1.0)(e), t.flip(-1))
    same(T.RandomVerticalFlip(p=1.0)(e), t.flip(-2))
    same(T.RandomHorizontalFlip(p=0.0)(e), t)
    same(T.RandomVerticalFlip(p=0.0)(e), t)
    # a box leaving the image is zero-padded
    same(F.crop(e, -1, 5, 4, 5),
         torch.nn.functional.pad(t[..., 0:3, 5:8], [0, 2, 1, 0]) if len(shape) > 2 else
         torch.nn.functional.pad(t[None, ..., 0:3, 5:8], [0, 2, 1, 0])[0])


def test_center_crop():
    e, t = pair(img(3, 7, 8))
    same(T.CenterCrop(4)(e), t[:, 2:6, 2:6])  # round(1.5) == 2, round(2.0) == 2
    same(T.CenterCrop((3, 5))(e), t[:, 2:5, 2:7])
    # larger than the image: padded with zeros around it
    same(T.CenterCrop((9, 11))(e), torch.nn.functional.pad(t, [1, 2, 1, 1]))
    assert repr(T.CenterCrop(4)) == "CenterCrop(size=(4, 4))"


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, [1, 2], (1, 2, 3, 0)])
def test_pad(mode, padding):
    e, t = pair(img(2, 3, 5, 6))
    out = T.Pad(padding, fill=0.5, padding_mode=mode)(e)
    p = F._parse_padding(padding)  # [l, r, t, b]
    if mode == "symmetric":
        exp = torch.tensor(np.pad(t.numpy(), [(0, 0), (0, 0), (p[2], p[3]), (p[0], p[1])],
                                  mode="symmetric"))
    elif mode == "constant":
        exp = torch.nn.functional.pad(t, p, mode="constant", value=0.5)
    else:
        exp = torch.nn.functional.pad(t, p, mode="replicate" if mode == "edge" else mode)
    same(out, exp)


def test_pad_uint8_and_errors():
    a = img(3, 4, 5, dtype=np.uint8)
    e, t = pair(a)
    out = F.pad(e, [2, 1], padding_mode="reflect")
    assert out.dtype == ember.uint8
    same(out, torch.nn.functional.pad(t.float()[None], [2, 2, 1, 1], mode="reflect")[0].to(
        torch.uint8))
    same(F.pad(e, 1, fill=7), torch.nn.functional.pad(t, [1, 1, 1, 1], value=7))
    with pytest.raises(TypeError):
        T.Pad("1")
    with pytest.raises(TypeError):
        T.Pad(1, fill="x")
    with pytest.raises(ValueError):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError):
        T.Pad((1, 2, 3))
    with pytest.raises(TypeError):
        F.pad(e, 1, fill=(1, 2, 3))
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"


def test_random_crop():
    e, t = pair(img(3, 8, 10))
    ember.manual_seed(0)
    outs = [T.RandomCrop((4, 5))(e) for _ in range(20)]
    windows = {tuple(t[:, i:i + 4, j:j + 5].numpy().ravel()) for i in range(5) for j in range(6)}
    keys = [tuple(o.numpy().ravel()) for o in outs]
    assert all(k in windows for k in keys)
    assert len(set(keys)) > 1
    ember.manual_seed(0)
    again = [T.RandomCrop((4, 5))(e) for _ in range(20)]
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(outs, again))
    same(T.RandomCrop((8, 10))(e), t)  # full size: no draw, the image itself
    with pytest.raises(ValueError):
        T.RandomCrop(9)(e)
    # padding then crop of the full padded size
    same(T.RandomCrop((12, 14), padding=2, fill=1)(e),
         torch.nn.functional.pad(t, [2, 2, 2, 2], value=1.0))
    # pad_if_needed pads both sides by the missing amount, then crops: a window of the padded image
    padded = T.RandomCrop((12, 14), pad_if_needed=True, padding_mode="edge")(e)
    assert padded.shape == (3, 12, 14)
    assert padded_offset(padded, t) is not None
    assert repr(T.RandomCrop(4)) == "RandomCrop(size=(4, 4), padding=None)"


def padded_offset(out, t):
    """Where ``out`` sits inside the 4-each-side edge-padded image (checks the content, not the
    draw)."""
    big = torch.nn.functional.pad(t[None], [4, 4, 4, 4], mode="replicate")[0].numpy()
    o = out.numpy()
    for i in range(big.shape[1] - o.shape[1] + 1):
        for j in range(big.shape[2] - o.shape[2] + 1):
            if np.array_equal(big[:, i:i + o.shape[1], j:j + o.shape[2]], o):
                return i, j
    raise AssertionError("not a crop of the padded image")


def test_random_resized_crop():
    e, t = pair(img(3, 12, 16))
    ember.manual_seed(3)
    p1 = [T.RandomResizedCrop.get_params(e, (0.08, 1.0), (3 / 4, 4 / 3)) for _ in range(30)]
    ember.manual_seed(3)
    p2 = [T.RandomResizedCrop.get_params(e, (0.08, 1.0), (3 / 4, 4 / 3)) for _ in range(30)]
    assert p1 == p2 and len(set(p1)) > 1
    for i, j, h, w in p1:
        assert 0 < h <= 12 and 0 < w <= 16 and i + h <= 12 and j + w <= 16
        assert 0.08 * 192 * 0.6 <= h * w <= 192
    # no attempt fits (scale > 1): the fallback centre crop, clipped to the ratio range
    assert T.RandomResizedCrop.get_params(e, (5.0, 6.0), (1.0, 1.0)) == (0, 2, 12, 12)
    assert T.RandomResizedCrop.get_params(e, (5.0, 6.0), (2.0, 3.0)) == (2, 0, 8, 16)
    assert T.RandomResizedCrop.get_params(e, (5.0, 6.0), (0.5, 2.0)) == (0, 0, 12, 16)
    # the transform = crop at the drawn box + resize (antialiased bilinear)
    ember.manual_seed(7)
    i, j, h, w = T.RandomResizedCrop.get_params(e, (0.08, 1.0), (3 / 4, 4 / 3))
    ember.manual_seed(7)
    out = T.RandomResizedCrop(6)(e)
    exp = torch.nn.functional.interpolate(t[None, :, i:i + h, j:j + w], size=(6, 6),
                                          mode="bilinear", align_corners=False,
                                          antialias=True)[0]
    same(out, exp, atol=1e-5)
    assert repr(T.RandomResizedCrop(4)) == (
        "RandomResizedCrop(size=(4, 4), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
        "interpolation=bilinear, antialias=True)")
    with pytest.raises(TypeError):
        T.RandomResizedCrop(4, scale=0.5)
    with pytest.warns(UserWarning):
        T.RandomResizedCrop(4, scale=(1.0, 0.5))


def test_random_flip_draws():
    e, t = pair(img(3, 4, 5))
    ember.manual_seed(11)
    flips = [np.array_equal(T.RandomHorizontalFlip()(e).numpy(), t.flip(-1).numpy())
             for _ in range(40)]
    ember.manual_seed(11)
    draws = [bool(ember.rand(1) < 0.5) for _ in range(40)]
    assert flips == draws and 0 < sum(flips) < 40


def test_random_apply_choice_order():
    e, t = pair(img(3, 4, 5))
    flip = T.RandomHorizontalFlip(p=1.0)
    same(T.RandomApply([flip], p=1.0)(e), t.flip(-1))
    same(T.RandomApply([flip], p=0.0)(e), t)
    assert repr(T.RandomApply([flip], p=0.3)) == (
        "RandomApply(\n    p=0.3\n    RandomHorizontalFlip(p=1.0)\n)")
    add1, dbl = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    same(T.RandomChoice([add1, dbl], p=[0.0, 1.0])(e), t * 2)
    random.seed(0)
    outs = {float(T.RandomOrder([add1, dbl])(ember.zeros(1, 1, 1)).item()) for _ in range(30)}
    assert outs == {1.0, 2.0}  # (0 + 1) * 2 and 0 * 2 + 1
    random.seed(5)
    a = [float(T.RandomChoice([add1, dbl])(ember.ones(1, 1, 1)).item()) for _ in range(10)]
    random.seed(5)
    b = [float(T.RandomChoice([add1, dbl])(ember.ones(1, 1, 1)).item()) for _ in range(10)]
    assert a == b
    with pytest.raises(TypeError):
        T.RandomChoice([add1], p=0.5)
    with pytest.raises(TypeError):
        T.RandomOrder(add1)


def test_package_is_lazy():
    import subprocess
    import sys
    code = "import ember, sys; print('ember.vision.transforms' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_random_choice_repr():
    t = T.RandomChoice([T.RandomHorizontalFlip(), T.RandomVerticalFlip(p=0.3)], p=[1, 2])
    assert repr(t) == ("RandomChoice(\n    RandomHorizontalFlip(p=0.5)\n    "
                       "RandomVerticalFlip(p=0.3)\n)(p=[1, 2])")

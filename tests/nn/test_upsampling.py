"""Upsampling and pixel shuffle against torch: F.interpolate over modes x sizes and scale factors
(up and down, integer and fractional, recomputed or not) x align_corners, values and input
gradients; the deprecated aliases; the modules and their reprs; errors with torch's messages;
gradcheck and double backward."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import compare, noncontig, rand

F32, F64 = np.float32, np.float64


def F(lib):
    return lib.nn.functional


def same_error(fn, *args):
    t_in = [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
    e_in = [ember.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(Exception) as te:
        fn(torch, *t_in)
    with pytest.raises(type(te.value)) as ee:
        fn(ember, *e_in)
    assert str(ee.value) == str(te.value)


RESIZE = [dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=1.7),
          dict(scale_factor=0.6), dict(scale_factor=1 / 3), dict(size=11), dict(size=3),
          dict(size=1), dict(scale_factor=2.5, recompute_scale_factor=True),
          dict(scale_factor=0.7, recompute_scale_factor=False)]
MODES = [("nearest", (2, 3, 5, 7)), ("nearest-exact", (2, 3, 5, 7)), ("bilinear", (2, 3, 5, 7)),
         ("bicubic", (2, 3, 5, 7)), ("linear", (2, 3, 7)), ("nearest", (2, 3, 7)),
         ("nearest-exact", (1, 2, 6)), ("trilinear", (1, 2, 3, 4, 5)),
         ("nearest", (1, 2, 3, 4, 5)), ("area", (2, 3, 5, 7)), ("area", (2, 3, 7))]


def _corners(mode):
    return [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]


@pytest.mark.parametrize("kw", RESIZE, ids=[str(k) for k in RESIZE])
@pytest.mark.parametrize("mode,shape", MODES, ids=[f"{m}{len(s)}d" for m, s in MODES])
def test_interpolate(mode, shape, kw):
    for ac in _corners(mode):
        compare(lambda lib, x: F(lib).interpolate(x, mode=mode, align_corners=ac, **kw),
                rand(*shape))


@pytest.mark.parametrize("mode,size,scale", [
    ("bilinear", (4, 9), None), ("bilinear", None, (2.0, 0.5)), ("bicubic", (9, 4), None),
    ("nearest", (2, 13), None), ("nearest", None, (1.5, 3.0)), ("trilinear", (2, 5, 3), None),
    ("nearest-exact", None, (0.5, 2.5))])
def test_interpolate_per_dim_float64(mode, size, scale):
    shape = (1, 2, 3, 4, 5) if mode == "trilinear" else (1, 2, 5, 6)
    for ac in _corners(mode):
        compare(lambda lib, x: F(lib).interpolate(x, size, scale, mode, ac),
                noncontig(rand(*shape, dtype=F64)))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(scale_factor=0.5), dict(size=(3, 11)), dict(scale_factor=0.3),
                                dict(scale_factor=2), dict(scale_factor=(0.37, 1.3))])
def test_antialias(mode, kw):
    for ac in (False, True):
        compare(lambda lib, x: F(lib).interpolate(x, mode=mode, align_corners=ac, antialias=True,
                                                  **kw), rand(2, 3, 9, 8), atol=1e-5, rtol=1e-4)
    x = ember.randn(1, 1, 4, 4, requires_grad=True)
    y = F(ember).interpolate(x, scale_factor=0.5, mode=mode, antialias=True)
    assert y.grad_fn.name() == f"Upsample{mode.title()}2DAaBackward0"


def test_long_dims_gather_path():
    """Dims longer than the dense-matrix limit take the gather / scatter-add path."""
    for mode in ("linear", "nearest"):
        for kw in (dict(scale_factor=1.5), dict(size=200)):
            ac = False if mode == "linear" else None
            compare(lambda lib, x: F(lib).interpolate(x, mode=mode, align_corners=ac, **kw),
                    rand(1, 2, 300))
    compare(lambda lib, x: F(lib).interpolate(x, size=(3, 260), mode="bicubic"), rand(1, 1, 2, 300))


def test_non_finite_values_stay_local():
    x = rand(1, 1, 4, 6)
    x[0, 0, 1, 2], x[0, 0, 3, 5] = np.inf, np.nan
    for mode in ("bilinear", "nearest", "bicubic"):
        ac = None if mode == "nearest" else False
        compare(lambda lib, x: F(lib).interpolate(x, scale_factor=2, mode=mode, align_corners=ac),
                x, grad=False)


def test_half_and_unbatched_errors_and_grad_fns():
    compare(lambda lib, x: F(lib).interpolate(x, scale_factor=2, mode="bilinear"),
            rand(1, 2, 3, 3, dtype=np.float16), grad=False)
    compare(lambda lib, x: F(lib).interpolate(x, scale_factor=2), rand(0, 2, 3, 3))
    x = ember.randn(1, 2, 3, 3, requires_grad=True)
    for mode, name in [("nearest", "UpsampleNearest2DBackward0"),
                       ("bilinear", "UpsampleBilinear2DBackward0"),
                       ("bicubic", "UpsampleBicubic2DBackward0"),
                       ("nearest-exact", "UpsampleNearestExact2DBackward0")]:
        assert F(ember).interpolate(x, scale_factor=2, mode=mode).grad_fn.name() == name


def test_deprecated_aliases_warn():
    x = rand(1, 2, 3, 4)
    for name, kw in [("upsample", dict(scale_factor=2, mode="bilinear")),
                     ("upsample_nearest", dict(size=5)), ("upsample_bilinear", dict(size=(5, 7)))]:
        with pytest.warns(UserWarning, match="is deprecated"):
            compare(lambda lib, x: getattr(F(lib), name)(x, **kw), x)


@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (lambda nn: nn.Upsample(size=(5, 3), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=(2, 1.5), mode="bicubic"), (1, 2, 3, 4)),
    (lambda nn: nn.Upsample(size=7, mode="linear"), (1, 2, 3)),
    (lambda nn: nn.Upsample(scale_factor=0.5, mode="trilinear", recompute_scale_factor=True),
     (1, 1, 4, 4, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (1, 2, 3, 4)),
    (lambda nn: nn.UpsamplingBilinear2d(size=(6, 5)), (1, 2, 3, 4)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 4)),
    (lambda nn: nn.PixelShuffle(3), (9, 2, 3)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda nn: nn.PixelUnshuffle(3), (1, 2, 1, 3, 6)),
])
def test_modules_and_reprs(make, shape):
    t, e = make(torch.nn), make(ember.nn)
    assert repr(e) == repr(t)
    compare(lambda lib, x: (t if lib is torch else e)(x), rand(*shape))


@pytest.mark.parametrize("r,shape", [(1, (2, 3, 4, 5)), (2, (1, 8, 3, 5)), (2, (4, 3, 2)),
                                     (3, (2, 2, 9, 2, 1))])
def test_pixel_shuffle_roundtrip(r, shape):
    compare(lambda lib, x: F(lib).pixel_shuffle(x, r), rand(*shape))
    compare(lambda lib, x: F(lib).pixel_unshuffle(F(lib).pixel_shuffle(x, r), r), rand(*shape))


X4, X3 = rand(2, 3, 6, 6), rand(2, 3, 6)
ERRORS = [
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=2, mode="linear"),
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=2, mode="trilinear"),
    lambda lib, x, y: F(lib).interpolate(y, scale_factor=2, mode="bilinear"),
    lambda lib, x, y: F(lib).interpolate(y, scale_factor=2, mode="bicubic"),
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=2, mode="foo"),
    lambda lib, x, y: F(lib).interpolate(x[0, 0], scale_factor=2),
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=2, align_corners=True),
    lambda lib, x, y: F(lib).interpolate(x),
    lambda lib, x, y: F(lib).interpolate(x, size=3, scale_factor=2),
    lambda lib, x, y: F(lib).interpolate(x, size=(3,)),
    lambda lib, x, y: F(lib).interpolate(x, size=(3.0, 3)),
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=(2,)),
    lambda lib, x, y: F(lib).interpolate(x, size=0),
    lambda lib, x, y: F(lib).interpolate(y, size=0),
    lambda lib, x, y: F(lib).interpolate(x[None], scale_factor=0.1),
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=-1.0, mode="bilinear"),
    lambda lib, x, y: F(lib).interpolate(x, size=4, recompute_scale_factor=True),
    lambda lib, x, y: F(lib).interpolate(x, scale_factor=2, antialias=True),
    lambda lib, x, y: F(lib).interpolate(x[:, :0], scale_factor=2),
    lambda lib, x, y: F(lib).interpolate(y[:, :0], scale_factor=2, mode="linear"),
    lambda lib, x, y: F(lib).interpolate(x.long(), scale_factor=2),
    lambda lib, x, y: F(lib).interpolate(x.long(), scale_factor=2, mode="bilinear"),
    lambda lib, x, y: F(lib).interpolate(x.long(), scale_factor=2, mode="bicubic"),
    lambda lib, x, y: F(lib).interpolate(y.long(), scale_factor=2, mode="linear"),
    lambda lib, x, y: F(lib).interpolate(y.long(), scale_factor=2),
    lambda lib, x, y: F(lib).pixel_shuffle(x, 2),
    lambda lib, x, y: F(lib).pixel_shuffle(x, 0),
    lambda lib, x, y: F(lib).pixel_shuffle(x[0, 0], 2),
    lambda lib, x, y: F(lib).pixel_shuffle(x, 2.0),
    lambda lib, x, y: F(lib).pixel_unshuffle(x, 4),
    lambda lib, x, y: F(lib).pixel_unshuffle(x[..., :5], 2),
    lambda lib, x, y: F(lib).pixel_unshuffle(x, 0),
    lambda lib, x, y: F(lib).pixel_unshuffle(x[0, 0], 2),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i], X4, X3)


@pytest.mark.parametrize("mode,kw", [("nearest", dict(scale_factor=1.5)),
                                     ("bilinear", dict(size=(4, 7))),
                                     ("bilinear", dict(size=(3, 2), align_corners=True)),
                                     ("bicubic", dict(scale_factor=1.5)),
                                     ("nearest-exact", dict(size=(2, 5)))])
def test_gradcheck(mode, kw):
    x = ember.tensor(rand(1, 2, 3, 4, dtype=F64), requires_grad=True)
    fn = (lambda x: ember.nn.functional.interpolate(x, mode=mode, **kw))
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_double_backward(mode):
    def run(lib, x, g, v):
        y = F(lib).interpolate(x * x, scale_factor=1.5, mode=mode)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        return (gx * v).sum()
    x, v = rand(1, 2, 3, 4, dtype=F64), rand(1, 2, 3, 4, dtype=F64)
    compare(run, x, rand(1, 2, 4, 6, dtype=F64), v)


def test_upsample_module_state():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ember.nn.Upsample(scale_factor=2.0)
    assert m.scale_factor == 2.0 and m.name == "Upsample" and m.recompute_scale_factor is None
    assert ember.nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)

"""Pooling against torch: max / average / adaptive / power-average pooling and max unpooling over
argument tables (kernel, stride, padding, dilation, ceil mode where it changes the size, odd sizes,
batch 1, unbatched inputs), values, indices and input gradients; ties, NaN and -inf windows;
errors with torch's messages; module reprs; gradcheck and double backward."""
import numpy as np
import pytest
import torch

import ember
from helpers import compare, noncontig, rand

F32, F64 = np.float32, np.float64


def F(lib):
    return lib.nn.functional


def same_error(fn, *args, prefix=False):
    """Both libraries raise the same exception type with the same message (or its first words:
    torch reports whichever bad index a thread met first)."""
    t_in = [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
    e_in = [ember.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(Exception) as te:
        fn(torch, *t_in)
    with pytest.raises(type(te.value)) as ee:
        fn(ember, *e_in)
    if prefix:
        assert str(ee.value).split(":")[0] == str(te.value).split(":")[0]
    else:
        assert str(ee.value) == str(te.value)


# (kernel, stride, padding, dilation, ceil_mode) over a 7x6 input: ceil mode changes the size for
# some, and the last row of cases is where it keeps a partial window
MAX2D = [
    (2, None, 0, 1, False), (2, None, 0, 1, True), (3, 2, 1, 1, False), (3, 2, 1, 1, True),
    ((3, 2), (2, 1), (1, 0), 1, False), (3, 1, 1, 2, False), ((2, 3), 2, (1, 1), (2, 1), True),
    (1, 1, 0, 1, False), (4, 3, 2, 1, True), ((3, 1), (3, 2), 0, (1, 3), True), (5, 1, 0, 1, False),
    (2, 3, 0, 1, True),
]


@pytest.mark.parametrize("k,s,p,d,ceil", MAX2D)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 7, 6), (1, 1, 7, 6)])
def test_max_pool2d(k, s, p, d, ceil, shape):
    compare(lambda lib, x: F(lib).max_pool2d(x, k, s, p, d, ceil, return_indices=True),
            rand(*shape))


@pytest.mark.parametrize("k,s,p,d,ceil", MAX2D)
def test_max_pool2d_module_float64_noncontig(k, s, p, d, ceil):
    compare(lambda lib, x: lib.nn.MaxPool2d(k, s, p, d, ceil_mode=ceil)(x),
            noncontig(rand(2, 2, 7, 6, dtype=F64)))


@pytest.mark.parametrize("k,s,p,d,ceil", [(2, None, 0, 1, False), (3, 2, 1, 1, True),
                                          (3, 1, 1, 2, False), (4, 3, 2, 1, True),
                                          (2, 3, 0, 1, True), (7, 1, 3, 1, False)])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)])
def test_max_pool1d(k, s, p, d, ceil, shape):
    compare(lambda lib, x: F(lib).max_pool1d(x, k, s, p, d, ceil, return_indices=True),
            rand(*shape))
    compare(lambda lib, x: lib.nn.MaxPool1d(k, s, p, d, ceil_mode=ceil)(x), rand(*shape))
    x = rand(*shape)  # without grad: PyTorch's own 1-d path
    compare(lambda lib, x: F(lib).max_pool1d(x, k, s, p, d, ceil), x, grad=False)


@pytest.mark.parametrize("k,s,p,d,ceil", [(2, None, 0, 1, False), (3, 2, 1, 1, True),
                                          ((2, 3, 1), 1, (1, 1, 0), (1, 1, 2), False)])
def test_max_pool3d(k, s, p, d, ceil):
    compare(lambda lib, x: F(lib).max_pool3d(x, k, s, p, d, ceil, return_indices=True),
            rand(2, 2, 5, 4, 5))
    compare(lambda lib, x: lib.nn.MaxPool3d(k, s, p, d, ceil_mode=ceil)(x), rand(2, 5, 4, 5))


def test_max_pool_global_kernel():
    """Many kernel offsets take the windowed path."""
    compare(lambda lib, x: F(lib).max_pool2d(x, (7, 6), return_indices=True), rand(2, 3, 7, 6))
    compare(lambda lib, x: F(lib).max_pool2d(x, (6, 6), 1, return_indices=True), rand(2, 7, 8))
    compare(lambda lib, x: F(lib).max_pool2d(x, (6, 6), 1, 3, return_indices=True), rand(2, 7, 8))


def test_max_pool_ties_nan_inf():
    """Ties go to the first maximum of the window, a NaN wins (the last NaN), a window of -inf
    (or of padding) points at its first element inside the input: PyTorch's rules."""
    x = np.array([[[[1, 1, 2, 2], [1, 1, 2, 2], [0, 0, 0, 0], [0, 0, 0, 0]]]], F32)
    for args in [(2,), (3, 1, 1), (2, 1, 1, 2)]:
        compare(lambda lib, x: F(lib).max_pool2d(x, *args, return_indices=True), x, grad=False)
    for out in [(3, 3), (3, 2), 1]:
        compare(lambda lib, x: F(lib).adaptive_max_pool2d(x, out, True), x, grad=False)
    x = np.array([[[1., np.nan, 3., np.nan, 2., 5.]]], F32)
    compare(lambda lib, x: F(lib).max_pool1d(x, 4, 2, return_indices=True), x, grad=False)
    compare(lambda lib, x: F(lib).max_pool1d(x, 3, 1, 1, 2, True, True), x, grad=False)
    compare(lambda lib, x: F(lib).adaptive_max_pool1d(x, 4, True), x, grad=False)
    x2 = np.array([[[1., np.nan, 3.], [np.nan, 2., 5.], [4., 0., np.nan]]], F32)
    compare(lambda lib, x: F(lib).adaptive_max_pool2d(x, 2, True), x2, grad=False)
    x = np.full((1, 1, 3, 3), -np.inf, F32)
    compare(lambda lib, x: F(lib).max_pool2d(x, 2, 1, 1, return_indices=True), x, grad=False)
    compare(lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1, 2, return_indices=True), x, grad=False)


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.float16])
def test_max_pool2d_dtypes(dt):
    x = rand(2, 5, 6, dtype=dt, low=-50 if dt != np.uint8 else 0, high=50)
    compare(lambda lib, x: F(lib).max_pool2d(x, 2, 1, 1, return_indices=True), x, grad=False)


def test_max_pool_empty_batch_and_grad_fn():
    compare(lambda lib, x: F(lib).max_pool2d(x, 2, return_indices=True), rand(0, 2, 4, 4))
    x = ember.randn(2, 3, 4, 4, requires_grad=True)
    assert F(ember).max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F(ember).max_pool1d(x[0], 2).grad_fn.name() == "SqueezeBackward1"
    assert not F(ember).max_pool2d(x, 2, return_indices=True)[1].requires_grad


AVG2D = [  # (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    (2, None, 0, False, True, None), (3, 2, 1, False, True, None), (3, 2, 1, False, False, None),
    (3, 2, 1, True, True, None), (3, 2, 1, True, False, None), ((3, 2), (2, 1), (1, 1), True, True,
                                                                 None),
    ((2, 3), 2, (1, 0), False, False, 5), (4, 3, 2, True, True, 3), (4, 3, 2, True, False, None),
    (1, 1, 0, False, True, None), (2, 3, 0, True, True, None),
]


@pytest.mark.parametrize("k,s,p,ceil,cip,div", AVG2D)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 7, 6)])
def test_avg_pool2d(k, s, p, ceil, cip, div, shape):
    compare(lambda lib, x: F(lib).avg_pool2d(x, k, s, p, ceil, cip, div), rand(*shape))


@pytest.mark.parametrize("k,s,p,ceil,cip,div", AVG2D)
def test_avg_pool2d_module_float64(k, s, p, ceil, cip, div):
    compare(lambda lib, x: lib.nn.AvgPool2d(k, s, p, ceil, cip, div)(x),
            noncontig(rand(1, 2, 7, 6, dtype=F64)))


@pytest.mark.parametrize("k,s,p,ceil,cip", [(2, None, 0, False, True), (3, 2, 1, True, False),
                                            (4, 3, 2, True, True), (3, 1, 1, False, False)])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)])
def test_avg_pool1d(k, s, p, ceil, cip, shape):
    compare(lambda lib, x: F(lib).avg_pool1d(x, k, s, p, ceil, cip), rand(*shape))
    compare(lambda lib, x: lib.nn.AvgPool1d(k, s, p, ceil, cip)(x), rand(*shape))


@pytest.mark.parametrize("k,s,p,ceil,cip,div", [(2, None, 0, False, True, None),
                                                (3, 2, 1, True, False, None),
                                                ((2, 3, 1), 1, (1, 1, 0), False, True, 4)])
def test_avg_pool3d(k, s, p, ceil, cip, div):
    compare(lambda lib, x: F(lib).avg_pool3d(x, k, s, p, ceil, cip, div), rand(2, 2, 5, 4, 5))
    compare(lambda lib, x: lib.nn.AvgPool3d(k, s, p, ceil, cip, div)(x), rand(2, 5, 4, 5))


def test_avg_pool_global_and_ints():
    compare(lambda lib, x: F(lib).avg_pool2d(x, (7, 6)), rand(2, 3, 7, 6))
    compare(lambda lib, x: F(lib).avg_pool2d(x, 6, 1), rand(2, 7, 8))
    x = rand(2, 5, 6, dtype=np.int64, low=-50, high=50)  # integer division truncates
    compare(lambda lib, x: F(lib).avg_pool2d(x, 2, 1, 1), x, grad=False)
    compare(lambda lib, x: F(lib).avg_pool1d(x, 3, 2, 1, True, False), x, grad=False)
    compare(lambda lib, x: F(lib).avg_pool2d(x, 3), rand(2, 6, 6, dtype=np.float16), grad=False)


ADAPTIVE = [(1, 1), (3, 4), (7, 6), (4, 5), (2, 3), (5, 2), (None, 3), (6, None), 3]


@pytest.mark.parametrize("out", ADAPTIVE)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 7, 6)])
def test_adaptive_avg_pool2d(out, shape):
    compare(lambda lib, x: F(lib).adaptive_avg_pool2d(x, out), rand(*shape))


@pytest.mark.parametrize("out", ADAPTIVE)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 7, 6)])
def test_adaptive_max_pool2d(out, shape):
    compare(lambda lib, x: F(lib).adaptive_max_pool2d(x, out, True), rand(*shape))


def test_adaptive_zero_output_size():
    # (torch's backward refuses these, so values only)
    compare(lambda lib, x: F(lib).adaptive_avg_pool2d(x, (0, 2)), rand(2, 3, 7, 6), grad=False)
    compare(lambda lib, x: F(lib).adaptive_max_pool2d(x, (0, 2), True), rand(3, 7, 6), grad=False)


@pytest.mark.parametrize("out", [1, 2, 3, 4, 5, 9, 11])
def test_adaptive_pool1d_and_modules(out):
    compare(lambda lib, x: lib.nn.AdaptiveAvgPool1d(out)(x), rand(2, 3, 9))
    compare(lambda lib, x: lib.nn.AdaptiveMaxPool1d(out, True)(x), rand(3, 9))
    compare(lambda lib, x: lib.nn.AdaptiveAvgPool2d((out, 2))(x), rand(1, 2, 9, 4, dtype=F64))
    compare(lambda lib, x: lib.nn.AdaptiveMaxPool2d((3, out))(x), rand(2, 5, 9))


@pytest.mark.parametrize("out", [1, (2, 3, 2), (None, 2, 4)])
def test_adaptive_pool3d(out):
    compare(lambda lib, x: F(lib).adaptive_avg_pool3d(x, out), rand(2, 2, 5, 4, 5))
    compare(lambda lib, x: F(lib).adaptive_max_pool3d(x, out, True), rand(2, 5, 4, 5))
    compare(lambda lib, x: lib.nn.AdaptiveAvgPool3d(out)(x), rand(2, 5, 4, 5))


def test_adaptive_empty_batch_and_grad_fn():
    compare(lambda lib, x: F(lib).adaptive_avg_pool2d(x, 2), rand(0, 2, 4, 4))
    compare(lambda lib, x: F(lib).adaptive_avg_pool2d(x, 2), rand(2, 0, 4, 4), grad=False)
    compare(lambda lib, x: F(lib).adaptive_max_pool2d(x, 3, True), rand(0, 4, 5))
    x = ember.randn(2, 3, 5, 5, requires_grad=True)
    assert F(ember).adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F(ember).adaptive_max_pool2d(x, 2).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert F(ember).avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"


@pytest.mark.parametrize("norm", [1, 2, 3.0, float("inf")])
def test_lp_pool(norm):
    x = rand(2, 3, 7, 6, low=0.1, high=2.0)
    compare(lambda lib, x: F(lib).lp_pool2d(x, norm, 2), x)
    compare(lambda lib, x: lib.nn.LPPool2d(norm, (3, 2), 2, ceil_mode=True)(x), x)
    compare(lambda lib, x: lib.nn.LPPool1d(norm, 3, 2)(x), rand(2, 3, 9, low=0.1, high=2.0))


# ---- max unpooling -------------------------------------------------------------------------------
@pytest.mark.parametrize("k,s,p,size,out", [(2, None, 0, (6, 6), None),
                                            (2, None, 0, (5, 5), (5, 5)),
                                            (3, 2, 1, (7, 6), (7, 6)),
                                            (3, 2, 1, (7, 6), (1, 1, 7, 6)),
                                            (2, 1, 0, (4, 4), None)])
def test_max_unpool2d(k, s, p, size, out):
    def fn(lib, x):
        v, i = F(lib).max_pool2d(x, k, s, p, return_indices=True)
        return lib.nn.MaxUnpool2d(k, s, p)(v, i, out)
    compare(fn, rand(2, 3, *size))
    compare(fn, rand(3, *size))


def test_max_unpool1d_3d():
    def fn1(lib, x):
        return F(lib).max_unpool1d(*F(lib).max_pool1d(x, 2, return_indices=True), 2)
    compare(fn1, rand(2, 3, 8))

    def fn3(lib, x):
        return lib.nn.MaxUnpool3d(2)(*F(lib).max_pool3d(x, 2, return_indices=True))
    compare(fn3, rand(1, 2, 4, 4, 4))


def test_max_unpool_errors():
    x = rand(2, 3, 5, 5)
    fn = (lambda lib, x: F(lib).max_unpool2d(*F(lib).max_pool2d(x, 2, return_indices=True), 2))
    same_error(fn, x, prefix=True)  # an index outside the default 4x4 output
    same_error(lambda lib, x: F(lib).max_unpool2d(*F(lib).max_pool2d(
        x, 2, return_indices=True), 2, output_size=(7, 7)), x)
    same_error(lambda lib, x: F(lib).max_unpool2d(*F(lib).max_pool2d(
        x, 2, return_indices=True), 2, output_size=(1, 5, 5)), x)
    v = rand(2, 3, 2, 2)
    same_error(lambda lib, v: F(lib).max_unpool2d(v, lib.full((2, 3, 2, 2), 1.), 2), v)
    same_error(lambda lib, v: F(lib).max_unpool2d(v, lib.full((2, 3, 2, 3), 1), 2), v)
    same_error(lambda lib, v: F(lib).max_unpool2d(v[0, 0], lib.full((2, 2), 1), 2), v)
    same_error(lambda lib, v: F(lib).max_unpool2d(v[:, :0], lib.full((2, 0, 2, 2), 1), 2), v)


# ---- errors and reprs ----------------------------------------------------------------------------
X4, X3 = rand(2, 3, 5, 5), rand(2, 3, 6)
ERRORS = [
    lambda lib, x, y: F(lib).max_pool2d(x, 3, padding=2),
    lambda lib, x, y: F(lib).max_pool2d(x, 0),
    lambda lib, x, y: F(lib).max_pool2d(x, -1),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, stride=-1),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, dilation=0),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, padding=-1),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, padding=2, dilation=3),
    lambda lib, x, y: F(lib).max_pool2d(x, 6),
    lambda lib, x, y: F(lib).max_pool2d(x, (2, 2, 2)),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, stride=(1, 1, 1)),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, padding=(1, 1, 1)),
    lambda lib, x, y: F(lib).max_pool2d(x, 2, dilation=(1, 1, 1)),
    lambda lib, x, y: F(lib).max_pool2d(x, 2.0),
    lambda lib, x, y: F(lib).max_pool2d(x, (2, 2.0)),
    lambda lib, x, y: F(lib).max_pool2d(x[0, 0], 2),
    lambda lib, x, y: F(lib).max_pool2d(x[:, :0], 2),
    lambda lib, x, y: F(lib).max_pool2d(x.bool(), 2),
    lambda lib, x, y: F(lib).max_pool3d(x[0], 2),
    lambda lib, x, y: F(lib).max_pool3d(x[None], 5),
    lambda lib, x, y: F(lib).max_pool3d(x[None], (2, 2)),
    lambda lib, x, y: F(lib).max_pool3d(x[None], 2, stride=-1),
    lambda lib, x, y: F(lib).max_pool3d(x[None, :, :0], 2),
    lambda lib, x, y: F(lib).avg_pool3d(x[None], 6),
    lambda lib, x, y: F(lib).avg_pool3d(x[None], (2, 2)),
    lambda lib, x, y: F(lib).avg_pool2d(x, 3, padding=2),
    lambda lib, x, y: F(lib).avg_pool2d(x, 6),
    lambda lib, x, y: F(lib).avg_pool2d(x, 2, stride=0),
    lambda lib, x, y: F(lib).avg_pool2d(x, 2, divisor_override=0),
    lambda lib, x, y: F(lib).avg_pool2d(x.bool(), 2),
    lambda lib, x, y: F(lib).avg_pool1d(y, 2, padding=2),
    lambda lib, x, y: F(lib).avg_pool1d(y, 7),
    lambda lib, x, y: F(lib).avg_pool1d(y, (2, 2)),
    lambda lib, x, y: F(lib).avg_pool1d(y[0, 0], 2),
    lambda lib, x, y: F(lib).max_pool1d(y, 7),
    lambda lib, x, y: F(lib).max_pool1d(y, (2, 2)),
    lambda lib, x, y: F(lib).max_pool1d(y, 2, padding=2),
    lambda lib, x, y: F(lib).max_pool1d(y, 2, dilation=0),
    lambda lib, x, y: F(lib).max_pool1d(y, 0),
    lambda lib, x, y: F(lib).max_pool1d(y, 2, stride=0),
    lambda lib, x, y: F(lib).max_pool1d(y.long(), 2),
    lambda lib, x, y: F(lib).max_pool1d(x, 2),
    lambda lib, x, y: F(lib).max_pool1d(y[:, :0], 2),
    lambda lib, x, y: F(lib).max_pool1d(y, 2, return_indices=True, padding=2),
    lambda lib, x, y: F(lib).max_pool1d(x, 2, return_indices=True),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x, (2, 2, 2)),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x, -1),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x[0, 0, 0], 2),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x[..., :0], 2),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x[0, :, :0], 2),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x.long(), 2),
    lambda lib, x, y: F(lib).adaptive_avg_pool2d(x[0, 0], (None, 2)),
    lambda lib, x, y: F(lib).adaptive_avg_pool3d(x, (2, 2)),
    lambda lib, x, y: F(lib).adaptive_avg_pool3d(x[None], -1),
    lambda lib, x, y: F(lib).adaptive_max_pool2d(x, (2, 2, 2)),
    lambda lib, x, y: F(lib).adaptive_max_pool2d(x, -1),
    lambda lib, x, y: F(lib).adaptive_max_pool2d(x[0, 0, 0], 2),
    lambda lib, x, y: F(lib).adaptive_max_pool2d(x[:, :0], 2),
    lambda lib, x, y: F(lib).adaptive_max_pool2d(x.long(), 2),
    lambda lib, x, y: F(lib).adaptive_avg_pool1d(y, (2, 2)),
    lambda lib, x, y: F(lib).adaptive_max_pool1d(y[0, 0], 2),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    same_error(ERRORS[i], X4, X3)


def test_reprs():
    for make in [lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                 lambda nn: nn.MaxPool1d((2,), dilation=2, return_indices=True),
                 lambda nn: nn.MaxPool3d(2),
                 lambda nn: nn.AvgPool1d(3), lambda nn: nn.AvgPool2d((2, 3), 1, 1, True, False, 2),
                 lambda nn: nn.AvgPool3d(2, padding=1), lambda nn: nn.MaxUnpool1d(2),
                 lambda nn: nn.MaxUnpool2d((2, 3), 1), lambda nn: nn.MaxUnpool3d(2, padding=1),
                 lambda nn: nn.LPPool2d(2, 3), lambda nn: nn.LPPool1d(1.5, 2, 1, True),
                 lambda nn: nn.AdaptiveAvgPool2d((None, 7)), lambda nn: nn.AdaptiveMaxPool1d(3),
                 lambda nn: nn.AdaptiveMaxPool2d(2, return_indices=True),
                 lambda nn: nn.AdaptiveAvgPool3d(1)]:
        t, e = make(torch.nn), make(ember.nn)
        assert repr(e) == repr(t)
        assert {k: v for k, v in vars(e).items() if not k.startswith("_")} == \
            {k: v for k, v in vars(t).items() if not k.startswith("_")}


# ---- gradcheck and double backward ---------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda F, x: F.max_pool2d(x, 2, 1, dilation=(2, 1)),
    lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False),
    lambda F, x: F.avg_pool2d(x, 2, 1, divisor_override=3),
    lambda F, x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda F, x: F.adaptive_max_pool2d(x, (3, 2)),
    lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 4)),
    lambda F, x: F.lp_pool2d(x * x + 0.5, 2, 2),
])
def test_gradcheck(fn):
    x = ember.tensor(rand(1, 2, 5, 4, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: fn(ember.nn.functional, x), (x,))
    assert ember.autograd.gradgradcheck(lambda x: fn(ember.nn.functional, x), (x,))


@pytest.mark.parametrize("fn", [
    lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda F, x: F.max_pool2d(x, 2),
    lambda F, x: F.max_pool2d(x, (5, 4)),
    lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False),
    lambda F, x: F.avg_pool2d(x, 2),
    lambda F, x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda F, x: F.adaptive_max_pool2d(x, (3, 3)),
])
def test_double_backward(fn):
    """d/dx of (grad_x . v) where grad_x is taken with create_graph: torch and ember agree, and so
    do the gradients with respect to the upstream gradient."""
    def run(lib, x, g, v):
        y = fn(F(lib), x * x)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        return (gx * v).sum()
    x, v = rand(1, 2, 5, 4, dtype=F64), rand(1, 2, 5, 4, dtype=F64)
    g = rand(*fn(F(torch), torch.from_numpy(x)).shape, dtype=F64)
    compare(run, x, g, v)

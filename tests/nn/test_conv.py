"""Convolutions against torch: F.conv1d/2d/3d and F.conv_transpose1d/2d/3d (values, gradients of
input, weight and bias, double backward), their errors, and the Conv / ConvTranspose layers
(padding modes, output_size, reprs, state_dicts, initialisation)."""
import math

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from helpers import compare, noncontig, rand
from nn.test_module import same_error
from nn.trees import same_repr

F32, F64 = np.float32, np.float64
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def conv(n, **kw):
    return lambda lib, x, w, *b: getattr(lib.nn.functional, f"conv{n}d")(x, w, *b, **kw)


def conv_t(n, **kw):
    return lambda lib, x, w, *b: getattr(lib.nn.functional, f"conv_transpose{n}d")(x, w, *b, **kw)


# ---- F.conv2d: an argument table -----------------------------------------------------------------
# (x shape, weight shape, keyword arguments)
CONV2D = [
    ((2, 3, 6, 7), (4, 3, 3, 3), {}),
    ((2, 3, 6, 7), (4, 3, 3, 3), dict(stride=2)),
    ((2, 3, 7, 6), (4, 3, 3, 2), dict(stride=(2, 3), padding=(1, 2))),
    ((1, 3, 6, 7), (4, 3, 3, 3), dict(padding=1, dilation=2)),
    ((2, 3, 8, 7), (5, 3, 2, 3), dict(dilation=(2, 1), stride=(1, 2), padding=(2, 0))),
    ((2, 4, 5, 5), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 4, 5, 6), (8, 1, 3, 3), dict(groups=4, padding=1)),              # depthwise, mult 2
    ((2, 3, 5, 6), (3, 1, 3, 3), dict(groups=3, stride=2, padding=1)),    # depthwise
    ((2, 3, 5, 6), (4, 3, 1, 1), {}),                                     # 1x1
    ((2, 3, 5, 6), (4, 3, 1, 1), dict(stride=2)),                         # strided 1x1
    ((2, 3, 5, 6), (4, 3, 3, 3), dict(padding="same")),
    ((2, 3, 5, 6), (4, 3, 2, 4), dict(padding="same")),                   # even kernels
    ((2, 3, 7, 6), (4, 3, 2, 3), dict(padding="same", dilation=(3, 2))),
    ((2, 3, 5, 6), (4, 3, 3, 3), dict(padding="valid", stride=2)),
    ((1, 1, 3, 3), (1, 1, 3, 3), {}),                                     # kernel = input
    ((2, 3, 4, 5), (2, 3, 3, 3), dict(padding=4)),                        # padding > kernel
    ((2, 3, 9, 9), (4, 3, 3, 3), dict(stride=4)),                         # stride > kernel
    ((0, 3, 5, 5), (4, 3, 3, 3), {}),                                     # empty batch
    ((3, 5, 6), (4, 3, 3, 3), dict(padding=1)),                           # unbatched
    # fewer output than input channels: the input gradient is a convolution (stride 1)
    ((2, 6, 5, 6), (3, 6, 3, 3), dict(padding=2, dilation=2)),
    ((2, 6, 5, 6), (4, 3, 3, 2), dict(groups=2, padding=(1, 3))),         # padding > kernel
]


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(xs, ws, kw, bias):
    b = (rand(ws[0]),) if bias else ()
    compare(conv(2, **kw), rand(*xs), rand(*ws), *b)


@pytest.mark.parametrize("xs,ws,kw", CONV2D[:8])
def test_conv2d_float64(xs, ws, kw):
    compare(conv(2, **kw), rand(*xs, dtype=F64), rand(*ws, dtype=F64), rand(ws[0], dtype=F64))


def test_conv2d_noncontiguous_and_integers():
    compare(conv(2, padding=1), noncontig(rand(2, 3, 5, 6)), noncontig(rand(4, 3, 3, 3)))
    compare(lambda lib, x, w: lib.nn.functional.conv2d(x[:, :, ::2], w.transpose(2, 3)),
            rand(2, 3, 10, 6), rand(4, 3, 3, 2))
    compare(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b).sum(), rand(2, 3, 5, 6),
            rand(4, 3, 3, 3), rand(4))  # a broadcast upstream gradient
    i64 = dict(dtype=np.int64, low=-3, high=3)
    compare(conv(2, padding=1), rand(2, 3, 5, 5, **i64), rand(4, 3, 3, 3, **i64))


CONV1D = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 4, 9), (4, 2, 2), dict(stride=2, padding=1, dilation=2, groups=2)),
    ((1, 3, 8), (6, 1, 3), dict(groups=3, padding="same")),
    ((3, 9), (4, 3, 4), dict(padding="same", dilation=3)),
    ((2, 3, 9), (4, 3, 1), dict(stride=3)),
]


@pytest.mark.parametrize("xs,ws,kw", CONV1D)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_conv1d(xs, ws, kw, dtype):
    compare(conv(1, **kw), rand(*xs, dtype=dtype), rand(*ws, dtype=dtype), rand(ws[0], dtype=dtype))


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 2, 4, 5, 4), (3, 2, 2, 3, 2), {}),
    ((1, 4, 5, 4, 6), (4, 2, 3, 1, 3), dict(stride=(2, 1, 2), padding=(1, 0, 1), groups=2)),
    ((2, 4, 5, 4), (3, 2, 3, 3, 3), dict(padding="same", dilation=(1, 2, 1))),
])
def test_conv3d(xs, ws, kw):
    compare(conv(3, **kw), rand(*xs), rand(*ws), rand(ws[0]))


# ---- transposed convolutions ---------------------------------------------------------------------
CONV_T2D = [
    ((2, 3, 4, 5), (3, 4, 3, 3), {}),
    ((2, 3, 4, 5), (3, 4, 3, 3), dict(stride=2)),
    ((2, 3, 4, 5), (3, 4, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
    ((2, 4, 4, 5), (4, 3, 3, 3), dict(groups=2, stride=2, padding=1, output_padding=1)),
    ((2, 4, 4, 3), (4, 1, 3, 3), dict(groups=4, dilation=2)),             # depthwise
    ((2, 3, 4, 5), (3, 2, 3, 3), dict(dilation=(2, 3), output_padding=(1, 2))),  # op < dilation
    ((1, 3, 4, 5), (3, 2, 2, 3), dict(stride=3, padding=2)),
    ((2, 3, 4, 5), (3, 2, 1, 1), dict(stride=2)),
    ((3, 4, 5), (3, 2, 3, 3), dict(stride=2, output_padding=1)),          # unbatched
    ((0, 3, 4, 5), (3, 2, 3, 3), {}),
    ((2, 2, 4, 5), (2, 4, 3, 3), dict(padding=(1, 2), dilation=(1, 2))),  # as a convolution
    ((2, 4, 4, 5), (4, 3, 3, 3), dict(padding=1, groups=2)),
]


@pytest.mark.parametrize("xs,ws,kw", CONV_T2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d(xs, ws, kw, bias):
    b = (rand(ws[1] * kw.get("groups", 1)),) if bias else ()
    compare(conv_t(2, **kw), rand(*xs), rand(*ws), *b)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 7), (3, 4, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 7), (4, 1, 2), dict(groups=2, dilation=3, output_padding=2)),
    ((3, 7), (3, 2, 4), dict(stride=3)),
    ((2, 2, 3, 4, 3), (2, 3, 2, 3, 2), dict(stride=(2, 1, 2), padding=(1, 0, 0))),
])
@pytest.mark.parametrize("dtype", [F32, F64])
def test_conv_transpose_1d_3d(xs, ws, kw, dtype):
    n = len(ws) - 2
    b = rand(ws[1] * kw.get("groups", 1), dtype=dtype)
    compare(conv_t(n, **kw), rand(*xs, dtype=dtype), rand(*ws, dtype=dtype), b)


@pytest.fixture(params=["channels-first", "channels-last", "narrow", "channels-first-2-threads",
                        "channels-last-2-threads", "narrow-2-threads"])
def two_image_chunks(request, monkeypatch):
    """Convolutions run over the batch in chunks, with columns channels-first or (one group)
    channels-last, and weight gradients of few columns image by image (``narrow``), the chunks
    dealt out to threads: force chunks of two images (and a last one of one), in each layout, on
    one thread and on two, so that the chunk loop, the reused buffers, the partial last chunk and
    the threads' shares of the weight gradient are exercised."""
    from ember._ops import _conv_chunks, _parallel
    monkeypatch.setattr(_conv_chunks, "_chunk", lambda x, per_image, nl: 2)
    last = request.param.startswith("channels-last")
    monkeypatch.setattr(_conv_chunks, "_channels_last",
                        lambda C, g, groups, xp, B: last and groups == 1)
    if not request.param.startswith("narrow"):
        monkeypatch.setattr(_conv_chunks, "_NARROW", 0)
    threads = 2 if request.param.endswith("2-threads") else 1
    monkeypatch.setattr(_parallel, "workers", lambda parts: max(1, min(parts, threads)))


def _batch3(xs):
    return (3,) + tuple(xs[1:]) if len(xs) == len(CONV2D[0][0]) else xs


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d_in_chunks(xs, ws, kw, two_image_chunks):
    compare(conv(2, **kw), rand(*_batch3(xs)), rand(*ws), rand(ws[0]))


@pytest.mark.parametrize("xs,ws,kw", CONV_T2D)
def test_conv_transpose2d_in_chunks(xs, ws, kw, two_image_chunks):
    compare(conv_t(2, **kw), rand(*_batch3(xs)), rand(*ws), rand(ws[1] * kw.get("groups", 1)))


def test_conv1d_3d_in_chunks(two_image_chunks):
    compare(conv(1, stride=2, padding=1, dilation=2, groups=2), rand(5, 4, 9), rand(4, 2, 2),
            rand(4))
    compare(conv(3, stride=(2, 1, 2), padding=(1, 0, 1), groups=2), rand(3, 4, 5, 4, 6),
            rand(4, 2, 3, 1, 3), rand(4))
    compare(conv_t(1, stride=2, padding=1, output_padding=1), rand(5, 3, 7), rand(3, 4, 3),
            rand(4))


@pytest.mark.parametrize("fn,xs,ws", [
    (conv(2), (3, 1, 10, 9), (4, 1, 3, 3)),                              # MNIST's first conv
    (conv(2, stride=2, padding=(1, 2), dilation=(2, 1)), (2, 3, 9, 8), (5, 3, 3, 3)),
    (conv(1, padding=1), (3, 2, 11), (4, 2, 5)),
    (conv(3, padding=1), (2, 1, 4, 5, 3), (3, 1, 3, 2, 3)),
])
@pytest.mark.parametrize("bias", [True, False])
def test_narrow_weight_gradient(fn, xs, ws, bias, monkeypatch):
    """Weight gradients of few columns go image by image through ``narrow_weight_grad`` (the
    bias gradient with them), whether or not the input needs a gradient too."""
    from ember._ops import _conv_chunks
    calls = []
    real = _conv_chunks.narrow_weight_grad
    monkeypatch.setattr(_conv_chunks, "narrow_weight_grad",
                        lambda *a: calls.append(a[-1]) or real(*a))
    b = (rand(ws[0]),) if bias else ()
    compare(fn, rand(*xs), rand(*ws), *b)
    x = ember.tensor(rand(*xs))  # an input that needs no gradient: the weight's alone
    w = ember.tensor(rand(*ws), requires_grad=True)
    fn(ember, x, w).sum().backward()
    assert calls == [bias, False] and w.grad is not None


SMALL_MAPS = [  # output maps of at most 4 positions: one product per position over its taps
    (conv(2, padding=1), (2, 5, 1, 1), (4, 5, 3, 3)),
    (conv(2, padding=1), (3, 5, 2, 2), (4, 5, 3, 3)),
    (conv(2, stride=2, padding=1), (2, 3, 4, 4), (4, 3, 3, 3)),
    (conv(2, padding=(2, 1), dilation=2), (2, 3, 2, 1), (4, 3, 3, 2)),
    (conv(2), (2, 3, 3, 3), (4, 3, 3, 3)),
    (conv(1, padding=2), (2, 3, 3), (4, 3, 5)),
    (conv(3, padding=1), (2, 3, 1, 2, 2), (4, 3, 3, 3, 3)),
    (conv_t(2, padding=1), (2, 4, 2, 2), (4, 3, 3, 3)),
    (conv_t(2, stride=2), (2, 4, 1, 1), (4, 3, 3, 3)),
]


@pytest.mark.parametrize("fn,xs,ws", SMALL_MAPS)
def test_small_output_maps(fn, xs, ws, monkeypatch):
    from ember._ops import _conv_small
    calls = []
    for name in ("forward", "backward"):
        real = getattr(_conv_small, name)
        monkeypatch.setattr(_conv_small, name,
                            lambda *a, _real=real, **k: calls.append(1) or _real(*a, **k))
    b = ws[1] if fn.__qualname__.startswith("conv_t") else ws[0]
    compare(fn, rand(*xs), rand(*ws), rand(b))
    assert calls  # the small-map path ran


def test_conv_transpose_is_the_adjoint_of_conv():
    x, w = ember.randn(2, 3, 7, 6), ember.randn(4, 3, 3, 3)
    y = ember.randn(2, 4, 4, 3)
    F = enn.functional
    lhs = (F.conv2d(x, w, stride=2, padding=1) * y).sum()
    rhs = (x * F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1))).sum()
    np.testing.assert_allclose(lhs.item(), rhs.item(), rtol=1e-4)


# ---- second derivatives and gradcheck ------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib: conv(2, stride=2, padding=1, groups=2),
    lambda lib: conv(2, padding="same", dilation=2, groups=2),
    lambda lib: conv_t(2, stride=2, padding=1, output_padding=1, groups=2),
])
def test_double_backward(fn):
    f = fn(None)

    def grads(lib, x, w, b):
        y = f(lib, x, w, b)
        return lib.autograd.grad((y * y).sum(), (x, w, b), create_graph=True)

    compare(grads, rand(2, 4, 5, 6, dtype=F64), rand(4, 2, 3, 3, dtype=F64), rand(4, dtype=F64))


@pytest.mark.parametrize("fn,xs,ws,bs", [
    (conv(2, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), (1, 4, 4, 3), (4, 2, 3, 2), 4),
    (conv_t(2, stride=2, padding=1, output_padding=1, groups=2), (1, 4, 3, 3), (4, 1, 3, 2), 2),
    (conv(1, padding="same"), (2, 3, 5), (2, 3, 2), 2),
    (conv_t(1, stride=2, dilation=2), (3, 4), (3, 2, 3), 2),
])
def test_gradcheck(fn, xs, ws, bs):
    x, w, b = (ember.tensor(rand(*s, dtype=F64), requires_grad=True) for s in (xs, ws, (bs,)))
    f = lambda x, w, b: fn(ember, x, w, b)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


def test_grad_fn_and_needed_gradients_only():
    x = ember.randn(2, 3, 5, 5)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    y = enn.functional.conv2d(x, w)
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    assert y.grad_fn.next_functions[0] == (None, 0) and y.grad_fn.next_functions[2] == (None, 0)
    y.sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3)
    u = enn.functional.conv2d(ember.randn(3, 5, 5, requires_grad=True), w)
    assert type(u.grad_fn).__name__ == "SqueezeBackward1"
    with ember.no_grad():
        assert enn.functional.conv2d(x, w).grad_fn is None
    assert enn.functional.conv2d(x, w).dtype == ember.float32


# ---- errors --------------------------------------------------------------------------------------
def _t(lib, *shape, dtype=None):
    return lib.zeros(*shape, dtype=getattr(lib, dtype) if dtype else None)


@pytest.mark.parametrize("call", [
    lambda lib, F: F.conv2d(_t(lib, 2, 4, 10, 10), _t(lib, 8, 3, 3, 3)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 2, 2), _t(lib, 8, 3, 3, 3)),
    lambda lib, F: F.conv2d(_t(lib, 1, 3, 4, 4), _t(lib, 8, 3, 3, 3), dilation=(2, 1)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3), _t(lib, 8, 3, 3, 3)),
    lambda lib, F: F.conv1d(_t(lib, 2, 3, 5), _t(lib, 8, 3, 3, 3)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), _t(lib, 4)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), stride=0),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), padding=-1),
    lambda lib, F: F.conv2d(_t(lib, 1, 3, 5, 5), _t(lib, 8, 3, 3, 3), dilation=0),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), dilation=-1),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), groups=0),
    lambda lib, F: F.conv2d(_t(lib, 2, 6, 5, 5), _t(lib, 9, 3, 3, 3), groups=2),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), groups=16),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), padding="same", stride=2),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), padding="foo"),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), stride=(1, 1, 1)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), padding=[]),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5, dtype="float64"), _t(lib, 8, 3, 3, 3)),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 5, 5), _t(lib, 8, 3, 3, 3), _t(lib, 8, dtype="float64")),
    lambda lib, F: F.conv2d(_t(lib, 2, 3, 0, 5), _t(lib, 8, 3, 3, 3)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 2, 3, 5, 5), _t(lib, 3, 2, 3, 3), output_padding=1),
    lambda lib, F: F.conv_transpose2d(_t(lib, 2, 3, 5, 5), _t(lib, 3, 2, 3, 3), stride=2,
                                      output_padding=(1, 2)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 2, 4, 5, 5), _t(lib, 3, 2, 3, 3)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 2, 3, 5, 5), _t(lib, 3, 2, 3, 3), _t(lib, 3)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 2, 3, 4, 4, dtype="float64"),
                                      _t(lib, 3, 2, 3, 3, dtype="float64"), padding=(2, 3)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 2, 3, 5, 5), _t(lib, 3, 2, 3, 3), output_padding=-1),
    lambda lib, F: F.conv_transpose1d(_t(lib, 1, 3, 4), _t(lib, 3, 2, 3), dilation=0),
    lambda lib, F: F.conv_transpose2d(_t(lib, 5, 5), _t(lib, 3, 2, 3, 3)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 1, 3, 0, 4), _t(lib, 3, 2, 3, 3)),
])
def test_errors(call):
    same_error(lambda lib: call(lib, lib.nn.functional))


@pytest.mark.parametrize("call", [
    lambda lib, F: F.conv2d(_t(lib, 1, 3, 4, 4), _t(lib, 8, 3, 3, 3), stride=2.0),
    lambda lib, F: F.conv2d(_t(lib, 1, 3, 4, 4), 3.0),
    lambda lib, F: F.conv2d(_t(lib, 1, 3, 4, 4), _t(lib, 8, 3, 3, 3), 3, 1),
    lambda lib, F: F.conv_transpose2d(_t(lib, 1, 3, 4, 4), _t(lib, 3, 2, 3, 3), padding="same"),
    lambda lib, F: F.conv_transpose2d([1.0], _t(lib, 3, 2, 3, 3)),
    lambda lib, F: F.conv_transpose2d(_t(lib, 1, 3, 4, 4), _t(lib, 3, 2, 3, 3), 1.0),
    lambda lib, F: F.conv_transpose2d(_t(lib, 1, 3, 4, 4), _t(lib, 3, 2, 3, 3), groups=1.0),
])
def test_type_errors(call):
    same_error(lambda lib: call(lib, lib.nn.functional))


# ---- layers --------------------------------------------------------------------------------------
def compare_layer(name, args, kwargs, xshape, output_size=None, dtype=F32):
    """Build the layer in both libraries with torch's parameters, then compare the output and the
    gradients of the input and of every parameter."""
    t = getattr(torch.nn, name)(*args, **kwargs)
    e = getattr(enn, name)(*args, **kwargs)
    if dtype == F64:
        t, e = t.double(), e.double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = rand(*xshape, dtype=dtype)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    extra = () if output_size is None else (output_size,)
    ty, ey = t(tx, *extra), e(ex, *extra)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = rand(*ty.shape, dtype=dtype)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    for (k, tp), (k2, ep) in zip(t.named_parameters(), e.named_parameters()):
        assert k == k2
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5)
    return t, e


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("name,args,kwargs,xshape", [
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 5, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(padding=(2, 1), stride=(2, 1), groups=2), (2, 4, 5, 6)),
    ("Conv2d", (3, 4, 3), dict(padding="same", dilation=2), (3, 5, 6)),
    ("Conv1d", (3, 4, 3), dict(padding=2, dilation=2), (2, 3, 7)),
    ("Conv3d", (2, 2, 3), dict(padding=1, bias=False), (1, 2, 4, 4, 3)),
])
def test_conv_layers(mode, name, args, kwargs, xshape):
    compare_layer(name, args, dict(kwargs, padding_mode=mode), xshape)


@pytest.mark.parametrize("name,args,kwargs,xshape,output_size", [
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 5), None),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 5), [8, 10]),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 4, 5), (2, 4, 7, 9)),
    ("ConvTranspose2d", (4, 6, (3, 2)),
     dict(stride=(2, 3), groups=2, dilation=(1, 2), output_padding=(1, 0), bias=False),
     (2, 4, 4, 5), None),
    ("ConvTranspose1d", (3, 4, 3), dict(stride=3), (3, 5), [17]),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2), (1, 2, 2, 3, 2), None),
])
def test_conv_transpose_layers(name, args, kwargs, xshape, output_size):
    compare_layer(name, args, kwargs, xshape, output_size)


def test_conv_layer_float64():
    compare_layer("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="reflect"), (2, 3, 5, 6),
                  dtype=F64)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(4, 6, 3, groups=3),
    lambda nn: nn.Conv2d(3, 6, 3, groups=2),
    lambda nn: nn.Conv2d(4, 6, 3, groups=0),
    lambda nn: nn.Conv2d(3, 6, 3, stride=2, padding="same"),
    lambda nn: nn.Conv2d(3, 6, 3, padding="full"),
    lambda nn: nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect"),
    lambda nn: nn.ConvTranspose2d(3, 6, 3, stride=2)(ember_or_torch(nn).zeros(1, 3, 4, 4),
                                                     output_size=(12, 12)),
    lambda nn: nn.ConvTranspose2d(3, 6, 3)(ember_or_torch(nn).zeros(1, 3, 4, 4),
                                           output_size=(6, 6, 6)),
    lambda nn: nn.Conv2d(3, 6, 3)(ember_or_torch(nn).zeros(1, 4, 5, 5)),
])
def test_layer_errors(make):
    same_error(lambda lib: make(lib.nn))


@pytest.mark.parametrize("layer, mode", [("Conv2d", "zero"), ("Conv1d", "mirror")])
def test_bad_padding_mode(layer, mode):
    # NOTE: torch prints the valid modes as a set, whose order changes with the hash seed, so the
    # message is compared piece by piece
    with pytest.raises(ValueError) as t:
        getattr(torch.nn, layer)(3, 6, 3, padding_mode=mode)
    with pytest.raises(ValueError) as e:
        getattr(enn, layer)(3, 6, 3, padding_mode=mode)
    head, tail = str(t.value).split("{")[0], str(t.value).split("}")[1]
    assert str(e.value).startswith(head) and str(e.value).endswith(tail)
    for m in ("zeros", "reflect", "replicate", "circular"):
        assert repr(m) in str(e.value)


def ember_or_torch(nn):
    return ember if nn is enn else torch


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv1d(16, 33, 3, stride=2),
    lambda nn: nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)),
    lambda nn: nn.Conv2d(4, 8, 3, padding="same", groups=4, bias=False, padding_mode="reflect"),
    lambda nn: nn.Conv2d(4, 8, 3, padding="valid"),
    lambda nn: nn.Conv3d(2, 4, 3, padding=1, padding_mode="circular"),
    lambda nn: nn.ConvTranspose2d(16, 33, 3, stride=2, output_padding=1, groups=1, dilation=2),
    lambda nn: nn.ConvTranspose1d(4, 8, 3, groups=2, bias=False),
    lambda nn: nn.ConvTranspose3d(4, 8, (1, 2, 3)),
    lambda nn: nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)),
])
def test_repr_and_state_dict(make):
    t, e = make(torch.nn), make(enn)
    same_repr(e, t)
    assert list(e.state_dict()) == list(t.state_dict())
    for (k, tv), ev in zip(t.state_dict().items(), e.state_dict().values()):
        assert tuple(ev.shape) == tuple(tv.shape), k
    for a in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
              "transposed", "output_padding", "groups", "padding_mode",
              "_reversed_padding_repeated_twice"):
        if hasattr(t, a):
            assert getattr(e, a) == getattr(t, a), a


@pytest.mark.parametrize("make,fan_in", [
    (lambda nn: nn.Conv2d(64, 64, 3), 64 * 9),
    (lambda nn: nn.Conv1d(32, 128, 5, groups=4), 8 * 5),
    (lambda nn: nn.ConvTranspose2d(64, 128, 3, groups=2), 64 * 9),  # fan_in of (in, out/g, k)
])
def test_init_statistics(make, fan_in):
    m = make(enn)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...)
    for p in (m.weight, m.bias):
        v = p.detach().numpy()
        assert v.min() >= -bound and v.max() <= bound
        assert v.min() < -0.9 * bound and v.max() > 0.9 * bound
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.05)
    assert abs(w.mean()) < 0.05 * bound
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad


def test_layer_dtype_and_parameters():
    m = enn.Conv2d(3, 4, 3, dtype=ember.float64, bias=False)
    assert m.weight.dtype == ember.float64 and m.bias is None
    assert [n for n, _ in enn.ConvTranspose2d(2, 4, 3).named_parameters()] == ["weight", "bias"]
    assert enn.ConvTranspose2d(2, 4, 3, groups=2).weight.shape == (2, 2, 3, 3)
    assert isinstance(enn.Conv2d(1, 1, 1), enn.modules.conv._ConvNd)

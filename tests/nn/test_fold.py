"""F.unfold (im2col) and F.fold (col2im) against torch: values, gradients, double backward, round
trips, unbatched inputs and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import compare, rand
from nn.test_module import same_error

F32, F64 = np.float32, np.float64

# (spatial size, kernel_size, keyword arguments)
CASES = [
    ((5, 5), 2, {}),
    ((6, 7), (2, 3), dict(dilation=(1, 2), padding=1, stride=(2, 1))),
    ((4, 4), 3, dict(padding=2, stride=3)),
    ((5, 6), 1, dict(stride=2)),
    ((7, 5), (3, 1), dict(dilation=2)),
]


def _blocks(size, k, kw):
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    k, d, p, s = (pair(v) for v in (k, kw.get("dilation", 1), kw.get("padding", 0),
                                    kw.get("stride", 1)))
    return int(np.prod([(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                        for n, kk, dd, pp, ss in zip(size, k, d, p, s)])), k[0] * k[1]


@pytest.mark.parametrize("size,k,kw", CASES)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_unfold(size, k, kw, dtype):
    compare(lambda lib, x: lib.nn.functional.unfold(x, k, **kw), rand(2, 3, *size, dtype=dtype))
    compare(lambda lib, x: lib.nn.functional.unfold(x, k, **kw), rand(3, *size, dtype=dtype))


@pytest.mark.parametrize("size,k,kw", CASES)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_fold(size, k, kw, dtype):
    L, kk = _blocks(size, k, kw)
    def f(lib, x):
        return lib.nn.functional.fold(x, size, k, **kw)

    compare(f, rand(2, 3 * kk, L, dtype=dtype))
    compare(f, rand(3 * kk, L, dtype=dtype))


@pytest.mark.parametrize("size,k,kw", CASES[:3])
def test_round_trip(size, k, kw):
    """fold(unfold(x)) multiplies each pixel by the number of blocks that cover it, as in torch."""
    def rt(lib, x):
        F = lib.nn.functional
        return F.fold(F.unfold(x, k, **kw), size, k, **kw)

    compare(rt, rand(2, 3, *size))
    x = ember.tensor(rand(1, 2, *size))
    ones = ember.ones(1, 2, *size)
    F = ember.nn.functional
    counts = F.fold(F.unfold(ones, k, **kw), size, k, **kw)
    np.testing.assert_allclose(F.fold(F.unfold(x, k, **kw), size, k, **kw).numpy(),
                               (x * counts).numpy(), rtol=1e-6)


def test_double_backward_and_grad_fns():
    def grads(lib, x):
        F = lib.nn.functional
        y = F.fold(F.unfold(x, 2, stride=1) ** 2, (4, 5), 2)
        return lib.autograd.grad((y * y).sum(), x, create_graph=True)

    compare(grads, rand(2, 3, 4, 5, dtype=F64))
    x = ember.tensor(rand(1, 2, 4, 5, dtype=F64), requires_grad=True)
    u = ember.nn.functional.unfold(x, 2)
    assert type(u.grad_fn).__name__ == "Im2ColBackward0"
    assert type(ember.nn.functional.fold(u, (4, 5), 2).grad_fn).__name__ == "Col2ImBackward0"
    assert ember.autograd.gradgradcheck(lambda x: ember.nn.functional.unfold(x, 2) ** 2, (x,))


def test_unfold_matmul_is_conv2d():
    x, w = rand(2, 3, 6, 7), rand(4, 3, 3, 2)
    F = ember.nn.functional
    cols = F.unfold(ember.tensor(x), (3, 2), padding=1)
    y = (ember.tensor(w).reshape(4, -1) @ cols).reshape(2, 4, 6, 8)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda F, lib: F.unfold(lib.zeros(5, 5), 2),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5), 6),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5), (2, 2, 2)),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5), 2, stride=0),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5), 2, padding=-1),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5), 2, dilation=0),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5), 0),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5, 5), 2),
    lambda F, lib: F.unfold(lib.zeros(1, 2, 5, 5, dtype=lib.int64), 2),
    lambda F, lib: F.fold(lib.zeros(8, 15), (5, 5), 2),
    lambda F, lib: F.fold(lib.zeros(7, 16), (5, 5), 2),
    lambda F, lib: F.fold(lib.zeros(7), (5, 5), 2),
    lambda F, lib: F.fold(lib.zeros(8, 16), (5, 5, 5), 2),
    lambda F, lib: F.fold(lib.zeros(8, 16), (1, 1), 2),
    lambda F, lib: F.fold(lib.zeros(8, 16), (5, 5), 2, stride=0),
    lambda F, lib: F.fold(lib.zeros(8, 16), (5, 5), 2, padding=-1),
    lambda F, lib: F.fold(lib.zeros(8, 16), (5, 5), 2, dilation=0),
    lambda F, lib: F.fold(lib.zeros(8, 16), (5, 5), 0),
    lambda F, lib: F.fold(lib.zeros(8, 16, dtype=lib.int64), (5, 5), 2),
])
def test_errors(call):
    same_error(lambda lib: call(lib.nn.functional, lib))


# ---- the modules ------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(kernel_size=2),
                                dict(kernel_size=(2, 3), dilation=1, padding=1, stride=2)])
def test_unfold_and_fold_modules(kw):
    compare(lambda lib, x: lib.nn.Unfold(**kw)(x), rand(2, 3, 5, 6))
    cols = torch.nn.Unfold(**kw)(torch.zeros(2, 3, 5, 6)).shape
    compare(lambda lib, c: lib.nn.Fold((5, 6), **kw)(c), rand(*cols))
    assert repr(ember.nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
    assert repr(ember.nn.Fold((5, 6), **kw)) == repr(torch.nn.Fold((5, 6), **kw))

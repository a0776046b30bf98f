"""Dropout against torch and against its definition: statistics of the mask, scaling, gradients,
evaluation mode, reproducibility, in-place use, errors and reprs."""
import math

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from nn.test_module import same_error
from nn.trees import same_repr

F = enn.functional
N = (200, 300)  # 60,000 draws: a fraction within ~0.6% (3 sigma) of p


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_dropout_statistics_and_scaling(p, dtype):
    x = ember.ones(*N, dtype=dtype)
    y = F.dropout(x, p).numpy()
    assert y.dtype == x.numpy().dtype
    zeroed = (y == 0).mean()
    assert abs(zeroed - p) < 3 * math.sqrt(p * (1 - p) / y.size) + 1e-3
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 0.03  # the expectation is kept


def test_dropout_gradient_is_the_mask():
    x = ember.tensor(np.random.default_rng(1).uniform(1, 2, (50, 40)).astype(np.float32),
                     requires_grad=True)
    y = F.dropout(x, 0.3)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    up = ember.randn(50, 40)
    y.backward(up)
    mask = (y.detach().numpy() != 0) / 0.7
    np.testing.assert_allclose(x.grad.numpy(), up.numpy() * mask, rtol=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * mask, rtol=1e-6)


def test_dropout_double_backward():
    x = ember.ones(30, 20, dtype=ember.float64, requires_grad=True)
    y = F.dropout(x, 0.4)
    (g,) = ember.autograd.grad((y * y).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    mask = (y.detach().numpy() != 0) / 0.6
    np.testing.assert_allclose(gg.numpy(), 2 * mask * mask, rtol=1e-12)


def test_dropout_identity_cases():
    x = ember.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False
    e = ember.ones(0, 3)
    assert F.dropout(e, 0.5) is e
    m = enn.Dropout(0.5).eval()
    assert m(x) is x and not m.training
    y = F.dropout(x, 1.0)
    assert not y.detach().numpy().any() and type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    assert not x.grad.numpy().any()


def test_dropout_reproducible_with_manual_seed():
    ember.manual_seed(7)
    a = F.dropout(ember.ones(10, 10), 0.5).numpy()
    b = enn.Dropout(0.5)(ember.ones(10, 10)).numpy()
    ember.manual_seed(7)
    assert np.array_equal(F.dropout(ember.ones(10, 10), 0.5).numpy(), a)
    assert np.array_equal(enn.Dropout(0.5)(ember.ones(10, 10)).numpy(), b)
    assert not np.array_equal(a, b)  # a fresh mask on every call


def test_dropout_inplace():
    x = ember.ones(20, 20)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}
    leaf = ember.ones(20, 20, requires_grad=True)
    h = leaf * 1
    out = enn.Dropout(0.5, inplace=True)(h)
    assert out is h and type(h.grad_fn).__name__ == "MulBackward0"
    h.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), h.detach().numpy())
    same_error(lambda lib: lib.nn.functional.dropout(lib.ones(3, requires_grad=True), 0.5,
                                                     inplace=True))


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.functional.dropout(lib.ones(3), 1.5),
    lambda lib: lib.nn.functional.dropout(lib.ones(3), -0.1),
    lambda lib: lib.nn.functional.alpha_dropout(lib.ones(3), 1.5),
    lambda lib: lib.nn.Dropout(2),
    lambda lib: lib.nn.AlphaDropout(-1),
    lambda lib: lib.nn.functional.dropout(lib.ones(3, dtype=lib.int64), 0.5),
    lambda lib: lib.nn.functional.dropout([1.0], 0.5),
    lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4, 5)),
    lambda lib: lib.nn.functional.feature_alpha_dropout(lib.ones(3), 0.5, True),
])
def test_dropout_errors(fn):
    same_error(fn)


@pytest.mark.parametrize("cls,args", [("Dropout", ()), ("Dropout", (0.2, True)),
                                      ("Dropout1d", (0.3,)), ("AlphaDropout", (0.1,)),
                                      ("FeatureAlphaDropout", ())])
def test_dropout_modules_layout(cls, args):
    t, e = getattr(torch.nn, cls)(*args), getattr(enn, cls)(*args)
    same_repr(e, t)
    assert e.state_dict() == {} and len(t.state_dict()) == 0
    assert (e.p, e.inplace) == (t.p, t.inplace)


@pytest.mark.parametrize("shape", [(40, 30, 8), (30, 8)])
def test_dropout1d_drops_whole_channels(shape):
    x = ember.ones(*shape, requires_grad=True)
    y = enn.Dropout1d(0.5)(x)
    yn = y.detach().numpy()
    per_channel = yn.reshape(-1, shape[-1])
    assert all(len(set(row)) == 1 for row in per_channel)  # a channel is all 0 or all 2
    assert set(np.unique(yn)) == {0.0, 2.0}
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), yn)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_matches_definition_and_torch_statistics(p):
    x = ember.randn(*N)
    y = F.alpha_dropout(x, p, training=True).numpy()
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
    xn = x.numpy()
    dropped_value = -alpha * a * (1 - p)
    dropped = np.isclose(y, dropped_value, atol=1e-6)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped], xn[~dropped] * a + alpha * a * p, rtol=1e-5,
                               atol=1e-6)
    t = torch.nn.functional.alpha_dropout(torch.tensor(xn), p, training=True).numpy()
    # zero mean and unit variance are kept (as in torch)
    assert abs(y.mean() - t.mean()) < 0.03 and abs(y.std() - t.std()) < 0.03
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03


def test_alpha_dropout_gradient_and_feature_variant():
    x = ember.randn(20, 10, 3, requires_grad=True)
    y = F.feature_alpha_dropout(x, 0.5, training=True)
    assert type(y.grad_fn).__name__ == "AddBackward0"
    y.sum().backward()
    g = x.grad.numpy()
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * 0.5 + 1) * 0.5)
    assert np.all(np.isclose(g, 0) | np.isclose(g, a, rtol=1e-6))
    assert all(len(set(v)) == 1 for v in g.reshape(-1, 3))  # whole channels
    z = F.alpha_dropout(x.detach(), 1.0, training=True)
    assert not z.numpy().any()

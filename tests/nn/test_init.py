"""nn.init against torch: gains, fans and errors exactly; random fills statistically."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from nn.test_module import same_error

N = (200, 300)  # 60,000 draws: a std within ~1% of the expected one


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("conv_transpose3d",), ("sigmoid",),
                                  ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                                  ("leaky_relu", 3), ("selu",)])
def test_calculate_gain(args):
    assert enn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args", [("softmax",), ("leaky_relu", True), ("leaky_relu", "x")])
def test_calculate_gain_errors(args):
    same_error(lambda lib: lib.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 4, 3, 2), (2, 3, 1, 1, 2)])
def test_fan_in_and_fan_out(shape):
    assert (enn.init._calculate_fan_in_and_fan_out(ember.empty(*shape))
            == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape)))


@pytest.mark.parametrize("fn", [
    lambda lib, t: lib.nn.init._calculate_fan_in_and_fan_out(t),
    lambda lib, t: lib.nn.init.xavier_uniform_(t),
    lambda lib, t: lib.nn.init.kaiming_normal_(t),
    lambda lib, t: lib.nn.init.orthogonal_(t),
    lambda lib, t: lib.nn.init.eye_(t),
    lambda lib, t: lib.nn.init.dirac_(t),
    lambda lib, t: lib.nn.init.sparse_(t, 0.5),
])
def test_shape_errors(fn):
    same_error(lambda lib: fn(lib, lib.empty(5)))


def test_bad_mode_and_dirac_groups():
    same_error(lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 4), mode="fan_avg"))
    same_error(lambda lib: lib.nn.init.dirac_(lib.empty(3, 2, 3), groups=2))


def _bound_check(fill, bound, shape=N):
    x = fill(ember.empty(*shape)).numpy()
    assert x.min() >= -bound and x.max() <= bound
    assert x.min() < -0.98 * bound and x.max() > 0.98 * bound  # it reaches the bounds
    np.testing.assert_allclose(x.std(), bound / math.sqrt(3), rtol=0.03)
    assert abs(x.mean()) < 0.03 * bound


def _std_check(fill, std, shape=N, mean=0.0):
    x = fill(ember.empty(*shape)).numpy()
    np.testing.assert_allclose(x.std(), std, rtol=0.03)
    assert abs(x.mean() - mean) < 0.03 * std


def test_uniform_and_normal():
    x = enn.init.uniform_(ember.empty(*N), -2.0, 3.0).numpy()
    assert x.min() >= -2.0 and x.max() <= 3.0 and abs(x.mean() - 0.5) < 0.05
    assert (enn.init.uniform_(ember.empty(*N)).numpy() >= 0).all()
    _std_check(lambda t: enn.init.normal_(t, 1.5, 0.5), 0.5, mean=1.5)


@pytest.mark.parametrize("shape", [(200, 300), (32, 16, 3, 3)])
def test_xavier(shape):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    std = 0.7 * math.sqrt(2.0 / (fan_in + fan_out))
    _bound_check(lambda t: enn.init.xavier_uniform_(t, gain=0.7), math.sqrt(3) * std, shape)
    _std_check(lambda t: enn.init.xavier_normal_(t, gain=0.7), std, shape)


@pytest.mark.parametrize("kw", [{}, {"a": math.sqrt(5)}, {"mode": "fan_out"},
                                {"nonlinearity": "relu"}, {"a": 0.1, "mode": "fan_out"}])
@pytest.mark.parametrize("shape", [(200, 300), (32, 16, 3, 3)])
def test_kaiming(kw, shape):
    t = torch.empty(*shape)
    fan = torch.nn.init._calculate_correct_fan(t, kw.get("mode", "fan_in"))
    std = torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0)) \
        / math.sqrt(fan)
    _bound_check(lambda x: enn.init.kaiming_uniform_(x, **kw), math.sqrt(3) * std, shape)
    _std_check(lambda x: enn.init.kaiming_normal_(x, **kw), std, shape)


def test_kaiming_zero_element_warns():
    for fn in (enn.init.kaiming_uniform_, enn.init.kaiming_normal_):
        with pytest.warns(UserWarning, match="zero-element"):
            fn(ember.empty(0, 3))


@pytest.mark.parametrize("kw", [{}, {"mean": 1.0, "std": 2.0, "a": -1.0, "b": 4.0},
                                {"std": 0.02}, {"a": 0.5, "b": 0.6}, {"a": 2.0, "b": 3.0}])
def test_trunc_normal(kw):
    x = enn.init.trunc_normal_(ember.empty(100, 200), **kw).numpy()
    ref = torch.nn.init.trunc_normal_(torch.empty(100, 200), **kw).numpy()
    a, b = kw.get("a", -2.0), kw.get("b", 2.0)
    assert x.min() >= a and x.max() <= b
    np.testing.assert_allclose(x.mean(), ref.mean(), atol=0.05 * max(ref.std(), 1e-3) + 1e-3)
    np.testing.assert_allclose(x.std(), ref.std(), rtol=0.05)


def test_trunc_normal_warns_far_mean():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        enn.init.trunc_normal_(ember.empty(10), mean=10.0)


def test_constant_ones_zeros_eye_dirac():
    for name, args in [("constant_", (0.3,)), ("ones_", ()), ("zeros_", ()), ("eye_", ())]:
        e = getattr(enn.init, name)(ember.empty(3, 5), *args)
        t = getattr(torch.nn.init, name)(torch.empty(3, 5), *args)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    for shape, groups in [((4, 2, 3), 1), ((4, 2, 3, 3), 2), ((2, 3, 1, 3, 3), 1)]:
        e = enn.init.dirac_(ember.empty(*shape), groups)
        t = torch.nn.init.dirac_(torch.empty(*shape), groups)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (3, 2, 2, 2)])
def test_orthogonal(shape):
    w = enn.init.orthogonal_(ember.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_is_not_biased():
    # NOTE: sign correction makes Q uniform: the mean of many Q's first entry is about 0
    firsts = [enn.init.orthogonal_(ember.empty(3, 3)).numpy()[0, 0] for _ in range(200)]
    assert abs(np.mean(firsts)) < 0.15


def test_sparse():
    w = enn.init.sparse_(ember.empty(10, 400), sparsity=0.3, std=0.5).numpy()
    assert ((w == 0).sum(axis=0) >= 3).all()
    np.testing.assert_allclose(w[w != 0].std(), 0.5, rtol=0.05)


def test_generator_and_seed_reproducible():
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    a = enn.init.kaiming_uniform_(ember.empty(4, 5), generator=g1)
    b = enn.init.kaiming_uniform_(ember.empty(4, 5), generator=g2)
    assert np.array_equal(a.numpy(), b.numpy())
    ember.manual_seed(0)
    c = enn.init.normal_(ember.empty(5)).numpy()
    ember.manual_seed(0)
    assert np.array_equal(enn.init.normal_(ember.empty(5)).numpy(), c)
    g = ember.Generator().manual_seed(1)
    o1 = enn.init.orthogonal_(ember.empty(3, 3), generator=g).numpy()
    g.manual_seed(1)
    assert np.array_equal(enn.init.orthogonal_(ember.empty(3, 3), generator=g).numpy(), o1)


def test_no_grad_on_parameters_and_returns_same_tensor():
    p = enn.Parameter(ember.empty(4, 4))
    for fn in (enn.init.uniform_, enn.init.normal_, enn.init.xavier_uniform_, enn.init.zeros_,
               enn.init.kaiming_normal_, enn.init.orthogonal_, enn.init.eye_,
               enn.init.trunc_normal_, lambda t: enn.init.constant_(t, 2.0)):
        assert fn(p) is p
        assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="nn.init.normal_"):
        enn.init.normal(ember.empty(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert enn.init.constant(ember.empty(2), 1.0).tolist() == [1.0, 1.0]

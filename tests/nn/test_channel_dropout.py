"""Dropout2d / Dropout3d: whole channels dropped with probability p (statistics), the survivors
scaled by 1 / (1 - p), gradients through the same mask, eval mode, in-place, reproducibility from
ember.manual_seed, torch's warnings and errors for the input ranks, reprs."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import rand


def F(lib):
    return lib.nn.functional


@pytest.mark.parametrize("fn,shape,chan", [
    ("dropout2d", (40, 50, 3, 4), 2), ("dropout2d", (40, 50, 6), 2),
    ("dropout3d", (40, 50, 2, 3, 2), 2), ("dropout3d", (200, 2, 3, 2), 1)])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_channels_dropped_with_probability_p(fn, shape, chan, p):
    x = ember.ones(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(F(ember), fn)(x, p).numpy()
    per_channel = y.reshape(int(np.prod(shape[:chan])), -1)
    # every channel is all zeros or all 1 / (1 - p)
    first = per_channel[:, :1]
    assert np.all(per_channel == first)
    assert set(np.unique(first).tolist()) <= {0.0, np.float32(1 / (1 - p))}
    n = per_channel.shape[0]
    dropped = float((first == 0).mean())
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-9
    # the scaling keeps the mean
    assert abs(y.mean() - 1) < 4 * np.sqrt(p / (1 - p) / n)


@pytest.mark.parametrize("fn,shape", [("dropout2d", (2, 3, 4, 5)), ("dropout3d", (2, 3, 2, 2, 2)),
                                      ("dropout3d", (3, 2, 2, 2))])
def test_gradient_uses_the_mask(fn, shape):
    x = ember.tensor(rand(*shape), requires_grad=True)
    y = getattr(F(ember), fn)(x, 0.4)
    g = ember.tensor(rand(*shape))
    y.backward(g)
    scale = (y / x).detach().numpy()  # 0 or 1 / (1 - p)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * scale, rtol=1e-5, atol=1e-6)
    (gg,) = ember.autograd.grad((getattr(F(ember), fn)(x, 0.4) * x).sum(), x, create_graph=True)
    assert gg.requires_grad


def test_eval_zero_p_inplace_and_seed():
    x = ember.randn(2, 3, 4, 4)
    assert F(ember).dropout2d(x, 0.5, training=False) is x
    assert F(ember).dropout3d(x[None], 0.0) is not None
    m = ember.nn.Dropout2d(0.5).eval()
    assert m(x) is x
    ember.manual_seed(3)
    a = F(ember).dropout2d(x, 0.5)
    ember.manual_seed(3)
    b = ember.nn.Dropout2d(0.5)(x)
    assert np.array_equal(a.numpy(), b.numpy())
    y = x.clone()
    ember.manual_seed(3)
    r = F(ember).dropout2d(y, 0.5, inplace=True)
    assert r is y and np.array_equal(y.numpy(), a.numpy())
    z = x.clone()
    r = ember.nn.Dropout3d(0.5, inplace=True)(z[None])  # in place through a view
    assert r.shape == (1, 2, 3, 4, 4) and np.array_equal(z.numpy(), r[0].numpy())
    assert np.array_equal(F(ember).dropout2d(x, 1.0).numpy(), np.zeros((2, 3, 4, 4)))
    leaf = ember.randn(2, 3, 4, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F(ember).dropout2d(leaf, 0.5, inplace=True)


@pytest.mark.parametrize("fn,shape", [("dropout2d", (3, 3)), ("dropout2d", (2, 3, 4)),
                                      ("dropout2d", (1, 2, 3, 4, 5)), ("dropout3d", (3, 4, 5)),
                                      ("dropout3d", (6,)), ("dropout3d", (2, 3, 4, 5))])
def test_rank_warnings_as_torch(fn, shape):
    def run(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = getattr(F(lib), fn)(lib.ones(*shape), 0.5)
        return [str(m.message) for m in w], tuple(out.shape)
    assert run(ember) == run(torch)


@pytest.mark.parametrize("call", [
    lambda lib: F(lib).dropout2d(lib.ones(4), 0.5),
    lambda lib: F(lib).dropout2d(lib.ones(2, 2, 2, 2), 1.5),
    lambda lib: F(lib).dropout3d(lib.ones(2, 2, 2, 2), -0.1),
    lambda lib: lib.nn.Dropout2d(2),
    lambda lib: lib.nn.Dropout3d(-1),
])
def test_errors(call):
    with pytest.raises(Exception) as te, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(torch)
    with pytest.raises(type(te.value)) as ee, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(ember)
    assert str(ee.value) == str(te.value)


def test_reprs_and_classes():
    for make in [lambda nn: nn.Dropout2d(), lambda nn: nn.Dropout2d(0.2, True),
                 lambda nn: nn.Dropout3d(p=0.7)]:
        assert repr(make(ember.nn)) == repr(make(torch.nn))
    assert isinstance(ember.nn.Dropout2d(), ember.nn.modules.dropout._DropoutNd)
    assert "Dropout2d" in ember.nn.__all__ and "dropout3d" in dir(ember.nn.functional)

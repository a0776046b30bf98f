"""Transforms (forward, inverse, log-abs-det-Jacobian, with gradients) and
TransformedDistribution against torch."""
import numpy as np
import pytest
import torch

import ember
from helpers import compare, positive, rand


def T(L):
    return L.distributions.transforms


TRANSFORMS = {
    "exp": lambda L, a, b: T(L).ExpTransform(),
    "sigmoid": lambda L, a, b: T(L).SigmoidTransform(),
    "affine": lambda L, a, b: T(L).AffineTransform(a, b),
    "affine-number": lambda L, a, b: T(L).AffineTransform(0.5, -2.0),
    "affine-event": lambda L, a, b: T(L).AffineTransform(a, b, event_dim=1),
    "compose": lambda L, a, b: T(L).ComposeTransform(
        [T(L).AffineTransform(a, b), T(L).SigmoidTransform()]),
    "exp-inv": lambda L, a, b: T(L).ExpTransform().inv,
    "compose-inv": lambda L, a, b: T(L).ComposeTransform(
        [T(L).ExpTransform(), T(L).AffineTransform(a, b)]).inv,
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_matches_torch(name):
    make = TRANSFORMS[name]
    x = rand(4, 3, low=0.1, high=0.9) if name.endswith("inv") else rand(4, 3)
    a, b = rand(3), positive(3)
    compare(lambda L, x, a, b: make(L, a, b)(x), x, a, b)
    compare(lambda L, x, a, b: make(L, a, b).inv(make(L, a, b)(x)), x, a, b)
    compare(lambda L, x, a, b: make(L, a, b).log_abs_det_jacobian(x, make(L, a, b)(x)), x, a, b,
            rtol=1e-4, atol=1e-5)
    t = make(torch, torch.from_numpy(a), torch.from_numpy(b))
    e = make(ember, ember.from_numpy(a), ember.from_numpy(b))
    assert e.domain.event_dim == t.domain.event_dim
    assert e.codomain.event_dim == t.codomain.event_dim
    assert e.bijective == t.bijective
    assert e.inv.inv is e or e.inv.inv == e
    if name != "affine" and name != "affine-event" and not name.startswith("compose"):
        assert e.sign == t.sign


def test_transform_equality_and_cache():
    t = ember.distributions.transforms
    assert t.ExpTransform() == t.ExpTransform() and t.ExpTransform() != t.SigmoidTransform()
    assert t.AffineTransform(1.0, 2.0) == t.AffineTransform(1.0, 2.0)
    assert t.AffineTransform(1.0, 2.0) != t.AffineTransform(1.0, 3.0)
    assert t.ExpTransform().inv == t.ExpTransform().inv
    c = t.ExpTransform().with_cache()
    x = ember.ones(2)
    y = c(x)
    assert c(x) is y and c.inv(y) is x
    with pytest.raises(ValueError, match="cache_size"):
        t.ExpTransform(cache_size=2)
    assert repr(t.ComposeTransform([t.ExpTransform()])) == repr(
        torch.distributions.transforms.ComposeTransform([torch.distributions.ExpTransform()]))


DISTS = {
    "logistic": lambda L, a, b: L.distributions.TransformedDistribution(
        L.distributions.Uniform(L.zeros_like(a), L.ones_like(a)),
        [T(L).SigmoidTransform().inv, T(L).AffineTransform(a, b)]),
    "neg-affine-normal": lambda L, a, b: L.distributions.TransformedDistribution(
        L.distributions.Normal(a, b), [T(L).AffineTransform(1.0, -2.0)]),
    "exp-normal": lambda L, a, b: L.distributions.TransformedDistribution(
        L.distributions.Normal(a, b), T(L).ExpTransform()),
    "vector-affine": lambda L, a, b: L.distributions.TransformedDistribution(
        L.distributions.Normal(a, b), T(L).AffineTransform(a, b, event_dim=1)),
}


@pytest.mark.parametrize("name", sorted(DISTS))
def test_transformed_distribution(name):
    make = DISTS[name]
    a, b = rand(3, low=0.1, high=0.5), positive(3)
    v = positive(5, 3)
    compare(lambda L, v, a, b: make(L, a, b).log_prob(v), v, a, b, rtol=1e-4, atol=1e-5)
    t = make(torch, torch.from_numpy(a), torch.from_numpy(b))
    e = make(ember, ember.from_numpy(a), ember.from_numpy(b))
    assert e.batch_shape == t.batch_shape and e.event_shape == t.event_shape
    assert e.sample((2,)).shape == t.sample((2,)).shape
    assert e.has_rsample == t.has_rsample
    if name != "vector-affine":
        compare(lambda L, v, a, b: make(L, a, b).cdf(v), v, a, b, rtol=1e-4, atol=1e-5)
        u = rand(5, 3, low=0.1, high=0.9)
        compare(lambda L, u, a, b: make(L, a, b).icdf(u), u, a, b, rtol=1e-4, atol=1e-4)
    big = (2,) + tuple(e.batch_shape)
    ee, te = e.expand(big), t.expand(big)
    assert ee.batch_shape == te.batch_shape and ee.event_shape == te.event_shape
    np.testing.assert_allclose(ee.log_prob(ember.from_numpy(v[:2])).numpy(),
                               te.log_prob(torch.from_numpy(v[:2])).numpy(), 1e-4, 1e-5)


def test_transformed_distribution_errors():
    from helpers import check_raises
    check_raises(lambda L, a: L.distributions.TransformedDistribution(
        L.distributions.Normal(a, 1.0), "exp"), np.zeros(2, np.float32), match="transforms")
    check_raises(lambda L, a: L.distributions.TransformedDistribution(
        L.distributions.Normal(a, 1.0), [1]), np.zeros(2, np.float32), match="transforms")

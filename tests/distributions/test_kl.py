"""kl_divergence against torch (values and gradients) for the registered pairs; dispatch and
register_kl."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, positive, rand

from ._cases import _simplex, _unit


def D(L):
    return L.distributions


PAIRS = {
    "Normal": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).Normal(a, b), D(L).Normal(c, d)),
               lambda dt: (rand(2, 3, dtype=dt), positive(2, 3, dtype=dt), rand(3, dtype=dt),
                           positive(3, dtype=dt))),
    "Laplace": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).Laplace(a, b), D(L).Laplace(c, d)),
                lambda dt: (rand(3, dtype=dt), positive(3, dtype=dt), rand(3, dtype=dt),
                            positive(3, dtype=dt))),
    "Cauchy": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).Cauchy(a, b), D(L).Cauchy(c, d)),
               lambda dt: (rand(3, dtype=dt), positive(3, dtype=dt), rand(3, dtype=dt),
                           positive(3, dtype=dt))),
    "Uniform": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).Uniform(a, a + b),
                                                         D(L).Uniform(c, c + d)),
                lambda dt: (rand(4, dtype=dt), positive(4, dtype=dt),
                            np.array([-3, -3, 0.5, -3], dt), np.array([7, 1, 9, 7], dt))),
    "Exponential": (lambda L, a, b: D(L).kl_divergence(D(L).Exponential(a), D(L).Exponential(b)),
                    lambda dt: (positive(2, 3, dtype=dt), positive(2, 3, dtype=dt))),
    "Gamma": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).Gamma(a, b), D(L).Gamma(c, d)),
              lambda dt: (positive(3, dtype=dt), positive(3, dtype=dt), positive(3, dtype=dt),
                          positive(3, dtype=dt))),
    "Beta": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).Beta(a, b), D(L).Beta(c, d)),
             lambda dt: (positive(3, dtype=dt), positive(3, dtype=dt), positive(3, dtype=dt),
                         positive(3, dtype=dt))),
    "Dirichlet": (lambda L, a, b: D(L).kl_divergence(D(L).Dirichlet(a), D(L).Dirichlet(b)),
                  lambda dt: (positive(2, 4, dtype=dt), positive(2, 4, dtype=dt))),
    "Bernoulli": (lambda L, a, b: D(L).kl_divergence(D(L).Bernoulli(a), D(L).Bernoulli(logits=b)),
                  lambda dt: (_unit(5, dtype=dt), rand(5, dtype=dt))),
    "Categorical": (lambda L, a, b: D(L).kl_divergence(D(L).Categorical(a),
                                                       D(L).Categorical(logits=b)),
                    lambda dt: (_simplex(2, 4, dtype=dt), rand(4, dtype=dt))),
    "OneHotCategorical": (lambda L, a, b: D(L).kl_divergence(D(L).OneHotCategorical(a),
                                                             D(L).OneHotCategorical(b)),
                          lambda dt: (_simplex(2, 4, dtype=dt), _simplex(2, 4, dtype=dt))),
    "Poisson": (lambda L, a, b: D(L).kl_divergence(D(L).Poisson(a), D(L).Poisson(b)),
                lambda dt: (positive(3, dtype=dt), positive(3, dtype=dt))),
    "Geometric": (lambda L, a, b: D(L).kl_divergence(D(L).Geometric(a), D(L).Geometric(b)),
                  lambda dt: (_unit(3, dtype=dt), _unit(3, dtype=dt))),
    "Binomial": (lambda L, a, b: D(L).kl_divergence(D(L).Binomial(4, a), D(L).Binomial(4, b)),
                 lambda dt: (_unit(3, dtype=dt), _unit(3, dtype=dt))),
    "LogNormal": (lambda L, a, b, c, d: D(L).kl_divergence(D(L).LogNormal(a, b),
                                                           D(L).LogNormal(c, d)),
                  lambda dt: (rand(3, dtype=dt), positive(3, dtype=dt), rand(3, dtype=dt),
                              positive(3, dtype=dt))),
    "Independent": (lambda L, a, b, c, d: D(L).kl_divergence(
        D(L).Independent(D(L).Normal(a, b), 1), D(L).Independent(D(L).Normal(c, d), 1)),
        lambda dt: (rand(2, 3, dtype=dt), positive(2, 3, dtype=dt), rand(2, 3, dtype=dt),
                    positive(2, 3, dtype=dt))),
    "MultivariateNormal": (lambda L, a, A, c, B: D(L).kl_divergence(
        D(L).MultivariateNormal(a, A @ A.mT + L.eye(3, dtype=A.dtype)),
        D(L).MultivariateNormal(c, scale_tril=L.tril(B, -1) + L.eye(3, dtype=B.dtype))),
        lambda dt: (rand(2, 3, dtype=dt), rand(3, 3, dtype=dt), rand(3, dtype=dt),
                    rand(2, 3, 3, dtype=dt))),
}


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_kl_matches_torch(name, dt):
    fn, params = PAIRS[name]
    tol = {"rtol": 5e-5, "atol": 5e-5} if dt == np.float32 else {"rtol": 1e-9, "atol": 1e-9}
    compare(fn, *params(dt), **tol)


def test_kl_infinite_cases():
    for lib in (torch, ember):
        d = lib.distributions
        u = d.kl_divergence(d.Uniform(lib.tensor([0.0, 0.0]), lib.tensor([1.0, 1.0])),
                            d.Uniform(lib.tensor([0.5, -1.0]), lib.tensor([2.0, 2.0])))
        assert np.isinf(u[0].item()) and np.isfinite(u[1].item())
        b = d.kl_divergence(d.Bernoulli(lib.tensor([0.5, 0.0])),
                            d.Bernoulli(lib.tensor([0.0, 0.0])))
        assert np.isinf(b[0].item()) and b[1].item() == 0
        c = d.kl_divergence(d.Categorical(lib.tensor([0.5, 0.5, 0.0])),
                            d.Categorical(lib.tensor([1.0, 0.0, 0.0])))
        assert np.isinf(c.item())


def test_kl_not_implemented_and_register():
    check_raises(lambda L, a: L.distributions.kl_divergence(L.distributions.Dirichlet(a),
                                                            L.distributions.Normal(0.0, 1.0)),
                 np.ones(2, np.float32), match="No KL")
    E = ember.distributions

    class MyNormal(E.Normal):
        pass

    # a subclass pair falls back to the parent's implementation
    p, q = MyNormal(0.0, 1.0), E.Normal(1.0, 1.0)
    assert abs(E.kl_divergence(p, q).item() - 0.5) < 1e-6

    @E.register_kl(MyNormal, E.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)
    assert E.kl_divergence(p, q).item() == 42.0
    assert E.kl_divergence(q, q).item() == 0.0
    with pytest.raises(TypeError):
        E.register_kl(int, E.Normal)

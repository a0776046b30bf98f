"""Shared tables for the distribution tests: how to build each distribution in either library
(``lib`` is torch or ember), its parameter arrays, and values inside its support."""
import numpy as np

import helpers
from helpers import positive, rand


def _unit(*shape, dtype=np.float32):
    return rand(*shape, dtype=dtype, low=0.05, high=0.95)


def _simplex(*shape, dtype=np.float32):
    p = rand(*shape, dtype=dtype, low=0.1, high=1.0)
    return (p / p.sum(-1, keepdims=True)).astype(dtype)


def _counts(*shape, high=6, dtype=np.float32):
    return rand(*shape, dtype=np.int64, low=0, high=high).astype(dtype)


class Case:
    """``build(lib, *params)`` makes the distribution; ``params(dtype)`` the arrays; ``value(dtype)``
    an array in the support, of a shape that broadcasts against the batch shape."""

    def __init__(self, name, build, params, value, batch, event=(), stats=(), methods=(),
                 unit_value=None):
        self.name, self.build, self.params, self.value = name, build, params, value
        self.batch, self.event = batch, event
        self.stats = stats          # moment properties compared with torch
        self.methods = methods      # among entropy, cdf, icdf
        self.unit_value = unit_value or (lambda dt: _unit(4, *batch, dtype=dt))

    def __repr__(self):
        return self.name


def D(lib):
    return lib.distributions


MOMENTS = ("mean", "variance", "stddev", "mode")

CONTINUOUS = [
    Case("Normal", lambda L, a, b: D(L).Normal(a, b),
         lambda dt: (rand(2, 3, dtype=dt), positive(2, 3, dtype=dt)),
         lambda dt: rand(4, 2, 3, dtype=dt, low=-3, high=3), (2, 3),
         stats=MOMENTS, methods=("entropy", "cdf", "icdf")),
    Case("Laplace", lambda L, a, b: D(L).Laplace(a, b),
         lambda dt: (rand(3, dtype=dt), positive(3, dtype=dt)),
         lambda dt: rand(5, 3, dtype=dt, low=-3, high=3), (3,),
         stats=MOMENTS, methods=("entropy", "cdf", "icdf")),
    Case("Cauchy", lambda L, a, b: D(L).Cauchy(a, b),
         lambda dt: (rand(3, dtype=dt), positive(3, dtype=dt)),
         lambda dt: rand(5, 3, dtype=dt, low=-3, high=3), (3,),
         stats=MOMENTS, methods=("entropy", "cdf", "icdf")),
    Case("Uniform", lambda L, a, b: D(L).Uniform(a, a + b),
         lambda dt: (rand(2, 3, dtype=dt, low=-2, high=-1), positive(2, 3, dtype=dt) + 1.5),
         lambda dt: rand(4, 2, 3, dtype=dt, low=-0.9, high=-0.1), (2, 3),
         stats=("mean", "variance", "stddev"), methods=("entropy", "cdf", "icdf")),
    Case("Exponential", lambda L, r: D(L).Exponential(r),
         lambda dt: (positive(2, 3, dtype=dt),),
         lambda dt: positive(4, 2, 3, dtype=dt), (2, 3),
         stats=MOMENTS, methods=("entropy", "cdf", "icdf")),
    Case("LogNormal", lambda L, a, b: D(L).LogNormal(a, b),
         lambda dt: (rand(3, dtype=dt), positive(3, dtype=dt)),
         lambda dt: positive(5, 3, dtype=dt), (3,),
         stats=MOMENTS, methods=("entropy", "cdf", "icdf")),
    Case("Gamma", lambda L, a, b: D(L).Gamma(a, b),
         lambda dt: (positive(2, 3, dtype=dt) * 2, positive(2, 3, dtype=dt)),
         lambda dt: positive(4, 2, 3, dtype=dt), (2, 3),
         stats=MOMENTS, methods=("entropy",)),
    Case("Beta", lambda L, a, b: D(L).Beta(a, b),
         lambda dt: (positive(3, dtype=dt) * 2, positive(3, dtype=dt) * 2),
         lambda dt: _unit(5, 3, dtype=dt), (3,),
         stats=MOMENTS, methods=("entropy",)),
    Case("Dirichlet", lambda L, c: D(L).Dirichlet(c),
         lambda dt: (positive(2, 4, dtype=dt) * 2,),
         lambda dt: _simplex(3, 2, 4, dtype=dt), (2,), event=(4,),
         stats=MOMENTS, methods=("entropy",)),
    Case("StudentT", lambda L, d, a, b: D(L).StudentT(d, a, b),
         lambda dt: (positive(2, 3, dtype=dt) + 2, rand(2, 3, dtype=dt), positive(2, 3, dtype=dt)),
         lambda dt: rand(4, 2, 3, dtype=dt, low=-3, high=3), (2, 3),
         stats=MOMENTS, methods=("entropy",)),
    Case("StudentT-df-small", lambda L, d: D(L).StudentT(d),
         lambda dt: (np.array([0.5, 1.5, 2.5], dt),),
         lambda dt: rand(4, 3, dtype=dt, low=-3, high=3), (3,),
         stats=("mean", "variance"), methods=("entropy",)),
    Case("Chi2", lambda L, d: D(L).Chi2(d),
         lambda dt: (positive(3, dtype=dt) * 2,), lambda dt: positive(4, 3, dtype=dt), (3,),
         stats=MOMENTS, methods=("entropy",)),
    Case("RelaxedBernoulli", lambda L, t, p: D(L).RelaxedBernoulli(t, probs=p),
         lambda dt: (positive(dtype=dt), _unit(2, 3, dtype=dt)),
         lambda dt: _unit(4, 2, 3, dtype=dt), (2, 3)),
    Case("RelaxedBernoulli-logits", lambda L, t, x: D(L).RelaxedBernoulli(t, logits=x),
         lambda dt: (positive(dtype=dt), rand(3, dtype=dt)),
         lambda dt: _unit(4, 3, dtype=dt), (3,)),
    Case("RelaxedOneHotCategorical", lambda L, t, p: D(L).RelaxedOneHotCategorical(t, p),
         lambda dt: (positive(dtype=dt), positive(2, 4, dtype=dt)),
         lambda dt: _simplex(3, 2, 4, dtype=dt), (2,), event=(4,)),
]

DISCRETE = [
    Case("Bernoulli-probs", lambda L, p: D(L).Bernoulli(probs=p),
         lambda dt: (_unit(2, 3, dtype=dt),), lambda dt: _counts(4, 2, 3, high=2, dtype=dt), (2, 3),
         stats=("mean", "variance", "stddev", "mode"), methods=("entropy",)),
    Case("Bernoulli-logits", lambda L, x: D(L).Bernoulli(logits=x),
         lambda dt: (rand(2, 3, dtype=dt, low=-3, high=3),),
         lambda dt: _counts(4, 2, 3, high=2, dtype=dt), (2, 3),
         stats=("mean", "variance", "stddev"), methods=("entropy",)),
    Case("Geometric-probs", lambda L, p: D(L).Geometric(probs=p),
         lambda dt: (_unit(3, dtype=dt),), lambda dt: _counts(5, 3, dtype=dt), (3,),
         stats=MOMENTS, methods=("entropy",)),
    Case("Geometric-logits", lambda L, x: D(L).Geometric(logits=x),
         lambda dt: (rand(3, dtype=dt, low=-2, high=2),), lambda dt: _counts(5, 3, dtype=dt),
         (3,), stats=MOMENTS, methods=("entropy",)),
    Case("Poisson", lambda L, r: D(L).Poisson(r),
         lambda dt: (positive(2, 3, dtype=dt) * 2,), lambda dt: _counts(4, 2, 3, dtype=dt),
         (2, 3), stats=MOMENTS),
    Case("Binomial-probs", lambda L, p: D(L).Binomial(5, probs=p),
         lambda dt: (_unit(2, 3, dtype=dt),), lambda dt: _counts(4, 2, 3, dtype=dt), (2, 3),
         stats=MOMENTS, methods=("entropy",)),
    Case("Binomial-logits", lambda L, x: D(L).Binomial(7, logits=x),
         lambda dt: (rand(3, dtype=dt, low=-2, high=2),), lambda dt: _counts(4, 3, dtype=dt),
         (3,), stats=MOMENTS, methods=("entropy",)),
    Case("Categorical-probs", lambda L, p: D(L).Categorical(probs=p),
         lambda dt: (positive(2, 5, dtype=dt),),
         lambda dt: _counts(3, 2, high=5, dtype=np.int64), (2,), stats=("mode",),
         methods=("entropy",)),
    Case("Categorical-logits", lambda L, x: D(L).Categorical(logits=x),
         lambda dt: (rand(3, 4, dtype=dt),),
         lambda dt: _counts(2, 3, high=4, dtype=np.int64), (3,), stats=("mode",),
         methods=("entropy",)),
    Case("OneHotCategorical", lambda L, p: D(L).OneHotCategorical(probs=p),
         lambda dt: (positive(2, 4, dtype=dt),),
         lambda dt: np.eye(4, dtype=dt)[_counts(3, 2, high=4, dtype=np.int64)], (2,),
         event=(4,), stats=MOMENTS, methods=("entropy",)),
    Case("Multinomial", lambda L, p: D(L).Multinomial(5, probs=p),
         lambda dt: (positive(2, 4, dtype=dt),),
         lambda dt: helpers.RNG.multinomial(5, [0.25] * 4, size=(3, 2)).astype(dt), (2,),
         event=(4,), stats=("mean", "variance", "stddev"), methods=("entropy",)),
    Case("Multinomial-logits", lambda L, x: D(L).Multinomial(3, logits=x),
         lambda dt: (rand(4, dtype=dt),),
         lambda dt: helpers.RNG.multinomial(3, [0.25] * 4, size=(5,)).astype(dt), (),
         event=(4,), stats=("mean", "variance"), methods=("entropy",)),
]

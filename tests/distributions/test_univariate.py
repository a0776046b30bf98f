"""Values and gradients of log_prob, moments, entropy, cdf and icdf against torch, in float32
and float64, for every distribution of the tables in ``_cases.py``; shapes and ``expand``."""
import numpy as np
import pytest
import torch

import ember
from helpers import compare

from ._cases import CONTINUOUS, DISCRETE

DTYPES = [np.float32, np.float64]
ALL = CONTINUOUS + DISCRETE


def _tol(dt):
    return {} if dt == np.float64 else {"rtol": 2e-5, "atol": 2e-5}


def _tol64(case, dt):
    # NOTE: lgamma/digamma-based formulas agree with torch's to ~1e-13 in float64
    return {"rtol": 1e-9, "atol": 1e-9} if dt == np.float64 else _tol(dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", ALL, ids=repr)
def test_log_prob(case, dt):
    compare(lambda L, v, *p: case.build(L, *p).log_prob(v), case.value(dt), *case.params(dt),
            **_tol64(case, dt))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", ALL, ids=repr)
def test_moments(case, dt):
    for stat in case.stats:
        compare(lambda L, *p: getattr(case.build(L, *p), stat), *case.params(dt),
                **_tol64(case, dt))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", [c for c in ALL if "entropy" in c.methods], ids=repr)
def test_entropy(case, dt):
    compare(lambda L, *p: case.build(L, *p).entropy(), *case.params(dt), **_tol64(case, dt))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", [c for c in ALL if "cdf" in c.methods], ids=repr)
def test_cdf_icdf(case, dt):
    compare(lambda L, v, *p: case.build(L, *p).cdf(v), case.value(dt), *case.params(dt),
            **_tol(dt))
    compare(lambda L, u, *p: case.build(L, *p).icdf(u), case.unit_value(dt), *case.params(dt),
            **{"rtol": 1e-4, "atol": 1e-4} if dt == np.float32 else {"rtol": 1e-8, "atol": 1e-8})


@pytest.mark.parametrize("case", ALL, ids=repr)
def test_shapes_and_expand(case):
    params = case.params(np.float32)
    t = case.build(torch, *[torch.from_numpy(p) for p in params])
    e = case.build(ember, *[ember.from_numpy(p) for p in params])
    assert tuple(e.batch_shape) == tuple(t.batch_shape) == case.batch
    assert tuple(e.event_shape) == tuple(t.event_shape) == case.event
    assert e.has_rsample == t.has_rsample
    assert e.has_enumerate_support == t.has_enumerate_support
    assert repr(e.support).split("(")[0] == repr(t.support).split("(")[0]
    big = (5,) + case.batch
    ee, te = e.expand(big), t.expand(big)
    assert type(ee) is type(e) and tuple(ee.batch_shape) == tuple(te.batch_shape) == big
    assert tuple(ee.event_shape) == case.event
    v = case.value(np.float32)
    np.testing.assert_allclose(ee.log_prob(ember.from_numpy(v)[:, None]).numpy(),
                               te.log_prob(torch.from_numpy(v)[:, None]).numpy(), 1e-5, 1e-5)
    if case.batch:
        with pytest.raises(Exception):
            e.expand((4,) + tuple(d + 1 for d in case.batch))  # not broadcastable


@pytest.mark.parametrize("case", [c for c in ALL if c.name.split("-")[0] in
                                  ("Bernoulli", "Categorical", "OneHotCategorical", "Binomial")],
                         ids=repr)
def test_enumerate_support(case):
    params = case.params(np.float32)
    t = case.build(torch, *[torch.from_numpy(p) for p in params])
    e = case.build(ember, *[ember.from_numpy(p) for p in params])
    for expand in (True, False):
        tv, ev = t.enumerate_support(expand), e.enumerate_support(expand)
        assert tuple(ev.shape) == tuple(tv.shape) and str(ev.dtype)[6:] == str(tv.dtype)[6:]
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())


def test_number_parameters_give_scalar_batch():
    for lib in (torch, ember):
        assert lib.distributions.Normal(0.0, 1.0).batch_shape == ()
        assert lib.distributions.Gamma(2.0, 1.0).batch_shape == ()
        assert lib.distributions.Beta(2.0, 1.0).batch_shape == ()
        assert lib.distributions.Bernoulli(0.3).batch_shape == ()
    n = ember.distributions.Normal(0.0, ember.ones(3, dtype=ember.float64))
    assert n.loc.dtype == ember.float64 and n.batch_shape == (3,)
    assert ember.distributions.Normal(0.0, 1.0).loc.dtype == ember.float32
    assert ember.distributions.Normal(0.0, 1.0).sample().dtype == ember.float32
    E = ember.distributions
    for d in (E.Gamma(2.0, 1.0), E.Beta(2.0, 1.0), E.Binomial(5, ember.tensor(0.3)),
              E.Poisson(ember.tensor(2.0)), E.Dirichlet(ember.ones(3)), E.StudentT(3.0),
              E.Categorical(ember.ones(3)), E.Bernoulli(0.5), E.Exponential(2.0)):
        s = d.sample()
        assert tuple(s.shape) == tuple(d.event_shape) and bool(d.support.check(s).all())
        assert d.sample((2,)).shape == (2,) + tuple(d.event_shape)


def test_gamma_cdf():
    a, r = np.array([0.5, 2.0, 5.0]), np.array([1.0, 0.5, 2.0])
    x = np.array([0.3, 4.0, 2.5])
    compare(lambda L, a, r, x: L.distributions.Gamma(a.detach(), r).cdf(x), a, r, x)
    tg = torch.distributions.Gamma(torch.tensor(a), torch.tensor(r))
    eg = ember.distributions.Gamma(ember.tensor(a), ember.tensor(r))
    xs = np.linspace(0.01, 30, 50)[:, None]
    np.testing.assert_allclose(eg.cdf(ember.tensor(xs)).numpy(),
                               tg.cdf(torch.tensor(xs)).numpy(), 1e-12, 1e-13)


def test_gamma_cdf_at_the_support_edges():
    # unvalidated values outside the support: nan for x < 0, as torch's igamma (was 0); 0 at 0,
    # 1 at inf
    a, r = np.array([0.5, 2.0]), np.array([1.0, 3.0])
    for x in (-1.0, 0.0, np.inf, 1e-30):
        t = torch.distributions.Gamma(torch.tensor(a), torch.tensor(r), validate_args=False)
        e = ember.distributions.Gamma(ember.tensor(a), ember.tensor(r), validate_args=False)
        np.testing.assert_allclose(e.cdf(ember.tensor(x, dtype=ember.float64)).numpy(),
                                   t.cdf(torch.tensor(x, dtype=torch.float64)).numpy(), 1e-12, 0)

"""MultivariateNormal (three parameterisations, batched and broadcast) and Independent."""
import numpy as np
import pytest
import torch

import ember
from helpers import compare, positive, rand


def _spd(L, A):
    return A @ A.mT + L.eye(A.shape[-1], dtype=A.dtype)


def _tril(L, A, d):
    return L.tril(A, -1) + L.diag_embed(d)


MVN = {
    "covariance_matrix": lambda L, loc, A, d: L.distributions.MultivariateNormal(
        loc, covariance_matrix=_spd(L, A)),
    "precision_matrix": lambda L, loc, A, d: L.distributions.MultivariateNormal(
        loc, precision_matrix=_spd(L, A)),
    "scale_tril": lambda L, loc, A, d: L.distributions.MultivariateNormal(
        loc, scale_tril=_tril(L, A, d)),
}


def _params(dt, batch=(2,), mbatch=()):
    return (rand(*batch, 3, dtype=dt), rand(*mbatch, 3, 3, dtype=dt),
            positive(*mbatch, 3, dtype=dt))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("kind", sorted(MVN))
@pytest.mark.parametrize("batch,mbatch", [((), ()), ((2,), ()), ((2,), (2,)), ((1,), (3,))])
def test_mvn_log_prob_entropy(kind, dt, batch, mbatch):
    tol = {"rtol": 1e-4, "atol": 1e-4} if dt == np.float32 else {"rtol": 1e-9, "atol": 1e-9}
    p = _params(dt, batch, mbatch)
    value = rand(4, 1, 3, dtype=dt)
    compare(lambda L, v, *p: MVN[kind](L, *p).log_prob(v), value, *p, **tol)
    compare(lambda L, *p: MVN[kind](L, *p).entropy(), *p, **tol)


@pytest.mark.parametrize("kind", sorted(MVN))
def test_mvn_moments_and_matrices(kind):
    p = _params(np.float64, (2,), (2,))
    compare(lambda L, *p: [getattr(MVN[kind](L, *p), stat) for stat in (
        "mean", "mode", "variance", "stddev", "scale_tril", "covariance_matrix",
        "precision_matrix")], *p, rtol=1e-9, atol=1e-9)


def test_mvn_shapes_expand_and_errors():
    p = _params(np.float32, (2,), ())
    for kind in MVN:
        t = MVN[kind](torch, *[torch.from_numpy(a) for a in p])
        e = MVN[kind](ember, *[ember.from_numpy(a) for a in p])
        assert e.batch_shape == t.batch_shape == (2,) and e.event_shape == (3,)
        for name in ("scale_tril", "covariance_matrix", "precision_matrix"):
            assert (name in e.__dict__) == (name in t.__dict__)
        ee, te = e.expand((4, 2)), t.expand((4, 2))
        assert ee.batch_shape == te.batch_shape == (4, 2)
        np.testing.assert_allclose(ee.covariance_matrix.detach().numpy(),
                                   te.covariance_matrix.detach().numpy(), 1e-5, 1e-5)
    from helpers import check_raises
    loc, eye = np.zeros(3, np.float32), np.eye(3, dtype=np.float32)
    MV = "distributions"
    check_raises(lambda L, a: getattr(L, MV).MultivariateNormal(a[0, 0], a), eye,
                 match="at least one-dimensional")
    check_raises(lambda L, a, m: getattr(L, MV).MultivariateNormal(a), loc, eye,
                 match="Exactly one")
    check_raises(lambda L, a, m: getattr(L, MV).MultivariateNormal(a, m, scale_tril=m), loc,
                 eye, match="Exactly one")
    check_raises(lambda L, a, m: getattr(L, MV).MultivariateNormal(a, m[0]), loc, eye,
                 match="at least two-dimensional")
    bad = np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)  # symmetric, not positive definite
    check_raises(lambda L, a, m: getattr(L, MV).MultivariateNormal(a, m), loc[:2], bad,
                 match="PositiveDefinite")
    check_raises(lambda L, a, m: getattr(L, MV).MultivariateNormal(a, scale_tril=m), loc[:2],
                 bad, match="LowerCholesky")


@pytest.mark.parametrize("ndims", [0, 1, 2])
def test_independent(ndims):
    loc, scale = rand(4, 2, 3), positive(4, 2, 3)
    value = rand(5, 4, 2, 3)

    def make(L, a, b):
        return L.distributions.Independent(L.distributions.Normal(a, b), ndims)
    compare(lambda L, v, a, b: make(L, a, b).log_prob(v), value, loc, scale)
    compare(lambda L, a, b: make(L, a, b).entropy(), loc, scale)
    for stat in ("mean", "variance", "mode", "stddev"):
        compare(lambda L, a, b: getattr(make(L, a, b), stat), loc, scale)
    t = make(torch, torch.from_numpy(loc), torch.from_numpy(scale))
    e = make(ember, ember.from_numpy(loc), ember.from_numpy(scale))
    assert e.batch_shape == t.batch_shape and e.event_shape == t.event_shape
    assert e.support.event_dim == t.support.event_dim == ndims
    assert e.has_rsample and repr(e).startswith("Independent(Normal(")
    ee = e.expand((6,) + tuple(e.batch_shape))
    assert ee.batch_shape == (6,) + tuple(e.batch_shape) and ee.event_shape == e.event_shape
    assert e.sample((2,)).shape == (2, 4, 2, 3)


def test_independent_errors():
    from helpers import check_raises
    check_raises(lambda L, a: L.distributions.Independent(L.distributions.Normal(a, 1.0), 3),
                 rand(2, 3), match="reinterpreted_batch_ndims")
    d = ember.distributions.Independent(
        ember.distributions.Bernoulli(ember.full((2, 3), 0.5)), 1)
    assert not d.has_enumerate_support
    with pytest.raises(NotImplementedError):
        d.enumerate_support()

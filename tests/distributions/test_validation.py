"""validate_args: torch's ValueErrors for bad parameters and values, the switches that turn it
off, and constraints' ``check`` against torch's."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises

f32 = np.float32
BAD_PARAMS = [
    (lambda D, x: D.Normal(x, -x), "scale"),
    (lambda D, x: D.Laplace(x, 0 * x), "scale"),
    (lambda D, x: D.Cauchy(x * np.nan, x), "loc"),
    (lambda D, x: D.LogNormal(x, -x), "scale"),
    (lambda D, x: D.Exponential(-x), "rate"),
    (lambda D, x: D.Gamma(x, -x), "rate"),
    (lambda D, x: D.Gamma(-x, x), "concentration"),
    (lambda D, x: D.Beta(-x, x), "concentration"),
    (lambda D, x: D.Dirichlet(-x), "concentration"),
    (lambda D, x: D.Poisson(-x), "rate"),
    (lambda D, x: D.Bernoulli(x * 2), "probs"),
    (lambda D, x: D.Binomial(x * 2.5, x * 0.5), "total_count"),
    (lambda D, x: D.Binomial(3, x * 1.5), "probs"),
    (lambda D, x: D.Geometric(x * 0), "positive"),
    (lambda D, x: D.Geometric(x * 1.5), "probs"),
    (lambda D, x: D.Categorical(x.cumsum(0) - 1.5), "probs"),
    (lambda D, x: D.OneHotCategorical(x.cumsum(0) - 1.5), "probs"),
    (lambda D, x: D.Uniform(x, x), "low>= high"),
    (lambda D, x: D.Bernoulli(x, x), "not both"),
    (lambda D, x: D.Bernoulli(), "not both"),
    (lambda D, x: D.Categorical(x.sum()), "one-dimensional"),
    (lambda D, x: D.Categorical(logits=x.sum()), "one-dimensional"),
    (lambda D, x: D.Dirichlet(x.sum()), "one-dimensional"),
]


@pytest.mark.parametrize("make,match", BAD_PARAMS, ids=[str(i) for i in range(len(BAD_PARAMS))])
def test_bad_parameters_raise(make, match):
    check_raises(lambda L, x: make(L.distributions, x), np.ones(3, f32), match=match)


def test_validation_can_be_turned_off():
    E = ember.distributions
    E.Normal(ember.zeros(2), -ember.ones(2), validate_args=False)
    E.Normal(0.0, 1.0, validate_args=False).log_prob(ember.tensor(1.0))
    E.Distribution.set_default_validate_args(False)
    try:
        n = E.Normal(0.0, -1.0)
        assert not n._validate_args
        E.Exponential(1.0).log_prob(ember.tensor(-1.0))
    finally:
        E.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="scale"):
        E.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        E.Distribution.set_default_validate_args("yes")
    # expanded copies keep the setting
    assert not E.Normal(0.0, 1.0, validate_args=False).expand((2,))._validate_args
    assert E.Normal(0.0, 1.0).expand((2,))._validate_args


BAD_VALUES = [
    (lambda D: D.Normal(0.0, 1.0), "float('nan')", "support"),
    (lambda D: D.Exponential(1.0), "-1.0", "support"),
    (lambda D: D.Gamma(1.0, 1.0), "-1.0", "support"),
    (lambda D: D.Beta(1.0, 1.0), "1.5", "support"),
    (lambda D: D.Bernoulli(0.3), "0.5", "support"),
    (lambda D: D.Poisson(1.0), "1.5", "support"),
    (lambda D: D.Binomial(3, 0.3), "4.0", "support"),
    (lambda D: D.Uniform(0.0, 1.0), "2.0", "support"),
    (lambda D: D.Dirichlet(D_ones(3)), "[0.5, 0.6, -0.1]", "support"),
    (lambda D: D.Dirichlet(D_ones(3)), "[0.5, 0.5]", "right-most size"),
    (lambda D: D.Normal(D_ones(3), 1.0), "[0.5, 0.5]", "broadcastable"),
    (lambda D: D.MultivariateNormal(D_ones(2), scale_tril=D_eye(2)), "[1.0]", "right-most"),
]


def D_ones(n):
    return _LIB[0].ones(n)


def D_eye(n):
    return _LIB[0].eye(n)


_LIB = [torch]


@pytest.mark.parametrize("make,value,match", BAD_VALUES,
                         ids=[str(i) for i in range(len(BAD_VALUES))])
def test_bad_values_raise(make, value, match):
    def fn(L, _):
        _LIB[0] = L
        d = make(L.distributions)
        return d.log_prob(L.tensor(eval(value)))
    check_raises(fn, None, match=match)


def test_log_prob_needs_a_tensor():
    check_raises(lambda L, _: L.distributions.Normal(0.0, 1.0).log_prob(0.5), None,
                 match="must be a Tensor")


def test_error_message_names_parameter_and_constraint():
    with pytest.raises(ValueError) as e:
        ember.distributions.Normal(ember.zeros(2), -ember.ones(2))
    msg = str(e.value)
    assert msg.startswith("Expected parameter scale (Tensor of shape (2,)) of distribution "
                          "Normal(loc: ember.Size([2]), scale: ember.Size([2])) to satisfy the "
                          "constraint GreaterThan(lower_bound=0.0), but found invalid values:")


C = "constraints"
CONSTRAINTS = [
    (lambda c: c.real, [[0.0, np.nan, np.inf]]),
    (lambda c: c.positive, [[1.0, 0.0, -1.0]]),
    (lambda c: c.nonnegative, [[1.0, 0.0, -1.0]]),
    (lambda c: c.unit_interval, [[0.0, 0.5, 1.0, 1.5, -0.1]]),
    (lambda c: c.boolean, [[0.0, 1.0, 0.5]]),
    (lambda c: c.nonnegative_integer, [[0.0, 3.0, 1.5, -1.0]]),
    (lambda c: c.positive_integer, [[0.0, 3.0, 1.5]]),
    (lambda c: c.integer_interval(0, 3), [[0.0, 3.0, 4.0, 1.5]]),
    (lambda c: c.interval(-1.0, 2.0), [[-1.0, 2.0, 2.5]]),
    (lambda c: c.half_open_interval(-1.0, 2.0), [[-1.0, 2.0, 1.5]]),
    (lambda c: c.greater_than(1.0), [[1.0, 2.0]]),
    (lambda c: c.greater_than_eq(1.0), [[1.0, 0.5]]),
    (lambda c: c.less_than(1.0), [[1.0, 0.5]]),
    (lambda c: c.simplex, [[0.5, 0.5], [0.2, 0.9], [1.5, -0.5]]),
    (lambda c: c.one_hot, [[0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]),
    (lambda c: c.real_vector, [[0.0, 1.0], [np.nan, 1.0]]),
    (lambda c: c.independent(c.positive, 1), [[1.0, 2.0], [1.0, -2.0]]),
    (lambda c: c.lower_triangular, [[[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [2.0, 3.0]]]),
    (lambda c: c.lower_cholesky, [[[1.0, 0.0], [2.0, 3.0]], [[-1.0, 0.0], [2.0, 3.0]],
                                  [[1.0, 1.0], [0.0, 1.0]]]),
    (lambda c: c.symmetric, [[[1.0, 2.0], [2.0, 3.0]], [[1.0, 2.0], [0.0, 3.0]]]),
    (lambda c: c.positive_definite, [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    (lambda c: c.positive_semidefinite, [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    (lambda c: c.multinomial(3), [[1.0, 2.0], [2.0, 2.0]]),
]


@pytest.mark.parametrize("make,value", CONSTRAINTS, ids=[str(i) for i in range(len(CONSTRAINTS))])
def test_constraints_match_torch(make, value):
    t, e = make(torch.distributions.constraints), make(ember.distributions.constraints)
    assert repr(e) == repr(t)
    assert e.is_discrete == t.is_discrete and e.event_dim == t.event_dim
    v = np.array(value, np.float32)
    tv, ev = t.check(torch.from_numpy(v)), e.check(ember.from_numpy(v))
    assert ev.dtype == ember.bool and tuple(ev.shape) == tuple(tv.shape)
    np.testing.assert_array_equal(ev.numpy(), tv.numpy())
    assert not bool(ev.all()) or v.ndim == 0  # each table row holds an invalid value


def test_dependent_constraints():
    c = ember.distributions.constraints
    assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
    with pytest.raises(ValueError, match="dependent"):
        c.dependent.check(ember.ones(1))
    U = ember.distributions.Uniform
    assert c.is_dependent(U.support) and U.support.event_dim == 0
    s = U(ember.zeros(2), ember.ones(2)).support
    assert s.check(ember.tensor([0.5, 1.5])).tolist() == [True, False]
    with pytest.raises(ValueError, match="Expected value.dim"):
        c.independent(c.real, 2).check(ember.ones(1)[0])

"""``Gamma``, ``Dirichlet`` and ``Beta``: distributions sampled from gamma variates, with
reparameterized gradients (implicit reparameterization of the gamma sampler)."""
from numbers import Number

import numpy as np

import ember
from ember._backend import to_device
from ember._tensor import wrap
from ember.distributions import constraints
from ember.distributions._gamma import gammainc, standard_gamma
from ember.distributions.distribution import Distribution
from ember.distributions.utils import _size, broadcast_all
from ember.nn import functional as F

__all__ = ["Beta", "Chi2", "Dirichlet", "Gamma"]


def _clamp_tiny(value):
    """``value`` clamped below at the dtype's tiny, the gradient passing unchanged."""
    tiny = ember.finfo(value.dtype).tiny
    d = value.detach()
    return value + (d.clamp(min=tiny) - d)


class _GammaIncBackward(ember.autograd.Function):
    """``P(a, x)`` with the gradient in ``x`` (the density); torch has none in ``a`` either."""

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        p = gammainc(to_device(a._data, "cpu"), to_device(x._data, "cpu"))
        return wrap(to_device(np.asarray(p, x._data.dtype), x.device))

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        pdf = ember.exp(ember.xlogy(a - 1, x) - x - ember.lgamma(a))
        return None, g * pdf


class Gamma(Distribution):
    """A gamma distribution with shape ``concentration`` and ``rate``.

    Args:
        concentration (float or Tensor): shape parameter (often ``alpha``), > 0.
        rate (float or Tensor): rate = 1 / scale (often ``beta``), > 0.

    Example::

        m = Gamma(ember.tensor([1.0]), ember.tensor([1.0]))
        m.sample()  # Gamma distributed with concentration=1 and rate=1
    """
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, Number) and isinstance(rate, Number):
            batch_shape = ember.Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = _size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return _clamp_tiny(value)

    def log_prob(self, value):
        value = ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - ember.log(self.rate) + ember.lgamma(self.concentration)
                + (1.0 - self.concentration) * ember.digamma(self.concentration))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, x = ember.broadcast_tensors(self.concentration, self.rate * value)
        return _GammaIncBackward.apply(a, x)


class Dirichlet(Distribution):
    """A Dirichlet distribution over the simplex, with ``concentration`` over the last dim.

    Example::

        m = Dirichlet(ember.tensor([0.5, 0.5]))
        m.sample()  # Dirichlet distributed with concentration [0.5, 0.5]
    """
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = _size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        # NOTE: normalised gamma variates; the pathwise gradient flows through both steps
        gammas = standard_gamma(self.concentration.expand(shape))
        return _clamp_tiny(gammas / gammas.sum(-1, keepdim=True))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration - 1.0, value).sum(-1)
                + ember.lgamma(self.concentration.sum(-1))
                - ember.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        mask = (self.concentration < 1).all(-1, keepdim=True)
        corner = F.one_hot(mode.argmax(-1), concentrationm1.shape[-1]).to(mode)
        return ember.where(mask, corner, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return (self.concentration * (con0 - self.concentration)
                / (con0.pow(2) * (con0 + 1)))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (ember.lgamma(self.concentration).sum(-1) - ember.lgamma(a0)
                - (k - a0) * ember.digamma(a0)
                - ((self.concentration - 1.0) * ember.digamma(self.concentration)).sum(-1))


class Beta(Distribution):
    """A beta distribution on ``[0, 1]`` with ``concentration1`` (alpha) and ``concentration0``
    (beta).

    Example::

        m = Beta(ember.tensor([0.5]), ember.tensor([0.5]))
    """
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            c1c0 = ember.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            c1c0 = ember.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(c1c0, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = _size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = ember.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]


class Chi2(Gamma):
    """A chi-squared distribution with ``df`` degrees of freedom (``Gamma(df / 2, 1 / 2)``).

    Example::

        m = Chi2(ember.tensor([1.0]))
    """
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2

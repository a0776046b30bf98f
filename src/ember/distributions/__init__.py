"""Probability distributions and their KL divergences (``torch.distributions``): parameterizable
distributions with ``sample`` / ``rsample`` (reparameterized, so gradients flow through samples),
``log_prob``, ``entropy`` and moments, built from ember tensor ops.

Example::

    import ember
    from ember.distributions import Normal, kl_divergence
    m = Normal(ember.zeros(3, requires_grad=True), ember.ones(3))
    loss = -m.log_prob(m.rsample()).sum()
"""
from ember.distributions import constraints, transforms  # noqa: F401
from ember.distributions.categorical import Categorical, Multinomial, OneHotCategorical
from ember.distributions.continuous import Cauchy, Exponential, Laplace, Normal, Uniform
from ember.distributions.discrete import Bernoulli, Binomial, Geometric, Poisson
from ember.distributions.distribution import Distribution
from ember.distributions.gamma import Beta, Chi2, Dirichlet, Gamma
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions.multivariate_normal import Independent, MultivariateNormal
from ember.distributions.relaxed import (ExpRelaxedCategorical, LogitRelaxedBernoulli,
                                        RelaxedBernoulli, RelaxedOneHotCategorical)
from ember.distributions.studentt import StudentT
from ember.distributions.transformed_distribution import LogNormal, TransformedDistribution
from ember.distributions.transforms import (AffineTransform, ComposeTransform, ExpTransform,
                                           SigmoidTransform, Transform)

__all__ = [
    "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
    "ComposeTransform", "Dirichlet", "Distribution", "ExpRelaxedCategorical", "ExpTransform",
    "Exponential", "Gamma", "Geometric", "Independent", "Laplace", "LogNormal",
    "LogitRelaxedBernoulli", "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical",
    "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform", "StudentT",
    "Transform", "TransformedDistribution", "Uniform", "constraints", "kl_divergence",
    "register_kl", "transforms",
]

"""The ``probs`` / ``logits`` parameterisation shared by the discrete distributions."""
from numbers import Number

import ember
from ember.distributions.utils import (broadcast_all, lazy_property, logits_to_probs,
                                       probs_to_logits)


class _ProbsLogits:
    """Mixin: ``probs`` and ``logits`` computed lazily from whichever was given; ``_binary``
    selects sigmoid/log-odds (Bernoulli-like) or softmax/log (Categorical-like)."""
    _binary = True

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def param_shape(self):
        return self._param.size()


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _set_elementwise(obj, probs, logits):
    """Store whichever of ``probs`` / ``logits`` is given (as a tensor) on ``obj`` and return the
    batch shape it gives a distribution with one parameter per element (Bernoulli-like)."""
    _one_of(probs, logits)
    param = probs if probs is not None else logits
    (t,) = broadcast_all(param)
    if probs is not None:
        obj.probs = t
    else:
        obj.logits = t
    obj._param = t
    return ember.Size() if isinstance(param, Number) else t.size()


def _expand_params(old, new, shape):
    """Expand whichever of ``probs`` / ``logits`` ``old`` holds into ``new``."""
    if "probs" in old.__dict__:
        new.probs = old.probs.expand(shape)
        new._param = new.probs
    if "logits" in old.__dict__:
        new.logits = old.logits.expand(shape)
        new._param = new.logits

"""``ember.special``: PyTorch's ``torch.special`` namespace.

Most names are the top-level ops under SciPy's names (``expit`` is :func:`ember.sigmoid`,
``gammaln`` is :func:`ember.lgamma`, ``psi`` is :func:`ember.digamma` ...); the functions found
only here (``erfcx``, ``ndtri``, ``log_ndtr``, ``i0e``, ``i1``, ``i1e``, ``entr``, ``zeta``,
``bessel_j0``, ``bessel_j1``, ``xlog1py``) live in ``ember._ops._special_more`` and
``ember._ops.special_math``.

Example::

    >>> import ember
    >>> ember.special.ndtr(ember.tensor([0., 1.96]))
    tensor([0.5000, 0.9750])
"""
import math

from ember._ops._special_more import bessel_j0, bessel_j1, entr, erfcx, log_ndtr, ndtri, zeta
from ember._ops.softmax import log_softmax, softmax
from ember._ops.special_math import (digamma, erfinv, i0, logit, mvlgamma, polygamma, sinc, xlogy,
                                     lgamma)
from ember._ops.special_math import special_i0e as i0e
from ember._ops.special_math import special_i1 as i1
from ember._ops.special_math import special_i1e as i1e
from ember._ops.special_math import special_xlog1py as xlog1py
from ember._ops.stats import logsumexp
from ember._ops.unary import erf, erfc, exp2, expm1, log1p, round, sigmoid

__all__ = ["bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
           "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi",
           "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta"]

expit, gammaln, psi = sigmoid, lgamma, digamma


def multigammaln(input, p, *, out=None):
    """The multivariate log-gamma of dimension ``p`` (:func:`ember.mvlgamma`)."""
    return mvlgamma(input, p, out=out)


def ndtr(input, *, out=None):
    """The standard normal CDF ``(1 + erf(x / sqrt(2))) / 2``, elementwise.

    Example::

        >>> ember.special.ndtr(ember.tensor([0.]))
        tensor([0.5000])
    """
    r = (1 + erf(input * math.sqrt(0.5))) * 0.5
    if out is not None:
        from ember._ops._arith import _out
        return _out(r, out)
    return r

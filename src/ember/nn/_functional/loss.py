"""Loss functions of ``ember.nn.functional``, with ``torch.nn.functional``'s signatures.

Cross-entropy and NLL are one fused primitive (``_cross_entropy.py``); the pointwise losses that
PyTorch runs as one kernel are primitives too (``_pointwise_loss.py``); the margin and embedding
losses are compositions of Tensor ops, as in PyTorch (``_margin_loss.py``).

``reduction`` is ``'none'`` | ``'mean'`` | ``'sum'``; the deprecated ``size_average`` / ``reduce``
pair, when given, overrides it (with PyTorch's warning).
"""
import warnings

import numpy as np

from ember.nn._functional import _pointwise_loss as _pw
from ember.nn._functional._cross_entropy import cross_entropy, nll_loss, reduction_enum
from ember.nn._functional._margin_loss import (cosine_embedding_loss, gaussian_nll_loss,
                                               hinge_embedding_loss, margin_ranking_loss,
                                               multi_margin_loss, multilabel_soft_margin_loss,
                                               poisson_nll_loss, triplet_margin_loss)
from ember.nn import _reduction

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "soft_margin_loss", "cosine_embedding_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss",
           "multi_margin_loss", "multilabel_soft_margin_loss"]

_NONE, _MEAN, _SUM = 0, 1, 2


def _warn_size(input, target):
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _apply_reduction(loss, red):
    if red == _NONE:
        return loss
    return loss.mean() if red == _MEAN else loss.sum()


def _weighted(loss, weight, input, reduction, by_weight=True):
    """PyTorch's ``weight=`` path of mse/l1/huber: a composition; 'mean' divides by sum(weight)
    (by the element count for huber)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


# ---- regression ----------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The mean squared error ``(input - target) ** 2``, reduced.

    Args:
        input (Tensor): any shape.
        target (Tensor): the same shape (a different but broadcastable one warns).
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        weight (Tensor, optional): a weight per element (input's shape); 'mean' then divides by
            ``weight.sum()``.
        size_average, reduce: deprecated (see ``reduction``).

    Example::

        >>> F.mse_loss(ember.tensor([1., 2.]), ember.tensor([1., 4.]))   # tensor(2.)
    """
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    if weight is not None:
        d = input - target
        return _weighted(d * d, weight, input, reduction)
    return _pw.mse(input, target, _reduction.get_enum(reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The mean absolute error ``|input - target|``, reduced (gradient 0 where they are equal).

    Args:
        input (Tensor): any shape.
        target (Tensor): the same shape (a different but broadcastable one warns).
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        weight (Tensor, optional): a weight per element; 'mean' then divides by ``weight.sum()``.

    Example::

        >>> F.l1_loss(ember.tensor([1., 2.]), ember.tensor([1., 4.]))   # tensor(1.)
    """
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    if weight is not None:
        return _weighted((input - target).abs(), weight, input, reduction)
    # NOTE: a composition in PyTorch too (AbsBackward0 under MeanBackward0)
    return _apply_reduction((input - target).abs(), _reduction.get_enum(reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``).

    Args:
        beta (float): where the loss turns from quadratic to linear (>= 0; 0 is the L1 loss).
            Default: 1.0.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Example::

        >>> F.smooth_l1_loss(ember.tensor([0.5, 3.]), ember.zeros(2), reduction='none')
        tensor([0.1250, 2.5000])
    """
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    red = _reduction.get_enum(reduction)
    if beta == 0.0:
        return _apply_reduction((input - target).abs(), red)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pw.smooth_l1(input, target, red, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, ``d = input - target``.

    Args:
        delta (float): where the loss turns from quadratic to linear (> 0). Default: 1.0.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        weight (Tensor, optional): a weight per element (input's shape).

    Example::

        >>> F.huber_loss(ember.tensor([0.5, 3.]), ember.zeros(2), delta=2.0, reduction='none')
        tensor([0.1250, 4.0000])
    """
    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(_pw.huber(input, target, _NONE, delta), weight, input, reduction, False)
    return _pw.huber(input, target, _reduction.get_enum(reduction), delta)


# ---- binary classification -----------------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """``-w (t log(x) + (1 - t) log(1 - x))`` on probabilities ``x``; each log is clamped at
    -100, so ``x`` of exactly 0 or 1 gives a finite loss.

    Args:
        input (Tensor): probabilities in [0, 1], any shape.
        target (Tensor): the same shape and dtype, values in [0, 1].
        weight (Tensor, optional): broadcast against the target.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Example::

        >>> F.binary_cross_entropy(ember.tensor([0.9, 0.2]), ember.tensor([1., 0.]))
    """
    red = reduction_enum(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        from ember._ops.shape import broadcast_shapes
        weight = weight.expand(broadcast_shapes(target.shape, weight.shape))
    return _pw.binary_cross_entropy(input, target, weight, red)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits: ``sigmoid`` and BCE in one stable primitive
    (``(1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x)``), finite for any logit.

    Args:
        input (Tensor): logits, any shape.
        target (Tensor): the same shape, values in [0, 1].
        weight (Tensor, optional): a weight broadcast over the loss.
        pos_weight (Tensor, optional): a weight of the positive term per class, broadcast along
            the last dim (shape ``(C,)`` for an input ``(N, C)``).
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Example::

        >>> F.binary_cross_entropy_with_logits(ember.tensor([3., -2.]), ember.tensor([1., 0.]))
    """
    red = reduction_enum(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return _pw.binary_cross_entropy_with_logits(input, target, weight, pos_weight, red)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The two-class logistic loss ``log(1 + exp(-target * input))`` (targets are 1 or -1).

    Example::

        >>> F.soft_margin_loss(ember.tensor([2., -1.]), ember.tensor([1., -1.]))
    """
    return _pw.soft_margin(input, target, reduction_enum(size_average, reduce, reduction))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence ``target * (log(target) - input)``, ``input`` holding
    log-probabilities (and ``target`` too when ``log_target``).

    Args:
        reduction (str): ``'none'`` | ``'batchmean'`` (the sum divided by the batch size: the
            mathematical KL divergence) | ``'sum'`` | ``'mean'`` (divides by every element; warns).
            Default: ``'mean'``.
        log_target (bool): ``target`` holds log-probabilities. Default: False.

    Example::

        >>> logp = F.log_softmax(ember.randn(3, 5), dim=1)
        >>> F.kl_div(logp, F.softmax(ember.randn(3, 5), dim=1), reduction='batchmean')
    """
    if size_average is not None or reduce is not None:
        red = _reduction.legacy_get_enum(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        red = _reduction.get_enum("sum" if reduction == "batchmean" else reduction)
    if not input.is_floating_point() or not target.is_floating_point():
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        from ember._ops.compare import where
        with np.errstate(divide="ignore", invalid="ignore"):  # xlogy(t, t): 0 where t == 0
            loss = where(target == 0, 0.0, target * target.log()) - target * input
    out = _apply_reduction(loss, red)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out

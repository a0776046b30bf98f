"""The margin, embedding and likelihood losses: compositions of Tensor ops, as in PyTorch
(``aten/src/ATen/native/Loss.cpp``), so they get their gradients (and double backward) for free.
None of them is in a hot loop the way cross-entropy is."""
import math

import numpy as np

from ember import _dtype
from ember._backend import xp_of
from ember._ops.compare import where
from ember._ops.reduce import type_name
from ember._tensor import wrap
from ember.autograd.grad_mode import no_grad
from ember.nn._functional import _pointwise_loss as _pw
from ember.nn._functional._cross_entropy import reduction_enum

__all__ = ["cosine_similarity", "pairwise_distance", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "triplet_margin_loss", "multi_margin_loss", "multilabel_soft_margin_loss"]

_NONE, _MEAN, _SUM = 0, 1, 2
_EPSILON = 1e-12  # cosine_embedding_loss's guard against zero vectors (PyTorch's EPSILON)


def _apply_reduction(loss, red):
    if red == _NONE:
        return loss
    return loss.mean() if red == _MEAN else loss.sum()


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between ``x1`` and ``x2`` (broadcast together) along ``dim``:
    ``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))``, PyTorch's formula (its norms are
    clamped without recording the clamp, so the gradient is that of the unclamped norms).

    Example::

        >>> F.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
        tensor([0.7071])
    """
    from ember._ops.shape import broadcast_tensors
    from ember._ops.stats import vector_norm
    if eps < 0:
        raise RuntimeError(f"eps must be non-negative, got: {eps:g}")
    dt = _dtype.promote_types(x1.dtype, x2.dtype)
    if not dt.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{type_name(dt.np)}")
    # integer inputs (and bool) take the common dtype; a float input stays as it is
    x1, x2 = (t if t.dtype.is_floating_point else t.to(dt) for t in (x1, x2))
    x1, x2 = broadcast_tensors(x1, x2)
    n1, n2 = vector_norm(x1, 2, dim).clone(), vector_norm(x2, 2, dim).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1.unsqueeze(dim)) * (x2 / n2.unsqueeze(dim))).sum(dim)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (0 elsewhere); the cosine is taken along the last dim.

    Args:
        input1, input2 (Tensor): ``(N, D)`` or ``(D,)``.
        target (Tensor): ``(N,)`` or ``()``, values 1 or -1.
        margin (float): in [-1, 1]; 0 to 0.5 is usual. Default: 0.

    Example::

        >>> F.cosine_embedding_loss(ember.randn(3, 4), ember.randn(3, 4), ember.tensor([1, -1, 1]))
    """
    red = reduction_enum(size_average, reduce, reduction)
    td = target.dim()
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(td)
    mag1 = (input1 * input1).sum(td) + _EPSILON
    mag2 = (input2 * input2).sum(td) + _EPSILON
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = 0.0
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(pos + neg, red)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``: ``target == 1`` asks for
    ``input1 > input2`` by at least ``margin``, ``-1`` for the opposite.

    Example::

        >>> F.margin_ranking_loss(ember.randn(3), ember.randn(3), ember.tensor([1., -1., 1.]))
    """
    red = reduction_enum(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but "
                           f"got sizes: input1: {input1.shape}, input2: {input2.shape}, target: "
                           f"{target.shape} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``
    (``input`` is usually a distance).

    Example::

        >>> F.hinge_embedding_loss(ember.rand(4), ember.tensor([1., -1., -1., 1.]))
    """
    red = reduction_enum(size_average, reduce, reduction)
    margin_clamp = (margin - input).clamp_min(0)
    out = where(target != 1, margin_clamp, 0.0) + where(target != -1, input, 0.0)
    return _apply_reduction(out, red)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """The negative log-likelihood of ``target`` under a Poisson distribution of rate ``input``:
    ``exp(input) - target * input`` (``log_input``) or ``input - target * log(input + eps)``.

    Args:
        log_input (bool): ``input`` is the log of the rate. Default: True.
        full (bool): add the Stirling term ``t log t - t + 0.5 log(2 pi t)`` (where ``t > 1``).
        eps (float): keeps ``log`` finite when ``log_input=False``. Default: 1e-8.

    Example::

        >>> F.poisson_nll_loss(ember.randn(5), ember.tensor([0., 1., 2., 3., 4.]))
    """
    if size_average is not None or reduce is not None:
        from ember.nn import _reduction
        reduction = _reduction.legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction_enum(None, None, reduction))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """The negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var``: ``0.5 (log(var) + (input - target)**2 / var)`` (+ ``0.5 log(2 pi)`` when ``full``).

    Args:
        var (Tensor or float): the input's shape, or one dim short / of size 1 in one dim (one
            variance shared); values are clamped at ``eps`` (without stopping the gradient).
        eps (float): the smallest variance used. Default: 1e-6.

    Example::

        >>> F.gaussian_nll_loss(ember.randn(5, 2), ember.randn(5, 2), ember.ones(5, 1))
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(input.shape)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():  # NOTE: clamped in place under no_grad: the gradient still reaches var
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction_enum(None, None, reduction))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The ``p``-norm of ``x1 - x2 + eps`` along the last dim (``eps`` keeps the norm's gradient
    finite where the inputs are equal), as PyTorch's.

    Example::

        >>> F.pairwise_distance(ember.tensor([[0., 3.]]), ember.tensor([[4., 0.]]))
        tensor([5.0000])
    """
    return (x1 - x2 + eps).norm(p, max(x1.dim(), x2.dim()) - 1, keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the ``p``-norm distance along the last
    dim; ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance.

    Example::

        >>> a, p, n = ember.randn(4, 8), ember.randn(4, 8), ember.randn(4, 8)
        >>> F.triplet_margin_loss(a, p, n, margin=1.0)
    """
    red = reduction_enum(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, q, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == q == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {q}D, and "
                           f"negative {n}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), red)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """The multi-class hinge loss: for each sample, ``sum_j max(0, margin - x[y] + x[j]) ** p``
    over the classes ``j != y``, divided by the number of classes (times ``weight[y]``).

    Args:
        input (Tensor): ``(N, C)`` or ``(C,)``.
        target (Tensor): class indices, ``(N,)`` or ``()``.
        p (int): 1 or 2. Default: 1.
        weight (Tensor, optional): a weight per class, shape ``(C,)``.

    Example::

        >>> F.multi_margin_loss(ember.randn(3, 5), ember.tensor([1, 0, 4]))
    """
    red = reduction_enum(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _pw.no_grad_arg(weight, "weight", "multi_margin_loss")
    xd = input._data
    if xd.dtype.kind != "f":
        raise NotImplementedError("\"multi_margin_loss_cpu_kernel\" not implemented for "
                                  f"'{type_name(xd.dtype)}'")
    nd = xd.ndim
    if not (nd == 2 and xd.shape[1] != 0 or nd == 1 and xd.shape[0] != 0 or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(xd.shape)}")
    nframe, dim = (xd.shape[0], xd.shape[1]) if nd == 2 else (1, xd.shape[0] if nd else 1)
    td = target._data
    if td.ndim > 1 or td.size != nframe:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           f"number of input samples (batch size). Expected target size "
                           f"[{nframe}], but got {list(td.shape)}. Input has shape "
                           f"{list(xd.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got "
                           f"{list(weight.shape)}")
    t = td.reshape(nframe).astype(np.int64)
    if t.size and (t.min() < 0 or t.max() >= dim):
        raise RuntimeError("target out of range")
    x = input.reshape(nframe, dim)
    xp = xp_of(xd)
    rows = xp.arange(nframe)
    xt = x[wrap(rows), wrap(t)].unsqueeze(1)
    z = (margin - xt + x).clamp_min(0)
    h = z if p == 1 else z * z
    others = xp.ones((nframe, dim), xd.dtype)
    others[rows, t] = 0  # the target class is not a margin violation
    h = h * wrap(others)
    if weight is not None:
        h = h * weight[wrap(t)].unsqueeze(1)
    loss = h.sum(1) / dim
    return _apply_reduction(loss.reshape(td.shape), red)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """The multi-label one-versus-all logistic loss: the binary cross-entropy on logits of each
    class, (weighted,) averaged over the classes (the last dim).

    Example::

        >>> F.multilabel_soft_margin_loss(ember.randn(3, 4), ember.tensor([[1., 0, 0, 1]] * 3))
    """
    if size_average is not None or reduce is not None:
        from ember.nn import _reduction
        reduction = _reduction.legacy_get_string(size_average, reduce)
    # -(t log_sigmoid(x) + (1 - t) log_sigmoid(-x)) is the logits BCE, computed stably
    loss = _pw.binary_cross_entropy_with_logits(input, target, None, None, _NONE)
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")

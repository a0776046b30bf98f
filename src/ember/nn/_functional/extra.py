"""Functions that complete ``torch.nn.functional``: ``pdist`` (an alias of ``ember.pdist``),
``gumbel_softmax``, ``channel_shuffle``, ``multilabel_margin_loss`` and
``triplet_margin_with_distance_loss``. All are compositions of Tensor ops, so they get their
gradients (and double backward) for free."""
import warnings

import numpy as np

from ember._backend import xp_of
from ember._ops.distance import pdist
from ember._ops.reduce import type_name
from ember._tensor import Tensor, wrap
from ember.nn._functional._cross_entropy import reduction_enum

__all__ = ["pdist", "gumbel_softmax", "channel_shuffle", "native_channel_shuffle",
           "multilabel_margin_loss", "triplet_margin_with_distance_loss"]

_NONE, _MEAN, _SUM = 0, 1, 2


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-Softmax distribution: ``softmax((logits + g) / tau, dim)`` with
    ``g = -log(Exponential(1))`` Gumbel noise drawn from ember's generator (``ember.manual_seed``
    makes it reproducible). With ``hard=True`` the result is one-hot along ``dim`` in the forward
    pass, while its gradient is that of the soft sample (the straight-through estimator).

    Args:
        logits (Tensor): ``(*, num_features)`` unnormalized log-probabilities.
        tau (float): the non-negative temperature. Default: 1.
        hard (bool): return one-hot samples. Default: False.
        eps (float): deprecated, has no effect.
        dim (int): the dimension of the softmax. Default: -1.

    Example::

        >>> F.gumbel_softmax(ember.randn(20, 32), tau=1, hard=True)
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -logits.new_empty(logits.shape).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.new_zeros(logits.shape).scatter_(dim, index, 1.0)
    # NOTE: straight-through: the value of y_hard, the gradient of y_soft
    return y_hard - y_soft.detach() + y_soft


def channel_shuffle(input, groups):
    """Divides the channels (dim 1) of ``(N, C, *)`` into ``groups`` groups and interleaves them:
    the output's channel ``c`` is the input's ``(c % groups) * (C // groups) + c // groups``.

    Args:
        input (Tensor): ``(N, C, *)``, at least 3-D.
        groups (int): the number of groups; must divide ``C``.

    Example::

        >>> F.channel_shuffle(ember.arange(8.).reshape(1, 4, 2), 2)
    """
    if isinstance(groups, Tensor) and groups.numel() == 1 and not groups.is_floating_point():
        groups = int(groups.item())
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError("channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{type(groups).__name__}")
    if input.dim() <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = input.shape[1]
    if c % groups != 0:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and "
                           f"{groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    x = input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-class multi-label hinge loss: for each sample,
    ``sum_{j, i} max(0, 1 - (x[y[j]] - x[i])) / C`` over the target classes ``y[j]`` (those
    before the first ``-1`` of the target row) and the classes ``i`` not among them.

    Args:
        input (Tensor): ``(C,)`` or ``(N, C)``.
        target (Tensor): int64 of the same shape: class indices, ended by ``-1`` (or the row's end).

    Shape:
        Output: a scalar; with ``reduction='none'``, ``(N,)`` (``()`` for a 1-D input).

    Example::

        >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...                          ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    red = reduction_enum(size_average, reduce, reduction)
    xd, td = input._data, target._data
    nd = xd.ndim
    if nd <= 1:
        nframe, dim = 1, (xd.shape[0] if nd else 1)
        if not (td.ndim <= 1 and td.size == dim):
            raise RuntimeError(f"inconsistent target size: {list(td.shape)} for input of size: "
                               f"{list(xd.shape)}")
    elif nd == 2 and xd.shape[1] != 0:
        nframe, dim = xd.shape
        if td.shape != xd.shape:
            raise RuntimeError(f"inconsistent target size: {list(td.shape)} for input of size: "
                               f"{list(xd.shape)}")
    else:
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(xd.shape)}")
    if td.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {type_name(td.dtype)}")
    if xd.dtype.kind != "f" or xd.dtype == np.float16:
        raise NotImplementedError("\"multilabel_margin_loss_forward_out_frame\" not implemented "
                                  f"for '{type_name(xd.dtype)}'")
    xp = xp_of(xd)
    t = td.reshape(nframe, dim)
    if t.size and (t.min() < -1 or t.max() >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    # the targets of a row are those before its first -1
    valid = xp.cumprod(t >= 0, axis=1).astype(bool)
    tc = xp.where(valid, t, 0)
    is_target = xp.zeros((nframe, dim), bool)
    rows = xp.broadcast_to(xp.arange(nframe)[:, None], (nframe, dim))
    is_target[rows[valid], tc[valid]] = True
    x = input.reshape(nframe, dim)
    xt = x.gather(1, wrap(tc))  # (N, C): x[y[j]]
    z = (1 - xt.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)  # (N, j, i)
    mask = valid[:, :, None] & ~is_target[:, None, :]
    loss = (z * wrap(mask.astype(xd.dtype))).sum((1, 2)) / dim
    if red == _NONE:
        return loss if nd == 2 else loss.reshape(())
    return loss.mean() if red == _MEAN else loss.sum()


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """``max(0, d(a, p) - d(a, n) + margin)`` with a custom distance ``d`` (default:
    :func:`pairwise_distance`); ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance.

    Args:
        anchor, positive, negative (Tensor): the same number of dims, ``(N, *)`` or ``(*)``.
        distance_function (callable, optional): two tensors -> non-negative distances.
        margin (float): > 0. Default: 1.0.
        swap (bool): use the distance swap. Default: False.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Example::

        >>> a, p, n = ember.randn(4, 8), ember.randn(4, 8), ember.randn(4, 8)
        >>> F.triplet_margin_with_distance_loss(a, p, n, distance_function=F.pairwise_distance)
    """
    from ember.nn._functional._margin_loss import pairwise_distance
    # PyTorch's checks, in its order: reduction, margin, then the dimensions
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, q, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == q == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {q}D, and "
                           f"negative {n}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    loss = (margin + d_pos - d_neg).clamp_min(0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss

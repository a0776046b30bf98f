"""Loss layers (``torch.nn.modules.loss``): each stores its options and calls its function in
``ember.nn.functional``. Class weights are buffers (``weight``, ``pos_weight``), so they move with
``.to()`` and are saved in ``state_dict`` under PyTorch's keys.

Common arguments:
    reduction (str): ``'none'`` (one loss per element or sample) | ``'mean'`` | ``'sum'``.
        Default: ``'mean'``.
    size_average, reduce: deprecated; when either is given, it decides the reduction
        (``reduce=False``: 'none', ``size_average=False``: 'sum', else 'mean') and warns.
"""
from ember.nn import _reduction as _Reduction
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["L1Loss", "NLLLoss", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss",
           "BCELoss", "BCEWithLogitsLoss", "HingeEmbeddingLoss", "SmoothL1Loss", "HuberLoss",
           "SoftMarginLoss", "CrossEntropyLoss", "MultiLabelSoftMarginLoss",
           "CosineEmbeddingLoss", "MarginRankingLoss", "MultiMarginLoss", "TripletMarginLoss"]


class _Loss(Module):
    """The base of the losses: holds ``reduction`` (the legacy pair, when given, decides it)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _Reduction.legacy_get_string(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with a per-class ``weight``, registered as a buffer (``None`` when not given)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


# ---- regression ----------------------------------------------------------------------------------
class L1Loss(_Loss):
    """The mean absolute error ``|x - y|`` (see :func:`ember.nn.functional.l1_loss`).

    Shape:
        - Input: any shape; Target: the same shape.
        - Output: a scalar, or the input's shape with ``reduction='none'``.

    Example::

        >>> loss = nn.L1Loss()
        >>> loss(ember.randn(3, 5, requires_grad=True), ember.randn(3, 5)).backward()
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """The mean squared error ``(x - y) ** 2`` (see :func:`ember.nn.functional.mse_loss`).

    Shape:
        - Input: any shape; Target: the same shape.
        - Output: a scalar, or the input's shape with ``reduction='none'``.

    Example::

        >>> loss = nn.MSELoss()
        >>> loss(ember.randn(3, 5, requires_grad=True), ember.randn(3, 5)).backward()
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see :func:`ember.nn.functional.smooth_l1_loss`).

    Args:
        beta (float): the threshold between the two parts (>= 0). Default: 1.0.

    Example::

        >>> nn.SmoothL1Loss(beta=0.5)(ember.randn(4), ember.randn(4))
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, ``delta``-sloped above (see
    :func:`ember.nn.functional.huber_loss`).

    Args:
        delta (float): the threshold between the two parts (> 0). Default: 1.0.

    Example::

        >>> nn.HuberLoss(delta=2.0)(ember.randn(4), ember.randn(4))
    """

    __constants__ = ["reduction", "delta"]

    def __init__(self, reduction="mean", delta=1.0):
        if not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


# ---- classification ------------------------------------------------------------------------------
class NLLLoss(_WeightedLoss):
    """The negative log-likelihood of class indices, on log-probabilities (see
    :func:`ember.nn.functional.nll_loss`).

    Args:
        weight (Tensor, optional): a weight per class, shape ``(C,)`` (a buffer).
        ignore_index (int): targets equal to it are skipped. Default: -100.

    Shape:
        - Input: ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; Target: ``(N,)``, ``()`` or
          ``(N, d1, ...)`` int64.
        - Output: a scalar, or the target's shape with ``reduction='none'``.

    Example::

        >>> m, loss = nn.LogSoftmax(dim=1), nn.NLLLoss()
        >>> loss(m(ember.randn(3, 5, requires_grad=True)), ember.tensor([1, 0, 4])).backward()
    """

    __constants__ = ["ignore_index", "reduction"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """The cross-entropy between logits and class indices or class probabilities: log-softmax
    and NLL fused in one stable primitive (see :func:`ember.nn.functional.cross_entropy`).

    Args:
        weight (Tensor, optional): a weight per class, shape ``(C,)`` (a buffer).
        ignore_index (int): class-index targets equal to it are skipped. Default: -100.
        label_smoothing (float): in [0, 1]; the target becomes
            ``(1 - label_smoothing) * target + label_smoothing / C``. Default: 0.0.

    Shape:
        - Input: ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` logits.
        - Target: class indices ``(N,)``, ``()`` or ``(N, d1, ...)`` (int64), or probabilities
          shaped like the input.
        - Output: a scalar, or ``(N, d1, ...)`` with ``reduction='none'``.

    Example::

        >>> loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(ember.randn(3, 5, requires_grad=True), ember.tensor([1, 0, 4])).backward()
    """

    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """The binary cross-entropy on probabilities, logs clamped at -100 (see
    :func:`ember.nn.functional.binary_cross_entropy`).

    Args:
        weight (Tensor, optional): broadcast against the target (a buffer).

    Example::

        >>> loss = nn.BCELoss()
        >>> p = ember.sigmoid(ember.randn(3, requires_grad=True))
        >>> loss(p, ember.tensor([1., 0., 1.])).backward()
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable primitive (see
    :func:`ember.nn.functional.binary_cross_entropy_with_logits`).

    Args:
        weight (Tensor, optional): broadcast over the loss (a buffer).
        pos_weight (Tensor, optional): a weight of the positive term per class, broadcast along
            the last dim (a buffer).

    Example::

        >>> loss = nn.BCEWithLogitsLoss(pos_weight=ember.full((4,), 2.0))
        >>> loss(ember.randn(3, 4, requires_grad=True), ember.rand(3, 4)).backward()
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """The two-class logistic loss ``log(1 + exp(-y x))`` (see
    :func:`ember.nn.functional.soft_margin_loss`).

    Example::

        >>> nn.SoftMarginLoss()(ember.randn(4), ember.tensor([1., -1., 1., -1.]))
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """The multi-label one-versus-all logistic loss (see
    :func:`ember.nn.functional.multilabel_soft_margin_loss`).

    Args:
        weight (Tensor, optional): a weight per class, shape ``(C,)`` (a buffer).

    Example::

        >>> nn.MultiLabelSoftMarginLoss()(ember.randn(2, 3), ember.tensor([[1., 0, 1], [0, 1, 0]]))
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss (see :func:`ember.nn.functional.multi_margin_loss`).

    Args:
        p (int): 1 or 2. Default: 1.
        margin (float): Default: 1.0.
        weight (Tensor, optional): a weight per class, 1-D (a buffer).

    Example::

        >>> nn.MultiMarginLoss()(ember.randn(3, 5), ember.tensor([1, 0, 4]))
    """

    __constants__ = ["p", "margin", "reduction"]

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError("MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


# ---- distributions -------------------------------------------------------------------------------
class KLDivLoss(_Loss):
    """The Kullback-Leibler divergence, input as log-probabilities (see
    :func:`ember.nn.functional.kl_div`); use ``reduction='batchmean'`` for the mathematical KL.

    Args:
        log_target (bool): the target holds log-probabilities too. Default: False.

    Example::

        >>> loss = nn.KLDivLoss(reduction='batchmean')
        >>> loss(F.log_softmax(ember.randn(3, 5), dim=1), F.softmax(ember.randn(3, 5), dim=1))
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """The Poisson negative log-likelihood (see :func:`ember.nn.functional.poisson_nll_loss`).

    Args:
        log_input (bool): the input is the log of the rate. Default: True.
        full (bool): add the Stirling approximation term. Default: False.
        eps (float): Default: 1e-8.

    Example::

        >>> nn.PoissonNLLLoss()(ember.randn(5), ember.tensor([0., 1., 2., 3., 4.]))
    """

    __constants__ = ["log_input", "full", "eps", "reduction"]

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """The Gaussian negative log-likelihood (see :func:`ember.nn.functional.gaussian_nll_loss`).

    Args:
        full (bool): add the constant ``0.5 log(2 pi)``. Default: False.
        eps (float): the smallest variance used. Default: 1e-6.

    Example::

        >>> nn.GaussianNLLLoss()(ember.randn(5, 2), ember.randn(5, 2), ember.ones(5, 1))
    """

    __constants__ = ["full", "eps", "reduction"]

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


# ---- margins and embeddings ----------------------------------------------------------------------
class _MarginLoss(_Loss):
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class CosineEmbeddingLoss(_MarginLoss):
    """``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1`` (see
    :func:`ember.nn.functional.cosine_embedding_loss`).

    Args:
        margin (float): in [-1, 1]. Default: 0.0.

    Example::

        >>> nn.CosineEmbeddingLoss()(ember.randn(3, 4), ember.randn(3, 4), ember.tensor([1, -1, 1]))
    """

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_MarginLoss):
    """``max(0, -y (x1 - x2) + margin)`` (see :func:`ember.nn.functional.margin_ranking_loss`).

    Args:
        margin (float): Default: 0.0.

    Example::

        >>> nn.MarginRankingLoss()(ember.randn(3), ember.randn(3), ember.tensor([1., -1., 1.]))
    """

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """``x`` for ``y = 1``, ``max(0, margin - x)`` for ``y = -1`` (see
    :func:`ember.nn.functional.hinge_embedding_loss`).

    Args:
        margin (float): Default: 1.0.

    Example::

        >>> nn.HingeEmbeddingLoss()(ember.rand(4), ember.tensor([1., -1., -1., 1.]))
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, d(a, p) - d(a, n) + margin)`` with the ``p``-norm distance (see
    :func:`ember.nn.functional.triplet_margin_loss`).

    Args:
        margin (float): > 0. Default: 1.0.
        p (float): the norm degree. Default: 2.
        eps (float): added to the differences. Default: 1e-6.
        swap (bool): use the distance swap. Default: False.

    Example::

        >>> nn.TripletMarginLoss()(ember.randn(4, 8), ember.randn(4, 8), ember.randn(4, 8))
    """

    __constants__ = ["margin", "p", "eps", "swap", "reduction"]

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError("TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)

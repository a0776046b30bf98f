"""Layers that complete ``torch.nn``: ``ChannelShuffle``, ``MultiLabelMarginLoss``,
``TripletMarginWithDistanceLoss`` and ``FractionalMaxPool2d``, each storing its options and calling
its function in ``ember.nn.functional``."""
from ember.nn import functional as F
from ember.nn.modules.distance import PairwiseDistance
from ember.nn.modules.loss import _Loss
from ember.nn.modules.module import Module

__all__ = ["ChannelShuffle", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss",
           "FractionalMaxPool2d"]


def _pair(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x, x)


class ChannelShuffle(Module):
    """Divides the channels of ``(N, C, *)`` into ``groups`` groups and interleaves them (see
    :func:`ember.nn.functional.channel_shuffle`).

    Args:
        groups (int): the number of groups; must divide ``C``.

    Example::

        >>> nn.ChannelShuffle(2)(ember.arange(8.).reshape(1, 4, 2))
    """

    __constants__ = ["groups"]

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class MultiLabelMarginLoss(_Loss):
    """The multi-class multi-label hinge loss (see
    :func:`ember.nn.functional.multilabel_margin_loss`).

    Shape:
        Input ``(C,)`` or ``(N, C)``; target int64 of the same shape, class indices ended by -1.

    Example::

        >>> nn.MultiLabelMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...                           ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """``max(0, d(a, p) - d(a, n) + margin)`` with a custom distance (default:
    :class:`PairwiseDistance`, kept as the submodule ``distance_function``); see
    :func:`ember.nn.functional.triplet_margin_with_distance_loss`.

    Args:
        distance_function (callable, optional): two tensors -> non-negative distances.
        margin (float): > 0. Default: 1.0.
        swap (bool): use the distance swap. Default: False.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Example::

        >>> loss = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance())
        >>> loss(ember.randn(4, 8), ember.randn(4, 8), ember.randn(4, 8))
    """

    __constants__ = ["margin", "swap", "reduction"]

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError("TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                             f"got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class FractionalMaxPool2d(Module):
    """2-D fractional max pooling (Graham, 2014): ``kernel_size`` windows at pseudo-random,
    increasing offsets chosen so the output has ``output_size`` (or ``output_ratio`` times the
    input size); see :func:`ember.nn.functional.fractional_max_pool2d`.

    Args:
        kernel_size (int or tuple): the window ``(kH, kW)``.
        output_size (int or tuple, optional): ``(oH, oW)``.
        output_ratio (float or tuple, optional): in (0, 1); the output size as a fraction.
        return_indices (bool): also return the argmax indices. Default: False.
        _random_samples (Tensor, optional): ``(N, C, 2)`` samples in [0, 1), kept as a buffer.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, oH, oW)`` or ``(C, oH, oW)``.

    Example::

        >>> nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(ember.randn(2, 3, 10, 10)).shape
        ember.Size([2, 3, 5, 5])
    """

    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _pair(output_size) if output_size is not None else None
        self.output_ratio = _pair(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError("FractionalMaxPool2d requires specifying either an output size, or a "
                             "pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None:
            if not (0 < self.output_ratio[0] < 1 and 0 < self.output_ratio[1] < 1):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return F.fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                       self.output_ratio, self.return_indices,
                                       _random_samples=self._random_samples)

"""Dropout layers: ``Dropout``, ``Dropout1d``, ``AlphaDropout``, ``FeatureAlphaDropout``.

Each is the identity in evaluation mode (``model.eval()``); in training mode it draws a fresh mask
from ember's generator at every call (``ember.manual_seed`` makes the masks reproducible).
"""
from ember.nn._functional.dropout import (alpha_dropout, dropout, dropout1d,
                                          feature_alpha_dropout)
from ember.nn.modules.module import Module

__all__ = ["Dropout", "Dropout1d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    r"""During training, zero each element with probability ``p`` and scale the others by
    :math:`\frac{1}{1-p}`; in evaluation mode, the identity.

    Args:
        p: probability of an element to be zeroed. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        - Input: :math:`(*)`, any shape. Output: :math:`(*)`, the same shape.

    Example::

        m = nn.Dropout(p=0.2)
        m(ember.randn(20, 16)).shape    # ember.Size([20, 16])
    """

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    r"""During training, zero whole channels (a channel is a 1-D row ``input[n, c]``) with
    probability ``p`` and scale the others by :math:`\frac{1}{1-p}`.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        - Input: :math:`(N, C, L)` or :math:`(C, L)`. Output: the same shape.

    Example::

        m = nn.Dropout1d(p=0.2)
        m(ember.randn(20, 16, 32)).shape    # ember.Size([20, 16, 32])
    """

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    r"""Alpha dropout for self-normalising (SELU) networks: dropped entries take SELU's negative
    saturation value, then an affine map keeps the input's mean and variance.

    Args:
        p: probability of an element to be dropped. Default: 0.5.
        inplace: accepted as in PyTorch (which ignores it for this layer).

    Shape:
        - Input: :math:`(*)`. Output: the same shape.

    Example::

        m = nn.AlphaDropout(p=0.2)
        m(ember.randn(20, 16)).shape    # ember.Size([20, 16])
    """

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    r"""Alpha dropout of whole channels: input :math:`(N, C, *)`, one draw per ``(n, c)``.

    Example::

        m = nn.FeatureAlphaDropout(p=0.2)
        m(ember.randn(20, 16, 4, 4)).shape    # ember.Size([20, 16, 4, 4])
    """

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training)

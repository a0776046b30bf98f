"""``Dropout2d`` and ``Dropout3d``: dropout of whole channels (``Dropout1d`` is with the other
dropout layers in ``dropout.py``, whose ``_DropoutNd`` base these share)."""
from ember.nn._functional.channel_dropout import dropout2d, dropout3d
from ember.nn.modules.dropout import _DropoutNd

__all__ = ["Dropout2d", "Dropout3d"]


class Dropout2d(_DropoutNd):
    r"""During training, zero whole channels (a channel is a 2-D map ``input[n, c]``) with
    probability ``p`` and scale the others by :math:`\frac{1}{1-p}`; in evaluation mode, the
    identity. Useful after convolutions, whose neighbouring pixels are strongly correlated
    (Tompson et al., 2015).

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        - Input: :math:`(N, C, H, W)`. Output: the same shape. (A 3-D input is taken as
          :math:`(N, C, L)`, with a warning, as in PyTorch.)

    Example::

        m = nn.Dropout2d(p=0.2)
        m(ember.randn(20, 16, 32, 32)).shape    # ember.Size([20, 16, 32, 32])
    """

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    r"""During training, zero whole channels (a channel is a 3-D volume ``input[n, c]``) with
    probability ``p`` and scale the others by :math:`\frac{1}{1-p}`.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        - Input: :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`. Output: the same shape.

    Example::

        m = nn.Dropout3d(p=0.2)
        m(ember.randn(20, 16, 4, 32, 32)).shape    # ember.Size([20, 16, 4, 32, 32])
    """

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace)

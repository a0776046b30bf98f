"""``Fold`` and ``Unfold``, as ``torch.nn.modules.fold``: the sliding-window layers over
``F.fold`` (col2im) and ``F.unfold`` (im2col)."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    """Sum sliding blocks back into a tensor: ``(N, C * prod(kernel_size), L)`` ->
    ``(N, C, *output_size)``, overlapping values added.

    Args:
        output_size, kernel_size, dilation, padding, stride: ints or pairs, as ``F.fold``.

    Example::

        nn.Fold(output_size=(4, 5), kernel_size=2)(ember.randn(1, 4, 12)).shape  # [1, 1, 4, 5]
    """

    __constants__ = ["output_size", "kernel_size", "dilation", "padding", "stride"]

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return ("output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, "
                "padding={padding}, stride={stride}".format(**self.__dict__))


class Unfold(Module):
    """Extract sliding blocks: ``(N, C, *)`` -> ``(N, C * prod(kernel_size), L)``.

    Args:
        kernel_size, dilation, padding, stride: ints or pairs, as ``F.unfold``.

    Example::

        nn.Unfold(kernel_size=2)(ember.randn(1, 3, 4, 5)).shape    # [1, 12, 12]
    """

    __constants__ = ["kernel_size", "dilation", "padding", "stride"]

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return ("kernel_size={kernel_size}, dilation={dilation}, padding={padding},"
                " stride={stride}".format(**self.__dict__))

"""Pooling layers, as ``torch/nn/modules/pooling.py``: max, average, power-average, adaptive
pooling in 1, 2 and 3 dims, and max unpooling. Each holds its arguments and calls ``F``."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
           "AvgPool1d", "AvgPool2d", "AvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"]


def _ntuple(x, n):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,) * n


class _MaxPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}"
                ", dilation={dilation}, ceil_mode={ceil_mode}".format(**self.__dict__))


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling: the maximum of each window along the last dim.

    Args:
        kernel_size: the window size.
        stride: the window step. Default: ``kernel_size``.
        padding: implicit -inf padding on both sides, at most half the kernel size. Default: 0.
        dilation: the step between the elements of a window. Default: 1.
        return_indices: also return the position of each maximum (for :class:`MaxUnpool1d`).
        ceil_mode: round the output size up, so that a last window may hang over the end (it
            must start inside the input or the left padding).

    Shape:
        - Input: :math:`(N, C, L_{in})` or :math:`(C, L_{in})`
        - Output: :math:`(N, C, L_{out})` with
          :math:`L_{out} = \\lfloor (L_{in} + 2p - d (k - 1) - 1) / s + 1 \\rfloor`
          (ceil in ceil mode)

    Example::

        nn.MaxPool1d(3, stride=2)(ember.randn(20, 16, 50)).shape    # ember.Size([20, 16, 24])
    """

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling: the maximum of each window over the last two dims.

    Args:
        kernel_size: the window size (an int or ``(kH, kW)``).
        stride: the window step. Default: ``kernel_size``.
        padding: implicit -inf padding on both sides of each dim, at most half the kernel.
        dilation: the step between the elements of a window. Default: 1.
        return_indices: also return the position of each maximum, flat in each ``H * W`` plane
            (for :class:`MaxUnpool2d`).
        ceil_mode: round the output size up (see :class:`MaxPool1d`).

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})`, each dim as in :class:`MaxPool1d`

    Example::

        nn.MaxPool2d(2)(ember.randn(1, 3, 8, 8)).shape    # ember.Size([1, 3, 4, 4])
    """

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over the last three dims (arguments as :class:`MaxPool2d`).

    Shape:
        - Input: :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`

    Example::

        nn.MaxPool3d(2)(ember.randn(1, 2, 4, 4, 4)).shape    # ember.Size([1, 2, 2, 2, 2])
    """

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class _MaxUnpoolNd(Module):
    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, self._n)
        self.stride = _ntuple(stride if (stride is not None) else kernel_size, self._n)
        self.padding = _ntuple(padding, self._n)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of :class:`MaxPool1d`: values written back at their indices, zeros
    elsewhere. ``forward(input, indices, output_size=None)``; ``output_size`` settles the
    ambiguous size when the pooled input's size was not a multiple of the stride.

    Example::

        pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        out, idx = pool(ember.tensor([[[1., 2, 3, 4, 5, 6, 7, 8]]]))
        unpool(out, idx)    # tensor([[[0., 2., 0., 4., 0., 6., 0., 8.]]])
    """

    _n = 1

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of :class:`MaxPool2d` (see :class:`MaxUnpool1d`).

    Shape:
        - Output: :math:`H_{out} = (H_{in} - 1) s - 2p + k`, or ``output_size``

    Example::

        out, idx = nn.MaxPool2d(2, return_indices=True)(x)
        nn.MaxUnpool2d(2)(out, idx, output_size=x.size())
    """

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of :class:`MaxPool3d` (see :class:`MaxUnpool1d`)."""

    _n = 3

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class _AvgPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling along the last dim.

    Args:
        kernel_size: the window size.
        stride: the window step. Default: ``kernel_size``.
        padding: implicit zero padding on both sides, at most half the kernel size.
        ceil_mode: round the output size up (see :class:`MaxPool1d`).
        count_include_pad: count the padding zeros in the divisor. Default: ``True``.

    Shape:
        - Input: :math:`(N, C, L_{in})` or :math:`(C, L_{in})`

    Example::

        nn.AvgPool1d(3, stride=2)(ember.tensor([[[1., 2, 3, 4, 5, 6, 7]]]))
        # tensor([[[2., 4., 6.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """2-d average pooling over the last two dims.

    Args:
        kernel_size, stride, padding, ceil_mode, count_include_pad: as :class:`AvgPool1d`,
            each an int or a pair.
        divisor_override: divide every window sum by this instead of the window size.

    Shape:
        - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`

    Example::

        nn.AvgPool2d(2)(ember.ones(1, 1, 4, 4))    # 2x2 of ones
    """

    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                     "divisor_override"]

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AvgPool3d(_AvgPoolNd):
    """3-d average pooling over the last three dims (arguments as :class:`AvgPool2d`).

    Example::

        nn.AvgPool3d(2)(ember.ones(1, 1, 4, 4, 4)).shape    # ember.Size([1, 1, 2, 2, 2])
    """

    __constants__ = AvgPool2d.__constants__

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _LPPoolNd(Module):
    __constants__ = ["norm_type", "kernel_size", "stride", "ceil_mode"]

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return ("norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, "
                "ceil_mode={ceil_mode}".format(**self.__dict__))


class LPPool1d(_LPPoolNd):
    """Power-average pooling: ``(sum of x ** p over each window) ** (1 / p)`` along the last dim
    (``p = 1`` is sum pooling, ``p = inf`` max pooling).

    Example::

        nn.LPPool1d(2, 3, stride=2)(ember.randn(20, 16, 50)).shape    # ember.Size([20, 16, 24])
    """

    def forward(self, input):
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over the last two dims (see :class:`LPPool1d`)."""

    def forward(self, input):
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over the last three dims (see :class:`LPPool1d`)."""

    def forward(self, input):
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class _AdaptiveMaxPoolNd(Module):
    __constants__ = ["output_size", "return_indices"]

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of the last dim to ``output_size`` positions, whatever the input size: output
    ``i`` of ``n`` inputs pools ``[floor(i n / out), ceil((i + 1) n / out))``.

    Example::

        nn.AdaptiveMaxPool1d(5)(ember.randn(1, 64, 8)).shape    # ember.Size([1, 64, 5])
    """

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of the last two dims (see :class:`AdaptiveMaxPool1d`);
    ``output_size`` is an int or a pair, ``None`` keeping that dim's size.

    Example::

        nn.AdaptiveMaxPool2d((5, None))(ember.randn(1, 64, 10, 9)).shape
        # ember.Size([1, 64, 5, 9])
    """

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of the last three dims (see :class:`AdaptiveMaxPool2d`)."""

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _AdaptiveAvgPoolNd(Module):
    __constants__ = ["output_size"]

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of the last dim to ``output_size`` positions (windows as
    :class:`AdaptiveMaxPool1d`).

    Example::

        nn.AdaptiveAvgPool1d(5)(ember.randn(1, 64, 8)).shape    # ember.Size([1, 64, 5])
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of the last two dims; ``AdaptiveAvgPool2d(1)`` is global
    average pooling.

    Example::

        nn.AdaptiveAvgPool2d((1, 1))(ember.randn(8, 512, 7, 7)).shape    # (8, 512, 1, 1)
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of the last three dims."""

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)

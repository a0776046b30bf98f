"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``, with PyTorch's arguments,
parameter shapes, initialisation, printed form and errors (``torch/nn/modules/conv.py``)."""
import math

from ember._ops.creation import empty
from ember.nn import init
from ember.nn._functional.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
                                       conv_transpose3d)
from ember.nn._functional.pad import pad as _pad
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _ntuple(n):
    def parse(x):
        if isinstance(x, (list, tuple)):
            return tuple(x)
        return (x,) * n
    return parse


_single, _pair, _triple = _ntuple(1), _ntuple(2), _ntuple(3)
_NTUPLE = {1: _single, 2: _pair, 3: _triple}


def _reverse_repeat_tuple(t, n):
    """``(1, 2)`` -> ``(2, 2, 1, 1)``: per-dim padding in ``F.pad``'s order."""
    return tuple(x for x in reversed(t) for _ in range(n))


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters and their
    initialisation, ``extra_repr``."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # the padding as F.pad takes it, for the non-zero padding modes (pad, then conv)
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total_padding = d * (k - 1)
                    left_pad = total_padding // 2
                    self._reversed_padding_repeated_twice[2 * i] = left_pad
                    self._reversed_padding_repeated_twice[2 * i + 1] = total_padding - left_pad
        else:
            self._reversed_padding_repeated_twice = _reverse_repeat_tuple(self.padding, 2)
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty((*shape, *kernel_size), **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_channels, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw the parameters: ``kaiming_uniform_(a=sqrt(5))`` for the weight, and
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the bias, as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


class _Conv(_ConvNd):
    _n = 2
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        tup = _NTUPLE[self._n]
        super().__init__(in_channels, out_channels, tup(kernel_size), tup(stride),
                         padding if isinstance(padding, str) else tup(padding), tup(dilation),
                         False, tup(0), groups, bias, padding_mode, device=device, dtype=dtype)

    def _conv_forward(self, input, weight, bias):
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            return fn(_pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode),
                      weight, bias, self.stride, _NTUPLE[self._n](0), self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


_CONV_DOC = r"""Applies a {n}-D convolution (cross-correlation) over an input of several planes.

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced by the convolution.
        kernel_size (int or tuple): size of the convolving kernel.
        stride (int or tuple): stride of the convolution. Default: 1.
        padding (int, tuple or str): padding added to all {n} sides of each dim, or ``'valid'``
            (none) or ``'same'`` (output size = input size; stride 1 only). Default: 0.
        dilation (int or tuple): spacing between kernel elements. Default: 1.
        groups (int): blocked connections from input to output channels; ``groups=in_channels``
            is a depthwise convolution. Default: 1.
        bias (bool): add a learnable bias. Default: ``True``.
        padding_mode (str): ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        - Input: :math:`(N, C_{{in}}, {sp})` or :math:`(C_{{in}}, {sp})`.
        - Output: :math:`(N, C_{{out}}, {sp_out})`, each
          ``out = (in + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1``.

    Attributes:
        weight: :math:`(C_{{out}}, C_{{in}} / groups, {k})`, from :math:`\mathcal{{U}}(-\sqrt{{k}},
            \sqrt{{k}})` with :math:`k = groups / (C_{{in}} \prod kernel\_size)`.
        bias: :math:`(C_{{out}})`, from the same distribution.

    Example::

        m = nn.Conv{n}d(16, 33, 3, stride=2)
        m(ember.randn(20, 16, {ex})).shape
    """


class Conv1d(_Conv):
    __doc__ = _CONV_DOC.format(n=1, sp="L_{in}", sp_out="L_{out}", k="k", ex="50")
    _n = 1
    _fn = staticmethod(conv1d)


class Conv2d(_Conv):
    __doc__ = _CONV_DOC.format(n=2, sp="H_{in}, W_{in}", sp_out="H_{out}, W_{out}", k="kH, kW",
                               ex="50, 100")
    _n = 2
    _fn = staticmethod(conv2d)


class Conv3d(_Conv):
    __doc__ = _CONV_DOC.format(n=3, sp="D_{in}, H_{in}, W_{in}", sp_out="D_{out}, H_{out}, W_{out}",
                               k="kD, kH, kW", ex="10, 50, 100")
    _n = 3
    _fn = staticmethod(conv3d)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{self.__class__.__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         transposed, output_padding, groups, bias, padding_mode, device=device,
                         dtype=dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims,
                        dilation=None):
        """The ``output_padding`` that makes the output ``output_size`` (PyTorch's checks)."""
        if output_size is None:
            return _single(self.output_padding)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, "
                             f"output_size must have {num_spatial_dims} or "
                             f"{num_non_spatial_dims + num_spatial_dims} elements (got "
                             f"{len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            min_sizes.append(dim_size)
            max_sizes.append(min_sizes[d] + stride[d] - 1)
        for i in range(len(output_size)):
            size, min_size, max_size = output_size[i], min_sizes[i], max_sizes[i]
            if size < min_size or size > max_size:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {min_sizes} to {max_sizes} (for an input of "
                                 f"{input.size()[2:]})")
        return [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]


class _ConvTranspose(_ConvTransposeNd):
    _n = 2
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        tup = _NTUPLE[self._n]
        super().__init__(in_channels, out_channels, tup(kernel_size), tup(stride), tup(padding),
                         tup(dilation), True, tup(output_padding), groups, bias, padding_mode,
                         device=device, dtype=dtype)

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for "
                             f"ConvTranspose{self._n}d")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, self._n, self.dilation)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                              output_padding, self.groups, self.dilation)


_CONV_T_DOC = r"""Applies a {n}-D transposed convolution over an input of several planes: the
    gradient of ``Conv{n}d`` with respect to its input (sometimes called deconvolution).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced by the convolution.
        kernel_size (int or tuple): size of the convolving kernel.
        stride (int or tuple): stride of the convolution. Default: 1.
        padding (int or tuple): ``dilation * (kernel_size - 1) - padding`` zeros are added to
            both sides of each dim of the input. Default: 0.
        output_padding (int or tuple): extra size added to one side of each output dim.
            Default: 0.
        groups (int): blocked connections from input to output channels. Default: 1.
        bias (bool): add a learnable bias. Default: ``True``.
        dilation (int or tuple): spacing between kernel elements. Default: 1.
        padding_mode (str): only ``'zeros'``.
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        - Input: :math:`(N, C_{{in}}, {sp})` or :math:`(C_{{in}}, {sp})`.
        - Output: :math:`(N, C_{{out}}, {sp_out})`, each ``out = (in - 1) * stride - 2 * padding +
          dilation * (kernel_size - 1) + output_padding + 1``; ``forward(input, output_size)``
          picks the output_padding that gives ``output_size``.

    Attributes:
        weight: :math:`(C_{{in}}, C_{{out}} / groups, {k})`, from :math:`\mathcal{{U}}(-\sqrt{{k}},
            \sqrt{{k}})` with :math:`k = groups / (C_{{out}} \prod kernel\_size)`.
        bias: :math:`(C_{{out}})`, from the same distribution.

    Example::

        m = nn.ConvTranspose{n}d(16, 33, 3, stride=2)
        m(ember.randn(20, 16, {ex})).shape
    """


class ConvTranspose1d(_ConvTranspose):
    __doc__ = _CONV_T_DOC.format(n=1, sp="L_{in}", sp_out="L_{out}", k="k", ex="50")
    _n = 1
    _fn = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    __doc__ = _CONV_T_DOC.format(n=2, sp="H_{in}, W_{in}", sp_out="H_{out}, W_{out}",
                                 k="kH, kW", ex="50, 100")
    _n = 2
    _fn = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    __doc__ = _CONV_T_DOC.format(n=3, sp="D_{in}, H_{in}, W_{in}",
                                 sp_out="D_{out}, H_{out}, W_{out}", k="kD, kH, kW",
                                 ex="10, 50, 100")
    _n = 3
    _fn = staticmethod(conv_transpose3d)

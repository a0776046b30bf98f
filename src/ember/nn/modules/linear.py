"""Affine layers: ``Linear`` and ``Bilinear`` (and ``Identity``, which PyTorch keeps here too)."""
import math

from ember._ops.creation import empty
from ember.nn import init
from ember.nn._functional.linear import bilinear, linear
from ember.nn.modules.container import Identity
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Bilinear", "Identity", "Linear", "NonDynamicallyQuantizableLinear"]

_SHAPE_ERROR = "mat1 and mat2 shapes cannot be multiplied"


class Linear(Module):
    r"""Applies an affine transformation to the incoming data: :math:`y = xA^T + b`.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer learns no additive bias. Default: ``True``.
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        - Input: :math:`(*, H_{in})`, any number of leading dimensions (including none),
          :math:`H_{in} = \text{in\_features}`.
        - Output: :math:`(*, H_{out})`, :math:`H_{out} = \text{out\_features}`.

    Attributes:
        weight: :math:`(\text{out\_features}, \text{in\_features})`, initialised from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})` with :math:`k = 1/\text{in\_features}`
            (``kaiming_uniform_`` with ``a=sqrt(5)``, as PyTorch).
        bias: :math:`(\text{out\_features})`, from the same distribution.

    A shape mismatch raises PyTorch's error with the layer named at the end, e.g.
    ``mat1 and mat2 shapes cannot be multiplied (4x6 and 5x3) in Linear(in_features=5, ...)``.

    Example::

        m = nn.Linear(20, 30)
        m(ember.randn(128, 20)).shape    # ember.Size([128, 30])
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw the parameters as ``__init__`` does."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        try:
            return linear(input, self.weight, self.bias)
        except RuntimeError as e:
            _name_layer(e, self)
            raise

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _name_layer(e, module):
    # NOTE: PyTorch's message says which shapes but not which layer; in a deep model the layer's
    # repr at the end saves a debugging session (the message still starts like PyTorch's)
    if e.args and isinstance(e.args[0], str) and e.args[0].startswith(_SHAPE_ERROR):
        e.args = (f"{e.args[0]} in {module!r}",) + e.args[1:]


class Bilinear(Module):
    r"""Applies a bilinear transformation to the incoming data: :math:`y = x_1^T A x_2 + b`.

    Args:
        in1_features: size of each first input sample, must be > 0.
        in2_features: size of each second input sample, must be > 0.
        out_features: size of each output sample, must be > 0.
        bias: if ``False``, the layer learns no additive bias. Default: ``True``.
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        - Input1: :math:`(*, H_{in1})`; Input2: :math:`(*, H_{in2})` with the same leading
          dimensions.
        - Output: :math:`(*, H_{out})`.

    Attributes:
        weight: :math:`(\text{out\_features}, \text{in1\_features}, \text{in2\_features})`, from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})` with :math:`k = 1/\text{in1\_features}`.
        bias: :math:`(\text{out\_features})`, from the same distribution.

    Example::

        m = nn.Bilinear(20, 30, 40)
        m(ember.randn(128, 20), ember.randn(128, 30)).shape    # ember.Size([128, 40])
    """

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features),
                                      **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw the parameters as ``__init__`` does."""
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A :class:`Linear` under another name: ``nn.MultiheadAttention.out_proj`` (PyTorch names
    it so to keep quantization tools off it); the name shows in reprs and checkpoints' types."""

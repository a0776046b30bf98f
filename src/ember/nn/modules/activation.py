"""Activation layers (``nn.ReLU``, ``nn.GELU``, ``nn.Softmax`` ...): thin modules over
``nn.functional``, with PyTorch's constructor arguments, attributes and printed form.

Unless stated otherwise a layer is elementwise: input :math:`(*)`, output of the same shape.
"""
import warnings

from ember._ops.creation import empty
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU",
           "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU",
           "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign", "Tanhshrink", "Softmin",
           "Softmax", "Softmax2d", "LogSoftmax"]


def _inplace_repr(inplace, sep=""):
    return f"{sep}inplace=True" if inplace else ""


class _InplaceActivation(Module):
    """The layers whose one argument is ``inplace`` (printed only when True)."""

    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class _AlphaActivation(Module):
    """:class:`ELU` and :class:`CELU`: an ``alpha`` and ``inplace``."""

    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_repr(self.inplace, ', ')}"


class Threshold(Module):
    """``y = x`` where ``x > threshold``, else ``value``.

    Args:
        threshold (float): the value to threshold at.
        value (float): the value to replace with.
        inplace (bool): do the operation in place. Default: ``False``.

    Example::

        nn.Threshold(0.1, 20)(ember.tensor([0., 1.]))   # tensor([20.,  1.])
    """

    __constants__ = ["threshold", "value", "inplace"]

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_repr(self.inplace, ', ')}"


class ReLU(_InplaceActivation):
    """``max(0, x)``, elementwise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.

    Shape:
        - Input: :math:`(*)`; Output: :math:`(*)`, the same shape.

    Example::

        nn.ReLU()(ember.tensor([-1., 2.]))   # tensor([0., 2.])
    """

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)


class RReLU(Module):
    """Randomized leaky ReLU: ``x`` for ``x >= 0``, else ``a * x``, with ``a`` drawn uniformly from
    ``[lower, upper)`` per element in training mode and ``(lower + upper) / 2`` in eval mode.

    Args:
        lower (float): Default: 1/8.
        upper (float): Default: 1/3.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    __constants__ = ["lower", "upper", "inplace"]

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_repr(self.inplace, ', ')}"


class Hardtanh(Module):
    """``clamp(x, min_val, max_val)``.

    Args:
        min_val (float): the lower end of the linear region. Default: -1.
        max_val (float): the upper end of the linear region. Default: 1.
        inplace (bool): do the operation in place. Default: ``False``.
        min_value, max_value: deprecated names of ``min_val`` and ``max_val``.

    Example::

        nn.Hardtanh(-2, 2)(ember.tensor([-3., 3.]))   # tensor([-2.,  2.])
    """

    __constants__ = ["min_val", "max_val", "inplace"]

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace, ', ')}"


class ReLU6(Hardtanh):
    """``min(max(0, x), 6)``: a :class:`Hardtanh` from 0 to 6.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, elementwise.

    Example::

        nn.Sigmoid()(ember.zeros(2))   # tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        return input.sigmoid()


class Hardsigmoid(_InplaceActivation):
    """``0`` for ``x <= -3``, ``1`` for ``x >= 3``, else ``x / 6 + 1/2``.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)

    def extra_repr(self):
        return ""  # (PyTorch does not print inplace for this one)


class Tanh(Module):
    """Hyperbolic tangent, elementwise."""

    def forward(self, input):
        return input.tanh()


class SiLU(_InplaceActivation):
    """``x * sigmoid(x)`` (the swish function).

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)


class Mish(_InplaceActivation):
    """``x * tanh(softplus(x))``.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)


class Hardswish(_InplaceActivation):
    """``x * hardsigmoid(x)`` (MobileNetV3).

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input):
        return F.hardswish(input, self.inplace)

    def extra_repr(self):
        return ""  # (PyTorch does not print inplace for this one)


class ELU(_AlphaActivation):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha (float): the value approached for very negative ``x``. Default: 1.0.
        inplace (bool): do the operation in place. Default: ``False``.

    Example::

        nn.ELU()(ember.tensor([-1., 1.]))   # tensor([-0.6321,  1.0000])
    """

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)


class CELU(_AlphaActivation):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        alpha (float): Default: 1.0.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class SELU(_InplaceActivation):
    """``scale * elu(x, alpha)``, ``alpha = 1.6732632...``, ``scale = 1.0507009...``
    (self-normalising networks).

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input):
        return F.selu(input, self.inplace)


class GLU(Module):
    """The gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the halves of the input along
    ``dim``.

    Args:
        dim (int): the dim to split. Default: -1.

    Shape:
        - Input: :math:`(*_1, N, *_2)` with ``N`` even; Output: :math:`(*_1, N / 2, *_2)`.

    Example::

        nn.GLU()(ember.randn(4, 2)).shape   # ember.Size([4, 1])
    """

    __constants__ = ["dim"]

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """``x * Phi(x)``, Phi the standard normal CDF.

    Args:
        approximate (str): ``'none'``, or ``'tanh'`` for
            ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``. Default: ``'none'``.

    Example::

        nn.GELU()(ember.tensor([1.]))   # tensor([0.8413])
    """

    __constants__ = ["approximate"]

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    """``0`` where ``|x| <= lambd``, else ``x``.

    Args:
        lambd (float): Default: 0.5.
    """

    __constants__ = ["lambd"]

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope * x``.

    Args:
        negative_slope (float): the slope for negative input. Default: 0.01.
        inplace (bool): do the operation in place. Default: ``False``.

    Example::

        nn.LeakyReLU(0.1)(ember.tensor([-2., 2.]))   # tensor([-0.2000,  2.0000])
    """

    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace, ', ')}"


class LogSigmoid(Module):
    """``log(sigmoid(x))``, finite for very negative ``x``."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``.

    Args:
        beta (float): Default: 1.
        threshold (float): above it the function is linear. Default: 20.
    """

    __constants__ = ["beta", "threshold"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Args:
        lambd (float): must be >= 0. Default: 0.5.
    """

    __constants__ = ["lambd"]

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class PReLU(Module):
    """``x`` for ``x >= 0``, else ``a * x``, with ``a`` learnt: one value, or one per channel
    (dim 1 of the input).

    Args:
        num_parameters (int): 1, or the number of input channels. Default: 1.
        init (float): the initial value of ``a``. Default: 0.25.

    Attributes:
        weight (Tensor): ``a``, of shape ``(num_parameters,)``.

    Example::

        m = nn.PReLU(3)
        m(ember.randn(2, 3, 5)).shape   # ember.Size([2, 3, 5])
    """

    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Fill ``weight`` with ``init`` again."""
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """``x - tanh(x)``."""

    def forward(self, input):
        return F.tanhshrink(input)


class _SoftmaxBase(Module):
    """The ``dim`` attribute shared by :class:`Softmax`, :class:`Softmin`, :class:`LogSoftmax`."""

    __constants__ = ["dim"]

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):  # modules pickled before ``dim`` existed
            self.dim = None

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(_SoftmaxBase):
    """``softmax(-x)`` along ``dim``: each slice along it is in [0, 1] and sums to 1.

    Args:
        dim (int): the dim along which to compute it.
    """

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x))`` along ``dim``: each slice along it is in [0, 1] and sums to 1.

    Args:
        dim (int): the dim along which to compute it.

    Example::

        nn.Softmax(dim=1)(ember.zeros(2, 4))   # every entry 0.25
    """

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax over the channels (dim -3) at each spatial location.

    Shape:
        - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`; Output: the same shape.
    """

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             "instead")
        return F.softmax(input, -3, _stacklevel=5)


class LogSoftmax(_SoftmaxBase):
    """``log(softmax(x))`` along ``dim``, computed directly (stable where softmax underflows).

    Args:
        dim (int): the dim along which to compute it.
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)

"""Activation functions of ``nn.functional`` (``F.relu``, ``F.gelu``, ``F.softmax`` ...), with
PyTorch's signatures. ``inplace=True`` and the ``*_`` variants write the result into the input and
return it.

The primitives live in ``_activation_ops`` (piecewise-linear and ELU family) and
``_activation_smooth`` (gelu, silu, softplus ...); ``relu``, ``sigmoid``, ``tanh``, ``softmax`` and
``log_softmax`` are the Tensor ops of ``ember._ops``.
"""
import warnings

from ember._ops import softmax as _softmax_ops, unary as _unary
from ember._ops.elementwise import div as _div
from ember._ops.inplace import apply_inplace, relu_ as _relu_
from ember.nn._functional import _activation_ops as _ops, _activation_smooth as _smooth

__all__ = ["threshold", "threshold_", "relu", "relu_", "hardtanh", "hardtanh_", "relu6", "elu",
           "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_",
           "logsigmoid", "gelu", "hardshrink", "tanhshrink", "softsign", "softplus", "softmin",
           "softmax", "log_softmax", "softshrink", "tanh", "sigmoid", "hardsigmoid", "silu",
           "mish", "hardswish", "glu", "normalize"]


# ---- ReLU and its piecewise-linear relatives -----------------------------------------------------
def threshold(input, threshold, value, inplace=False):
    """``value`` where ``input <= threshold``, else ``input``. See :class:`~ember.nn.Threshold`.

    Example::

        F.threshold(ember.tensor([-1., 0.5, 2.]), 1.0, 0.0)   # tensor([0., 0., 2.])
    """
    if inplace:
        return threshold_(input, threshold, value)
    return _ops.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """In-place version of :func:`threshold`."""
    return apply_inplace(input, _ops.threshold, threshold, value, _inplace=True)


def relu(input, inplace=False):
    """``max(input, 0)``, elementwise. See :class:`~ember.nn.ReLU`.

    Example::

        F.relu(ember.tensor([-1., 2.]))   # tensor([0., 2.])
    """
    return _relu_(input) if inplace else _unary.relu(input)


def relu_(input):
    """In-place version of :func:`relu`."""
    return _relu_(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``clamp(input, min_val, max_val)``; the gradient is 0 outside ``(min_val, max_val)`` and at
    its ends. See :class:`~ember.nn.Hardtanh`.

    Example::

        F.hardtanh(ember.tensor([-3., 0.5, 3.]))   # tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return hardtanh_(input, min_val, max_val)
    return _ops.hardtanh(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place version of :func:`hardtanh`."""
    return apply_inplace(input, _ops.hardtanh, min_val, max_val)


def relu6(input, inplace=False):
    """``min(max(0, input), 6)`` (``hardtanh(input, 0, 6)``). See :class:`~ember.nn.ReLU6`."""
    if inplace:
        return apply_inplace(input, _ops.hardtanh, 0.0, 6.0)
    return _ops.hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``input`` where positive, else ``negative_slope * input``. See :class:`~ember.nn.LeakyReLU`.

    Example::

        F.leaky_relu(ember.tensor([-2., 2.]), 0.1)   # tensor([-0.2000,  2.0000])
    """
    if inplace:
        return leaky_relu_(input, negative_slope)
    return _ops.leaky_relu(input, float(negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    """In-place version of :func:`leaky_relu` (backward refuses a negative slope, as PyTorch)."""
    return apply_inplace(input, _ops.leaky_relu, float(negative_slope), _inplace=True)


def prelu(input, weight):
    """``input`` where positive, else ``weight * input``; ``weight`` holds one value, or one per
    channel (dim 1 of ``input``). See :class:`~ember.nn.PReLU`.

    Example::

        F.prelu(ember.tensor([[-1., 1.]]), ember.tensor([0.25]))   # tensor([[-0.2500,  1.0000]])
    """
    return _smooth.prelu(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: when ``training``, each element at ``x <= 0`` is scaled by a slope
    drawn uniformly from ``[lower, upper)``; otherwise by ``(lower + upper) / 2``.
    See :class:`~ember.nn.RReLU`."""
    if inplace:
        return rrelu_(input, lower, upper, training)
    return _ops.rrelu(input, float(lower), float(upper), training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place version of :func:`rrelu`."""
    return apply_inplace(input, _ops.rrelu, float(lower), float(upper), training, _inplace=True)


def hardshrink(input, lambd=0.5):
    """0 where ``|input| <= lambd``, else ``input``. See :class:`~ember.nn.Hardshrink`."""
    return _ops.hardshrink(input, float(lambd))


def softshrink(input, lambd=0.5):
    """``input`` shrunk towards 0 by ``lambd``, and 0 where ``|input| <= lambd``.
    See :class:`~ember.nn.Softshrink`."""
    return _ops.softshrink(input, float(lambd))


def hardsigmoid(input, inplace=False):
    """``clamp(input / 6 + 1/2, 0, 1)``. See :class:`~ember.nn.Hardsigmoid`."""
    if inplace:
        return apply_inplace(input, _ops.hardsigmoid)
    return _ops.hardsigmoid(input)


def hardswish(input, inplace=False):
    """``input * hardsigmoid(input)`` (MobileNetV3). See :class:`~ember.nn.Hardswish`."""
    if inplace:
        return apply_inplace(input, _ops.hardswish)
    return _ops.hardswish(input)


# ---- exponential linear units --------------------------------------------------------------------
def elu(input, alpha=1.0, inplace=False):
    """``input`` where positive, else ``alpha * (exp(input) - 1)``. See :class:`~ember.nn.ELU`.

    Example::

        F.elu(ember.tensor([-1., 1.]))   # tensor([-0.6321,  1.0000])
    """
    if inplace:
        return elu_(input, alpha)
    return _ops.elu(input, float(alpha))


def elu_(input, alpha=1.0):
    """In-place version of :func:`elu` (backward refuses a negative alpha, as PyTorch)."""
    return apply_inplace(input, _ops.elu, float(alpha), _inplace=True)


def selu(input, inplace=False):
    """``scale * elu(input, alpha)`` with ``alpha = 1.6732632...`` and ``scale = 1.0507009...``.
    See :class:`~ember.nn.SELU`."""
    if inplace:
        return selu_(input)
    return _ops.selu(input)


def selu_(input):
    """In-place version of :func:`selu`."""
    return apply_inplace(input, _ops.selu, _inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``. See :class:`~ember.nn.CELU`."""
    if inplace:
        return celu_(input, alpha)
    return _ops.celu(input, float(alpha))


def celu_(input, alpha=1.0):
    """In-place version of :func:`celu`."""
    return apply_inplace(input, _ops.celu, float(alpha), _inplace=True)


# ---- smooth units -------------------------------------------------------------------------------
def gelu(input, approximate="none"):
    """``x * Phi(x)``, Phi the standard normal CDF; ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``. See :class:`~ember.nn.GELU`.

    Example::

        F.gelu(ember.tensor([-1., 1.]))   # tensor([-0.1587,  0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _smooth.gelu(input, approximate)


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (swish). See :class:`~ember.nn.SiLU`."""
    if inplace:
        return apply_inplace(input, _smooth.silu)
    return _smooth.silu(input)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``. See :class:`~ember.nn.Mish`."""
    if inplace:
        return apply_inplace(input, _smooth.mish)
    return _smooth.mish(input)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold`` (for numerical
    stability). See :class:`~ember.nn.Softplus`."""
    return _smooth.softplus(input, float(beta), float(threshold))


def logsigmoid(input):
    """``log(1 / (1 + exp(-x)))``, computed without overflow. See :class:`~ember.nn.LogSigmoid`."""
    return _smooth.logsigmoid(input)


def softsign(input):
    """``x / (1 + |x|)``. See :class:`~ember.nn.Softsign`."""
    return _smooth.softsign(input)


def tanhshrink(input):
    """``x - tanh(x)``. See :class:`~ember.nn.Tanhshrink`."""
    return _smooth.tanhshrink(input)


def tanh(input):
    """Hyperbolic tangent, elementwise. See :class:`~ember.nn.Tanh`."""
    return input.tanh()


def sigmoid(input):
    """``1 / (1 + exp(-x))``, elementwise. See :class:`~ember.nn.Sigmoid`."""
    return input.sigmoid()


def glu(input, dim=-1):
    """The gated linear unit ``a * sigmoid(b)``, ``a`` and ``b`` the halves of ``input`` along
    ``dim`` (whose size must be even). See :class:`~ember.nn.GLU`.

    Shape:
        - Input: :math:`(*, 2N, *)`; Output: :math:`(*, N, *)`.
    """
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _smooth.glu(input, dim)


# ---- softmax family ------------------------------------------------------------------------------
def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``. Without ``dim``, PyTorch's legacy choice (0 for 0-,
    1- and 3-d input, else 1) with a warning. See :class:`~ember.nn.Softmax`.

    Args:
        input (Tensor): the input.
        dim (int): the dim along which the result sums to 1.
        dtype (ember.dtype, optional): cast the input to it first (e.g. to avoid overflow).

    Example::

        F.softmax(ember.tensor([[1., 1.]]), dim=1)   # tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax_ops.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input)`` along ``dim``. See :func:`softmax` and :class:`~ember.nn.Softmin`."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmax_ops.softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(input))`` along ``dim``, computed directly (stable where softmax underflows).
    See :func:`softmax` and :class:`~ember.nn.LogSoftmax`."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _softmax_ops.log_softmax(input, dim, dtype=dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Divide by the ``p``-norm along ``dim``: ``v / max(||v||_p, eps)``.

    Args:
        input (Tensor): the input, of any shape.
        p (float): the norm's exponent. Default: 2.
        dim (int or tuple of ints): the dim(s) to reduce. Default: 1.
        eps (float): a lower bound of the norm, against division by zero. Default: 1e-12.
        out (Tensor, optional): the output (not differentiable).

    Example::

        F.normalize(ember.tensor([[3., 4.]]))   # tensor([[0.6000, 0.8000]])
    """
    if out is None:
        denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
        return input / denom
    denom = input.norm(p, dim, keepdim=True).clamp_min_(eps).expand_as(input)
    return _div(input, denom, out=out)

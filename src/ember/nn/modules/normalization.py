"""Normalization layers computed per sample: ``LayerNorm``, ``GroupNorm``, ``RMSNorm`` and
``LocalResponseNorm``, as PyTorch's ``torch/nn/modules/normalization.py``."""
import numbers

import ember
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["LocalResponseNorm", "LayerNorm", "GroupNorm", "RMSNorm"]


def _register_affine(module, shape, affine, bias, factory_kwargs):
    """The learnable ``weight`` and ``bias`` of a norm layer (or ``None`` placeholders, so the
    names exist as in PyTorch), registered in PyTorch's order."""
    if affine:
        module.weight = Parameter(ember.empty(shape, **factory_kwargs))
        if bias:
            module.bias = Parameter(ember.empty(shape, **factory_kwargs))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module):
    """Weight to 1, bias to 0 (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


def _shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (normalized_shape,)
    return tuple(normalized_shape)


class LocalResponseNorm(Module):
    """Applies local response normalization over an input signal, across channels (dim 1):
    ``b_c = a_c * (k + alpha / size * sum of a_c'^2 over the size neighbouring channels)^-beta``.

    Args:
        size (int): the number of neighbouring channels used for normalization.
        alpha (float): multiplicative factor. Default: 0.0001.
        beta (float): exponent. Default: 0.75.
        k (float): additive factor. Default: 1.

    Shape:
        - Input: :math:`(N, C, *)`. Output: the same.

    Example::

        >>> lrn = nn.LocalResponseNorm(2)
        >>> y = lrn(ember.randn(4, 8, 5, 5))
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LayerNorm(Module):
    """Applies Layer Normalization over the last ``D`` dims of the input, ``D`` the length of
    ``normalized_shape``: ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, with the
    (biased) statistics of each sample, in training and eval alike.

    Args:
        normalized_shape (int or list or Size): the trailing shape to normalize over.
        eps (float): added to the variance. Default: 1e-5.
        elementwise_affine (bool): learnable per-element ``weight`` (ones) and ``bias`` (zeros)
            of shape ``normalized_shape``. Default: ``True``.
        bias (bool): learn the bias (when ``elementwise_affine``). Default: ``True``.

    Shape:
        - Input: :math:`(N, *)`. Output: the same.

    Example::

        >>> ln = nn.LayerNorm(16)
        >>> y = ln(ember.randn(4, 10, 16))
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, factory_kwargs)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight to 1, bias to 0."""
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Applies Group Normalization: the ``num_channels`` channels are split into ``num_groups``
    groups, each normalized with its own (biased) statistics per sample; then a per-channel
    affine map.

    Args:
        num_groups (int): the number of groups; must divide ``num_channels``.
        num_channels (int): ``C``, the channels expected in the input.
        eps (float): added to the variance. Default: 1e-5.
        affine (bool): learnable per-channel ``weight`` (ones) and ``bias`` (zeros).
            Default: ``True``.
        bias (bool, keyword-only): learn the bias (when ``affine``). Default: ``True``.

    Shape:
        - Input: :math:`(N, C, *)`. Output: the same.

    Example::

        >>> gn = nn.GroupNorm(3, 6)
        >>> y = gn(ember.randn(20, 6, 10, 10))
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, num_channels, affine, bias, factory_kwargs)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight to 1, bias to 0."""
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Applies Root Mean Square Layer Normalization over the last ``D`` dims:
    ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        normalized_shape (int or list or Size): the trailing shape to normalize over.
        eps (float, optional): added to the mean square; None means the machine epsilon of the
            computation dtype. Default: None.
        elementwise_affine (bool): a learnable per-element ``weight`` (ones). Default: ``True``.

    Shape:
        - Input: :math:`(N, *)`. Output: the same.

    Example::

        >>> rms = nn.RMSNorm([10, 16])
        >>> y = rms(ember.randn(4, 10, 16))
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(ember.empty(self.normalized_shape, **factory_kwargs))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight to 1."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")

"""Folding an eval-mode BatchNorm into the convolution or linear layer before it, as PyTorch's
``torch/nn/utils/fusion.py``: ``bn(conv(x)) == fused(x)`` with one layer fewer at inference."""
import copy

from ember.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A new convolution (a deep copy of ``conv``) that computes ``bn(conv(x))``.

    Args:
        conv (nn.modules.conv._ConvNd): a convolution in eval mode.
        bn (nn.modules.batchnorm._BatchNorm): a BatchNorm in eval mode with running statistics.
        transpose (bool): ``conv`` is a transposed convolution. Default: False.

    Example::

        >>> conv, bn = nn.Conv2d(3, 8, 3).eval(), nn.BatchNorm2d(8).eval()
        >>> fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_conv = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight, fused_conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight,
        bn.bias, transpose)
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The fused convolution's ``(weight, bias)`` Parameters: ``w * g / sqrt(v + eps)`` per output
    channel and ``(b - m) * g / sqrt(v + eps) + beta``.

    Args:
        conv_w, conv_b (Tensor): the convolution's weight and bias (``None`` for no bias).
        bn_rm, bn_rv (Tensor): BatchNorm's running mean and variance.
        bn_eps (float): BatchNorm's eps.
        bn_w, bn_b (Tensor): BatchNorm's weight and bias (``None`` when not affine).
        transpose (bool): the output channels are the weight's dim 1. Default: False.
    """
    from ember._ops.creation import ones_like, zeros_like
    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    if conv_b is None:
        conv_b = zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ones_like(bn_rm)
    if bn_b is None:
        bn_b = zeros_like(bn_rm)
    bn_var_rsqrt = (bn_rv + bn_eps).rsqrt()
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (len(conv_w.shape) - 2)
    fused_w = (conv_w * (bn_w * bn_var_rsqrt).reshape(shape)).to(dtype=w_dtype)
    fused_b = ((conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b).to(dtype=b_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A new Linear (a deep copy of ``linear``) that computes ``bn(linear(x))``; ``bn`` has
    ``linear.out_features`` features or one.

    Example::

        >>> lin, bn = nn.Linear(4, 6).eval(), nn.BatchNorm1d(6).eval()
        >>> fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_linear = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features "
                             f"== 1, got linear.out_features={linear.out_features} and "
                             f"bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_linear.weight, fused_linear.bias = fuse_linear_bn_weights(
        fused_linear.weight, fused_linear.bias, bn.running_mean, bn.running_var, bn.eps,
        bn.weight, bn.bias)
    return fused_linear


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The fused Linear's ``(weight, bias)`` Parameters (see :func:`fuse_linear_bn_eval`).

    Args:
        linear_w, linear_b (Tensor): the Linear's weight and bias (``None`` for no bias).
        bn_rm, bn_rv (Tensor): BatchNorm's running mean and variance.
        bn_eps (float): BatchNorm's eps.
        bn_w, bn_b (Tensor): BatchNorm's weight and bias.
    """
    from ember._ops.creation import zeros_like
    w_dtype = linear_w.dtype
    b_dtype = linear_b.dtype if linear_b is not None else w_dtype
    if linear_b is None:
        linear_b = zeros_like(bn_rm)
    bn_scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * bn_scale.unsqueeze(-1).to(dtype=w_dtype)
    fused_b = ((linear_b - bn_rm) * bn_scale + bn_b).to(dtype=b_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)

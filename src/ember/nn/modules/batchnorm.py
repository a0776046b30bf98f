"""Batch normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``, as PyTorch's
``torch/nn/modules/batchnorm.py`` (same parameters, buffers, state_dict keys and checkpoint
versioning)."""
import ember
from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.nn.modules.normalization import _register_affine, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Common base of the batch (and instance) norms: parameters, running-stat buffers, resets,
    printing and the loading of old checkpoints."""

    # NOTE: version 2 added num_batches_tracked; _load_from_state_dict fills it for older ones
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, num_features, affine, bias, factory_kwargs)
        if self.track_running_stats:
            self.register_buffer("running_mean", ember.zeros(num_features, **factory_kwargs))
            self.register_buffer("running_var", ember.ones(num_features, **factory_kwargs))
            self.register_buffer("num_batches_tracked",
                                 ember.tensor(0, dtype=ember.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # checkpoints older than version 2 have no num_batches_tracked: keep ours (or 0)
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                                   else ember.tensor(0, dtype=ember.long))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # batch statistics in training, and in eval when there are no running buffers
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        # the buffers are passed only when they are used or updated
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            bn_training, factor, self.eps)


_DOC = """Applies Batch Normalization over a {dims} input.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, per channel ``C`` (dim 1). In
    training the batch's statistics are used (the biased variance) and the running estimates are
    updated: ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased),
    or their cumulative average when ``momentum=None``. In eval mode the running estimates are
    used; with ``track_running_stats=False`` the batch's always are.

    Args:
        num_features (int): ``C``, the number of channels.
        eps (float): added to the variance. Default: 1e-5.
        momentum (float or None): the running estimates' update factor; None for a cumulative
            moving average. Default: 0.1.
        affine (bool): learnable ``weight`` (ones) and ``bias`` (zeros). Default: ``True``.
        track_running_stats (bool): keep ``running_mean``, ``running_var`` and
            ``num_batches_tracked`` buffers. Default: ``True``.
        bias (bool, keyword-only): learn the bias (when ``affine``). Default: ``True``.

    Shape:
        - Input: {shape}
        - Output: the same shape as the input.

    Example::

        >>> m = nn.{name}(16)
        >>> y = m(ember.randn({example}))
    """


class BatchNorm1d(_BatchNorm):
    __doc__ = _DOC.format(dims="2D or 3D", shape="``(N, C)`` or ``(N, C, L)``",
                          name="BatchNorm1d", example="8, 16, 10")

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    __doc__ = _DOC.format(dims="4D", shape="``(N, C, H, W)``", name="BatchNorm2d",
                          example="8, 16, 5, 5")

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    __doc__ = _DOC.format(dims="5D", shape="``(N, C, D, H, W)``", name="BatchNorm3d",
                          example="8, 16, 3, 5, 5")

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")

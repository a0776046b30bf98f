"""``F.instance_norm``: each sample's channels normalized over their own spatial extent. As in
PyTorch (``ATen/native/Normalization.cpp``), it is ``batch_norm`` over the input seen as one
sample of ``N * C`` channels, with the weight, bias and running statistics repeated ``N`` times;
the running statistics are then averaged back over the samples."""
from ember.autograd.grad_mode import no_grad
from ember.nn._functional.normalization import batch_norm

__all__ = ["instance_norm"]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample over its spatial dims, then scale by ``weight`` and
    shift by ``bias`` (per channel).

    Args:
        input (Tensor): ``(N, C, *)`` with at least one spatial dim.
        running_mean, running_var (Tensor, optional): ``(C,)`` running statistics, updated in
            place with ``momentum`` when ``use_input_stats``.
        weight, bias (Tensor, optional): ``(C,)`` affine parameters.
        use_input_stats (bool): normalize with the input's statistics (else the running ones).
        momentum (float): the running statistics' update rate.
        eps (float): added to the variance.

    Example::

        >>> F.instance_norm(ember.randn(2, 3, 8, 8)).shape
        ember.Size([2, 3, 8, 8])
    """
    size = list(input.shape)
    if use_input_stats and len(size) > 2:
        spatial = 1
        for s in size[2:]:
            spatial *= s
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {size}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    b, c = size[0], size[1]

    def repeated(t):  # (in the input's dtype: running stats may be kept in another)
        return None if t is None else t.repeat(b).to(input.dtype)
    mean, var = repeated(running_mean), repeated(running_var)
    out = batch_norm(input.reshape([1, b * c] + size[2:]), mean, var, repeated(weight),
                     repeated(bias), use_input_stats, momentum, eps)
    with no_grad():  # each channel's statistics, averaged over the samples
        if running_mean is not None:
            running_mean.copy_(mean.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(var.view(b, c).mean(0))
    return out.view(size)

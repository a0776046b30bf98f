"""``DataParallel``: PyTorch's single-process multi-GPU wrapper. Ember runs the wrapped module
on one device (as PyTorch does with no GPU or one): the wrapper keeps the ``module.`` prefix of
the state_dict keys, so checkpoints saved from a ``DataParallel`` model load either way."""
from ember.nn.modules.module import Module

__all__ = ["DataParallel"]


def _index(d):
    if isinstance(d, int):
        return d
    index = getattr(d, "index", None)
    if index is None and isinstance(d, str) and ":" in d:
        index = int(d.split(":")[1])
    return 0 if index is None else index


class DataParallel(Module):
    """Wrap ``module`` for data parallelism over GPUs.

    PyTorch splits each batch over ``device_ids`` and runs a replica per GPU; ember (no
    multi-GPU replication) runs ``module`` itself on the batch: the same outputs and gradients
    as one device.

    Args:
        module (Module): the module to wrap (``self.module``).
        device_ids (list of int or device, optional): the GPUs (default: all; none on a CPU).
        output_device (int or device, optional): where outputs go (default ``device_ids[0]``).
        dim (int): the batch dim inputs would be split along.

    Example::

        model = nn.DataParallel(model)
        model.state_dict().keys()   # 'module.weight', ...
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        from ember import cuda
        self.module = module
        if not cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.device_ids = [_index(d) for d in device_ids]
        self.output_device = _index(output_device)

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """Evaluate ``module(*inputs)`` as :class:`DataParallel` would (on one device in ember)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))

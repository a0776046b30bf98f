"""Flatten parameters into one vector and back (for second-order methods, evolution strategies)."""
import ember
from ember._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable).

    Example::

        vec = nn.utils.parameters_to_vector(model.parameters())
    """
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.reshape(-1))
    return ember.cat(vec)


def vector_to_parameters(vec, parameters):
    """Copy the slices of the 1-D ``vec`` into ``parameters`` (their ``.data`` is replaced by
    views of ``vec``), in order.

    Example::

        nn.utils.vector_to_parameters(vec, model.parameters())
    """
    if not isinstance(vec, Tensor):
        from ember.nn.modules.module import typename
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param


def _check_param_device(param, old_param_device):
    """The GPU index of ``param`` (-1 for CPU); raises if it differs from the previous one's."""
    device = param.device
    index = (device.index or 0) if device.type == "cuda" else -1
    if old_param_device is not None and index != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return index

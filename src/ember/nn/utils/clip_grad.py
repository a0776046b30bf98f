"""Gradient clipping: scale all gradients so their joint norm is at most ``max_norm``, or clamp each
gradient value into ``[-clip_value, clip_value]``."""
import types
import warnings

import numpy as np

import ember
from ember._tensor import Tensor, wrap
from ember.autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def _vector_norm(x, p):
    """The p-norm of all of ``x``'s elements (``inf``: largest magnitude; 0: count of non-zeros)."""
    a = x.abs()
    if p == float("inf"):
        return a.max() if a.numel() else a.sum()
    if p == float("-inf"):
        return a.min()
    if p == 0:
        return (a != 0).sum().to(x.dtype)
    if p == 2:
        return (a * a).sum().sqrt()
    return a.pow(p).sum().pow(1.0 / p)


def _two_norm(tensors):
    """The joint 2-norm of NumPy tensors of one real floating dtype (else None). NOTE: one BLAS dot
    per tensor reads it once; ``(a * a).sum()`` makes two temporaries as big as the gradients,
    ~8x slower on a language model's 10,000 x 200 embedding and decoder."""
    dt = tensors[0]._data.dtype
    if dt.kind != "f" or dt.itemsize < 4:
        return None
    norms = np.empty(len(tensors), dt)
    for k, t in enumerate(tensors):
        a = t._data
        if type(a) is not np.ndarray or a.dtype != dt:
            return None
        a = a.ravel()
        norms[k] = np.sqrt(np.dot(a, a))
    return wrap(np.sqrt(np.dot(norms, norms)).reshape(()))


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of ``tensors``: their joint ``norm_type``-norm, as if concatenated.

    Args:
        tensors (Tensor or iterable of Tensors): e.g. the gradients of a model.
        norm_type (float): the p of the p-norm; ``inf`` for the largest magnitude. Default: 2.
        error_if_nonfinite (bool): raise if the norm is nan or inf. Default: False.
        foreach: accepted for compatibility (ember has one implementation).

    Example::

        nn.utils.get_total_norm([p.grad for p in model.parameters()])
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return ember.tensor(0.0)
    total_norm = _two_norm(tensors) if norm_type == 2 else None
    if total_norm is None:
        first_device = tensors[0].device
        norms = [_vector_norm(g, norm_type).to(first_device) for g in tensors]
        total_norm = _vector_norm(ember.stack(norms), norm_type)
    if error_if_nonfinite and (total_norm.isnan() | total_norm.isinf()).item():
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return total_norm


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by ``max_norm / (total_norm + 1e-6)`` when
    that is below 1 (``total_norm`` as :func:`get_total_norm` computes it)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    clip_coef = float(max_norm) / (total_norm + 1e-6)
    # NOTE: multiplying by a coefficient clamped to 1 avoids a branch on the norm's value, as torch
    clip_coef_clamped = clip_coef.clamp(max=1.0)
    for g in grads:
        g.mul_(clip_coef_clamped.to(g.device))


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients of ``parameters`` in place so that their joint norm is at most
    ``max_norm``; returns the norm before clipping.

    Args:
        parameters (Tensor or iterable of Tensors): the tensors whose ``.grad`` to clip.
        max_norm (float): the largest norm allowed.
        norm_type (float): the p of the p-norm; ``inf`` for the largest magnitude. Default: 2.
        error_if_nonfinite (bool): raise if the total norm is nan or inf. Default: False.
        foreach: accepted for compatibility.

    Returns:
        Tensor: the total norm of the gradients (as one vector), a 0-d tensor.

    Example::

        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator could be read only once
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp the gradients of ``parameters`` in place into ``[-clip_value, clip_value]``.

    Example::

        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            p.grad.clamp_(min=-clip_value, max=clip_value)

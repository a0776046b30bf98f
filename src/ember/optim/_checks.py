"""Argument checks and state restoration shared by Adamax, NAdam, RAdam, Rprop and ASGD (the
messages are PyTorch's, checked in the same order)."""
import numpy as np

from ember._tensor import Tensor, wrap
from ember.optim.optimizer import _scalar_dtype


def check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_adam_args(lr, betas, eps, weight_decay):
    """The checks of Adamax, NAdam and RAdam (Adam's, less its Tensor betas)."""
    check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def scalars_as_tensors(opt, *keys):
    """Old checkpoints stored scalar state (``step``, ``mu_product`` ...) as numbers; PyTorch
    turns them back into 0-d tensors of its scalar dtype."""
    for group in opt.param_groups:
        for p in group["params"]:
            st = opt.state.get(p, [])
            if len(st) == 0:
                continue
            for k in keys:
                if k in st and not isinstance(st[k], Tensor):
                    st[k] = wrap(np.array(float(st[k]), _scalar_dtype()))


def scalar_state(value):
    """A 0-d state tensor (``mu_product``, ``eta``, ``mu``) in PyTorch's scalar dtype."""
    return wrap(np.array(value, _scalar_dtype()))


def bump(*tensors):
    """Bump the version counters of tensors written in place (None skipped)."""
    for t in tensors:
        if t is not None:
            t._vc[0] += 1

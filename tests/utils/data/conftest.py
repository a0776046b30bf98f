"""Helpers shared by the utils.data tests: run the same code on torch and on ember and compare
the results as plain Python values."""
import collections

import numpy as np
import pytest
import torch

import ember


def plain(obj):
    """Tensors (of either library) as ('tensor', dtype name, shape, values); containers
    recursively, keeping their type's name so that lists, tuples and namedtuples are told apart."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        arr = obj.detach().numpy() if isinstance(obj, torch.Tensor) else obj.numpy()
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(arr.shape), arr.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj.tolist())
    if isinstance(obj, collections.abc.Mapping):
        return (type(obj).__name__, {k: plain(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple, collections.deque)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return obj


def both(fn):
    """``fn(lib)`` for torch and for ember: (torch's result, ember's result) as plain values."""
    return plain(fn(torch)), plain(fn(ember))


def same_error(fn, normalize=lambda s: s):
    """``fn(lib)`` raises the same exception type with the same message on both libraries."""
    errors = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib)
        errors.append(info.value)
    t, e = errors
    assert type(e) is type(t), f"{type(e).__name__}: {e} (torch: {type(t).__name__}: {t})"
    assert normalize(str(e)) == normalize(str(t))
    return e

"""Run one case on torch.func and on ember.func and compare the results leaf by leaf."""
import numpy as np
import torch

import ember


def to_lib(lib, tree, requires_grad=False):
    """NumPy arrays (in tuples, lists, dicts) as tensors of ``lib``; other leaves unchanged."""
    if isinstance(tree, dict):
        return {k: to_lib(lib, v, requires_grad) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(to_lib(lib, v, requires_grad) for v in tree)
    if isinstance(tree, np.ndarray):
        t = lib.from_numpy(np.array(tree, copy=True))
        return t.requires_grad_(requires_grad and tree.dtype.kind == "f")
    return tree


def assert_same(e, t, rtol=1e-5, atol=1e-6, where="out"):
    """The same pytree structure, and tensors of the same shape, dtype, values and
    requires_grad."""
    if isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t), f"{where}: {type(e)} keys differ"
        for k in t:
            assert_same(e[k], t[k], rtol, atol, f"{where}[{k!r}]")
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t), f"{where}: {type(e)} vs {type(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, rtol, atol, f"{where}[{i}]")
    elif isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{where}: got {type(e).__name__}"
        assert tuple(e.shape) == tuple(t.shape), f"{where}: shape {e.shape} vs {t.shape}"
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{where}: dtype"
        assert e.requires_grad == t.requires_grad, f"{where}: requires_grad {e.requires_grad}"
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=where)
    else:
        assert e == t, f"{where}: {e!r} vs {t!r}"


def check(fn, *args, requires_grad=False, rtol=1e-5, atol=1e-6):
    """``fn(lib, *inputs)`` on torch and on ember gives the same result."""
    t = fn(torch, *to_lib(torch, args, requires_grad))
    e = fn(ember, *to_lib(ember, args, requires_grad))
    assert_same(e, t, rtol, atol)
    return e, t


def check_raises(fn, *args, match=None):
    """Both raise the same exception type (ember's message matching ``match``)."""
    import pytest
    with pytest.raises(Exception) as t_exc:
        fn(torch, *to_lib(torch, args))
    with pytest.raises(Exception, match=match) as e_exc:
        fn(ember, *to_lib(ember, args))
    assert type(e_exc.value) is type(t_exc.value), f"{e_exc.value!r} vs torch's {t_exc.value!r}"
    return e_exc.value

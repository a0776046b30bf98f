"""The oracle: run the same case on ember and on real PyTorch and compare values and gradients.

``compare(fn, *args)`` calls ``fn(lib, *tensors)`` once with ``lib=torch`` and once with ``lib=ember``;
NumPy arrays in ``args`` become tensors of each library (floating ones requiring grad), anything else is
passed through unchanged. Outputs are compared (values, shapes, dtypes), then a fixed random upstream
gradient is pushed back through both and the gradients of every input are compared.
"""
import numpy as np
import torch

import ember

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32, low=-1.0, high=1.0):
    """A random array for test inputs (floats in [low, high), ints in [low, high) for int dtypes)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return RNG.random(shape) > 0.5
    if dtype.kind in "iu":
        return RNG.integers(int(low), int(high), size=shape).astype(dtype)
    return RNG.uniform(low, high, size=shape).astype(dtype)


def positive(*shape, dtype=np.float32):
    return rand(*shape, dtype=dtype, low=0.5, high=2.0)


def noncontig(arr):
    """The same values as a non-contiguous array (a transposed copy transposed back)."""
    if arr.ndim < 2:
        big = np.empty(arr.shape[:-1] + (arr.shape[-1] * 2,) if arr.ndim else (), arr.dtype)
        if arr.ndim == 0:
            return arr
        big[..., ::2] = arr
        return big[..., ::2]
    return np.ascontiguousarray(arr.swapaxes(-1, -2)).swapaxes(-1, -2)


def to_lib(lib, x, requires_grad):
    """A NumPy array as a tensor of ``lib`` (torch or ember) sharing nothing with the source."""
    if not isinstance(x, np.ndarray):
        return x
    rg = requires_grad and x.dtype.kind == "f"
    if lib is torch:
        t = torch.from_numpy(np.array(x, copy=True))
        if not x.flags.c_contiguous and x.ndim >= 2:
            t = t.transpose(-1, -2).contiguous().transpose(-1, -2)
        return t.requires_grad_(rg)
    t = ember.from_numpy(np.array(x, copy=True) if x.flags.c_contiguous else noncontig(np.array(x)))
    return t.requires_grad_(rg)


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    if isinstance(t, ember.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def assert_close(e, t, rtol, atol, what="output"):
    """Compare one ember result with one torch result: type, shape, dtype and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: expected a Tensor, got {type(e).__name__}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != torch's {tuple(t.shape)}"
        assert dtype_name(e) == dtype_name(t), f"{what}: dtype {dtype_name(e)} != torch's {dtype_name(t)}"
        ev, tv = to_numpy(e), to_numpy(t)
        if tv.dtype.kind in "fc":
            np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(ev, tv, err_msg=what)
    elif isinstance(t, (torch.Size, tuple, list)) and not isinstance(e, ember.Tensor):
        assert tuple(e) == tuple(t), f"{what}: {e} != {t}"
    else:
        if isinstance(t, float):
            np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=what)
        else:
            assert e == t, f"{what}: {e!r} != torch's {t!r}"


def _tol(arrays, rtol, atol):
    kinds = {a.dtype for a in arrays if isinstance(a, np.ndarray)}
    if rtol is None:
        rtol = 1e-3 if np.dtype(np.float16) in kinds else (1e-10 if kinds == {np.dtype(np.float64)} else 1e-5)
    if atol is None:
        atol = 1e-3 if np.dtype(np.float16) in kinds else (1e-10 if kinds == {np.dtype(np.float64)} else 1e-5)
    return rtol, atol


def compare(fn, *args, grad=True, rtol=None, atol=None, grad_rtol=None, grad_atol=None):
    """Run ``fn(lib, *tensors)`` on torch and on ember; compare outputs and all input gradients.

    Example::

        compare(lambda lib, x, y: lib.add(x, y), rand(2, 3), rand(3))
    """
    rtol, atol = _tol(args, rtol, atol)
    grad_rtol = rtol if grad_rtol is None else grad_rtol
    grad_atol = atol if grad_atol is None else grad_atol
    t_in = [to_lib(torch, a, grad) for a in args]
    e_in = [to_lib(ember, a, grad) for a in args]
    t_out = fn(torch, *t_in)
    e_out = fn(ember, *e_in)
    t_flat, e_flat = _flat(t_out), _flat(e_out)
    assert len(t_flat) == len(e_flat), f"{len(e_flat)} outputs, torch gives {len(t_flat)}"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert_close(e, t, rtol, atol, what=f"output {i}")
    if not grad:
        return e_out
    pairs = [(e, t) for e, t in zip(e_flat, t_flat)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    t_leaves = [t for t in t_in if isinstance(t, torch.Tensor) and t.requires_grad]
    e_leaves = [e for e in e_in if isinstance(e, ember.Tensor) and e.requires_grad]
    if not pairs or not t_leaves:
        return e_out
    for e, _ in pairs:
        assert e.requires_grad, "an output does not require grad but torch's does"
    ups = [rand(*t.shape, dtype=to_numpy(t).dtype) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(u.copy()) for u in ups])
    ember.autograd.backward([e for e, _ in pairs], [ember.tensor(u) for u in ups])
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves)):
        if t.grad is None:
            assert e.grad is None or not np.any(to_numpy(e.grad)), f"grad of input {i} should be None"
            continue
        assert e.grad is not None, f"input {i} got no gradient (torch's is {t.grad})"
        assert_close(e.grad, t.grad, grad_rtol, grad_atol, what=f"grad of input {i}")
    return e_out


def check_raises(fn, *args, match=None):
    """Both libraries raise the same exception type for ``fn(lib, *tensors)``."""
    import pytest
    t_in = [to_lib(torch, a, False) for a in args]
    e_in = [to_lib(ember, a, False) for a in args]
    with pytest.raises(Exception) as t_exc:
        fn(torch, *t_in)
    with pytest.raises(type(t_exc.value), match=match):
        fn(ember, *e_in)


def check_linalg_error(fn, *arrays, match=None):
    """torch raises torch.linalg.LinAlgError and ember ember.linalg.LinAlgError, same message."""
    import re

    import pytest
    with pytest.raises(torch.linalg.LinAlgError) as t_exc:
        fn(torch, *[torch.from_numpy(a) for a in arrays])
    with pytest.raises(ember.linalg.LinAlgError) as e_exc:
        fn(ember, *[ember.from_numpy(a) for a in arrays])
    assert str(e_exc.value) == str(t_exc.value)
    if match:
        assert re.search(match, str(e_exc.value))


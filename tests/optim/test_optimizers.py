"""Every optimizer and option combination trains a tiny model exactly like PyTorch's.

The same initial weights and data go through ``steps`` iterations of forward, backward and
``opt.step()`` in ember and in torch; losses and weights must agree at each step.
"""
import numpy as np
import pytest
import torch

import ember
import ember.optim  # noqa: F401  (ember.optim as an attribute of ember)
from helpers import to_lib

R = np.random.default_rng(42)
X = R.uniform(-1, 1, (6, 4))
Y = R.uniform(-1, 1, (6,))
INIT = [R.uniform(-1, 1, (4, 3)), R.uniform(-0.5, 0.5, (3,)), R.uniform(-1, 1, (3,)),
        R.uniform(-1, 1, (2,))]  # the last one never gets a gradient


def loss_fn(lib, params, x, y):
    w1, b1, w2, _ = params
    h = lib.tanh(x @ w1 + b1)
    return ((h @ w2 - y) ** 2).mean() + 0.1 * (w1 * w1).sum()


def train(lib, cls, kwargs, dtype, steps, groups=None, set_to_none=True, params=None, opt=None):
    """Train ``steps`` steps; returns the losses, the weights and the optimizer."""
    if params is None:
        params = [to_lib(lib, a.astype(dtype), True) for a in INIT]
    x, y = to_lib(lib, X.astype(dtype), False), to_lib(lib, Y.astype(dtype), False)
    if opt is None:
        spec = params if groups is None else [
            dict(g, params=[params[i] for i in g["params"]]) for g in groups]
        opt = getattr(lib.optim, cls)(spec, **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        loss = loss_fn(lib, params, x, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in params], opt


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.3)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, maximize=True, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.5), eps=1e-3)),  # lerp weight >= 0.5
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-3)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
]


def _ids(case):
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[1].items())


def check_same(cls, kwargs, dtype, steps=8, **kw):
    t_losses, t_params, t_opt = train(torch, cls, kwargs, dtype, steps, **kw)
    e_losses, e_params, e_opt = train(ember, cls, kwargs, dtype, steps, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(e_losses, t_losses, rtol=tol, atol=tol)
    for e, t in zip(e_params, t_params):
        assert e.dtype == t.dtype
        np.testing.assert_allclose(e, t, rtol=tol, atol=tol)
    return e_opt, t_opt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_same_training_as_torch(case, dtype):
    e_opt, t_opt = check_same(*case, dtype)
    # the state holds the same tensors, with the same dtypes
    for (ek, es), (tk, ts) in zip(e_opt.state_dict()["state"].items(),
                                  t_opt.state_dict()["state"].items()):
        assert ek == tk and list(es) == list(ts)
        for name in ts:
            e_v, t_v = es[name], ts[name]
            assert str(e_v.dtype).split(".")[-1] == str(t_v.dtype).split(".")[-1], name
            assert tuple(e_v.shape) == tuple(t_v.shape), name
            tol = 1e-4 if dtype == np.float32 else 1e-10
            np.testing.assert_allclose(e_v.numpy(), t_v.numpy(), rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("SGD", "Adam", "AdamW")], ids=_ids)
def test_large_updates_in_spans_like_torch(case, monkeypatch):
    """Updates of large parameters run by blocks of the flat arrays, on threads; force even these
    small ones into blocks of 2 elements in three spans, with uneven edges, and train as torch
    does."""
    from ember._ops import _parallel
    from ember.optim import optimizer
    monkeypatch.setattr(optimizer, "_BLOCK", 2)
    monkeypatch.setattr(optimizer, "_BIG", 3)
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(_parallel, "workers", lambda parts: max(1, min(parts, 3)))
    check_same(*case, np.float32)


@pytest.mark.parametrize("cls,kw", [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                                    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                    ("Adam", dict(lr=0.1, weight_decay=0.1))])
def test_updates_in_spans_keep_no_parameter_sized_work_arrays(cls, kw, monkeypatch):
    """Large parameters are updated by spans with each thread's own small work arrays: the
    optimizer must not also hold work arrays the size of such a parameter."""
    from ember._ops import _parallel
    from ember.optim import optimizer
    monkeypatch.setattr(optimizer, "_BIG", 1000)
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 100)
    big, small = ember.nn.Parameter(ember.randn(50, 40)), ember.nn.Parameter(ember.randn(7))
    opt = getattr(ember.optim, cls)([big, small], **kw)
    for _ in range(2):
        big.grad, small.grad = ember.randn(50, 40), ember.randn(7)
        opt.step()
    assert max(a.size for a in opt._work_arrays.values()) < big.numel()


def test_sgd_with_zero_lr_still_spreads_nan_and_inf():
    g = np.array([np.nan, np.inf, -np.inf, 1.0, 2.0], np.float32)
    res = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(5))
        p.grad = lib.tensor(g)
        lib.optim.SGD([p], lr=0.0).step()  # (a warm-up schedule's first step)
        res.append(p.detach().numpy())
    np.testing.assert_array_equal(res[1], res[0])  # nan where the gradient is not finite


GROUP_CASES = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)),
               ("AdamW", dict()), ("RMSprop", dict()), ("Adagrad", dict()), ("Adadelta", dict())]


@pytest.mark.parametrize("case", GROUP_CASES, ids=_ids)
def test_param_groups_with_their_own_options(case):
    cls, kwargs = case
    groups = [{"params": [0, 3]}, {"params": [1], "lr": 0.03},
              {"params": [2], "lr": 0.2, "weight_decay": 0.05, "maximize": True}]
    check_same(cls, kwargs, np.float64, groups=groups)


@pytest.mark.parametrize("case", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05))],
                         ids=_ids)
def test_zero_grad_to_zeros(case):
    # a zero grad (not None) still steps: weight decay and momentum move the weights
    check_same(*case, np.float64, set_to_none=False)


def test_step_keeps_float32_and_arrays_in_place():
    p = to_lib(ember, INIT[0].astype(np.float32), True)
    opt = ember.optim.Adam([p], lr=np.float64(0.1), weight_decay=np.float64(0.1))
    arr = p._data
    for _ in range(2):
        p.grad = ember.ones(4, 3)
        v = p._version
        opt.step()
        assert p._version > v
    assert p._data is arr and p.dtype == ember.float32
    assert all(t.dtype == ember.float32 for t in opt.state[p].values())


def test_skips_params_without_grad_and_creates_no_state():
    _, _, e_opt = train(ember, "Adam", {}, np.float32, 2)
    _, _, t_opt = train(torch, "Adam", {}, np.float32, 2)
    assert sorted(e_opt.state_dict()["state"]) == sorted(t_opt.state_dict()["state"]) == [0, 1, 2]
    # SGD without momentum keeps no state at all; Adagrad makes it for every param at once
    assert ember.optim.SGD([ember.zeros(2, requires_grad=True)]).state_dict()["state"] == {}
    ad = ember.optim.Adagrad([ember.zeros(2, requires_grad=True)], initial_accumulator_value=0.3)
    assert ad.state_dict()["state"][0]["sum"].tolist() == pytest.approx([0.3, 0.3])


def test_step_runs_without_recording_and_closure_with():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        seen.append(loss.requires_grad)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert seen == [True] and loss.item() == 5.0
    assert w.tolist() == pytest.approx([0.8, -1.6])
    assert ember.is_grad_enabled()


def test_step_hooks():
    w = ember.zeros(2, requires_grad=True)
    w.grad = ember.ones(2)
    opt = ember.optim.SGD([w], lr=1.0)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]
    assert w.tolist() == [-2.0, -2.0]


def test_named_parameters_and_repr():
    for lib in (torch, ember):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
        opt = lib.optim.SGD([("a", a), ("b", b)], lr=0.5)
        assert opt.param_groups[0]["param_names"] == ["a", "b"]
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]
    assert repr(ember.optim.SGD([a], lr=0.5)).startswith("SGD (\nParameter Group 0\n    dampening: 0")


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "SGD" or "momentum" in c[1]][::2],
                         ids=_ids)
def test_complex_params_like_torch(case):
    # the adaptive optimizers treat real and imaginary parts as separate coordinates
    cls, kwargs = case
    rng = np.random.default_rng(1)
    p0 = rng.uniform(-1, 1, (3, 2)) + 1j * rng.uniform(-1, 1, (3, 2))
    grads = [rng.uniform(-1, 1, (3, 2)) + 1j * rng.uniform(-1, 1, (3, 2)) for _ in range(4)]
    out = []
    for lib in (torch, ember):
        p = to_lib(lib, p0.astype(np.complex128), True)
        opt = getattr(lib.optim, cls)([p], **kwargs)
        for g in grads:
            p.grad = to_lib(lib, g, False)
            opt.step()
        out.append(p.detach().numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12, atol=1e-12)

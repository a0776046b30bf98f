"""Adamax, NAdam, RAdam, Rprop and ASGD train a tiny model exactly like PyTorch's (weights after
every step, state values and layout), resume from state dicts (theirs and torch's), and refuse
bad arguments with torch's errors."""
import copy

import numpy as np
import pytest
import torch

import ember
import ember.optim  # noqa: F401
from helpers import to_lib
from test_optimizers import INIT, X, Y, loss_fn
from test_optim_state import _plain, _raises_same

CASES = [
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, betas=(0.3, 0.5), eps=1e-3, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.3, betas=(0.3, 0.9), maximize=True)),
    ("RAdam", dict(lr=0.05)),
    # beta2 small: rho_t > 5 from the 2nd step on, so the rectified branch runs too
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, betas=(0.5, 0.7), weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.6), eps=1e-3, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.7), step_sizes=(1e-3, 0.08))),
    ("Rprop", dict(lr=0.05, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=3, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=2, maximize=True)),
]


def _ids(case):
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[1].items())


def run(lib, cls, kwargs, dtype, steps, groups=None, params=None, opt=None):
    """``steps`` steps of ``cls`` on the tiny model; returns the weights after each step and the
    optimizer."""
    if params is None:
        params = [to_lib(lib, a.astype(dtype), True) for a in INIT]
    x, y = to_lib(lib, X.astype(dtype), False), to_lib(lib, Y.astype(dtype), False)
    if opt is None:
        spec = params if groups is None else [
            dict(g, params=[params[i] for i in g["params"]]) for g in groups]
        opt = getattr(lib.optim, cls)(spec, **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(lib, params, x, y).backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history, opt


def check_same(cls, kwargs, dtype, steps=10, **kw):
    t_hist, t_opt = run(torch, cls, kwargs, dtype, steps, **kw)
    e_hist, e_opt = run(ember, cls, kwargs, dtype, steps, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    moved = False
    for i, (es, ts) in enumerate(zip(e_hist, t_hist)):
        for e, t, p0 in zip(es, ts, INIT):
            assert e.dtype == t.dtype
            np.testing.assert_allclose(e, t, rtol=tol, atol=tol, err_msg=f"step {i}")
            moved |= not np.allclose(t, p0.astype(dtype))
    assert moved  # the comparison means something only if torch's weights changed
    return e_opt, t_opt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_same_training_as_torch(case, dtype):
    e_opt, t_opt = check_same(*case, dtype)
    e_sd, t_sd = e_opt.state_dict(), t_opt.state_dict()
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert list(e_sd["state"]) == list(t_sd["state"]) == [0, 1, 2]
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for k, ts in t_sd["state"].items():
        es = e_sd["state"][k]
        assert list(es) == list(ts)  # same keys, same order
        assert {n: _plain(v) for n, v in es.items()} == {n: _plain(v) for n, v in ts.items()}
        for name in ts:
            np.testing.assert_allclose(es[name].numpy(), ts[name].numpy(), rtol=tol, atol=tol,
                                       err_msg=name)


GROUPS = [{"params": [0, 3]}, {"params": [1], "lr": 0.03},
          {"params": [2], "lr": 0.2, "maximize": True}]


@pytest.mark.parametrize("cls", ["Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_param_groups_with_their_own_options(cls):
    groups = [dict(g) for g in GROUPS]
    if cls != "Rprop":
        groups[2]["weight_decay"] = 0.05
    check_same(cls, dict(lr=0.01), np.float64, groups=groups)


@pytest.mark.parametrize("case", CASES[1::2], ids=_ids)
def test_complex_params_like_torch(case):
    cls, kwargs = case
    rng = np.random.default_rng(1)
    p0 = rng.uniform(-1, 1, (3, 2)) + 1j * rng.uniform(-1, 1, (3, 2))
    grads = [rng.uniform(-1, 1, (3, 2)) + 1j * rng.uniform(-1, 1, (3, 2)) for _ in range(5)]
    out = []
    for lib in (torch, ember):
        p = to_lib(lib, p0.astype(np.complex128), True)
        opt = getattr(lib.optim, cls)([p], **kwargs)
        for g in grads:
            p.grad = to_lib(lib, g, False)
            opt.step()
        out.append(p.detach().numpy())
    assert not np.allclose(out[0], p0)
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12, atol=1e-12)


SD_CASES = [("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05, weight_decay=0.1)),
            ("RAdam", dict(lr=0.05, betas=(0.9, 0.6))), ("Rprop", dict(lr=0.05)),
            ("ASGD", dict(lr=0.05, t0=2))]
SD_GROUPS = [{"params": [0, 3]}, {"params": [1, 2], "lr": 0.02}]


def _convert(sd, to):
    """A state dict with every tensor converted to the other library (as a checkpoint would)."""
    def conv(v):
        if isinstance(v, (torch.Tensor, ember.Tensor)):
            return to.tensor(np.array(v.numpy()))
        return v
    return {"param_groups": copy.deepcopy(sd["param_groups"]),
            "state": {k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()}}


def _resume(first, second, cls, kwargs):
    """Three steps in ``first``, its state dict (converted) loaded into a new optimizer of
    ``second`` whose groups have another lr, three more steps there."""
    half, opt = run(first, cls, kwargs, np.float64, 3, groups=SD_GROUPS)
    params = [to_lib(second, a, True) for a in half[-1]]
    spec = [dict(g, params=[params[i] for i in g["params"]], lr=99.0) for g in SD_GROUPS]
    opt2 = getattr(second.optim, cls)(spec, **kwargs)
    sd = copy.deepcopy(opt.state_dict())
    opt2.load_state_dict(sd if first is second else _convert(sd, second))
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    resumed, _ = run(second, cls, kwargs, np.float64, 3, params=params, opt=opt2)
    return resumed[-1], opt2


@pytest.mark.parametrize("cls,kwargs", SD_CASES)
def test_resume_from_state_dicts_like_torch(cls, kwargs):
    """Resuming from ember's own state dict, from torch's, and torch from ember's, all give
    torch's weights after resuming from its own (NOTE: not quite those of six straight steps:
    load_state_dict casts the 0-d mu_product, eta and mu to the parameter's dtype, in torch too).
    """
    expected, t_opt = _resume(torch, torch, cls, kwargs)
    for first, second in ((ember, ember), (torch, ember), (ember, torch)):
        got, opt = _resume(first, second, cls, kwargs)
        for r, s in zip(got, expected):
            np.testing.assert_allclose(r, s, rtol=1e-12, atol=1e-12)
        for k, ts in t_opt.state_dict()["state"].items():
            es = opt.state_dict()["state"][k]
            assert {n: _plain(v) for n, v in es.items()} == {n: _plain(v) for n, v in ts.items()}


def test_scalar_state_in_default_dtype_float64():
    # PyTorch keeps step, mu_product, eta and mu in float64 when that is the default dtype
    for lib in (torch, ember):
        prev = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.zeros(2, dtype=lib.float32, requires_grad=True)
            p.grad = lib.ones(2, dtype=lib.float32)
            nadam, asgd = lib.optim.NAdam([p]), lib.optim.ASGD([p])
            nadam.step()
            asgd.step()
            got = [nadam.state[p][k].dtype for k in ("step", "mu_product")]
            got += [asgd.state[p][k].dtype for k in ("step", "eta", "mu", "ax")]
            assert got == [lib.float64] * 5 + [lib.float32]
        finally:
            lib.set_default_dtype(prev)


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.Adamax(p, lr=-1.0),
    lambda lib, p: lib.optim.Adamax(p, eps=-1.0),
    lambda lib, p: lib.optim.Adamax(p, betas=(1.0, 0.999)),
    lambda lib, p: lib.optim.Adamax(p, betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.Adamax(p, weight_decay=-0.1),
    lambda lib, p: lib.optim.Adamax(p, lr=lib.tensor([0.1, 0.2])),
    lambda lib, p: lib.optim.NAdam(p, lr=-1.0),
    lambda lib, p: lib.optim.NAdam(p, betas=(0.9, 1.5)),
    lambda lib, p: lib.optim.NAdam(p, momentum_decay=-0.1),
    lambda lib, p: lib.optim.NAdam(p, weight_decay=-0.1),
    lambda lib, p: lib.optim.RAdam(p, lr=-1.0),
    lambda lib, p: lib.optim.RAdam(p, eps=-1e-8),
    lambda lib, p: lib.optim.RAdam(p, betas=(-0.1, 0.9)),
    lambda lib, p: lib.optim.RAdam(p, weight_decay=-1),
    lambda lib, p: lib.optim.Rprop(p, lr=-0.1),
    lambda lib, p: lib.optim.Rprop(p, etas=(1.5, 1.2)),
    lambda lib, p: lib.optim.Rprop(p, etas=(0.5, 0.9)),
    lambda lib, p: lib.optim.Rprop(p, etas=(0.0, 1.2)),
    lambda lib, p: lib.optim.ASGD(p, lr=-0.1),
    lambda lib, p: lib.optim.ASGD(p, weight_decay=-0.1),
    lambda lib, p: lib.optim.ASGD([]),
])
def test_errors_like_torch(make):
    _raises_same(make)


@pytest.mark.parametrize("cls", ["Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_defaults_and_flags_like_torch(cls):
    e_p, t_p = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    e_opt = getattr(ember.optim, cls)([e_p])
    t_opt = getattr(torch.optim, cls)([t_p])
    assert e_opt.defaults == t_opt.defaults
    assert repr(e_opt) == repr(t_opt)
    getattr(ember.optim, cls)([e_p], foreach=True)  # accepted: one implementation
    with pytest.raises(NotImplementedError, match="differentiable"):
        getattr(ember.optim, cls)([e_p], differentiable=True)

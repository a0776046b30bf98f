"""Optimizer ``state_dict`` layout (same as PyTorch's), resuming from it, and argument errors."""
import copy
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim  # noqa: F401
from helpers import to_lib
from test_optimizers import INIT, train

CASES = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.05, amsgrad=True)),
         ("AdamW", dict(lr=0.05)), ("RMSprop", dict(centered=True, momentum=0.5)),
         ("Adagrad", dict(lr_decay=0.01)), ("Adadelta", dict())]
GROUPS = [{"params": [0, 3]}, {"params": [1, 2], "lr": 0.02}]


def _plain(v):
    return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape)) if hasattr(v, "shape") else v


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_state_dict_layout_is_torchs(cls, kwargs):
    _, _, e = train(ember, cls, kwargs, np.float32, 2, groups=GROUPS)
    _, _, t = train(torch, cls, kwargs, np.float32, 2, groups=GROUPS)
    e_sd, t_sd = e.state_dict(), t.state_dict()
    assert list(e_sd) == list(t_sd) == ["state", "param_groups"]
    assert e_sd["param_groups"] == t_sd["param_groups"]  # options and params as indices
    assert list(e_sd["state"]) == list(t_sd["state"])
    for k in t_sd["state"]:
        e_s, t_s = e_sd["state"][k], t_sd["state"][k]
        assert list(e_s) == list(t_s)
        assert {n: _plain(v) for n, v in e_s.items()} == {n: _plain(v) for n, v in t_s.items()}
        if "step" in t_s:
            assert e_s["step"].item() == t_s["step"].item()


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_resume_from_state_dict_is_exact(cls, kwargs):
    _, straight, _ = train(ember, cls, kwargs, np.float64, 6, groups=GROUPS)
    _, half, opt = train(ember, cls, kwargs, np.float64, 3, groups=GROUPS)
    saved = copy.deepcopy(opt.state_dict())
    params = [to_lib(ember, a, True) for a in half]
    spec = [dict(g, params=[params[i] for i in g["params"]]) for g in GROUPS]
    opt2 = getattr(ember.optim, cls)([dict(s, lr=99.0) for s in spec], **kwargs)
    opt2.load_state_dict(saved)
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    assert opt2.param_groups[0]["params"][0] is params[0]
    _, resumed, _ = train(ember, cls, kwargs, np.float64, 3, params=params, opt=opt2)
    for r, s in zip(resumed, straight):
        np.testing.assert_array_equal(r, s)


def test_load_casts_state_to_param_dtype_but_keeps_step():
    _, _, opt64 = train(ember, "Adam", {}, np.float64, 2)
    p32 = [to_lib(ember, a.astype(np.float32), True) for a in INIT]
    opt = ember.optim.Adam(p32)
    opt.load_state_dict(opt64.state_dict())
    st = opt.state[p32[0]]
    assert st["exp_avg"].dtype == ember.float32 and st["step"].dtype == ember.float32
    assert st["step"].item() == 2


def test_torch_checkpoint_values_load_into_ember():
    # a torch state dict converted tensor by tensor (what ember's serialization would do)
    _, weights, t_opt = train(torch, "Adam", dict(lr=0.05), np.float32, 3)
    sd = t_opt.state_dict()
    sd = {"param_groups": sd["param_groups"],
          "state": {k: {n: ember.tensor(v.numpy()) for n, v in s.items()}
                    for k, s in sd["state"].items()}}
    params = [to_lib(ember, w, True) for w in weights]
    opt = ember.optim.Adam(params)
    opt.load_state_dict(sd)
    _, e_w, _ = train(ember, "Adam", {}, np.float32, 3, params=params, opt=opt)
    _, t_w, _ = train(torch, "Adam", dict(lr=0.05), np.float32, 6)
    for e, t in zip(e_w, t_w):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


def test_load_state_dict_errors():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    sd = ember.optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        ember.optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        ember.optim.SGD([a]).load_state_dict(sd)


def test_zero_grad():
    a = ember.zeros(2, requires_grad=True)
    a.grad = ember.ones(2)
    opt = ember.optim.SGD([a])
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_add_param_group():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    opt = ember.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.param_groups[1]["params"] == [b]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.optim.SGD([a, a])
    assert any("duplicate parameters" in str(x.message) for x in w)


def _raises_same(make):
    """``make(lib, params)`` raises the same exception type (and message) with torch and ember."""
    with pytest.raises(Exception) as t_exc:
        make(torch, [torch.zeros(2, requires_grad=True)])
    with pytest.raises(type(t_exc.value)) as e_exc:
        make(ember, [ember.zeros(2, requires_grad=True)])
    assert str(e_exc.value) == str(t_exc.value).replace("torch.", "ember.")


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD(p, lr=-0.1),
    lambda lib, p: lib.optim.SGD(p, momentum=-0.5),
    lambda lib, p: lib.optim.SGD(p, weight_decay=-1.0),
    lambda lib, p: lib.optim.SGD(p, nesterov=True),
    lambda lib, p: lib.optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
    lambda lib, p: lib.optim.SGD([]),
    lambda lib, p: lib.optim.SGD(p[0]),
    lambda lib, p: lib.optim.SGD([p[0], 3.0]),
    lambda lib, p: lib.optim.SGD([{"params": set(p)}]),
    lambda lib, p: lib.optim.SGD([{"params": p}, {"params": p}]),
    lambda lib, p: lib.optim.SGD([p[0] * 2]),
    lambda lib, p: lib.optim.SGD(p).add_param_group(p),
    lambda lib, p: lib.optim.Adam(p, lr=-1.0),
    lambda lib, p: lib.optim.Adam(p, eps=-1.0),
    lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.999)),
    lambda lib, p: lib.optim.Adam(p, betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.Adam(p, betas=(0, 0.999)),
    lambda lib, p: lib.optim.Adam(p, weight_decay=-0.1),
    lambda lib, p: lib.optim.AdamW(p, lr=-0.1),
    lambda lib, p: lib.optim.RMSprop(p, alpha=-0.1),
    lambda lib, p: lib.optim.RMSprop(p, momentum=-0.1),
    lambda lib, p: lib.optim.RMSprop(p, eps=-0.1),
    lambda lib, p: lib.optim.Adagrad(p, lr_decay=-0.1),
    lambda lib, p: lib.optim.Adagrad(p, initial_accumulator_value=-0.1),
    lambda lib, p: lib.optim.Adadelta(p, rho=1.5),
    lambda lib, p: lib.optim.Adadelta(p, lr=-1.0),
])
def test_errors_like_torch(make):
    _raises_same(make)

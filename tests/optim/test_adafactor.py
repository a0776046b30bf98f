"""Adafactor trains like PyTorch's (factored second moments for matrices and batches of them,
full ones for vectors); SparseAdam keeps torch's arguments and errors (ember has no sparse
gradients, so its step refuses the dense ones as torch's does)."""
import numpy as np
import pytest
import torch

import ember
import ember.optim  # noqa: F401
from helpers import to_lib
from test_optim_state import _plain, _raises_same
from test_optimizers_extra import check_same

CASES = [
    dict(),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.2, maximize=True, beta2_decay=-0.5),
    dict(lr=0.05, eps=(1e-20, 1e-2), d=1.5),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_same_training_as_torch(kwargs, dtype):
    e_opt, t_opt = check_same("Adafactor", kwargs, dtype)
    e_sd, t_sd = e_opt.state_dict(), t_opt.state_dict()
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert list(e_sd["state"]) == list(t_sd["state"])
    for k, ts in t_sd["state"].items():
        es = e_sd["state"][k]
        assert {n: _plain(v) for n, v in es.items()} == {n: _plain(v) for n, v in ts.items()}
        for name in ts:
            np.testing.assert_allclose(es[name].numpy(), ts[name].numpy(), rtol=1e-5, atol=1e-7)


def test_param_groups_and_batched_matrices_like_torch():
    rng = np.random.default_rng(3)
    init = [rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (5,)), rng.uniform(-1, 1, ())]
    grads = [[rng.uniform(-1, 1, a.shape) for a in init] for _ in range(6)]
    out = []
    for lib in (torch, ember):
        ps = [to_lib(lib, a, True) for a in init]
        opt = lib.optim.Adafactor([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.3,
                                                         "weight_decay": 0.1}], lr=0.05)
        hist = []
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = to_lib(lib, g, False)
            opt.step()
            hist.append([p.detach().numpy().copy() for p in ps])
        out.append((hist, [tuple(v.shape) for v in opt.state[ps[0]].values()]))
    assert out[1][1] == out[0][1] == [(), (2, 3, 1), (2, 1, 4)]
    for e_ps, t_ps in zip(out[1][0], out[0][0]):
        for e, t in zip(e_ps, t_ps):
            np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)
    assert not np.allclose(out[0][0][-1][0], init[0])


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.Adafactor(p, lr=-1.0),
    lambda lib, p: lib.optim.Adafactor(p, beta2_decay=0.5),
    lambda lib, p: lib.optim.Adafactor(p, eps=(-1.0, 1e-3)),
    lambda lib, p: lib.optim.Adafactor(p, eps=(None, -1e-3)),
    lambda lib, p: lib.optim.Adafactor(p, d=0.5),
    lambda lib, p: lib.optim.Adafactor(p, weight_decay=-0.1),
    lambda lib, p: lib.optim.SparseAdam(p, lr=0.0),
    lambda lib, p: lib.optim.SparseAdam(p, eps=0.0),
    lambda lib, p: lib.optim.SparseAdam(p, betas=(0.9, 1.0)),
    lambda lib, p: lib.optim.SparseAdam(p + [lib.zeros(2, dtype=lib.complex64,
                                                       requires_grad=True)]),
])
def test_errors_like_torch(make):
    _raises_same(make)


def _step_with_grad(lib, p, complex_param):
    if complex_param:
        p = [lib.zeros(2, dtype=lib.complex64, requires_grad=True)]
        p[0].grad = lib.ones(2, dtype=lib.complex64)
        lib.optim.Adafactor(p).step()
    else:
        p[0].grad = lib.ones(2)
        lib.optim.SparseAdam(p).step()


@pytest.mark.parametrize("complex_param", [False, True])
def test_step_errors_like_torch(complex_param):
    _raises_same(lambda lib, p: _step_with_grad(lib, p, complex_param))


def test_defaults_like_torch():
    for cls in ("Adafactor", "SparseAdam"):
        e = getattr(ember.optim, cls)([ember.zeros(2, requires_grad=True)])
        t = getattr(torch.optim, cls)([torch.zeros(2, requires_grad=True)])
        assert e.defaults == t.defaults
        assert repr(e) == repr(t)
    # a step without gradients changes nothing and makes no state, as torch's
    p = ember.zeros(2, requires_grad=True)
    opt = ember.optim.SparseAdam([p])
    assert opt.step() is None and len(opt.state) == 0

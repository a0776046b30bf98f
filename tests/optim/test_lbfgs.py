"""LBFGS follows PyTorch's iterates: Rosenbrock and a tiny model, with and without the
strong-Wolfe line search, the same function evaluations, state and errors."""
import copy

import numpy as np
import pytest
import torch

import ember
import ember.optim  # noqa: F401
from helpers import to_lib
from test_optimizers import INIT, X, Y, loss_fn
from test_optim_state import _raises_same


def rosenbrock(lib, params):
    (xy,) = params
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


def tiny_model(lib, params):
    dtype = params[0].detach().numpy().dtype
    x, y = to_lib(lib, X.astype(dtype), False), to_lib(lib, Y.astype(dtype), False)
    return loss_fn(lib, params, x, y)


def run(lib, f, init, kwargs, dtype, steps):
    """``steps`` calls of ``opt.step(closure)``; returns the parameters and losses after each, the
    closure's call count and the optimizer."""
    params = [to_lib(lib, a.astype(dtype), True) for a in init]
    opt = lib.optim.LBFGS(params, **kwargs)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = f(lib, params)
        loss.backward()
        return loss

    history = []
    for _ in range(steps):
        loss = opt.step(closure)
        history.append(([p.detach().numpy().copy() for p in params], loss.item()))
    return history, calls[0], opt


ROSEN_INIT = [np.array([-1.5, 2.0])]
CASES = [
    (rosenbrock, ROSEN_INIT, dict(max_iter=12)),
    (rosenbrock, ROSEN_INIT, dict(line_search_fn="strong_wolfe")),
    (rosenbrock, ROSEN_INIT, dict(lr=0.1, max_iter=5, history_size=3)),
    (rosenbrock, ROSEN_INIT, dict(history_size=2, max_iter=7, line_search_fn="strong_wolfe")),
    (rosenbrock, ROSEN_INIT, dict(max_iter=10, max_eval=4, line_search_fn="strong_wolfe")),
    (tiny_model, INIT, dict(lr=0.5, max_iter=4)),
    (tiny_model, INIT, dict(max_iter=6, history_size=4, line_search_fn="strong_wolfe")),
]
IDS = ["rosen", "rosen-wolfe", "rosen-lr-history", "rosen-wolfe-history", "rosen-wolfe-max_eval",
       "model", "model-wolfe"]


def check_same(f, init, kwargs, dtype, steps):
    t_hist, t_calls, t_opt = run(torch, f, init, kwargs, dtype, steps)
    e_hist, e_calls, e_opt = run(ember, f, init, kwargs, dtype, steps)
    assert e_calls == t_calls
    # NOTE: ember's dot and torch's may round the last bit differently (BLAS kernels with or
    # without FMA); Rosenbrock's ill-conditioning amplifies that over tens of iterations
    tol = 1e-9 if dtype == np.float64 else 2e-4
    for i, ((e_ps, e_loss), (t_ps, t_loss)) in enumerate(zip(e_hist, t_hist)):
        np.testing.assert_allclose(e_loss, t_loss, rtol=tol, atol=tol, err_msg=f"step {i}")
        for e, t in zip(e_ps, t_ps):
            assert e.dtype == t.dtype
            np.testing.assert_allclose(e, t, rtol=tol, atol=tol, err_msg=f"step {i}")
    assert not np.allclose(t_hist[-1][0][0], init[0])
    return e_opt, t_opt


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_iterates_like_torch_float64(case):
    e_opt, t_opt = check_same(*case, np.float64, steps=3)
    e_st, t_st = e_opt.state_dict()["state"], t_opt.state_dict()["state"]
    assert list(e_st) == list(t_st) == [0]
    e_s, t_s = e_st[0], t_st[0]
    assert list(e_s) == list(t_s)
    for k in ("func_evals", "n_iter"):
        assert e_s[k] == t_s[k]
    assert len(e_s["old_dirs"]) == len(t_s["old_dirs"])
    # (differences of gradients and directions: an ulp of the weights is more here)
    for e, t in zip([e_s["d"], e_s["prev_flat_grad"]] + e_s["old_dirs"] + e_s["ro"],
                    [t_s["d"], t_s["prev_flat_grad"]] + t_s["old_dirs"] + t_s["ro"]):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-7, atol=1e-9)


def test_rosenbrock_wolfe_converges_like_torch():
    # enough iterations to reach the minimum (1, 1): the line search's zoom and the
    # tolerance checks all run
    check_same(*CASES[1], np.float64, steps=3)
    hist, _, _ = run(ember, *CASES[1], np.float64, 3)
    np.testing.assert_allclose(hist[-1][0][0], [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("history_size", [100, 2])
def test_one_iteration_per_step_with_line_search_stays_tight(history_size):
    # 15 steps of one iteration each: the state carries over between steps
    check_same(rosenbrock, ROSEN_INIT, dict(max_iter=1, max_eval=25, history_size=history_size,
                                            line_search_fn="strong_wolfe"), np.float64, 15)


@pytest.mark.parametrize("case", CASES[:2] + CASES[5:6], ids=IDS[:2] + IDS[5:6])
def test_iterates_like_torch_float32(case):
    check_same(*case, np.float32, steps=1)


def test_resume_from_state_dict_like_torch():
    kwargs = dict(history_size=3, max_iter=3, line_search_fn="strong_wolfe")
    out = []
    for lib in (torch, ember):
        hist, _, opt = run(lib, rosenbrock, ROSEN_INIT, kwargs, np.float64, 2)
        params = [to_lib(lib, hist[-1][0][0], True)]
        opt2 = lib.optim.LBFGS(params, **kwargs)
        opt2.load_state_dict(copy.deepcopy(opt.state_dict()))

        def closure():
            opt2.zero_grad()
            loss = rosenbrock(lib, params)
            loss.backward()
            return loss
        opt2.step(closure)
        out.append(params[0].detach().numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-10, atol=1e-10)


def test_stops_at_once_when_gradient_is_tiny():
    p = ember.tensor([1.0, 1.0], dtype=ember.float64, requires_grad=True)
    opt = ember.optim.LBFGS([p])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(ember, [p])
        loss.backward()
        return loss
    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and p.tolist() == [1.0, 1.0]
    assert dict(opt.state[p]) == {"func_evals": 1, "n_iter": 0}


def test_defaults_like_torch():
    e = ember.optim.LBFGS([ember.zeros(2, requires_grad=True)], max_iter=8)
    t = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], max_iter=8)
    assert e.defaults == t.defaults and e.defaults["max_eval"] == 10
    assert repr(e) == repr(t)


def _bad_line_search(lib, p):
    opt = lib.optim.LBFGS(p, line_search_fn="wolfe")

    def closure():
        opt.zero_grad()
        loss = (p[0] * p[0]).sum() + p[0].sum()
        loss.backward()
        return loss
    opt.step(closure)


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.LBFGS(p, lr=-1.0),
    lambda lib, p: lib.optim.LBFGS([{"params": p}, {"params": [lib.zeros(1)]}]),
    lambda lib, p: lib.optim.LBFGS([]),
    _bad_line_search,
])
def test_errors_like_torch(make):
    _raises_same(make)

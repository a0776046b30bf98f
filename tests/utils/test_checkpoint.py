"""utils.checkpoint: the same model run plainly and through checkpoint gives the same outputs
and gradients (dropout included, since the random state is restored for the recomputation), on
torch and on ember (the ``lib`` fixture)."""
import importlib
import warnings

import numpy as np
import pytest
import torch

import ember


@pytest.fixture(params=["torch", "ember"])
def lib(request):
    return torch if request.param == "torch" else ember


def ck(lib):
    return importlib.import_module(lib.__name__ + ".utils.checkpoint")


def model(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 3))


def run(lib, how):
    m = model(lib)
    x = (lib.arange(20, dtype=lib.float32).reshape(5, 4) / 10).requires_grad_()
    lib.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "plain":
            y = m(x)
        elif how == "sequential":
            y = ck(lib).checkpoint_sequential(m, 2, x, use_reentrant=True)
        else:
            y = ck(lib).checkpoint(m, x, use_reentrant=how == "reentrant")
    (y ** 2).sum().backward()
    return [t.detach().numpy().copy() for t in (y, x.grad, m[0].weight.grad, m[5].bias.grad)]


@pytest.mark.parametrize("how", ["reentrant", "non-reentrant", "sequential"])
def test_checkpoint_gives_the_plain_results(lib, how):
    for got, want in zip(run(lib, how), run(lib, "plain")):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_ember_matches_torch():
    for got, want in zip(run(ember, "reentrant"), run(torch, "plain")):
        assert got.shape == want.shape
    # dropout masks differ between the libraries; with p=0 the values must agree
    outs = []
    state = {k: v.numpy().copy() for k, v in model(torch).state_dict().items()}
    for lib in (torch, ember):
        m = model(lib)
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        m[2].p = 0.0
        x = lib.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4), requires_grad=True)
        y = ck(lib).checkpoint(m, x, use_reentrant=True)
        y.sum().backward()
        outs.append([y.detach().numpy(), x.grad.numpy(), m[0].weight.grad.numpy()])
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_non_tensor_arguments_and_tuple_outputs(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)

    def f(x, k, flag):
        return x * k, (x ** 2) if flag else x
    y, z = ck(lib).checkpoint(f, a, 3.0, True, use_reentrant=True)
    (y.sum() + z.sum()).backward()
    assert a.grad.tolist() == [5.0, 7.0]


def test_warnings(lib):
    m = lib.nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        ck(lib).checkpoint(m, lib.ones(1, 2, requires_grad=True))
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        ck(lib).checkpoint(m, lib.ones(1, 2), use_reentrant=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments"):
        ck(lib).checkpoint(m, lib.ones(1, 2), use_reentrant=True, scale=2)


def test_preserve_rng_state_false_draws_new_masks(lib):
    m = lib.nn.Sequential(lib.nn.Linear(64, 64), lib.nn.Dropout(0.5))
    x = lib.ones(4, 64, requires_grad=True)
    lib.manual_seed(3)
    y = ck(lib).checkpoint(m, x, use_reentrant=True, preserve_rng_state=False)
    y.sum().backward()
    kept = (y.detach() != 0).float()
    # without the restored state the recomputation draws another mask, so the input's gradient
    # does not follow the mask the forward output shows
    want = kept @ (m[0].weight.detach() * 2)
    assert not np.allclose(x.grad.numpy(), want.numpy())

"""functional_call, and per-sample gradients with vmap(grad(...)), against torch.func."""
import pytest
import torch

import ember
from helpers import rand

from ._oracle import assert_same, check_raises, to_lib


def mlp(lib):
    """The same small MLP (with a BatchNorm's buffers) in both libraries, torch's weights."""
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))


def twins():
    t = mlp(torch)
    e = mlp(ember)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    return e.eval(), t.eval()


def params_of(lib, model):
    return {k: v.detach() for k, v in model.named_parameters()}


def test_functional_call_values_and_gradients():
    x = rand(5, 3)
    e_model, t_model = twins()
    res = []
    for lib, model in ((ember, e_model), (torch, t_model)):
        params = {k: (v * 2).detach().requires_grad_() for k, v in model.named_parameters()}
        buffers = {k: v + 1 for k, v in model.named_buffers()}
        out = lib.func.functional_call(model, (params, buffers), (to_lib(lib, x),))
        out.pow(2).sum().backward()
        res.append((out, {k: p.grad for k, p in params.items()},
                    dict(model.named_parameters())["0.weight"].detach()))
        assert all(p.grad is None for p in model.parameters())   # the module's were not used
    assert_same(res[0], res[1], rtol=1e-4, atol=1e-5)


def test_functional_call_kwargs_and_single_arg():
    e_model, t_model = twins()
    x = rand(2, 3)
    outs = [lib.func.functional_call(m, params_of(lib, m), to_lib(lib, x), {})
            for lib, m in ((ember, e_model), (torch, t_model))]
    assert_same(*outs, rtol=1e-4, atol=1e-5)


def test_functional_call_strict_and_restore():
    e_model, _ = twins()

    def call(lib, model, params, **kw):
        return lib.func.functional_call(model, params, (lib.zeros(2, 3),), **kw)
    for lib, model in ((ember, e_model), (torch, mlp(torch).eval())):
        params = params_of(lib, model)
        with pytest.raises(RuntimeError, match="Missing key"):
            call(lib, model, params, strict=True)
        with pytest.raises(RuntimeError, match="Unexpected key"):
            call(lib, model, dict(params, bogus=lib.zeros(1)), strict=True)
        with pytest.raises(ValueError, match="multiple dictionaries"):
            call(lib, model, (params, params))
        before = {k: v for k, v in model.named_parameters()}
        bad = dict(params, **{"0.weight": lib.zeros(7, 7)})     # the call itself fails
        with pytest.raises(RuntimeError):
            call(lib, model, bad)
        after = dict(model.named_parameters())
        assert all(after[k] is before[k] for k in before)
        assert all(isinstance(v, lib.nn.Parameter) for v in after.values())


def test_functional_call_tied_weights():
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(2, 2, bias=False), lib.nn.Linear(2, 2, bias=False))
        model[1].weight = model[0].weight
        w = lib.eye(2) * 3
        out = lib.func.functional_call(model, {"0.weight": w}, (lib.ones(1, 2),))
        assert out.tolist() == [[9.0, 9.0]]
        with pytest.raises(ValueError, match="tied"):
            lib.func.functional_call(model, {"0.weight": w, "1.weight": w + 1}, (lib.ones(1, 2),))


def test_per_sample_gradients_of_mlp():
    e_model, t_model = twins()
    x, y = rand(6, 3), rand(6, 2)
    res = []
    for lib, model in ((ember, e_model), (torch, t_model)):
        def loss(params, xi, yi):
            out = lib.func.functional_call(model, params, (xi.unsqueeze(0),))
            return ((out.squeeze(0) - yi) ** 2).mean()
        grads = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(
            params_of(lib, model), to_lib(lib, x), to_lib(lib, y))
        res.append(grads)
    assert_same(res[0], res[1], rtol=1e-4, atol=1e-6)


def test_functional_call_errors():
    check_raises(lambda lib, x: lib.func.functional_call(lib.nn.Linear(1, 1), [1], (x,)), rand(1))
    check_raises(lambda lib, x: lib.func.functional_call(lib.nn.Linear(1, 1), 3, (x,)), rand(1))


def test_functional_call_updates_given_buffers_not_the_modules():
    """A BatchNorm in training mode updates the running statistics it was given in place."""
    e_model, t_model = twins()
    x = rand(5, 3)
    res = []
    for lib, model in ((ember, e_model.train()), (torch, t_model.train())):
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        before = {k: v.clone() for k, v in model.named_buffers()}
        lib.func.functional_call(model, (params_of(lib, model), buffers), (to_lib(lib, x),))
        assert all((v == before[k]).all() for k, v in model.named_buffers())
        res.append(buffers)
    assert_same(res[0], res[1], rtol=1e-4, atol=1e-6)
    assert res[0]["1.num_batches_tracked"].item() == 1


def test_paths_through_a_tensor_or_missing_module_raise_as_torch():
    for lib in (torch, ember):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        x = (lib.ones(1, 2),)
        with pytest.raises(TypeError, match="(?s)submodule `0.weight`: .* is not an instance of"):
            lib.func.functional_call(m, {"0.weight.foo": lib.ones(2)}, x)
        with pytest.raises(AttributeError, match="Sequential has no attribute `1`"):
            lib.func.functional_call(m, {"1.weight": lib.ones(2)}, x)

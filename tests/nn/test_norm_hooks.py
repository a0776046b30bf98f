"""The hook-based nn.utils.weight_norm / remove_weight_norm and nn.utils.spectral_norm /
remove_spectral_norm against torch: state_dict keys and metadata, outputs, gradients, buffers."""
import numpy as np
import pytest
import torch

import ember
from nn.test_parametrize import MODULES, SPECTRAL, check_pair, copy_state, pair, same_state
from helpers import rand

pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")


@pytest.mark.parametrize("make,args,xshape", MODULES)
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(make, args, xshape, dim):
    t_mod, e_mod = pair(make, *args)
    copy_state(t_mod, e_mod)
    torch.nn.utils.weight_norm(t_mod, dim=dim)
    ember.nn.utils.weight_norm(e_mod, dim=dim)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert {"weight_g", "weight_v"} <= set(e_mod.state_dict())
    same_state(t_mod, e_mod, 1e-12)
    assert tuple(e_mod.weight_g.shape) == tuple(t_mod.weight_g.shape)
    check_pair(t_mod, e_mod, rand(*xshape, dtype=np.float64), tol=1e-10)
    assert str(e_mod) == str(t_mod)
    torch.nn.utils.remove_weight_norm(t_mod)
    ember.nn.utils.remove_weight_norm(e_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    same_state(t_mod, e_mod, 1e-10)
    assert not e_mod._forward_pre_hooks


def test_weight_norm_errors():
    m = ember.nn.Linear(3, 2)
    with pytest.warns(FutureWarning):
        ember.nn.utils.weight_norm(m)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        ember.nn.utils.weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
        ember.nn.utils.remove_weight_norm(m, "bias")


@pytest.mark.parametrize("make,args,xshape", SPECTRAL)
@pytest.mark.parametrize("n_iter", [1, 2])
def test_spectral_norm(make, args, xshape, n_iter):
    t_mod, e_mod = pair(make, *args)
    copy_state(t_mod, e_mod)
    torch.nn.utils.spectral_norm(t_mod, n_power_iterations=n_iter)
    ember.nn.utils.spectral_norm(e_mod, n_power_iterations=n_iter)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert e_mod.state_dict()._metadata[""] == dict(t_mod.state_dict()._metadata[""])
    copy_state(t_mod, e_mod)  # torch's random u and v
    x = rand(*xshape, dtype=np.float64)
    check_pair(t_mod, e_mod, x, steps=3, tol=1e-10)
    t_mod.eval(), e_mod.eval()
    check_pair(t_mod, e_mod, x, steps=1, tol=1e-10)
    torch.nn.utils.remove_spectral_norm(t_mod)
    ember.nn.utils.remove_spectral_norm(e_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    same_state(t_mod, e_mod, 1e-10)
    assert not e_mod._forward_pre_hooks and not e_mod._state_dict_hooks


def test_spectral_norm_version0_checkpoint():
    # a checkpoint without weight_v (and with weight): v is solved from u and sigma, as torch
    t_mod, e_mod = pair(lambda lib: lib.nn.Linear, 4, 3)
    copy_state(t_mod, e_mod)
    torch.nn.utils.spectral_norm(t_mod)
    ember.nn.utils.spectral_norm(e_mod)
    t_mod(torch.randn(2, 4, dtype=torch.float64))
    sd = t_mod.state_dict()
    old_t = {k: v for k, v in sd.items() if k != "weight_v"}
    old_t["weight"] = t_mod.weight.detach()
    from collections import OrderedDict
    old_t = OrderedDict(old_t)
    old_e = OrderedDict((k, ember.tensor(v.numpy())) for k, v in old_t.items())
    t2, e2 = pair(lambda lib: lib.nn.Linear, 4, 3)
    torch.nn.utils.spectral_norm(t2)
    ember.nn.utils.spectral_norm(e2)
    t2.load_state_dict(old_t)
    e2.load_state_dict(old_e)
    same_state(t2, e2, 1e-8)


def test_spectral_norm_errors():
    m = ember.nn.Linear(3, 2, bias=False)
    ember.nn.utils.spectral_norm(m)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        ember.nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="cannot be applied as parameter `bias` is None"):
        ember.nn.utils.spectral_norm(m, "bias")
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        ember.nn.utils.remove_spectral_norm(m, "bias")
    with pytest.raises(ValueError, match="n_power_iterations"):
        ember.nn.utils.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0)

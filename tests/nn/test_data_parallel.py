"""nn.DataParallel against torch's on a machine without a GPU: the wrapped module's outputs and
gradients, state_dict keys (the 'module.' prefix), repr, and loading a checkpoint either way."""
import numpy as np
import torch

import ember
from helpers import compare, rand


def _net(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))


def test_data_parallel_matches_torch():
    t = torch.nn.DataParallel(_net(torch))
    e = ember.nn.DataParallel(_net(ember))
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert repr(e) == repr(t)
    assert e.device_ids == t.device_ids == []
    x = rand(5, 4)
    compare(lambda lib, a: (t if lib is torch else e)(a), x)
    for (name, p), (tname, tp) in zip(e.named_parameters(), t.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_data_parallel_checkpoint_both_ways_and_functional():
    e = ember.nn.DataParallel(_net(ember))
    plain = _net(ember)
    plain.load_state_dict({k[len("module."):]: v for k, v in e.state_dict().items()})
    x = ember.randn(3, 4)
    assert (plain(x) == e(x)).all()
    assert (ember.nn.parallel.data_parallel(plain, x) == plain(x)).all()
    assert ember.nn.parallel.DataParallel is ember.nn.DataParallel

"""Tensor.register_post_accumulate_grad_hook against torch: when hooks run (after .grad is
accumulated, once per backward, not in autograd.grad), removal, errors, and a per-parameter
optimizer step run from the hook."""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember
from helpers import rand


def events(lib, run):
    """The calls the hooks see for ``run(lib, x, y, log)``: (hook, leaf name, grad) in order."""
    x = lib.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = lib.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    log = []

    def hook(name, tag):
        def f(t):
            assert t is (x if name == "x" else y)
            log.append((tag, name, t.grad.tolist()))
        return f
    handles = [x.register_post_accumulate_grad_hook(hook("x", "a")),
               x.register_post_accumulate_grad_hook(hook("x", "b")),
               y.register_post_accumulate_grad_hook(hook("y", "a"))]
    run(lib, x, y, handles)
    # NOTE: the order between two leaves is the engine's schedule (ember's differs from torch's);
    # the order of one leaf's calls is compared
    return sorted(log, key=lambda e: e[1])


CASES = {
    "once": lambda lib, x, y, h: (x * y).sum().backward(),
    "x used twice": lambda lib, x, y, h: (x * x + x * y).sum().backward(),
    "accumulates": lambda lib, x, y, h: [(x * y).sum().backward() for _ in range(2)],
    "removed": lambda lib, x, y, h: (h[0].remove(), (x * y).sum().backward()),
    "only x reached": lambda lib, x, y, h: (x * 2).sum().backward(),
    "inputs=": lambda lib, x, y, h: (x * y).sum().backward(inputs=[x]),
    "autograd.grad": lambda lib, x, y, h: lib.autograd.grad((x * y).sum(), [x, y]),
    "create_graph": lambda lib, x, y, h: lib.autograd.backward((x * y).sum(), create_graph=True),
}


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("case", list(CASES))
def test_hook_events_match_torch(case):
    assert events(ember, CASES[case]) == events(torch, CASES[case])


def test_handle_as_context_manager():
    x = ember.ones(2, requires_grad=True)
    log = []
    with x.register_post_accumulate_grad_hook(lambda t: log.append(1)):
        x.sum().backward()
    x.sum().backward()
    assert log == [1]


def test_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.ones(2).register_post_accumulate_grad_hook(print)
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="non-leaf tensors"):
            (x * 2).register_post_accumulate_grad_hook(print)
        h = x.register_post_accumulate_grad_hook(lambda t: t * 0)
        with pytest.raises(RuntimeError, match="should return None"):
            (x * 2).sum().backward()
        h.remove()
        x.register_post_accumulate_grad_hook(lambda t: 5)
        with pytest.raises(TypeError, match="hook returned 'int'"):
            (x * 2).sum().backward()


def test_not_copied_nor_pickled():
    m = ember.nn.Linear(3, 2)
    log = []
    m.weight.register_post_accumulate_grad_hook(lambda t: log.append(t))
    c = copy.deepcopy(m)
    c(ember.randn(2, 3)).sum().backward()
    assert log == []
    pickle.loads(pickle.dumps(m))  # the lambda is not pickled
    m(ember.randn(2, 3)).sum().backward()
    assert len(log) == 1 and log[0] is m.weight


def train_with_hooks(lib, state, x, target):
    """Three steps of SGD with momentum, each parameter stepped from its own hook."""
    m = lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))
    m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    opts = {p: lib.optim.SGD([p], lr=0.1, momentum=0.9) for p in m.parameters()}

    def step(p):
        opts[p].step()
        opts[p].zero_grad()
    for p in m.parameters():
        p.register_post_accumulate_grad_hook(step)
    for _ in range(3):
        loss = ((m(lib.tensor(x)) - lib.tensor(target)) ** 2).mean()
        loss.backward()
        assert all(p.grad is None for p in m.parameters())
    return {k: v.detach().numpy() for k, v in m.state_dict().items()}


def test_optimizer_step_in_hook_matches_torch():
    # the use the hook exists for: step each parameter as soon as its gradient is ready
    state = {k: v.detach().numpy().copy() for k, v in torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).state_dict().items()}
    x, target = rand(4, 3), rand(4, 2)
    t_state = train_with_hooks(torch, state, x, target)
    e_state = train_with_hooks(ember, state, x, target)
    for k in t_state:
        assert not np.allclose(t_state[k], state[k])
        np.testing.assert_allclose(e_state[k], t_state[k], rtol=1e-5, atol=1e-6, err_msg=k)

"""nn.utils.parametrizations.orthogonal against torch: the three maps, with and without dynamic
trivialization, on square, tall and wide weights: state_dict keys, deterministic registrations,
outputs and gradients with torch's state copied, assignment."""
import numpy as np
import pytest
import torch

import ember
from helpers import rand
from nn.test_parametrize import check_pair, copy_state, same_state

SHAPES = [(4, 4), (5, 3), (3, 5)]


def register(lib, shape, orthogonal_map, triv):
    m = lib.nn.Linear(shape[1], shape[0]).double()
    lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                             use_trivialization=triv)
    return m


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal(shape, orthogonal_map, triv):
    t_mod = torch.nn.Linear(shape[1], shape[0]).double()
    e_mod = ember.nn.Linear(shape[1], shape[0]).double()
    copy_state(t_mod, e_mod)
    for lib, m in ((torch, t_mod), (ember, e_mod)):
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                                 use_trivialization=triv)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert str(e_mod) == str(t_mod)
    if shape[0] == shape[1] or not triv:  # no random completion: the same registration
        same_state(t_mod, e_mod, 1e-10)
    copy_state(t_mod, e_mod)
    w = e_mod.weight.detach().numpy()
    q = w if shape[0] >= shape[1] else w.T
    np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-12)
    check_pair(t_mod, e_mod, rand(2, shape[1], dtype=np.float64), tol=1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_assignment(shape):
    m = register(ember, shape, "householder", True)
    a = np.linalg.qr(rand(max(shape), min(shape), dtype=np.float64))[0]
    a = a if shape[0] >= shape[1] else a.T
    with ember.no_grad():
        m.weight = ember.tensor(a)
    np.testing.assert_allclose(m.weight.detach().numpy(), a, atol=1e-12)
    t = register(torch, shape, "householder", False)
    e = register(ember, shape, "householder", False)
    with torch.no_grad():
        t.weight = torch.tensor(a)
    with ember.no_grad():
        e.weight = ember.tensor(a)
    np.testing.assert_allclose(e.parametrizations.weight.original.detach().numpy(),
                               t.parametrizations.weight.original.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(e.weight.detach().numpy(), a, atol=1e-12)


def test_batched_and_errors():
    for lib in (torch, ember):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.tensor(rand(2, 4, 3, dtype=np.float64)))
        lib.nn.utils.parametrizations.orthogonal(m, "w")
        w = m.w.detach().numpy()
        np.testing.assert_allclose(np.swapaxes(w, -1, -2) @ w, np.stack([np.eye(3)] * 2),
                                   atol=1e-12)
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "bias")
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="x")
        with pytest.raises(ValueError, match="has no parameter or buffer"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "nope")
        m = register(lib, (3, 3), "cayley", False)
        with pytest.raises(NotImplementedError):
            m.weight = lib.eye(3, dtype=lib.float64)

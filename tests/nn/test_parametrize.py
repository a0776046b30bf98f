"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) against torch:
class swap, state_dict keys, outputs, gradients and power-iteration buffers with torch's values
copied in."""
import copy

import numpy as np
import pytest
import torch

import ember
from helpers import rand

P, TP = ember.nn.utils.parametrize, torch.nn.utils.parametrize


def copy_state(t_mod, e_mod):
    """Load torch's state_dict (parameters and buffers) into the ember module."""
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy().copy())
                           for k, v in t_mod.state_dict().items()})


def check_pair(t_mod, e_mod, x, steps=2, tol=1e-5):
    """Same outputs, parameter gradients and state (buffers) over a few forward/backward steps."""
    for _ in range(steps):
        xt = torch.tensor(x, requires_grad=True)
        xe = ember.tensor(x, requires_grad=True)
        ot, oe = t_mod(xt), e_mod(xe)
        np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=tol, atol=tol)
        up = rand(*ot.shape, dtype=x.dtype)
        ot.backward(torch.tensor(up))
        oe.backward(ember.tensor(up))
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
        tp, ep = dict(t_mod.named_parameters()), dict(e_mod.named_parameters())
        assert list(tp) == list(ep)
        for k in tp:
            np.testing.assert_allclose(ep[k].grad.numpy(), tp[k].grad.numpy(), rtol=tol,
                                       atol=tol, err_msg=k)
            tp[k].grad = ep[k].grad = None
        same_state(t_mod, e_mod, tol)


def same_state(t_mod, e_mod, tol=1e-5):
    ts, es = t_mod.state_dict(), e_mod.state_dict()
    assert list(ts) == list(es)
    for k in ts:
        np.testing.assert_allclose(es[k].numpy(), ts[k].numpy(), rtol=tol, atol=tol, err_msg=k)


class Symmetric:
    """A parametrization for both libraries: X -> triu(X) + triu(X, 1)^T."""

    @staticmethod
    def make(lib):
        class Symmetric(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()
        return Symmetric()


def scale(lib, k):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * k

        def right_inverse(self, A):
            return A / k
    return Scale()


def pair(make, *args, **kw):
    t_mod = make(torch)(*args, **kw).double()
    e_mod = make(ember)(*args, **kw).double()
    return t_mod, e_mod


# ---- parametrize ---------------------------------------------------------------------------------
def test_register_symmetric_matches_torch():
    t_mod, e_mod = pair(lambda lib: lib.nn.Linear, 4, 4)
    TP.register_parametrization(t_mod, "weight", Symmetric.make(torch))
    P.register_parametrization(e_mod, "weight", Symmetric.make(ember))
    assert type(e_mod).__name__ == "ParametrizedLinear"
    assert isinstance(e_mod, ember.nn.Linear)
    assert str(e_mod) == str(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict()) == [
        "bias", "parametrizations.weight.original"]
    copy_state(t_mod, e_mod)
    w = e_mod.weight
    np.testing.assert_allclose(w.detach().numpy(), w.detach().numpy().T)
    check_pair(t_mod, e_mod, rand(3, 4, dtype=np.float64))
    assert P.is_parametrized(e_mod) and P.is_parametrized(e_mod, "weight")
    assert not P.is_parametrized(e_mod, "bias")
    assert P.type_before_parametrizations(e_mod) is ember.nn.Linear


def test_chained_and_assignment_and_remove():
    t_mod, e_mod = pair(lambda lib: lib.nn.Linear, 3, 3)
    for lib, m, mod in ((torch, t_mod, TP), (ember, e_mod, P)):
        mod.register_parametrization(m, "weight", Symmetric.make(lib))
        mod.register_parametrization(m, "weight", scale(lib, 2.0))
    copy_state(t_mod, e_mod)
    assert len(e_mod.parametrizations.weight) == 2
    check_pair(t_mod, e_mod, rand(2, 3, dtype=np.float64))
    # assignment goes through right_inverse of every parametrization, last first
    a = rand(3, 3, dtype=np.float64)
    a = a + a.T
    with torch.no_grad():
        t_mod.weight = torch.tensor(a)
    with ember.no_grad():
        e_mod.weight = ember.tensor(a)
    np.testing.assert_allclose(e_mod.weight.detach().numpy(), a, atol=1e-12)
    same_state(t_mod, e_mod)
    original = e_mod.parametrizations.weight.original
    for leave in (True,):
        TP.remove_parametrizations(t_mod, "weight", leave_parametrized=leave)
        P.remove_parametrizations(e_mod, "weight", leave_parametrized=leave)
    assert type(e_mod) is ember.nn.Linear and not hasattr(e_mod, "parametrizations")
    assert e_mod.weight is original  # the same Parameter object, holding the parametrized value
    assert list(e_mod.state_dict()) == list(t_mod.state_dict()) == ["bias", "weight"]
    same_state(t_mod, e_mod)


def test_remove_leave_unparametrized_and_buffers():
    t_mod, e_mod = pair(lambda lib: lib.nn.BatchNorm1d, 3)
    for lib, m, mod in ((torch, t_mod, TP), (ember, e_mod, P)):
        mod.register_parametrization(m, "running_var", scale(lib, 3.0))
        mod.register_parametrization(m, "weight", scale(lib, 0.5))
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    copy_state(t_mod, e_mod)
    check_pair(t_mod, e_mod, rand(4, 3, dtype=np.float64), steps=1)
    for m, mod in ((t_mod, TP), (e_mod, P)):
        mod.remove_parametrizations(m, "running_var", leave_parametrized=False)
    assert type(e_mod).__name__ == "ParametrizedBatchNorm1d"
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    same_state(t_mod, e_mod)
    for m, mod in ((t_mod, TP), (e_mod, P)):
        mod.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert type(e_mod) is ember.nn.BatchNorm1d
    same_state(t_mod, e_mod)


def test_cached():
    m = P.register_parametrization(ember.nn.Linear(3, 3), "weight", Symmetric.make(ember))
    assert m.weight is not m.weight
    with P.cached():
        w = m.weight
        assert m.weight is w
        with P.cached():
            assert m.weight is w
        assert m.weight is w
    assert m.weight is not w
    # a deepcopy shares the parametrized class; its cached tensor is its own (torch's is not)
    m2 = copy.deepcopy(m)
    with ember.no_grad():
        m2.parametrizations.weight.original.fill_(1.0)
    with P.cached():
        w, w2 = m.weight, m2.weight
        assert w is not w2 and m2.weight is w2
    np.testing.assert_array_equal(w2.detach().numpy(), np.ones((3, 3), np.float32))


def test_errors():
    for lib, mod in ((torch, TP), (ember, P)):
        class Bad(lib.nn.Module):
            def forward(self, X):
                return X[:1]
        m = lib.nn.Linear(3, 3)
        with pytest.raises(ValueError):
            mod.register_parametrization(m, "nope", Bad())
        with pytest.raises(ValueError, match="may not change the shape"):
            mod.register_parametrization(m, "weight", Bad())
        mod.register_parametrization(m, "weight", Bad(), unsafe=True)
        assert tuple(m.weight.shape) == (1, 3)
        with pytest.raises(RuntimeError, match="does not implement right_inverse"):
            m.weight = lib.zeros(3, 3)
        with pytest.raises(ValueError):
            mod.remove_parametrizations(m, "bias")
        with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
            import pickle
            pickle.dumps(m)
        c = copy.deepcopy(m)
        assert type(c).__name__ == "ParametrizedLinear" and c.weight.shape == m.weight.shape


def test_transfer_parametrizations_and_params():
    a = P.register_parametrization(ember.nn.Linear(3, 3), "weight", Symmetric.make(ember))
    b = ember.nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(a, b)
    assert P.is_parametrized(b, "weight")
    assert b.parametrizations.weight.original is a.parametrizations.weight.original


# ---- parametrizations.weight_norm ----------------------------------------------------------------
MODULES = [
    (lambda lib: lib.nn.Linear, (5, 4), (3, 5)),
    (lambda lib: lib.nn.Conv2d, (3, 4, 3), (2, 3, 6, 6)),
    (lambda lib: lib.nn.ConvTranspose1d, (3, 4, 2), (2, 3, 5)),
]


@pytest.mark.parametrize("make,args,xshape", MODULES)
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm(make, args, xshape, dim):
    t_mod, e_mod = pair(make, *args)
    copy_state(t_mod, e_mod)
    torch.nn.utils.parametrizations.weight_norm(t_mod, dim=dim)
    ember.nn.utils.parametrizations.weight_norm(e_mod, dim=dim)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert "parametrizations.weight.original0" in e_mod.state_dict()
    same_state(t_mod, e_mod, 1e-12)  # g computed from the same weight
    check_pair(t_mod, e_mod, rand(*xshape, dtype=np.float64), tol=1e-10)
    assert str(e_mod) == str(t_mod)
    for m, mod in ((t_mod, TP), (e_mod, P)):
        mod.remove_parametrizations(m, "weight")
    same_state(t_mod, e_mod, 1e-10)


def test_weight_norm_loads_old_checkpoint():
    old = ember.nn.Linear(4, 3)
    with pytest.warns(FutureWarning):
        ember.nn.utils.weight_norm(old)
    new = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(4, 3))
    new.load_state_dict(old.state_dict())
    x = ember.randn(2, 4)
    np.testing.assert_allclose(new(x).detach().numpy(), old(x).detach().numpy(), rtol=1e-6)


# ---- parametrizations.spectral_norm --------------------------------------------------------------
SPECTRAL = MODULES + [(lambda lib: lib.nn.ConvTranspose2d, (3, 4, 3), (2, 3, 4, 4))]


@pytest.mark.parametrize("make,args,xshape", SPECTRAL)
@pytest.mark.parametrize("n_iter,eps", [(1, 1e-12), (3, 1e-3)])
def test_spectral_norm(make, args, xshape, n_iter, eps):
    t_mod, e_mod = pair(make, *args)
    copy_state(t_mod, e_mod)
    torch.nn.utils.parametrizations.spectral_norm(t_mod, n_power_iterations=n_iter, eps=eps)
    ember.nn.utils.parametrizations.spectral_norm(e_mod, n_power_iterations=n_iter, eps=eps)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert str(e_mod) == str(t_mod)
    copy_state(t_mod, e_mod)  # torch's u and v (random starts, then 15 steps)
    x = rand(*xshape, dtype=np.float64)
    check_pair(t_mod, e_mod, x, steps=3, tol=1e-10)  # training: the buffers move each step
    t_mod.eval(), e_mod.eval()
    check_pair(t_mod, e_mod, x, steps=2, tol=1e-10)


def test_spectral_norm_dims_and_vectors():
    t_mod, e_mod = pair(lambda lib: lib.nn.Linear, 4, 3)
    copy_state(t_mod, e_mod)
    for lib, m in ((torch, t_mod), (ember, e_mod)):
        lib.nn.utils.parametrizations.spectral_norm(m, dim=1)
        lib.nn.utils.parametrizations.spectral_norm(m, "bias")  # 1-D: plain normalization
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    copy_state(t_mod, e_mod)
    check_pair(t_mod, e_mod, rand(2, 4, dtype=np.float64), tol=1e-10)
    e = ember.nn.Linear(3, 3)
    with pytest.raises(IndexError):
        ember.nn.utils.parametrizations.spectral_norm(e, dim=2)
    with pytest.raises(ValueError):
        ember.nn.utils.parametrizations.spectral_norm(e, n_power_iterations=0)
    with pytest.raises(ValueError):
        ember.nn.utils.parametrizations.spectral_norm(e, "nope")


def test_spectral_norm_power_iteration_from_same_start():
    # the 15 steps at registration, from torch's initial u and v, give torch's buffers
    torch.manual_seed(3)
    w = torch.randn(5, 4, dtype=torch.float64)
    mat = ember.tensor(w.numpy())
    torch.manual_seed(7)
    tsn = torch.nn.utils.parametrizations._SpectralNorm(w)
    torch.manual_seed(7)
    u0 = torch.nn.functional.normalize(w.new_empty(5).normal_(0, 1), dim=0, eps=1e-12)
    v0 = torch.nn.functional.normalize(w.new_empty(4).normal_(0, 1), dim=0, eps=1e-12)
    esn = ember.nn.utils.parametrizations._SpectralNorm(mat)
    with ember.no_grad():
        esn._u.copy_(ember.tensor(u0.numpy()))
        esn._v.copy_(ember.tensor(v0.numpy()))
    esn._power_method(mat, 15)
    np.testing.assert_allclose(esn._u.numpy(), tsn._u.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(esn._v.numpy(), tsn._v.numpy(), rtol=1e-12, atol=1e-12)
    sigma = np.linalg.svd(w.numpy(), compute_uv=False)[0]
    np.testing.assert_allclose((mat / esn(mat)).numpy(), sigma, rtol=1e-4)


def test_weight_norm_assignment_sets_both_originals():
    t_mod, e_mod = pair(lambda lib: lib.nn.Linear, 4, 3)
    copy_state(t_mod, e_mod)
    torch.nn.utils.parametrizations.weight_norm(t_mod)
    ember.nn.utils.parametrizations.weight_norm(e_mod)
    w = rand(3, 4, dtype=np.float64)
    with torch.no_grad():
        t_mod.weight = torch.tensor(w)
    with ember.no_grad():
        e_mod.weight = ember.tensor(w)
    same_state(t_mod, e_mod, 1e-12)
    np.testing.assert_allclose(e_mod.weight.detach().numpy(), w, rtol=1e-12)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(e_mod, "weight", leave_parametrized=False)
    P.remove_parametrizations(e_mod, "weight")
    TP.remove_parametrizations(t_mod, "weight")
    same_state(t_mod, e_mod, 1e-12)
    assert type(e_mod.weight) is ember.nn.Parameter and e_mod.weight.requires_grad

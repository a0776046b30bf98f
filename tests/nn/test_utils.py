"""nn.utils against torch: gradient clipping and parameter/vector conversion."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from nn.test_module import same_error
from nn.trees import assert_same_tensor, values

SHAPES = [(3, 4), (4,), (), (2, 1, 3)]


def params_with_grads(lib, scale=1.0, dtype=np.float32, none_at=None):
    ps = []
    for i, shape in enumerate(SHAPES):
        p = lib.nn.Parameter(lib.tensor(values(shape, i).astype(dtype)))
        if i != none_at:
            p.grad = lib.tensor((values(shape, 10 + i) * scale).astype(dtype))
        ps.append(p)
    return ps


def grads(ps):
    return [None if p.grad is None else p.grad.numpy().copy() for p in ps]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    tp, ep = params_with_grads(torch, none_at=1), params_with_grads(ember, none_at=1)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    en = enn.utils.clip_grad_norm_(ep, max_norm, norm_type)
    assert_same_tensor(en, tn, rtol=1e-5, atol=1e-6)
    for a, b in zip(grads(ep), grads(tp)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_float64_generator_and_single_tensor():
    tp = params_with_grads(torch, dtype=np.float64)
    ep = params_with_grads(ember, dtype=np.float64)
    tn = torch.nn.utils.clip_grad_norm_((p for p in tp), 0.1)
    en = enn.utils.clip_grad_norm_((p for p in ep), 0.1)
    assert_same_tensor(en, tn, rtol=1e-12)
    for a, b in zip(grads(ep), grads(tp)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    tn = torch.nn.utils.clip_grad_norm_(tp[0], 0.01, foreach=True)
    en = enn.utils.clip_grad_norm_(ep[0], 0.01, foreach=True)
    assert_same_tensor(en, tn, rtol=1e-12)
    np.testing.assert_allclose(grads(ep)[0], grads(tp)[0], rtol=1e-12)


def test_clip_grad_norm_empty_and_nonfinite():
    def empty(lib):
        return lib.nn.utils.clip_grad_norm_([lib.nn.Parameter(lib.ones(2))], 1.0)
    t, e = empty(torch), empty(ember)
    assert_same_tensor(e, t)
    with pytest.warns(UserWarning, match="empty generator"):
        enn.utils.clip_grad_norm_((p for p in []), 1.0)

    def nonfinite(lib):
        ps = params_with_grads(lib)
        ps[0].grad[0, 0] = float("inf")
        return lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    same_error(nonfinite)
    ps = params_with_grads(ember)
    ps[0].grad[0, 0] = float("nan")
    assert math.isnan(enn.utils.clip_grad_norm_(ps, 1.0).item())


def test_clip_grad_norm_in_training_step():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Identity())
        m.w = lib.nn.Parameter(lib.tensor(values((4, 2), 0)))
        x = lib.tensor(values((3, 2, 2), 1))
        (m(x) @ m.w).pow(2).sum().backward()
        n = lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        return n.item(), m.w.grad.numpy().copy()
    (tn, tg), (en, eg) = run(torch), run(ember)
    np.testing.assert_allclose(en, tn, rtol=1e-5)
    np.testing.assert_allclose(eg, tg, rtol=1e-5)


def test_get_total_norm_and_clip_grads_with_norm():
    tp, ep = params_with_grads(torch), params_with_grads(ember)
    tn = torch.nn.utils.get_total_norm([p.grad for p in tp], 3.0)
    en = enn.utils.get_total_norm([p.grad for p in ep], 3.0)
    assert_same_tensor(en, tn, rtol=1e-5)
    torch.nn.utils.clip_grads_with_norm_(tp, 1.0, tn)
    enn.utils.clip_grads_with_norm_(ep, 1.0, en)
    for a, b in zip(grads(ep), grads(tp)):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_clip_grad_norm_deprecated_alias():
    with pytest.warns(FutureWarning):
        enn.utils.clip_grad_norm(params_with_grads(ember), 1.0)


@pytest.mark.parametrize("clip", [0.1, 1, 10.0])
def test_clip_grad_value(clip):
    tp, ep = params_with_grads(torch, scale=3.0, none_at=2), params_with_grads(ember, scale=3.0,
                                                                                none_at=2)
    assert torch.nn.utils.clip_grad_value_(tp, clip) is None
    assert enn.utils.clip_grad_value_(ep, clip) is None
    for a, b in zip(grads(ep), grads(tp)):
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_array_equal(a, b)
    one = params_with_grads(ember)[0]
    enn.utils.clip_grad_value_(one, 0.2)
    assert np.abs(one.grad.numpy()).max() <= 0.2


def test_clip_does_not_record_graph():
    ps = params_with_grads(ember)
    for p in ps:
        p.grad.requires_grad_(True)
    enn.utils.clip_grad_norm_(ps, 0.1)
    enn.utils.clip_grad_value_(ps, 0.01)
    assert all(p.grad.grad_fn is None for p in ps)


def test_parameters_to_vector_and_back():
    tp, ep = params_with_grads(torch), params_with_grads(ember)
    tv = torch.nn.utils.parameters_to_vector(tp)
    ev = enn.utils.parameters_to_vector(ep)
    assert_same_tensor(ev, tv)
    ev.sum().backward()  # differentiable, like torch's
    assert ep[0].grad is not None
    ids = [id(p) for p in ep]
    new = np.arange(ev.numel(), dtype=np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tp)
    enn.utils.vector_to_parameters(ember.tensor(new), ep)
    assert [id(p) for p in ep] == ids
    for a, b in zip(ep, tp):
        assert isinstance(a, enn.Parameter)
        assert_same_tensor(a, b)
    same_error(lambda lib: lib.nn.utils.vector_to_parameters([1.0], params_with_grads(lib)))


def test_module_parameters_to_vector_roundtrip():
    def run(lib):
        m = lib.nn.ModuleList([lib.nn.ParameterList([lib.ones(2, 2), lib.zeros(3)])])
        v = lib.nn.utils.parameters_to_vector(m.parameters())
        with warnings.catch_warnings():
            lib.nn.utils.vector_to_parameters(v.detach() * 2 + 1, m.parameters())
        return [p.tolist() for p in m.parameters()]
    assert run(ember) == run(torch)

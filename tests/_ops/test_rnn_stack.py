"""The layers of a unidirectional RNN run together as a wavefront (``_ops/rnn_stack.py``): against
torch, against the same module run layer by layer (dropout in training included), gradients only
where needed, double backward, in-place checks and when the stack is used at all. Small shapes
with the ``chunked`` fixture (chunks of 2 rows, a second thread forced on, the hidden-size
threshold off)."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.modules.rnn as M
from ember._ops import _parallel
from ember._ops import rnn_stack as S
from helpers import rand
from nn.test_rnn import F64, MODULES, check, leaf, pair, states
from nn.test_rnn_utils import packed_call
from _ops.test_rnn_chunks import chunked, stack_tasks  # noqa: F401  (a fixture)


def layer_by_layer(monkeypatch):
    monkeypatch.setattr(M, "rnn_stack", lambda *a: None)


def run_both(monkeypatch, make, x, *, train=True, seed=0, hx=None):
    """Outputs and gradients (input, hx, every parameter) of the module ``make()`` builds, as a
    stack and layer by layer, from the same seed: ``(stack, layered)``."""
    res = []
    for stacked in (True, False):
        monkeypatch.setattr(M, "rnn_stack", S.rnn_stack if stacked else lambda *a: None)
        em = make()
        em.train(train)
        ember.manual_seed(seed)
        ex = ember.tensor(x, requires_grad=True)
        states = [ember.tensor(h, requires_grad=True)
                  for h in (() if hx is None else hx if isinstance(hx, tuple) else (hx,))]
        args = (ex,) if hx is None else (ex, tuple(states) if isinstance(hx, tuple) else states[0])
        out, h = em(*args)
        hs = h if isinstance(h, tuple) else (h,)
        w = np.random.default_rng(5)  # the same loss weights for both runs
        loss = sum((t * ember.tensor(w.standard_normal(t.shape))).sum() for t in (out, *hs))
        loss.backward()
        grads = [ex.grad] + [p.grad for p in em.parameters()] + [t.grad for t in states]
        res.append(([out, *hs], grads))
        assert (out.grad_fn.name() == "RnnStackBackward0") == stacked
    return res


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("layers", [2, 3])
def test_stack_against_torch(chunked, name, layers):  # noqa: F811
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, layers, **kw)
    check(tm, em, rand(7, 3, 3, dtype=F64), states(name, layers, 1, 3, 4, kw.get("proj_size")))
    check(tm, em, rand(7, 4, 3, dtype=F64), call=packed_call([7, 2, 5, 1], False))


@pytest.mark.parametrize("name", ["lstm", "lstm_proj", "gru", "rnn_relu"])
def test_stack_with_dropout_is_the_layers_with_dropout(chunked, monkeypatch, name):  # noqa: F811
    """Training mode: the dropout masks are drawn in F.dropout's order, so the stack gives what
    the layers and F.dropout give one after the other (the weight gradients are summed in
    another order: equal to rounding)."""
    cls, kw = MODULES[name]

    def make():
        ember.manual_seed(1)
        return getattr(ember.nn, cls)(3, 4, 3, dropout=0.4, **kw).double()
    x = rand(6, 2, 3, dtype=F64)
    hx = states(name, 3, 1, 2, 4, kw.get("proj_size"))
    (outs_s, grads_s), (outs_l, grads_l) = run_both(monkeypatch, make, x, hx=hx)
    for a, b in zip(outs_s, outs_l):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    for a, b in zip(grads_s, grads_l):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)
    # and dropout did drop: another seed gives other outputs
    (outs_o, _), _ = run_both(monkeypatch, make, x, hx=hx, seed=7)
    assert not np.allclose(outs_o[0].detach().numpy(), outs_s[0].detach().numpy())


def test_only_upper_layers_get_gradients(chunked, monkeypatch):  # noqa: F811
    """Backward through time stops at the lowest layer with a parameter that needs a gradient
    (nothing below needs one)."""
    def make():
        ember.manual_seed(1)
        m = ember.nn.LSTM(3, 4, 3).double()
        for n, p in m.named_parameters():
            p.requires_grad_(n.endswith("l2"))
        return m
    x = rand(6, 2, 3, dtype=F64)
    res = []
    for stacked in (True, False):
        if not stacked:
            layer_by_layer(monkeypatch)
        m = make()
        m(ember.tensor(x))[0].pow(2).sum().backward()
        res.append({n: p.grad for n, p in m.named_parameters()})
    for n, g in res[0].items():
        if n.endswith("l2"):
            np.testing.assert_allclose(g.numpy(), res[1][n].numpy(), rtol=1e-12)
        else:
            assert g is None and res[1][n] is None
    mine, pool = stack_tasks(chunked[1])
    # forward: 3 layers x 6 steps x (loop, projection) + 3 x 1 group of factors; backward: the
    # top layer's loop over 6 steps and its 4 gates' weight gradients only
    assert mine + pool == 3 * 6 * 2 + 3 + 6 + 4


def test_double_backward_through_the_stack(chunked):  # noqa: F811
    tm, em = pair("GRU", 2, 3, 2)
    x = rand(4, 2, 2, dtype=F64)
    res = []
    for lib, m in ((torch, tm), (ember, em)):
        xt = leaf(lib, x)
        out = m(xt)[0]
        if lib is ember:
            assert out.grad_fn.name() == "RnnStackBackward0"
        (g,) = lib.autograd.grad(out.pow(2).sum(), xt, create_graph=True)
        g.pow(2).sum().backward()
        res.append((g.detach().numpy(), xt.grad.numpy(), m.weight_hh_l1.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_double_backward_with_dropout_uses_the_forward_masks(chunked, monkeypatch):  # noqa: F811
    data = rand(4, 2, 2, dtype=F64)

    def grads(stacked):
        if not stacked:
            layer_by_layer(monkeypatch)
        ember.manual_seed(3)
        m = ember.nn.LSTM(2, 3, 2, dropout=0.5).double()
        x = ember.tensor(data, requires_grad=True)
        (g,) = ember.autograd.grad(m(x)[0].pow(2).sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        return g.detach().numpy(), x.grad.numpy()
    for a, b in zip(grads(True), grads(False)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_graph_keeps_only_what_backward_reads(chunked):  # noqa: F811
    """The forward kernels' buffers and weight copies go when forward ends (they doubled the
    memory a stack held until backward)."""
    out, _ = ember.nn.LSTM(3, 4, 2)(ember.tensor(rand(5, 2, 3), requires_grad=True))
    for lay in out.grad_fn.layers:
        assert lay.proj is None and lay.loop is None and lay.after is None and lay.C is None
    out.sum().backward()


def test_inplace_changes_are_caught(chunked):  # noqa: F811
    em = ember.nn.GRU(3, 4, 2)
    x = ember.tensor(rand(4, 2, 3), requires_grad=True)
    out, _ = em(x)
    loss = out.sum()
    out[1].mul_(2)
    with pytest.raises(RuntimeError, match="output 0 of RnnStackBackward0"):
        loss.backward()
    out = em(x)[0].sum()
    with ember.no_grad():
        em.weight_ih_l1.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_no_grad_and_inputs_without_grad(chunked):  # noqa: F811
    tm, em = pair("LSTM", 3, 4, 2)
    x = rand(5, 2, 3, dtype=F64)
    with ember.no_grad():
        out, (h, c) = em(ember.tensor(x, requires_grad=True))
    assert out.grad_fn is None and h.shape == (2, 2, 4)
    np.testing.assert_allclose(out.numpy(), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-9)
    out, _ = em(ember.tensor(x))  # the input needs no gradient: no input-gradient products
    out.sum().backward()
    assert em.weight_ih_l0.grad is not None


def test_the_stack_runs_only_where_it_pays(monkeypatch):
    calls = []
    run_tasks = _parallel.run_tasks
    monkeypatch.setattr(_parallel, "run_tasks", lambda tasks: calls.append(1) or run_tasks(tasks))
    monkeypatch.setattr(_parallel, "overlapping", lambda: True)
    x = ember.randn(40, 8, 16)
    for hidden, layers, bidirectional, used in ((S._MIN_HIDDEN, 2, False, True),
                                                (S._MIN_HIDDEN - 1, 2, False, False),
                                                (S._MIN_HIDDEN, 1, False, False),
                                                (S._MIN_HIDDEN, 2, True, False)):
        calls.clear()
        out, _ = ember.nn.GRU(16, hidden, layers, bidirectional=bidirectional)(x)
        assert bool(calls) == used, (hidden, layers, bidirectional)
        assert (out.grad_fn.name() == "RnnStackBackward0") == used


def test_a_real_size_stack_against_layer_by_layer(monkeypatch):
    """At 384 hidden units, with the real chunking and both threads (forced on for pytest): the
    same outputs and, to rounding, the same gradients as layer by layer."""
    monkeypatch.setattr(_parallel, "overlapping", lambda: True)
    x = rand(40, 8, 8)  # 320 rows: chunks of up to 128
    res = []
    for stacked in (True, False):
        monkeypatch.setattr(M, "rnn_stack", S.rnn_stack if stacked else lambda *a: None)
        ember.manual_seed(0)
        m = ember.nn.LSTM(8, S._MIN_HIDDEN, 2)
        ex = ember.tensor(x, requires_grad=True)
        out, (h, c) = m(ex)
        assert (out.grad_fn.name() == "RnnStackBackward0") == stacked
        (out.sum() + h.sum() + c.sum()).backward()
        res.append([out.detach().numpy(), ex.grad.numpy()]
                   + [p.grad.numpy() for p in m.parameters()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)

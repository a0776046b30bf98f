"""nn.RNN / LSTM / GRU and the cells against torch: torch's weights are copied into the ember
module, then outputs, final states and the gradients of the input, the initial states and every
parameter are compared (padded, batch-first, packed, unbatched, bidirectional, projected)."""
import numpy as np
import pytest
import torch

import ember
from helpers import rand

F32, F64 = np.float32, np.float64
TOL = {F32: dict(rtol=2e-4, atol=2e-5), F64: dict(rtol=1e-9, atol=1e-10)}

MODULES = {  # name: (class name, extra constructor kwargs)
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 2}),
    "gru": ("GRU", {}),
}


def pair(cls, *args, dtype=F64, **kw):
    """The same module in torch and ember; torch's initial weights copied into ember's."""
    tm = getattr(torch.nn, cls)(*args, **kw)
    em = getattr(ember.nn, cls)(*args, **kw)
    if dtype == F64:
        tm, em = tm.double(), em.double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    return tm, em


def leaf(lib, a):
    if a is None:
        return None
    if lib is torch:
        return torch.tensor(a, requires_grad=True)
    return ember.tensor(a, requires_grad=True)


def flat(out):
    """Output tensors of a module call, in order (PackedSequence -> its data)."""
    if isinstance(out, (torch.nn.utils.rnn.PackedSequence, ember.nn.utils.rnn.PackedSequence)):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def check(tm, em, x, hx=None, call=None, dtype=F64, grad=True):
    """Call both modules on the same inputs; compare every output and every gradient."""
    tol = TOL[dtype]
    call = call or (lambda lib, m, x, h: m(x) if h is None else m(x, h))
    tx, ex = leaf(torch, x), leaf(ember, x)
    hs = hx if isinstance(hx, tuple) else (hx,)
    th = tuple(leaf(torch, h) for h in hs)
    eh = tuple(leaf(ember, h) for h in hs)
    t_out = flat(call(torch, tm, tx, th if isinstance(hx, tuple) else th[0]))
    e_out = flat(call(ember, em, ex, eh if isinstance(hx, tuple) else eh[0]))
    assert len(t_out) == len(e_out)
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert tuple(e.shape) == tuple(t.shape), (i, e.shape, t.shape)
        assert str(e.dtype)[6:] == str(t.dtype)[6:]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol,
                                   err_msg=f"output {i}")
    if not grad:
        return
    ups = [rand(*t.shape, dtype=dtype) for t in t_out]
    torch.autograd.backward(t_out, [torch.tensor(u) for u in ups])
    ember.autograd.backward(e_out, [ember.tensor(u) for u in ups])
    pairs = [("input", ex, tx)] + [(f"hx[{i}]", e, t) for i, (e, t) in enumerate(zip(eh, th))]
    pairs += [(n, p, dict(tm.named_parameters())[n]) for n, p in em.named_parameters()]
    for name, e, t in pairs:
        if t is None:
            continue
        assert e.grad is not None, name
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")


def states(name, L, D, B, H, P=None, dtype=F64):
    shape = (L * D, B) if B else (L * D,)
    h = rand(*shape, P or H, dtype=dtype)
    return (h, rand(*shape, H, dtype=dtype)) if name.startswith("lstm") else h


# ---- padded sequences ----------------------------------------------------------------------------
CONFIGS = [  # num_layers, initial states, bias
    (1, False, True), (2, True, True), (3, True, False), (2, False, False)]


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("layers,with_hx,bias", CONFIGS)
def test_modules(name, bidirectional, batch_first, layers, with_hx, bias):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional, **kw)
    T, B = 5, 3
    x = rand(B, T, 3, dtype=F64) if batch_first else rand(T, B, 3, dtype=F64)
    D = 2 if bidirectional else 1
    hx = states(name, layers, D, B, 4, kw.get("proj_size"), F64) if with_hx else None
    check(tm, em, x, hx)


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_float32(name, bidirectional):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 2, bidirectional=bidirectional, dtype=F32, **kw)
    D = 2 if bidirectional else 1
    hx = states(name, 2, D, 3, 4, kw.get("proj_size"), F32)
    check(tm, em, rand(6, 3, 3), hx, dtype=F32)
    out = em(ember.tensor(rand(6, 3, 3)))
    assert all(t.dtype == ember.float32 for t in flat(out))


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("with_hx", [False, True])
def test_unbatched(name, with_hx):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 2, bidirectional=True, **kw)
    hx = states(name, 2, 2, 0, 4, kw.get("proj_size")) if with_hx else None
    check(tm, em, rand(5, 3, dtype=F64), hx)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh"])
def test_long_sequence(name):
    # 500 steps: the loop over time and backward through time stay exact and iterative
    cls, kw = MODULES[name]
    tm, em = pair(cls, 2, 3, **kw)
    check(tm, em, rand(500, 2, 2, dtype=F64))
    tm, em = pair(cls, 2, 3, dtype=F32, **kw)
    check(tm, em, rand(500, 2, 2), dtype=F32)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_dropout_eval_mode_and_train(name):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 3, dropout=0.5, **kw)
    tm.eval()
    em.eval()
    check(tm, em, rand(4, 2, 3, dtype=F64))
    em.train()  # training: dropout changes the output, and backward still runs
    x = ember.tensor(rand(4, 2, 3, dtype=F64), requires_grad=True)
    a, b = em(x)[0], em(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    a.sum().backward()
    assert x.grad is not None


def test_dropout_one_zeros_between_layers():
    em = ember.nn.GRU(3, 4, 2, dropout=1.0)
    tm = torch.nn.GRU(3, 4, 2, dropout=1.0)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = rand(4, 2, 3)
    np.testing.assert_allclose(em(ember.tensor(x))[0].detach().numpy(),
                               tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_inputs_needing_no_grad_and_no_grad_mode():
    tm, em = pair("LSTM", 3, 4, 2)
    x = rand(5, 2, 3, dtype=F64)
    for p in em.parameters():
        p.requires_grad_(False)
    ex = ember.tensor(x, requires_grad=True)
    em(ex)[0].sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tm(tx)[0].sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    with ember.no_grad():
        out, (h, c) = em(ember.tensor(x, requires_grad=True))
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_allclose(out.numpy(), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-9)


def test_only_final_state_used():
    # the output sequence gets no gradient (None into the fused node), as in encoder models
    tm, em = pair("GRU", 3, 4, 2, bidirectional=True)
    check(tm, em, rand(5, 2, 3, dtype=F64), call=lambda lib, m, x, h: m(x)[1])
    tm, em = pair("LSTM", 3, 4)
    check(tm, em, rand(5, 2, 3, dtype=F64), call=lambda lib, m, x, h: m(x)[1][1])


def test_double_backward_against_torch():
    tm, em = pair("LSTM", 2, 3)
    x = rand(3, 2, 2, dtype=F64)
    res = []
    for lib, m in ((torch, tm), (ember, em)):
        xt = leaf(lib, x)
        out = m(xt)[0]
        (g,) = lib.autograd.grad(out.pow(2).sum(), xt, create_graph=True)
        g.pow(2).sum().backward()
        res.append((g.detach().numpy(), xt.grad.numpy(), m.weight_hh_l0.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_gradcheck_fused_layer():
    em = ember.nn.GRU(2, 3, bidirectional=True).double()
    x = ember.tensor(rand(3, 2, 2, dtype=F64), requires_grad=True)
    h = ember.tensor(rand(2, 2, 3, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, h: em(x, h)[0], (x, h))


def test_backward_twice_and_inplace_modification():
    em = ember.nn.LSTM(3, 4)
    x = ember.tensor(rand(4, 2, 3), requires_grad=True)
    out = em(x)[0].sum()
    out.backward(retain_graph=True)
    out.backward()
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()
    out = em(x)[0].sum()
    with ember.no_grad():
        em.weight_hh_l0.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()
    for name in ("lstm", "gru", "rnn_tanh"):  # the output sequence is read by backward too
        em = getattr(ember.nn, MODULES[name][0])(3, 4)
        out, _ = em(x)
        loss = out.sum()
        out[1].mul_(2)
        with pytest.raises(RuntimeError, match="output 0 of RnnLayerBackward0"):
            loss.backward()


# ---- cells ---------------------------------------------------------------------------------------
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
         ("GRUCell", {})]


@pytest.mark.parametrize("cls,kw", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("dtype", [F32, F64])
def test_cells(cls, kw, bias, with_hx, batched, dtype):
    tm, em = pair(cls, 3, 4, bias=bias, dtype=dtype, **kw)
    lead = (2,) if batched else ()
    x = rand(*lead, 3, dtype=dtype)
    hx = None
    if with_hx:
        hx = rand(*lead, 4, dtype=dtype)
        if cls == "LSTMCell":
            hx = (hx, rand(*lead, 4, dtype=dtype))
    check(tm, em, x, hx, dtype=dtype)


def test_cell_loop_matches_layer():
    # a cell unrolled by hand gives the layer's result (same parameters)
    lstm = ember.nn.LSTM(3, 4)
    cell = ember.nn.LSTMCell(3, 4)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = ember.tensor(rand(6, 2, 3))
    h = c = ember.zeros(2, 4)
    outs = []
    for t in range(6):
        h, c = cell(x[t], (h, c))
        outs.append(h)
    np.testing.assert_allclose(ember.stack(outs).detach().numpy(), lstm(x)[0].detach().numpy(),
                               rtol=1e-5, atol=1e-6)

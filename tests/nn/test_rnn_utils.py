"""nn.utils.rnn against torch (PackedSequence, pack/pad and their gradients), and the RNN modules
on packed batches of uneven lengths."""
import numpy as np
import pytest
import torch

import ember
from helpers import compare, rand
from nn.test_module import same_error
from nn.test_rnn import F32, F64, MODULES, check, pair, states

TU, EU = torch.nn.utils.rnn, ember.nn.utils.rnn


def U(lib):
    return lib.nn.utils.rnn


def packed_list(p):
    return [p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices]


# ---- pack / pad utilities ------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [
    ([5, 3, 3, 1], True), ([2, 5, 1, 5], False), ([4, 4, 4, 4], True), ([1, 3, 2, 3], False)])
@pytest.mark.parametrize("feat", [(), (3,), (2, 2)])
def test_pack_padded_sequence(batch_first, lengths, enforce_sorted, feat):
    shape = (4, 5) if batch_first else (5, 4)

    def fn(lib, x):
        p = U(lib).pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        return [t for t in packed_list(p) if t is not None]
    compare(fn, rand(*shape, *feat))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 7])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 3, 1], True), ([2, 5, 1, 4], False)])
def test_pad_packed_sequence(batch_first, total_length, lengths, enforce_sorted):
    def fn(lib, x):
        p = U(lib).pack_padded_sequence(x, lib.tensor(lengths), False, enforce_sorted)
        return U(lib).pad_packed_sequence(p, batch_first, -1.5, total_length)
    compare(fn, rand(5, 4, 3))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("feat", [(), (2,), (2, 3)])
def test_pad_sequence(batch_first, side, feat):
    def fn(lib, a, b, c):
        return U(lib).pad_sequence([a, b, c], batch_first, 0.5, side)
    compare(fn, rand(3, *feat), rand(5, *feat), rand(1, *feat))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack(enforce_sorted):
    lens = [4, 2, 1] if enforce_sorted else [2, 4, 1]

    def fn(lib, a, b, c):
        p = U(lib).pack_sequence([a, b, c], enforce_sorted)
        return [t for t in packed_list(p) if t is not None] + U(lib).unpack_sequence(p)
    compare(fn, *(rand(n, 3) for n in lens))


def test_unpad_sequence():
    for bf in (False, True):
        def fn(lib, x):
            return U(lib).unpad_sequence(x.clone(), lib.tensor([3, 1, 2]), batch_first=bf)
        compare(fn, rand(3, 3, 2))


def test_packed_sequence_object():
    t = TU.pack_sequence([torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0])])
    e = EU.pack_sequence([ember.tensor([1.0, 2.0, 3.0]), ember.tensor([4.0, 5.0])])
    assert repr(e).replace("ember.", "torch.") == repr(t)
    assert isinstance(e, tuple) and e._fields == t._fields
    data, batch_sizes, si, ui = e
    assert batch_sizes.tolist() == [2, 2, 1] and si is None and ui is None
    assert e.double().data.dtype == ember.float64
    assert e.to(ember.float64).data.dtype == ember.float64
    assert e.to(ember.float32) is e and not e.is_cuda and e.cpu().data is e.data
    # built by hand: unsorted_indices is the inverse permutation
    p = EU.PackedSequence(e.data, e.batch_sizes, ember.tensor([1, 2, 0]))
    assert p.unsorted_indices.tolist() == [2, 0, 1]
    p = EU.PackedSequence((e.data, e.batch_sizes))
    assert p.batch_sizes is e.batch_sizes
    assert EU.invert_permutation(ember.tensor([2, 0, 1])).tolist() == \
        TU.invert_permutation(torch.tensor([2, 0, 1])).tolist()


def test_utils_errors():
    x = rand(4, 3, 2)
    same_error(lambda lib: U(lib).pack_padded_sequence(lib.tensor(x), [2, 3, 1]))
    same_error(lambda lib: U(lib).pack_padded_sequence(lib.tensor(x), [3, 2, 0]))
    same_error(lambda lib: U(lib).pack_padded_sequence(lib.tensor(x), [3, 2]))
    same_error(lambda lib: U(lib).pack_padded_sequence(lib.tensor(x), lib.tensor([[3, 2, 1]])))
    same_error(lambda lib: U(lib).pad_sequence([]))
    same_error(lambda lib: U(lib).pad_sequence(5))
    same_error(lambda lib: U(lib).pad_sequence([lib.ones(2, 3), lib.ones(3, 2)]))
    same_error(lambda lib: U(lib).pad_sequence([lib.ones(2)], padding_side="mid"))
    same_error(lambda lib: U(lib).pad_packed_sequence(
        U(lib).pack_padded_sequence(lib.tensor(x), [3, 2, 1]), total_length=2))


# ---- RNN modules on packed batches ---------------------------------------------------------------
def packed_call(lengths, enforce_sorted):
    def call(lib, m, x, h):
        p = U(lib).pack_padded_sequence(x, lengths, m.batch_first, enforce_sorted)
        out = m(p) if h is None else m(p, h)
        return (out, U(lib).pad_packed_sequence(out[0], m.batch_first)[0])
    return call


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 3, 1], True), ([2, 5, 1, 4], False)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_modules_packed(name, bidirectional, lengths, enforce_sorted, with_hx):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 2, bidirectional=bidirectional, **kw)
    D = 2 if bidirectional else 1
    hx = states(name, 2, D, 4, 4, kw.get("proj_size")) if with_hx else None
    check(tm, em, rand(5, 4, 3, dtype=F64), hx, call=packed_call(lengths, enforce_sorted))


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_modules_packed_batch_first_float32(name):
    cls, kw = MODULES[name]
    tm, em = pair(cls, 3, 4, 1, batch_first=True, bidirectional=True, dtype=F32, **kw)
    check(tm, em, rand(4, 6, 3), call=packed_call([6, 2, 5, 1], False), dtype=F32)


def test_packed_output_is_packed_sequence():
    em = ember.nn.LSTM(3, 4)
    p = EU.pack_sequence([ember.tensor(rand(3, 3)), ember.tensor(rand(2, 3))])
    out, (h, c) = em(p)
    assert isinstance(out, EU.PackedSequence)
    assert out.batch_sizes is p.batch_sizes and out.data.shape == (5, 4)
    assert h.shape == (1, 2, 4) and c.shape == (1, 2, 4)


@pytest.mark.parametrize("name", ["lstm_proj", "gru", "rnn_relu"])
def test_packed_double_backward(name):
    # create_graph through the fused node: backward recomputes the layer from Tensor ops
    cls, kw = MODULES[name]
    tm, em = pair(cls, 2, 3, bidirectional=True, **kw)
    x = rand(4, 3, 2, dtype=F64)
    res = []
    for lib, m in ((torch, tm), (ember, em)):
        xt = lib.tensor(x, requires_grad=True)
        p = U(lib).pack_padded_sequence(xt, [2, 4, 1], enforce_sorted=False)
        out, h = m(p)
        h = h[0] if isinstance(h, tuple) else h
        loss = out.data.pow(2).sum() + h.pow(3).sum()
        (g,) = lib.autograd.grad(loss, xt, create_graph=True)
        g.pow(2).sum().backward()
        res.append([g.detach().numpy(), xt.grad.numpy()]
                   + [q.grad.numpy() for q in m.parameters()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)

"""F.embedding and nn.Embedding against torch: lookups, gradients (padding_idx, repeated indices,
scale_grad_by_freq), max_norm renormalisation, errors, initialisation, reprs and state_dicts."""
import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
from helpers import compare, rand
from nn.test_module import same_error
from nn.trees import same_repr


def idx(*shape, n=7, dtype=np.int64):
    return rand(*shape, dtype=dtype, low=0, high=n)


def emb(**kw):
    return lambda lib, i, w: lib.nn.functional.embedding(i, w, **kw)


@pytest.mark.parametrize("ishape", [(), (5,), (3, 4), (2, 3, 2), (0,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_shapes(ishape, dtype):
    compare(emb(), idx(*ishape), rand(7, 3, dtype=dtype))


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"padding_idx": 0},
                                {"scale_grad_by_freq": True},
                                {"padding_idx": 3, "scale_grad_by_freq": True}, {"sparse": False}])
def test_embedding_repeated_indices_and_padding(kw):
    i = np.array([[2, 3, 2, 6], [3, 3, 0, 2]], np.int64)
    compare(emb(**kw), i, rand(7, 4))


def test_embedding_int32_indices_and_noncontiguous_weight():
    compare(emb(), idx(3, 4, dtype=np.int32), rand(7, 3))
    compare(lambda lib, i, w: lib.nn.functional.embedding(i, w.t()), idx(6), rand(3, 7))


def test_embedding_padding_gradient_is_zero():
    w = ember.randn(5, 3, requires_grad=True)
    enn.functional.embedding(ember.tensor([1, 1, 4, 1]), w, padding_idx=1).sum().backward()
    g = w.grad.numpy()
    assert not g[1].any() and g[4].tolist() == [1.0] * 3 and not g[0].any()


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_double_backward(padding_idx):
    # NOTE: not with scale_grad_by_freq: PyTorch's double backward forgets that scaling
    # (embedding_dense_double_backward), ember's is the derivative of its backward
    def fn(lib, i, w, c):
        y = lib.nn.functional.embedding(i, w, padding_idx=padding_idx)
        (gw,) = lib.autograd.grad((y * y * c).sum(), w, create_graph=True)
        return (gw * gw).sum()
    compare(fn, np.array([1, 2, 2, 0], np.int64), rand(4, 3, dtype=np.float64),
            rand(4, 3, dtype=np.float64))


def test_embedding_double_backward_with_frequency_scaling():
    # the backward is linear in the upstream gradient u: gw = scatter(u / count); its derivative
    # w.r.t. u of sum(gw * c) is c[i] / count[i]
    w = ember.tensor(rand(4, 3), requires_grad=True)
    i = ember.tensor([1, 2, 2, 0])
    u = ember.tensor(rand(4, 3), requires_grad=True)
    c = rand(4, 3)
    y = enn.functional.embedding(i, w, padding_idx=0, scale_grad_by_freq=True)
    (gw,) = ember.autograd.grad(y, w, u, create_graph=True)
    (gu,) = ember.autograd.grad((gw * ember.tensor(c)).sum(), u)
    expected = c[[1, 2, 2, 0]] / np.array([1, 2, 2, 1.0])[:, None] * np.array([1, 1, 1, 0])[:, None]
    np.testing.assert_allclose(gu.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_embedding_max_norm(norm_type):
    w = rand(6, 4, low=-2, high=2)
    i = np.array([[0, 2, 2], [5, 1, 0]], np.int64)
    out = []
    for lib in (torch, ember):
        wt = lib.tensor(w, requires_grad=True)
        with lib.no_grad():
            wt2 = wt * 1  # a non-leaf copy renormalised in place, as a module's weight would be
        y = lib.nn.functional.embedding(lib.tensor(i), wt2, max_norm=1.0, norm_type=norm_type)
        out.append((y.numpy(), wt2.numpy(), wt2._version))
    (yt, wt_, vt), (ye, we, ve) = out
    np.testing.assert_allclose(ye, yt, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(we, wt_, rtol=1e-5, atol=1e-6)  # row 3 and 4 untouched
    assert (ve > 0) == (vt > 0)


def test_embedding_module_max_norm_against_torch():
    t = torch.nn.Embedding(10, 4, max_norm=0.5)
    e = enn.Embedding(10, 4, max_norm=0.5)
    e.weight.data.copy_(ember.tensor(t.weight.detach().numpy()))
    i = idx(3, 5, n=10)
    yt, ye = t(torch.tensor(i)), e(ember.tensor(i))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy())


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.functional.embedding(lib.tensor([1.0, 2.0]), lib.ones(4, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1, 2], dtype=lib.int16), lib.ones(4, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1, 4]), lib.ones(4, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([-1]), lib.ones(4, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(4)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(4, 3), padding_idx=4),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(4, 3), padding_idx=-5),
    lambda lib: lib.nn.Embedding(4, 3, padding_idx=4),
    lambda lib: lib.nn.Embedding(4, 3, padding_idx=-5),
    lambda lib: lib.nn.Embedding(4, 3, _weight=lib.ones(3, 3)),
    lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
])
def test_embedding_errors(fn):
    same_error(fn)


# ---- nn.Embedding --------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"padding_idx": -2}, {"max_norm": 1.5},
                                {"norm_type": 1.0}, {"scale_grad_by_freq": True},
                                {"sparse": True}])
def test_embedding_module_layout(kw):
    t, e = torch.nn.Embedding(10, 3, **kw), enn.Embedding(10, 3, **kw)
    same_repr(e, t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert e.padding_idx == t.padding_idx


def test_embedding_module_against_torch():
    t = torch.nn.Embedding(10, 4, padding_idx=3)
    e = enn.Embedding(10, 4, padding_idx=3)
    e.load_state_dict({"weight": ember.tensor(t.weight.detach().numpy())})
    i = idx(5, 6, n=10)
    yt, ye = t(torch.tensor(i)), e(ember.tensor(i))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy())
    up = rand(5, 6, 4)
    yt.backward(torch.tensor(up))
    ye.backward(ember.tensor(up))
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6,
                               atol=1e-6)


def test_embedding_init_statistics():
    m = enn.Embedding(300, 200, padding_idx=7)
    w = m.weight.detach().numpy()
    assert not w[7].any()
    rest = np.delete(w, 7, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02
    m.reset_parameters()
    assert not m.weight.detach().numpy()[7].any()
    assert m.weight.requires_grad and m.weight.dtype == ember.float32
    assert enn.Embedding(3, 2, dtype=ember.float64).weight.dtype == ember.float64
    assert not enn.Embedding(3, 2, _freeze=True).weight.requires_grad


def test_embedding_from_pretrained():
    table = ember.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    m = enn.Embedding.from_pretrained(table)
    assert not m.weight.requires_grad and m.num_embeddings == 2 and m.embedding_dim == 3
    np.testing.assert_allclose(m(ember.tensor([1])).numpy(), [[4.0, 5.1, 6.3]], rtol=1e-6)
    table[0, 0] = 9.0  # the table is shared, not copied (as in torch)
    assert m.weight[0, 0].item() == 9.0
    m2 = enn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert m2.weight.requires_grad and m2.padding_idx == 1
    assert m2.weight[1].tolist() == table[1].tolist()  # from_pretrained does not zero the pad row
    t = torch.nn.Embedding.from_pretrained(torch.tensor(table.numpy()), freeze=False,
                                           padding_idx=1)
    same_repr(m2, t)


# ---- embedding_bag -------------------------------------------------------------------------------
IDX = np.array([1, 2, 3, 4, 2, 2, 9, 0], np.int64)


def bag(offsets=None, **kw):
    def fn(lib, i, w, *p):
        o = None if offsets is None else lib.tensor(offsets)
        return lib.nn.functional.embedding_bag(i, w, o, per_sample_weights=p[0] if p else None,
                                               **kw)
    return fn


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("offsets,last", [([0, 2, 2, 5], False), ([0, 3, 8], True),
                                          ([0, 0, 3, 8], True), ([0], False), (None, False)])
def test_embedding_bag_against_torch(mode, padding_idx, offsets, last):
    i = IDX.reshape(2, 4) if offsets is None else IDX
    compare(bag(offsets, mode=mode, padding_idx=padding_idx, include_last_offset=last), i,
            rand(10, 3))


def test_embedding_bag_entries_after_the_last_offset_are_unused():
    # NOTE: not compared with torch, whose weight gradient there is uninitialised memory
    w = ember.ones(10, 3, requires_grad=True)
    y = enn.functional.embedding_bag(ember.tensor(IDX), w, ember.tensor([0, 3, 6]),
                                     include_last_offset=True, mode="sum")
    assert y.tolist() == [[3.0] * 3, [3.0] * 3]
    y.sum().backward()
    assert not w.grad.numpy()[[0, 9]].any() and w.grad.numpy()[2].tolist() == [3.0] * 3


@pytest.mark.parametrize("mode,padding_idx", [("sum", None), ("mean", None), ("sum", 2)])
def test_embedding_bag_frequency_scaling_and_float64(mode, padding_idx):
    # NOTE: against torch's F.embedding reduced bag by bag: torch's own embedding_bag scales by
    # misaligned counts on CPU (an index seen once can get 1/3 of its gradient)
    starts, ends = [0, 3, 5], [3, 5, 8]

    def fn(lib, i, w):
        kw = {"scale_grad_by_freq": True, "padding_idx": padding_idx}
        if lib is ember:
            return lib.nn.functional.embedding_bag(i, w, lib.tensor(starts), mode=mode, **kw)
        e = lib.nn.functional.embedding(i, w, **kw)
        if padding_idx is not None:  # a bag leaves its padding entries out
            e = e * (i != padding_idx).unsqueeze(1)
        return lib.stack([getattr(e[a:b], mode)(0) for a, b in zip(starts, ends)])
    compare(fn, IDX, rand(10, 3, dtype=np.float64))


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_per_sample_weights(padding_idx):
    compare(bag([0, 3, 3, 5], mode="sum", padding_idx=padding_idx), IDX, rand(10, 4), rand(8))
    compare(bag(None, mode="sum"), IDX.reshape(4, 2), rand(10, 4), rand(4, 2))


def test_embedding_bag_max_norm():
    w = rand(10, 3, low=-2, high=2)
    outs = []
    for lib in (torch, ember):
        wt = lib.tensor(w)
        y = lib.nn.functional.embedding_bag(lib.tensor(IDX), wt, lib.tensor([0, 4]), max_norm=1.0)
        outs.append((y.numpy(), wt.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_double_backward(mode):
    # (torch has no double backward here; ember's backward is made of recorded ops)
    i, o = ember.tensor(IDX), ember.tensor([0, 3, 3, 6])
    w = ember.tensor(rand(10, 3, dtype=np.float64), requires_grad=True)
    args = (w,)
    if mode == "sum":
        args += (ember.tensor(rand(8, dtype=np.float64), requires_grad=True),)

    def fn(w, *p):
        y = enn.functional.embedding_bag(i, w, o, mode=mode, per_sample_weights=p[0] if p
                                         else None, padding_idx=2)
        return y * y
    assert ember.autograd.gradcheck(fn, args)
    assert ember.autograd.gradgradcheck(fn, args)


@pytest.mark.parametrize("fn", [
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([1, 2])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0, 9])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0, 3, 2])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i.float(), w, lib.tensor([0])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0.0])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]), padding_idx=10),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]), padding_idx=-11),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]), mode="max",
                                                      per_sample_weights=lib.ones(8)),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]),
                                                      per_sample_weights=lib.ones(3)),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]), mode="sum",
                                                      per_sample_weights=lib.ones(8).double()),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]), mode="min"),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([0]), mode="max",
                                                      scale_grad_by_freq=True),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i.view(2, 4), w, lib.tensor([0])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w, lib.tensor([[0]])),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i.view(2, 2, 2), w),
    lambda lib, i, w: lib.nn.functional.embedding_bag(i, w[0], lib.tensor([0])),
    lambda lib, i, w: lib.nn.EmbeddingBag(10, 3, padding_idx=10),
])
def test_embedding_bag_errors(fn):
    same_error(lambda lib: fn(lib, lib.tensor(IDX), lib.ones(10, 3)))


def test_embedding_bag_index_out_of_range():
    # (torch's message depends on its kernel's path; the type is the same)
    for i in ([1, 2, 3, 14], [1, -1]):
        with pytest.raises(RuntimeError):
            enn.functional.embedding_bag(ember.tensor(i), ember.ones(10, 3), ember.tensor([0, 2]))


@pytest.mark.parametrize("kw", [{}, {"mode": "max", "padding_idx": 2, "max_norm": 1.0},
                                {"mode": "sum", "norm_type": 1.0, "scale_grad_by_freq": True},
                                {"padding_idx": -1, "include_last_offset": True}])
def test_embedding_bag_module(kw):
    t, e = torch.nn.EmbeddingBag(10, 3, **kw), enn.EmbeddingBag(10, 3, **kw)
    same_repr(e, t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert e.padding_idx == t.padding_idx
    if e.padding_idx is not None:
        assert not e.weight.detach().numpy()[e.padding_idx].any()
    e.load_state_dict({"weight": ember.tensor(t.weight.detach().numpy())})
    i, o = IDX, np.array([0, 3, 8] if kw.get("include_last_offset") else [0, 3])
    yt, ye = t(torch.tensor(i), torch.tensor(o)), e(ember.tensor(i), ember.tensor(o))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    b = enn.EmbeddingBag.from_pretrained(ember.tensor([[1.0, 2.0], [3.0, 5.0]]), mode="sum")
    assert not b.weight.requires_grad and b(ember.tensor([[1, 0]])).tolist() == [[4.0, 7.0]]


def test_embedding_bag_per_sample_weights_after_the_last_offset():
    p = ember.ones(8, requires_grad=True)
    w = ember.ones(10, 3, requires_grad=True)
    enn.functional.embedding_bag(ember.tensor(IDX), w, ember.tensor([0, 3, 6]), mode="sum",
                                 include_last_offset=True, per_sample_weights=p).sum().backward()
    assert p.grad.tolist() == [3.0] * 6 + [0.0, 0.0]
    (gp,) = ember.autograd.grad(
        enn.functional.embedding_bag(ember.tensor(IDX), w, ember.tensor([0, 3, 6]), mode="sum",
                                     include_last_offset=True, per_sample_weights=p).sum(),
        p, create_graph=True)
    assert gp.tolist() == [3.0] * 6 + [0.0, 0.0] and gp.requires_grad


# ---- one_hot --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (2, 3), (0,)])
@pytest.mark.parametrize("classes", [-1, 9])
def test_one_hot(shape, classes):
    if not shape[0] and classes == -1:
        return  # an error, below
    compare(lambda lib, t: lib.nn.functional.one_hot(t, classes), idx(*shape), grad=False)


def test_one_hot_errors():
    from helpers import check_raises
    oh = lambda lib, t, n=-1: lib.nn.functional.one_hot(t, n)  # noqa: E731
    check_raises(oh, np.array([0, -1], np.int64), match="non-negative")
    check_raises(lambda lib, t: oh(lib, t, 3), np.array([0, 3], np.int64), match="smaller than")
    check_raises(oh, np.zeros(0, np.int64), match="empty tensor")
    check_raises(oh, np.array([1], np.int32), match="LongTensor")

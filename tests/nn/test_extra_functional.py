"""F.pdist, F.gumbel_softmax, F.channel_shuffle / nn.ChannelShuffle, F.multilabel_margin_loss /
nn.MultiLabelMarginLoss and F.triplet_margin_with_distance_loss / nn.TripletMarginWithDistanceLoss
against torch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand

DTYPES = [np.float32, np.float64]


# ---- pdist ---------------------------------------------------------------------------------------

def test_pdist_is_the_top_level_op():
    assert ember.nn.functional.pdist is ember.pdist


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_pdist(dtype, p):
    compare(lambda lib, x: lib.nn.functional.pdist(x, p), rand(5, 3, dtype=dtype))


# ---- gumbel_softmax ------------------------------------------------------------------------------

def _with_noise(monkeypatch, noise):
    """Make both libraries' ``exponential_`` fill the tensor with ``noise``."""
    def torch_fill(self, *args, **kwargs):
        with torch.no_grad():
            return self.copy_(torch.from_numpy(noise.astype(self.numpy().dtype)))

    def ember_fill(self, *args, **kwargs):
        with ember.no_grad():
            return self.copy_(ember.tensor(noise.astype(self.numpy().dtype)))
    monkeypatch.setattr(torch.Tensor, "exponential_", torch_fill)
    monkeypatch.setattr(ember.Tensor, "exponential_", ember_fill)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau,dim,shape", [(1.0, -1, (4, 5)), (0.5, 0, (3, 4)), (2.0, 1, (2, 3, 4)),
                                           (1.0, -1, (1, 6))])
def test_gumbel_softmax_given_noise(monkeypatch, dtype, hard, tau, dim, shape):
    _with_noise(monkeypatch, rand(*shape, dtype=np.float64, low=0.05, high=3.0))
    out = compare(lambda lib, x: lib.nn.functional.gumbel_softmax(x, tau=tau, hard=hard, dim=dim),
                  rand(*shape, dtype=dtype))
    if hard:  # one-hot along dim
        v = out.detach().numpy()
        np.testing.assert_array_equal(v.sum(dim), np.ones(v.sum(dim).shape))
        assert set(np.unique(v)) <= {0.0, 1.0}


def test_gumbel_softmax_reproducible_and_random():
    x = ember.randn(3, 7)
    ember.manual_seed(5)
    a = ember.nn.functional.gumbel_softmax(x, tau=0.7)
    ember.manual_seed(5)
    b = ember.nn.functional.gumbel_softmax(x, tau=0.7)
    c = ember.nn.functional.gumbel_softmax(x, tau=0.7)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(b.numpy(), c.numpy())
    np.testing.assert_allclose(a.numpy().sum(-1), 1, rtol=1e-6)
    assert a.dtype == ember.float32 and a.shape == x.shape


def test_gumbel_softmax_samples_the_softmax_distribution():
    # argmax of (logits + Gumbel noise) is a sample of Categorical(softmax(logits))
    probs = np.array([0.1, 0.2, 0.7])
    logits = ember.tensor(np.log(np.tile(probs, (20000, 1))))
    y = ember.nn.functional.gumbel_softmax(logits, tau=1.0, hard=True)
    freq = y.numpy().mean(0)
    np.testing.assert_allclose(freq, probs, atol=0.015)


def test_gumbel_softmax_hard_gradient_is_straight_through():
    x = ember.randn(4, 5, requires_grad=True)
    ember.manual_seed(1)
    y = ember.nn.functional.gumbel_softmax(x, tau=0.5, hard=True)
    w = ember.randn(4, 5)
    (y * w).sum().backward()
    x2 = x.detach().requires_grad_()
    ember.manual_seed(1)
    s = ember.nn.functional.gumbel_softmax(x2, tau=0.5, hard=False)
    (s * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert np.abs(x.grad.numpy()).sum() > 0


def test_gumbel_softmax_eps_warns_and_int_refused():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        ember.nn.functional.gumbel_softmax(ember.randn(3), eps=1e-3)
    check_raises(lambda lib, x: lib.nn.functional.gumbel_softmax(x), rand(3, dtype=np.int64, high=5))


# ---- channel_shuffle -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((1, 6, 2, 3), 3), ((2, 4, 1, 2, 2), 4),
                                          ((3, 5, 2), 1), ((1, 6, 2), 6)])
def test_channel_shuffle(dtype, shape, groups):
    compare(lambda lib, x: lib.nn.functional.channel_shuffle(x, groups), rand(*shape, dtype=dtype))
    compare(lambda lib, x: lib.nn.ChannelShuffle(groups)(x), rand(*shape, dtype=dtype))


def test_channel_shuffle_int_and_values():
    compare(lambda lib, x: lib.nn.functional.channel_shuffle(x, 2),
            np.arange(16, dtype=np.int64).reshape(1, 4, 2, 2))
    out = ember.nn.functional.channel_shuffle(ember.arange(4.).reshape(1, 4, 1), 2)
    assert out.flatten().tolist() == [0.0, 2.0, 1.0, 3.0]


def test_channel_shuffle_module_repr_and_state():
    assert repr(ember.nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3)) == \
        "ChannelShuffle(groups=3)"
    assert list(ember.nn.ChannelShuffle(3).state_dict()) == []


@pytest.mark.parametrize("shape,groups,match", [
    ((2, 4), 2, r"expects input with > 2 dims, but got input with sizes \[2, 4\]"),
    ((2, 4, 3), 0, "must be positive. Value of groups:0"),
    ((2, 4, 3), 3, "Got 4 channels and 3 groups"),
])
def test_channel_shuffle_errors(shape, groups, match):
    check_raises(lambda lib, x: lib.nn.functional.channel_shuffle(x, groups), rand(*shape),
                 match=match)


# ---- multilabel_margin_loss ----------------------------------------------------------------------

def _ml_target(n, c, rng_targets):
    t = np.full((n, c), -1, np.int64)
    for i, row in enumerate(rng_targets):
        t[i, :len(row)] = row
    return t


TARGETS = {
    "mixed": _ml_target(4, 5, [[3, 0], [1], [4, 2, 0, 1, 3], []]),
    "trailing_after_stop": np.array([[1, -1, 3, 2], [0, 0, -1, 1], [2, 3, 1, 0]], np.int64),
    "one": np.array([[2, -1, -1]], np.int64),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_multilabel_margin_loss(dtype, reduction, name):
    t = TARGETS[name]
    x = rand(*t.shape, dtype=dtype, low=-2, high=2)
    compare(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
            x, t)
    compare(lambda lib, a, b: lib.nn.MultiLabelMarginLoss(reduction=reduction)(a, b), x, t)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss_1d_and_0d(reduction):
    compare(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
            rand(4, dtype=np.float64), np.array([1, 3, -1, 0], np.int64))
    compare(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
            rand(dtype=np.float64), np.array(0, np.int64))


def test_multilabel_margin_loss_value_and_legacy_args():
    loss = ember.nn.functional.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
                                                      ember.tensor([[3, 0, -1, 1]]))
    np.testing.assert_allclose(loss.item(), 0.85, rtol=1e-6)
    x, t = rand(3, 4), np.array([[1, -1, 0, 0], [0, 2, 3, -1], [3, 2, 1, 0]], np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduce=False), x, t)
        compare(lambda lib, a, b: lib.nn.MultiLabelMarginLoss(size_average=False)(a, b), x, t)
    assert repr(ember.nn.MultiLabelMarginLoss()) == repr(torch.nn.MultiLabelMarginLoss())


@pytest.mark.parametrize("x,t,match", [
    (rand(4), np.array([1, 5, 0, 0]), "out of range"),
    (rand(4), np.array([1, -2, 0, 0]), "out of range"),
    (rand(2, 4), np.array([1, -1, 0, 0]), r"inconsistent target size: \[4\] for input of size"),
    (rand(2, 4), np.array([[1, -1, 0, 0]] * 2, np.int32), "expected scalar type Long but found Int"),
    (rand(2, 0), np.zeros((2, 0), np.int64), "Expected non-empty vector or matrix"),
    (rand(2, 3, 4), np.zeros((2, 3, 4), np.int64), "Expected non-empty vector or matrix"),
    (rand(2, 3, dtype=np.float16), np.zeros((2, 3), np.int64), "not implemented for 'Half'"),
])
def test_multilabel_margin_loss_errors(x, t, match):
    check_raises(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b), x, t, match=match)


def test_multilabel_margin_loss_bad_reduction():
    check_raises(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduction="foo"),
                 rand(2, 3), np.zeros((2, 3), np.int64), match="foo is not a valid value")


# ---- triplet_margin_with_distance_loss -----------------------------------------------------------

def _l1(lib):
    return lambda a, b: (a - b).abs().sum(-1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("dist", ["default", "l1", "cosine"])
@pytest.mark.parametrize("shape", [(4, 6), (6,), (1, 3)])
def test_triplet_margin_with_distance_loss(dtype, reduction, swap, dist, shape):
    def fn(lib, a, p, n):
        d = {"default": None, "l1": _l1(lib),
             "cosine": lambda x, y: 1.0 - lib.nn.functional.cosine_similarity(x, y, dim=-1)}[dist]
        f = lib.nn.functional.triplet_margin_with_distance_loss(
            a, p, n, distance_function=d, margin=0.7, swap=swap, reduction=reduction)
        m = lib.nn.TripletMarginWithDistanceLoss(distance_function=d, margin=0.7, swap=swap,
                                                 reduction=reduction)(a, p, n)
        return f, m
    compare(fn, *(rand(*shape, dtype=dtype) for _ in range(3)))


def test_triplet_margin_with_distance_loss_module():
    e, t = ember.nn.TripletMarginWithDistanceLoss(), torch.nn.TripletMarginWithDistanceLoss()
    assert repr(e) == repr(t)
    assert isinstance(e.distance_function, ember.nn.PairwiseDistance)
    assert list(e.state_dict()) == list(t.state_dict()) == []
    e2 = ember.nn.TripletMarginWithDistanceLoss(distance_function=ember.nn.CosineSimilarity())
    t2 = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.CosineSimilarity())
    assert repr(e2) == repr(t2)
    assert (e.margin, e.swap, e.reduction) == (1.0, False, "mean")


def test_triplet_margin_with_distance_loss_errors():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0"):
            lib.nn.TripletMarginWithDistanceLoss(margin=0)
    f = "triplet_margin_with_distance_loss"
    check_raises(lambda lib, a: getattr(lib.nn.functional, f)(a, a, a, margin=-1.0), rand(2, 3),
                 match="^margin must be greater than 0, got -1.0$")
    check_raises(lambda lib, a, b: getattr(lib.nn.functional, f)(a, b, a), rand(2, 3), rand(3),
                 match="anchor 2D, positive 1D, and negative 2D inputs")
    check_raises(lambda lib, a: getattr(lib.nn.functional, f)(a, a, a, reduction="x"), rand(2, 3),
                 match="x is not a valid value for reduction")


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in both libraries."""
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as exc:
            make(lib)
        out.append((type(exc.value).__name__, str(exc.value)))
    assert out[1] == out[0]


@pytest.mark.parametrize("groups", [2.0, True, "2"])
def test_channel_shuffle_groups_must_be_int(groups):
    _same_error(lambda L: L.nn.functional.channel_shuffle(L.ones(2, 4, 3), groups))


def test_channel_shuffle_integer_groups():
    for groups in (np.int64(2), 2):
        compare(lambda lib, x: lib.nn.functional.channel_shuffle(x, groups), rand(2, 4, 3))
    compare(lambda lib, x: lib.nn.functional.channel_shuffle(x, lib.tensor(2)), rand(2, 4, 3))


def test_triplet_margin_with_distance_loss_check_order_and_messages():
    a = np.ones((3, 4), np.float32)
    f = ember.nn.functional.triplet_margin_with_distance_loss
    with pytest.raises(ValueError, match="^margin must be greater than 0, got 0$"):
        f(ember.tensor(a), ember.tensor(a), ember.tensor(a), margin=0)
    # the reduction is checked first, before the margin and the dimensions
    _same_error(lambda L: L.nn.functional.triplet_margin_with_distance_loss(
        L.tensor(a), L.tensor(a), L.tensor(a[0]), margin=-1, reduction="bad"))
    _same_error(lambda L: L.nn.functional.triplet_margin_with_distance_loss(
        L.tensor(a), L.tensor(a), L.tensor(a[0]), margin=-1))

"""F.ctc_loss and nn.CTCLoss against torch: values and gradients (PyTorch's formula)."""
import numpy as np
import pytest
import torch

import ember
import helpers
from helpers import check_raises, compare, rand


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return (x - np.log(np.exp(x).sum(axis=-1, keepdims=True))).astype(x.dtype)


def case(t, n, c, s, dtype=np.float64, low=1):
    """log_probs (T, N, C), padded targets (N, S), input and target lengths."""
    lp = log_softmax(rand(t, n, c, dtype=dtype, low=-3, high=3))
    targets = helpers.RNG.integers(low, c, size=(n, s)).astype(np.int64)
    il = helpers.RNG.integers(max(1, t // 2), t + 1, size=n).astype(np.int64)
    tl = helpers.RNG.integers(0, s + 1, size=n).astype(np.int64)
    return lp, targets, il, tl


def ctc(**kw):
    return lambda lib, lp, tg, il, tl: lib.nn.functional.ctc_loss(lp, tg, il, tl, **kw)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shape", [(1, 1, 2, 1), (6, 3, 4, 2), (12, 4, 5, 4), (30, 5, 8, 10)])
def test_values_and_grads(shape, reduction):
    lp, tg, il, tl = case(*shape)
    compare(ctc(reduction=reduction), lp, tg, tuple(il.tolist()), tuple(tl.tolist()),
            rtol=1e-9, atol=1e-9)
    compare(ctc(reduction=reduction), lp, tg, il, tl, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_float32_and_log_softmax_inside(reduction):
    lp, tg, il, tl = case(20, 3, 6, 5, dtype=np.float32)
    compare(ctc(reduction=reduction), lp, tg, il, tl, rtol=1e-4, atol=1e-5)
    x = rand(20, 3, 6, low=-3, high=3)
    compare(lambda lib, x, tg, il, tl: lib.nn.CTCLoss(reduction=reduction)(
        x.log_softmax(2), tg, il, tl), x, tg, il, tl, rtol=1e-4, atol=1e-5)


def test_repeated_labels_and_blank_elsewhere():
    # repeats need a blank between them; blank=2 sits among the labels
    lp = log_softmax(rand(9, 3, 4, dtype=np.float64, low=-2, high=2))
    tg = np.array([[1, 1, 1, 3], [3, 3, 0, 0], [0, 1, 0, 1]], np.int64)
    for kw in ({}, {"reduction": "none"}):
        compare(ctc(**kw, blank=2), lp, tg, (9, 7, 8), (4, 4, 4), rtol=1e-9, atol=1e-9)


def test_concatenated_targets():
    lp, tg, il, tl = case(10, 4, 5, 4)
    tl[1] = 0
    flat = np.concatenate([tg[i, :tl[i]] for i in range(4)]).astype(np.int64)
    for red in ("none", "mean", "sum"):
        compare(ctc(reduction=red), lp, flat, il, tl, rtol=1e-9, atol=1e-9)
    e = ember.nn.functional.ctc_loss(ember.tensor(lp), ember.tensor(tg), ember.tensor(il),
                                     ember.tensor(tl), reduction="none")
    f = ember.nn.functional.ctc_loss(ember.tensor(lp), ember.tensor(flat), ember.tensor(il),
                                     ember.tensor(tl), reduction="none")
    np.testing.assert_allclose(e.numpy(), f.numpy())


def test_zero_length_targets_and_inputs():
    lp, tg, _, _ = case(6, 4, 3, 2)
    il, tl = (6, 0, 3, 0), (0, 0, 2, 2)  # an empty target; an empty input (inf unless tl = 0)
    for red in ("none", "mean", "sum"):
        compare(ctc(reduction=red, zero_infinity=True), lp, tg, il, tl, rtol=1e-9, atol=1e-9)
    compare(ctc(reduction="none"), lp, tg, il, tl, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_infeasible_alignment(reduction):
    # 2 steps cannot emit "1 1" and the blank the repeat needs between: the loss is inf
    lp, _, _, _ = case(5, 2, 3, 2)
    tg = np.array([[1, 1], [2, 1]], np.int64)
    il, tl = (2, 5), (2, 2)
    r = ember.nn.functional.ctc_loss(ember.tensor(lp), ember.tensor(tg), il, tl, reduction="none")
    assert np.isinf(r[0].item()) and np.isfinite(r[1].item())
    compare(ctc(reduction=reduction, zero_infinity=True), lp, tg, il, tl, rtol=1e-9, atol=1e-9)
    # without zero_infinity: inf loss and, as torch, nan gradients for the infeasible sample
    compare(ctc(reduction=reduction), lp, tg, il, tl, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_unbatched(reduction):
    lp = log_softmax(rand(7, 5, dtype=np.float64))
    tg = np.array([1, 2, 2], np.int64)
    compare(lambda lib, lp, tg: lib.nn.functional.ctc_loss(lp, tg, lib.tensor(7), lib.tensor(3),
                                                           reduction=reduction),
            lp, tg, rtol=1e-9, atol=1e-9)
    compare(ctc(reduction=reduction), lp, tg, (6,), (3,), rtol=1e-9, atol=1e-9)
    compare(ctc(reduction=reduction), lp, tg[None], (6,), (3,), rtol=1e-9, atol=1e-9)


def test_int32_targets_and_lengths():
    lp, tg, il, tl = case(8, 2, 4, 3)
    compare(ctc(), lp, tg.astype(np.int32), il.astype(np.int32), tl.astype(np.int32),
            rtol=1e-9, atol=1e-9)


def test_grad_fn_names_and_module():
    lp, tg, il, tl = case(6, 2, 4, 2)
    x = ember.tensor(lp, requires_grad=True)
    for kw, name in (({"reduction": "none"}, "CtcLossBackward0"),
                     ({"reduction": "none", "zero_infinity": True}, "WhereBackward0"),
                     ({}, "MeanBackward0"), ({"reduction": "sum"}, "SumBackward0")):
        r = ember.nn.functional.ctc_loss(x, ember.tensor(tg), tuple(il), tuple(tl), **kw)
        assert type(r.grad_fn).__name__ == name
    m, tm = ember.nn.CTCLoss(blank=1, zero_infinity=True), torch.nn.CTCLoss(1, zero_infinity=True)
    assert repr(m) == repr(tm) and m.blank == 1 and m.reduction == "mean"
    assert m.state_dict() == {} and not dict(tm.state_dict())
    with ember.no_grad():
        assert ember.nn.functional.ctc_loss(x, ember.tensor(tg), il.tolist(),
                                            tl.tolist()).grad_fn is None


def test_errors():
    lp, tg, il, tl = case(5, 2, 4, 3)
    t5 = (5, 5)
    f = ember.nn.functional.ctc_loss
    for args in [(lp, tg, (6, 5), (3, 2)), (lp, tg, t5, (4, 2)), (lp, tg, (5, 5, 5), (3, 2)),
                 (lp, tg, t5, (3, 2, 1)), (lp, tg, t5, (3, -1)), (lp, tg, (5, -1), (3, 2)),
                 (lp, tg[:, :, None], t5, (1, 1)), (lp, tg[0], t5, (3, 2)),
                 (lp, tg[:1], t5, (3, 2)), (lp[..., 0], tg, t5, (3, 2)), (lp[0, 0], tg, t5, t5),
                 (lp.astype(np.float16), tg, t5, (3, 2))]:
        check_raises(lambda lib, a, b, c, d: lib.nn.functional.ctc_loss(a, b, c, d), *args)
    check_raises(lambda lib, a, b: lib.nn.functional.ctc_loss(a, b, t5, (3, 2), blank=4), lp, tg)
    check_raises(lambda lib, a, b: lib.nn.functional.ctc_loss(a, b, t5, (3, 2), reduction="x"),
                 lp, tg)
    check_raises(lambda lib, a, b, c: lib.nn.functional.ctc_loss(a, b, c, (3, 2)),
                 lp, tg, il)
    check_raises(lambda lib, a, b, c, d: lib.nn.functional.ctc_loss(a, b, c.float(), d),
                 lp, tg, il, tl)
    with pytest.raises(IndexError):
        f(ember.tensor(lp), ember.tensor(tg + 4), t5, (3, 2))
    for empty, lens in ((lp[:0], (0, 0)), (lp[:, :0], ()), (lp[..., :0], t5), (lp[:0, 0], (0,))):
        n = len(lens)
        check_raises(lambda lib, a, b: lib.nn.functional.ctc_loss(a, b, lens, (1,) * n), empty,
                     np.ones((n, 1), np.int64) if empty.ndim == 3 else np.ones(1, np.int64),
                     match="log_probs tensor must not be empty")


def test_matches_brute_force():
    # the sum over all alignments, enumerated: a check independent of torch's recursion
    import itertools
    lp = log_softmax(rand(4, 1, 3, dtype=np.float64))
    target = [1, 1]
    total = 0.0
    for path in itertools.product(range(3), repeat=4):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == target:
            total += np.exp(sum(lp[t, 0, k] for t, k in enumerate(path)))
    r = ember.nn.functional.ctc_loss(ember.tensor(lp), ember.tensor([target]), (4,), (2,),
                                     reduction="sum")
    np.testing.assert_allclose(r.item(), -np.log(total), rtol=1e-12)


def test_unnormalized_log_probs_use_torchs_formula():
    # off the log_softmax manifold the gradient is still PyTorch's exp(lp) - occupancy
    lp = rand(8, 3, 5, dtype=np.float64, low=-3, high=1)
    tg = np.array([[1, 2, 2], [3, 3, 0], [4, 1, 2]], np.int64)
    for red in ("none", "mean"):
        compare(ctc(reduction=red), lp, tg, [8, 6, 7], [3, 2, 3], rtol=1e-9, atol=1e-9)


def test_float32_zero_infinity():
    lp, _, _, _ = case(6, 2, 4, 2, dtype=np.float32)
    tg = np.array([[1, 1], [2, 3]], np.int64)
    compare(ctc(reduction="none", zero_infinity=True), lp, tg, (2, 6), (2, 2), rtol=1e-5,
            atol=1e-6)

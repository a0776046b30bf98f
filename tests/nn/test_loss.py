"""The losses other than cross-entropy against torch: values and gradients (input and float
targets) for every reduction, broadcasting warnings, stability, errors, double backward; the
modules' reprs, buffers and legacy arguments. Cross-entropy and NLL: test_loss_cross_entropy.py."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand
from nn.test_loss_cross_entropy import double_backward, gradcheck

F32, F64 = np.float32, np.float64
REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(4,), (3, 4), (2, 3, 2), ()]


def fn(name, **kw):
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kw)


def probs(*shape, dtype=F32):
    return rand(*shape, dtype=dtype, low=0.05, high=0.95)


def signs(*shape, dtype=F32):
    return np.where(rand(*shape) > 0, 1, -1).astype(dtype)


# ---- regression ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}),
                                     ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}),
                                     ("huber_loss", {"delta": 0.3})])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("dt", [F32, F64])
def test_regression_losses(name, kw, shape, red, dt):
    x, y = rand(*shape, dtype=dt, low=-2, high=2), rand(*shape, dtype=dt, low=-2, high=2)
    compare(fn(name, reduction=red, **kw), x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_kinks_and_ties(name):
    # |x - y| exactly at beta / delta, and x == y (l1's gradient sign(0) is 0)
    x = np.array([0.0, 1.0, -1.0, 2.0, 0.5, 3.0], F64)
    y = np.array([0.0, 0.0, 0.0, 1.0, 0.5, 0.0], F64)
    compare(fn(name, reduction="sum"), x, y)
    compare(fn(name, reduction="none"), x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_broadcasting_warns(name):
    x, y = rand(3, 4), rand(4)
    msg = (r"Using a target size \(ember.Size\(\[4\]\)\) that is different to the input size "
           r"\(ember.Size\(\[3, 4\]\)\)")
    with pytest.warns(UserWarning, match=msg):
        getattr(ember.nn.functional, name)(ember.tensor(x), ember.tensor(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(fn(name), x, y)
        compare(fn(name, reduction="none"), rand(3, 1), rand(4))
        check_raises(fn(name), rand(3, 4), rand(3))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight(name):
    w = rand(3, 4, low=0.1, high=2)
    for red in REDUCTIONS:
        compare(lambda lib, x, y: getattr(lib.nn.functional, name)(
            x, y, reduction=red, weight=lib.from_numpy(w.copy())), rand(3, 4), rand(3, 4))
    check_raises(lambda lib, x, y: getattr(lib.nn.functional, name)(x, y, weight=x[0]),
                 rand(3, 4), rand(3, 4))


def test_regression_mixed_dtypes_and_errors():
    compare(fn("mse_loss"), rand(3), rand(3, dtype=F64))
    compare(fn("l1_loss", reduction="none"), rand(3, dtype=F64), rand(3))
    compare(fn("smooth_l1_loss"), rand(3), rand(3, dtype=F64))
    ints = np.arange(3, dtype=np.int64)
    for name in ("mse_loss", "smooth_l1_loss", "huber_loss", "l1_loss"):
        check_raises(fn(name), ints, ints)
        check_raises(fn(name, reduction="foo"), rand(3), rand(3))
    check_raises(fn("huber_loss", delta=0), rand(3), rand(3), match="non-positive values")
    check_raises(fn("smooth_l1_loss", beta=-1), rand(3), rand(3), match="negative values")


# ---- binary classification -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("dt", [F32, F64])
def test_binary_cross_entropy(shape, red, dt):
    p, t = probs(*shape, dtype=dt), probs(*shape, dtype=dt)
    compare(fn("binary_cross_entropy", reduction=red), p, t)
    compare(fn("binary_cross_entropy_with_logits", reduction=red),
            rand(*shape, dtype=dt, low=-4, high=4), t)
    if shape:
        w = rand(shape[-1], dtype=dt, low=0.5, high=2)
        for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
            compare(lambda lib, x, t: getattr(lib.nn.functional, name)(
                x, t, weight=lib.from_numpy(w.copy()), reduction=red), p, t)


@pytest.mark.parametrize("red", REDUCTIONS)
def test_bce_with_logits_pos_weight(red):
    x, t = rand(3, 4, low=-3, high=3), probs(3, 4)
    pw, w = rand(4, low=0.5, high=3), rand(3, 1, low=0.5, high=2)
    compare(lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t, pos_weight=lib.from_numpy(pw.copy()), reduction=red), x, t)
    compare(lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t, lib.from_numpy(w.copy()), pos_weight=lib.from_numpy(pw.copy()), reduction=red), x, t)
    compare(lambda lib, x, t: lib.nn.BCEWithLogitsLoss(
        pos_weight=lib.from_numpy(pw.copy()), reduction=red)(x, t), rand(2, 3, 4), probs(2, 3, 4))


def test_bce_edges_and_stability():
    # log clamped at -100: probabilities of exactly 0 and 1 give finite losses
    p = np.array([0.0, 1.0, 0.5, 1e-30, 1 - 1e-7], F32)
    t = np.array([1.0, 0.0, 0.5, 0.0, 1.0], F32)
    compare(fn("binary_cross_entropy", reduction="none"), p, t, grad=False)
    compare(lambda lib, p, t: lib.nn.functional.binary_cross_entropy(p, t.detach()), p[2:], t[2:])
    x = np.array([1e4, -1e4, 50.0, -50.0, 0.0, 1e-3], F32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 1.0], F32)
    r = compare(fn("binary_cross_entropy_with_logits", reduction="none"), x, t)
    assert np.isfinite(r.detach().numpy()).all()
    compare(fn("binary_cross_entropy_with_logits"), x.astype(F64), t.astype(F64))


def test_bce_errors():
    p = probs(3)
    check_raises(fn("binary_cross_entropy"), p, probs(3, 1), match="Using a target size")
    check_raises(fn("binary_cross_entropy"), np.array([1.5], F32), probs(1),
                 match="all elements of input should be between 0 and 1")
    check_raises(fn("binary_cross_entropy"), np.array([np.nan], F32), probs(1))
    check_raises(fn("binary_cross_entropy"), p, probs(3, dtype=F64),
                 match="Found dtype Double but expected Float")
    check_raises(lambda lib, p, t: lib.nn.functional.binary_cross_entropy(p, t, weight=p[:2]),
                 probs(3, 4), probs(3, 4))
    check_raises(fn("binary_cross_entropy_with_logits"), p, probs(3, 1),
                 match=r"Target size \(ember.Size\(\[3, 1\]\)\) must be the same as input size")
    check_raises(fn("binary_cross_entropy_with_logits"), p, np.ones(3, np.int64))
    check_raises(lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t, pos_weight=x[:, :3]), rand(3, 4), probs(3, 4))
    for lib in (torch, ember):
        x, w = lib.rand(3, 4, requires_grad=True), lib.ones(4, requires_grad=True)
        for kw in ({"weight": w}, {"pos_weight": w}):
            with pytest.raises(RuntimeError, match="is not differentiable with respect to"):
                lib.nn.functional.binary_cross_entropy_with_logits(x, x.detach(), **kw)
        with pytest.raises(RuntimeError, match="'binary_cross_entropy' is not differentiable"):
            lib.nn.functional.binary_cross_entropy(x, x.detach(), weight=w)


@pytest.mark.parametrize("red", REDUCTIONS)
def test_soft_margin_and_multilabel_soft_margin(red):
    compare(lambda lib, x, y: lib.nn.functional.soft_margin_loss(x, y.detach(), reduction=red),
            rand(3, 4, low=-3, high=3), signs(3, 4))
    compare(fn("multilabel_soft_margin_loss", reduction=red), rand(3, 4, low=-3, high=3),
            probs(3, 4))
    w = rand(4, low=0.5, high=2)
    compare(lambda lib, x, y: lib.nn.functional.multilabel_soft_margin_loss(
        x, y, weight=lib.from_numpy(w.copy()), reduction=red), rand(3, 4), probs(3, 4))


# ---- distributions -------------------------------------------------------------------------------
@pytest.mark.parametrize("red", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (4,)])
def test_kl_div(red, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, t = np.log(probs(*shape)), probs(*shape)
        compare(fn("kl_div", reduction=red), x, t)
        compare(fn("kl_div", reduction=red, log_target=True), x, np.log(t))
        compare(fn("kl_div", reduction=red), x.astype(F64), t.astype(F64))


def test_kl_div_warnings_and_zero_target():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        ember.nn.functional.kl_div(ember.zeros(2), ember.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.functional.kl_div(ember.zeros(2), ember.ones(2), reduction="batchmean")
    t = np.array([0.0, 0.5, 0.5], F32)
    compare(lambda lib, x, t: lib.nn.functional.kl_div(x, t.detach(), reduction="sum"),
            rand(3), t)  # xlogy(0, 0) is 0
    compare(fn("kl_div", reduction="batchmean"), np.array(-0.5, F32), np.array(0.3, F32))
    check_raises(fn("kl_div", reduction="sum"), np.zeros(3, np.int64), np.zeros(3, np.int64))


@pytest.mark.parametrize("red", REDUCTIONS)
def test_poisson_and_gaussian_nll(red):
    x, t = rand(3, 4), rand(3, 4, low=0.5, high=4)
    compare(fn("poisson_nll_loss", reduction=red), x, t)
    compare(fn("poisson_nll_loss", reduction=red, log_input=False, full=True), probs(3, 4), t)
    var = rand(3, 4, low=0.1, high=2)
    compare(fn("gaussian_nll_loss", reduction=red), x, t, var)
    compare(fn("gaussian_nll_loss", reduction=red, full=True), x, t, var[:, :1])  # homoscedastic
    compare(fn("gaussian_nll_loss", reduction=red), x, t, var[:, 0])  # one dim short
    compare(fn("gaussian_nll_loss", reduction=red, eps=0.5), x, t, var)  # clamped, still a grad
    compare(lambda lib, x, t: lib.nn.functional.gaussian_nll_loss(x, t, 0.7, reduction=red), x, t)
    check_raises(fn("gaussian_nll_loss"), x, t, var[:, :2], match="var is of incorrect size")
    check_raises(fn("gaussian_nll_loss"), x, t, -var, match="negative entry")
    check_raises(fn("gaussian_nll_loss", reduction="foo"), x, t, var, match="foo is not valid")
    check_raises(fn("poisson_nll_loss", reduction="foo"), x, t, match="foo is not a valid value")


# ---- margins and embeddings ----------------------------------------------------------------------
@pytest.mark.parametrize("red", REDUCTIONS)
def test_cosine_embedding_loss(red):
    y = np.array([1, -1, 1, -1])
    for margin in (0.0, 0.3, -0.2):
        compare(lambda lib, a, b, y: lib.nn.functional.cosine_embedding_loss(
            a, b, y, margin=margin, reduction=red), rand(4, 5), rand(4, 5), y)
    compare(lambda lib, a, b, y: lib.nn.functional.cosine_embedding_loss(a, b, y.detach(),
                                                                          reduction=red),
            rand(4, 5), rand(4, 5), y.astype(F32))
    compare(fn("cosine_embedding_loss", reduction=red), rand(5), rand(5), np.array(-1))
    compare(fn("cosine_embedding_loss", reduction=red), rand(2, 3), np.zeros((2, 3), F32),
            np.array([1, -1]))  # a zero vector: EPSILON keeps it finite
    check_raises(fn("cosine_embedding_loss"), rand(5), rand(5), np.array([1]),
                 match=r"1D target tensor expects 2D input tensors, but found inputs with sizes "
                       r"\[5\] and \[5\]\.")
    check_raises(fn("cosine_embedding_loss"), rand(3, 4), rand(3, 4), np.array(1))
    check_raises(fn("cosine_embedding_loss"), rand(3, 4), rand(3, 4), np.ones((3, 1), np.int64))


@pytest.mark.parametrize("red", REDUCTIONS)
def test_margin_ranking_and_hinge_embedding(red):
    for margin in (0.0, 0.5):
        compare(fn("margin_ranking_loss", margin=margin, reduction=red), rand(5), rand(5),
                signs(5))
        compare(lambda lib, x, y: lib.nn.functional.hinge_embedding_loss(
            x, y.detach(), margin=margin + 0.5, reduction=red), rand(3, 4, low=0, high=2),
            signs(3, 4))
    compare(fn("margin_ranking_loss", reduction=red), rand(5), rand(1), signs(5))
    check_raises(fn("margin_ranking_loss"), rand(3), rand(3), signs(3, 1),
                 match="All input tensors should have same dimension")


@pytest.mark.parametrize("red", REDUCTIONS)
def test_triplet_margin_loss(red):
    a, p, n = rand(4, 6), rand(4, 6), rand(4, 6)
    for kw in ({}, {"margin": 0.5, "p": 1}, {"swap": True}, {"p": 3, "eps": 1e-3}):
        compare(fn("triplet_margin_loss", reduction=red, **kw), a, p, n)
    compare(fn("triplet_margin_loss", reduction=red), a[0], p[0], n[0])
    check_raises(fn("triplet_margin_loss"), a, p, n[0], match="same number of dimensions")
    check_raises(fn("triplet_margin_loss", margin=0), a, p, n, match="margin must be greater")


@pytest.mark.parametrize("red", REDUCTIONS)
def test_multi_margin_loss(red):
    x, t = rand(4, 5), np.array([0, 3, 4, 1])
    w = rand(5, low=0.5, high=2)
    for kw in ({}, {"p": 2}, {"margin": 0.3}):
        compare(fn("multi_margin_loss", reduction=red, **kw), x, t)
        compare(lambda lib, x, t: lib.nn.functional.multi_margin_loss(
            x, t, weight=lib.from_numpy(w.copy()), reduction=red, **kw), x, t)
    compare(fn("multi_margin_loss", reduction=red), rand(5), np.array(2))
    compare(fn("multi_margin_loss", reduction=red), rand(5), np.array([2]))
    check_raises(fn("multi_margin_loss"), x, np.array([0, 5, 1, 1]), match="target out of range")
    check_raises(fn("multi_margin_loss"), x, np.array([0, 1, 1]), match="target tensor should")
    check_raises(fn("multi_margin_loss", p=3), x, t, match=r"only p == 1 and p == 2 supported")


# ---- double backward and gradcheck ---------------------------------------------------------------
@pytest.mark.parametrize("red", REDUCTIONS)
def test_double_backward(red):
    x, y = rand(3, 4, dtype=F64, low=-2, high=2), rand(3, 4, dtype=F64, low=-2, high=2)
    t = probs(3, 4, dtype=F64)
    pw = rand(4, dtype=F64, low=0.5, high=2)
    double_backward(fn("mse_loss", reduction=red), x, y)
    double_backward(fn("smooth_l1_loss", reduction=red, beta=0.7), x, y)
    double_backward(fn("huber_loss", reduction=red, delta=0.7), x, y)
    double_backward(fn("binary_cross_entropy_with_logits", reduction=red), x, t)
    double_backward(lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t, pos_weight=lib.from_numpy(pw.copy()), reduction=red), x, t)
    double_backward(fn("binary_cross_entropy", reduction=red), probs(3, 4, dtype=F64), t)
    double_backward(lambda lib, x: lib.nn.functional.soft_margin_loss(
        x, lib.from_numpy(np.sign(y)), reduction=red), x)
    double_backward(fn("kl_div", reduction="batchmean" if red == "mean" else red), np.log(t),
                    probs(3, 4, dtype=F64))


def test_gradcheck():
    x, y = rand(3, 4, dtype=F64, low=-2, high=2), rand(3, 4, dtype=F64, low=-2, high=2)
    for name in ("mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits",
                 "soft_margin_loss"):
        gradcheck(lambda lib, a, b: getattr(lib.nn.functional, name)(a, b), x,
                  np.sign(y) if name == "soft_margin_loss" else probs(3, 4, dtype=F64))
    gradcheck(lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a, b),
              probs(3, 4, dtype=F64), probs(3, 4, dtype=F64))


# ---- modules -------------------------------------------------------------------------------------
MODULES = [
    ("L1Loss", {}), ("MSELoss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 2.0}), ("CrossEntropyLoss", {"label_smoothing": 0.1}),
    ("NLLLoss", {"ignore_index": 1}), ("BCELoss", {}), ("BCEWithLogitsLoss", {}),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
    ("CosineEmbeddingLoss", {"margin": 0.2}), ("MarginRankingLoss", {"margin": 0.1}),
    ("SoftMarginLoss", {}), ("HingeEmbeddingLoss", {"margin": 2.0}), ("PoissonNLLLoss", {}),
    ("GaussianNLLLoss", {"full": True}), ("TripletMarginLoss", {"swap": True}),
    ("MultiMarginLoss", {"p": 2}), ("MultiLabelSoftMarginLoss", {}),
]


@pytest.mark.parametrize("name,kw", MODULES)
def test_module_repr_state_and_attributes(name, kw):
    t, e = getattr(torch.nn, name)(**kw), getattr(ember.nn, name)(**kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for attr in ("reduction", "ignore_index", "label_smoothing", "beta", "delta", "margin",
                 "log_target", "full", "eps", "p", "swap", "log_input"):
        assert getattr(e, attr, None) == getattr(t, attr, None), attr
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
                                  "MultiMarginLoss", "MultiLabelSoftMarginLoss"])
def test_module_weight_buffers(name):
    w = rand(4, low=0.5, high=2)
    kw = {"pos_weight": w} if name == "BCEWithLogitsLoss" else {}
    t = getattr(torch.nn, name)(weight=torch.from_numpy(w), **{k: torch.from_numpy(v)
                                                               for k, v in kw.items()})
    e = getattr(ember.nn, name)(weight=ember.tensor(w), **{k: ember.tensor(v)
                                                          for k, v in kw.items()})
    assert list(e.state_dict()) == list(t.state_dict())
    assert list(e.state_dict()) == ["weight"] + list(kw)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert e.weight.dtype == ember.float32 and e.double().weight.dtype == ember.float64


def test_modules_forward():
    x, y = rand(3, 4), rand(3, 4)
    compare(lambda lib, x, y: lib.nn.MSELoss()(x, y), x, y)
    compare(lambda lib, x, y: lib.nn.L1Loss(reduction="none")(x, y), x, y)
    compare(lambda lib, x, y: lib.nn.SmoothL1Loss(beta=0.5)(x, y), x, y)
    compare(lambda lib, x, y: lib.nn.HuberLoss(delta=0.5)(x, y), x, y)
    compare(lambda lib, x, y: lib.nn.BCELoss(weight=lib.ones(4))(x.sigmoid(), y.sigmoid()), x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, x, y: lib.nn.KLDivLoss()(x, y.exp()), x, y)
    compare(lambda lib, x, y, z: lib.nn.CosineEmbeddingLoss()(x, y, lib.tensor([1, -1, 1])),
            x, y, rand(1))
    compare(lambda lib, x, y: lib.nn.MarginRankingLoss(0.2)(x[0], y[0], lib.ones(4)), x, y)
    compare(lambda lib, x, y: lib.nn.TripletMarginLoss()(x, y, y.flip(0)), x, y)
    compare(lambda lib, x, y: lib.nn.GaussianNLLLoss()(x, y, x.exp()), x, y)
    compare(lambda lib, x, y: lib.nn.PoissonNLLLoss(log_input=False)(x.exp(), y.exp()), x, y)
    compare(lambda lib, x: lib.nn.MultiMarginLoss()(x, lib.tensor([0, 1, 3])), x)


@pytest.mark.parametrize("kw,expect", [({"size_average": False}, "sum"),
                                       ({"reduce": False}, "none"),
                                       ({"size_average": True, "reduce": True}, "mean"),
                                       ({"size_average": False, "reduce": False}, "none")])
def test_legacy_reduction_arguments(kw, expect):
    msg = f"size_average and reduce args will be deprecated, please use reduction='{expect}'"
    for name in ("MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "KLDivLoss"):
        with pytest.warns(UserWarning, match=msg):
            m = getattr(ember.nn, name)(**kw)
        assert m.reduction == expect
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(fn("mse_loss", **kw), rand(3), rand(3))
        compare(fn("l1_loss", **kw), rand(3), rand(3))
        compare(fn("binary_cross_entropy_with_logits", **kw), rand(3), probs(3))
        compare(fn("kl_div", **kw), rand(3), probs(3))
        compare(fn("margin_ranking_loss", **kw), rand(3), rand(3), signs(3))


def test_module_constructor_errors():
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="delta must be a float or int"):
            lib.nn.HuberLoss(delta="1")
        with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
            lib.nn.MultiMarginLoss(p=3)
        with pytest.raises(ValueError, match="expected weight to be None or 1D tensor"):
            lib.nn.MultiMarginLoss(weight=lib.ones(2, 2))
        with pytest.raises(ValueError, match="expected margin to be greater than 0"):
            lib.nn.TripletMarginLoss(margin=0)
        with pytest.raises(TypeError):
            lib.nn.GaussianNLLLoss(True)
    with pytest.warns(UserWarning, match="'elementwise_mean' is deprecated"):
        ember.nn.functional.mse_loss(ember.ones(2), ember.ones(2), reduction="elementwise_mean")


def test_grad_fn_names():
    x, y = ember.rand(3, requires_grad=True), ember.rand(3)
    F = ember.nn.functional
    names = {"MseLossBackward0": F.mse_loss(x, y), "SmoothL1LossBackward0": F.smooth_l1_loss(x, y),
             "HuberLossBackward0": F.huber_loss(x, y),
             "BinaryCrossEntropyBackward0": F.binary_cross_entropy(x, y),
             "BinaryCrossEntropyWithLogitsBackward0": F.binary_cross_entropy_with_logits(x, y),
             "SoftMarginLossBackward0": F.soft_margin_loss(x, y),
             "MeanBackward0": F.l1_loss(x, y)}
    for name, loss in names.items():
        assert type(loss.grad_fn).__name__ == name
    assert type(F.mse_loss(x, y).grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"


# ---- cosine_similarity ----------------------------------------------------------------------------
@pytest.mark.parametrize("xs,ys,dim", [((4, 5), (4, 5), 1), ((3, 4, 2), (1, 4, 2), 1),
                                       ((5,), (5,), 0), ((2, 3), (2, 3), -1)])
def test_cosine_similarity(xs, ys, dim):
    compare(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=dim), rand(*xs),
            rand(*ys))
    compare(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim), rand(*xs,
            dtype=np.float64), rand(*ys, dtype=np.float64))


def test_cosine_similarity_of_zero_vectors_and_mixed_dtypes():
    # a zero row: its norm is clamped to eps in the forward only (the gradient is the norm's)
    x = np.array([[0.0, 0.0], [1.0, 2.0]], np.float64)
    compare(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b), x, x[::-1].copy())
    compare(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
            np.array([[1, 2]], np.int64), rand(1, 2, dtype=np.float64), grad=False)
    check_raises(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
                 np.array([[1, 2]], np.int64), np.array([[1, 2]], np.int64),
                 match="floating point")

"""cross_entropy and nll_loss against torch: every reduction, layout, weight, ignore_index, label
smoothing and probability targets; values, gradients, double backward, stability and errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
import helpers
from helpers import check_raises, compare, rand

F32, F64 = np.float32, np.float64
REDUCTIONS = ["mean", "sum", "none"]
# (input shape, target shape): batched, spatial (3-D, 4-D, 5-D) and unbatched
SHAPES = [((4, 5), (4,)), ((2, 3, 4), (2, 4)), ((2, 3, 2, 2), (2, 2, 2)),
          ((2, 3, 2, 1, 2), (2, 2, 1, 2)), ((5,), ())]


def targets(shape, c, ignore=None):
    t = helpers.RNG.integers(0, c, size=shape).astype(np.int64)
    if ignore is not None and t.size:
        t.reshape(-1)[::2] = ignore  # every other target ignored
    return t


def weight_of(lib, w):
    return None if w is None else lib.from_numpy(w.copy())


def ce(reduction="mean", w=None, **kw):
    return lambda lib, x, t: lib.nn.functional.cross_entropy(
        x, t, weight=weight_of(lib, w), reduction=reduction, **kw)


def nll(reduction="mean", w=None, **kw):
    return lambda lib, x, t: lib.nn.functional.nll_loss(
        x, t, weight=weight_of(lib, w), reduction=reduction, **kw)


# ---- class indices -------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,ts", SHAPES)
@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("dt", [F32, F64])
def test_cross_entropy_indices(xs, ts, red, dt):
    c = xs[0] if len(xs) == 1 else xs[1]
    x, t = rand(*xs, dtype=dt, low=-3, high=3), targets(ts, c)
    compare(ce(red), x, t)
    compare(nll(red), x, t)


@pytest.mark.parametrize("xs,ts", SHAPES[:3])
@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_weight_ignore_smoothing(xs, ts, red, ls, weighted):
    c = xs[1]
    x = rand(*xs, low=-3, high=3)
    w = rand(c, low=0.2, high=2.0) if weighted else None
    for ignore in (-100, 1):
        t = targets(ts, c, ignore=ignore if ignore >= 0 else None)
        compare(ce(red, w, ignore_index=ignore, label_smoothing=ls), x, t)
        if not ls:
            compare(nll(red, w, ignore_index=ignore), x, t)
    t = targets(ts, c)
    t.reshape(-1)[0] = -100  # the default ignore_index
    compare(ce(red, w, label_smoothing=ls), x, t)


@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_all_ignored(red, ls):
    # torch: mean of nothing is nan, the gradient is zero
    x, t = rand(3, 4), np.full(3, -100, np.int64)
    compare(ce(red, label_smoothing=ls), x, t)
    compare(ce(red, rand(4, low=0.5, high=1.0), label_smoothing=ls), x, t)
    compare(nll(red), x, t)
    compare(ce(red, ignore_index=2), rand(2, 3, 2), np.full((2, 2), 2, np.int64))


def test_cross_entropy_uint8_targets_and_unbatched_1d_target():
    x = rand(4, 5)
    compare(ce(), x, targets((4,), 5).astype(np.uint8))
    for red in REDUCTIONS:  # (torch's backward refuses this layout: compare values only)
        compare(ce(red), rand(5), np.array([3]), grad=False)
        compare(nll(red), rand(5), np.array([3]), grad=False)


def test_cross_entropy_empty_batch():
    for red in REDUCTIONS:
        compare(ce(red), rand(0, 4), np.zeros(0, np.int64))
        compare(ce(red), rand(0, 4), rand(0, 4))
        compare(ce(red), rand(0, 3, 2), np.zeros((0, 2), np.int64))


@pytest.mark.parametrize("dt", [F32, F64])
def test_cross_entropy_large_logits_are_stable(dt):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4 + 1], [1e4, 1e4, -1e4]], dt)
    t = np.array([1, 2, 0])
    for red in REDUCTIONS:
        r = compare(ce(red), x, t)
        assert np.isfinite(r.detach().numpy()).all()
        compare(ce(red, label_smoothing=0.1), x, t)
        compare(ce(red), x, np.array([[0.2, 0.3, 0.5]] * 3, dt))
        compare(ce(red), x * 10, t, rtol=1e-5, atol=1e-2)  # 1e5: the loss itself is ~1e5


def test_cross_entropy_of_confident_predictions_is_never_negative():
    """Unshifted exponentials: the loss of a target whose probability is 1 to float rounding is
    0 (as torch's), never a rounding error below it."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = (rng.standard_normal((64, 10)) * 3).astype(np.float32)
        t = x.argmax(1)
        x[np.arange(64), t] += rng.uniform(10, 40, 64).astype(np.float32)
        el = ember.nn.functional.cross_entropy(ember.tensor(x), ember.tensor(t), reduction="none")
        assert not np.signbit(el.numpy()).any()  # not even -0.0
        x64 = x.astype(np.float64)
        m = x64.max(1, keepdims=True)
        exact = (m[:, 0] - x64[np.arange(64), t]) + np.log(np.exp(x64 - m).sum(1))
        # float32 rounds p in steps of 6e-8 below 1: torch's own error here reaches 2.5e-7
        np.testing.assert_allclose(el.numpy(), exact, rtol=1e-5, atol=2.5e-7)


def test_cross_entropy_of_large_logits_warns_nothing(monkeypatch):
    """Logits whose exp overflows are redone shifted by their max; the first, unshifted try must
    not warn, also where it runs on other threads (NumPy's error state is per thread)."""
    from ember._ops import _parallel
    # two spans even under pytest (NumPy loaded first): the last rows go to the pool thread
    monkeypatch.setattr(_parallel, "workers", lambda parts: min(parts, 2))
    x = np.zeros((700, 1000), np.float32)
    x[-1, 0] = 200.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = ember.nn.functional.cross_entropy(ember.tensor(x, requires_grad=True),
                                                 ember.tensor(np.zeros(700, np.int64)))
    ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.zeros(700, dtype=torch.int64))
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)


# ---- class probabilities -------------------------------------------------------------------------
@pytest.mark.parametrize("xs", [(4, 5), (2, 3, 2, 2), (5,)])
@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities(xs, red, ls, weighted):
    c = xs[0] if len(xs) == 1 else xs[1]
    p = rand(*xs, low=0.0, high=1.0)
    p /= p.sum(axis=0 if len(xs) == 1 else 1, keepdims=True)
    w = rand(c, low=0.2, high=2.0) if weighted else None
    compare(ce(red, w, label_smoothing=ls), rand(*xs, low=-3, high=3), p)  # grads of both
    compare(ce(red, w, label_smoothing=ls), rand(*xs, dtype=F64), p.astype(F64))


def test_cross_entropy_probabilities_mixed_dtypes():
    compare(ce(), rand(3, 4, dtype=F64), rand(3, 4))
    compare(ce("none"), rand(3, 4), rand(3, 4, dtype=F64))


def test_cross_entropy_target_without_grad():
    compare(lambda lib, x: lib.nn.functional.cross_entropy(
        x, lib.full((3, 4), 0.25), label_smoothing=0.1), rand(3, 4))


# ---- module --------------------------------------------------------------------------------------
def test_cross_entropy_module():
    w = rand(5, low=0.5, high=1.5)
    for kw in ({}, {"reduction": "sum"}, {"ignore_index": 2, "label_smoothing": 0.2}):
        compare(lambda lib, x, t: lib.nn.CrossEntropyLoss(weight_of(lib, w), **kw)(x, t),
                rand(4, 5), np.array([0, 2, 4, 1]))
        compare(lambda lib, x, t: lib.nn.NLLLoss(weight_of(lib, w), **{
            k: v for k, v in kw.items() if k != "label_smoothing"})(x, t),
                rand(4, 5), np.array([0, 2, 4, 1]))


def test_cross_entropy_grad_fn_and_dtype():
    x = ember.randn(3, 4, requires_grad=True)
    loss = ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 3]))
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert loss.dtype == ember.float32
    with ember.no_grad():
        assert ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 3])).grad_fn is None


@pytest.mark.parametrize("ls", [0.0, 0.1])
@pytest.mark.parametrize("scale", [1.0, 1e3])  # 1e3: exp overflows, rows are shifted by their max
def test_cross_entropy_backward_twice_with_retain_graph(ls, scale):
    x = ember.tensor(rand(3, 4) * scale, requires_grad=True)
    loss = ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 3]), label_smoothing=ls)
    loss.backward(retain_graph=True)  # the first backward turns the saved exp into the gradient
    g1 = x.grad.clone()
    loss.backward()  # the second recomputes it
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1.numpy(), rtol=1e-6)


@pytest.mark.parametrize("rows", [4, 700])  # 700 x 1000: threads and blocks of rows
def test_cross_entropy_keeps_the_digits_of_tiny_and_huge_losses(rows):
    """Logits are exponentiated without their max where that is safe: a confident prediction's
    loss (~1e-8) must keep its digits, and a target of probability below 1e-38 a finite loss."""
    x = rand(rows, 1000, low=-1, high=1)
    t = np.arange(rows) % 1000
    x[np.arange(rows), t] = 20.0  # p(target) = 1 - ~1e-6: loss ~1e-6
    x[::2, 0], t[::2] = 40.0, 1 + (np.arange(0, rows, 2) % 999)  # exp(-40 - 40): p ~ 1e-35
    x[1::4, 1], x[1::4, 2], t[1::4] = 60.0, -60.0, 2  # p ~ 1e-52: -log p = 120
    tl = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    el = ember.nn.functional.cross_entropy(ember.tensor(x), ember.tensor(t), reduction="none")
    # both round 1 + 2.4e-6 to float32 (steps of 1.2e-7); log(sum) - x would be off by ~2e-6
    np.testing.assert_allclose(el.numpy(), tl.numpy(), rtol=2e-6, atol=2.5e-7)


# ---- double backward and gradcheck ---------------------------------------------------------------
def double_backward(fn, *arrays, **kw):
    """Second derivatives against torch: differentiate ``<fn(x), w>`` with create_graph=True, then
    let ``compare`` backpropagate through that gradient."""
    def first_grad(lib, *xs):
        out = fn(lib, *xs)
        w = lib.from_numpy(np.random.default_rng(2).standard_normal(tuple(out.shape)))
        if out.dtype != w.dtype:
            w = w.to(out.dtype)
        leaves = [a for a in xs if isinstance(a, (torch.Tensor, ember.Tensor)) and a.requires_grad]
        return lib.autograd.grad((out * w).sum(), leaves, create_graph=True)
    compare(first_grad, *arrays, **kw)


def gradcheck(fn, x, *rest, second=True):
    xs = (ember.tensor(x, dtype=ember.float64, requires_grad=True),)
    extra = tuple(ember.tensor(r) for r in rest)
    f = lambda a: fn(ember, a, *extra)  # noqa: E731
    assert ember.autograd.gradcheck(f, xs)
    if second:
        assert ember.autograd.gradgradcheck(f, xs)


@pytest.mark.parametrize("red", REDUCTIONS)
def test_cross_entropy_double_backward(red):
    x = rand(4, 5, dtype=F64, low=-2, high=2)
    t = np.array([0, 3, -100, 4])
    w = rand(5, dtype=F64, low=0.5, high=2.0)
    double_backward(ce(red), x, t)
    double_backward(ce(red, w, label_smoothing=0.2), x, t)
    double_backward(ce(red, label_smoothing=0.1), rand(2, 3, 2, dtype=F64), targets((2, 2), 3))
    double_backward(nll(red, w), x, t)
    p = rand(4, 5, dtype=F64, low=0, high=1)
    double_backward(ce(red, w, label_smoothing=0.1), x, p)


def test_cross_entropy_gradcheck():
    x = rand(3, 4, dtype=F64, low=-2, high=2)
    t = np.array([0, 3, 1])
    gradcheck(ce("mean", label_smoothing=0.1), x, t)
    gradcheck(ce("none", rand(4, dtype=F64, low=0.5, high=2), ignore_index=3), x, t)
    gradcheck(ce("sum"), rand(2, 3, 2, 2, dtype=F64), targets((2, 2, 2), 3))
    gradcheck(nll("mean"), x, t)
    gradcheck(ce("mean", label_smoothing=0.2), x, rand(3, 4, dtype=F64, low=0, high=1))
    p = ember.tensor(rand(3, 4, dtype=F64, low=0, high=1), requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    f = lambda a, b: ember.nn.functional.cross_entropy(a, b, reduction="none")  # noqa: E731
    assert ember.autograd.gradcheck(f, (xe, p))
    assert ember.autograd.gradgradcheck(f, (xe, p))


# ---- errors --------------------------------------------------------------------------------------
def test_cross_entropy_errors():
    x = rand(3, 5)
    raises = lambda fn, *a, match=None: check_raises(fn, *a, match=match)  # noqa: E731
    for fn in (ce(), nll()):
        raises(fn, x, np.array([0, 1, 5]), match=r"Target 5 is out of bounds\.")
        raises(fn, x, np.array([0, -1, 2]), match="Target -1 is out of bounds")
        raises(fn, rand(2, 3, 2, 2), np.full((2, 2, 2), 3), match="Target 3 is out of bounds")
        raises(fn, x, np.array([0, 1, 2, 3]),
               match=r"Expected input batch_size \(3\) to match target batch_size \(4\)\.")
        raises(fn, x, np.array([0, 1, 2], np.int32),
               match="expected target dtype to be Long or Byte, but got Int")
        raises(fn, x, np.zeros((3, 1), np.int64), match="0D or 1D target tensor expected")
        raises(fn, rand(2, 3, 4), np.zeros((2, 5), np.int64),
               match=r"Expected target size \[2, 4\], got \[2, 5\]")
        raises(fn, rand(2, 3, 4, 4), np.zeros((2, 4, 5), np.int64), match="size mismatch")
        raises(fn, rand(2, 3, 4, 5), np.zeros((2, 4), np.int64),
               match="only batches of spatial targets supported")
        raises(fn, rand(5), np.array([2, 1]), match="For 1D input, 1D target must have size 1")
        raises(fn, rand(3, 5).astype(np.int64), np.array([0, 1, 2]))
        raises(fn, x, np.array([0.0, 1.0, 2.0], F32), match="but got Float")
    raises(nll(), np.array(1.0, F32), np.array(0), match=r"Expected 1 or more dimensions \(got 0\)")
    raises(ce(w=np.ones(4, F32)), x, np.array([0, 1, 2]),
           match="weight tensor should be defined either for all 5 classes or no classes but got "
                 r"weight tensor of shape: \[4\]")
    raises(ce(w=np.ones(5, F64)), x, np.array([0, 1, 2]),
           match="expected scalar type Float but found Double")
    raises(ce(w=np.ones(4, F32)), x, rand(3, 5), match="cross_entropy: weight tensor")
    raises(ce(label_smoothing=1.5), x, np.array([0, 1, 2]),
           match="label_smoothing must be between 0.0 and 1.0. Got: 1.5")
    raises(ce(label_smoothing=1.5), x, rand(3, 5), match="label_smoothing must be between")
    raises(ce(ignore_index=0), x, rand(3, 5),
           match="ignore_index is not supported for floating point target")
    raises(ce(), x, np.zeros((3, 5), np.int64),
           match="Expected floating point type for target with class probabilities, got Long")
    raises(ce(reduction="foo"), x, np.array([0, 1, 2]), match="foo is not a valid value")
    raises(ce(), np.array(1.0, F32), np.array(0.5, F32))


def test_cross_entropy_weight_requiring_grad_is_refused():
    for lib in (torch, ember):
        w = lib.ones(5, requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument "
                                               "'weight'"):
            lib.nn.functional.nll_loss(lib.zeros(2, 5), lib.tensor([0, 1]), weight=w)
        with lib.no_grad():
            lib.nn.functional.cross_entropy(lib.zeros(2, 5), lib.tensor([0, 1]), weight=w)


def test_cross_entropy_legacy_arguments():
    x, t = rand(3, 5), np.array([0, 1, 2])
    for kw in ({"size_average": False}, {"reduce": False}, {"size_average": True, "reduce": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare(ce(**kw), x, t)
            compare(nll(**kw), x, t)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please "
                                         "use reduction='sum' instead."):
        ember.nn.functional.cross_entropy(ember.zeros(2, 3), ember.tensor([0, 1]),
                                          size_average=False)


def test_cross_entropy_probabilities_weight_gradient():
    # a composition in torch: the class weight gets a gradient too
    for xs in ((4, 5), (2, 5, 3)):
        x, p, w = rand(*xs), rand(*xs, low=0, high=1), rand(5, low=0.5, high=2)
        for red in REDUCTIONS:
            compare(lambda lib, x, p, w: lib.nn.functional.cross_entropy(
                x, p, weight=w, reduction=red, label_smoothing=0.1), x, p, w)
    double_backward(lambda lib, x, p, w: lib.nn.functional.cross_entropy(x, p, weight=w),
                    rand(3, 4, dtype=F64), rand(3, 4, dtype=F64), rand(4, dtype=F64))


def test_cross_entropy_noncontiguous_inputs():
    from helpers import noncontig
    x = noncontig(rand(4, 5))
    assert not x.flags.c_contiguous
    compare(ce(label_smoothing=0.1), x, np.array([0, 2, 4, 1]))
    compare(ce("none"), x, noncontig(rand(4, 5, low=0, high=1)))
    x4 = rand(2, 2, 3, 3).transpose(0, 2, 1, 3)  # (2, 3, 2, 3), class axis not contiguous
    compare(lambda lib, x, t: lib.nn.functional.cross_entropy(x.permute(0, 2, 1, 3), t),
            rand(2, 2, 3, 3), targets((2, 2, 3), 3))
    compare(ce("none"), np.ascontiguousarray(x4), targets((2, 2, 3), 3))

"""nn.AdaptiveLogSoftmaxWithLoss and F.fractional_max_pool2d / nn.FractionalMaxPool2d against
torch (fractional pooling given torch's ``_random_samples``)."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand


# ---- AdaptiveLogSoftmaxWithLoss ------------------------------------------------------------------

def _pair(in_features, n_classes, cutoffs, dtype, **kw):
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, **kw).to(dtype)
    e = ember.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, **kw).to(
        getattr(ember, str(dtype).split(".")[-1]))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cutoffs,div,head_bias", [([4, 8], 2.0, True), ([3], 4.0, False),
                                                   ([1, 2, 5], 1.5, False)])
def test_adaptive_log_softmax(dtype, cutoffs, div, head_bias):
    t, e = _pair(16, 10, cutoffs, dtype, div_value=div, head_bias=head_bias)
    assert list(t.state_dict()) == list(e.state_dict())
    assert repr(e) == repr(t)
    for (tn, tp), (en, ep) in zip(t.named_parameters(), e.named_parameters()):
        assert tn == en and tuple(tp.shape) == tuple(ep.shape)
    x = rand(7, 16, dtype=str(dtype).split(".")[-1])
    y = np.array([0, 3, 5, 9, 1, 7, 9], np.int64)
    compare(lambda lib, a, b: tuple((t if lib is torch else e)(a, b)), x, y)
    # the parameters' gradients
    tx, ex = torch.from_numpy(x), ember.tensor(x)
    t(tx, torch.from_numpy(y)).loss.backward()
    e(ex, ember.tensor(y)).loss.backward()
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    for (n, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=tol, atol=tol, err_msg=n)
    compare(lambda lib, a: (t if lib is torch else e).log_prob(a), x)
    np.testing.assert_array_equal(e.predict(ex).numpy(), t.predict(tx).numpy())


def test_adaptive_log_softmax_output_and_unbatched():
    t, e = _pair(8, 6, [2, 4], torch.float64)
    out = e(ember.randn(3, 8, dtype=ember.float64), ember.tensor([0, 5, 3]))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    assert out.output.shape == (3,) and out.loss.shape == ()
    x = rand(8, dtype=np.float64)
    compare(lambda lib, a, b: tuple((t if lib is torch else e)(a, b)), x, np.array(4, np.int64))
    # log_prob is a distribution; predict is its argmax (cover the mixed shortlist/cluster case)
    xs = ember.randn(40, 8, dtype=ember.float64) * 3
    lp = e.log_prob(xs).detach()
    np.testing.assert_allclose(lp.exp().sum(1).numpy(), 1, rtol=1e-12)
    np.testing.assert_array_equal(e.predict(xs).numpy(), lp.argmax(1).numpy())
    tp = t.predict(torch.from_numpy(xs.numpy()))
    np.testing.assert_array_equal(e.predict(xs).numpy(), tp.numpy())


def test_adaptive_log_softmax_init_and_errors():
    e = ember.nn.AdaptiveLogSoftmaxWithLoss(16, 10, [4, 8])
    assert (e.shortlist_size, e.n_clusters, e.head_size, e.cutoffs) == (4, 2, 6, [4, 8, 10])
    bound = 1 / np.sqrt(16)
    assert np.abs(e.head.weight.detach().numpy()).max() <= bound and e.head.bias is None
    for cutoffs in ([], [8, 4], [0, 4], [4, 10], [4, 4], [2.5]):
        for lib in (torch, ember):
            with pytest.raises(ValueError, match="cutoffs should be a sequence"):
                lib.nn.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs)
    t, e = _pair(4, 6, [2], torch.float32)
    for x, y, match in [(rand(3, 4), np.array([0, 6, 1]), r"Target values should be in \[0, 5\]"),
                        (rand(3, 4), np.array([0, 1]), "same size in the batch dimension"),
                        (rand(3, 4), np.array(1), "0D target tensor expects 1D input"),
                        (rand(2, 3, 4), np.array([0, 1]), "1D target tensor expects 2D input"),
                        (rand(3, 4), np.zeros((3, 1), np.int64), "0D or 1D target tensor")]:
        check_raises(lambda lib, a, b: (t if lib is torch else e)(a, b), x, y, match=match)


# ---- fractional_max_pool2d -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kernel,out", [
    ((2, 3, 10, 9), 3, (4, 5)), ((1, 2, 7, 7), (2, 3), (5, 4)), ((3, 6, 5), 2, (4, 1)),
    ((1, 1, 4, 4), 1, (4, 4)), ((2, 1, 6, 8), (1, 2), 1), ((1, 2, 5, 6), (2, 2), (4, 5)),
])
def test_fractional_max_pool2d(dtype, shape, kernel, out):
    x = rand(*shape, dtype=dtype)
    n = 1 if len(shape) == 3 else shape[0]
    samples = rand(n, shape[-3], 2, dtype=dtype, low=0, high=1)

    def fn(lib, a, s):
        f = lib.nn.functional
        y, i = f.fractional_max_pool2d(a, kernel, out, return_indices=True,
                                       _random_samples=s.detach())
        m = lib.nn.FractionalMaxPool2d(kernel, out, _random_samples=s.detach())(a)
        return y, i, m, f.fractional_max_pool2d_with_indices(a, kernel, out, _random_samples=s.detach())[0]
    compare(fn, x, samples)


@pytest.mark.parametrize("ratio", [0.5, (0.6, 0.35)])
def test_fractional_max_pool2d_ratio(ratio):
    x, s = rand(2, 2, 9, 10), rand(2, 2, 2, low=0, high=1)
    pair = ratio if isinstance(ratio, tuple) else (ratio, ratio)  # torch's F needs a pair
    compare(lambda lib, a, r: lib.nn.functional.fractional_max_pool2d(
        a, 2, output_ratio=pair, _random_samples=r.detach()), x, s)
    compare(lambda lib, a, r: lib.nn.FractionalMaxPool2d(
        2, output_ratio=ratio, return_indices=True, _random_samples=r.detach())(a), x, s)


def test_fractional_max_pool2d_random_samples():
    x = ember.randn(3, 4, 12, 11)
    ember.manual_seed(7)
    a, ia = ember.nn.functional.fractional_max_pool2d(x, 2, output_size=5, return_indices=True)
    ember.manual_seed(7)
    b = ember.nn.functional.fractional_max_pool2d(x, 2, output_size=5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.shape == (3, 4, 5, 5) and ia.dtype == ember.int64
    # every output is its window's element: the input at the returned index
    flat = x.reshape(3, 4, -1).numpy()
    np.testing.assert_array_equal(np.take_along_axis(flat, ia.reshape(3, 4, -1).numpy(), 2),
                                  a.reshape(3, 4, -1).numpy())
    # different draws pick different windows somewhere
    outs = {ember.nn.functional.fractional_max_pool2d(x, 2, output_size=5,
                                                      return_indices=True)[1].numpy().tobytes()
            for _ in range(4)}
    assert len(outs) > 1


def test_fractional_max_pool2d_module():
    e, t = ember.nn.FractionalMaxPool2d(3, output_ratio=0.5), torch.nn.FractionalMaxPool2d(
        3, output_ratio=0.5)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict()) == []
    assert (e.kernel_size, e.output_ratio, e.output_size) == ((3, 3), (0.5, 0.5), None)
    s = np.full((1, 2, 2), 0.3, np.float32)
    e2 = ember.nn.FractionalMaxPool2d(2, (3, 3), _random_samples=ember.tensor(s))
    t2 = torch.nn.FractionalMaxPool2d(2, (3, 3), _random_samples=torch.from_numpy(s))
    assert list(e2.state_dict()) == list(t2.state_dict()) == ["_random_samples"]
    for kw, match in [({}, "requires specifying either an output size"),
                      (dict(output_size=2, output_ratio=0.5), "only one of output_size"),
                      (dict(output_ratio=1.5), "output_ratio must be between 0 and 1")]:
        for lib in (torch, ember):
            with pytest.raises(ValueError, match=match):
                lib.nn.FractionalMaxPool2d(2, **kw)


@pytest.mark.parametrize("x,kw,match", [
    (rand(2, 3, 5, 5), dict(kernel_size=2), "requires specifying either an output_size"),
    (rand(3, 5), dict(kernel_size=2, output_size=2), "Dimension out of range"),
    (rand(2, 3, 4, 5, 5), dict(kernel_size=2, output_size=2), "Expected 3D or 4D tensor"),
    (rand(2, 0, 5, 5), dict(kernel_size=2, output_size=2), "non-zero size for non-batch"),
    (rand(2, 3, 5, 5), dict(kernel_size=3, output_size=4), "pool height 3 too large"),
    (rand(2, 3, 6, 5), dict(kernel_size=(1, 3), output_size=4), "pool width 3 too large"),
])
def test_fractional_max_pool2d_errors(x, kw, match):
    check_raises(lambda lib, a: lib.nn.functional.fractional_max_pool2d(a, **kw), x, match=match)


def test_fractional_max_pool2d_samples_dtype_error():
    check_raises(lambda lib, a, s: lib.nn.functional.fractional_max_pool2d(
        a, 2, output_size=2, _random_samples=s), rand(1, 2, 5, 5), rand(1, 2, 2, dtype=np.float64),
        match="Expect _random_samples to have the same dtype as input")
    check_raises(lambda lib, a, s: lib.nn.functional.fractional_max_pool2d(
        a, 2, output_size=2, _random_samples=s.requires_grad_()), rand(1, 2, 5, 5),
        rand(1, 2, 2), match="not differentiable with respect to argument 'random_samples'")


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in both libraries."""
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as exc:
            make(lib)
        out.append((type(exc.value).__name__, str(exc.value)))
    assert out[1] == out[0]


@pytest.mark.parametrize("x_shape, s_shape, x_dtype, s_dtype, out", [
    ((2, 3, 9, 10), (1, 3, 2), "float32", "float32", (4, 5)),   # too few samples
    ((2, 3, 9, 10), (2, 2, 2), "float32", "float32", (4, 5)),   # channels
    ((2, 3, 9, 10), (2, 3, 1), "float32", "float32", (4, 5)),   # last dim
    ((2, 3, 9, 10), (2, 3), "float32", "float32", (4, 5)),      # not 3-D
    ((2, 3, 9, 10), (2, 3, 2), "int64", "float32", (4, 5)),     # dtypes differ (checked first)
    ((2, 3, 9, 10), (2, 3, 2), "int64", "int64", (4, 5)),       # then the kernel's dtype
    ((2, 3, 9, 10), (2, 3, 2), "int64", "int64", (8, 5)),       # the window size before both
    ((3, 9, 10), (0, 3, 2), "float32", "float32", (4, 5)),
])
def test_fractional_max_pool2d_sample_checks(x_shape, s_shape, x_dtype, s_dtype, out):
    _same_error(lambda L: L.nn.functional.fractional_max_pool2d(
        L.zeros(x_shape, dtype=getattr(L, x_dtype)), 3, output_size=out,
        _random_samples=L.zeros(s_shape, dtype=getattr(L, s_dtype))))


def test_fractional_max_pool2d_samples_requiring_grad_refused_first():
    _same_error(lambda L: L.nn.functional.fractional_max_pool2d(
        L.zeros(1, 2, 3, 9, 10), 3, output_size=4,
        _random_samples=L.rand(1, 2, 2, requires_grad=True)))


def test_fractional_max_pool2d_nan_index_is_the_windows_last_nan():
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 10)).astype(np.float32)
    x[0, 0, :3, :3] = np.nan
    x[0, 1, 2, ::2] = np.nan
    s = np.random.default_rng(0).uniform(0, 1, (2, 3, 2)).astype(np.float32)
    outs = [lib.nn.functional.fractional_max_pool2d(
        lib.tensor(x), 3, output_size=(4, 5), _random_samples=lib.tensor(s),
        return_indices=True) for lib in (torch, ember)]
    np.testing.assert_array_equal(outs[1][1].numpy(), outs[0][1].numpy())
    np.testing.assert_array_equal(outs[1][0].numpy(), outs[0][0].numpy())

"""cdist, pdist, dist and renorm against torch: values, gradients (with PyTorch's conventions at
zero distance and for ties of the inf-norm), gradcheck and errors."""
import math

import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand

PS = [0, 0.5, 1, 1.5, 2, 3, math.inf]


def _with_ties(n, m, dtype=np.float32):
    """Rows with repeats (zero distances) and coordinates that tie for the largest difference."""
    x = np.round(rand(n, m, dtype=dtype, low=-2, high=2))
    x[1] = x[0]
    return x


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cdist(p, dtype):
    compare(lambda lib, a, b: lib.cdist(a, b, p=p), rand(4, 3, dtype=dtype),
            rand(5, 3, dtype=dtype))
    compare(lambda lib, a, b: lib.cdist(a, b, p), rand(2, 1, 3, 2, dtype=dtype),
            rand(4, 5, 2, dtype=dtype))  # batch dims broadcast


@pytest.mark.parametrize("p", PS)
def test_cdist_zero_distances_and_ties(p):
    x = _with_ties(4, 3)
    compare(lambda lib, a, b: lib.cdist(a, b, p), x, x[:3].copy())
    compare(lambda lib, a: lib.cdist(a, a, p), x)


def test_cdist_compute_modes_noncontig_and_empty():
    a, b = rand(30, 4), rand(28, 4)
    for mode in ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                 "donot_use_mm_for_euclid_dist"]:
        compare(lambda lib, x, y: lib.cdist(x, y, compute_mode=mode), a, b, rtol=1e-4,
                atol=1e-4)
    compare(lambda lib, x, y: lib.cdist(x, y), noncontig(rand(3, 4)), noncontig(rand(5, 4)))
    compare(lambda lib, x, y: lib.cdist(x, y), rand(0, 3), rand(2, 3))
    compare(lambda lib, x, y: lib.cdist(x, y, 1), rand(2, 0), rand(3, 0))


def test_cdist_errors():
    check_raises(lambda lib, a, b: lib.cdist(a, b), rand(3), rand(3, 3), match="at least 2D")
    check_raises(lambda lib, a, b: lib.cdist(a, b), rand(3, 2), rand(2, 3),
                 match="same number of columns")
    check_raises(lambda lib, a, b: lib.cdist(a, b, -1), rand(3, 2), rand(2, 2),
                 match="non-negative")
    check_raises(lambda lib, a, b: lib.cdist(a, b, compute_mode="foo"), rand(3, 2), rand(2, 2),
                 match="not a valid value")
    check_raises(lambda lib, a, b: lib.cdist(a, b), np.ones((3, 2), np.int64),
                 np.ones((2, 2), np.int64), match="floating-point")
    check_raises(lambda lib, a, b: lib.cdist(a, b), rand(3, 2, dtype=np.float64), rand(2, 2),
                 match="expected scalar type Double but found Float")
    check_raises(lambda lib, a, b: lib.cdist(a, b), rand(3, 2, dtype=np.float16),
                 rand(2, 2, dtype=np.float16), match="not implemented for 'Half'")


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pdist(p, dtype):
    compare(lambda lib, a: lib.pdist(a, p), rand(5, 3, dtype=dtype))
    compare(lambda lib, a: lib.pdist(a, p), _with_ties(4, 3, dtype))
    compare(lambda lib, a: lib.pdist(a, p), noncontig(rand(4, 3, dtype=dtype)))


def test_pdist_small_and_errors():
    # NOTE: torch's backward of an empty pdist crashes the process, so only values are compared
    compare(lambda lib, a: lib.pdist(a), rand(1, 3), grad=False)
    compare(lambda lib, a: lib.pdist(a), rand(0, 3), grad=False)
    x = ember.tensor(rand(1, 3), requires_grad=True)
    ember.pdist(x).sum().backward()
    assert not x.grad.numpy().any()
    check_raises(lambda lib, a: lib.pdist(a), rand(3), match="2D")
    check_raises(lambda lib, a: lib.pdist(a), rand(2, 3, 2), match="2D")
    check_raises(lambda lib, a: lib.pdist(a, -1), rand(3, 2), match="non-negative")
    check_raises(lambda lib, a: lib.pdist(a), np.ones((3, 2), np.int64), match="floating")
    check_raises(lambda lib, a: lib.pdist(a), rand(3, 2, dtype=np.float16),
                 match="not implemented for 'Half'")


@pytest.mark.parametrize("p", PS + [-1, -math.inf])
def test_dist(p):
    # NOTE: torch has no gradient for p=0 (its backward fails), ember's is zero
    compare(lambda lib, a, b: lib.dist(a, b, p), rand(3, 4), rand(4), grad=p != 0)
    compare(lambda lib, a, b: a.dist(b, p), rand(3, dtype=np.float64),
            rand(3, dtype=np.float64), grad=p != 0)
    x = _with_ties(2, 3)
    if p > 0:  # 0-distance: PyTorch's gradient is 0, not NaN (negative p: its NaN is compared)
        compare(lambda lib, a, b: lib.dist(a, b, p), x[0].copy(), x[1].copy(), grad=p != 0)
    compare(lambda lib, a, b: lib.dist(a, b, p), np.array(1.5), np.array(0.5), grad=p != 0)
    check_raises(lambda lib, a, b: lib.dist(a, b, p), np.ones(3, np.int64), np.zeros(3, np.int32),
                 match="norm\\(\\): input dtype should be either floating point")


@pytest.mark.parametrize("p", [0.5, 1, 2, 3, math.inf])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_renorm(p, dim, dtype):
    x = rand(3, 4, 2, dtype=dtype, low=-2, high=2)
    compare(lambda lib, a: lib.renorm(a, p, dim, 1.5), x)
    compare(lambda lib, a: a.renorm(p, dim, 0.0), x)
    compare(lambda lib, a: (a * 1).renorm_(p, dim, 1.0), x)


def test_renorm_out_and_errors():
    x = rand(3, 4)
    for lib in (torch, ember):
        o = lib.empty(0)
        r = lib.renorm(lib.tensor(x), 2, 0, 0.5, out=o)
        assert r is o
    np.testing.assert_allclose(o.numpy(), torch.renorm(torch.tensor(x), 2, 0, 0.5).numpy(),
                               rtol=1e-6)
    check_raises(lambda lib, a: lib.renorm(a, 2, 0, 1.0), rand(3), match="at least 2 dim")
    check_raises(lambda lib, a: lib.renorm(a, 0, 0, 1.0), rand(3, 2), match="non-positive")
    check_raises(lambda lib, a: lib.renorm(a, 2, 0, -1.0), rand(3, 2), match="maxnorm")
    check_raises(lambda lib, a: lib.renorm(a, 2, 2, 1.0), rand(3, 2))


@pytest.mark.parametrize("p", [1, 1.5, 2, 3, math.inf])
def test_gradcheck(p):
    x = ember.tensor(rand(3, 2, dtype=np.float64), requires_grad=True)
    y = ember.tensor(rand(4, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: ember.cdist(a, b, p), (x, y))
    assert ember.autograd.gradcheck(lambda a: ember.pdist(a, p), (x,))
    assert ember.autograd.gradcheck(lambda a: ember.renorm(a, p, 0, 0.5), (y,))
    if p != math.inf:
        assert ember.autograd.gradgradcheck(lambda a, b: ember.cdist(a, b, p), (x, y))
        assert ember.autograd.gradgradcheck(lambda a: ember.renorm(a, p, 1, 0.5), (y,))


def test_cdist_one_input_needs_grad():
    compare(lambda lib, a, b: lib.cdist(a, b.detach()), rand(3, 2), rand(4, 2))
    compare(lambda lib, a, b: lib.cdist(a.detach(), b, 1), rand(3, 2), rand(4, 2))


@pytest.mark.parametrize("p", [0, 1, 2, 3, math.inf])
def test_cdist_in_blocks(monkeypatch, p):
    from ember._ops import distance
    monkeypatch.setattr(distance, "_BLOCK", 7)  # a few rows per block, some blocks short
    compare(lambda lib, a, b: lib.cdist(a, b, p), rand(2, 5, 3), rand(4, 3))
    compare(lambda lib, a: lib.pdist(a, p), _with_ties(6, 2))
    x = ember.tensor(rand(5, 2, dtype=np.float64), requires_grad=True)
    y = ember.tensor(rand(3, 2, dtype=np.float64), requires_grad=True)
    if p not in (0, math.inf):
        assert ember.autograd.gradgradcheck(lambda a, b: ember.cdist(a, b, p), (x, y))


def test_cdist_batch_mismatch():
    check_raises(lambda lib, a, b: lib.cdist(a, b), rand(2, 3, 2), rand(3, 4, 2),
                 match="must match")

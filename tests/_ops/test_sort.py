"""sort, argsort, msort, topk, kthvalue, median against torch. Inputs have distinct values where
indices are compared (PyTorch does not promise which of equal elements comes first, except when
sorting with stable=True)."""
import numpy as np
import pytest

import ember
from helpers import check_raises, compare, noncontig, rand
from test_reduce import double_backward, gradcheck

F32, F64 = np.float32, np.float64


def distinct(*shape, dtype=F64):
    """Distinct values in random order."""
    n = int(np.prod(shape))
    return np.asarray((np.random.default_rng(n).permutation(n).reshape(shape) - n / 2) / 4, dtype)


SHAPES = [((6,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -2), ((), 0), ((), -1), ((0, 3), 1),
          ((0, 3), 0)]


@pytest.mark.parametrize("shape,dim", SHAPES)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dt", [F32, F64])
def test_sort_argsort(shape, dim, descending, dt):
    x = distinct(*shape, dtype=dt)
    r = compare(lambda lib, x: lib.sort(x, dim, descending), x)
    assert type(r).__name__ == "sort" and r.values is r[0] and r.indices is r[1]
    compare(lambda lib, x: x.sort(dim=dim, descending=descending, stable=True), noncontig(x))
    compare(lambda lib, x: lib.argsort(x, dim, descending), x)
    compare(lambda lib, x: x.argsort(dim=dim, descending=descending), noncontig(x))


@pytest.mark.parametrize("dt", [np.bool_, np.uint8, np.int32, np.int64])
def test_sort_stable_with_ties_and_ints(dt):
    x = rand(3, 8, dtype=dt, low=0, high=3)
    compare(lambda lib, x: (x.sort(stable=True), x.sort(dim=0, descending=True, stable=True)), x)
    compare(lambda lib, x: lib.argsort(x, dim=1, descending=True, stable=True), x)
    compare(lambda lib, x: x.sort(dim=1, stable=True), np.array([[1.0, 0.5, 1.0, 0.5, 1.0]]))


def test_sort_nan():
    x = np.array([[1.0, np.nan, 3.0, -1.0], [2.0, 5.0, -1.0, np.nan]])
    compare(lambda lib, x: (x.sort(1), x.sort(1, descending=True), x.topk(2),
                            x.topk(2, largest=False)), x)


def test_msort():
    compare(lambda lib, x: lib.msort(x), distinct(4, 3))
    compare(lambda lib, x: x.msort(), distinct(5))


@pytest.mark.parametrize("shape,dim,k", [((6,), 0, 3), ((3, 4), 1, 2), ((3, 4), 0, 3),
                                         ((2, 3, 4), -1, 4),
                                         ((3, 4), 1, 0), ((), 0, 1), ((), -1, 0), ((0, 3), 1, 2)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(shape, dim, k, largest):
    x = distinct(*shape)
    r = compare(lambda lib, x: lib.topk(x, k, dim, largest), x)
    assert type(r).__name__ == "topk"
    compare(lambda lib, x: x.topk(k, dim=dim, largest=largest, sorted=True),
            noncontig(x.astype(F32)))


def test_topk_errors_and_ints():
    compare(lambda lib, x: x.topk(2), rand(3, 5, dtype=np.int64, low=-50, high=50) * 0 +
            np.arange(15).reshape(3, 5)[:, ::-1].copy())
    check_raises(lambda lib, x: x.topk(5), rand(3, 4))
    check_raises(lambda lib, x: x.topk(-1), rand(3, 4))
    check_raises(lambda lib, x: x.topk(1), rand(3, dtype=np.bool_))
    check_raises(lambda lib, x: x.topk(1, 2), rand(3, 4))


@pytest.mark.parametrize("shape,dim,k,keepdim", [
    ((6,), 0, 3, False), ((3, 4), 1, 1, True), ((3, 4), 0, 3, False), ((2, 3, 4), -2, 2, True),
    ((), 0, 1, False), ((0, 3), 0, 1, False)])
def test_kthvalue(shape, dim, k, keepdim):
    x = distinct(*shape)
    if 0 in shape:
        x = rand(*shape, dtype=F64)
    r = compare(lambda lib, x: lib.kthvalue(x, k, dim, keepdim), x) if shape != (0, 3) else None
    if r is not None:
        assert type(r).__name__ == "kthvalue"
    check_raises(lambda lib, x: x.kthvalue(1, 0), rand(0, 3))


def test_kthvalue_errors():
    check_raises(lambda lib, x: x.kthvalue(5), rand(3, 4))
    check_raises(lambda lib, x: x.kthvalue(0), rand(3, 4))
    check_raises(lambda lib, x: x.kthvalue(1, 2), rand(3, 4))
    compare(lambda lib, x: x.kthvalue(2, 0, keepdim=True),
            np.array([[3, 1], [0, 2], [1, 7]], np.int32))


@pytest.mark.parametrize("shape", [(5,), (4,), (3, 4), (2, 3, 2), (), (0,), (0, 3)])
@pytest.mark.parametrize("dt", [F32, F64, np.int32])
def test_median_all(shape, dt):
    x = distinct(*shape, dtype=dt)
    if dt == np.int32:
        x = np.arange(int(np.prod(shape)), dtype=dt).reshape(shape)
    compare(lambda lib, x: lib.median(x), x)


def test_median_all_ties_share_the_gradient():
    compare(lambda lib, x: x.median(), np.array([1.0, 2.0, 2.0, 3.0, 5.0]))
    compare(lambda lib, x: x.median(), np.array([[4.0, np.nan], [1.0, 2.0]]))


@pytest.mark.parametrize("shape,dim,keepdim", [
    ((5,), 0, False), ((3, 4), 1, True), ((3, 4), 0, False), ((2, 3, 4), -1, False), ((), 0, False),
    ((0, 3), 1, False)])
def test_median_dim(shape, dim, keepdim):
    x = distinct(*shape)
    r = compare(lambda lib, x: lib.median(x, dim, keepdim), x)
    assert type(r).__name__ == "median"
    compare(lambda lib, x: x.median(dim=dim, keepdim=keepdim), noncontig(x.astype(F32)))


def test_median_nan_and_errors():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, -1.0], [np.nan, 0.0, np.nan]])
    compare(lambda lib, x: (x.median(1), x.median()), x)
    check_raises(lambda lib, x: x.median(0), rand(0, 3))
    check_raises(lambda lib, x: x.median(), rand(3, dtype=np.bool_))


def test_names():
    x = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    names = [type(t.grad_fn).__name__ for t in
             (x.sort().values, x.topk(2).values, x.kthvalue(2).values, x.median(),
              x.median(0).values, x.msort())]
    assert names == ["SortBackward0", "TopkBackward0", "KthvalueBackward0", "MedianBackward0",
                     "MedianBackward1", "SortBackward0"]
    r = x.sort()
    assert r.indices.grad_fn is None and not r.indices.requires_grad


def test_double_backward_and_gradcheck():
    x = distinct(3, 4)
    double_backward(lambda lib, x: x.sort(1).values * x.topk(2, 0).values.sum(), x)
    double_backward(lambda lib, x: x.kthvalue(2, 1, True).values * x.median(0, True).values, x)
    gradcheck(lambda lib, x: (x.sort(0, descending=True).values
                              * x.topk(3, 1, largest=False).values.sum(1, keepdim=True)), x,
              second=True)
    gradcheck(lambda lib, x: x.kthvalue(3, 1).values + x.median(), x)

"""sum, mean, prod, max/min, amax/amin, aminmax, argmax/argmin, all/any, count_nonzero against
torch."""
import numpy as np
import pytest

import ember
from helpers import check_raises, compare, noncontig, rand

F32, F64 = np.float32, np.float64

# (shape, dim, keepdim): int, negative, tuple, all dims, 0-d and empty tensors
DIMS = [((2, 3, 4), None, False), ((2, 3, 4), 1, False), ((2, 3, 4), -1, True),
        ((2, 3, 4), (0, 2), False), ((2, 3, 4), (-1, 0), True), ((2, 3), [0, 1], False),
        ((5,), 0, False), ((), None, False), ((), 0, True), ((), -1, False), ((0, 3), 0, False),
        ((0, 3), 1, True), ((0, 3), None, False)]


def gradcheck(fn, *arrays, second=False):
    """ember.autograd.gradcheck (and gradgradcheck) of ``fn(ember, *xs)`` in float64."""
    xs = tuple(ember.tensor(np.asarray(a), dtype=ember.float64, requires_grad=True) for a in arrays)
    f = lambda *t: fn(ember, *t)  # noqa: E731
    assert ember.autograd.gradcheck(f, xs)
    if second:
        assert ember.autograd.gradgradcheck(f, xs)


def double_backward(fn, *arrays, **kw):
    """Compare second derivatives with torch: differentiate ``<fn(x), w>`` with create_graph=True,
    then let ``compare`` backpropagate through that gradient."""
    def first_grad(lib, *xs):
        out = fn(lib, *xs)
        w = lib.from_numpy(np.random.default_rng(2).standard_normal(tuple(out.shape)))
        return lib.autograd.grad((out * w).sum(), xs, create_graph=True)
    compare(first_grad, *arrays, **kw)


def name(t):
    return type(t.grad_fn).__name__


# ---- sum / mean ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim,keepdim", DIMS)
@pytest.mark.parametrize("dt", [F32, F64])
def test_sum_mean(shape, dim, keepdim, dt):
    x = rand(*shape, dtype=dt)
    compare(lambda lib, x: lib.sum(x, dim, keepdim) if dim is not None else lib.sum(x), x)
    compare(lambda lib, x: x.mean(dim, keepdim) if dim is not None else x.mean(), x)


def test_sum_mean_noncontig_and_dtype():
    x = noncontig(rand(3, 4))
    compare(lambda lib, x: (x.sum(0), x.sum(dim=1, keepdim=True), x.mean(-1)), x)
    compare(lambda lib, x: x.sum(1, dtype=lib.float64), x)
    compare(lambda lib, x: x.mean(dtype=lib.float64), x)
    compare(lambda lib, x: x.mean(0, dtype=lib.float32), rand(2, 3, dtype=np.int32, low=0, high=9))
    compare(lambda lib, x: x.sum(), rand(3, dtype=np.float16),
            grad=False, rtol=1e-3, atol=1e-3)  # half: 1 ulp apart


@pytest.mark.parametrize("dt", [np.bool_, np.uint8, np.int32, np.int64])
def test_sum_prod_integer_dtypes(dt):
    x = rand(2, 3, dtype=dt, low=0, high=4)
    compare(lambda lib, x: (x.sum(), x.sum(0), x.prod(), x.prod(1, keepdim=True)), x)
    compare(lambda lib, x: (x.sum(dtype=lib.int32), x.prod(0, dtype=lib.float32)), x)


def test_mean_int_raises():
    check_raises(lambda lib, x: x.mean(), rand(3, dtype=np.int64, low=0, high=3))
    check_raises(lambda lib, x: x.sum(2), rand(2, 3))
    check_raises(lambda lib, x: x.sum((0, 0)), rand(2, 3))
    check_raises(lambda lib, x: x.sum(1), rand())


def test_sum_mean_grad_fn_names():
    x = ember.ones(2, 3, requires_grad=True)
    assert [name(x.sum()), name(x.sum(0)), name(x.mean()), name(x.mean((0, 1)))] == \
        ["SumBackward0", "SumBackward1", "MeanBackward0", "MeanBackward1"]


def test_sum_mean_double_backward():
    double_backward(lambda lib, x: (x * x).sum(1) + (x * x * x).mean(), rand(2, 3, dtype=F64))


def test_sum_mean_gradcheck():
    gradcheck(lambda lib, x: x.sum((0, 2), keepdim=True) * 2 + x.mean(1).sum(-1),
              rand(2, 3, 2), second=True)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_nansum_nanmean(dim, keepdim):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, -1.0]])
    r = compare(lambda lib, x: (lib.nansum(x, dim, keepdim), x.nanmean(dim, keepdim))
                if dim is not None else (x.nansum(), lib.nanmean(x)), x)
    assert type(r[0].grad_fn).__name__ == "NansumBackward0"
    compare(lambda lib, x: (x.nansum(0), x.nansum(dtype=lib.float64)), rand(2, 3, dtype=np.int32))
    check_raises(lambda lib, x: x.nanmean(), rand(2, dtype=np.int64))
    double_backward(lambda lib, x: x.nansum(1) * x.nanmean(0).sum(), x)


# ---- prod ----------------------------------------------------------------------------------------
PROD_INPUTS = {
    "plain": np.array([[1.5, -2.0, 0.5], [3.0, 0.7, -1.2]]),
    "one_zero": np.array([[1.5, 0.0, 0.5], [3.0, 0.7, -1.2]]),
    "two_zeros": np.array([[0.0, 0.0, 0.5], [3.0, 0.0, -1.2]]),
}


@pytest.mark.parametrize("kind", list(PROD_INPUTS))
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
@pytest.mark.parametrize("dt", [F32, F64])
def test_prod(kind, dim, keepdim, dt):
    x = PROD_INPUTS[kind].astype(dt)
    compare(lambda lib, x: x.prod() if dim is None else lib.prod(x, dim, keepdim), x)


@pytest.mark.parametrize("shape,dim", [((), None), ((), 0), ((0, 3), 0), ((0, 3), 1), ((3, 4), 0)])
def test_prod_shapes(shape, dim):
    x = noncontig(rand(*shape)) if len(shape) == 2 else rand(*shape)
    compare(lambda lib, x: x.prod() if dim is None else x.prod(dim), x)


def test_prod_gradcheck_with_zeros():
    for x in PROD_INPUTS.values():
        gradcheck(lambda lib, x: x.prod(1), x, second=True)
        gradcheck(lambda lib, x: x.prod(), x)
    check_raises(lambda lib, x: x.prod((0, 1)), rand(2, 3))


def test_prod_double_backward():
    double_backward(lambda lib, x: x.prod(1), PROD_INPUTS["plain"])
    double_backward(lambda lib, x: x.prod(), PROD_INPUTS["plain"])
    double_backward(lambda lib, x: x.prod(0), PROD_INPUTS["one_zero"])


# ---- max / min -----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dt", [F32, F64])
def test_max_min_all(op, dt):
    compare(lambda lib, x: getattr(x, op)(), rand(3, 4, dtype=dt))
    compare(lambda lib, x: getattr(lib, op)(x), noncontig(rand(3, 4, dtype=dt)))
    compare(lambda lib, x: getattr(x, op)(), rand(dtype=dt))
    # ties share the gradient evenly
    compare(lambda lib, x: getattr(x, op)(), np.array([1.0, 3.0, 3.0, 1.0, 2.0], dt))


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("shape,dim,keepdim", [
    ((3, 4), 0, False), ((3, 4), 1, True), ((2, 3, 4), -2, False), ((5,), 0, True), ((), 0, False),
    ((), -1, True), ((0, 3), 1, False)])
def test_max_min_dim(op, shape, dim, keepdim):
    x = rand(*shape, dtype=F64)
    r = compare(lambda lib, x: getattr(lib, op)(x, dim, keepdim), x)
    assert type(r).__name__ == op and r.values is r[0] and r.indices is r[1]
    compare(lambda lib, x: getattr(x, op)(dim=dim, keepdim=keepdim).values, x)


def test_max_min_dim_ties_grad_goes_to_returned_index():
    compare(lambda lib, x: x.max(0), np.array([1.0, 3.0, 3.0, 2.0]))
    compare(lambda lib, x: x.min(1, keepdim=True), np.array([[1.0, 1.0], [2.0, 0.5]]))


@pytest.mark.parametrize("dt", [np.bool_, np.uint8, np.int32, np.int64])
def test_max_min_integer(dt):
    low = 0 if dt in (np.bool_, np.uint8) else -5
    x = rand(3, 4, dtype=dt, low=low, high=9)
    compare(lambda lib, x: (x.max(), x.min(), x.amax(1), x.amin((0, 1)), x.aminmax()), x)
    compare(lambda lib, x: (x.max(1), x.min(0, True)), x)


def test_max_min_nan():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, -1.0]])
    compare(lambda lib, x: (x.max(), x.min(1), x.max(1), x.amax(1), x.argmax(1), x.argmin()), x,
            grad=False)
    compare(lambda lib, x: x.max(), x)


def test_max_min_errors():
    e = rand(0, 3)
    check_raises(lambda lib, x: x.max(), e)
    check_raises(lambda lib, x: x.min(0), e)
    check_raises(lambda lib, x: x.max(2), rand(2, 3))
    check_raises(lambda lib, x: x.max((0, 1)), rand(2, 3))


@pytest.mark.skipif(not hasattr(ember, "maximum"), reason="maximum not written yet")
def test_max_min_binary():
    compare(lambda lib, x, y: (lib.max(x, y), lib.min(x, y), x.max(other=y)), rand(2, 3), rand(3))


def test_max_min_grad_fn_names():
    x = ember.ones(2, 3, requires_grad=True)
    assert [name(x.max()), name(x.max(0).values), name(x.min()), name(x.min(1)[0])] == \
        ["MaxBackward1", "MaxBackward0", "MinBackward1", "MinBackward0"]
    r = x.max(1)
    assert r.indices.grad_fn is None and not r.indices.requires_grad
    assert r.values.grad_fn._n_out == 2


def test_max_double_backward_and_gradcheck():
    x = rand(3, 4, dtype=F64)
    double_backward(lambda lib, x: x.max(1).values * x.min(0, keepdim=True).values.sum(), x)
    gradcheck(lambda lib, x: x.max(1).values + x.amin(0).sum(), x)


# ---- amax / amin / aminmax -----------------------------------------------------------------------
@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("shape,dim,keepdim", [
    ((3, 4), (), False), ((3, 4), 1, False), ((2, 3, 4), (0, -1), True), ((), 0, False),
    ((), (), True), ((0, 3), 1, False)])
def test_amax_amin(op, shape, dim, keepdim):
    compare(lambda lib, x: getattr(lib, op)(x, dim, keepdim), rand(*shape))
    compare(lambda lib, x: getattr(x, op)(dim, keepdim), noncontig(rand(*shape, dtype=F64)))


def test_amax_amin_ties_and_errors():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    compare(lambda lib, x: (x.amax(1), x.amin(), x.amax()), x)
    check_raises(lambda lib, x: x.amax(), rand(0, 3))
    check_raises(lambda lib, x: x.amin(0), rand(0, 3))
    assert name(ember.ones(2, requires_grad=True).amax()) == "AmaxBackward0"


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_aminmax(dim, keepdim):
    x = np.array([[1.0, 3.0, 3.0], [2.0, -2.0, 0.5]])
    r = compare(lambda lib, x: lib.aminmax(x, dim=dim, keepdim=keepdim), x)
    assert r.min is r[0] and r.max is r[1] and name(r.max) == "AminmaxBackward0"
    check_raises(lambda lib, x: lib.aminmax(x), rand(0, 3))


# ---- argmax / argmin -----------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("shape,dim,keepdim", [
    ((3, 4), None, False), ((3, 4), None, True), ((3, 4), 0, False), ((2, 3, 4), -1, True),
    ((), None, False), ((), 0, True), ((0, 3), 1, False)])
@pytest.mark.parametrize("dt", [F32, np.int32])
def test_argmax_argmin(op, shape, dim, keepdim, dt):
    x = rand(*shape, dtype=dt, low=-100, high=100)
    compare(lambda lib, x: getattr(lib, op)(x, dim, keepdim), x)
    compare(lambda lib, x: getattr(x, op)(dim=dim, keepdim=keepdim), noncontig(x))


def test_argmax_errors():
    check_raises(lambda lib, x: x.argmax(), rand(3, dtype=np.bool_))
    check_raises(lambda lib, x: x.argmin(0), rand(3, dtype=np.bool_))
    check_raises(lambda lib, x: x.argmax(), rand(0, 3))
    check_raises(lambda lib, x: x.argmin(0), rand(0, 3))
    check_raises(lambda lib, x: x.argmax(2), rand(2, 3))


# ---- all / any / count_nonzero -------------------------------------------------------------------
@pytest.mark.parametrize("dt", [np.bool_, np.uint8, np.int64, F32])
@pytest.mark.parametrize("shape,dim,keepdim", [
    ((3, 4), None, False), ((3, 4), 1, False), ((3, 4), 0, True), ((2, 3, 4), (0, 2), False),
    ((), 0, False), ((0, 3), 0, False), ((0, 3), None, False), ((0, 3), 1, True)])
def test_all_any(dt, shape, dim, keepdim):
    x = np.asarray(rand(*shape, dtype=dt, low=0, high=2))
    if dt == F32:
        x = np.asarray(np.round(x))
    compare(lambda lib, x: (lib.all(x, dim, keepdim), x.any(dim, keepdim)) if dim is not None
            else (lib.all(x), x.any()), x, grad=False)


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)])
def test_count_nonzero(dim):
    x = np.round(rand(3, 4, dtype=F64))
    compare(lambda lib, x: lib.count_nonzero(x, dim) if dim is not None else x.count_nonzero(), x,
            grad=False)
    compare(lambda lib, x: lib.count_nonzero(x), rand(0, 2, dtype=np.int32), grad=False)


def test_return_types_module():
    r = ember.max(ember.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    assert isinstance(r, ember.return_types.max) and isinstance(r, tuple)
    assert repr(r).startswith("ember.return_types.max(\nvalues=tensor(")
    v, i = r
    assert v.tolist() == [5.0, 7.0] and i.tolist() == [1, 0]
    import pickle
    r2 = pickle.loads(pickle.dumps(r))
    assert type(r2) is type(r) and r2.indices.tolist() == [1, 0]


def test_out_argument():
    def fn(lib, x):
        o, v, i = lib.empty(0), lib.empty(0), lib.empty(0, dtype=lib.long)
        r = lib.max(x, 1, out=(v, i))
        assert r.values is v and r.indices is i and lib.sum(x, 0, out=o) is o
        s = lib.sort(x, out=(lib.empty(0), lib.empty(0, dtype=lib.long)))
        return o, v, i, lib.cumsum(x, 1, out=lib.empty(0)), s.indices
    compare(fn, rand(2, 3), grad=False)
    check_raises(lambda lib, x: lib.sum(x.requires_grad_(), 0, out=lib.empty(0)), rand(2, 3))


def test_numpy_aliases():
    compare(lambda lib, x: (x.sum(axis=0), x.mean(axis=1, keepdims=True), lib.max(x, axis=1),
                            x.argmax(axis=1), x.softmax(axis=1), x.cumsum(axis=1),
                            x.sort(axis=0), x.std(axis=0), x.logsumexp(axis=0), lib.amax(x, axis=0),
                            x.all(axis=0), x.var(axis=1, keepdims=True)), rand(2, 3))

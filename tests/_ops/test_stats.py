"""var, std, var_mean, std_mean, logsumexp and norm against torch (values, gradients, second
derivatives)."""
import math
import warnings

import numpy as np
import pytest

import ember
from helpers import check_raises, compare, noncontig, rand
from test_reduce import double_backward, gradcheck

F32, F64 = np.float32, np.float64

DIMS = [(None, False), (0, False), (1, True), (-1, False), ((0, 2), False), ((-1, 0), True)]


@pytest.fixture(autouse=True)
def _quiet_dof_warnings():
    # both libraries warn about degrees of freedom <= 0 in the edge cases below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


# ---- var / std -----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dim,keepdim", DIMS)
@pytest.mark.parametrize("dt", [F32, F64])
def test_var_std(op, dim, keepdim, dt):
    x = rand(2, 3, 4, dtype=dt)
    compare(lambda lib, x: getattr(lib, op)(x, dim, keepdim=keepdim), x)
    compare(lambda lib, x: getattr(x, op)(dim, correction=0, keepdim=keepdim), x)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_overloads(op):
    x = noncontig(rand(3, 4))
    compare(lambda lib, x: (getattr(lib, op)(x, 0, False), getattr(lib, op)(x, 1, True, True),
                            getattr(lib, op)(x, False)), x)
    compare(lambda lib, x: (getattr(x, op)(unbiased=False),
                            getattr(x, op)(dim=[0, 1], correction=2)), x)
    compare(lambda lib, x: getattr(x, op)(1, correction=1.5), x)


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("shape,dim", [((), None), ((), 0), ((1,), 0), ((0, 3), 0), ((0, 3), 1),
                                       ((0, 3), None)])
def test_var_std_degenerate(op, shape, dim):
    compare(lambda lib, x: getattr(x, op)(dim), rand(*shape, dtype=F64))


def test_var_std_errors_and_names():
    check_raises(lambda lib, x: x.var(), rand(3, dtype=np.int64, low=0, high=3))
    check_raises(lambda lib, x: x.std(2), rand(2, 3))
    x = ember.ones(2, 3, requires_grad=True)
    assert type(x.var().grad_fn).__name__ == "VarBackward0"
    assert type(x.std(0).grad_fn).__name__ == "StdBackward0"
    with pytest.warns(UserWarning, match="degrees of freedom"):
        warnings.simplefilter("always", UserWarning)
        ember.tensor([1.0]).var()


def test_std_of_constant_has_zero_grad():
    compare(lambda lib, x: x.std(1), np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]))


@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 1), False)])
def test_var_mean_std_mean(op, dim, keepdim):
    r = compare(lambda lib, x: getattr(lib, op)(x, dim, keepdim=keepdim), rand(3, 4, dtype=F64))
    expected = "VarMeanBackward0" if op == "var_mean" else "StdMeanBackward0"
    assert type(r[0].grad_fn).__name__ == expected
    assert r[0].grad_fn is r[1].grad_fn and (r[0].output_nr, r[1].output_nr) == (0, 1)
    # gradient through one output only
    compare(lambda lib, x: getattr(lib, op)(x, 0, correction=0)[1], rand(3, 4))
    compare(lambda lib, x: getattr(lib, op)(x, 0, correction=0)[0], rand(3, 4))


def test_var_std_double_backward_and_gradcheck():
    x = rand(3, 4, dtype=F64)
    double_backward(lambda lib, x: x.var(1), x)
    double_backward(lambda lib, x: x.std(0, keepdim=True), x)
    double_backward(lambda lib, x: lib.std_mean(x, 1)[0] * lib.var_mean(x, 1)[1], x)
    gradcheck(lambda lib, x: x.var(0, correction=0) + x.std(0), x, second=True)
    gradcheck(lambda lib, x: lib.std_mean(x, 1)[0] + lib.var_mean(x, 1)[1], x)


# ---- logsumexp -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False), ((0, 2), True)])
@pytest.mark.parametrize("dt", [F32, F64])
def test_logsumexp(dim, keepdim, dt):
    compare(lambda lib, x: lib.logsumexp(x, dim, keepdim), rand(2, 3, 4, dtype=dt))
    compare(lambda lib, x: x.logsumexp(dim, keepdim=keepdim), noncontig(rand(2, 3, 4, dtype=dt)))


def test_logsumexp_shapes_and_dtypes():
    compare(lambda lib, x: x.logsumexp(0), rand(dtype=F64))
    compare(lambda lib, x: x.logsumexp(1), rand(0, 3))
    compare(lambda lib, x: x.logsumexp(0), rand(0, 3))
    compare(lambda lib, x: x.logsumexp(1), rand(2, 3, dtype=np.int64, low=-3, high=3))
    compare(lambda lib, x: x.logsumexp(0), rand(4, dtype=np.float16),
            grad=False, rtol=1e-3, atol=1e-3)  # half: 1 ulp apart


def test_logsumexp_stable():
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0],
                  [-1e4, -1e4 - 1, -1e4 + 2]])
    compare(lambda lib, x: x.logsumexp(1), x, grad=False)
    compare(lambda lib, x: x.logsumexp(1), x[[0, 3]])


def test_logsumexp_double_backward_and_gradcheck():
    x = rand(3, 4, dtype=F64)
    double_backward(lambda lib, x: x.logsumexp(1), x)
    gradcheck(lambda lib, x: x.logsumexp((0, 1)), x, second=True)
    y = ember.ones(2, requires_grad=True).logsumexp(0)
    assert type(y.grad_fn).__name__ == "LogsumexpBackward0"


# ---- norm ----------------------------------------------------------------------------------------
PS = [2, "fro", 1, 3, 1.5, 0.5, math.inf, -math.inf, 0, -1]


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (-1, True), ((0, 1), False)])
def test_norm(p, dim, keepdim):
    x = rand(3, 4, dtype=F64)
    compare(lambda lib, x: lib.norm(x, p, dim, keepdim), x)
    compare(lambda lib, x: x.norm(p=p, dim=dim, keepdim=keepdim), noncontig(rand(3, 4)))


@pytest.mark.parametrize("p", PS)
def test_norm_at_zero(p):
    # the zero vector, and a row with zeros: gradients are 0 where PyTorch masks them, never NaN
    x = np.array([[0.0, 0.0, 0.0], [0.0, 2.0, -1.0]])
    compare(lambda lib, x: x.norm(p=p, dim=1), x)


def test_norm_ties_nan_and_shapes():
    compare(lambda lib, x: (x.norm(p=math.inf), x.norm(p=-math.inf, dim=1)),
            np.array([[1.0, -3.0, 3.0], [1.0, -1.0, 2.0]]))
    compare(lambda lib, x: x.norm(), rand(dtype=F64))
    compare(lambda lib, x: x.norm(dim=0), rand(dtype=F64))
    compare(lambda lib, x: (x.norm(), x.norm(dim=0), x.norm(p=1, dim=1)), rand(0, 3))
    compare(lambda lib, x: x.norm(p=math.inf, dim=1), rand(0, 3))
    compare(lambda lib, x: x.norm(dtype=lib.float64), rand(3, 4))
    compare(lambda lib, x: x.norm(), rand(4, dtype=np.float16),
            grad=False, rtol=1e-3, atol=1e-3)  # half: 1 ulp apart


def test_norm_errors_and_name():
    check_raises(lambda lib, x: x.norm(), rand(3, dtype=np.int64, low=0, high=3))
    check_raises(lambda lib, x: x.norm(p=math.inf), rand(0, 3))
    check_raises(lambda lib, x: x.norm(p=-1), rand(0, 3))
    check_raises(lambda lib, x: x.norm(p=-math.inf, dim=0), rand(0, 3))
    check_raises(lambda lib, x: x.norm(dim=2), rand(2, 3))
    check_raises(lambda lib, x: x.norm(dim=(0, 1, 2)), rand(2, 3, 2))
    check_raises(lambda lib, x: x.norm(p="bad"), rand(2, 3))
    y = ember.ones(2, requires_grad=True).norm()
    assert type(y.grad_fn).__name__ == "LinalgVectorNormBackward0"


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, -1])
def test_norm_double_backward_and_gradcheck(p):
    x = rand(3, 4, dtype=F64)
    double_backward(lambda lib, x: x.norm(p=p, dim=1), x)
    gradcheck(lambda lib, x: x.norm(p=p, dim=(0, 1)), x, second=True)


def test_norm_gradcheck_piecewise():
    x = np.array([[0.3, -0.7, 0.2], [0.9, 0.1, -0.4]])
    for p in (1, math.inf, -math.inf):
        gradcheck(lambda lib, x: x.norm(p=p, dim=1), x)
    double_backward(lambda lib, x: x.norm(p=2, dim=0), np.array([0.0, 2.0, -1.0]))

"""cumsum and cumprod against torch, including cumprod's gradient through zeros."""
import numpy as np
import pytest

import ember
from helpers import check_raises, compare, noncontig, rand
from test_reduce import double_backward, gradcheck

F32, F64 = np.float32, np.float64


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1),
                                       ((), 0), ((), -1), ((0, 3), 0), ((0, 3), 1), ((3, 1), 1)])
@pytest.mark.parametrize("dt", [F32, F64])
def test_cumsum_cumprod(op, shape, dim, dt):
    x = rand(*shape, dtype=dt, low=0.5, high=1.5)
    compare(lambda lib, x: getattr(lib, op)(x, dim), x)
    compare(lambda lib, x: getattr(x, op)(dim=dim), noncontig(x))


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dt", [np.bool_, np.uint8, np.int32, np.int64, np.float16])
def test_cumsum_cumprod_dtypes(op, dt):
    x = rand(2, 4, dtype=dt, low=0, high=3)
    compare(lambda lib, x: (getattr(x, op)(1), getattr(x, op)(0, dtype=lib.float64)), x, grad=False,
            rtol=1e-3, atol=1e-3)
    compare(lambda lib, x: getattr(x, op)(1, dtype=lib.float64), rand(2, 3))


def test_cumsum_cumprod_errors_names_inplace():
    check_raises(lambda lib, x: x.cumsum(2), rand(2, 3))
    check_raises(lambda lib, x: x.cumprod(-3), rand(2, 3))
    x = ember.ones(3, requires_grad=True)
    assert type(x.cumsum(0).grad_fn).__name__ == "CumsumBackward0"
    assert type(x.cumprod(0).grad_fn).__name__ == "CumprodBackward0"
    compare(lambda lib, x: (x * 1).cumsum_(1).cumprod_(0), rand(2, 3))


ZEROS = [np.array([2.0, 0.0, 3.0, 4.0]), np.array([2.0, 0.0, 3.0, 0.0, 5.0]),
         np.array([0.0, 0.5, -2.0]), np.array([1.5, 2.0, 0.0]), np.array([0.0, 0.0]),
         np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [0.5, 1.5, -1.0]])]


@pytest.mark.parametrize("x", ZEROS, ids=range(len(ZEROS)))
def test_cumprod_with_zeros(x):
    compare(lambda lib, x: x.cumprod(-1), x)
    compare(lambda lib, x: x.cumprod(0), x)
    gradcheck(lambda lib, x: x.cumprod(-1), x, second=True)
    double_backward(lambda lib, x: x.cumprod(0), x)


def test_double_backward_and_gradcheck():
    x = rand(3, 4, dtype=F64, low=0.5, high=1.5)
    double_backward(lambda lib, x: x.cumsum(1) * x.cumprod(0), x)
    gradcheck(lambda lib, x: x.cumsum(0) * x.cumprod(1), x, second=True)

"""softmax and log_softmax against torch: values, gradients, second derivatives, stability."""
import numpy as np
import pytest

import ember
from helpers import check_raises, compare, noncontig, rand
from test_reduce import double_backward, gradcheck

F32, F64 = np.float32, np.float64
OPS = ["softmax", "log_softmax"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1),
                                       ((2, 3, 4), 1),
                                       ((), 0), ((), -1), ((0, 3), 1), ((0, 3), 0), ((3, 1), 1)])
@pytest.mark.parametrize("dt", [F32, F64])
def test_softmax(op, shape, dim, dt):
    x = rand(*shape, dtype=dt, low=-3, high=3)
    compare(lambda lib, x: getattr(lib, op)(x, dim), x)
    compare(lambda lib, x: getattr(x, op)(dim), noncontig(x))


@pytest.mark.parametrize("op", OPS)
def test_softmax_dtype(op):
    compare(lambda lib, x: getattr(lib, op)(x, 1, dtype=lib.float64), rand(2, 3))
    compare(lambda lib, x: getattr(x, op)(-1, lib.float32),
            rand(2, 3, dtype=np.int64, low=-3, high=3))
    compare(lambda lib, x: getattr(x, op)(0), rand(4, dtype=np.float16),
            grad=False, rtol=1e-3, atol=1e-3)  # half: 1 ulp apart
    x = ember.ones(2, 3, requires_grad=True)
    y = getattr(ember, op)(x, 1, dtype=ember.float64)
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "ToCopyBackward0"


@pytest.mark.parametrize("op", OPS)
def test_softmax_errors_and_names(op):
    check_raises(lambda lib, x: getattr(lib, op)(x, 1), rand(2, 3, dtype=np.int64, low=0, high=3))
    check_raises(lambda lib, x: getattr(lib, op)(x, 2), rand(2, 3))
    check_raises(lambda lib, x: getattr(lib, op)(x, None), rand(2, 3))
    check_raises(lambda lib, x: getattr(lib, op)(x, (0,)), rand(2, 3))
    name = {"softmax": "SoftmaxBackward0", "log_softmax": "LogSoftmaxBackward0"}[op]
    assert type(getattr(ember.ones(3, requires_grad=True), op)(0).grad_fn).__name__ == name


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dt", [F32, F64])
def test_softmax_large_inputs_are_stable(op, dt):
    x = np.array([[1000.0, 1000.0, -1000.0], [1e4, 0.0, -1e4], [-1000.0, -1000.0, -999.0]], dt)
    r = compare(lambda lib, x: getattr(x, op)(1), x)
    assert not np.isnan(r.detach().numpy()).any()
    compare(lambda lib, x: getattr(x, op)(0), x)


@pytest.mark.parametrize("op", OPS)
def test_softmax_infinities(op):
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0]])
    compare(lambda lib, x: getattr(x, op)(1), x, grad=False)
    compare(lambda lib, x: getattr(x, op)(1), x[:1])


@pytest.mark.parametrize("op", OPS)
def test_softmax_double_backward_and_gradcheck(op):
    x = rand(3, 4, dtype=F64, low=-2, high=2)
    double_backward(lambda lib, x: getattr(x, op)(1), x)
    double_backward(lambda lib, x: getattr(x, op)(0) * x, x)
    gradcheck(lambda lib, x: getattr(x, op)(-1), x, second=True)
    gradcheck(lambda lib, x: getattr(x, op)(0), rand(2, 3, 2), second=True)

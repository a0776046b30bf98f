"""hypot, logaddexp, logaddexp2 against torch: values (where the naive formulas overflow too),
broadcasting, gradients, double backward, in-place hypot_ and errors."""
import numpy as np
import pytest

from helpers import check_raises, compare, rand


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_gradients(name, dtype):
    compare(lambda lib, a, b: getattr(lib, name)(a, b), rand(3, 4, dtype=dtype, low=-3, high=3),
            rand(4, dtype=dtype, low=-3, high=3))
    compare(lambda lib, a, b: getattr(a, name)(b), rand(2, 1, dtype=dtype), rand(2, 5, dtype=dtype))


def test_no_overflow_where_the_naive_formulas_do():
    big = np.array([1e30, -1e30, 3e38], np.float32)
    compare(lambda lib, a, b: lib.hypot(a, b), big, big[::-1].copy(), grad=False)
    x = np.array([1000.0, -1000.0, 80.0], np.float32)
    compare(lambda lib, a, b: lib.logaddexp(a, b), x, x - 1, grad=False)
    compare(lambda lib, a, b: lib.logaddexp2(a, b), x, x + 2, grad=False)


@pytest.mark.parametrize("name", ["hypot", "logaddexp"])
def test_double_backward(name):
    def second(lib, a, b):
        y = getattr(lib, name)(a, b)
        (ga,) = lib.autograd.grad(y.sum(), a, create_graph=True)
        return ga
    compare(second, rand(5, dtype=np.float64, low=0.5, high=2),
            rand(5, dtype=np.float64, low=0.5, high=2))


def test_hypot_in_place_and_errors():
    compare(lambda lib, a, b: (a * 1).hypot_(b), rand(3), rand(3))
    ints = np.array([3, 4], np.int64)
    check_raises(lambda lib, a, b: lib.hypot(a, b), ints, ints, match="not implemented for 'Long'")
    check_raises(lambda lib, a: lib.logaddexp(a, 2.0), rand(2))

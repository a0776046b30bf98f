import numpy as np
import pytest

from helpers import compare, rand


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((0, 3), (3,))])
def test_binary_broadcast(sa, sb):
    compare(lambda lib, x, y: x * y + x / (y + 3) - y, rand(*sa), rand(*sb))


def test_scalar_promotion():
    compare(lambda lib, x: x * 2.5 + 1, rand(3, dtype=np.int32, low=0, high=5))
    compare(lambda lib, x: 1 / x, rand(3, dtype=np.int64, low=1, high=5))
    compare(lambda lib, x, y: x + y, rand(3, dtype=np.float32), rand(3, dtype=np.float64))
    compare(lambda lib, x, y: x + y, rand(3, dtype=np.float32), rand(dtype=np.float64))
    compare(lambda lib, x, y: x + y, rand(3, dtype=np.int32, low=0, high=3), rand(dtype=np.float64))


def test_reduce():
    compare(lambda lib, x: x.sum(1) + x.mean((0, 1), keepdim=True), rand(2, 3, 4))

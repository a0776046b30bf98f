"""Window functions against torch: values and dtypes for both forms, every length class, dtypes,
requires_grad, and errors."""
import pytest
import torch

import ember
from helpers import assert_close, check_raises

NAMES = ["hann_window", "hamming_window", "bartlett_window", "blackman_window", "kaiser_window"]
LENGTHS = [0, 1, 2, 3, 4, 7, 10, 64]


def _same(fn, rtol=1e-6, atol=1e-6):
    assert_close(fn(ember), fn(torch), rtol, atol)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, n, periodic):
    _same(lambda lib: getattr(lib, name)(n))
    _same(lambda lib: getattr(lib, name)(n, periodic))
    _same(lambda lib: getattr(lib, name)(n, periodic=periodic, dtype=lib.float64),
          rtol=1e-12, atol=1e-14)
    _same(lambda lib: getattr(lib, name)(n, periodic, dtype=lib.float16), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("n", [1, 5, 8])
def test_window_coefficients(n):
    _same(lambda lib: lib.hamming_window(n, True, 0.5, 0.4))
    _same(lambda lib: lib.hamming_window(n, False, alpha=0.3, beta=0.7, dtype=lib.float64))
    for beta in [0.0, 3.0, 12.0, -1.0]:
        _same(lambda lib: lib.kaiser_window(n, False, beta))
        _same(lambda lib: lib.kaiser_window(n, True, beta=beta, dtype=lib.float64),
              rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_window_options(name):
    for lib in (torch, ember):
        w = getattr(lib, name)(5, requires_grad=True)
        assert w.requires_grad and w.is_leaf
        prev = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            assert getattr(lib, name)(3).dtype == lib.float64
        finally:
            lib.set_default_dtype(prev)
    _same(lambda lib: getattr(lib, name)(4, device="cpu"))


@pytest.mark.parametrize("name", NAMES)
def test_window_errors(name):
    check_raises(lambda lib: getattr(lib, name)(-1), match="non-negative window_length")
    check_raises(lambda lib: getattr(lib, name)(3, dtype=lib.int64),
                 match="expects floating point dtypes")
    check_raises(lambda lib: getattr(lib, name)(3.0), match="must be int")

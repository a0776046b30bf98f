"""ember.signal.windows against torch.signal.windows: values and dtypes for both forms, the
per-window parameters, M = 0 and 1, requires_grad (the result is computed from a leaf, as in
torch), and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_close

NAMES = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_hamming",
         "hamming", "hann", "kaiser", "nuttall"]


def _same(fn, rtol=1e-6, atol=1e-7):
    assert_close(fn(ember), fn(torch), rtol, atol)


def _win(lib, name):
    return getattr(lib.signal.windows, name)


@pytest.mark.parametrize("name", NAMES + ["general_cosine"])
@pytest.mark.parametrize("M", [0, 1, 2, 3, 8, 11])
@pytest.mark.parametrize("sym", [True, False])
def test_values(name, M, sym):
    kw = {"a": [0.4, 0.3, 0.2, 0.1]} if name == "general_cosine" else {}
    _same(lambda lib: _win(lib, name)(M, sym=sym, **kw))
    _same(lambda lib: _win(lib, name)(M, sym=sym, dtype=lib.float64, **kw), 1e-12, 1e-14)
    _same(lambda lib: _win(lib, name)(M, sym=sym, dtype=lib.float32, device="cpu", **kw))


@pytest.mark.parametrize("M", [1, 6, 9])
@pytest.mark.parametrize("sym", [True, False])
def test_parameters(M, sym):
    for dt in ("float32", "float64"):
        tol = (1e-6, 1e-7) if dt == "float32" else (1e-12, 1e-14)
        _same(lambda lib: lib.signal.windows.exponential(M, tau=2.5, sym=sym,
                                                          dtype=getattr(lib, dt)), *tol)
        _same(lambda lib: lib.signal.windows.gaussian(M, std=0.7, sym=sym,
                                                       dtype=getattr(lib, dt)), *tol)
        _same(lambda lib: lib.signal.windows.general_hamming(M, alpha=0.3, sym=sym,
                                                              dtype=getattr(lib, dt)), *tol)
        _same(lambda lib: lib.signal.windows.general_cosine(M, a=(1.0,), sym=sym,
                                                             dtype=getattr(lib, dt)), *tol)
        for beta in (0.0, 2.5, 20.0):
            # NOTE: sqrt(beta^2 - k^2) cancels: one ulp of linspace is 1e-6 relative in float32
            _same(lambda lib: lib.signal.windows.kaiser(M, beta=beta, sym=sym,
                                                         dtype=getattr(lib, dt)),
                  *((1e-5, 1e-6) if dt == "float32" else tol))
    if not sym:
        _same(lambda lib: lib.signal.windows.exponential(M, center=1.5, sym=False))


def test_default_dtype_and_requires_grad():
    for lib in (torch, ember):
        prev = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            assert lib.signal.windows.hann(4).dtype == lib.float64
        finally:
            lib.set_default_dtype(prev)
    for name in NAMES:
        for M in (0, 1, 5):
            t = _win(torch, name)(M, requires_grad=True)
            e = _win(ember, name)(M, requires_grad=True)
            assert e.requires_grad == t.requires_grad and e.is_leaf == t.is_leaf, (name, M)
            if not t.is_leaf:  # the gradient through the window's formula, too
                g = np.linspace(-1, 1, M).astype(np.float32)
                t.backward(torch.from_numpy(g))
                e.backward(ember.from_numpy(g))


def test_namespace():
    assert sorted(ember.signal.windows.__all__) == sorted(torch.signal.windows.__all__)
    assert ember.signal.__all__ == ["windows"]


ERRORS = [
    (lambda lib: lib.signal.windows.hann(-1), ValueError, "non-negative window length"),
    (lambda lib: lib.signal.windows.kaiser(-2), ValueError, "non-negative window length"),
    (lambda lib: lib.signal.windows.bartlett(3, dtype=lib.int64), ValueError,
     "expects float32 or float64 dtypes"),
    (lambda lib: lib.signal.windows.cosine(3, dtype=lib.float16), ValueError,
     "expects float32 or float64 dtypes"),
    (lambda lib: lib.signal.windows.blackman(3, dtype=lib.complex64), ValueError,
     "blackman expects float32"),
    # ember has no sparse layouts: any other layout object is refused the same way
    (lambda lib: lib.signal.windows.hamming(3, layout=getattr(lib, "sparse_coo", "sparse")),
     ValueError, "strided tensors only"),
    (lambda lib: lib.signal.windows.exponential(3, tau=0.0), ValueError, "Tau must be positive"),
    (lambda lib: lib.signal.windows.exponential(3, center=1.0), ValueError,
     "Center must be None for symmetric windows"),
    (lambda lib: lib.signal.windows.gaussian(3, std=-1.0), ValueError,
     "Standard deviation must be positive"),
    (lambda lib: lib.signal.windows.kaiser(3, beta=-1.0), ValueError,
     "beta must be non-negative"),
    (lambda lib: lib.signal.windows.general_cosine(3, a=[]), ValueError,
     "Coefficients cannot be empty"),
    (lambda lib: lib.signal.windows.general_cosine(3, a=0.5), TypeError,
     "Coefficients must be a list/tuple"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, exc, match = ERRORS[i]
    with pytest.raises(exc, match=match):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(ember)

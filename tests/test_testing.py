"""ember.testing (assert_close, make_tensor) against torch.testing: the same verdicts and the
same messages on the same inputs; and ember.backends' switches."""
import numpy as np
import pytest
import torch

import ember


def _outcome(lib, make):
    try:
        make(lib)
    except Exception as exc:  # noqa: BLE001 (the exception itself is what is compared)
        return type(exc).__name__, str(exc).replace("torch.", "").replace("ember.", "")
    return "ok", ""


nan, inf = float("nan"), float("inf")
CASES = [
    lambda L: L.testing.assert_close(L.tensor([1., 2., 3.]), L.tensor([1., 2.1, 3.])),
    lambda L: L.testing.assert_close(L.tensor([1., 2., 3.]), L.tensor([1., 2. + 1e-7, 3.])),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]), L.tensor([1., 2., 3.])),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.], dtype=L.float64)),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.5], dtype=L.float64),
                                     check_dtype=False),
    lambda L: L.testing.assert_close(L.tensor([1, 2]), L.tensor([1, 3])),
    lambda L: L.testing.assert_close(L.tensor([True, False]), L.tensor([True, True])),
    lambda L: L.testing.assert_close(1, 1.0),
    lambda L: L.testing.assert_close(1.0, 1.1),
    lambda L: L.testing.assert_close(1.0, 1.0 + 1e-9),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.]), rtol=1e-3),
    lambda L: L.testing.assert_close(L.tensor([nan]), L.tensor([nan])),
    lambda L: L.testing.assert_close(L.tensor([nan, 1.]), L.tensor([nan, 1.]), equal_nan=True),
    lambda L: L.testing.assert_close(L.tensor([1., inf]), L.tensor([1., inf])),
    lambda L: L.testing.assert_close([L.tensor(1.), 2.0], [L.tensor(1.), 2.5]),
    lambda L: L.testing.assert_close({"a": L.tensor(1.)}, {"a": L.tensor(1.5)}),
    lambda L: L.testing.assert_close({"a": [L.tensor([1.]), (L.tensor([2., 3.]),)]},
                                     {"a": [L.tensor([1.]), (L.tensor([2., 3.5]),)]}),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]), np.array([1., 2.], np.float32)),
    lambda L: L.testing.assert_close(np.array([1., 2.]), np.array([1., 2.5])),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]), L.tensor([1., 2.5]), msg="custom"),
    lambda L: L.testing.assert_close(L.tensor(1.), L.tensor(1.5)),
    lambda L: L.testing.assert_close(L.tensor([[1., 2.], [3., 4.]]),
                                     L.tensor([[1., 2.], [3., 5.]])),
    lambda L: L.testing.assert_close(L.tensor([[1., 2.], [3., 4.]]),
                                     L.tensor([[1.5, 2.], [3., 5.]]), rtol=0.1, atol=0.0),
    lambda L: L.testing.assert_close(L.tensor([0., 0.]), L.tensor([0., 1e-6])),
    lambda L: L.testing.assert_close((1, 2), [1, 2]),
    lambda L: L.testing.assert_close((1, 2), [1, 2, 3]),
    lambda L: L.testing.assert_close("a", "a"),
    lambda L: L.testing.assert_close(L.tensor([1., 2.]).t(), L.tensor([1., 2.]),
                                     check_stride=True),
    lambda L: L.testing.assert_close(L.ones(2, 3).t(), L.ones(3, 2), check_stride=True),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_assert_close_matches_torch(i):
    assert _outcome(ember, CASES[i]) == _outcome(torch, CASES[i])


def test_assert_close_errors_and_callable_msg():
    with pytest.raises(ValueError, match="no atol"):
        ember.testing.assert_close(ember.ones(1), ember.ones(1), rtol=1e-3)
    with pytest.raises(AssertionError, match="^wrapped: Tensor-likes"):
        ember.testing.assert_close(ember.ones(2), ember.zeros(2),
                                   msg=lambda m: "wrapped: " + m)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "int8"])
def test_make_tensor(dtype):
    dt = getattr(ember, dtype)
    t = ember.testing.make_tensor(3, 4, dtype=dt)
    assert t.shape == (3, 4) and t.dtype == dt
    if dtype != "bool":
        v = t.numpy()
        lo, hi = (0, 10) if dtype == "uint8" else (-9, 9)
        assert v.min() >= lo and v.max() <= hi
        b = ember.testing.make_tensor((50,), dtype=dt, low=2, high=5, exclude_zero=True)
        assert (b.numpy() >= 2).all() and (b.numpy() <= 5).all()
    n = ember.testing.make_tensor(2, 5, dtype=dt, noncontiguous=True)
    assert n.shape == (2, 5) and not n.is_contiguous()
    ember.manual_seed(3)
    a = ember.testing.make_tensor(4, dtype=dt)
    ember.manual_seed(3)
    assert (ember.testing.make_tensor(4, dtype=dt) == a).all()
    assert ember.testing.make_tensor(2, dtype=ember.float32, requires_grad=True).requires_grad


def test_backends_flags():
    b = ember.backends
    for flag in ["enabled", "benchmark", "deterministic", "allow_tf32"]:
        assert isinstance(getattr(b.cudnn, flag), bool), flag
    b.cudnn.benchmark = True
    try:
        assert ember.backends.cudnn.benchmark is True
    finally:
        b.cudnn.benchmark = False
    assert b.cudnn.is_available() is False and b.mps.is_available() is False
    assert b.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert isinstance(b.cuda.is_built(), bool)


MORE_CASES = [
    # a finite value is not close to an infinite one (nor inf to -inf)
    lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([inf])),
    lambda L: L.testing.assert_close(L.tensor([inf]), L.tensor([-inf])),
    lambda L: L.testing.assert_close(L.tensor(1.), L.tensor(inf)),
    lambda L: L.testing.assert_close(L.tensor([1 + 0j]), L.tensor([complex(inf, 0)])),
    lambda L: L.testing.assert_close(1.0, inf),
    # unsigned differences do not wrap around
    lambda L: L.testing.assert_close(L.tensor([1, 2], dtype=L.uint8),
                                     L.tensor([3, 3], dtype=L.uint8)),
    lambda L: L.testing.assert_close(np.array([1, 2], np.uint8), np.array([3, 3], np.uint8)),
    # the share of mismatches is rounded, not truncated
    lambda L: L.testing.assert_close(L.tensor([1., 2., 3.]), L.tensor([1., 5., 6.])),
    # Python and NumPy scalars: compared as Python numbers, with float64 tolerances
    lambda L: L.testing.assert_close([L.tensor([1.]), 2], [L.tensor([1.]), 3]),
    lambda L: L.testing.assert_close(1, 0),
    lambda L: L.testing.assert_close(np.float32(1.), np.float32(2.)),
    lambda L: L.testing.assert_close(np.float32(1.), 1.0),
    lambda L: L.testing.assert_close(np.int64(1), 2),
    lambda L: L.testing.assert_close(L.tensor(1), L.tensor(3)),
    lambda L: L.testing.assert_close(True, False),
    lambda L: L.testing.assert_close(np.bool_(True), True),
    lambda L: L.testing.assert_close(None, None),
    lambda L: L.testing.assert_close(None, 1),
    # NumPy dtypes named as tensor dtypes; int64 and float32 meet in float32
    lambda L: L.testing.assert_close(np.array([1.]), np.array([1.], np.float32)),
    lambda L: L.testing.assert_close(L.tensor([1]), L.tensor([1.5]), check_dtype=False),
]


@pytest.mark.parametrize("i", range(len(MORE_CASES)))
def test_assert_close_edge_cases_match_torch(i):
    assert _outcome(ember, MORE_CASES[i]) == _outcome(torch, MORE_CASES[i])

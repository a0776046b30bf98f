"""Comparisons, logic, bitwise ops and the selecting ops (maximum/minimum/fmax/fmin, clamp, where)
against torch: dtypes, promotion, scalars, operators, gradients at ties and boundaries, errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand
from test_elementwise import SHAPES, double_backward, numgrad_check

F32, F64 = np.float32, np.float64
CMP = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
       "not_equal"]
OPS = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
       "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}


def _ints(*shape):
    return rand(*shape, dtype=np.int64, low=-2, high=3)


@pytest.mark.parametrize("name", CMP)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_comparisons_broadcast(name, sa, sb):
    # small integers as floats, so that equality happens
    a, b = _ints(*sa).astype(F32), _ints(*sb).astype(F32)
    compare(lambda lib, x, y: getattr(lib, name)(x, y), a, b)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("other", [1, 1.5, True, -0.5])
def test_operators_with_scalars(op, other):
    x = _ints(2, 3)
    compare(lambda lib, t: OPS[op](t, other), x)
    compare(lambda lib, t: OPS[op](other, t), x)
    compare(lambda lib, t: OPS[op](t, other), x.astype(F64))


@pytest.mark.parametrize("op", list(OPS))
def test_operators_mixed_dtypes(op):
    compare(lambda lib, x, y: OPS[op](x, y), _ints(2, 3), _ints(3).astype(F32))
    compare(lambda lib, x, y: OPS[op](x, y), noncontig(_ints(3, 4).astype(F64)),
            _ints(3, 4).astype(np.int32))
    compare(lambda lib, x, y: OPS[op](x, y), rand(4, dtype=np.bool_), rand(4, dtype=np.bool_))


def test_comparison_with_none_and_hash():
    for lib in (torch, ember):
        t = lib.tensor([1.0, 2.0])
        assert (t == None) is False  # noqa: E711
        assert (t != None) is True  # noqa: E711
        with pytest.raises(TypeError):
            t < None  # noqa: B015
        assert {t: 1}[t] == 1 and len({t, t}) == 1
        assert t in [t]


def test_nan_comparisons():
    a = np.array([np.nan, 1.0, np.inf, -np.inf, 0.0], dtype=F32)
    b = np.array([np.nan, np.nan, np.inf, 0.0, -0.0], dtype=F32)
    for name in CMP:
        compare(lambda lib, x, y: getattr(lib, name)(x, y), a, b)


def test_equal_allclose_isclose():
    a = np.array([1.0, 2.0, np.nan, np.inf], dtype=F64)
    b = np.array([1.0 + 1e-9, 2.1, np.nan, np.inf], dtype=F64)
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2, "rtol": 0.0}):
        compare(lambda lib, x, y: lib.isclose(x, y, **kw), a, b)
        compare(lambda lib, x, y: lib.allclose(x[:2], y[:2], **kw), a, b)
        compare(lambda lib, x, y: x.allclose(y, **kw), a, a)
    compare(lambda lib, x, y: lib.isclose(x, y), _ints(5), _ints(5))
    compare(lambda lib, x, y: lib.allclose(x, y), _ints(5), _ints(5))
    compare(lambda lib, x, y: lib.equal(x, y), a, a)
    compare(lambda lib, x, y: lib.equal(x, y), a[:2], b[:2])
    compare(lambda lib, x, y: lib.equal(x, y), np.array([1, 2]), np.array([1.0, 2.0]))
    compare(lambda lib, x, y: lib.equal(x, y), np.array([1, 2]), np.array([1, 2, 3]))
    compare(lambda lib, x, y: x.equal(y), np.array([True]), np.array([True]))
    check_raises(lambda lib, x, y: lib.isclose(x, y), a, a.astype(F32))
    check_raises(lambda lib, x, y: lib.allclose(x, y), _ints(2), a[:2])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal"])
def test_float_tests(name):
    a = np.array([np.nan, 1.0, np.inf, -np.inf, 0.0, -0.0], dtype=F32)
    compare(lambda lib, x: getattr(lib, name)(x), a)
    compare(lambda lib, x: getattr(x, name)(), a.astype(F64))
    compare(lambda lib, x: getattr(lib, name)(x), _ints(3))
    compare(lambda lib, x: getattr(lib, name)(x), rand(3, dtype=np.bool_))


LOGIC = ["logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", LOGIC)
def test_logical(name):
    compare(lambda lib, x, y: getattr(lib, name)(x, y), _ints(2, 3).astype(F32), _ints(3))
    compare(lambda lib, x, y: getattr(x, name)(y), rand(4, dtype=np.bool_), rand(4, dtype=np.bool_))
    compare(lambda lib, x: getattr(lib, name)(x, x[0]), rand(0, 3, dtype=np.bool_) if False
            else _ints(2, 3))
    compare(lambda lib, x: lib.logical_not(x), _ints(2, 3).astype(F64))
    compare(lambda lib, x: x.logical_not(), rand(3, dtype=np.bool_))


@pytest.mark.parametrize("name,op", [("bitwise_and", "&"), ("bitwise_or", "|"),
                                     ("bitwise_xor", "^")])
def test_bitwise(name, op):
    fn = {"&": lambda x, y: x & y, "|": lambda x, y: x | y, "^": lambda x, y: x ^ y}[op]
    ints = rand(2, 3, dtype=np.int64, low=-8, high=8)
    compare(lambda lib, x, y: getattr(lib, name)(x, y), ints, rand(3, dtype=np.int32, low=0, high=8))
    compare(lambda lib, x, y: fn(x, y), rand(4, dtype=np.bool_), rand(4, dtype=np.bool_))
    compare(lambda lib, x, y: fn(x, y), rand(4, dtype=np.int8, low=-3, high=3),
            rand(4, dtype=np.uint8, low=0, high=3))
    for other in (1, True, 5):
        compare(lambda lib, x: fn(x, other), ints)
        compare(lambda lib, x: fn(other, x), ints)
        compare(lambda lib, x: fn(x, other), rand(3, dtype=np.bool_))
    check_raises(lambda lib, x, y: fn(x, y), rand(3), rand(3))
    check_raises(lambda lib, x: fn(x, 1.5), ints)


def test_bitwise_not_and_invert():
    compare(lambda lib, x: ~x, rand(2, 3, dtype=np.int64, low=-5, high=5))
    compare(lambda lib, x: ~x, rand(4, dtype=np.bool_))
    compare(lambda lib, x: lib.bitwise_not(x), rand(4, dtype=np.uint8, low=0, high=200))
    check_raises(lambda lib, x: ~x, rand(3))
    check_raises(lambda lib, x: lib.bitwise_not(x), rand(3))


def test_comparison_errors():
    check_raises(lambda lib, x, y: x < y, rand(2), rand(3))
    check_raises(lambda lib, x, y: lib.eq(x, y), rand(2, 3), rand(3, 2))
    check_raises(lambda lib, x, y: lib.logical_and(x, y), rand(2), rand(3))


# ---- maximum / minimum / fmax / fmin -----------------------------------------------------------
SELECT = ["maximum", "minimum", "fmax", "fmin"]


@pytest.mark.parametrize("name", SELECT)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_select_broadcast(name, sa, sb):
    compare(lambda lib, x, y: getattr(lib, name)(x, y), rand(*sa), rand(*sb))


@pytest.mark.parametrize("name", SELECT)
def test_select_ties_and_nans(name):
    a = np.array([1.0, 2.0, 3.0, np.nan, 1.0, np.nan, -0.0], dtype=F64)
    b = np.array([1.0, 1.0, 4.0, 1.0, np.nan, np.nan, 0.0], dtype=F64)
    compare(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    compare(lambda lib, x, y: getattr(x, name)(y), noncontig(np.ones((3, 4), F32)),
            np.ones(4, F32))  # all ties, broadcast


@pytest.mark.parametrize("name", SELECT)
def test_select_dtypes_and_errors(name):
    compare(lambda lib, x, y: getattr(lib, name)(x, y), _ints(3), rand(3))
    compare(lambda lib, x, y: getattr(lib, name)(x, y), _ints(3), _ints(3).astype(np.int32))
    check_raises(lambda lib, x: getattr(lib, name)(x, 1.0), rand(3))
    check_raises(lambda lib, x, y: getattr(lib, name)(x, y), rand(2), rand(3))


def test_select_numerical_and_double_backward():
    a, b = rand(2, 3, dtype=F64), rand(3, dtype=F64)
    for name in SELECT:
        numgrad_check(lambda x, y: getattr(ember, name)(x, y), a, b)
        double_backward(lambda lib, x, y: getattr(lib, name)(x * x, y) * x, a, b)


# ---- clamp ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{"min": -0.5, "max": 0.5}, {"min": 0.0}, {"max": 0.0},
                                {"min": 0.5, "max": -0.5}, {"min": 0, "max": 1}])
@pytest.mark.parametrize("name", ["clamp", "clip"])
def test_clamp_scalar(kw, name):
    x = np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, np.nan], dtype=F32)  # boundaries included
    compare(lambda lib, t: getattr(lib, name)(t, **kw), x)
    compare(lambda lib, t: getattr(t, name)(**kw), noncontig(rand(3, 4, dtype=F64)))
    compare(lambda lib, t: getattr(lib, name)(t, *kw.values()) if len(kw) == 2 else t, rand(0, 2))


def test_clamp_min_max_functions():
    x = np.array([-1.0, 0.0, 0.5, 1.0])
    compare(lambda lib, t: lib.clamp_min(t, 0.0), x)
    compare(lambda lib, t: t.clamp_max(0.5), x)
    compare(lambda lib, t, m: lib.clamp_min(t, m), x, np.array([0.0, 0.0, 1.0, 1.0]))
    compare(lambda lib, t, m: t.clamp_max(m), x, np.array([0.0, 0.0, 1.0, 1.0]))
    for lib in (torch, ember):
        t = lib.tensor([1.0], requires_grad=True)
        names = [type(t.clamp_min(0.0).grad_fn).__name__, type(t.clamp(0.0, 1.0).grad_fn).__name__,
                 type(t.clamp(t * 0).grad_fn).__name__, type(t.clamp_max(t * 0).grad_fn).__name__]
        if lib is torch:
            want = names
        else:
            assert names == want


@pytest.mark.parametrize("shapes", [((5,), (5,), (5,)), ((2, 5), (5,), (2, 1)), ((5,), (), ())])
def test_clamp_tensor_bounds(shapes):
    sx, slo, shi = shapes
    x = np.linspace(-1.0, 1.0, int(np.prod(sx))).reshape(sx)
    lo = np.full(slo, -0.5)
    hi = np.full(shi, 0.5)
    compare(lambda lib, t, a, b: lib.clamp(t, a, b), x, lo, hi)        # boundaries are tied
    compare(lambda lib, t, a, b: lib.clamp(t, b, a), x, lo, hi)        # min > max: max wins
    compare(lambda lib, t, a: lib.clamp(t, min=a), x, lo)
    compare(lambda lib, t, b: lib.clamp(t, max=b), x, hi)
    compare(lambda lib, t, a, b: t.clip(a, b), x, rand(*slo), rand(*shi))


def test_clamp_dtypes_and_errors():
    i = np.array([-2, 0, 3])
    compare(lambda lib, t: t.clamp(0), i)
    compare(lambda lib, t: t.clamp(0.5), i)
    compare(lambda lib, t: t.clamp(-1, 1.5), i)
    compare(lambda lib, t, m: t.clamp(m), i, np.array([1.5]))
    compare(lambda lib, t: t.clamp(0.5, 1), np.array([0.0, 2.0], dtype=F64))
    check_raises(lambda lib, t: t.clamp(), rand(3))
    check_raises(lambda lib, t, m: t.clamp(m, 1.0), rand(3), rand(3))
    check_raises(lambda lib, t, m: t.clamp(m), rand(3), rand(2))


def test_clamp_gradients():
    x = rand(2, 3, dtype=F64) * 2
    numgrad_check(lambda t, a, b: ember.clamp(t, a, b), x, np.array([-0.6, -0.4, -0.5]),
                  np.array([[0.3], [0.9]]))
    double_backward(lambda lib, t: lib.clamp(t * t, 0.1, 0.5) * t, x)


# ---- where ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sc,sx,sy", [((3,), (3,), (3,)), ((2, 3), (3,), (2, 1)), ((), (2,), ()),
                                      ((2, 1), (), (3,)), ((0, 3), (3,), (1,))])
def test_where(sc, sx, sy):
    c = np.asarray(rand(*sc, dtype=np.bool_))
    compare(lambda lib, k, x, y: lib.where(k, x, y), c, rand(*sx), rand(*sy))
    compare(lambda lib, k, x, y: x.where(k, y), c, rand(*sx, dtype=F64), rand(*sy, dtype=F64))


def test_where_scalars_and_dtypes():
    c = np.array([True, False, True])
    compare(lambda lib, k, x: lib.where(k, x, 0.0), c, rand(3))
    compare(lambda lib, k, x: lib.where(k, 1.0, x), c, rand(3, dtype=F64))
    compare(lambda lib, k: lib.where(k, 1.0, 0.0), c)
    compare(lambda lib, k: lib.where(k, 1, 0), c)
    compare(lambda lib, k, x: lib.where(k, x, 0.5), c, _ints(3).astype(np.int32))
    compare(lambda lib, k, x: lib.where(k, x, 5), c, _ints(3).astype(np.int32))
    compare(lambda lib, k, x, y: lib.where(k, x, y), c, rand(3), rand(dtype=F64))
    compare(lambda lib, k, x, y: lib.where(k, x, y), c, _ints(3), rand(3))
    compare(lambda lib, k: lib.where(k), np.array([[True, False], [False, True]]))
    compare(lambda lib, k: lib.where(k), np.array([1, 0, 2]))
    check_raises(lambda lib, k, x: lib.where(k, x, 0.0), rand(3), rand(3))
    check_raises(lambda lib, k, x, y: lib.where(k, x, y), c, rand(2), rand(3))
    check_raises(lambda lib, k, x, y: lib.where(k, x, y), np.ones(4, bool), rand(3), rand(3))


def test_where_gradients():
    c = np.array([[True, False, True], [False, False, True]])
    numgrad_check(lambda x, y: ember.where(ember.tensor(c), x, y), rand(2, 3), rand(3))
    double_backward(lambda lib, x, y: lib.where(lib.tensor(c), x * x, y * x), rand(2, 3), rand(3))


def test_no_grad_results():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    for r in (x > 1, x == x, ember.isnan(x), ember.logical_not(x), ember.isclose(x, x)):
        assert r.dtype == ember.bool and not r.requires_grad and r.grad_fn is None

import numpy as np
import pytest
import torch

import ember

R = np.random.default_rng(0)


def check_repr(arr, fn=None, requires_grad=False):
    """repr of the same tensor in ember and torch agree ('torch.' spelled 'ember.')."""
    res = []
    for lib in (torch, ember):
        t = lib.from_numpy(np.array(arr, copy=True))
        if requires_grad:
            t.requires_grad_(True)
        if fn is not None:
            t = fn(lib, t)
        res.append(repr(t))
    tr, er = res
    assert er == tr.replace("torch.", "ember."), f"\nember:\n{er}\ntorch:\n{tr}"
    assert str(ember.from_numpy(np.array(arr, copy=True))) == repr(ember.from_numpy(
        np.array(arr, copy=True)))


CASES = {
    "ints_as_floats": np.array([1.0, 2.0, 3.0], np.float32),
    "four_decimals": np.array([0.12345, 1.5], np.float32),
    "negative": np.array([-1.5, 2.25, -0.001], np.float32),
    "neg_zero": np.array([-0.0, 1.0], np.float32),
    "zeros": np.zeros(4, np.float32),
    "sci_small": np.array([1e-5, 1.0], np.float32),
    "sci_large": np.array([1e10, 1.0], np.float32),
    "sci_ratio": np.array([0.5, 1234.5], np.float32),
    "nan_inf": np.array([[1.5, np.nan], [np.inf, -np.inf]], np.float32),
    "nan_only": np.array([np.nan, np.nan], np.float32),
    "int_nan": np.array([1.0, np.nan, -np.inf], np.float32),
    "float64": R.standard_normal((3, 4)),
    "float16": np.array([0.1, 2.5, 300.0], np.float16),
    "ints": np.array([1, -20, 300], np.int64),
    "int32": np.array([[1, 2], [3, 4]], np.int32),
    "uint8": np.arange(12, dtype=np.uint8).reshape(3, 4),
    "int8": np.array([-128, 127], np.int8),
    "int16": np.array([5], np.int16),
    "bool": np.array([True, False, True]),
    "bool_2d": np.array([[True], [False]]),
    "scalar": np.array(3.5, np.float32),
    "scalar_int": np.array(7),
    "scalar_f64": np.array(1e-8),
    "scalar_bool": np.array(True),
    "scalar_nan": np.array(np.nan, np.float32),
    "empty": np.zeros(0, np.float32),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_int": np.zeros(0, np.int64),
    "empty_int_2d": np.zeros((2, 0), np.int64),
    "empty_f64": np.zeros((0,)),
    "empty_3d": np.zeros((1, 0, 2), np.float32),
    "matrix": R.standard_normal((4, 5)).astype(np.float32),
    "cube": R.standard_normal((2, 3, 4)).astype(np.float32),
    "4d": R.standard_normal((2, 1, 2, 3)).astype(np.float32),
    "wide_row": R.standard_normal(30).astype(np.float32),
    "wide_matrix": R.standard_normal((3, 20)).astype(np.float32) * 100,
    "big_1d": np.arange(2000, dtype=np.float32),
    "big_2d": np.arange(2000.0, dtype=np.float32).reshape(20, 100),
    "big_3d": R.standard_normal((12, 10, 10)).astype(np.float32),
    "big_int": np.arange(1001, dtype=np.int64),
    "big_bool": R.random(1500) > 0.5,
    "big_narrow": R.standard_normal((500, 3)).astype(np.float32),
    "large_ints": np.array([123456789, -1], np.int64),
    "huge_float": np.array([1e20, -3e-20], np.float64),
    "complex": np.array([1 + 2j, -0.5 - 1j, 3j], np.complex64),
    "complex_2d": (R.standard_normal((2, 2)) + 1j * R.standard_normal((2, 2))),
    "complex_scalar": np.array(1 - 1j, np.complex64),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches_torch(name):
    check_repr(CASES[name])


@pytest.mark.parametrize("name", ["matrix", "wide_row", "float64", "ints", "empty_2d", "scalar",
                                  "big_2d"])
def test_requires_grad_and_grad_fn(name):
    arr = CASES[name]
    if arr.dtype.kind == "f":
        check_repr(arr, requires_grad=True)
        check_repr(arr, lambda lib, t: t * 2, requires_grad=True)


def test_suffix_wraps_to_new_line():
    # a last line close to 80 columns pushes the suffixes to their own lines
    for n in range(5, 12):
        check_repr(R.standard_normal(n).astype(np.float64), lambda lib, t: t * 2,
                   requires_grad=True)
        check_repr(R.standard_normal((2, n)).astype(np.float16))


@pytest.mark.parametrize("opts", [
    {"precision": 2}, {"precision": 8}, {"threshold": 5}, {"edgeitems": 1, "threshold": 10},
    {"edgeitems": 0, "threshold": 10}, {"linewidth": 40}, {"sci_mode": True}, {"sci_mode": False},
    {"profile": "short"}, {"profile": "full"}])
def test_printoptions(opts):
    try:
        torch.set_printoptions(**opts)
        ember.set_printoptions(**opts)
        for name in ["four_decimals", "sci_small", "matrix", "cube", "big_1d", "big_2d", "ints",
                     "wide_row", "bool", "scalar", "complex"]:
            check_repr(CASES[name])
        assert ember.get_printoptions() == {k: v for k, v in torch._tensor_str.get_printoptions()
                                            .items()}
    finally:
        torch.set_printoptions(profile="default")
        ember.set_printoptions(profile="default")


def test_default_dtype_changes_suffix():
    try:
        torch.set_default_dtype(torch.float64)
        ember.set_default_dtype(ember.float64)
        for name in ["float64", "four_decimals", "empty_f64", "empty", "complex_2d", "complex"]:
            check_repr(CASES[name])
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)


def test_noncontiguous_and_views():
    a = R.standard_normal((4, 6)).astype(np.float32)
    check_repr(a.T)
    check_repr(a[::2, 1::2])


def test_type_names():
    assert ember.ones(2).type() == "ember.FloatTensor"
    assert ember.ones(2, dtype=ember.int64).type() == "ember.LongTensor"
    assert ember.ones(2).type("ember.DoubleTensor").dtype == ember.float64


def test_tensor_format():
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert f"{ember.tensor([1.0, 2.0])}" == "tensor([1., 2.])"


def test_tensor_format_matches_torch():
    for value in [-1.0, 3, True, 2.5]:
        e, t = ember.tensor(value), torch.tensor(value)
        assert f"{e}" == f"{t}" and f"{e:>8}" == f"{t:>8}"
    assert f"{ember.tensor([1, 2])}" == f"{torch.tensor([1, 2])}"
    with pytest.raises(TypeError):
        f"{ember.tensor([1.0, 2.0]):.2f}"
    with pytest.raises(TypeError):
        f"{torch.tensor([1.0, 2.0]):.2f}"

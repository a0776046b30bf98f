"""Python numbers as operands: ints out of an integer tensor's range wrap as PyTorch converts
them (NumPy 2 raises instead), and IEEE results (inf, NaN) come silently, as in PyTorch."""
import subprocess
import sys

import pytest
import torch

import ember


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
@pytest.mark.parametrize("value", [300, -1, 2 ** 31, -2 ** 31 - 1, 2 ** 40, 2 ** 63 - 1, 2 ** 63,
                                   2 ** 64 - 1])
@pytest.mark.parametrize("op", ["add", "rsub", "mul", "eq", "lt", "ge"])
def test_int_scalars_wrap_like_torch(dtype, value, op):
    def run(lib):
        t = lib.tensor([3, -2, 100], dtype=getattr(lib, dtype)) if dtype != "uint8" else \
            lib.tensor([3, 0, 200], dtype=lib.uint8)
        return {"add": lambda: t + value, "rsub": lambda: value - t, "mul": lambda: t * value,
                "eq": lambda: t == value, "lt": lambda: t < value,
                "ge": lambda: t >= value}[op]()
    want, got = run(torch), run(ember)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize("value", [2 ** 64, -2 ** 63 - 1])
def test_int_scalars_beyond_64_bits_raise_overflow_error(value):
    for lib in (torch, ember):
        with pytest.raises(OverflowError):
            lib.tensor([3], dtype=lib.int32) + value


def test_ieee_results_come_without_numpy_warnings():
    """inf and NaN from ember's kernels print nothing (torch is silent); the user's own NumPy
    code still warns. In a fresh interpreter, where no test framework filters warnings."""
    code = """if True:
        import warnings
        warnings.simplefilter("default")
        import ember, numpy as np
        x = ember.tensor([1e38, -1.0, 0.0])
        for r in (x * 10, x.exp() * 1e30, ember.tensor([float("inf")]) - float("inf"), x.log(),
                  x.sqrt(), ember.tensor([6e4], dtype=ember.float16) * 2, 1 / x, x.pow(1e3)):
            pass
        print("quiet")
        np.array([1e38], np.float32) * 10
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "quiet"
    assert out.stderr.count("RuntimeWarning") == 1 and "<string>" in out.stderr, out.stderr

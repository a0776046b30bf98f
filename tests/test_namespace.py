"""The top-level namespace: lazily loaded subpackages and torch's top-level twins of nn.functional."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from helpers import compare, rand


@pytest.mark.parametrize("name, args", [("selu", ()), ("celu", (0.7,)), ("hardshrink", (0.4,)),
                                        ("threshold", (0.1, -1.0)), ("prelu", None)])
def test_functional_twins(name, args):
    if args is None:
        compare(lambda lib, x, w: lib.prelu(x, w), rand(2, 3, 4, dtype=np.float64),
                rand(3, dtype=np.float64))
        return
    # (torch's float64 CELU gradient for alpha != 1 is only ~1e-8 accurate; ember's is exact)
    compare(lambda lib, x: getattr(lib, name)(x, *args), rand(3, 4, dtype=np.float64),
            grad_rtol=1e-7)


def test_subpackages_load_on_first_use():
    code = ("import sys, ember; assert 'ember.nn' not in sys.modules; "
            "assert ember.nn.Linear and ember.optim.SGD and ember.utils.data.DataLoader; "
            "assert callable(ember.save) and callable(ember.load); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        ember.nonexistent  # noqa: B018
    assert "nn" in dir(ember) and hasattr(torch, "selu")

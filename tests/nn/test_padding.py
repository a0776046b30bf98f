"""The padding modules (nn.ZeroPad*, ConstantPad*, ReflectionPad*, ReplicationPad*, CircularPad*)
against torch: values, gradients, reprs and the circular pads' input check."""
import pytest
import torch

import ember
from helpers import check_raises, compare, rand

CASES = [  # (class, constructor args, input shape)
    ("ZeroPad1d", (2,), (2, 3, 5)), ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 3, 3, 3)), ("ConstantPad1d", ((1, 0), 3.5), (3, 4)),
    ("ConstantPad2d", (2, -1.0), (1, 2, 3, 3)), ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5),
                                                 (1, 1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 5)), ("ReflectionPad2d", ((1, 0, 2, 1),), (1, 2, 4, 4)),
    ("ReflectionPad3d", (1,), (1, 1, 3, 3, 3)), ("ReplicationPad1d", ((3, 1),), (2, 4)),
    ("ReplicationPad2d", (2,), (1, 2, 3, 3)), ("ReplicationPad3d", (1,), (1, 1, 2, 2, 2)),
    ("CircularPad1d", (1,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 0, 1),), (1, 1, 3, 3)),
    ("CircularPad3d", (1,), (1, 1, 2, 3, 3))]


@pytest.mark.parametrize("cls,args,shape", CASES)
def test_padding_modules(cls, args, shape):
    compare(lambda lib, x: getattr(lib.nn, cls)(*args)(x), rand(*shape))
    assert repr(getattr(ember.nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))
    assert getattr(ember.nn, cls)(*args).padding == getattr(torch.nn, cls)(*args).padding


def test_circular_pads_check_the_input_dims():
    check_raises(lambda lib, x: lib.nn.CircularPad1d(1)(x), rand(1, 1, 1, 4),
                 match="expected 2D or 3D input")
    check_raises(lambda lib, x: lib.nn.CircularPad2d(1)(x), rand(2, 2),
                 match="expected 3D or 4D input")

"""F.pad against torch: constant padding of any number of dims (negative = cropping), reflect,
replicate and circular padding of 1 to 3 dims, batched and unbatched; gradients, double backward,
errors."""
import numpy as np
import pytest

import ember
from helpers import compare, rand
from nn.test_module import same_error

F32, F64 = np.float32, np.float64


def pad(p, **kw):
    return lambda lib, x: lib.nn.functional.pad(x, p, **kw)


@pytest.mark.parametrize("shape,p", [
    ((2, 3), (1, 2)), ((2, 3), (1, 2, 0, 1)), ((2, 3, 4), (1, 1, 2, 0, 1, 3)),
    ((2, 3, 4, 5), (2, 1, -1, 2)), ((2, 3, 4, 5), (-1, -2, -1, 0, 0, 1, 1, 0)),
    ((5,), (-2, 3)), ((3, 4), (-2, -2)), ((3, 4), ()), ((0, 3), (1, 1)), ((), ()),
    ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1, 1, 1)),
])
@pytest.mark.parametrize("dtype", [F32, F64])
def test_constant(shape, p, dtype):
    compare(pad(p), rand(*shape, dtype=dtype))
    compare(pad(p, value=-1.5), rand(*shape, dtype=dtype))


def test_constant_integers_and_grad_fn():
    compare(pad((1, 2), value=1.5), rand(3, 4, dtype=np.int64, low=-5, high=5))
    x = ember.ones(2, 3, requires_grad=True)
    assert type(ember.nn.functional.pad(x, (1, 1)).grad_fn).__name__ == "ConstantPadNdBackward0"


MODES = ["reflect", "replicate", "circular"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,p", [
    ((2, 3, 5), (2, 1)), ((3, 5), (0, 4)), ((2, 3, 5), (-1, 3)), ((2, 3, 5), (3, -2)),
    ((2, 3, 4, 5), (2, 1, 1, 3)), ((3, 4, 5), (1, 0, 2, 2)), ((2, 3, 4, 5), (0, 0, -1, 2)),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 1)), ((2, 3, 4, 5), (1, 2, 2, 1, 0, 2)),
])
def test_index_modes(mode, shape, p):
    if mode == "reflect" and len(p) > 2 and min(p) < 0:
        pytest.skip("torch's 2-D reflection with negative padding reads out of bounds")
    compare(pad(p, mode=mode), rand(*shape))


@pytest.mark.parametrize("mode", MODES)
def test_index_modes_float64_and_wide(mode):
    compare(pad((4, 4), mode=mode), rand(2, 3, 5, dtype=F64))  # reflect/circular at their limit
    compare(pad((1, 1, 1, 1), mode=mode), rand(2, 3, 1, 2, dtype=F64) if mode != "reflect" else
            rand(2, 3, 2, 2, dtype=F64))


@pytest.mark.parametrize("mode,kw", [("constant", dict(value=0.5)), ("reflect", {}),
                                     ("replicate", {}), ("circular", {})])
def test_double_backward_and_gradcheck(mode, kw):
    p = (2, 1, 1, 2)

    def grads(lib, x):
        y = lib.nn.functional.pad(x, p, mode=mode, **kw)
        return lib.autograd.grad((y * y * y).sum(), x, create_graph=True)

    compare(grads, rand(2, 3, 4, 5, dtype=F64))
    x = ember.tensor(rand(1, 2, 3, 4, dtype=F64), requires_grad=True)
    f = lambda x: ember.nn.functional.pad(x, p, mode=mode, **kw)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,)) and ember.autograd.gradgradcheck(f, (x,))


def test_grad_fn_names():
    x = ember.ones(2, 3, 4, requires_grad=True)
    F = ember.nn.functional
    assert F.pad(x, (1, 1), mode="reflect").grad_fn.name() == "ReflectionPad1DBackward0"
    assert F.pad(x, (1, 1, 1, 1), mode="replicate").grad_fn.name() == "ReplicationPad2DBackward0"


@pytest.mark.parametrize("call", [
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (1, 2, 3)),
    lambda F, lib: F.pad(lib.zeros(2, 3), (1, 1, 1, 1, 1, 1)),
    lambda F, lib: F.pad(lib.zeros(2, 3, 4, 5), (1, 2), mode="reflect"),
    lambda F, lib: F.pad(lib.zeros(5), (1, 2), mode="replicate"),
    lambda F, lib: F.pad(lib.zeros(3, 5), (1, 2, 1, 1), mode="circular"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (5, 2), mode="reflect"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 4, 5), (5, 2, 1, 1), mode="reflect"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 4, 5), (1, 2, 4, 1), mode="reflect"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (-3, -2), mode="replicate"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (6, 2), mode="circular"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (-3, -3), mode="circular"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 0), (1, 2), mode="reflect"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (1, 2), mode="foo"),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (1, 2), mode="reflect", value=1.0),
    lambda F, lib: F.pad(lib.zeros(2, 3, 5), (1.5, 2)),
    lambda F, lib: F.pad(lib.zeros(3, 5), (-3, -3)),
])
def test_errors(call):
    same_error(lambda lib: call(lib.nn.functional, lib))

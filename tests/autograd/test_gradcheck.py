"""gradcheck and gradgradcheck, on torch and on ember with the same assertions."""
import importlib

import pytest


def _error(lib):
    return importlib.import_module(f"{lib.__name__}.autograd.gradcheck").GradcheckError


def _double(lib, *values):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


def _with_backward(lib, backward, forward=lambda x: x * x):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return backward(x, g)
    return F.apply


def test_passes_on_correct_gradients(lib):
    x = _double(lib, 0.3, -1.2, 2.0)
    y = _double(lib, 1.5, 0.7, -0.4)
    assert lib.autograd.gradcheck(lambda a, b: (a * b).exp() / (b + 3), (x, y))
    assert lib.autograd.gradcheck(lambda a: a.reshape(3, 1) * a, x)  # a single Tensor input
    assert lib.autograd.gradcheck(lambda a, k: (a * k, a.exp().sum()), (x, 2.5))  # several outputs
    c = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)  # needs no grad: not checked
    assert lib.autograd.gradcheck(lambda a, b: a * b, (x, c), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert lib.autograd.gradcheck(_with_backward(lib, lambda x, g: 2 * x * g), (x,))


def test_wrong_gradient_raises(lib):
    wrong = _with_backward(lib, lambda x, g: 3 * x * g)
    x = _double(lib, 0.3, -1.2)
    err = _error(lib)
    assert issubclass(err, RuntimeError)
    with pytest.raises(err, match=r"Jacobian mismatch for output 0 with respect to input 0,\n"
                                  r"numerical:(.|\n)*analytical:"):
        lib.autograd.gradcheck(wrong, (x,))
    assert lib.autograd.gradcheck(wrong, (x,), raise_exception=False) is False


def test_backward_must_scale_with_grad_output(lib):
    ignores_g = _with_backward(lib, lambda x, g: lib.ones_like(x), forward=lambda x: x.sum())
    with pytest.raises(_error(lib), match="backward not multiplied by grad_output"):
        lib.autograd.gradcheck(ignores_g, (_double(lib, 0.3, -1.2),))


def test_backward_must_be_reentrant(lib):
    calls = []

    def drifting(x, g):
        calls.append(1)
        return 2 * x * g * (1 + 1e-3 * len(calls))

    with pytest.raises(_error(lib), match="Backward is not reentrant"):
        lib.autograd.gradcheck(_with_backward(lib, drifting), (_double(lib, 0.5),), atol=1e-2,
                               rtol=1e-2)


def test_input_checks(lib):
    x32 = lib.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="is not a double precision"):
        lib.autograd.gradcheck(lambda a: a * 2, (x32,), atol=1e-2, rtol=1e-2, eps=1e-3)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        lib.autograd.gradcheck(lambda a: a * 2, (lib.ones(2, dtype=lib.float64),))
    expanded = lib.ones(1, dtype=lib.float64).expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match="stride 0"):
        lib.autograd.gradcheck(lambda a: a * 2, (expanded,))


def test_outputs_that_need_no_grad(lib):
    x = _double(lib, 0.5, 1.0)
    assert lib.autograd.gradcheck(lambda a: (a > 0).double(), (x,))
    with pytest.raises(_error(lib), match="Numerical gradient for function expected to be zero"):
        lib.autograd.gradcheck(lambda a: a.detach() * 2, (x,))


def test_gradgradcheck(lib):
    x = _double(lib, 0.3, -1.2, 2.0)
    y = _double(lib, 1.5, 0.7, -0.4)
    assert lib.autograd.gradgradcheck(lambda a, b: a * a * b, (x, y))
    assert lib.autograd.gradgradcheck(lambda a: (a * a).exp().sum(), (x,))
    g = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
    assert lib.autograd.gradgradcheck(lambda a: a * a * a, (x,), (g,))


def test_gradgradcheck_catches_a_wrong_double_backward(lib):
    first_order_only = _with_backward(lib, lambda x, g: 2 * x.detach() * g)
    x = _double(lib, 0.3, -1.2)
    assert lib.autograd.gradcheck(first_order_only, (x,))
    with pytest.raises(_error(lib), match="Jacobian mismatch"):
        lib.autograd.gradgradcheck(first_order_only, (x,))

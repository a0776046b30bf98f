"""autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp): each test runs on torch and on
ember (the ``lib`` fixture) and compares the results with values computed by hand."""
import numpy as np
import pytest


def tolist(x):
    return [tolist(t) for t in x] if isinstance(x, tuple) else x.detach().tolist()


def cube_sum(a):
    return (a ** 3).sum()


def test_jacobian_structures(lib):
    AF = lib.autograd.functional
    x = lib.tensor([1.0, 2.0])
    assert tolist(AF.jacobian(lambda a: a ** 2, x)) == [[2.0, 0.0], [0.0, 4.0]]
    j = AF.jacobian(lambda a, b: (a * b, a + b), (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])))
    assert tolist(j) == [[[[3.0, 0.0], [0.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]]],
                         [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]]
    assert isinstance(AF.jacobian(lambda a: (a * 2,), lib.tensor([1.0])), tuple)
    assert tuple(AF.jacobian(lambda a: a.sum(), lib.ones(2, 3)).shape) == (2, 3)
    assert tuple(AF.jacobian(lambda a: a.t(), lib.ones(2, 3)).shape) == (3, 2, 2, 3)
    assert tolist(AF.jacobian(lambda a: lib.ones(2), lib.ones(2))) == [[0.0, 0.0], [0.0, 0.0]]


def test_hessian(lib):
    AF = lib.autograd.functional
    assert tolist(AF.hessian(cube_sum, lib.tensor([1.0, 2.0]))) == [[6.0, 0.0], [0.0, 12.0]]
    h = AF.hessian(lambda a, b: (a * b).sum(), (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])))
    eye, zero = [[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]
    assert tolist(h) == [[zero, eye], [eye, zero]]


def test_products(lib):
    AF = lib.autograd.functional
    x, v = lib.tensor([1.0, 2.0]), lib.tensor([1.0, -1.0])
    assert tolist(AF.vjp(lambda a: a ** 2, x, v)) == [[1.0, 4.0], [2.0, -4.0]]
    assert tolist(AF.jvp(lambda a: a ** 2, x, v)) == [[1.0, 4.0], [2.0, -4.0]]
    assert tolist(AF.vhp(cube_sum, x, v)) == [9.0, [6.0, -12.0]]
    assert tolist(AF.hvp(cube_sum, x, v)) == [9.0, [6.0, -12.0]]
    assert tolist(AF.vjp(lambda a: (a ** 2).sum(), x)[1]) == [2.0, 4.0]  # scalar: v optional
    assert tolist(AF.vjp(lambda a: lib.ones(2), x, v)[1]) == [0.0, 0.0]


def test_create_graph_results_can_be_differentiated(lib):
    AF = lib.autograd.functional
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    j = AF.jacobian(lambda a: a ** 3, x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])  # d/dx of 3x^2


def test_errors(lib):
    AF = lib.autograd.functional
    x = lib.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="can only be None"):
        AF.vjp(lambda a: a ** 2, x)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        AF.jacobian(lambda a: lib.ones(2), x, strict=True)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        AF.hessian(lambda a: a ** 2, x)

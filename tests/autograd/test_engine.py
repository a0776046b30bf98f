"""The engine's contract: leaves, grad_fn, requires_grad, backward and autograd.grad, run on torch
and on ember with the same assertions."""
import numpy as np
import pytest


def test_leaf_and_nonleaf(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert not y.is_leaf and y.requires_grad and y.grad_fn.name() == "MulBackward0"
    c = lib.ones(3)
    assert c.is_leaf and not c.requires_grad
    assert (c * 2).is_leaf and not (c * 2).requires_grad  # nothing to differentiate: no node
    assert (c * x).requires_grad and not (c * x).is_leaf
    with lib.no_grad():
        w = x * 2
    assert w.is_leaf and not w.requires_grad and w.grad_fn is None


def test_grad_accumulates_across_backward_calls(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    assert first.tolist() == [2.0, 4.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    assert x.grad is first  # accumulated in place, as PyTorch does
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("expr", [
    lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
    lambda x, y: -x, lambda x, y: x.exp(), lambda x, y: x.sum(), lambda x, y: x.mean(),
    lambda x, y: x.reshape(6), lambda x, y: x.expand(4, 2, 3), lambda x, y: x.clone(),
    lambda x, y: x + 1, lambda x, y: 2 * x, lambda x, y: x.sum(1),
])
def test_grad_fn_names_match_torch(expr):
    import torch

    import ember
    t = expr(torch.ones(2, 3, requires_grad=True), torch.ones(2, 3, requires_grad=True))
    e = expr(ember.ones(2, 3, requires_grad=True), ember.ones(2, 3, requires_grad=True))
    assert e.grad_fn.name() == t.grad_fn.name()
    assert e.grad_fn.name() == type(e.grad_fn).__name__


def _structure(node, depth=0):
    """The graph below ``node`` as nested (name, output_nr, children) tuples."""
    if node is None:
        return None
    return (node.name(), tuple((_structure(n, depth + 1), i) for n, i in node.next_functions))


def test_next_functions(lib):
    x = lib.ones(3, requires_grad=True)
    w = lib.ones(3, requires_grad=True)
    c = lib.ones(3)
    y = (x * w + 1) * c
    assert _structure(y.grad_fn) == (
        "MulBackward0", ((("AddBackward0", ((("MulBackward0", (
            (("torch::autograd::AccumulateGrad" if lib.__name__ == "torch" else "AccumulateGrad",
              ()), 0),
            (("torch::autograd::AccumulateGrad" if lib.__name__ == "torch" else "AccumulateGrad",
              ()), 0))), 0), (None, 0))), 0), (None, 0)))
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert acc.variable is x


def test_requires_grad_errors(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    y.requires_grad_(True)  # already true: allowed on a non-leaf
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        lib.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        lib.tensor([1, 2], requires_grad=True)
    z = lib.ones(2)
    z.requires_grad = True
    assert z.requires_grad and z.is_leaf
    z.requires_grad_(False)
    assert not z.requires_grad


def test_assigning_requires_grad_true_on_a_non_leaf_raises(lib):
    y = lib.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad = True


def test_requires_grad_propagation(lib):
    a = lib.ones(2, requires_grad=True)
    b = lib.ones(2)
    assert (a + b).requires_grad and (b + a).requires_grad
    assert not (b + b).requires_grad
    assert (a.detach() + b).requires_grad is False
    assert (a > 0).requires_grad is False  # comparisons are not differentiable
    assert a.sum().requires_grad


def test_backward_with_gradient(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(lib.tensor([1.0, 0.5, 2.0]))
    assert x.grad.tolist() == [2.0, 2.0, 12.0]


def test_backward_errors(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(lib.ones(2))
    with pytest.raises(TypeError, match="gradients can be either Tensors or None"):
        lib.autograd.backward([x * 2], [[1.0, 1.0, 1.0]])
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        lib.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        lib.autograd.backward([x * 2, x * 3], [lib.ones(3)])


def test_one_element_non_scalar_backward(lib):
    x = lib.tensor([3.0], requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == [6.0]


def test_gradient_dtype_is_cast_to_the_output(lib):
    x = lib.ones(3, requires_grad=True)
    (x * x).backward(lib.ones(3, dtype=lib.float64))
    assert x.grad.dtype == lib.float32
    x.grad = None
    x.backward(lib.ones(3, dtype=lib.float64))  # a leaf as the root
    assert x.grad.dtype == lib.float32


def test_backward_twice(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    z = (x * x).exp().sum()  # a saved output is freed too
    z.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.backward()


def test_autograd_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (g,) = lib.autograd.grad(y, x, lib.tensor([1.0, 3.0]), retain_graph=True)
    assert g.tolist() == [2.0, 12.0] and not g.requires_grad
    assert x.grad is None  # grad() does not accumulate
    (g,) = lib.autograd.grad(y, [x], grad_outputs=[lib.ones(2)])
    assert g.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="second time"):
        lib.autograd.grad(y, x, lib.ones(2))
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        lib.autograd.grad((x * 2).sum(), lib.ones(2))


def test_autograd_grad_higher_order(lib):
    x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
    y = (x * x * x).sum()
    (d1,) = lib.autograd.grad(y, x, create_graph=True)
    assert d1.requires_grad
    (d2,) = lib.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = lib.autograd.grad(d2.sum(), x)
    xv = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(d1.tolist(), 3 * xv ** 2, rtol=1e-6)
    np.testing.assert_allclose(d2.tolist(), 6 * xv, rtol=1e-6)
    np.testing.assert_allclose(d3.tolist(), [6.0, 6.0, 6.0], rtol=1e-6)


def test_higher_order_mixed_and_through_exp(lib):
    x = lib.tensor(0.7, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(-1.3, dtype=lib.float64, requires_grad=True)
    y = (x * w).exp() / (x + 2)
    gx, gw = lib.autograd.grad(y, (x, w), create_graph=True)
    (gxw,) = lib.autograd.grad(gx, w, retain_graph=True)
    (gwx,) = lib.autograd.grad(gw, x)
    assert abs(gxw.item() - gwx.item()) < 1e-12  # mixed partials agree
    xv, wv = 0.7, -1.3
    exact = np.exp(xv * wv) * ((1 + xv * wv) / (xv + 2) - xv / (xv + 2) ** 2)
    assert abs(gxw.item() - exact) < 1e-12


def test_allow_unused_and_materialize(lib):
    x = lib.ones(2, requires_grad=True)
    w = lib.ones(3, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        lib.autograd.grad(y, [x, w], retain_graph=True)
    gx, gw = lib.autograd.grad(y, [x, w], allow_unused=True, retain_graph=True)
    assert gx.tolist() == [2.0, 2.0] and gw is None
    gx, gw = lib.autograd.grad(y, [x, w], materialize_grads=True, retain_graph=True)
    assert gw.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="allow_unused"):
        lib.autograd.grad(y, [x, w], allow_unused=False, materialize_grads=True)


def test_grad_wrt_intermediate_leaves_the_rest_of_the_graph(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()
    c = b * 2
    (gb,) = lib.autograd.grad(c.sum(), b)
    assert gb.tolist() == [2.0, 2.0]
    assert a.grad is None
    b.sum().backward()  # ExpBackward0 was not run, so its saved output is still there
    np.testing.assert_allclose(a.grad.tolist(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_backward_inputs(lib):
    x = lib.ones(2, requires_grad=True)
    w = lib.ones(2, requires_grad=True)
    h = x * 3
    y = (h * w).sum()
    y.backward(inputs=[x], retain_graph=True)
    assert x.grad.tolist() == [3.0, 3.0] and w.grad is None
    y.backward(inputs=[h, x, x], retain_graph=True)  # a non-leaf gets .grad; x counts once
    assert h.grad.tolist() == [1.0, 1.0] and x.grad.tolist() == [6.0, 6.0]
    y.backward(inputs=w)
    assert w.grad.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])


def test_autograd_backward_several_roots(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    lib.autograd.backward([x * x, (x * 3).sum()], [lib.tensor([1.0, 1.0]), None])
    assert x.grad.tolist() == [5.0, 7.0]
    lib.autograd.backward((x * 2).sum())
    assert x.grad.tolist() == [7.0, 9.0]
    y = x * 2
    lib.autograd.backward([y, y], [lib.ones(2), lib.ones(2)])  # the same root twice adds up
    assert x.grad.tolist() == [11.0, 13.0]


def test_one_root_depends_on_another(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a = x * x
    b = a * 3
    lib.autograd.backward([a, b], [lib.ones(2), lib.ones(2)])
    assert x.grad.tolist() == [8.0, 16.0]  # (1 + 3) * 2x


def test_multi_output_nodes_with_unused_outputs(lib):
    x = lib.arange(6.0).requires_grad_()
    a, b, c = x.split(2)
    (a * 2 + c).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0, 1.0, 1.0]
    x.grad = None
    rows = x.reshape(3, 2).unbind(0)
    rows[1].sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    x.grad = None
    values, indices = x.reshape(2, 3).max(dim=1)
    assert not indices.requires_grad
    values.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]


def test_nodes_without_saved_tensors_can_run_again(lib):
    x = lib.ones(2, requires_grad=True)
    z = (x + 1).sum()  # AddBackward0 and SumBackward0 keep no tensors: nothing to free
    z.backward()
    z.backward()
    assert x.grad.tolist() == [2.0, 2.0]

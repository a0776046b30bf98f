"""detach, requires_grad_, retain_grad and hooks on tensors and on graph nodes."""
import pytest


def test_detach_shares_memory_and_leaves_the_graph(lib):
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    with lib.no_grad():
        d[0] = 7.0
    assert y.tolist() == [7.0, 2.0, 2.0]  # same memory
    assert d._version == y._version  # and the same version counter


def test_detach_in_place(lib):
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    z = x.detach().requires_grad_()
    assert z.requires_grad and z.is_leaf
    (z * 3).sum().backward()
    assert z.grad.tolist() == [3.0] * 3 and x.grad is None


def test_requires_grad_(lib):
    x = lib.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad


def test_retain_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    assert not y.retains_grad and not x.retains_grad
    y.retain_grad()
    y.retain_grad()  # twice is harmless
    x.retain_grad()  # a no-op on a leaf
    assert y.retains_grad and not x.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    assert y.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]
    z.backward()
    assert y.grad.tolist() == [12.0, 24.0]  # accumulates like a leaf's
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        lib.ones(2).retain_grad()


def test_hooks_on_leaves(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h1 = x.register_hook(lambda g: seen.append(g.tolist()))
    h2 = x.register_hook(lambda g: g * 10)  # a returned tensor replaces the gradient
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]
    h2.remove()
    h2.remove()  # removing twice is harmless
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and len(seen) == 2
    h1.remove()
    (x * 2).sum().backward()
    assert len(seen) == 2


def test_hooks_on_non_leaves(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    order = []
    y.register_hook(lambda g: order.append(("first", g.tolist())))
    y.register_hook(lambda g: g + 1)
    y.register_hook(lambda g: order.append(("third", g.tolist())))
    (y * 3).sum().backward()
    assert order == [("first", [3.0, 3.0]), ("third", [4.0, 4.0])]
    assert x.grad.tolist() == [8.0, 8.0]


def test_hooks_run_with_autograd_grad_and_backward_inputs(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (g,) = lib.autograd.grad((x * 2).sum(), x)
    assert g.tolist() == [20.0, 20.0]
    y = x * 1
    y.register_hook(lambda g: g * 10)
    (gy,) = lib.autograd.grad((y * 2).sum(), y)
    assert gy.tolist() == [20.0, 20.0]
    (y * 2).sum().backward(inputs=[x])
    assert x.grad.tolist() == [200.0, 200.0]


def test_hook_requires_grad(lib):
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require"):
        lib.ones(2).register_hook(lambda g: g)


def test_node_hooks(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    calls = []

    def post(grad_inputs, grad_outputs):
        calls.append(("post", [g.tolist() for g in grad_inputs], grad_outputs[0].tolist()))

    def pre(grad_outputs):
        calls.append(("pre", grad_outputs[0].tolist()))
        return (grad_outputs[0] * 2,)

    hp = y.grad_fn.register_hook(post)
    hq = y.grad_fn.register_prehook(pre)
    y.sum().backward(retain_graph=True)
    assert calls == [("pre", [1.0, 1.0]), ("post", [[6.0, 8.0], [2.0, 4.0]], [2.0, 2.0])]
    assert x.grad.tolist() == [6.0, 8.0]
    hp.remove()
    hq.remove()
    y.sum().backward()
    assert len(calls) == 2 and x.grad.tolist() == [9.0, 12.0]


def test_node_post_hook_can_replace_input_gradients(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.grad_fn.register_hook(lambda gi, go: (lib.zeros(2),))
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_calling_a_node_runs_its_formula(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    ga, gb = y.grad_fn(lib.ones(2))  # one gradient per input of the node
    assert ga.tolist() == gb.tolist() == [1.0, 2.0]


def test_retain_grad_sees_the_gradient_after_hooks(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()  # registered first, but always runs after the tensor's other hooks
    y.register_hook(lambda g: g * 10)
    (y * 1).sum().backward()
    assert y.grad.tolist() == [10.0, 10.0] and x.grad.tolist() == [20.0, 20.0]


def test_grad_of_a_tensor_with_respect_to_itself(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    assert lib.autograd.grad(x, x, lib.ones(2))[0].tolist() == [1.0, 1.0]
    y = x * 2
    assert lib.autograd.grad(y, y, lib.ones(2))[0].tolist() == [1.0, 1.0]
    z = x * 1
    a, _ = z.split(1)
    assert lib.autograd.grad(a.sum(), z)[0].tolist() == [1.0, 0.0]

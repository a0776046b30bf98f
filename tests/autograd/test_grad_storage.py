"""What lands in ``.grad``: never memory that anything else can see, in the leaf's dtype and shape;
and graphs that are very deep or very wide."""
import time
import weakref

import numpy as np
import pytest
import torch

import ember
from helpers import compare, rand


def shares(a, b):
    return np.shares_memory(a.detach().numpy(), b.detach().numpy())


def _independent(lib, *tensors):
    """No two of ``tensors`` share memory, and writing into one leaves the others unchanged."""
    for i, a in enumerate(tensors):
        for b in tensors[i + 1:]:
            assert not shares(a, b)
    before = [t.tolist() for t in tensors]
    with lib.no_grad():
        tensors[0].mul_(100)
    assert [t.tolist() for t in tensors[1:]] == before[1:]


def test_add_gives_separate_grads(lib):
    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True)
    (a + b).sum().backward()
    _independent(lib, a.grad, b.grad)


@pytest.mark.parametrize("make", [
    lambda a, b: a + b, lambda a, b: a - b * 1, lambda a, b: a.clone() + b.clone(),
    lambda a, b: a * 1 + a + b,
])
def test_user_gradient_is_not_aliased(lib, make):
    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True)
    g = lib.tensor([1.0, 2.0, 3.0])
    make(a, b).backward(g)
    _independent(lib, g, a.grad, b.grad)


@pytest.mark.parametrize("make", [lambda a: a, lambda a: a.clone(), lambda a: a * 1])
def test_single_leaf_root_gradient_is_not_aliased(lib, make):
    a = lib.ones(3, requires_grad=True)
    g = lib.tensor([1.0, 2.0, 3.0])
    make(a).backward(g)
    assert a.grad.tolist() == [1.0, 2.0, 3.0]
    _independent(lib, g, a.grad)


def test_gradient_reaching_leaves_through_views_is_not_aliased():
    # NOTE: PyTorch itself lets .grad alias the user's gradient (and another leaf's .grad) here:
    # its use_count test looks at the view, not the memory. ember checks the memory.
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    g = ember.tensor([1.0, 2.0, 3.0])
    (a.reshape(3, 1) + b.reshape(3, 1)).reshape(3).backward(g)
    _independent(ember, g, a.grad, b.grad)
    for make in (lambda a: a.reshape(3), lambda a: a.reshape(1, 3)[0], lambda a: a.expand(3)):
        a.grad = None
        make(a).backward(g)
        _independent(ember, g, a.grad)


def test_not_aliased_with_inputs_and_create_graph(lib):
    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True)
    g = lib.tensor([1.0, 2.0, 3.0])
    (a + b).backward(g, inputs=[a, b])
    _independent(lib, g, a.grad, b.grad)
    a.grad = b.grad = None
    with pytest.warns(UserWarning, match="reference cycle"):
        (a + b).backward(g, create_graph=True)
    _independent(lib, g, a.grad, b.grad)


def test_retained_and_hooked_grads_are_not_aliased(lib):
    a = lib.ones(3, requires_grad=True)
    seen = []
    a.register_hook(seen.append)
    y = a.clone()
    y.retain_grad()
    y.backward(lib.tensor([1.0, 2.0, 3.0]))
    _independent(lib, a.grad, y.grad, seen[0])


def test_custom_function_returning_one_tensor_for_two_inputs(lib):
    class Both(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True)
    g = lib.ones(3)
    Both.apply(a, b).backward(g)
    _independent(lib, g, a.grad, b.grad)


def test_unshared_gradient_memory_is_reused_not_copied():
    """A gradient nobody else can see becomes ``.grad`` as is (PyTorch's use_count test)."""
    made = []

    class Fresh(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            r = g * 2
            made.append(weakref.ref(r))
            return r

    a = ember.ones(3, requires_grad=True)
    Fresh.apply(a).sum().backward()
    assert a.grad is made[-1]()
    b = ember.ones(3, requires_grad=True)
    Fresh.apply(b).backward(ember.ones(3), inputs=[b])
    assert b.grad is made[-1]()


def test_fresh_memory_seen_through_a_view_is_reused_but_shared_memory_is_copied():
    """A kernel's fresh result reshaped (a view whose owner nothing else holds) becomes ``.grad``
    without a copy; a view of memory something else still holds is copied."""
    kept = []

    class View(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, keep):
            ctx.keep = keep
            return x * 1

        @staticmethod
        def backward(ctx, g):
            owner = np.full(6, 2.0, np.float32)
            if ctx.keep:
                kept.append(owner)  # something else holds the memory
            return ember.from_numpy(owner.reshape(2, 3)), None

    a = ember.ones(2, 3, requires_grad=True)
    View.apply(a, False).sum().backward()
    assert a.grad.numpy().base is not None  # the view itself, no copy
    b = ember.ones(2, 3, requires_grad=True)
    View.apply(b, True).sum().backward()
    assert not np.shares_memory(b.grad.numpy(), kept[0])
    with ember.no_grad():
        b.grad.mul_(10)
    assert kept[0].tolist() == [2.0] * 6


def test_grad_dtype_and_shape_follow_the_leaf(lib):
    x = lib.ones(3, 1, requires_grad=True)                        # float32
    y = lib.ones(4, dtype=lib.float64, requires_grad=True)
    s = lib.tensor(2.0, dtype=lib.float64, requires_grad=True)    # 0-d
    ((x * y) * s).sum().backward()
    assert x.grad.dtype == lib.float32 and tuple(x.grad.shape) == (3, 1)
    assert y.grad.dtype == lib.float64 and tuple(y.grad.shape) == (4,)
    assert s.grad.dtype == lib.float64 and tuple(s.grad.shape) == ()
    assert x.grad.tolist() == [[8.0]] * 3 and s.grad.item() == 12.0


def test_grad_shapes_against_torch():
    compare(lambda lib, x, y: (x * y).exp() + x.expand(2, 3, 4), rand(3, 1), rand(2, 1, 4))
    compare(lambda lib, x, y: x.double() * y, rand(1, 3), rand(2, 1, dtype=np.float64))
    compare(lambda lib, x, y: (x + y).sum(0), rand(4), rand(3, 1, dtype=np.float64))


def test_deep_chain_of_100000_ops():
    x = ember.ones(4, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    t = time.perf_counter()
    y.sum().backward()
    assert time.perf_counter() - t < 10  # ~0.5 s here; the bound only catches pathologies
    assert x.grad.tolist() == [1.0] * 4
    z = x
    for _ in range(100_000):
        z = z + 1.0
    del z  # freeing an unused deep graph must not overflow the C stack either


def test_wide_graph(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    s = x * 0
    for i in range(1000):
        s = s + x * float(i)
    s.sum().backward()
    assert x.grad.tolist() == [499500.0, 499500.0]
    y = lib.tensor(3.0, requires_grad=True)
    terms = [y * 1.0 for _ in range(1000)]
    lib.stack(terms).sum().backward()
    assert y.grad.item() == 1000.0


def test_diamond_graph(lib):
    x = lib.tensor(2.0, requires_grad=True)
    a = x * x
    b = a * 3
    c = a.exp()
    (b + c).backward()
    assert abs(x.grad.item() - (12 + np.exp(4.0) * 4)) < 1e-3


def test_ember_graph_matches_torch_for_a_small_network():
    rng = np.random.default_rng(1)
    xs, ws = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)
        h = (x @ w).tanh()
        loss = (h * h).mean() + (w * w).sum() * 0.1
        loss.backward()
        grads.append((np.array(x.grad.tolist()), np.array(w.grad.tolist())))
    for e, t in zip(grads[1], grads[0]):
        np.testing.assert_allclose(e, t, rtol=1e-10)


class _NotATensor:
    pass


@pytest.mark.parametrize("case", [
    lambda lib, t: setattr(t, "grad", lib.ones(4)),
    lambda lib, t: setattr(t, "grad", lib.ones(3, dtype=lib.float64)),
    lambda lib, t: setattr(t, "grad", lib.ones(2, 2, dtype=lib.int64)),  # dtype is checked first
    lambda lib, t: setattr(t, "grad", [1.0, 2.0, 3.0]),
    lambda lib, t: setattr(t, "grad", np.ones(3, np.float32)),
    lambda lib, t: setattr(t, "grad", _NotATensor()),
])
def test_assigned_grad_is_checked(case):
    from nn.test_module import same_error
    same_error(lambda lib: case(lib, lib.ones(3, requires_grad=True)))


def test_assigned_grad_that_fits_is_kept_and_used():
    for lib in (torch, ember):
        p = lib.ones(3, requires_grad=True)
        g = lib.full((3,), 2.0)
        p.grad = g
        assert p.grad is g
        (p * 3).sum().backward()  # accumulates into the assigned gradient
        assert p.grad.tolist() == [5.0, 5.0, 5.0]
        p.grad = None
        assert p.grad is None
        q = lib.ones(2)  # a tensor that needs no grad may still be given one
        q.grad = lib.zeros(2)
        assert q.grad.tolist() == [0.0, 0.0]

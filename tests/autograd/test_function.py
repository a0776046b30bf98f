"""Custom autograd Functions, on torch and on ember with the same assertions."""
import numpy as np
import pytest


def _exp(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y
    return Exp


def test_basic_function(lib):
    Exp = _exp(lib)
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward" and y.grad_fn.name() == "ExpBackward"
    assert repr(y.grad_fn).startswith(f"<{lib.__name__}.autograd.function.ExpBackward object at")
    assert repr(y).endswith("grad_fn=<ExpBackward>)")
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), np.exp([0.0, 1.0]), rtol=1e-6)
    assert not Exp.apply(lib.ones(2)).requires_grad  # no input needs grad: no node
    with lib.no_grad():
        assert Exp.apply(x).grad_fn is None


def test_ctx_needs_input_grad_and_non_tensor_args(lib):
    seen = {}

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, w):
            seen["fwd"] = (ctx.needs_input_grad, lib.is_grad_enabled())
            ctx.k = k
            ctx.save_for_backward(w)
            return x * k * w

        @staticmethod
        def backward(ctx, g):
            seen["bwd"] = ctx.needs_input_grad
            (w,) = ctx.saved_tensors
            return g * ctx.k * w, None, None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    y = Scale.apply(x, 2.0, w)
    assert seen["fwd"] == ((True, False, False), False)  # forward runs with recording off
    assert len(y.grad_fn.next_functions) == 2  # one edge per Tensor argument
    y.sum().backward()
    assert seen["bwd"] == (True, False, False)
    assert x.grad.tolist() == [6.0, 8.0]


def test_setup_context_style_and_defaults(lib):
    got = {}

    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(x, scale=2.0):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            got["inputs"] = len(inputs)
            got["grad_enabled"] = lib.is_grad_enabled()
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    Mul.apply(x).sum().backward()
    assert got == {"inputs": 2, "grad_enabled": False}  # the default was bound into inputs
    assert x.grad.tolist() == [2.0, 2.0]
    Mul.apply(x, scale=3.0).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_multiple_outputs_materialize_and_non_tensor_outputs(lib):
    got = []

    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 7, x * 3

        @staticmethod
        def backward(ctx, ga, gnone, gb):
            got.append((ga.tolist(), gnone, gb.tolist()))
            return ga * 2 + gb * 3

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a, n, b = Split.apply(x)
    assert n == 7 and a.grad_fn is b.grad_fn and (a.output_nr, b.output_nr) == (0, 2)
    a.sum().backward()  # b unused: its gradient is materialized as zeros
    assert got == [([1.0, 1.0], None, [0.0, 0.0])]
    assert x.grad.tolist() == [2.0, 2.0]


def test_set_materialize_grads_false(lib):
    got = []

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1 is None, g2 is None))
            return g1 if g1 is not None else g2

    x = lib.ones(2, requires_grad=True)
    a, b = Two.apply(x)
    a.sum().backward()
    assert got == [(False, True)]


def test_mark_non_differentiable(lib):
    got = []

    class SortLike(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = (x > 0).long()
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return x * 2, idx, mask

        @staticmethod
        def backward(ctx, g, gidx, gmask):
            got.append((gidx.tolist(), gmask.tolist()))
            return g * 2

    x = lib.tensor([-1.0, 1.0], requires_grad=True)
    v, idx, mask = SortLike.apply(x)
    assert v.requires_grad and not idx.requires_grad and not mask.requires_grad
    assert idx.grad_fn is None
    v.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    assert got == [([0, 0], [False, False])]


def test_returning_an_input_gives_a_new_tensor(lib):
    class Ident(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = lib.ones(2, requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentBackward" and x.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_mark_dirty(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    a = lib.ones(2, requires_grad=True)
    b = a.clone()
    v = b._version
    c = AddOne.apply(b)
    assert c is b and b.grad_fn.name() == "AddOneBackward" and b._version > v
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0] and b.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        AddOne.apply(lib.ones(2, requires_grad=True))
    d = lib.ones(2, requires_grad=True).clone()
    e = d * d
    AddOne.apply(d)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


def test_wrong_number_of_gradients(lib):
    class Few(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    class ExtraNones(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    class Many(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    class GradForNumber(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function FewBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        Few.apply(x, lib.ones(2)).sum().backward()
    ExtraNones.apply(x).sum().backward()  # trailing Nones are dropped
    with pytest.raises(RuntimeError, match=r"expected 1, got 2"):
        Many.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2"):
        GradForNumber.apply(x, 3).sum().backward()


def test_gradient_of_the_wrong_shape(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return lib.ones(3)

    class Broadcast(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return lib.ones(4, 2)  # expandable to x's shape: summed back like PyTorch

    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function BadBackward returned an invalid gradient at "
                                           r"index 0 - got \[3\] but expected shape compatible "
                                           r"with \[2\]"):
        Bad.apply(x).sum().backward()
    Broadcast.apply(x).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_save_for_backward_checks(lib):
    class SaveNumber(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None, 3)
            return x * 1

    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        SaveNumber.apply(lib.ones(2, requires_grad=True))


def test_saved_tensors_are_freed_and_version_checked(lib):
    Exp = _exp(lib)
    x = lib.ones(2, requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()
    y = Exp.apply(x)
    with lib.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_double_backward_through_a_function(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = lib.tensor([2.0], dtype=lib.float64, requires_grad=True)
    (d1,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (d2,) = lib.autograd.grad(d1.sum(), x)
    assert d1.item() == 12.0 and d2.item() == 12.0


def test_once_differentiable(lib):
    class Sq(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            assert not lib.is_grad_enabled()
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = lib.tensor([3.0], requires_grad=True)
    Sq.apply(x).sum().backward()
    assert x.grad.tolist() == [6.0]
    (d1,) = lib.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
    assert d1.tolist() == [6.0] and not d1.requires_grad  # the incoming gradient needs none
    w = lib.tensor([2.0], requires_grad=True)
    (d1,) = lib.autograd.grad((Sq.apply(x) * w).sum(), x, create_graph=True)
    assert d1.tolist() == [12.0] and d1.requires_grad
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        d1.sum().backward()


def test_vjp_alias_and_missing_backward(lib):
    class V(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2

    class NoBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = lib.ones(2, requires_grad=True)
    V.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(NotImplementedError):
        NoBackward.apply(x).sum().backward()


def test_integer_outputs_are_not_differentiable(lib):
    class Count(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, (x > 0).sum()

        @staticmethod
        def backward(ctx, g, gc):
            return g

    x = lib.ones(2, requires_grad=True)
    y, n = Count.apply(x)
    assert y.requires_grad and not n.requires_grad and n.item() == 2


def test_instantiating_is_deprecated(lib):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

    with pytest.warns(DeprecationWarning):
        f = F()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        f(lib.ones(1))


def test_ctx_and_outputs_are_freed_without_the_cycle_collector(lib):
    import gc
    import weakref
    Exp = _exp(lib)  # saves its output
    x = lib.ones(2, requires_grad=True)
    gc.disable()
    try:
        y = Exp.apply(x)
        ref = weakref.ref(y.grad_fn)
        del y  # never differentiated: nothing but reference counting may free it
        assert ref() is None
        y = Exp.apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)  # the saved output has grad_fn
        assert g.grad_fn is not None
        ref = weakref.ref(y.grad_fn)
        del y, g
        assert ref() is None
    finally:
        gc.enable()

"""In-place ops against torch: values and gradients through in-place writes, the original value a
backward formula needs, version-counter errors, leaf errors, dtype/shape errors, operator forms
(``+=`` keeps the object), and the allocation-free no-grad path optimizers use."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, positive, rand

F32, F64 = np.float32, np.float64

UNARY = ["abs", "sign", "sgn", "neg", "negative", "exp", "exp2", "log", "log2", "log10", "log1p",
         "expm1", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
         "cosh", "tanh", "asinh", "atanh", "sigmoid", "relu", "reciprocal", "floor", "ceil", "round",
         "trunc", "fix", "frac", "erf", "erfc", "absolute", "arcsin", "arctan"]
POSITIVE_ONLY = {"log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal"}


@pytest.mark.parametrize("name", UNARY)
def test_unary_inplace(name):
    x = positive(2, 3) if name in POSITIVE_ONLY else rand(2, 3, low=-0.9, high=0.9)

    def fn(lib, t):
        y = t * 1.0
        r = getattr(y, name + "_")()
        assert r is y
        return y
    # NOTE: torch has no derivative for asinh_/atanh_ (ember has), and sgn's is a ZeroTensor
    grad = name not in ("sgn", "asinh", "atanh")
    compare(fn, x, grad=grad)
    compare(fn, noncontig(x.astype(F64)), grad=grad)


BINARY = [
    ("add_", lambda y, o: y.add_(o)), ("add_alpha", lambda y, o: y.add_(o, alpha=-0.5)),
    ("sub_", lambda y, o: y.sub_(o, alpha=2)), ("mul_", lambda y, o: y.mul_(o)),
    ("div_", lambda y, o: y.div_(o)), ("pow_", lambda y, o: y.abs().pow_(o)),
    ("atan2_", lambda y, o: y.atan2_(o)), ("lerp_", lambda y, o: y.lerp_(o, 0.25)),
    ("remainder_", lambda y, o: y.remainder_(o)), ("fmod_", lambda y, o: y.fmod_(o)),
    ("clamp_", lambda y, o: y.clamp_(o, o + 0.5)), ("maximum", lambda y, o: y.clamp_min_(o)),
    ("subtract_", lambda y, o: y.subtract_(o)), ("multiply_", lambda y, o: y.multiply_(o)),
    ("divide_", lambda y, o: y.divide_(o)), ("true_divide_", lambda y, o: y.true_divide_(o)),
]


@pytest.mark.parametrize("name,op", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("so", [(2, 3), (3,), ()])
def test_binary_inplace_with_grad(name, op, so):
    def fn(lib, x, o):
        y = x * 1.0
        assert op(y, o) is y or name == "pow_"
        return y
    compare(fn, rand(2, 3), positive(*so))
    compare(fn, rand(2, 3, dtype=F64), positive(*so, dtype=F64))


@pytest.mark.parametrize("other", [2, 0.5, True])
@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "pow_", "remainder_", "fmod_",
                                  "clamp_min_", "clamp_max_", "floor_divide_"])
def test_inplace_with_scalars(name, other):
    if name == "sub_" and other is True:
        check_raises(lambda lib, x: x.clone().sub_(True), rand(3))
        return

    def fn(lib, x):
        y = x * 1.0
        getattr(y, name)(other)
        return y
    # floor_divide_ is not differentiable: compare values only
    compare(fn, positive(2, 3), grad=name != "floor_divide_")


def test_comparison_and_logic_inplace():
    a, b = rand(2, 3, dtype=np.int64, low=-2, high=2), rand(3, dtype=np.int64, low=-2, high=2)
    for name in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "logical_and_", "logical_or_",
                 "logical_xor_", "bitwise_and_", "bitwise_or_", "bitwise_xor_"):
        compare(lambda lib, x, y: getattr(x.clone(), name)(y), a, b)
    compare(lambda lib, x, y: x.clone().lt_(y), a.astype(F32), b.astype(F32), grad=False)
    compare(lambda lib, x: x.clone().logical_not_(), a)
    compare(lambda lib, x: x.clone().bitwise_not_(), a)


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^="])
def test_augmented_assignment_keeps_object(op):
    code = f"y {op} o"
    for dtype in (F32, np.int64):
        if dtype == F32 and op in ("&=", "|=", "^="):
            continue
        if dtype == np.int64 and op == "/=":
            check_raises(lambda lib, x: exec(code, {}, {"y": x, "o": 2}), np.array([1, 2]))
            continue

        def fn(lib, x, o):
            y = x.clone() if dtype != F32 else x * 1.0
            before, version = id(y), y._version
            scope = {"y": y, "o": o}
            exec(code, {}, scope)
            assert id(scope["y"]) == before and scope["y"]._version > version
            return scope["y"]
        x = rand(2, 3, dtype=dtype, low=1, high=5)
        o = rand(3, dtype=dtype, low=1, high=3)
        compare(fn, x, o, grad=op not in ("//=", "%="))


def test_original_value_for_backward():
    """``a.mul_(b)`` gives ``b`` the gradient of the original ``a``, as PyTorch's snapshot does."""
    def fn(lib, x, w):
        a = x * 2
        a.mul_(w)
        a.div_(w + 1)
        a.atan2_(w)
        return a.pow_(2)
    compare(fn, positive(3), positive(3))
    compare(fn, positive(2, 3, dtype=F64), positive(3, dtype=F64))


def test_snapshot_after_earlier_versions():
    def fn(lib, x, w):
        a = x * 1.0
        a.add_(1)      # version 1 before the op that saves a
        a.mul_(w)
        a.sigmoid_()
        return a
    compare(fn, rand(4), rand(4))


def test_inplace_of_saved_tensor_raises():
    def saved_input(lib, x):
        a = x * 2
        b = a * a
        a.add_(1)
        b.sum().backward()

    def saved_output(lib, x):
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    def saved_output_of_inplace(lib, x):
        y = x * 1
        y.tanh_()
        z = y * 1
        y.mul_(2)
        z.sum().backward()
        (y * x).sum().backward()

    for fn in (saved_input, saved_output, saved_output_of_inplace):
        x_t = torch.tensor([0.5, 1.0], requires_grad=True)
        x_e = ember.tensor([0.5, 1.0], requires_grad=True)
        with pytest.raises(RuntimeError) as t:
            fn(torch, x_t)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            fn(ember, x_e)
        assert "modified by an inplace operation" in str(t.value)


def test_inplace_on_leaf_requires_grad():
    for name, args in (("add_", (1.0,)), ("mul_", (2.0,)), ("exp_", ()), ("clamp_", (0.0, 1.0)),
                       ("zero_", ()), ("fill_", (1.0,)), ("copy_", (np.ones(2, F32),))):
        def fn(lib, x):
            a = [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
            getattr(x.requires_grad_(), name)(*a)
        check_raises(fn, rand(2), match="leaf Variable")
        x = ember.tensor([1.0, 2.0], requires_grad=True)
        with ember.no_grad():
            a = [ember.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
            assert getattr(x, name)(*a) is x
        assert x.requires_grad and x.grad_fn is None


def test_inplace_errors():
    i = np.array([1, 2, 3])
    check_raises(lambda lib, x: x.add_(1.5), i, match="can't be cast")
    check_raises(lambda lib, x: x.div_(2), i)
    check_raises(lambda lib, x: x.mul_(lib.tensor([1.5, 2.0, 1.0])), i)
    check_raises(lambda lib, x: x.exp_(), i)
    check_raises(lambda lib, x, y: x.add_(y), rand(3), rand(2, 3), match="doesn't match")
    check_raises(lambda lib, x, y: x.mul_(y), rand(3), rand(2))
    check_raises(lambda lib, x: x.sub_(True), np.array([True, False]))
    check_raises(lambda lib, x: x.expand(2, 3).add_(1), rand(3))
    check_raises(lambda lib, x: x.eq_(x.unsqueeze(0).expand(2, 3)), rand(3))


def test_fast_path_writes_in_place():
    """The no-grad path of add_/sub_/mul_/div_ writes into the same memory (no new array)."""
    arr = np.arange(6, dtype=F32).reshape(2, 3)
    p = ember.from_numpy(arr)
    g = ember.ones(2, 3)
    ptr, v0 = p.data_ptr(), p._version
    p.add_(g, alpha=-0.5).mul_(2.0).sub_(g).div_(2.0).add_(ember.ones(3)).mul_(ember.tensor(2.0))
    assert p.data_ptr() == ptr and p._version == v0 + 6 and p._data is arr
    np.testing.assert_allclose(arr, ((np.arange(6).reshape(2, 3) - 0.5) * 2 - 1) / 2 * 2 + 2)
    q = ember.tensor([1, 2, 3])
    q.add_(2).mul_(3).sub_(ember.tensor([1, 1, 1]))
    assert q.tolist() == [8, 11, 14] and q.dtype == ember.int64
    w = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        w.mul_(0.5).add_(ember.ones(3), alpha=0.25)
    assert w.tolist() == [0.75] * 3 and w.grad_fn is None
    h = ember.ones(3, dtype=ember.float16)
    h.add_(ember.ones(3, dtype=ember.float64))  # mixed dtypes: the general path
    assert h.dtype == ember.float16 and h.tolist() == [2.0] * 3


def test_views_see_inplace_writes():
    def fn(lib, x):
        base = x.detach().clone()
        view = base[1]
        view.mul_(10)
        base.add_(1)
        return base, view
    compare(fn, rand(2, 3))


def test_inplace_twice_on_saved_output_raises():
    for name in ("sigmoid_", "exp_", "sqrt_", "tanh_"):
        def fn(lib, x):
            a = x.requires_grad_() * 2
            getattr(a, name)()
            a.add_(1)
            a.sum().backward()
        check_raises(fn, positive(3), match="modified by an inplace operation")


def test_zero_fill_copy():
    compare(lambda lib, x: (x * 1).zero_(), rand(2, 3))
    compare(lambda lib, x: (x * 1).fill_(2.5), rand(2, 3))
    compare(lambda lib, x, v: (x * 1).fill_(v.sum()), rand(2, 3), rand(3))
    compare(lambda lib, x, s: (x * 1).copy_(s * 3), rand(2, 3), rand(3))
    compare(lambda lib, x, s: (x * 1).copy_(s), rand(2, 3, dtype=F64), rand(2, 3))
    compare(lambda lib, x, s: x.clone().copy_(s), rand(2, 3, dtype=np.int64, low=-3, high=3),
            rand(2, 3) * 3)
    check_raises(lambda lib, x, s: x.copy_(s), rand(2, 3), rand(2))
    check_raises(lambda lib, x, v: x.clone().fill_(v), rand(2, 3), rand(3))
    for lib in (torch, ember):
        x = lib.ones(2, requires_grad=True)
        y = x * 1
        names = [type(y.fill_(1.0).grad_fn).__name__, type(y.zero_().grad_fn).__name__,
                 type(y.fill_(x.sum()).grad_fn).__name__, type(y.copy_(x).grad_fn).__name__]
        if lib is torch:
            want = names
        else:
            assert names == want


def test_grad_fn_of_inplace():
    for lib in (torch, ember):
        x = lib.tensor([0.5, 1.0], requires_grad=True)
        y = x * 1
        names = [type(y.mul_(2).grad_fn).__name__, type(y.relu_().grad_fn).__name__,
                 type(y.clamp_(0, 1).grad_fn).__name__, type(y.square_().grad_fn).__name__]
        if lib is torch:
            want = names
        else:
            assert names == want


def test_namespace_inplace_functions():
    def fn(lib, x):
        y = x * 1
        lib.sigmoid_(y)
        z = y * 1
        lib.clamp_(z, 0.55, 0.7)
        return lib.exp_(z), lib.relu_(x * 1)
    compare(fn, rand(2, 3))


def test_double_backward_through_inplace():
    res = []
    for lib in (torch, ember):
        x = lib.tensor([0.3, 0.7], dtype=lib.float64, requires_grad=True)
        y = x * 1
        y.mul_(x).tanh_()
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        res.append(g2.detach().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)


@pytest.mark.parametrize("name", ["tril_", "triu_"])
@pytest.mark.parametrize("diagonal", [-1, 0, 2])
def test_tril_triu_inplace(name, diagonal):
    def fn(lib, t):
        y = t * 1.0
        assert getattr(y, name)(diagonal) is y
        return y
    compare(fn, rand(3, 4))
    compare(fn, rand(2, 3, 3, dtype=F64))


def test_copy_shape_errors_match_torch():
    for dst, src in [((), (1,)), ((2,), (3,)), ((2, 3), (3, 3)), ((3,), (2, 3))]:
        msgs = []
        for lib in (torch, ember):
            with pytest.raises(RuntimeError) as e:
                lib.zeros(dst).copy_(lib.ones(src))
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]

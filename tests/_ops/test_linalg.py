import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand

F64 = np.float64

MATMUL_SHAPES = [
    ((3,), (3,)),                 # dot
    ((2, 3), (3,)),               # mv
    ((3,), (3, 4)),               # vector @ matrix
    ((2, 3), (3, 4)),             # mm
    ((5, 2, 3), (3, 4)),          # batch @ matrix
    ((2, 3), (5, 3, 4)),          # matrix @ batch
    ((5, 2, 3), (5, 3, 4)),       # bmm
    ((2, 1, 2, 3), (5, 3, 4)),    # broadcast batch dims
    ((5, 2, 3), (3,)),            # batch @ vector
    ((3,), (2, 5, 3, 4)),         # vector @ batch
    ((0, 3), (3, 4)),             # empty rows
    ((2, 0), (0, 4)),             # empty inner dim: zeros
    ((0,), (0,)),
    ((3, 2, 0), (3, 0, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, F64])
def test_matmul_shapes(sa, sb, dtype):
    compare(lambda lib, a, b: lib.matmul(a, b), rand(*sa, dtype=dtype), rand(*sb, dtype=dtype))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES[:8])
def test_matmul_operator(sa, sb):
    compare(lambda lib, a, b: a @ b, rand(*sa), rand(*sb))
    compare(lambda lib, a, b: a.matmul(b) * 2, rand(*sa), rand(*sb))


def test_rmatmul():
    compare(lambda lib, a, b: b.__rmatmul__(a), rand(2, 3), rand(3, 4))


def test_matmul_noncontiguous():
    compare(lambda lib, a, b: a @ b, noncontig(rand(3, 4)), noncontig(rand(4, 2)))
    compare(lambda lib, a, b: a @ b, noncontig(rand(2, 3, 4)), noncontig(rand(4,)))
    compare(lambda lib, a, b: lib.mm(a, b), noncontig(rand(3, 4, dtype=F64)), rand(4, 2, dtype=F64))


def test_matmul_float32_stays_float32():
    a, b = ember.ones(4, 5), ember.ones(5, 6)
    assert (a @ b)._data.dtype == np.float32
    assert ember.mm(a, b).dtype == ember.float32


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_matmul_integer(dtype):
    compare(lambda lib, a, b: a @ b, rand(2, 3, dtype=dtype, low=-5, high=5),
            rand(3, 2, dtype=dtype, low=-5, high=5))
    compare(lambda lib, a, b: a @ b, rand(3, dtype=dtype, low=-5, high=5),
            rand(3, dtype=dtype, low=-5, high=5))


def test_matmul_grad_fn_names():
    a = ember.ones(2, 3, requires_grad=True)
    assert (a @ ember.ones(3, 4)).grad_fn.name() == "MmBackward0"
    assert (a @ ember.ones(3)).grad_fn.name() == "MvBackward0"
    assert (ember.ones(2, requires_grad=True) @ ember.ones(2)).grad_fn.name() == "DotBackward0"
    assert (ember.ones(4, 2, 3, requires_grad=True) @ ember.ones(3, 2)).grad_fn.name() == \
        "UnsafeViewBackward0"
    assert ember.bmm(ember.ones(4, 2, 3, requires_grad=True),
                     ember.ones(4, 3, 2)).grad_fn.name() == "BmmBackward0"


MATMUL_ERRORS = [
    ((4, 6), (5, 3)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 2)), ((2, 2, 3), (2, 4, 2)),
    ((2, 2, 3), (3, 4, 2)), ((), (3,)), ((3,), ()), ((2, 2, 3), (4, 2)), ((2, 2, 3), (5,)),
    ((5,), (2, 3, 2)), ((2, 3), (4, 2, 2)), ((2, 5, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_ERRORS)
def test_matmul_errors(sa, sb):
    a, b = rand(*sa), rand(*sb)
    with pytest.raises(RuntimeError) as exc:
        torch.from_numpy(a) @ torch.from_numpy(b)
    check_raises(lambda lib, x, y: lib.matmul(x, y), a, b, match=_literal(str(exc.value)))


def _literal(msg):
    import re
    return re.escape(msg)


def test_matmul_dtype_mismatch():
    for sa, sb in [((2, 3), (3, 2)), ((3,), (3,)), ((2, 3), (3,)), ((2, 2, 3), (2, 3, 2))]:
        check_raises(lambda lib, a, b: a @ b, rand(*sa), rand(*sb, dtype=F64))
    check_raises(lambda lib, a, b: lib.mm(a, b), rand(2, 3), rand(3, 2, dtype=F64),
                 match="expected m1 and m2 to have the same dtype, but got: float != double")
    check_raises(lambda lib, a, b: lib.dot(a, b), rand(3), rand(3, dtype=F64),
                 match="dot : expected both vectors to have same dtype, but found Float and Double")


def test_matmul_bool_and_type_errors():
    b = rand(2, 2, dtype=np.bool_)
    check_raises(lambda lib, x: x @ x, b)
    check_raises(lambda lib, x: lib.matmul(x, 3), rand(2, 2))
    check_raises(lambda lib, x: x @ [1.0, 2.0], rand(2, 2))


def test_mm():
    compare(lambda lib, a, b: lib.mm(a, b), rand(4, 6), rand(6, 3))
    compare(lambda lib, a, b: a.mm(b), rand(4, 6, dtype=F64), rand(6, 3, dtype=F64))
    check_raises(lambda lib, a, b: lib.mm(a, b), rand(4, 6), rand(5, 3),
                 match=_literal("mat1 and mat2 shapes cannot be multiplied (4x6 and 5x3)"))
    check_raises(lambda lib, a, b: lib.mm(a, b), rand(4), rand(4, 3), match="self must be a matrix")
    check_raises(lambda lib, a, b: lib.mm(a, b), rand(2, 4), rand(4, 3, 1),
                 match="mat2 must be a matrix")


def test_bmm():
    compare(lambda lib, a, b: lib.bmm(a, b), rand(3, 2, 4), rand(3, 4, 5))
    compare(lambda lib, a, b: a.bmm(b), noncontig(rand(2, 2, 3, dtype=F64)),
            rand(2, 3, 2, dtype=F64))
    for sa, sb in [((2, 3, 4), (3, 4, 5)), ((2, 3, 4), (2, 5, 5)), ((3, 4), (2, 4, 5)),
                   ((2, 3, 4), (4, 5))]:
        msg = _torch_error(lambda a, b: torch.bmm(a, b), sa, sb)
        check_raises(lambda lib, a, b: lib.bmm(a, b), rand(*sa), rand(*sb), match=_literal(msg))


def _torch_error(fn, *shapes):
    try:
        fn(*[torch.zeros(s) for s in shapes])
    except RuntimeError as e:
        return str(e)
    raise AssertionError("torch did not raise")


def test_mv_dot():
    compare(lambda lib, a, b: lib.mv(a, b), rand(2, 3), rand(3))
    compare(lambda lib, a, b: lib.dot(a, b), rand(3, dtype=F64), rand(3, dtype=F64))
    compare(lambda lib, a, b: a.dot(b), rand(3, dtype=np.int32, low=-3, high=3),
            rand(3, dtype=np.int32, low=-3, high=3))
    compare(lambda lib, a, b: lib.vdot(a, b), rand(3), rand(3))
    for fn, shapes in [(lambda a, b: torch.mv(a, b), [((2, 3), (4,)), ((2, 3), (3, 1)),
                                                      ((2, 3, 1), (3,))]),
                       (lambda a, b: torch.dot(a, b), [((3,), (4,)), ((3, 1), (3,))])]:
        for sa, sb in shapes:
            msg = _torch_error(fn, sa, sb)
            name = "mv" if "mv" in str(fn.__code__.co_names) else "dot"
            check_raises(lambda lib, a, b: getattr(lib, name)(a, b), rand(*sa), rand(*sb),
                         match=_literal(msg))


def test_outer():
    compare(lambda lib, a, b: lib.outer(a, b), rand(3), rand(2))
    compare(lambda lib, a, b: lib.ger(a, b), rand(3), rand(2, dtype=F64))
    compare(lambda lib, a, b: a.outer(b), rand(3, dtype=np.int32, low=0, high=4),
            rand(2, dtype=np.int64, low=0, high=4))
    check_raises(lambda lib, a, b: lib.outer(a, b), rand(3), rand(2, 1),
                 match="outer: Expected 1-D argument vec2, but got 2-D")
    check_raises(lambda lib, a: lib.outer(a, 3), rand(3))


def test_inner_tensordot():
    compare(lambda lib, a, b: lib.inner(a, b), rand(2, 3), rand(4, 3))
    compare(lambda lib, a, b: lib.inner(a, b), rand(2, 3), rand(3))
    compare(lambda lib, a, b: lib.tensordot(a, b, 2), rand(2, 3, 4), rand(3, 4, 5))
    compare(lambda lib, a, b: lib.tensordot(a, b, ([0, 2], [1, 0])), rand(4, 3, 2), rand(2, 4, 5))
    compare(lambda lib, a, b: lib.tensordot(a, b, 0), rand(2), rand(3))


@pytest.mark.parametrize("si", [(2, 3), (3,), (1, 3), (2, 1), ()])
def test_addmm(si):
    compare(lambda lib, i, a, b: lib.addmm(i, a, b), rand(*si), rand(2, 4), rand(4, 3))
    compare(lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2),
            rand(*si, dtype=F64), rand(2, 4, dtype=F64), rand(4, 3, dtype=F64))
    compare(lambda lib, i, a, b: i.addmm(a, b, beta=0, alpha=-1), rand(*si), rand(2, 4), rand(4, 3))


def test_addmm_misc():
    nan = np.full((2, 3), np.nan, np.float32)
    compare(lambda lib, i, a, b: lib.addmm(i, a, b, beta=0), nan, rand(2, 4), rand(4, 3))
    ints = [rand(*s, dtype=np.int64, low=-3, high=3) for s in [(3,), (2, 4), (4, 3)]]
    compare(lambda lib, i, a, b: lib.addmm(i, a, b, alpha=0.5, beta=2), *ints)
    for si in [(3, 3), (4,), (3, 3, 1), (4, 3)]:
        msg = _torch_error(lambda i, a, b: torch.addmm(i, a, b), si, (2, 4), (4, 3))
        check_raises(lambda lib, i, a, b: lib.addmm(i, a, b), rand(*si), rand(2, 4), rand(4, 3),
                     match=_literal(msg.replace("torch.FloatTensor{[3, 3, 1]}", "[3, 3, 1]")))
    check_raises(lambda lib, i, a, b: lib.addmm(i, a, b), rand(3, dtype=F64), rand(2, 4),
                 rand(4, 3), match="self and mat2 must have the same dtype")
    a = ember.ones(2, 4, requires_grad=True)
    assert ember.addmm(ember.ones(3), a, ember.ones(4, 3)).grad_fn.name() == "AddmmBackward0"


def test_addmv_baddbmm_addbmm():
    compare(lambda lib, i, a, b: lib.addmv(i, a, b, beta=0.5, alpha=2), rand(2), rand(2, 3),
            rand(3))
    compare(lambda lib, i, a, b: lib.addmv(i, a, b), rand(1), rand(2, 3), rand(3))
    compare(lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=0.5, alpha=2), rand(1, 3), rand(2, 2, 4),
            rand(2, 4, 3))
    compare(lambda lib, i, a, b: i.baddbmm(a, b), rand(2, 2, 3), rand(2, 2, 4), rand(2, 4, 3))
    compare(lambda lib, i, a, b: lib.addbmm(i, a, b, beta=0.5, alpha=2), rand(2, 3), rand(3, 2, 4),
            rand(3, 4, 3))


# ---- einsum --------------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->ij", [(2, 2, 3)]),
    ("...ij,...jk", [(5, 2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("i...j,j...", [(2, 3, 4), (4, 3)]),
    ("...", [(2, 3)]),
    ("ij,j->i", [(2, 1), (3,)]),       # size-1 broadcasting of a subscript
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
    ("Ba,aB", [(2, 3), (3, 2)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),
    ("ij,kl->", [(2, 3), (2, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq, shapes):
    compare(lambda lib, *ops: lib.einsum(eq, *ops), *[rand(*s) for s in shapes])


def test_einsum_forms():
    compare(lambda lib, a, b: lib.einsum("ij,jk", [a, b]), rand(2, 3), rand(3, 4))
    compare(lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]), rand(2, 3), rand(3, 4))
    compare(lambda lib, a, b: lib.einsum(a, [..., 1], b, [1, ...]), rand(2, 3), rand(3, 2))
    compare(lambda lib, a, b: lib.einsum("ij,jk", a, b), rand(2, 3, dtype=F64),
            rand(3, 4, dtype=F64))
    compare(lambda lib, a, b: lib.einsum("i,i", a, b), rand(3, dtype=np.int64, low=-3, high=3),
            rand(3, dtype=np.int64, low=-3, high=3))


EINSUM_ERRORS = [
    ("ij,jk", [(2, 3)]), ("ij", [(2, 3), (3,)]), ("ij,j->i", [(2, 2), (3,)]),
    ("ij,jk->ii", [(2, 2), (2, 2)]), ("ij->k", [(2, 2)]), ("ijk->ij", [(2, 2)]),
    ("i..j", [(2, 3)]), ("i-j", [(2, 3)]), ("ii", [(3, 2)]), ("i...jk", [(3, 2)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS)
def test_einsum_errors(eq, shapes):
    msg = _torch_error(lambda *ops: torch.einsum(eq, *ops), *shapes)
    check_raises(lambda lib, *ops: lib.einsum(eq, *ops), *[rand(*s) for s in shapes],
                 match=_literal(msg))
    check_raises(lambda lib, a, b: lib.einsum("i,i", a, b), rand(3), rand(3, dtype=F64))


# ---- gradcheck and double backward ---------------------------------------------------------------
def _numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar ``f(x)`` w.r.t. every element of ``x`` (float64 array)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


GRADCHECK = [
    lambda a, b: ember.matmul(a, b),
    lambda a, b: ember.einsum("ij,jk->ik", a, b),
    lambda a, b: ember.einsum("ii,ij->j", a @ b, b),
    lambda a, b: ember.addmm(ember.ones(3, dtype=ember.float64), a, b, beta=0.5, alpha=1.5),
    lambda a, b: ember.einsum("ij,ij->i", a, b),
]


@pytest.mark.parametrize("fn", GRADCHECK)
def test_gradcheck(fn):
    a0, b0 = rand(3, 3, dtype=F64), rand(3, 3, dtype=F64)
    w = rand(3, 3, dtype=F64)
    wt = ember.tensor(w)
    for k in range(2):
        ops = [ember.tensor(a0, requires_grad=True), ember.tensor(b0, requires_grad=True)]
        (fn(*ops) * wt).sum().backward()

        def f(x):
            args = [ember.tensor(a0), ember.tensor(b0)]
            args[k] = ember.tensor(x)
            return float((fn(*args) * wt).sum())
        x = (a0 if k == 0 else b0).copy()
        np.testing.assert_allclose(ops[k].grad.numpy(), _numeric_grad(f, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                   ((2, 2, 3), (3, 2))])
def test_double_backward(sa, sb):
    a0, b0 = rand(*sa, dtype=F64), rand(*sb, dtype=F64)
    res = []
    for lib in (torch, ember):
        a = lib.tensor(a0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True)
        m = lib.matmul(a, b)
        y = (m * m).sum()
        ga, gb = lib.autograd.grad(y, (a, b), create_graph=True)
        (ga.sum() + (gb * gb).sum()).backward()
        res.append((ga.detach().numpy(), gb.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
    for t, e in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10)


def test_double_backward_einsum_addmm():
    a0, b0, c0 = rand(2, 3, dtype=F64), rand(3, 4, dtype=F64), rand(4, dtype=F64)
    res = []
    for lib in (torch, ember):
        a, b, c = (lib.tensor(x, requires_grad=True) for x in (a0, b0, c0))
        y = lib.einsum("ij,jk->ik", a, b) * lib.addmm(c, a, b, alpha=2)
        ga, gb, gc = lib.autograd.grad(y.sum(), (a, b, c), create_graph=True)
        (ga * ga).sum().backward()
        res.append((ga.detach().numpy(), a.grad.numpy(), b.grad.numpy(), c.grad.numpy()))
    for t, e in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("eq,shapes", [("ii,ij->j", [(3, 3), (3, 2)]),
                                       ("...ij,...jk", [(2, 2, 3), (3, 2)]),
                                       ("ij->i", [(2, 3)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)])])
def test_double_backward_einsum(eq, shapes):
    arrays = [rand(*s, dtype=F64) for s in shapes]
    res = []
    for lib in (torch, ember):
        ops = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = lib.einsum(eq, *ops)
        grads = lib.autograd.grad((y * y).sum(), ops, create_graph=True)
        sum((g * g).sum() for g in grads).backward()
        res.append([o.grad.numpy() for o in ops])
    for t, e in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10)

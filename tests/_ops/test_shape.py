"""Shape ops against PyTorch: values, dtypes, gradients, grad_fn names, views and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, noncontig, rand

F64 = np.float64


def grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def same_grad_fn(fn, *arrays):
    """fn gives the same grad_fn name in both libraries."""
    t_in = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    e_in = [ember.tensor(a).requires_grad_() for a in arrays]
    t, e = fn(torch, *t_in), fn(ember, *e_in)
    assert grad_fn_name(e) == type(t.grad_fn).__name__


# ---- reshape / view / flatten --------------------------------------------------------------------
@pytest.mark.parametrize("shape,new", [((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((2, 3), (3, -1)),
                                       ((), (1, 1)), ((1,), ()), ((0, 3), (3, 0)),
                                       ((0, 3), (-1, 3))])
def test_reshape(shape, new):
    compare(lambda lib, x: x.reshape(new) * 2, rand(*shape))
    compare(lambda lib, x: lib.reshape(x, new), rand(*shape, dtype=F64))
    compare(lambda lib, x: x.reshape(*new) if new else x.reshape(()), noncontig(rand(*shape)))


def test_view_shares_memory_and_version():
    x = ember.zeros(2, 3)
    v = x.view(6)
    v[1] = 5.0
    assert x[0, 1].item() == 5.0
    assert x._version == v._version == 1
    r = x.reshape(3, 2)
    assert r._vc is x._vc
    c = x.t().reshape(6)     # needs a copy: its own version counter
    assert c._vc is not x._vc


def test_reshape_grad_fn_names():
    same_grad_fn(lambda lib, x: x.reshape(6), rand(2, 3))
    same_grad_fn(lambda lib, x: x.t().reshape(6), rand(2, 3))
    same_grad_fn(lambda lib, x: x.flatten(), rand(2, 3))
    same_grad_fn(lambda lib, x: x.view(3, 2), rand(2, 3))


@pytest.mark.parametrize("args", [(), (0,), (1,), (0, 1), (-2, -1), (1, 1), (0, -1)])
def test_flatten(args):
    compare(lambda lib, x: x.flatten(*args), rand(2, 3, 4))
    compare(lambda lib, x: lib.flatten(x, *args), noncontig(rand(2, 3, 4, dtype=F64)))


def test_flatten_0d_and_ravel():
    compare(lambda lib, x: x.flatten(), rand())
    compare(lambda lib, x: lib.ravel(x), noncontig(rand(3, 2)))


@pytest.mark.parametrize("dim,sizes", [(1, (3, 1)), (-1, (2, 2)), (0, (-1, 1)), (1, (1, -1, 1))])
def test_unflatten(dim, sizes):
    compare(lambda lib, x: x.unflatten(dim, sizes), rand(2, 3, 4))
    compare(lambda lib, x: lib.unflatten(x, dim, sizes), noncontig(rand(2, 3, 4, dtype=F64)))


# ---- squeeze / unsqueeze / permutes --------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, 1, -1, 2, (0, 2), (), (1, -1)])
def test_squeeze(dim):
    fn = (lambda lib, x: x.squeeze()) if dim is None else (lambda lib, x: x.squeeze(dim))
    compare(fn, rand(1, 3, 1))
    same_grad_fn(fn, rand(1, 3, 1))


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1, -4])
def test_unsqueeze(dim):
    compare(lambda lib, x: lib.unsqueeze(x, dim), noncontig(rand(2, 3, 4)))


def test_unsqueeze_0d():
    compare(lambda lib, x: x.unsqueeze(0).unsqueeze(-1), rand())


@pytest.mark.parametrize("perm", [(0, 1, 2), (2, 0, 1), (-1, 0, 1), (1, 2, 0)])
def test_permute(perm):
    compare(lambda lib, x: x.permute(*perm) * 3, rand(2, 3, 4))
    compare(lambda lib, x: lib.permute(x, perm), noncontig(rand(2, 3, 4, dtype=F64)))
    compare(lambda lib, x: x.permute(perm), rand(2, 3, 4, dtype=np.int64, low=0, high=9))


@pytest.mark.parametrize("a,b", [(0, 1), (0, -1), (2, 1), (1, 1)])
def test_transpose_family(a, b):
    for name in ("transpose", "swapaxes", "swapdims"):
        compare(lambda lib, x: getattr(lib, name)(x, a, b), rand(2, 3, 4))
    compare(lambda lib, x: x.transpose(a, b).contiguous(), noncontig(rand(2, 3, 4)))


def test_t_T_mT():
    for shape in [(), (3,), (2, 3)]:
        compare(lambda lib, x: x.t(), rand(*shape))
        compare(lambda lib, x: lib.t(x), rand(*shape, dtype=F64))
    compare(lambda lib, x: x.T, rand(2, 3))
    compare(lambda lib, x: x.mT, rand(4, 2, 3))
    compare(lambda lib, x: x.mH, rand(4, 2, 3))
    compare(lambda lib, x: x.H, rand(2, 3))
    compare(lambda lib, x: x.adjoint(), rand(2, 3))
    same_grad_fn(lambda lib, x: x.t(), rand(2, 3))
    same_grad_fn(lambda lib, x: x.T, rand(2, 3))
    same_grad_fn(lambda lib, x: x.mT, rand(2, 3))


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), ((0, 1), (2, 0)), ((0,), (1,)), (1, 1)])
def test_movedim(src, dst):
    compare(lambda lib, x: lib.movedim(x, src, dst), rand(2, 3, 4))
    compare(lambda lib, x: x.moveaxis(src, dst), noncontig(rand(2, 3, 4)))


# ---- expand / broadcast --------------------------------------------------------------------------
@pytest.mark.parametrize("shape,sizes", [((3, 1), (3, 4)), ((3, 1), (2, 3, 4)), ((3, 1), (-1, 5)),
                                         ((), (2, 3)), ((1,), (0,)), ((2, 3), (2, 3)),
                                         ((3, 1), (2, -1, 0))])
def test_expand(shape, sizes):
    compare(lambda lib, x: x.expand(*sizes) * 1.5, rand(*shape))
    compare(lambda lib, x: x.expand(sizes), rand(*shape, dtype=F64))


def test_expand_as_broadcast_to():
    compare(lambda lib, x, y: x.expand_as(y) + y, rand(3, 1), rand(2, 3, 4))
    compare(lambda lib, x: lib.broadcast_to(x, (2, 3, 4)), rand(4))
    compare(lambda lib, x: x.broadcast_to((2, 3, 4)), noncontig(rand(3, 4)))


def test_broadcast_tensors_and_shapes():
    compare(lambda lib, x, y, z: lib.broadcast_tensors(x, y, z), rand(3, 1), rand(4), rand())
    compare(lambda lib, x, y: lib.broadcast_tensors(x, y), rand(0, 1), rand(3))
    assert tuple(ember.broadcast_shapes((2, 1), (3,), 1)) == tuple(
        torch.broadcast_shapes((2, 1), (3,), 1))
    with pytest.raises(RuntimeError):
        ember.broadcast_shapes((2,), (3,))


def test_expand_is_a_view():
    x = ember.zeros(3, 1)
    e = x.expand(3, 4)
    assert e._vc is x._vc
    x[0, 0] = 2.0
    assert e[0, 3].item() == 2.0


# ---- repeat / tile / flip / roll -----------------------------------------------------------------
@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 1)), ((2, 3), (1, 2, 3)), ((3,), (0,)),
                                        ((), (2, 3)), ((), ()), ((0, 2), (2, 2)), ((2,), (3,))])
def test_repeat(shape, reps):
    compare(lambda lib, x: x.repeat(*reps) if reps else x.repeat(()), rand(*shape))
    compare(lambda lib, x: x.repeat(reps), noncontig(rand(*shape, dtype=F64)))


@pytest.mark.parametrize("reps", [(2,), (2, 1), (1, 2, 3), ()])
def test_tile(reps):
    compare(lambda lib, x: lib.tile(x, reps), rand(2, 3))
    if reps:
        compare(lambda lib, x: x.tile(*reps), rand(2, 3, dtype=F64))


@pytest.mark.parametrize("dims", [(0,), (1,), (-1,), (0, 2), ()])
def test_flip(dims):
    compare(lambda lib, x: lib.flip(x, dims), rand(2, 3, 4))
    if dims:
        compare(lambda lib, x: x.flip(*dims), noncontig(rand(2, 3, 4, dtype=F64)))
    compare(lambda lib, x: x.flip(dims), rand(2, 3, 4, dtype=np.int32, low=0, high=9))


def test_flip_is_a_copy_and_lr_ud():
    x = ember.zeros(2, 3)
    f = x.flip(0)
    f[0, 0] = 1.0
    assert x.sum().item() == 0.0
    compare(lambda lib, x: lib.fliplr(x), rand(2, 3))
    compare(lambda lib, x: x.flipud(), rand(2, 3))
    compare(lambda lib, x: x.flipud(), rand(3))
    compare(lambda lib, x: x.flip(0), rand())


@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), ((1, 2), (0, 1)), (5, None), (-1, -1),
                                         (7, None), ((1,), (2,))])
def test_roll(shifts, dims):
    compare(lambda lib, x: lib.roll(x, shifts, dims), rand(2, 3, 4))
    compare(lambda lib, x: x.roll(shifts, dims), noncontig(rand(2, 3, 4, dtype=F64)))


def test_roll_edge():
    compare(lambda lib, x: x.roll(1), rand(0, 3))
    compare(lambda lib, x: x.roll(2), rand())
    compare(lambda lib, x: x.roll(1, 0), rand(0))


# ---- tril / triu / diagonal ----------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu(k):
    for name in ("tril", "triu"):
        compare(lambda lib, x: getattr(lib, name)(x, k), rand(3, 4))
        compare(lambda lib, x: getattr(x, name)(diagonal=k), noncontig(rand(2, 3, 4, dtype=F64)))
        compare(lambda lib, x: getattr(x, name)(k), rand(3, 3, dtype=np.int64, low=0, high=9))
    same_grad_fn(lambda lib, x: x.tril(k), rand(3, 3))
    same_grad_fn(lambda lib, x: x.triu(k), rand(3, 3))


@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 0), (2, -1, 0),
                                          (5, 0, 1), (-1, 2, 1)])
def test_diagonal(offset, d1, d2):
    compare(lambda lib, x: lib.diagonal(x, offset, d1, d2) * 2, rand(3, 4, 5))
    compare(lambda lib, x: x.diagonal(offset=offset, dim1=d1, dim2=d2),
            noncontig(rand(3, 4, 5, dtype=F64)))


def test_diagonal_is_a_view():
    x = ember.zeros(3, 3)
    d = x.diagonal()
    d[1] = 7.0
    assert x[1, 1].item() == 7.0 and x._version == d._version
    same_grad_fn(lambda lib, x: x.diagonal(), rand(3, 3))


@pytest.mark.parametrize("offset,d1,d2", [(0, -2, -1), (1, 0, 2), (-2, -1, 0), (0, 1, 2)])
def test_diag_embed(offset, d1, d2):
    compare(lambda lib, x: lib.diag_embed(x, offset, d1, d2), rand(2, 3))
    compare(lambda lib, x: x.diag_embed(offset, d1, d2), noncontig(rand(2, 3, dtype=F64)))


@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 1), ((3,), -2), ((3, 4), 0), ((3, 4), 1),
                                     ((3, 4), -2), ((0,), 0)])
def test_diag(shape, k):
    compare(lambda lib, x: lib.diag(x, k), rand(*shape))
    same_grad_fn(lambda lib, x: x.diag(k), rand(*shape))


def test_diagonal_scatter():
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s, 1), rand(3, 4), rand(3))
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s, 0, 1, 2), rand(2, 3, 3, dtype=F64),
            rand(2, 3, dtype=F64))


# ---- double backward -----------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [lambda x: x.permute(1, 0).reshape(-1) ** 2,
                                lambda x: x.flip(0).roll(1, 1) ** 2,
                                lambda x: x.expand(2, 3, 4).tril() ** 2,
                                lambda x: x.diagonal().diag_embed() ** 2,
                                lambda x: x.repeat(2, 1).t() ** 2])
def test_double_backward(fn):
    a = rand(3, 4, dtype=F64)
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad(fn(x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-10)


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.view(5, 5), lambda lib, x: x.view(-1, -1), lambda lib, x: x.t().view(-1),
    lambda lib, x: x.reshape(-1, 0),
    lambda lib, x: x.flatten(2, 1),
    lambda lib, x: x.unflatten(1, (2, 2)),
    lambda lib, x: x.unflatten(1, ()), lambda lib, x: x.squeeze(3), lambda lib, x: x.unsqueeze(4),
    lambda lib, x: x.unsqueeze(-5),
    lambda lib, x: x.permute(0, 1),
    lambda lib, x: x.permute(0, 1, 1),
    lambda lib, x: x.transpose(0, 3), lambda lib, x: x.t(), lambda lib, x: x.movedim((0, 1), (1,)),
    lambda lib, x: x.movedim((0, 0), (1, 2)),
    lambda lib, x: x.expand(2, 3),
    lambda lib, x: x.expand(3, 3, 4),
    lambda lib, x: x.expand(-1, 2, 3, 4),
    lambda lib, x: x.repeat(2),
    lambda lib, x: x.repeat(-1, 1, 1),
    lambda lib, x: x.roll(1, (0, 1)), lambda lib, x: x.roll((1, 2)), lambda lib, x: x.roll(1, 3),
    lambda lib, x: x.flip(3), lambda lib, x: x.flip(0, 0), lambda lib, x: x.diagonal(0, 0, 0),
    lambda lib, x: x.diagonal(0, 0, 3), lambda lib, x: x.diag(), lambda lib, x: x[0, 0].tril(),
    lambda lib, x: x[0, 0].fliplr(), lambda lib, x: x[0, 0, 0].flipud(), lambda lib, x: x[0, 0].mT,
    lambda lib, x: lib.broadcast_tensors(x, x[0, :2]),
])
def test_errors(fn):
    check_raises(fn, rand(2, 3, 4))


def test_error_messages():
    x = ember.zeros(2, 3, 4)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 3"):
        x.transpose(0, 3)
    with pytest.raises(RuntimeError, match="shape '\\[5, 5\\]' is invalid for input of size 24"):
        x.view(5, 5)
    with pytest.raises(RuntimeError, match="cannot reshape tensor of 0 elements"):
        ember.zeros(0, 3).reshape(-1, 0)
    with pytest.raises(RuntimeError, match="must match the existing size \\(2\\) at non-singleton "
                                           "dimension 0"):
        x.expand(3, 3, 4)


# ---- gradcheck (numerical vs analytical, float64) ------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(4, 3).t(),
    lambda x: x.permute(1, 0).flatten(),
    lambda x: x.unsqueeze(1).squeeze(),
    lambda x: x.expand(2, 3, 4),
    lambda x: x.repeat(2, 1),
    lambda x: x.tile(2),
    lambda x: x.flip(0, 1),
    lambda x: x.roll((1, -1), (0, 1)),
    lambda x: x.roll(5),
    lambda x: x.tril(1),
    lambda x: x.triu(-1),
    lambda x: x.diagonal(1), lambda x: x.diag_embed(), lambda x: x[0].diag(), lambda x: x.diag(-1),
    lambda x: x.movedim(0, 1), lambda x: x.mT, lambda x: ember.diagonal_scatter(x, x[:, 0] * 2, 0),
])
def test_gradcheck(fn):
    x = ember.tensor(rand(3, 4, dtype=F64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))

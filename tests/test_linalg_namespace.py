"""ember.linalg against torch.linalg: norms, solvers, factorizations and products; values and
gradients (float32 and float64, batched), gradcheck and double backward in float64, named-tuple
results, LinAlgError and the other errors. Eigen- and singular vectors are compared through
quantities that do not depend on their signs."""
import math

import numpy as np
import pytest
import torch

import ember
from helpers import check_linalg_error, check_raises, compare, noncontig, rand

DTYPES = [np.float32, np.float64]


def tol(dtype, scale=1):
    return (dict(rtol=1e-4 * scale, atol=1e-4 * scale) if dtype == np.float32
            else dict(rtol=1e-9 * scale, atol=1e-9 * scale))


def well(*shape, dtype=np.float64):
    return (rand(*shape, dtype=dtype) + 3 * np.eye(shape[-1])).astype(dtype)


def spd(*shape, dtype=np.float64):
    x = rand(*shape, dtype=np.float64)
    return (x @ x.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def sym(*shape, dtype=np.float64):
    x = rand(*shape, dtype=np.float64)
    return ((x + x.swapaxes(-1, -2)) / 2).astype(dtype)


def gradcheck(fn, *arrays, double=True):
    ts = tuple(ember.tensor(a, requires_grad=True) for a in arrays)
    assert ember.autograd.gradcheck(fn, ts, eps=1e-6, atol=1e-6, rtol=1e-4)
    if double:
        assert ember.autograd.gradgradcheck(fn, ts, eps=1e-6, atol=1e-5, rtol=1e-3)


# ---- norms ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_norm(ord, dtype):
    a = rand(2, 3, 4, dtype=dtype)
    compare(lambda lib, x: lib.linalg.matrix_norm(x, ord), a, **tol(dtype))
    compare(lambda lib, x: lib.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True), a,
            **tol(dtype))
    compare(lambda lib, x: lib.linalg.matrix_norm(x, ord, dim=(-1, 0)), a, **tol(dtype))
    compare(lambda lib, x: lib.linalg.norm(x[0], ord), a, **tol(dtype))


@pytest.mark.parametrize("ord", [None, 2, 1, 0, 3.5, math.inf, -math.inf])
def test_vector_norm_and_norm(ord):
    a = rand(2, 3, 4)
    o = 2 if ord is None else ord
    compare(lambda lib, x: lib.linalg.vector_norm(x, o), a)
    compare(lambda lib, x: lib.linalg.vector_norm(x, o, dim=(0, 2), keepdim=True), a)
    compare(lambda lib, x: lib.linalg.norm(x, ord, dim=1), a)
    compare(lambda lib, x: lib.linalg.norm(x[0, 0], ord), a)
    compare(lambda lib, x: lib.linalg.vector_norm(x, o, dtype=lib.float64), a)
    compare(lambda lib, x: lib.linalg.norm(x), a, rtol=1e-5)


def test_norm_errors():
    check_raises(lambda lib, x: lib.linalg.matrix_norm(x, 3), rand(3, 3), match="Order 3")
    check_raises(lambda lib, x: lib.linalg.matrix_norm(x), rand(3), match="at least 2")
    check_raises(lambda lib, x: lib.linalg.norm(x, 2), rand(2, 2, 2), match="1D or 2D")
    check_raises(lambda lib, x: lib.linalg.norm(x, "fro"), rand(3), match="at least 2")
    check_raises(lambda lib, x: lib.linalg.vector_norm(x), np.ones(3, np.int64),
                 match="floating point")


# ---- determinants, inverses and solvers ---------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [(), (3,), (2, 1)])
def test_det_slogdet_inv(dtype, batch):
    a = well(*batch, 4, 4, dtype=dtype)
    compare(lambda lib, x: lib.linalg.det(x), a, **tol(dtype))
    compare(lambda lib, x: tuple(lib.linalg.slogdet(x)), a, **tol(dtype))
    compare(lambda lib, x: lib.linalg.inv(x), a, **tol(dtype))
    compare(lambda lib, x: tuple(lib.linalg.inv_ex(x)), a, **tol(dtype))


def test_inv_ex_and_cholesky_ex_report_failures():
    batch = np.stack([np.eye(3), np.zeros((3, 3)), np.diag([1.0, 1.0, -1.0])])
    e, t = ember.linalg.inv_ex(ember.tensor(batch)), torch.linalg.inv_ex(torch.tensor(batch))
    np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
    assert e.info.dtype == ember.int32 and e._fields == ("inverse", "info")
    np.testing.assert_allclose(e.inverse[0].numpy(), np.eye(3))
    e = ember.linalg.cholesky_ex(ember.tensor(batch))
    t = torch.linalg.cholesky_ex(torch.tensor(batch))
    np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
    assert e._fields == ("L", "info")
    check_linalg_error(lambda lib, x: lib.linalg.cholesky_ex(x, check_errors=True), batch,
                       match="Batch element 1")
    check_linalg_error(lambda lib, x: lib.linalg.inv_ex(x, check_errors=True), batch)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ashape,bshape", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)),
                                           ((2, 3, 3), (3, 4)), ((3, 3), (2, 3, 1)),
                                           ((2, 1, 3, 3), (4, 3, 2))])
def test_solve(dtype, ashape, bshape):
    a, b = well(*ashape, dtype=dtype), rand(*bshape, dtype=dtype)
    compare(lambda lib, x, y: lib.linalg.solve(x, y), a, b, **tol(dtype))
    compare(lambda lib, x, y: tuple(lib.linalg.solve_ex(x, y)), a, b, **tol(dtype))


@pytest.mark.parametrize("ashape,bshape", [((3, 3), (2, 3)), ((2, 3, 3), (2, 4, 3)),
                                           ((3, 3), (5, 1, 3))])
def test_solve_from_the_right(ashape, bshape):
    compare(lambda lib, x, y: lib.linalg.solve(x, y, left=False), well(*ashape),
            rand(*bshape, dtype=np.float64), rtol=1e-9, atol=1e-9)


def test_solve_gradcheck_and_errors():
    gradcheck(lambda a, b: ember.linalg.solve(a, b), well(2, 3, 3),
              rand(2, 3, 2, dtype=np.float64))
    gradcheck(lambda a, b: ember.linalg.solve(a, b, left=False), well(3, 3),
              rand(2, 3, dtype=np.float64))
    check_raises(lambda lib, a, b: lib.linalg.solve(a, b), well(3, 3), rand(4, dtype=np.float64),
                 match="Incompatible shapes")
    check_raises(lambda lib, a, b: lib.linalg.solve(a, b), well(3, 3), rand(3), match="dtype")
    check_linalg_error(lambda lib, a, b: lib.linalg.solve(a, b), np.zeros((3, 3)), np.ones(3),
                       match="singular")


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_solve_triangular(upper, left, unit, dtype):
    a = well(2, 3, 3, dtype=dtype)
    b = rand(2, 3, 4, dtype=dtype) if left else rand(4, 3, dtype=dtype)
    compare(lambda lib, x, y: lib.linalg.solve_triangular(x, y, upper=upper, left=left,
                                                          unitriangular=unit), a, b, **tol(dtype))
    if dtype == np.float64:
        gradcheck(lambda x, y: ember.linalg.solve_triangular(x, y, upper=upper, left=left,
                                                             unitriangular=unit), a, b)


def test_solve_triangular_zero_pivot_and_errors():
    a = np.triu(rand(3, 3))
    a[1, 1] = 0
    compare(lambda lib, x, y: lib.linalg.solve_triangular(x, y, upper=True), a, rand(3, 2),
            grad=False)
    check_raises(lambda lib, x: lib.linalg.solve_triangular(x, x[0], upper=True), rand(3, 3),
                 match="at least 2 dimensions")


# ---- factorizations ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(dtype, upper):
    a = spd(2, 4, 4, dtype=dtype)
    compare(lambda lib, x: lib.linalg.cholesky(x, upper=upper), a, **tol(dtype))
    compare(lambda lib, x: tuple(lib.linalg.cholesky_ex(x, upper=upper)), a, **tol(dtype))
    if dtype == np.float64:
        gradcheck(lambda x: ember.linalg.cholesky(x @ x.mT + ember.eye(3, dtype=x.dtype) * 3,
                                                  upper=upper), rand(3, 3, dtype=dtype))
    check_linalg_error(lambda lib, x: lib.linalg.cholesky(x), -np.eye(3, dtype=dtype),
                       match="order 1")


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (3, 5), (2, 4, 2)])
def test_qr(mode, shape):
    differentiable = mode == "reduced" or (mode == "complete" and shape[-2] <= shape[-1])
    for dtype in DTYPES:
        compare(lambda lib, x: tuple(lib.linalg.qr(x, mode)), rand(*shape, dtype=dtype),
                grad=differentiable, **tol(dtype))
    if differentiable:
        gradcheck(lambda x: ember.linalg.qr(x, mode), rand(*shape, dtype=np.float64))


def test_qr_errors():
    check_raises(lambda lib, x: lib.linalg.qr(x, "x"), rand(3, 3), match="unrecognized mode")
    for mode in ("r", "complete"):
        x = torch.randn(4, 2, requires_grad=True)
        e = ember.randn(4, 2, requires_grad=True)
        with pytest.raises(RuntimeError) as t_exc:
            torch.linalg.qr(x, mode).R.sum().backward()
        with pytest.raises(RuntimeError) as e_exc:
            ember.linalg.qr(e, mode).R.sum().backward()
        assert str(e_exc.value) == str(t_exc.value)


def _eigh_invariants(r):
    lam, v = r
    return lam, v * v   # each eigenvector up to sign: its squares are not


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_and_eigvalsh(dtype, uplo):
    a = rand(2, 4, 4, dtype=dtype)  # not symmetric: only the UPLO triangle is read
    compare(lambda lib, x: _eigh_invariants(lib.linalg.eigh(x, UPLO=uplo)), a, **tol(dtype))
    compare(lambda lib, x: lib.linalg.eigvalsh(x, UPLO=uplo), a, **tol(dtype))
    r = ember.linalg.eigh(ember.tensor(a), uplo)
    assert r._fields == ("eigenvalues", "eigenvectors")


def test_eigh_gradcheck():
    # eigh reads one triangle but its gradient is symmetric (PyTorch's): check it on x + x^T
    def f(x):
        lam, v = ember.linalg.eigh(x + x.mT)
        return lam, v * v
    gradcheck(f, rand(3, 3, dtype=np.float64))
    gradcheck(lambda x: ember.linalg.eigvalsh(x + x.mT), rand(2, 3, 3, dtype=np.float64))


def _svd_invariants(r, k):
    u, s, vh = r
    return u[..., :k] ** 2, s, vh[..., :k, :] ** 2


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 2)])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_svd_and_svdvals(shape, full, dtype):
    k = min(shape[-2:])
    compare(lambda lib, x: _svd_invariants(lib.linalg.svd(x, full_matrices=full), k),
            rand(*shape, dtype=dtype), **tol(dtype))
    compare(lambda lib, x: lib.linalg.svdvals(x), rand(*shape, dtype=dtype), **tol(dtype))
    if dtype == np.float64:
        gradcheck(lambda x: _svd_invariants(ember.linalg.svd(x, full_matrices=full), k),
                  rand(*shape, dtype=dtype))


def test_eig_and_eigvals():
    a = well(2, 4, 4)
    e, t = ember.linalg.eig(ember.tensor(a)), torch.linalg.eig(torch.tensor(a))
    assert str(e.eigenvalues.dtype).split(".")[-1] == "complex128"
    lam, v = e.eigenvalues.numpy(), e.eigenvectors.numpy()
    np.testing.assert_allclose(a @ v, v * lam[..., None, :], atol=1e-10)
    np.testing.assert_allclose(np.sort_complex(lam), np.sort_complex(t.eigenvalues.numpy()),
                               atol=1e-10)
    ev = ember.linalg.eigvals(ember.tensor(a.astype(np.float32)))
    assert str(ev.dtype).split(".")[-1] == "complex64"
    x = ember.tensor(a, requires_grad=True)
    assert ember.linalg.eigvals(x).requires_grad
    with pytest.raises(NotImplementedError, match="derivative of linalg.eig"):
        ember.linalg.eig(x).eigenvalues.abs().sum().backward()
    # a rotation: complex eigenvalues of a real matrix
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    np.testing.assert_allclose(np.sort_complex(ember.linalg.eigvals(ember.tensor(rot)).numpy()),
                               [-1j, 1j])


# ---- pseudo-inverse, rank, least squares ---------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 5)])
def test_pinv_and_matrix_rank(shape):
    compare(lambda lib, x: lib.linalg.pinv(x), rand(*shape), rtol=1e-4, atol=1e-4)
    compare(lambda lib, x: lib.linalg.pinv(x, rtol=0.3), rand(*shape, dtype=np.float64),
            rtol=1e-8, atol=1e-8)
    compare(lambda lib, x: lib.linalg.matrix_rank(x), rand(*shape))
    low = rand(*shape[:-1], 1) * rand(*shape[:-2], 1, shape[-1])  # rank 1
    compare(lambda lib, x: lib.linalg.matrix_rank(x), low)
    compare(lambda lib, x: lib.linalg.matrix_rank(x, atol=0.5, rtol=0.0), rand(*shape))
    gradcheck(lambda x: ember.linalg.pinv(x), rand(*shape, dtype=np.float64))


def test_pinv_hermitian():
    a = sym(2, 4, 4)
    compare(lambda lib, x: lib.linalg.pinv(x, hermitian=True), a, rtol=1e-8, atol=1e-8)
    compare(lambda lib, x: lib.linalg.matrix_rank(x, hermitian=True), a)


@pytest.mark.parametrize("driver", [None, "gelsd", "gels"])
def test_lstsq(driver):
    a, b = rand(2, 5, 3, dtype=np.float64), rand(2, 5, 2, dtype=np.float64)
    compare(lambda lib, x, y: tuple(lib.linalg.lstsq(x, y, driver=driver)), a, b,
            rtol=1e-8, atol=1e-8)
    r = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b))
    assert r._fields == ("solution", "residuals", "rank", "singular_values")


# ---- powers, products, exponential ---------------------------------------------------------------
def test_multi_dot():
    compare(lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), rand(3), rand(3, 4), rand(4))
    compare(lambda lib, a, b, c, d: lib.linalg.multi_dot([a, b, c, d]), rand(5, 2), rand(2, 6),
            rand(6, 1), rand(1, 3))
    compare(lambda lib, a, b: lib.linalg.multi_dot([a, b]), rand(2, 3), rand(3))
    check_raises(lambda lib, a: lib.linalg.multi_dot([a]), rand(2, 2), match="at least 2")
    check_raises(lambda lib, a: lib.linalg.multi_dot([a, a]), rand(2, 3), match="cannot be")
    check_raises(lambda lib, a, b: lib.linalg.multi_dot([a, b]), rand(2, 3), rand(2, 3, 3),
                 match="last tensor")


def test_cross_vecdot_diagonal():
    compare(lambda lib, a, b: lib.linalg.cross(a, b), rand(4, 3), rand(1, 3))
    compare(lambda lib, a, b: lib.linalg.cross(a, b, dim=0), rand(3, 2), rand(3, 2))
    check_raises(lambda lib, a: lib.linalg.cross(a, a), rand(2), match="length 3")
    compare(lambda lib, a, b: lib.linalg.vecdot(a, b), rand(2, 3), rand(3))
    compare(lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), rand(4, 2), rand(4, 2))
    compare(lambda lib, a: lib.linalg.diagonal(a), rand(2, 3, 4))
    compare(lambda lib, a: lib.linalg.diagonal(a, offset=1, dim1=0, dim2=2), rand(3, 2, 4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_exp(dtype):
    compare(lambda lib, a: lib.linalg.matrix_exp(a), rand(2, 4, 4, dtype=dtype), **tol(dtype))
    compare(lambda lib, a: lib.linalg.matrix_exp(a * 8), rand(3, 3, dtype=dtype), **tol(dtype))
    compare(lambda lib, a: lib.matrix_exp(a), np.zeros((0, 0), dtype))


def test_double_backward_of_the_decompositions():
    gradcheck(lambda a: ember.linalg.det(a), well(3, 3))
    gradcheck(lambda a: ember.linalg.inv(a), well(2, 2, 2))
    gradcheck(lambda a: ember.linalg.slogdet(a).logabsdet, well(3, 3))
    gradcheck(lambda a: ember.linalg.matrix_exp(a), rand(2, 2, dtype=np.float64))


def test_namespace():
    for name in ember.linalg.__all__:
        assert hasattr(torch.linalg, name), name
        assert getattr(ember.linalg, name) is not None
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_non_contiguous_inputs():
    a, b = noncontig(well(2, 3, 3)), noncontig(rand(2, 3, 2, dtype=np.float64))
    compare(lambda lib, x: lib.linalg.det(x), a, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x: lib.linalg.inv(x), a, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x, y: lib.linalg.solve(x, y), a, b, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x: lib.linalg.cholesky(x @ x.mT), a, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x: tuple(lib.linalg.qr(x)), b, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x: lib.linalg.svdvals(x), b, rtol=1e-9, atol=1e-9)


def test_modified_outputs_make_backward_raise():
    for make in (lambda x: ember.linalg.qr(x).R, lambda x: ember.linalg.eigh(x).eigenvalues,
                 lambda x: ember.linalg.svd(x).S, lambda x: ember.linalg.inv(x)):
        x = ember.tensor(well(3, 3), requires_grad=True)
        y = make(x)
        z = y.sum()
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


def test_out_arguments():
    a = ember.tensor(well(2, 3, 3))
    out = ember.empty(0, dtype=ember.float64)
    r = ember.linalg.inv(a, out=out)
    assert r is out and out.shape == (2, 3, 3)
    np.testing.assert_allclose(out.numpy(), np.linalg.inv(a.numpy()))
    q, r = ember.empty(0, dtype=ember.float64), ember.empty(0, dtype=ember.float64)
    res = ember.linalg.qr(a, out=(q, r))
    assert res.Q is q and r.shape == (2, 3, 3)


def test_solve_ex_reports_singular_matrices():
    a = np.stack([np.eye(2), np.zeros((2, 2))])
    for b in (np.ones(2), np.ones((3, 2, 2, 1))):
        e = ember.linalg.solve_ex(ember.tensor(a), ember.tensor(b))
        t = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
        assert e.result.shape == t.result.shape
        np.testing.assert_array_equal(e.result[..., 0, :, :].numpy() if b.ndim > 1 else
                                      e.result[0].numpy(), t.result[..., 0, :, :].numpy()
                                      if b.ndim > 1 else t.result[0].numpy())
        assert np.isnan(e.result.numpy()[..., 1, :, :] if b.ndim > 1 else
                        e.result.numpy()[1]).all()
    check_linalg_error(lambda lib, x, y: lib.linalg.solve_ex(x, y, check_errors=True), a,
                       np.ones(2), match="Batch element 1")


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond(p):
    # (PyTorch's backward of the inverse-based ones fails: it writes into a saved inverse)
    compare(lambda lib, a: lib.linalg.cond(a, p), well(2, 3, 3), rtol=1e-8, atol=1e-8,
            grad=p in (None, 2, -2, "nuc"))
    if p not in (None, 2, -2):
        compare(lambda lib, a: lib.linalg.cond(a, p), np.stack([np.zeros((2, 2)), np.eye(2)]),
                grad=False)
        check_raises(lambda lib, a: lib.linalg.cond(a, p), rand(2, 3), match="square")
    check_raises(lambda lib, a: lib.linalg.cond(a, 3), rand(2, 2), match="invalid norm")


def test_matmul_tensorinv_tensorsolve_vander():
    compare(lambda lib, a, b: lib.linalg.matmul(a, b), rand(2, 3), rand(3, 4))
    sq = well(6, 6).reshape(6, 2, 3)
    compare(lambda lib, x: lib.linalg.tensorinv(x, ind=1), sq, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x, y: lib.linalg.tensorsolve(x, y), sq, rand(6, dtype=np.float64),
            rtol=1e-9, atol=1e-9)
    compare(lambda lib, x, y: lib.linalg.tensorsolve(x, y, dims=(0,)), well(6, 6).reshape(6, 2, 3),
            rand(2, 3, dtype=np.float64), rtol=1e-9, atol=1e-9)
    check_raises(lambda lib, x, y: lib.linalg.tensorsolve(x, y), rand(2, 3, 5), rand(2, 3),
                 match="requirement")
    compare(lambda lib, x: lib.linalg.vander(x), rand(2, 4))
    compare(lambda lib, x: lib.linalg.vander(x, N=2), rand(3, dtype=np.float64))
    compare(lambda lib, x: lib.linalg.vander(x), np.array([1, 2, 3]))
    check_raises(lambda lib, x: lib.linalg.vander(x, N=1), rand(3), match="greater than 1")


# ---- LU ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 4, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_lu_and_lu_factor(shape, dtype):
    compare(lambda lib, a: tuple(lib.linalg.lu(a)), rand(*shape, dtype=dtype), **tol(dtype))
    compare(lambda lib, a: tuple(lib.linalg.lu_factor_ex(a)), rand(*shape, dtype=dtype),
            **tol(dtype))
    compare(lambda lib, a: tuple(lib.lu_unpack(*lib.linalg.lu_factor(a))),
            rand(*shape, dtype=dtype), **tol(dtype))
    if dtype == np.float64:
        gradcheck(lambda a: ember.linalg.lu(a)[1:], rand(*shape, dtype=dtype))
        gradcheck(lambda a: ember.linalg.lu_factor(a).LU, rand(*shape, dtype=dtype))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve(left, adjoint):
    a = well(2, 3, 3)
    b = rand(2, 3, 2, dtype=np.float64) if left else rand(2, 2, 3, dtype=np.float64)
    compare(lambda lib, x, y: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), y, left=left,
                                                  adjoint=adjoint), a, b, rtol=1e-9, atol=1e-9)
    gradcheck(lambda x, y: ember.linalg.lu_solve(*ember.linalg.lu_factor(x), y, left=left,
                                                 adjoint=adjoint), a, b)


@pytest.mark.filterwarnings("ignore:torch.lu")
def test_torch_lu_and_lu_solve():
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        ember.lu(ember.eye(2))
    a, b = well(2, 3, 3), rand(2, 3, 1, dtype=np.float64)
    compare(lambda lib, x: lib.lu(x), a, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x: tuple(lib.lu(x, get_infos=True)), a, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x, y: lib.lu_solve(y, *lib.lu(x)), a, b, rtol=1e-9, atol=1e-9)
    compare(lambda lib, x, y: y.lu_solve(*x.lu()), a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.filterwarnings("ignore:torch.lu")
def test_lu_errors_and_singular_matrices():
    sing = np.stack([np.eye(3), np.zeros((3, 3))])
    compare(lambda lib, x: tuple(lib.linalg.lu_factor_ex(x)), sing, grad=False)
    compare(lambda lib, x: tuple(lib.lu(x)), sing, grad=False)
    check_raises(lambda lib, x: lib.linalg.lu_factor_ex(x, check_errors=True), sing,
                 match=r"\(Batch element 1\): U\[1,1\] is zero")
    compare(lambda lib, x: tuple(lib.linalg.lu(x)), rand(3, 3) * np.array([1, 0, 1]), grad=False)
    check_raises(lambda lib, x: lib.linalg.lu_factor(x), sing, match=r"U\[1,1\] is zero")
    check_raises(lambda lib, x: lib.linalg.lu_factor(x, pivot=False), rand(2, 2),
                 match="without pivoting")
    check_raises(lambda lib, x: lib.linalg.lu_factor(x), np.ones((2, 2), np.int64),
                 match="not implemented for 'Long'")
    check_raises(lambda lib, x: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), x[0]), well(2, 2),
                 match="at least 2 dimensions")


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (2, 0, 3), (3, 0), (0, 3, 3)])
def test_lu_of_empty_matrices(shape):
    compare(lambda lib, x: tuple(lib.linalg.lu(x)), rand(*shape))
    compare(lambda lib, x: tuple(lib.linalg.lu_factor_ex(x)), rand(*shape))
    compare(lambda lib, x: tuple(lib.lu_unpack(*lib.linalg.lu_factor(x))), rand(*shape))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, math.inf])
def test_cond_of_empty_matrices(p):
    for shape in ((0, 0), (2, 0, 0)):
        compare(lambda lib, a: lib.linalg.cond(a, p), rand(*shape))
    if isinstance(p, str):
        check_raises(lambda lib, a: lib.linalg.cond(a, p), rand(3, 0), match="square")
    else:  # (PyTorch checks the shape after the empty case here)
        compare(lambda lib, a: lib.linalg.cond(a, p), rand(3, 0))
    check_raises(lambda lib, a: lib.linalg.cond(a), rand(2, 2).astype(np.float16),
                 match="linalg_svd_cpu")


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf])
def test_matrix_norm_of_half_precision(ord):
    compare(lambda lib, a: lib.linalg.matrix_norm(a, ord), rand(2, 3, 4, dtype=np.float16))
    check_raises(lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), rand(3, 3, dtype=np.float16),
                 match="Low precision")


def test_norm_dtype_argument():
    x64, x32, c64 = rand(3, 3, dtype=np.float64), rand(3, 3), rand(3, 3).astype(np.complex64)
    for fn in (lambda lib, a, dt: lib.linalg.vector_norm(a, dtype=dt),
               lambda lib, a, dt: lib.linalg.matrix_norm(a, dtype=dt),
               lambda lib, a, dt: lib.linalg.norm(a, 1, dtype=dt)):
        check_raises(lambda lib, a: fn(lib, a, lib.float32), x64, match="without narrowing")
        check_raises(lambda lib, a: fn(lib, a, lib.complex64), x32, match="should be real")
        check_raises(lambda lib, a: fn(lib, a, lib.float64), c64, match="should be complex")
        check_raises(lambda lib, a: fn(lib, a, lib.float64), np.eye(3, dtype=np.int64),
                     match="Expected a floating point")
        compare(lambda lib, a: fn(lib, a, lib.float64), x32)
    compare(lambda lib, a: lib.linalg.vector_norm(a, dtype=lib.complex128), c64, grad=False)
    compare(lambda lib, a: lib.linalg.matrix_norm(a), c64, grad=False)


def test_pinv_rcond_and_matrix_rank_tol_overloads():
    a = rand(2, 4, 3, dtype=np.float64)
    compare(lambda lib, x: lib.linalg.pinv(x, 0.3), a, rtol=1e-8, atol=1e-8)
    compare(lambda lib, x: lib.linalg.pinv(x, rcond=0.3), a, rtol=1e-8, atol=1e-8)
    s = sym(3, 3)
    compare(lambda lib, x: lib.linalg.pinv(x, 0.3, True), s, rtol=1e-8, atol=1e-8)
    compare(lambda lib, x: lib.linalg.matrix_rank(x, 0.5), a)
    compare(lambda lib, x: lib.linalg.matrix_rank(x, 0.5, True), s)
    check_raises(lambda lib, x: lib.linalg.pinv(x, 0.1, atol=0.1), a)
    check_raises(lambda lib, x: lib.linalg.matrix_rank(x, 0.1, rtol=0.1), a)


def test_input_checks_of_lstsq_and_vecdot():
    check_raises(lambda lib, a, b: lib.linalg.lstsq(a, b), rand(4, 3), rand(2, 4, 2),
                 match="input.dim\\(\\) must be greater")
    for dt in (np.int64, np.bool_):
        check_raises(lambda lib, a: lib.linalg.vecdot(a, a), np.ones(3, dt),
                     match="Expected a floating point")
    check_raises(lambda lib, a, b: lib.linalg.cross(a, b), rand(3), rand(3, dtype=np.float64),
                 match="expected scalar type Float but found Double")

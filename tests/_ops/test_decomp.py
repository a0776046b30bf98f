"""Top-level matrix functions (det, logdet, slogdet, inverse, cholesky, matrix_power, pinverse,
chain_matmul, qr, svd, matrix_exp) and their Tensor methods against torch: values and gradients
on well-conditioned random matrices, batched, float32 and float64; gradcheck and double backward
in float64; errors. Decompositions defined up to signs are compared through invariant quantities."""
import warnings

import numpy as np
import pytest

import ember
from helpers import check_linalg_error, check_raises, compare, noncontig, rand

DTYPES = [np.float32, np.float64]
BATCHES = [(), (2,), (2, 1)]


def well(*shape, dtype=np.float64):
    """Random square matrices with a dominant diagonal (far from singular)."""
    n = shape[-1]
    return (rand(*shape, dtype=dtype) + 3 * np.eye(n)).astype(dtype)


def spd(*shape, dtype=np.float64):
    """Random symmetric positive-definite matrices."""
    x = rand(*shape, dtype=np.float64)
    return (x @ x.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)


def gradcheck(fn, *arrays):
    ts = [ember.tensor(a, requires_grad=True) for a in arrays]
    assert ember.autograd.gradcheck(fn, tuple(ts), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", BATCHES)
def test_det_slogdet_logdet_inverse(dtype, batch):
    a = well(*batch, 3, 3, dtype=dtype)
    a[..., 0, :] *= -1  # negative determinants too
    compare(lambda lib, x: lib.det(x), a, **tol(dtype))
    compare(lambda lib, x: x.det(), a, **tol(dtype))
    compare(lambda lib, x: tuple(lib.slogdet(x)), a, **tol(dtype))
    compare(lambda lib, x: lib.logdet(x), a, **tol(dtype))
    compare(lambda lib, x: lib.logdet(x * x.mT + lib.eye(3, dtype=x.dtype)), a, **tol(dtype))
    compare(lambda lib, x: lib.inverse(x), a, **tol(dtype))
    compare(lambda lib, x: x.inverse(), a, **tol(dtype))


def _cofactors(a):
    n = a.shape[-1]
    c = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            c[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


def test_det_gradient_of_singular_matrices_is_the_cofactor_matrix():
    # NOTE: where its LU meets an exact zero pivot PyTorch returns a zero gradient; ember takes
    # the SVD path below |det| < 100 eps and returns the cofactors, the true derivative
    sing = rand(3, 3, dtype=np.float64)
    sing[2] = sing[0] + sing[1]   # rank 2: nonzero cofactors
    rank1 = np.outer(rand(3, dtype=np.float64), rand(3, dtype=np.float64))
    mixed = np.stack([sing, well(3, 3), np.zeros((3, 3)), rank1])
    x = ember.tensor(mixed, requires_grad=True)
    ember.det(x).sum().backward()
    for i in range(4):
        np.testing.assert_allclose(x.grad[i].numpy(), _cofactors(mixed[i]), atol=1e-12)
    compare(lambda lib, x: lib.det(x), rank1, atol=1e-8, rtol=1e-6)
    compare(lambda lib, x: lib.logdet(x), np.zeros((2, 2)), grad=False)


def test_det_empty_and_one_by_one():
    compare(lambda lib, x: lib.det(x), np.zeros((0, 0)))
    compare(lambda lib, x: lib.det(x), np.zeros((2, 0, 0), np.float32))
    compare(lambda lib, x: lib.inverse(x), np.zeros((2, 0, 0), np.float32))
    compare(lambda lib, x: lib.det(x), rand(4, 1, 1))


def test_gradcheck_and_double_backward():
    a = well(2, 3, 3)
    gradcheck(lambda x: ember.det(x), a)
    gradcheck(lambda x: ember.slogdet(x).logabsdet, a)
    gradcheck(lambda x: ember.inverse(x), a)
    gradcheck(lambda x: ember.matrix_exp(x), rand(3, 3, dtype=np.float64))

    def second(lib, x, name):
        y = getattr(lib, name)(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        return g
    for name in ("det", "logdet", "inverse", "matrix_exp"):
        compare(lambda lib, x: second(lib, x, name), well(3, 3), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky(dtype):
    a = spd(2, 4, 4, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, x: lib.cholesky(x), a, **tol(dtype))
        compare(lambda lib, x: lib.cholesky(x, upper=True), a, **tol(dtype))
        compare(lambda lib, x: x.cholesky(), a, **tol(dtype))
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        ember.cholesky(ember.tensor(a))


def test_cholesky_gradcheck():
    gradcheck(lambda x: ember.linalg.cholesky(x @ x.mT + ember.eye(3, dtype=x.dtype)),
              rand(2, 3, 3, dtype=np.float64))
    gradcheck(lambda x: ember.linalg.cholesky(x @ x.mT + ember.eye(3, dtype=x.dtype),
                                              upper=True), rand(3, 3, dtype=np.float64))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_power(n, dtype):
    a = (well(2, 3, 3, dtype=dtype) / 3).astype(dtype)
    compare(lambda lib, x: lib.matrix_power(x, n), a, **tol(dtype))
    compare(lambda lib, x: x.matrix_power(n), a, **tol(dtype))
    compare(lambda lib, x: lib.linalg.matrix_power(x, n), a, **tol(dtype))


def test_matrix_power_of_integers_and_errors():
    ints = np.array([[1, 2], [3, 4]], np.int64)
    compare(lambda lib, x: lib.matrix_power(x, 3), ints)
    check_raises(lambda lib, x: lib.matrix_power(x, -1), ints, match="floating point")
    check_raises(lambda lib, x: lib.matrix_power(x, 2), rand(2, 3), match="square")
    check_linalg_error(lambda lib, x: lib.matrix_power(x, -1), np.zeros((2, 2)), match="singular")


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 5)])
def test_pinverse(shape):
    compare(lambda lib, x: lib.pinverse(x), rand(*shape), rtol=1e-4, atol=1e-4)
    compare(lambda lib, x: x.pinverse(), rand(*shape, dtype=np.float64), rtol=1e-8, atol=1e-8)
    gradcheck(lambda x: ember.pinverse(x), rand(*shape, dtype=np.float64))


def test_chain_matmul():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, a, b, c: lib.chain_matmul(a, b, c), rand(2, 5), rand(5, 1),
                rand(1, 4))
        compare(lambda lib, a: lib.chain_matmul(a), rand(2, 3))
        check_raises(lambda lib: lib.chain_matmul(), match="one or more")
        check_raises(lambda lib, a: lib.chain_matmul(a, a), rand(3), match="dimension")
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2, 2), ember.ones(2, 2))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 3, 5)])
@pytest.mark.parametrize("some", [True, False])
def test_qr(shape, some):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # LAPACK's Householder QR fixes the signs, so torch's and NumPy's factors agree
        grad = some or shape[-2] <= shape[-1]
        compare(lambda lib, x: tuple(lib.qr(x, some)), rand(*shape, dtype=np.float64),
                grad=grad, rtol=1e-8, atol=1e-8)
        compare(lambda lib, x: tuple(x.qr(some)), rand(*shape), grad=grad, rtol=1e-4, atol=1e-4)
    if grad:
        gradcheck(lambda x: ember.linalg.qr(x, "reduced" if some else "complete"),
                  rand(*shape, dtype=np.float64))


def _svd_invariants(r, k):
    u, s, v = r
    # each singular pair is defined up to a common sign: squares are not
    return u[..., :k] ** 2, s, v[..., :k] ** 2, (u[..., :k] * s.unsqueeze(-2)) @ v[..., :k].mT


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 3, 5)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_svd(shape, dtype):
    k = min(shape[-2:])
    t = tol(dtype)
    for some in (True, False):
        compare(lambda lib, x: _svd_invariants(lib.svd(x, some), k), rand(*shape, dtype=dtype),
                **t)
    compare(lambda lib, x: tuple(x.svd(compute_uv=False)), rand(*shape, dtype=dtype), **t)
    gradcheck(lambda x: _svd_invariants(ember.svd(x), k), rand(*shape, dtype=np.float64))


def test_result_types():
    a = ember.tensor(well(3, 3))
    assert ember.slogdet(a)._fields == ("sign", "logabsdet")
    assert type(ember.slogdet(a)).__name__ == "slogdet"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ember.qr(a)._fields == ("Q", "R")
    assert ember.svd(a)._fields == ("U", "S", "V")
    assert ember.linalg.svd(a)._fields == ("U", "S", "Vh")


def test_errors():
    for fn in (lambda lib, x: lib.det(x), lambda lib, x: lib.logdet(x),
               lambda lib, x: lib.slogdet(x), lambda lib, x: lib.inverse(x),
               lambda lib, x: lib.matrix_exp(x)):
        check_raises(fn, rand(2, 3), match="square matrices")
        check_raises(fn, rand(3), match="at least 2 dimensions")
    check_raises(lambda lib, x: lib.det(x), np.ones((2, 2), np.int64), match="floating point")
    check_linalg_error(lambda lib, x: lib.inverse(x), np.zeros((3, 3)),
                       match="The diagonal element 1 is zero")
    batch = np.stack([np.eye(3), np.ones((3, 3))])
    check_linalg_error(lambda lib, x: lib.inverse(x), batch,
                       match=r"\(Batch element 1\): The diagonal element 2 is zero")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_linalg_error(lambda lib, x: lib.cholesky(x), np.diag([1.0, 1.0, -1.0]),
                           match="leading minor of order 3")
    with pytest.raises(ember.linalg.LinAlgError):
        ember.inverse(ember.zeros(2, 2))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky_solve_and_inverse(upper, dtype):
    def factor(lib, x):
        return lib.linalg.cholesky(x @ x.mT + 3 * lib.eye(3, dtype=x.dtype), upper=upper)
    a, b = rand(2, 3, 3, dtype=dtype), rand(3, 2, dtype=dtype)
    compare(lambda lib, x, y: lib.cholesky_solve(y, factor(lib, x), upper), a, b, **tol(dtype))
    compare(lambda lib, x, y: y.cholesky_solve(factor(lib, x), upper), a, b, **tol(dtype))
    compare(lambda lib, x: lib.cholesky_inverse(factor(lib, x), upper), a, **tol(dtype))
    compare(lambda lib, x: factor(lib, x).cholesky_inverse(upper), a, **tol(dtype))
    check_raises(lambda lib, x, y: lib.cholesky_solve(y, x), a, b[0], match="at least 2")


@pytest.mark.filterwarnings("ignore:torch.triangular_solve")
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve(upper, transpose, unit):
    a, b = well(2, 3, 3), rand(3, 2, dtype=np.float64)
    compare(lambda lib, x, y: tuple(lib.triangular_solve(y, x, upper, transpose, unit)), a, b,
            rtol=1e-9, atol=1e-9)
    compare(lambda lib, x, y: tuple(y.triangular_solve(x, upper, transpose, unit)), a, b,
            rtol=1e-9, atol=1e-9)
    check_raises(lambda lib, x, y: lib.triangular_solve(y, x), a, b[0], match="at least 2")
    with pytest.warns(UserWarning, match="triangular_solve is deprecated"):
        ember.triangular_solve(ember.ones(2, 1), ember.eye(2))
    assert ember.triangular_solve(ember.ones(2, 1), ember.eye(2))._fields == (
        "solution", "cloned_coefficient")


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_geqrf_householder_product_ormqr(shape, dtype):
    compare(lambda lib, x: tuple(lib.geqrf(x)), rand(*shape, dtype=dtype), grad=False,
            **tol(dtype))
    compare(lambda lib, x: lib.linalg.householder_product(*lib.geqrf(x)),
            rand(*shape, dtype=dtype), grad=False, **tol(dtype))
    a, tau = rand(*shape, dtype=dtype), rand(*shape[:-2], shape[-1] - 1, dtype=dtype)
    compare(lambda lib, x, t: lib.linalg.householder_product(x, t), a, tau, **tol(dtype))
    compare(lambda lib, x, t: lib.orgqr(x, t), a, tau, **tol(dtype))
    m, tau = shape[-2], rand(*shape[:-2], shape[-1], dtype=dtype)
    for left in (True, False):
        for transpose in (True, False):
            c = rand(*shape[:-2], m, 2, dtype=dtype) if left else rand(*shape[:-2], 2, m,
                                                                       dtype=dtype)
            compare(lambda lib, x, t, y: lib.ormqr(x, t, y, left, transpose), a, tau, c,
                    **tol(dtype))
    if dtype == np.float64:
        gradcheck(lambda x, t: ember.linalg.householder_product(x, t), a, tau)


def test_householder_errors():
    for a, tau in ((rand(4, 3), rand(4)), (rand(3, 4), rand(3)), (rand(3), rand(3)),
                   (rand(4, 3), rand(2, 3))):
        check_raises(lambda lib, x, t: lib.linalg.householder_product(x, t), a, tau,
                     match="householder_product")
    check_raises(lambda lib, x: lib.geqrf(x), rand(3), match="at least 2 dimensions")
    check_raises(lambda lib, x, t, y: lib.ormqr(x, t, y), rand(4, 3), rand(3), rand(3, 4),
                 match="other.shape")
    check_raises(lambda lib, x, t, y: lib.ormqr(x, t, y), rand(4, 3), rand(2), rand(4, 2),
                 match="tau.shape")
    e = ember.geqrf(ember.randn(3, 3, requires_grad=True)).a
    with pytest.raises(NotImplementedError, match="derivative for 'geqrf'"):
        e.sum().backward()


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky_solve_and_inverse_of_a_leaf_factor(upper, dtype):
    # PyTorch's gradient of the factor is a full matrix, not only its used triangle
    a = noncontig(well(2, 3, 3, dtype=dtype))
    b = rand(4, 1, 3, 2, dtype=dtype)
    compare(lambda lib, x, y: lib.cholesky_solve(y, x, upper), a, b, **tol(dtype))
    compare(lambda lib, x: lib.cholesky_inverse(x, upper), a, **tol(dtype))
    if dtype == np.float64:  # (through a true factor: the full gradient is no derivative)
        def factor(x):
            return ember.linalg.cholesky(x @ x.mT + 3 * ember.eye(3, dtype=x.dtype), upper=upper)
        gradcheck(lambda x, y: ember.cholesky_solve(y, factor(x), upper), a[0], b[0, 0])
        gradcheck(lambda x: ember.cholesky_inverse(factor(x), upper), a)

        def second(lib, x, y):
            r = lib.cholesky_solve(y, x, upper).sum() + lib.cholesky_inverse(x, upper).sum()
            return lib.autograd.grad(r, (x, y), create_graph=True)
        compare(second, a, b, **tol(dtype))


def test_cholesky_solve_and_inverse_errors():
    f32, f64, i64 = rand(3, 3), rand(3, 3, dtype=np.float64), np.eye(3, dtype=np.int64)
    check_raises(lambda lib, x, y: lib.cholesky_solve(x, y), f64, f32, match="same dtype")
    check_raises(lambda lib, x, y: lib.cholesky_solve(x, y), f32, rand(2, 3), match="square")
    check_raises(lambda lib, x, y: lib.cholesky_solve(x, y), f32, rand(2, 2),
                 match="Incompatible matrix sizes")
    check_raises(lambda lib, x: lib.cholesky_solve(x, x), i64, match="cholesky_solve_cpu")
    check_raises(lambda lib, x: lib.cholesky_inverse(x), i64, match="cholesky_inverse_out_cpu")
    sing = np.stack([np.eye(3), np.diag([1.0, 1.0, 0.0])])
    check_linalg_error(lambda lib, x: lib.cholesky_inverse(x), sing,
                       match=r"\(Batch element 1\): The diagonal element 3 is zero")
    compare(lambda lib, x: lib.cholesky_inverse(x), rand(2, 0, 0))


def test_kernel_errors_for_integer_and_half_inputs():
    for dt in (np.int64, np.float16, np.bool_):
        a = np.eye(3).astype(dt)
        for fn, kernel in ((lambda lib, x: lib.linalg.eigh(x), "linalg_eigh_cpu"),
                           (lambda lib, x: lib.linalg.eigvalsh(x), "linalg_eigh_cpu"),
                           (lambda lib, x: lib.geqrf(x), "geqrf_cpu"),
                           (lambda lib, x: lib.linalg.solve_triangular(x, x, upper=True),
                            "triangular_solve_cpu"),
                           (lambda lib, x: lib.linalg.householder_product(x, x[0]), "orgqr_cpu"),
                           (lambda lib, x: lib.ormqr(x, x[0], x), "ormqr_cpu")):
            check_raises(fn, a, match=kernel)


def test_solve_triangular_casts_b_to_the_dtype_of_a():
    for da, db in ((np.float32, np.float64), (np.float64, np.float32), (np.float32, np.int64)):
        compare(lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
                well(2, 3, 3, dtype=da), rand(3, 2, dtype=db, low=-3, high=3), **tol(np.float32))
    check_raises(lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
                 np.eye(3, dtype=np.int64), rand(3, 2), match="not implemented for 'Long'")

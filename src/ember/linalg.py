"""``ember.linalg``: PyTorch's ``torch.linalg`` namespace.

Factorizations and solvers run on NumPy's LAPACK and carry PyTorch's gradient formulas (see
``ember/_ops/_factor.py`` and ``_spectral.py``); norms and products are compositions of ember ops.
Results with several parts are named tuples with PyTorch's field names.
"""
import math

import numpy as np

from ember._ops import _factor, _lu, _spectral
from ember._ops._factor import (LinAlgError, check_float, check_matrix, check_norm_dtype,
                                structseq)
from ember._ops._householder import householder_product
from ember._ops._matrix_exp import matrix_exp
from ember._ops._select import write_out
from ember._ops.decomp import matrix_power as _matrix_power, multi_dot
from ember._ops.linalg import matmul as _matmul
from ember._ops.reduce import type_name
from ember._ops.stats import vector_norm as _vector_norm
from ember._tensor import wrap

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "inv_ex",
           "solve", "solve_ex", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "eig",
           "eigvals", "svd", "svdvals", "pinv", "matrix_rank", "matrix_power", "multi_dot",
           "cross", "vecdot", "diagonal", "lstsq", "solve_triangular", "matrix_exp", "matmul",
           "cond", "tensorinv", "tensorsolve", "vander", "lu", "lu_factor", "lu_factor_ex",
           "lu_solve", "householder_product"]

_InvEx = structseq("linalg_inv_ex", ("inverse", "info"))
_CholeskyEx = structseq("linalg_cholesky_ex", ("L", "info"))
_SolveEx = structseq("linalg_solve_ex", ("result", "info"))
_Lstsq = structseq("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))

solve_triangular = _factor.solve_triangular
matmul = _matmul


def _out(r, out, name):
    return r if out is None else write_out(r, out, name)


# ---- determinants and inverses ------------------------------------------------------------------
def det(A, *, out=None):
    """The determinant of each square matrix in ``A`` (``(*, n, n)`` -> ``(*)``).

    Example::

        ember.linalg.det(ember.eye(3) * 2)   # tensor(8.)
    """
    return _out(_factor.linalg_det(A), out, "linalg.det")


def slogdet(A, *, out=None):
    """``(sign, logabsdet)`` with ``det(A) = sign * exp(logabsdet)``.

    Example::

        ember.linalg.slogdet(-ember.eye(3)).sign   # tensor(-1.)
    """
    return _out(_factor.linalg_slogdet(A), out, "linalg.slogdet")


def inv(A, *, out=None):
    """The inverse of each square matrix; raises :class:`LinAlgError` for a singular one.

    Example::

        ember.linalg.inv(ember.eye(2) * 4)   # 0.25 on the diagonal
    """
    return _out(_factor.linalg_inv(A)[0], out, "linalg.inv")


def inv_ex(A, *, check_errors=False, out=None):
    """``(inverse, info)``: ``info`` (int32, per matrix) is 0, or LAPACK's index of the first zero
    pivot of a singular matrix (whose inverse is then NaN here) instead of raising."""
    return _out(_InvEx(*_factor.linalg_inv(A, "linalg.inv_ex", check_errors)), out,
                "linalg.inv_ex")


def solve(A, B, *, left=True, out=None):
    """``X`` with ``A X = B`` (``X A = B`` when not ``left``); ``B`` may be a vector or a batch of
    vectors (shaped ``A.shape[:-1]``), and batch dims broadcast.

    Example::

        ember.linalg.solve(ember.eye(2) * 2, ember.ones(2))   # tensor([0.5000, 0.5000])
    """
    return _out(_factor.solve(A, B, left=left), out, "linalg.solve")


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``(result, info)`` of :func:`solve`: ``info`` (int32, per matrix) is 0, or LAPACK's index of
    the first zero pivot of a singular ``A`` (whose solution is then NaN here) instead of raising.
    """
    from ember._ops.compare import where
    try:
        r = _factor.solve(A, B, left=left, name="torch.linalg.solve_ex")
        info = np.zeros(A._data.shape[:-2], np.int32)
    except LinAlgError:
        if check_errors:
            raise
        info = _factor.lu_info(A._data)
        bad = wrap((info != 0)[..., None, None])
        eye = wrap(np.eye(A._data.shape[-1], dtype=A._data.dtype))
        r = _factor.solve(where(bad, eye, A), B, left=left)
        nan = wrap(np.asarray(np.nan, A._data.dtype))
        r = where(bad.squeeze(-1) if _factor.is_vector_rhs(A._data, B._data) else bad, nan, r)
    return _out(_SolveEx(r, wrap(info)), out, "linalg.solve_ex")


# ---- factorizations -----------------------------------------------------------------------------
def cholesky(A, *, upper=False, out=None):
    """The lower-triangular ``L`` with ``A = L L^T`` (``upper``: ``U = L^T``) of a symmetric
    positive-definite ``A``; raises :class:`LinAlgError` otherwise.

    Example::

        ember.linalg.cholesky(ember.eye(2) * 9)   # 3 on the diagonal
    """
    return _out(_factor.linalg_cholesky(A, upper)[0], out, "linalg.cholesky")


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``(L, info)``: ``info`` (int32, per matrix) is 0, or the order of the first leading minor
    that is not positive-definite (whose ``L`` is then NaN here) instead of raising."""
    r = _factor.linalg_cholesky(A, upper, "linalg.cholesky_ex", check_errors)
    return _out(_CholeskyEx(*r), out, "linalg.cholesky_ex")


def qr(A, mode="reduced", *, out=None):
    """``(Q, R)`` with ``A = Q R``. ``mode``: ``'reduced'`` (``Q`` is ``(m, k)``), ``'complete'``
    (``(m, m)``) or ``'r'`` (``Q`` empty, no gradient).

    Example::

        Q, R = ember.linalg.qr(ember.randn(5, 3))
    """
    return _out(_spectral.linalg_qr(A, mode), out, "linalg.qr")


def eigh(A, UPLO="L", *, out=None):
    """``(eigenvalues, eigenvectors)`` of symmetric matrices, read from the lower (``UPLO='L'``)
    or upper triangle; eigenvalues ascending, eigenvectors as columns (each up to sign).

    Example::

        L, V = ember.linalg.eigh(ember.eye(2))
    """
    return _out(_spectral.linalg_eigh(A, UPLO), out, "linalg.eigh")


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of symmetric matrices, ascending (see :func:`eigh`)."""
    return _out(_spectral.linalg_eigh(A, UPLO, "linalg.eigvalsh", vectors=False), out,
                "linalg.eigvalsh")


def eig(A, *, out=None):
    """``(eigenvalues, eigenvectors)`` of general square matrices, always complex (as PyTorch's).
    No gradient in ember."""
    return _out(_spectral.linalg_eig(A), out, "linalg.eig")


def eigvals(A, *, out=None):
    """The (complex) eigenvalues of general square matrices. No gradient in ember."""
    return _out(_spectral.linalg_eig(A, vectors=False), out, "linalg.eigvals")


def svd(A, full_matrices=True, *, driver=None, out=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending; ``full_matrices``
    gives square ``U`` and ``Vh``.

    Example::

        U, S, Vh = ember.linalg.svd(ember.randn(4, 3), full_matrices=False)
    """
    return _out(_spectral.linalg_svd(A, full_matrices), out, "linalg.svd")


def svdvals(A, *, driver=None, out=None):
    """The singular values of each matrix, descending."""
    return _out(_spectral.svdvals(A), out, "linalg.svdvals")


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The Moore-Penrose pseudo-inverse; singular values below ``max(atol, rtol * largest)`` are
    dropped (``rtol`` defaults to ``eps * max(m, n)``). ``rcond`` (PyTorch's older overload) is
    ``rtol`` with ``atol = 0``.

    Example::

        ember.linalg.pinv(ember.ones(2, 3)).shape   # ember.Size([3, 2])
    """
    return _out(_spectral.pinv(A, rcond, hermitian, atol=atol, rtol=rtol), out, "linalg.pinv")


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values above ``max(atol, rtol * largest)`` (int64); ``tol``
    (PyTorch's older overload) is ``atol`` with ``rtol = 0``."""
    return _out(_spectral.matrix_rank(A, atol=atol, rtol=rtol, hermitian=hermitian, tol=tol), out,
                "linalg.matrix_rank")


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B``, as ``(solution, residuals, rank,
    singular_values)``; the last three follow ``driver`` as on PyTorch's CPU (default ``'gelsy'``:
    rank only; ``'gelsd'``/``'gelss'``: also residuals (when ``m > n`` and full rank) and singular
    values; ``'gels'``: none). The solution is ``pinv(A) B``, with its gradient."""
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, "
                           f"gelsd, gelss), but got {driver}")
    a, b = A._data, B._data
    check_matrix(a, "torch.linalg.lstsq", square=False)
    if a.dtype != b.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {type_name(a.dtype)} and other's dtype "
                           f"{type_name(b.dtype)}")
    if not 0 <= a.ndim - b.ndim <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vec = b.ndim == a.ndim - 1
    if b.shape[-1 if vec else -2] != a.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = a.shape[-2:]
    eps = np.finfo(a.dtype).eps
    rtol = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    Bm = B.unsqueeze(-1) if vec else B
    X = _spectral.pinv(A, rtol=rtol) @ Bm
    s = np.linalg.svd(a, compute_uv=False)
    cut = rtol * s.max(-1, initial=0.0)
    rank = (s > np.asarray(cut)[..., None]).sum(-1).astype(np.int64)
    empty = wrap(np.zeros((0,), a.dtype))
    # NOTE: PyTorch's empty residuals still belong to the graph (they require grad)
    res = X.reshape(-1).narrow(0, 0, 0)
    full_rank = driver == "gels" or bool(np.all(rank == n))
    if driver != "gelsy" and m > n and full_rank:
        res = ((A @ X - Bm) ** 2).sum(-2)
    rk = empty.long() if driver == "gels" else wrap(rank)
    sv = wrap(s) if driver in ("gelsd", "gelss") else empty
    if vec:
        X = X.squeeze(-1)
    return _Lstsq(X, res, rk, sv)


# ---- norms ---------------------------------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``sum(|x|^ord)^(1/ord)`` over ``dim`` (default: all elements); ``inf``/``-inf``: max/min of
    ``|x|``; 0: the number of nonzeros.

    Example::

        ember.linalg.vector_norm(ember.tensor([3., 4.]))   # tensor(5.)
    """
    check_norm_dtype(x._data, dtype, "linalg.vector_norm")
    if x._data.dtype.kind == "c":
        x = (x if dtype is None else x.to(dtype)).abs()  # (a real norm; no complex gradient)
        dtype = None
    return _out(_vector_norm(x, ord, dim, keepdim, dtype=dtype), out, "linalg.vector_norm")


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """A matrix norm over the two dims ``dim``: ``'fro'`` (default), ``'nuc'`` (sum of singular
    values), 2/-2 (largest/smallest singular value), 1/-1 (max/min column sum of ``|A|``),
    ``inf``/``-inf`` (max/min row sum).

    Example::

        ember.linalg.matrix_norm(ember.eye(3), ord="nuc")   # tensor(3.)
    """
    d = A._data
    if d.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    check_norm_dtype(d, dtype, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
        d = A._data
    # NOTE: PyTorch refuses half precision only for the norms that need singular values
    check_float(d, "linalg.matrix_norm", kernel=None if ord in ("nuc", 2, -2) else "")
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else dim
    if not isinstance(dim, tuple) or len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + (" ".join(map(str, dim)) if isinstance(dim, tuple) else str(dim)))
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = (x % d.ndim for x in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro" or (d.size == 0 and ord in (2, 1, math.inf)):
        # NOTE: PyTorch's max-type norms of empty matrices are 0 (the min-type ones raise)
        r = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord in (1, -1, math.inf, -math.inf):
        if abs(ord) == math.inf:
            d0, d1 = d1, d0
        if not keepdim and d1 > d0:
            d1 -= 1
        s = A.abs().sum(d0, keepdim=keepdim)
        r = s.amax(d1, keepdim=keepdim) if ord > 0 else s.amin(d1, keepdim=keepdim)
    else:
        sv = _spectral.svdvals(A.movedim((d0, d1), (-2, -1)))
        r = sv.sum(-1) if ord == "nuc" else sv.amax(-1) if ord == 2 else sv.amin(-1)
        if keepdim:
            r = r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return _out(r, out, "linalg.matrix_norm")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a 2-tuple, or a 2-D
    input with ``ord`` given); with neither ``ord`` nor ``dim``, the 2-norm of all elements.

    Example::

        ember.linalg.norm(ember.ones(2, 2), ord="fro")   # tensor(2.)
    """
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            r = vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        else:
            r = matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    elif ord is None:
        r = vector_norm(A, 2, None, keepdim, dtype=dtype)
    else:
        nd = A.dim()
        if nd not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                               f"1D or 2D. Got {nd}D.")
        if isinstance(ord, str) or nd == 2:
            r = matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        else:
            r = vector_norm(A, ord, None, keepdim, dtype=dtype)
    return _out(r, out, "linalg.norm")


def matrix_power(A, n, *, out=None):
    """``A`` multiplied by itself ``n`` times (``n < 0``: powers of the inverse; 0: identity).

    Example::

        ember.linalg.matrix_power(ember.eye(2) * 2, -1)   # 0.5 on the diagonal
    """
    return _out(_matrix_power(A, n, _name="linalg_matrix_power"), out, "linalg.matrix_power")


# ---- products ------------------------------------------------------------------------------------
def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along ``dim``; batch dims broadcast.

    Example::

        ember.linalg.cross(ember.tensor([1., 0, 0]), ember.tensor([0., 1, 0]))   # [0, 0, 1]
    """
    from ember._ops.rearrange import cross as _cross
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype != b.dtype:  # (PyTorch does not promote here)
        raise RuntimeError(f"expected scalar type {type_name(a.dtype)} but found "
                           f"{type_name(b.dtype)}")
    ax = dim % max(a.ndim, 1)
    if a.shape[ax] != 3 or b.shape[ax] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[ax]} and {b.shape[ax]}")
    shape = np.broadcast_shapes(a.shape, b.shape)
    r = _cross(input.expand(shape), other.expand(shape), dim=dim)
    return _out(r, out, "linalg.cross")


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of vectors along ``dim`` (batch dims broadcast).

    Example::

        ember.linalg.vecdot(ember.ones(2, 3), ember.ones(3))   # tensor([3., 3.])
    """
    check_float(x._data, "linalg.vecdot", kernel="")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {type_name(x._data.dtype)} and y of type "
                           f"{type_name(y._data.dtype)} instead")
    return _out((x * y).sum(dim), out, "linalg.vecdot")


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices in ``A`` (a view), as ``ember.diagonal`` with matrix
    defaults."""
    return A.diagonal(offset, dim1, dim2)


# ---- conditioning and tensor forms ---------------------------------------------------------------
def cond(A, p=None, *, out=None):
    """The condition number ``norm(A, p) * norm(inv(A), p)``; for ``p`` None or 2 (-2) the ratio
    of the largest to the smallest singular value (its inverse). Singular matrices give ``inf``
    for the norms that need the inverse.

    Example::

        ember.linalg.cond(ember.diag(ember.tensor([1., 4.])))   # tensor(4.)
    """
    from ember._ops.compare import where
    d = A._data
    if d.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if isinstance(p, str):
        check_matrix(d, f"linalg.cond(ord={p})", float_=False)
    if p not in _MATRIX_ORDS and p is not None:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if d.size == 0:  # NOTE: PyTorch (and NumPy) define it as 0, without a graph, before the checks
        return _out(wrap(np.zeros(d.shape[:-2], d.dtype)), out, "linalg.cond")
    if p is None or p in (2, -2):
        check_matrix(d, "linalg.svd", square=False, kernel="linalg_svd_cpu")
        s = _spectral.svdvals(A)
        hi, lo = s.narrow(-1, 0, 1).squeeze(-1), s.narrow(-1, s.shape[-1] - 1, 1).squeeze(-1)
        r = lo / hi if p == -2 else hi / lo
    else:
        check_matrix(d, f"linalg.cond(ord={p})")
        if p == "nuc":  # through the singular values, as PyTorch's (singular: 0 * inf, NaN)
            s = _spectral.svdvals(A)
            with np.errstate(divide="ignore", invalid="ignore"):
                return _out(s.sum(-1) * (1 / s).sum(-1), out, "linalg.cond")
        inv_a, info = _factor.linalg_inv(A, "linalg.cond", check=False)
        bad = info._data != 0
        if bad.any():  # (the NaN inverses stand for the singular matrices)
            inv_a = where(wrap(bad[..., None, None]), wrap(np.zeros((), A._data.dtype)), inv_a)
        r = matrix_norm(A, p) * matrix_norm(inv_a, p)
        r = where(wrap(bad), wrap(np.asarray(np.inf, r._data.dtype)), r)
    return _out(r, out, "linalg.cond")


def tensorinv(A, ind=2, *, out=None):
    """The inverse of ``A`` seen as a linear map from its first ``ind`` dims to the rest: the
    result, of shape ``A.shape[ind:] + A.shape[:ind]``, undoes ``tensordot(A, ., ind)``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    r = inv(A.reshape(math.prod(rows), math.prod(cols))).reshape(tuple(cols) + tuple(rows))
    return _out(r, out, "linalg.tensorinv")


def tensorsolve(A, B, dims=None, *, out=None):
    """``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` moves those dims of ``A`` to the end
    first. ``X`` has shape ``A.shape[B.ndim:]``."""
    if dims is not None:
        dims = [d % A.dim() for d in dims]
        keep = [d for d in range(A.dim()) if d not in dims]
        A = A.permute(*(keep + dims))
    xshape = A.shape[B.dim():]
    if math.prod(xshape) != B.numel():
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {math.prod(xshape)} != "
                           f"{B.numel()}")
    r = solve(A.reshape(B.numel(), math.prod(xshape)), B.reshape(-1)).reshape(tuple(xshape))
    return _out(r, out, "linalg.tensorsolve")


def vander(x, *, N=None):
    """The Vandermonde matrices of ``x`` (``(*, n)`` -> ``(*, n, N)``): columns ``x^0 .. x^(N-1)``.

    Example::

        ember.linalg.vander(ember.tensor([1, 2, 3]))   # rows [1, x, x^2]
    """
    from ember._ops.join import cat
    n = (x.shape[-1] if x.dim() else 0) if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1)
    return cat([x.unsqueeze(-1) ** 0, powers], -1).cumprod(-1)


# ---- LU (ember/_ops/_lu.py) ---------------------------------------------------------------------

def lu(A, *, pivot=True, out=None):
    return _out(_lu.lu(A, pivot=pivot), out, "linalg.lu")


def lu_factor(A, *, pivot=True, out=None):
    return _out(_lu.lu_factor(A, pivot=pivot), out, "linalg.lu_factor")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    return _out(_lu.lu_factor_ex(A, pivot=pivot, check_errors=check_errors), out,
                "linalg.lu_factor_ex")


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    return _out(_lu.lu_solve(LU, pivots, B, left=left, adjoint=adjoint), out, "linalg.lu_solve")


for _f, _g in ((lu, _lu.lu), (lu_factor, _lu.lu_factor), (lu_factor_ex, _lu.lu_factor_ex),
               (lu_solve, _lu.lu_solve)):
    _f.__doc__ = _g.__doc__
del _f, _g

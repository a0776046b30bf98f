"""Matrix functions and decompositions at the top level (``torch.det``, ``torch.svd`` ...) and as
Tensor methods; ``ember.linalg`` holds the rest of ``torch.linalg``.

The primitives (forward on NumPy's LAPACK, backward with PyTorch's formulas) are in ``_factor.py``
(det, slogdet, inv, solve, triangular solve, cholesky) and ``_spectral.py`` (qr, eigh, svd, eig,
pinv); ``_lu.py`` has the LU factorization (NumPy has none), ``_householder.py`` geqrf and the
products of its reflectors, ``_matrix_exp.py`` the matrix exponential. What is here composes them.
"""
import math
import warnings

import numpy as np

from ember._ops._factor import (LinAlgError, _prefix, _substitute, check_kernel, check_matrix,
                                linalg_cholesky, linalg_det, linalg_inv, linalg_slogdet,
                                needs_grad, solve_triangular, structseq, CholeskyBackward0)
from ember._ops._householder import geqrf, householder_product, ormqr
from ember._ops._lu import lu_factor_ex, lu_unpack
from ember._ops._lu import lu_solve as _lu_solve
from ember._ops._matrix_exp import matrix_exp
from ember._ops._spectral import linalg_qr, linalg_svd, pinv, svdvals
from ember._ops.linalg import _CPP_NAME, matmul
from ember._ops.reduce import type_name
from ember._tensor import methods, track, wrap
from ember.autograd.graph import Node

__all__ = ["det", "logdet", "slogdet", "inverse", "cholesky", "matrix_power", "pinverse",
           "chain_matmul", "qr", "svd", "matrix_exp", "lu", "lu_unpack", "lu_solve",
           "cholesky_solve", "cholesky_inverse", "triangular_solve", "geqrf", "orgqr", "ormqr"]

_SlogdetResult = structseq("slogdet", ("sign", "logabsdet"))
_QRResult = structseq("qr", ("Q", "R"))
_SVDResult = structseq("svd", ("U", "S", "V"))


def det(input):
    """The determinant of each square matrix in ``input`` (``(*, n, n)`` -> ``(*)``).

    Example::

        ember.det(ember.tensor([[2., 0.], [0., 3.]]))   # tensor(6.)
    """
    return linalg_det(input)


def slogdet(input):
    """``(sign, logabsdet)`` of the determinant: ``det = sign * exp(logabsdet)``, without overflow.

    Example::

        ember.slogdet(ember.eye(3) * 10).logabsdet   # tensor(6.9078)
    """
    return linalg_slogdet(input, cls=_SlogdetResult)


def logdet(input):
    """``log(det(input))``: NaN where the determinant is negative, ``-inf`` where it is 0.

    Example::

        ember.logdet(ember.eye(2) * 2)   # tensor(1.3863)
    """
    from ember._ops.compare import where
    check_matrix(input._data, "logdet")
    sign, logabs = linalg_slogdet(input)
    return where(sign == -1, wrap(np.asarray(np.nan, logabs._data.dtype)), logabs)


def inverse(input, *, out=None):
    """The inverse of each square matrix; raises ``ember.linalg.LinAlgError`` for a singular one.

    Example::

        ember.inverse(ember.eye(2) * 2)   # 0.5 on the diagonal
    """
    r = linalg_inv(input)[0]
    return r if out is None else _write(r, out, "inverse")


def _write(r, out, name):
    from ember._ops._select import write_out
    return write_out(r, out, name)


def cholesky(input, upper=False, *, out=None):
    """The Cholesky factor ``L`` (``input = L L^T``), or ``U = L^T`` with ``upper``. Deprecated in
    PyTorch for :func:`ember.linalg.cholesky`, with the same warning.

    Example::

        ember.cholesky(ember.eye(2) * 4)   # 2 on the diagonal
    """
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced "
                  "with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\n"
                  "should be replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will "
                  "produce equivalent results for all valid (symmetric positive definite) inputs.",
                  UserWarning, stacklevel=2)
    r = linalg_cholesky(input, upper, "cholesky", node_cls=CholeskyBackward0)[0]
    return r if out is None else _write(r, out, "cholesky")


def matrix_power(input, n, *, _name="matrix_power"):
    """``input`` multiplied by itself ``n`` times (``n`` < 0: the inverse's power; 0: identity),
    by repeated squaring.

    Example::

        ember.matrix_power(ember.tensor([[1., 1.], [0., 1.]]), 3)   # [[1, 3], [0, 1]]
    """
    d = input._data
    check_matrix(d, "linalg.matrix_power", float_=False)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{_name}(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    k = d.shape[-1]
    if n == 0:
        # NOTE: the empty sum is 0 even where input holds inf/NaN, and keeps input's graph
        zero = input.narrow(-1, 0, 0).sum(-1, keepdim=True)
        return zero + wrap(np.eye(k, dtype=d.dtype))
    if n < 0:
        input, n = linalg_inv(input)[0], -n
    if n == 1:
        return input.clone()
    result, base = None, input
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def pinverse(input, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse, dropping singular values below ``rcond`` times the largest.

    Example::

        ember.pinverse(ember.ones(2, 3)).shape   # ember.Size([3, 2])
    """
    return pinv(input, atol=0.0, rtol=rcond)


def _order(shapes):
    """The cheapest parenthesisation of a chain of matrices (the textbook dynamic programme)."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors, *, out=None):
    """The product of two or more matrices in the cheapest order; the first may be a row vector
    and the last a column vector (1-D), as in ``torch.linalg.multi_dot``.

    Example::

        ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 4), ember.ones(4)])   # tensor(12.)
    """
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first_vec, last_vec = ts[0].dim() == 1, ts[-1].dim() == 1
    if ts[0].dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got "
                           f"{ts[0].dim()}D")
    if ts[-1].dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got "
                           f"{ts[-1].dim()}D")
    for i, t in enumerate(ts[1:-1], 1):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    dtype = ts[0]._data.dtype
    for i, t in enumerate(ts):
        if t._data.dtype != dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {_CPP_NAME[dtype.name]} and tensor {i} "
                               f"{_CPP_NAME[t._data.dtype.name]}")
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} cannot "
                               "be multiplied")
    split = _order([t.shape for t in ts])

    def product(i, j):
        if i == j:
            return ts[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    r = product(0, len(ts) - 1)
    if first_vec and last_vec:
        r = r.reshape(())
    elif first_vec:
        r = r.squeeze(0)
    elif last_vec:
        r = r.squeeze(-1)
    return r if out is None else _write(r, out, "multi_dot")


def chain_matmul(*matrices, out=None):
    """The product of the 2-D ``matrices`` (deprecated in PyTorch for ``linalg.multi_dot``).

    Example::

        ember.chain_matmul(ember.ones(2, 3), ember.ones(3, 4)).shape   # ember.Size([2, 4])
    """
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {t.dim()}, expected 2 instead.")
    r = matrices[0].clone() if len(matrices) == 1 else multi_dot(matrices)
    return r if out is None else _write(r, out, "chain_matmul")


def qr(input, some=True, *, out=None):
    """``(Q, R)`` with ``input = Q R``, ``Q`` orthonormal columns, ``R`` upper triangular;
    ``some=False`` gives the complete ``(m, m)`` ``Q``.

    Example::

        q, r = ember.qr(ember.randn(4, 3))   # q: (4, 3), r: (3, 3)
    """
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.\nThe boolean parameter 'some' has been replaced with a "
                  "string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
                  "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning,
                  stacklevel=2)
    r = _QRResult(*linalg_qr(input, "reduced" if some else "complete"))
    return r if out is None else _write(r, out, "qr")


def svd(input, some=True, compute_uv=True, *, out=None):
    """``(U, S, V)`` with ``input = U diag(S) V^T`` (note ``V``, not ``Vh``); ``some=False`` gives
    square ``U`` and ``V``; ``compute_uv=False`` gives zero-filled square ``U`` and ``V``.

    Example::

        u, s, v = ember.svd(ember.randn(4, 3))   # u: (4, 3), s: (3,), v: (3, 3)
    """
    d = input._data
    if not compute_uv:
        s = svdvals(input)
        m, n = d.shape[-2:]
        zeros = np.zeros(d.shape[:-2] + (m, m), d.dtype), np.zeros(d.shape[:-2] + (n, n), d.dtype)
        r = _SVDResult(wrap(zeros[0]), s, wrap(zeros[1]))
    else:
        u, s, vh = linalg_svd(input, full_matrices=not some)
        r = _SVDResult(u, s, vh.mT)
    return r if out is None else _write(r, out, "svd")


_LUWithInfo = structseq("_lu_with_info", ("LU", "pivots", "info"))


def lu(A, pivot=True, get_infos=False, out=None):
    """``(LU, pivots)`` (and ``info`` with ``get_infos``) of ``A``: the packed LU factorization, as
    ``ember.linalg.lu_factor_ex``; unpack it with :func:`lu_unpack`.

    Example::

        LU, pivots = ember.lu(ember.randn(3, 3))
    """
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.\n"
                  "LU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
                  "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
                  "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be "
                  "replaced with\nLU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)",
                  UserWarning, stacklevel=2)
    r = lu_factor_ex(A, pivot=pivot)
    r = _LUWithInfo(*r) if get_infos else (r.LU, r.pivots)
    return r if out is None else _write(r, out, "lu")


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    """``X`` with ``A X = b`` from the factorization ``(LU_data, LU_pivots)`` of ``A``
    (deprecated in PyTorch for ``linalg.lu_solve``, whose arguments come in the other order)."""
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has its "
                  "arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced "
                  "with\nX = torch.linalg.lu_solve(LU, pivots, B)", UserWarning, stacklevel=2)
    r = _lu_solve(LU_data, LU_pivots, b)
    return r if out is None else _write(r, out, "lu_solve")


class CholeskySolveBackward0(Node):
    def backward(self, g):  # PyTorch's cholesky_solve_backward: L gets a full (not triangular) grad
        (L,) = self.saved_tensors
        gb = cholesky_solve(g, L, self.upper)
        gl = None
        if self._next[1] is not None:
            common = gb @ self.saved_output().mT
            common = common + common.mT
            gl = -(L @ common) if self.upper else -(common @ L)
        return (gb if self._next[0] is not None else None), gl


def _cholesky_solve_array(b, f, upper):
    """``(F F^H)^{-1} b`` by two substitutions, reading only the lower (or upper) triangle of the
    factor ``f``."""
    low = np.triu(f).swapaxes(-1, -2).conj() if upper else np.tril(f)
    y = _substitute(low, b, upper=False)
    return _substitute(low.swapaxes(-1, -2).conj(), y, upper=True).astype(f.dtype, copy=False)


def cholesky_solve(B, L, upper=False, *, out=None):
    """``X`` with ``A X = B`` for ``A = L L^T`` (``U^T U`` with ``upper``) given its Cholesky
    factor; batch dims broadcast.

    Example::

        ember.cholesky_solve(ember.ones(2, 1), ember.eye(2) * 2)   # 0.25 everywhere
    """
    b, f = B._data, L._data
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions "
                           "instead")
    if f.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {f.ndim} dimensions "
                           "instead")
    if b.dtype != f.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{type_name(b.dtype)} and A of type {type_name(f.dtype)} instead.")
    n = f.shape[-1]
    if f.shape[-2] != n:
        raise RuntimeError(f"A must be batches of square matrices, but they are {f.shape[-2]} by "
                           f"{n} matrices")
    if b.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by "
                           f"{n} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    check_kernel(f, "cholesky_solve_cpu")
    r = _cholesky_solve_array(b, f, upper)
    if needs_grad(B, L):
        node = CholeskySolveBackward0()
        node.upper = upper
        node.save_for_backward(L)
        r = track(r, node, (B, L), save_out=True)
    else:
        r = wrap(r)
    return r if out is None else _write(r, out, "cholesky_solve")


class CholeskyInverseBackward0(Node):
    def backward(self, g):  # PyTorch's cholesky_inverse_backward (a full, not triangular, grad)
        (L,) = self.saved_tensors
        inv = self.saved_output()
        common = inv @ (g + g.mT) @ inv
        return -(L @ common) if self.upper else -(common @ L)


def cholesky_inverse(L, upper=False, *, out=None):
    """The inverse of ``A = L L^T`` (``U^T U`` with ``upper``) from its Cholesky factor; raises
    ``ember.linalg.LinAlgError`` where the factor has a zero on its diagonal.

    Example::

        ember.cholesky_inverse(ember.eye(2) * 2)   # 0.25 on the diagonal
    """
    d = L._data
    check_matrix(d, "cholesky_inverse", float_=False)
    check_kernel(d, "cholesky_inverse_out_cpu")
    zero = np.diagonal(d, axis1=-2, axis2=-1) == 0
    zero = zero.reshape(math.prod(zero.shape[:-1]), zero.shape[-1])
    if zero.any():
        i = int(np.flatnonzero(zero.any(-1))[0])
        raise LinAlgError(f"cholesky_inverse: {_prefix(d, i)}The diagonal element "
                          f"{int(np.argmax(zero[i])) + 1} is zero, the inversion could not be "
                          "completed because the input matrix is singular.")
    r = _cholesky_solve_array(np.broadcast_to(np.eye(d.shape[-1], dtype=d.dtype), d.shape), d,
                              upper)
    if needs_grad(L):
        node = CholeskyInverseBackward0()
        node.upper = upper
        node.save_for_backward(L)
        r = track(r, node, (L,), save_out=True)
    else:
        r = wrap(r)
    return r if out is None else _write(r, out, "cholesky_inverse")


_TriangularSolve = structseq("triangular_solve", ("solution", "cloned_coefficient"))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """``(solution, cloned_coefficient)``: ``X`` with ``A X = b`` (``A^T X = b`` with
    ``transpose``) for triangular ``A``, and a copy of ``A``. Deprecated in PyTorch for
    ``linalg.solve_triangular``, whose arguments come in the other order."""
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular"
                  "and will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular "
                  "has its arguments reversed and does not return a copy of one of the inputs.\n"
                  "X = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
                  "X = torch.linalg.solve_triangular(A, B).", UserWarning, stacklevel=2)
    for name, t in (("b", b), ("A", A)):
        if t.dim() < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 "
                               f"dimensions, but it has {t.dim()} dimensions instead")
    a = A.mT if transpose else A
    x = solve_triangular(a, b, upper=upper != transpose, unitriangular=unitriangular)
    r = _TriangularSolve(x, A.clone())
    return r if out is None else _write(r, out, "triangular_solve")


def orgqr(input, tau):
    """The ``Q`` of the reflectors ``(input, tau)`` from :func:`geqrf` (LAPACK's orgqr; an alias
    of ``ember.linalg.householder_product``)."""
    return householder_product(input, tau)


methods(lu=lu, lu_solve=lu_solve, cholesky_solve=cholesky_solve,
        cholesky_inverse=cholesky_inverse, triangular_solve=triangular_solve, geqrf=geqrf,
        orgqr=orgqr, ormqr=ormqr)
methods(det=det, logdet=logdet, slogdet=slogdet, inverse=inverse, cholesky=cholesky,
        matrix_power=matrix_power, pinverse=pinverse, qr=qr, svd=svd, matrix_exp=matrix_exp)

"""The LU decomposition with partial pivoting (``torch.linalg.lu``, ``lu_factor``, ``lu_solve``,
``torch.lu_unpack``), in NumPy: NumPy has no LU of its own and ember uses no SciPy.

The factorization is LAPACK getrf's algorithm (the row of largest magnitude as pivot, row swaps
recorded as 1-based ``pivots``), one column at a time, vectorised over the batch. ``lu`` is the
primitive and carries PyTorch's ``linalg_lu_backward``; the packed ``lu_factor``, ``lu_unpack``
and ``lu_solve`` are compositions of it with tril/triu and triangular solves, so their gradients
(and double backward) come from those.
"""
import numpy as np

from ember._ops._factor import (MultiNode, _prefix, check_matrix, needs_grad, solve_triangular,
                                structseq, track_many)
from ember._tensor import wrap

LUResult = structseq("linalg_lu", ("P", "L", "U"))
LUFactorResult = structseq("linalg_lu_factor", ("LU", "pivots"))
LUFactorExResult = structseq("linalg_lu_factor_ex", ("LU", "pivots", "info"))
LUUnpackResult = structseq("lu_unpack", ("P", "L", "U"))


def lu_arrays(d):
    """``(LU, pivots, info)`` of each matrix of ``d``: packed factors, 1-based int32 row swaps and
    the 1-based index of the first zero pivot (0 if none)."""
    m, n = d.shape[-2:]
    k = min(m, n)
    batch = d.shape[:-2]
    a = np.array(d.reshape((int(np.prod(batch)), m, n)), copy=True)  # (-1 fails for empty rows)
    b = np.arange(a.shape[0])
    piv = np.zeros((a.shape[0], k), np.int32)
    info = np.zeros(a.shape[0], np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        row = a[b, j].copy()
        a[b, j] = a[b, p]
        a[b, p] = row
        pivot = a[:, j, j]
        zero = pivot == 0
        info = np.where((info == 0) & zero, j + 1, info).astype(np.int32)
        # a zero pivot means a zero column below it: nothing to eliminate
        scale = np.where(zero, 1, pivot)[:, None]
        a[:, j + 1:, j] /= scale
        a[:, j + 1:, j + 1:] -= a[:, j + 1:, j, None] * a[:, j, None, j + 1:]
    return a.reshape(d.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def permutation(piv, m, dtype):
    """The matrices ``P`` (``A = P L U``) of LAPACK's 1-based row swaps ``piv``."""
    flat = piv.reshape((int(np.prod(piv.shape[:-1])), piv.shape[-1]))
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    b = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j] - 1
        pj = perm[b, j].copy()
        perm[b, j] = perm[b, p]
        perm[b, p] = pj
    P = np.zeros((flat.shape[0], m, m), dtype)
    P[b[:, None], perm, np.arange(m)] = 1
    return P.reshape(piv.shape[:-1] + (m, m))


def _split(lu, m, n):
    """``L`` (unit lower, ``(m, k)``) and ``U`` (upper, ``(k, n)``) from packed factors."""
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1)
    idx = np.arange(k)
    L[..., idx, idx] = 1
    return L, np.triu(lu[..., :k, :])


class LinalgLuBackward0(MultiNode):
    def backward(self, gp, gl, gu):
        return lu_grad(gl, gu, self.out(0), self.out(1), self.out(2))


def lu_grad(gl, gu, P, L, U):
    """PyTorch's ``linalg_lu_backward`` (with pivoting) for ``A = P L U``."""
    from ember._ops.join import cat
    if gl is None and gu is None:
        return None
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        ga = (L.mT @ gl).tril(-1) if gl is not None else None
        if gu is not None:
            up = (gu @ U.mT).triu()
            ga = up if ga is None else ga + up
        ga = solve_triangular(U.mT, ga, upper=False, left=False)
        ga = solve_triangular(L.mT, ga, upper=True, unitriangular=True)
    elif m < n:  # wide: A = P L [U1 U2]
        u1 = U.narrow(-1, 0, k)
        ga = L.mT @ gl if gl is not None else None
        if gu is not None:
            t = -(gu.triu() @ U.mT)
            ga = t if ga is None else ga + t
        ga = solve_triangular(u1.mT, ga.tril(-1), upper=False, left=False)
        if gu is not None:
            ga = cat([ga + gu.narrow(-1, 0, k).triu(), gu.narrow(-1, k, n - k)], -1)
        ga = solve_triangular(L.mT, ga, upper=True, unitriangular=True)
        if gu is None:
            ga = cat([ga, U.narrow(-1, k, n - k) * 0], -1)
    else:  # tall: A = P [L1; L2] U
        l1 = L.narrow(-2, 0, k)
        ga = gu @ U.mT if gu is not None else None
        if gl is not None:
            t = -(L.mT @ gl.tril(-1))
            ga = t if ga is None else ga + t
        ga = solve_triangular(l1.mT, ga.triu(), upper=True, left=True, unitriangular=True)
        if gl is not None:
            ga = cat([ga + gl.narrow(-2, 0, k).tril(-1), gl.narrow(-2, k, m - k)], -2)
        ga = solve_triangular(U.mT, ga, upper=False, left=False)
        if gl is None:
            ga = cat([ga, L.narrow(-2, k, m - k) * 0], -2)
    return P @ ga


def _check(d, fn, pivot):
    check_matrix(d, fn, square=False, float_=False)
    if d.dtype.kind not in "fc" or d.dtype.itemsize < 4:
        from ember._ops.reduce import type_name
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{type_name(d.dtype)}\'')
    if not pivot:
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")


def lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P L U``: ``P`` a permutation, ``L`` unit lower triangular
    ``(m, k)``, ``U`` upper triangular ``(k, n)``, ``k = min(m, n)``.

    Example::

        P, L, U = ember.linalg.lu(ember.randn(3, 3))
    """
    d = A._data
    _check(d, "linalg.lu", pivot)
    m, n = d.shape[-2:]
    packed, piv, _ = lu_arrays(d)
    L, U = _split(packed, m, n)
    P = permutation(piv, m, d.dtype)
    if needs_grad(A):
        return LUResult(*track_many([P, L, U], LinalgLuBackward0(), (A,), (False, True, True)))
    return LUResult(wrap(P), wrap(L), wrap(U))


def _pack(L, U):
    """``L - I + U`` laid out as LAPACK's packed ``(m, n)`` matrix (a composition, so gradients
    flow)."""
    from ember._ops.join import cat
    m, n = L.shape[-2], U.shape[-1]
    low = L.tril(-1)
    if m > n:
        return low + cat([U, L.narrow(-2, n, m - n) * 0], -2)
    if m < n:
        return cat([low, U.narrow(-1, m, n - m) * 0], -1) + U
    return low + U


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``(LU, pivots, info)``: the factors packed in one matrix, LAPACK's 1-based int32 row swaps,
    and per matrix the index of the first zero pivot (0 if none; else an error with
    ``check_errors``)."""
    d = A._data
    _check(d, "linalg.lu_factor_ex", pivot)
    packed, piv, info = lu_arrays(d)
    if check_errors:
        check_zero_pivot(d, wrap(info), "torch.linalg.lu_factor_ex")
    if needs_grad(A):
        P, L, U = lu(A)
        return LUFactorExResult(_pack(L, U), wrap(piv), wrap(info))
    return LUFactorExResult(wrap(packed), wrap(piv), wrap(info))


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)`` of :func:`lu_factor_ex`; raises where ``U`` has a zero on its diagonal.

    Example::

        LU, pivots = ember.linalg.lu_factor(ember.randn(3, 3))
    """
    d = A._data
    _check(d, "torch.linalg.lu_factor" if d.ndim >= 2 else "torch.lu_factor", pivot)
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    check_zero_pivot(d, info, "torch.linalg.lu_factor")
    return LUFactorResult(LU, piv)


def check_zero_pivot(d, info, fn):
    """PyTorch's error for a factorization whose ``U`` has a zero on its diagonal."""
    bad = info._data.reshape(-1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RuntimeError(f"{fn}: {_prefix(d, i)}U[{bad[i]},{bad[i]}] is zero and using it on "
                           "lu_solve would result in a division by zero. If you still want to "
                           "perform the factorization, consider calling linalg.lu(A, pivot) or "
                           "linalg.lu_factor_ex(A, pivot)")


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """``(P, L, U)`` from packed factors and pivots (a composition: gradients reach ``LU_data``)."""
    d = LU_data._data
    m, n = d.shape[-2:]
    k = min(m, n)
    empty = wrap(np.zeros((0,), d.dtype))
    P = wrap(permutation(LU_pivots._data, m, d.dtype)) if unpack_pivots else empty
    if unpack_data:
        L = LU_data.narrow(-1, 0, k).tril(-1) + wrap(np.eye(m, k, dtype=d.dtype))
        r = LUUnpackResult(P, L, LU_data.narrow(-2, 0, k).triu())
    else:
        r = LUUnpackResult(P, empty, empty)
    if out is not None:
        from ember._ops._select import write_out
        return write_out(r, out, "lu_unpack")
    return r


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """``X`` with ``A X = B`` (``X A = B`` when not ``left``; ``A^T`` with ``adjoint``) from the
    factorization ``(LU, pivots)`` of ``A``.

    Example::

        LU, piv = ember.linalg.lu_factor(A)
        X = ember.linalg.lu_solve(LU, piv, B)
    """
    if B.dim() < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    P, L, U = lu_unpack(LU, pivots)
    # A = P L U;  A^T = U^T L^T P^T
    if left and not adjoint:
        y = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    if left:
        y = solve_triangular(U.mT, B, upper=False)
        return P @ solve_triangular(L.mT, y, upper=True, unitriangular=True)
    if not adjoint:  # X P L U = B
        y = solve_triangular(U, B, upper=True, left=False)
        return solve_triangular(L, y, upper=False, left=False, unitriangular=True) @ P.mT
    y = solve_triangular(L.mT, B @ P, upper=True, left=False, unitriangular=True)
    return solve_triangular(U.mT, y, upper=False, left=False)

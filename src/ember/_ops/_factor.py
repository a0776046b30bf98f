"""The square-matrix primitives of ``torch.linalg``: ``det``, ``slogdet``, ``inv``,
``solve``, ``solve_triangular`` and ``cholesky``, forward on NumPy's LAPACK and backward with
PyTorch's formulas (``FunctionsManual.cpp``).

Backward formulas use Tensor ops, the solves among them, so double backward works. Gradients are
those of real inputs (complex inputs compute forward only). Also the shared pieces of the
decompositions: input checks, PyTorch's LinAlgError and its messages, and multi-output nodes.
"""
import math

import numpy as np

from ember._ops._select import _structseq
from ember._ops.reduce import type_name
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import _FREED, Node


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite (``torch.linalg.LinAlgError``)."""


LinAlgError.__module__ = "ember.linalg"  # where users meet it (and pickle finds it)


def structseq(name, fields):
    """A ``return_types.<name>`` named tuple class (as ``torch.return_types``)."""
    return _structseq(name, tuple(fields))


# ---- checks --------------------------------------------------------------------------------------
def check_float(d, fn, kernel=None):
    """Floating or complex, and not half precision: for that PyTorch names the LAPACK kernel
    (``kernel``) that lacks it, or says low precision is refused."""
    if d.dtype.kind not in "fc":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{type_name(d.dtype)}")
    if d.dtype.itemsize < 4 and kernel != "":
        if kernel:
            raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(d.dtype)}\'')
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {type_name(d.dtype)}")


def check_kernel(d, kernel):
    """PyTorch's error for a dtype its LAPACK ``kernel`` has no instance of: anything but
    float32/float64/complex (integers and bools included, unlike :func:`check_float`)."""
    if d.dtype.kind not in "fc" or d.dtype.itemsize < 4:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(d.dtype)}\'')


def check_matrix(d, fn, square=True, float_=True, kernel=None):
    """PyTorch's checks of a (batch of) matrices ``A``, in its order and words (``kernel``: see
    :func:`check_float`; ``""`` accepts half precision)."""
    if d.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if square and d.shape[-1] != d.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{d.shape[-2]} by {d.shape[-1]} matrices")
    if float_:
        check_float(d, fn, kernel)


def check_norm_dtype(d, dtype, fn):
    """PyTorch's checks of a norm's ``dtype`` argument: the input must be floating and cast to it
    without narrowing, real to real and complex to complex."""
    if d.dtype.kind not in "fc":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{type_name(d.dtype)}")
    if dtype is None:
        return
    want = np.dtype(dtype.np)
    if (want.kind == "c") != (d.dtype.kind == "c"):
        kind = "complex" if d.dtype.kind == "c" else "real"
        raise RuntimeError(f"{fn}: dtype should be {kind} for {kind} inputs, but got "
                           f"{type_name(want)}")
    if not np.can_cast(d.dtype, want, "safe"):
        raise RuntimeError(f"{fn}: the dtype of the input ({type_name(d.dtype)}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({type_name(want)})")


def _prefix(d, i):
    return f"(Batch element {i}): " if d.ndim > 2 else ""


def lu_info(d):
    """LAPACK getrf's ``info`` of each matrix of a batch (int32, shaped as the batch): the 1-based
    index of its first zero pivot, or 0."""
    from ember._ops._lu import lu_arrays  # (_lu imports this module)
    return lu_arrays(d)[2]


def chol_info(d):
    """LAPACK potrf's ``info`` of each matrix of a batch (int32, shaped as the batch): the order of
    the first leading minor that is not positive-definite, or 0. A Cholesky factorization column
    by column, vectorised over the batch, that records the first pivot that is not positive."""
    n = d.shape[-1]
    a = d.reshape((math.prod(d.shape[:-2]), n, n))
    low = np.zeros_like(a)
    info = np.zeros(a.shape[0], np.int32)
    with np.errstate(all="ignore"):
        for k in range(n):
            row = low[:, k, :k]
            pivot = (a[:, k, k] - np.einsum("bj,bj->b", row, row.conj())).real
            bad = ~(pivot > 0)  # (NaN too)
            info = np.where((info == 0) & bad, k + 1, info).astype(np.int32)
            diag = np.sqrt(np.where(bad, 1.0, pivot))
            low[:, k, k] = diag
            done = np.einsum("bij,bj->bi", low[:, k + 1:, :k], row.conj())
            low[:, k + 1:, k] = (a[:, k + 1:, k] - done) / diag[:, None]
    return info.reshape(d.shape[:-2])


def _with_nan_where(info, d, fn):
    """``fn`` of each matrix of ``d``, NaN for those whose ``info`` is not 0 (they are replaced
    by the identity for the call, so the batch goes to LAPACK in one call), and ``info``.

    NOTE: rounding may make LAPACK refuse a borderline matrix that the vectorised ``info`` passed;
    then the batch goes matrix by matrix and such a matrix gets the order of its first leading
    minor that LAPACK refuses."""
    bad = np.broadcast_to((info != 0)[..., None, None], d.shape)
    try:
        r = fn(np.where(bad, np.eye(d.shape[-1], dtype=d.dtype), d))
    except np.linalg.LinAlgError:
        flat, info = d.reshape((-1,) + d.shape[-2:]), info.reshape(-1).copy()
        r = np.full(flat.shape, np.nan, d.dtype)
        for i, m in enumerate(flat):
            if not info[i]:
                try:
                    r[i] = fn(m)
                except np.linalg.LinAlgError:
                    info[i] = next(k for k in range(1, len(m) + 1) if _fails(fn, m[:k, :k]))
        return r.reshape(d.shape), info.reshape(d.shape[:-2])
    r[bad] = np.nan
    return r, info


def _fails(fn, m):
    try:
        fn(m)
    except np.linalg.LinAlgError:
        return True
    return False


def _raise_inv(d, fn):
    info = lu_info(d).reshape(-1)
    i = int(np.flatnonzero(info)[0])
    raise LinAlgError(f"{fn}: {_prefix(d, i)}The diagonal element {info[i]} is zero, the inversion "
                      "could not be completed because the input matrix is singular.")


def _raise_chol(d, fn):
    info = chol_info(d).reshape(-1)
    i = int(np.flatnonzero(info)[0])
    raise LinAlgError(f"{fn}: {_prefix(d, i)}The factorization could not be completed because the "
                      f"input is not positive-definite (the leading minor of order {info[i]} is "
                      "not positive-definite).")


# ---- nodes with several outputs ------------------------------------------------------------------
class MultiNode(Node):
    """A node whose outputs' arrays it keeps for backward (arrays, not Tensors: no cycle), with
    their version counters, so that modifying an output in place makes backward raise."""

    _outs = None

    def out(self, i):
        """Output ``i`` rebuilt for a backward formula, connected to this node when recording."""
        if self._outs is None:
            raise RuntimeError(_FREED)
        arr, vc, version = self._outs[i]
        if vc[0] != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{_type_str(arr)} {list(arr.shape)}], which is output {i} of "
                f"{self.name()}, is at version {vc[0]}; expected version {version} instead.")
        t = wrap(arr)
        if STATE.enabled:
            t._rg, t.grad_fn, t._oi = True, self, i
        return t

    def _free(self):
        Node._free(self)
        self._outs = None


def track_many(arrays, node, inputs, differentiable):
    """The outputs of one node: ``differentiable[i]`` says whether output ``i`` takes part in
    autograd (an integer ``info`` does not)."""
    node._n_out = len(arrays)
    outs = []
    for i, (a, diff) in enumerate(zip(arrays, differentiable)):
        if i == 0:
            t = track(a, node, inputs)
        else:
            t = wrap(a)
            if diff:
                t._rg, t.grad_fn, t._oi = True, node, i
        outs.append(t)
    node._outs = [(t._data, t._vc, t._vc[0]) for t in outs]
    return outs


def _type_str(arr):
    return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor"}.get(arr.dtype.name,
                                                                                 arr.dtype.name)


def needs_grad(*ts):
    return STATE.enabled and any(isinstance(t, Tensor) and t._rg for t in ts)


def eye_like(t, n):
    return wrap(np.eye(n, dtype=t._data.dtype))


def diag_of(v, n):
    """Matrices with ``v`` (shape ``batch``) repeated on the diagonal."""
    return v.unsqueeze(-1).unsqueeze(-1) * eye_like(v, n)


# ---- det / slogdet -------------------------------------------------------------------------------
class LinalgDetBackward0(Node):
    def backward(self, g):
        (a,) = self.saved_tensors
        return det_grad(g, self.saved_output(), a)


def _excl_prod(s):
    """``prod_{j != i} s_j`` along the last dim without division (exclusive cumulative products)."""
    from ember._ops.join import cat
    one = s.narrow(-1, 0, 1) * 0 + 1
    k = s.shape[-1]
    left = cat([one, s.narrow(-1, 0, k - 1)], -1).cumprod(-1)
    right = cat([one, s.flip(-1).narrow(-1, 0, k - 1)], -1).cumprod(-1).flip(-1)
    return left * right


def det_grad(g, det, a):
    """The gradient of det: ``g det A^{-T}``, or through the SVD where ``|det| < 100 eps``, since
    the cofactor matrix exists there but the inverse does not.

    NOTE: PyTorch 2's own rule perturbs a zero pivot of its LU instead, so where its det comes
    out exactly 0 its gradient is 0; this one (PyTorch 1.13's) gives the cofactors there too.
    """
    from ember._ops.compare import where
    d = a._data
    n = d.shape[-1]
    if d.size == 0:
        return a * 0
    eps = np.finfo(d.dtype).eps

    def nonsingular(m):
        return solve(m.mT, diag_of(g * det, n))

    def singular(m):
        from ember._ops._spectral import linalg_svd
        u, s, vh = linalg_svd(m, full_matrices=False)
        alpha = linalg_det(u) * linalg_det(vh) * g
        return (u * (alpha.unsqueeze(-1) * _excl_prod(s)).unsqueeze(-2)) @ vh

    small = np.abs(det._data) < 100 * eps
    if not small.any():
        return nonsingular(a)
    if small.all():
        return singular(a)
    # NOTE: each path gets a harmless stand-in for the matrices of the other one
    mask = wrap(small[..., None, None])
    distinct = wrap(np.diag(np.arange(1, n + 1)).astype(d.dtype))
    return where(mask, singular(where(mask, a, distinct)),
                 nonsingular(where(mask, eye_like(a, n), a)))


def linalg_det(A, name="linalg.det"):
    d = A._data
    check_matrix(d, name, kernel="lu_cpu")
    with np.errstate(over="ignore", under="ignore"):  # (a determinant overflows easily)
        r = np.asarray(np.linalg.det(d))
    if needs_grad(A):
        node = LinalgDetBackward0()
        node.save_for_backward(A)
        return track(r, node, (A,), save_out=True)
    return wrap(r)


SlogdetResult = structseq("linalg_slogdet", ("sign", "logabsdet"))


class LinalgSlogdetBackward0(MultiNode):
    def backward(self, gsign, glogabs):
        (a,) = self.saved_tensors
        if glogabs is None:  # the sign of a real determinant is piecewise constant
            return None
        return solve(a.mT, diag_of(glogabs, a._data.shape[-1]))


def linalg_slogdet(A, name="linalg.slogdet", cls=SlogdetResult):
    d = A._data
    check_matrix(d, name)
    sign, logabs = (np.asarray(x) for x in np.linalg.slogdet(d))
    if needs_grad(A):
        node = LinalgSlogdetBackward0()
        node.save_for_backward(A)
        return cls(*track_many([sign, logabs], node, (A,), (True, True)))
    return cls(wrap(sign), wrap(logabs))


# ---- inverse -------------------------------------------------------------------------------------
class LinalgInvExBackward0(Node):
    def backward(self, g):
        inv_t = self.saved_output().mT
        return -(inv_t @ g @ inv_t)


def _inv_array(d, fn, check):
    try:
        return np.linalg.inv(d), np.zeros(d.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        if check:
            _raise_inv(d, fn)
    # NOTE: the inverses of the singular matrices are NaN here, where LAPACK leaves partial results
    return _with_nan_where(lu_info(d), d, np.linalg.inv)


def linalg_inv(A, name="linalg.inv", check=True):
    """The inverse (and LAPACK's ``info`` per matrix, when ``check`` is off)."""
    d = A._data
    check_matrix(d, name)
    r, info = _inv_array(d, name, check)
    if needs_grad(A):
        t = track(r, LinalgInvExBackward0(), (A,), save_out=True)
    else:
        t = wrap(r)
    return t, wrap(info)


# ---- solve ---------------------------------------------------------------------------------------
def is_vector_rhs(a, b):
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


class LinalgSolveExBackward0(Node):
    def backward(self, g):
        a, = self.saved_tensors
        x = self.saved_output()
        left, vec = self.left, self.vec
        if vec:
            g, x = g.unsqueeze(-1), x.unsqueeze(-1)
        gb = solve(a.mT, g, left=left)
        ga = None
        if self._next[0] is not None:
            ga = -(gb @ x.mT) if left else -(x.mT @ gb)
        if vec:
            gb = gb.squeeze(-1)
        return ga, (gb if self._next[1] is not None else None)


def solve(A, B, *, left=True, name="torch.linalg.solve"):
    """``X`` with ``A X = B`` (``X A = B`` when not ``left``), batches broadcast."""
    a, b = A._data, B._data
    check_matrix(a, "linalg.solve", kernel="lu_cpu")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of "
                           f"type {type_name(a.dtype)} and B of type {type_name(b.dtype)} instead")
    vec = is_vector_rhs(a, b)
    bm = b[..., None] if vec else b
    if bm.ndim < 2 or bm.shape[-2 if left else -1] != a.shape[-1]:
        rows, cols = (bm.shape[-2], bm.shape[-1]) if bm.ndim > 1 else (bm.shape[-1], 1)
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {rows}x{cols})")
    batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    a_b = np.broadcast_to(a, batch + a.shape[-2:])
    try:
        if left:
            r = np.linalg.solve(a_b, np.broadcast_to(bm, batch + bm.shape[-2:]))
        else:
            r = np.linalg.solve(a_b.swapaxes(-1, -2),
                                np.broadcast_to(bm, batch + bm.shape[-2:]).swapaxes(-1, -2))
            r = r.swapaxes(-1, -2)
    except np.linalg.LinAlgError:
        info = lu_info(a_b).reshape(-1)
        i = int(np.flatnonzero(info)[0])
        raise LinAlgError(f"{name}: {_prefix(a_b, i)}The solver failed because the input matrix "
                          "is singular.") from None
    if vec:
        r = r[..., 0]
    if needs_grad(A, B):
        node = LinalgSolveExBackward0()
        node.left, node.vec = left, vec
        node.save_for_backward(A)
        return track(r, node, (A, B), save_out=True)
    return wrap(r)


# ---- triangular solve ----------------------------------------------------------------------------
class LinalgSolveTriangularBackward0(Node):
    def backward(self, g):
        (a,) = self.saved_tensors
        x = self.saved_output()
        upper, left, unit = self.upper, self.left, self.unit
        gb = solve_triangular(a.mT, g, upper=not upper, left=left, unitriangular=unit)
        ga = None
        if self._next[0] is not None:
            ga = -(gb @ x.mT) if left else -(x.mT @ gb)
            ga = ga.triu(1 if unit else 0) if upper else ga.tril(-1 if unit else 0)
        return ga, (gb if self._next[1] is not None else None)


def _substitute(t, b, upper):
    """``t^{-1} b`` by substitution, row by row: LAPACK's trsm gives inf/NaN for a zero pivot
    rather than failing, and so does this."""
    n = t.shape[-1]
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                 np.result_type(t, b))
    rows = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in rows:
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = acc / t[..., i, i:i + 1]
    return x


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """``X`` with ``A X = B`` (``X A = B`` when not ``left``) for a triangular ``A``: only its upper
    (``upper``) or lower triangle is read, and with ``unitriangular`` its diagonal is taken as ones.

    Args:
        A (Tensor): ``(*, n, n)`` triangular matrices.
        B (Tensor): ``(*, n, k)`` right-hand sides (``(*, k, n)`` when not ``left``).

    Example::

        ember.linalg.solve_triangular(ember.eye(3) * 2, ember.ones(3, 1), upper=True)
    """
    a, b = A._data, B._data
    fn = "linalg.solve_triangular"
    if b.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    check_matrix(a, fn, float_=False)
    check_kernel(a, "triangular_solve_cpu")
    if a.dtype != b.dtype:  # NOTE: PyTorch neither promotes nor refuses: B takes A's dtype
        from ember._dtype import from_numpy_dtype
        B = B.to(from_numpy_dtype(a.dtype))
        b = B._data
    if b.shape[-2 if left else -1] != a.shape[-1]:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({a.shape[-2]}x{a.shape[-1]} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t.copy()
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    if left:
        r = _substitute(t, b, upper)
    else:  # X A = B  <=>  A^T X^T = B^T, and A^T has the other triangle
        r = _substitute(t.swapaxes(-1, -2), b.swapaxes(-1, -2), not upper).swapaxes(-1, -2)
    r = r.astype(a.dtype, copy=False)
    if needs_grad(A, B):
        node = LinalgSolveTriangularBackward0()
        node.upper, node.left, node.unit = upper, left, unitriangular
        node.save_for_backward(A)
        r = track(r, node, (A, B), save_out=True)
    else:
        r = wrap(r)
    if out is not None:
        from ember._ops._select import write_out
        return write_out(r, out, fn)
    return r


# ---- cholesky ------------------------------------------------------------------------------------
class LinalgCholeskyExBackward0(Node):
    def backward(self, g):
        L = self.saved_output()
        if self.upper:
            L, g = L.mT, g.mT
        ga = (L.mT @ g).tril()
        ga = (ga + ga.tril(-1).mT) * 0.5
        ga = solve_triangular(L.mT, ga, upper=True, left=True)
        return solve_triangular(L, ga, upper=False, left=False)


class CholeskyBackward0(LinalgCholeskyExBackward0):
    pass


def linalg_cholesky(A, upper=False, name="linalg.cholesky", check=True, node_cls=None):
    """The Cholesky factor (and potrf's ``info`` per matrix, when ``check`` is off)."""
    d = A._data
    check_matrix(d, name, kernel="cholesky_cpu")
    info = np.zeros(d.shape[:-2], np.int32)
    try:
        r = np.linalg.cholesky(d)
    except np.linalg.LinAlgError:
        if check:
            _raise_chol(d, name)
        # NOTE: failed matrices give NaN factors here, where LAPACK leaves a partial one
        r, info = _with_nan_where(chol_info(d), d, np.linalg.cholesky)
    if upper:
        r = np.ascontiguousarray(r.swapaxes(-1, -2).conj())
    if needs_grad(A):
        node = (node_cls or LinalgCholeskyExBackward0)()
        node.upper = upper
        t = track(r, node, (A,), save_out=True)
    else:
        t = wrap(r)
    return t, wrap(info)

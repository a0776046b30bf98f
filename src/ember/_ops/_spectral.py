"""The decompositions of ``torch.linalg`` with several outputs: ``qr``, ``eigh``, ``svd``, ``eig``,
and ``pinv``, forward on NumPy's LAPACK, backward with PyTorch's formulas (``FunctionsManual.cpp``).

Eigenvectors and singular vectors are defined up to sign; NumPy and PyTorch call the same LAPACK
routines, so they usually agree, but only losses invariant to those signs have a well-defined
gradient. Gradients are those of real inputs.
"""
import numpy as np

from ember._ops._factor import (MultiNode, check_kernel, check_matrix, needs_grad,
                                solve_triangular, structseq, track_many)
from ember._ops.reduce import type_name
from ember._tensor import track, wrap
from ember.autograd.graph import Node

QRResult = structseq("linalg_qr", ("Q", "R"))
EighResult = structseq("linalg_eigh", ("eigenvalues", "eigenvectors"))
EigResult = structseq("linalg_eig", ("eigenvalues", "eigenvectors"))
SVDResult = structseq("linalg_svd", ("U", "S", "Vh"))


# ---- qr ------------------------------------------------------------------------------------------
class LinalgQrBackward0(MultiNode):
    def backward(self, gq, gr):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                               "going to differentiate through linalg.qr.")
        q, r = self.out(0), self.out(1)
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if gq is None and gr is None:
            return None
        if gq is not None:
            ga = -(q.mT @ gq) if gr is None else gr @ r.mT - q.mT @ gq
        else:
            ga = gr @ r.mT
        if m >= n:
            # copyltu: the upper triangle mirrored, the diagonal kept once
            sym = ga.triu()
            sym = sym + sym.mT
            sym = sym - sym.diagonal(0, -2, -1).diag_embed() * 0.5
            ga = q @ sym
            if gq is not None:
                ga = ga + gq
            return solve_triangular(r.mT, ga, upper=False, left=False)
        from ember._ops.join import cat
        x = -ga
        skew = (x - x.mT).tril()
        ga = q @ skew
        ga = solve_triangular(r.narrow(-1, 0, m).mT, ga, upper=False, left=False)
        ga = cat([ga, wrap(np.zeros(r.shape[:-1] + (n - m,), r._data.dtype))], -1)
        if gr is not None:
            ga = ga + q @ gr
        return ga


def linalg_qr(A, mode="reduced", name="linalg.qr"):
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    d = A._data
    check_matrix(d, name, square=False, kernel="geqrf_cpu")
    if mode == "r":
        q, r = np.zeros((0,), d.dtype), np.linalg.qr(d, mode="r")
    else:
        q, r = np.linalg.qr(d, mode=mode)
    if needs_grad(A):
        node = LinalgQrBackward0()
        node.mode = mode
        return QRResult(*track_many([q, r], node, (A,), (mode != "r", True)))
    return QRResult(wrap(q), wrap(r))


# ---- eigh ----------------------------------------------------------------------------------------
def _off_diag_denominator(lam):
    """``E[i, j] = lam_j - lam_i``, with ones on the diagonal (where it is never used)."""
    n = lam.shape[-1]
    eye = wrap(np.eye(n, dtype=lam._data.dtype))
    return lam.unsqueeze(-2) - lam.unsqueeze(-1) + eye


class LinalgEighBackward0(MultiNode):
    def backward(self, gl, gv):
        lam, v = self.out(0), self.out(1)
        if gv is None:
            if gl is None:
                return None
            return (v * gl.unsqueeze(-2)) @ v.mT
        vhgv = v.mT @ gv
        vhgv = (vhgv - vhgv.mT) * 0.5
        ga = vhgv / _off_diag_denominator(lam)
        diag = ga.diagonal(0, -2, -1)
        if gl is not None:
            ga = ga + (gl - diag).diag_embed()
        return v @ ga @ v.mT


def linalg_eigh(A, UPLO="L", name="linalg.eigh", vectors=True):
    if UPLO not in ("L", "U"):
        raise RuntimeError("Expected UPLO argument to be 'L' or 'U', but got " + str(UPLO))
    d = A._data
    check_matrix(d, name, float_=False)
    check_kernel(d, "linalg_eigh_cpu")
    if not vectors:
        w = np.linalg.eigvalsh(d, UPLO=UPLO)
        if needs_grad(A):  # the gradient needs the eigenvectors
            w, v = np.linalg.eigh(d, UPLO=UPLO)
            node = LinalgEighBackward0()
            return track_many([w, v], node, (A,), (True, True))[0]
        return wrap(w)
    w, v = np.linalg.eigh(d, UPLO=UPLO)
    if needs_grad(A):
        return EighResult(*track_many([w, v], LinalgEighBackward0(), (A,), (True, True)))
    return EighResult(wrap(w), wrap(v))


# ---- eig (no gradient) ---------------------------------------------------------------------------
class LinalgEigBackward0(MultiNode):
    def backward(self, gl, gv=None):
        raise NotImplementedError("the derivative of linalg.eig (complex results) is not "
                                  "implemented in ember; use linalg.eigh for symmetric matrices")


def _complex(d):
    return np.complex64 if d.dtype in (np.float32, np.complex64) else np.complex128


def linalg_eig(A, vectors=True):
    d = A._data
    fn = "linalg.eig" if vectors else "linalg.eigvals"
    check_matrix(d, fn, kernel="linalg_eig_out_cpu")
    ct = _complex(d)
    if vectors:
        w, v = np.linalg.eig(d)
        arrays = [w.astype(ct, copy=False), v.astype(ct, copy=False)]
    else:
        arrays = [np.linalg.eigvals(d).astype(ct, copy=False)]
    if needs_grad(A):  # (in the graph, as PyTorch's, but backward refuses)
        r = track_many(arrays, LinalgEigBackward0(), (A,), (True,) * len(arrays))
    else:
        r = [wrap(a) for a in arrays]
    return EigResult(*r) if vectors else r[0]


# ---- svd -----------------------------------------------------------------------------------------
class LinalgSvdBackward0(MultiNode):
    def backward(self, gu, gs, gvh):
        u, s, vh = self.out(0), self.out(1), self.out(2)
        k = s.shape[-1]
        if self.full:  # the extra columns of U and rows of Vh carry nothing about A
            u, vh = u.narrow(-1, 0, k), vh.narrow(-2, 0, k)
            gu = None if gu is None else gu.narrow(-1, 0, k)
            gvh = None if gvh is None else gvh.narrow(-2, 0, k)
        return svd_grad(gu, gs, gvh, u, s, vh)


def svd_grad(gu, gs, gvh, u, s, vh):
    """PyTorch's ``svd_backward`` for real matrices (reduced factors)."""
    if gu is None and gs is None and gvh is None:
        return None
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        return u @ (gs.unsqueeze(-1) * vh) if m >= n else (u * gs.unsqueeze(-2)) @ vh
    uhgu = None if gu is None else u.mT @ gu
    vhgv = None if gvh is None else vh @ gvh.mT
    uhgu = None if uhgu is None else uhgu - uhgu.mT
    vhgv = None if vhgv is None else vhgv - vhgv.mT
    s2 = s * s
    e = _off_diag_denominator(s2)
    if uhgu is not None and vhgv is not None:
        ga = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e
    elif uhgu is not None:
        ga = (uhgu / e) * s.unsqueeze(-2)
    else:
        ga = s.unsqueeze(-1) * (vhgv / e)
    if gs is not None:
        ga = ga + gs.diag_embed()
    if m > n and gu is not None:
        ga = u @ ga
        gusinv = gu / s.unsqueeze(-2)
        ga = ga + gusinv - u @ (u.mT @ gusinv)
        return ga @ vh
    if m < n and gvh is not None:
        ga = ga @ vh
        sinvgvh = gvh / s.unsqueeze(-1)
        ga = ga + sinvgvh - (sinvgvh @ vh.mT) @ vh
        return u @ ga
    return u @ ga @ vh


def linalg_svd(A, full_matrices=True, name="linalg.svd"):
    d = A._data
    check_matrix(d, name, square=False, kernel="linalg_svd_cpu")
    u, s, vh = np.linalg.svd(d, full_matrices=full_matrices)
    if needs_grad(A):
        node = LinalgSvdBackward0()
        node.full = full_matrices and d.shape[-1] != d.shape[-2]
        return SVDResult(*track_many([u, s, vh], node, (A,), (True, True, True)))
    return SVDResult(wrap(u), wrap(s), wrap(vh))


def svdvals(A):
    d = A._data
    check_matrix(d, "linalg.svdvals", square=False, kernel="linalg_svd_cpu")
    if needs_grad(A):
        return linalg_svd(A, full_matrices=False, name="linalg.svdvals").S
    return wrap(np.linalg.svd(d, compute_uv=False))


# ---- pinv ----------------------------------------------------------------------------------------
class LinalgPinvBackward0(Node):
    def backward(self, g):
        (a,) = self.saved_tensors
        p = self.saved_output()
        m, n = a.shape[-2], a.shape[-1]
        ph, gh = p.mT, g.mT
        if m <= n:
            k = gh @ p
            kph = k @ ph
            return -(p @ k).mT + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
        k = p @ gh
        phk = ph @ k
        return -(k @ p).mT + ((gh - a @ k) @ p) @ ph + phk - (phk @ p) @ a


def tolerances(d, s_max, atol, rtol):
    """PyTorch's cutoff ``max(atol, rtol * s_max)`` with its defaults (``rtol = eps * max(m, n)``
    when neither is given, 0 when only ``atol`` is)."""
    def arr(x):
        return x._data if hasattr(x, "_data") else x
    if rtol is None:
        rtol = np.finfo(d.dtype).eps * max(d.shape[-2:]) if atol is None or \
            np.all(arr(atol) <= 0) else 0.0
    atol = 0.0 if atol is None else arr(atol)
    return np.maximum(atol, arr(rtol) * s_max)


def _one_tolerance(fn, atol, rtol):
    """PyTorch's overloads take either the older positional tolerance or ``atol``/``rtol``."""
    if atol is not None or rtol is not None:
        raise TypeError(f"{fn}() received an invalid combination of arguments: the positional "
                        "tolerance cannot be combined with atol or rtol")


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """``rcond``: PyTorch's older overload, ``rtol`` with ``atol = 0``."""
    if rcond is not None:
        _one_tolerance("linalg_pinv", atol, rtol)
        rtol = rcond
    d = A._data
    if d.ndim < 2 or d.dtype.kind not in "fc" or d.dtype.itemsize < 4:
        shape = ", ".join(map(str, d.shape))
        raise RuntimeError(f"linalg.pinv({type_name(d.dtype)}{{[{shape}]}}): expected a tensor "
                           "with 2 or more dimensions of float, double, cfloat or cdouble types")
    if hermitian:
        w, v = np.linalg.eigh(d)
        s = np.abs(w)
        tol = tolerances(d, s.max(-1, initial=0.0), atol, rtol)
        keep = s > np.asarray(tol)[..., None]
        with np.errstate(divide="ignore"):
            winv = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(d.dtype)
        r = (v * winv[..., None, :]) @ v.swapaxes(-1, -2).conj()
    else:
        u, s, vh = np.linalg.svd(d, full_matrices=False)
        tol = tolerances(d, s.max(-1, initial=0.0), atol, rtol)
        keep = s > np.asarray(tol)[..., None]
        sinv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(s.dtype)
        r = (vh.swapaxes(-1, -2).conj() * sinv[..., None, :]) @ u.swapaxes(-1, -2).conj()
    r = r.astype(d.dtype, copy=False)
    if needs_grad(A, atol, rtol):
        node = LinalgPinvBackward0()
        node.save_for_backward(A)
        return track(r, node, (A,), save_out=True)
    return wrap(r)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    d = A._data
    if d.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    if d.dtype.kind not in "fc" or d.dtype.itemsize < 4:
        raise RuntimeError("This function doesn't handle types other than float and double")
    check_matrix(d, "linalg.matrix_rank", square=hermitian)
    if tol is not None:  # (PyTorch's older overload)
        _one_tolerance("linalg_matrix_rank", atol, rtol)
        atol, rtol = tol, 0.0
    s = np.abs(np.linalg.eigvalsh(d)) if hermitian else np.linalg.svd(d, compute_uv=False)
    cut = tolerances(d, s.max(-1, initial=0.0), atol, rtol)
    return wrap((s > np.asarray(cut)[..., None]).sum(-1).astype(np.int64))

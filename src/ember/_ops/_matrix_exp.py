"""The matrix exponential (``torch.linalg.matrix_exp``): scaling and squaring around a Taylor
polynomial, in NumPy (no SciPy). Its gradient is the exponential of a block matrix (PyTorch's
``linalg_matrix_exp_differential``), so it is a composition of this op and double backward works.
"""
import math

import numpy as np

from ember._ops._factor import check_matrix, needs_grad
from ember._tensor import track, wrap
from ember.autograd.graph import Node

# Taylor terms, evaluated in 6 products by Paterson-Stockmeyer: with ||A / 2^s||_1 <= 1/2 the
# remainder (0.5^16 / 16!, about 7e-19) is below float64's eps
_TERMS = 16
_COEF = [1 / math.factorial(k) for k in range(_TERMS)]


def _taylor(x, eye):
    x2 = x @ x
    powers = (eye, x, x2, x2 @ x)
    x4 = x2 @ x2

    def block(j):  # sum_i c_{4j+i} x^i
        return sum(_COEF[4 * j + i] * powers[i] for i in range(4))
    r = block(3)
    for j in (2, 1, 0):
        r = block(j) + r @ x4
    return r


def _expm(d):
    """``exp`` of each matrix of ``d``, computed in float64 (complex128) and cast back."""
    work = d.astype(np.complex128 if d.dtype.kind == "c" else np.float64)
    n = d.shape[-1]
    if work.size == 0:
        return work.astype(d.dtype)
    norm = np.abs(work).sum(-2).max(-1)  # the 1-norm of each matrix
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.where(norm > 0, norm, 1) / 0.5))).astype(int)
    s = np.where(np.isfinite(norm), s, 0)
    r = _taylor(work / (2.0 ** s)[..., None, None], np.eye(n, dtype=work.dtype))
    for step in range(int(s.max()) if s.size else 0):
        sq = r @ r
        r = np.where((s > step)[..., None, None], sq, r)
    return r.astype(d.dtype)


class LinalgMatrixExpBackward0(Node):
    def backward(self, g):
        (a,) = self.saved_tensors
        from ember._ops.join import cat
        n = a.shape[-1]
        at = a.mT
        zeros = at * 0
        block = cat([cat([at, g], -1), cat([zeros, at], -1)], -2)
        return matrix_exp(block).narrow(-2, 0, n).narrow(-1, n, n)


def matrix_exp(A):
    """``exp(A) = sum_k A^k / k!`` of each square matrix in ``A``.

    Example::

        ember.linalg.matrix_exp(ember.zeros(2, 2))   # the identity
    """
    d = A._data
    check_matrix(d, "linalg.matrix_exp", kernel="")
    r = _expm(d)
    if needs_grad(A):
        node = LinalgMatrixExpBackward0()
        node.save_for_backward(A)
        return track(r, node, (A,))
    return wrap(r)

"""QR in LAPACK's raw form: ``torch.geqrf`` (Householder reflectors and their scales, from NumPy's
``qr(mode='raw')``), and ``linalg.householder_product`` / ``torch.ormqr``, which multiply the
reflectors out. The products are compositions of ember ops, so their gradients (with respect to
the reflectors and the scales) come for free; ``geqrf`` has none, as in PyTorch.
"""
import numpy as np

from ember._ops._factor import MultiNode, check_kernel, needs_grad, structseq, track_many
from ember._tensor import wrap

GeqrfResult = structseq("geqrf", ("a", "tau"))


class GeqrfBackward0(MultiNode):
    def backward(self, ga, gtau):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


def geqrf(input, *, out=None):
    """``(a, tau)``: the QR factorization as LAPACK's geqrf leaves it: ``R`` on and above the
    diagonal of ``a``, the Householder vectors below it, their scales in ``tau``.

    Example::

        a, tau = ember.geqrf(ember.randn(4, 3))
    """
    d = input._data
    if d.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    check_kernel(d, "geqrf_cpu")
    h, tau = np.linalg.qr(d, mode="raw")  # NOTE: h comes transposed (Fortran order)
    arrays = [np.ascontiguousarray(h.swapaxes(-1, -2)).astype(d.dtype, copy=False),
              tau.astype(d.dtype, copy=False)]
    if needs_grad(input):  # (outputs in the graph whose backward refuses, as PyTorch's)
        r = GeqrfResult(*track_many(arrays, GeqrfBackward0(), (input,), (True, True)))
    else:
        r = GeqrfResult(*map(wrap, arrays))
    if out is not None:
        from ember._ops._select import write_out
        return write_out(r, out, "geqrf")
    return r


def householder_product(A, tau, *, out=None):
    """The first ``n`` columns of ``H_1 ... H_k`` with ``H_i = I - tau_i v_i v_i^T``, where
    ``v_i`` is column ``i`` of ``A`` below the diagonal with a 1 on it (LAPACK's orgqr).

    Example::

        Q = ember.linalg.householder_product(*ember.geqrf(ember.randn(4, 3)))
    """
    fn = "torch.linalg.householder_product"
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if t.shape[-1:] and t.shape[-1] > n:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if t.ndim != a.ndim - 1:
        raise RuntimeError(f"{fn}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    check_kernel(a, "orgqr_cpu")
    q = wrap(np.broadcast_to(np.eye(m, n, dtype=a.dtype), a.shape).copy())
    rows = np.arange(m)[:, None]
    for i in range(t.shape[-1] - 1, -1, -1):  # H_i (H_{i+1} ... H_k I), the last one first
        below = wrap((rows > i).astype(a.dtype))
        v = A.narrow(-1, i, 1) * below + wrap((rows == i).astype(a.dtype))
        ti = tau.narrow(-1, i, 1).unsqueeze(-1)
        q = q - ti * (v @ (v.mT @ q))
    if out is not None:
        from ember._ops._select import write_out
        return write_out(q, out, "linalg.householder_product")
    return q


def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """``Q @ other`` (``other @ Q`` when not ``left``; ``Q^T`` with ``transpose``) for the ``Q``
    of the reflectors ``(input, tau)`` from :func:`geqrf`."""
    check_kernel(input._data, "ormqr_cpu")
    m = input.shape[-2]
    side = -2 if left else -1
    if other.shape[side] != m:
        raise RuntimeError(f"torch.ormqr: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    full = input
    if input.shape[-1] < m:  # Q is square: pad the reflectors with zero columns
        from ember._ops.join import cat
        pad = wrap(np.zeros(input.shape[:-1] + (m - input.shape[-1],), input._data.dtype))
        full = cat([input, pad], -1)
    q = householder_product(full, tau)
    q = q.mT if transpose else q
    r = q @ other if left else other @ q
    if out is not None:
        from ember._ops._select import write_out
        return write_out(r, out, "ormqr")
    return r

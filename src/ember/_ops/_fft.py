"""The discrete Fourier transform primitives behind ``ember.fft``: complex-to-complex, real-to-complex
and complex-to-real transforms over several dims, and the zero-pad/trim that ``n``/``s`` ask for,
each with PyTorch's backward (``FunctionsManual.cpp``: ``fft_r2c_backward``, ``fft_c2r_backward``).

A transform's normalization is a code, as ATen's ``fft_norm_mode``: 0 unscaled, 1 times
``1/sqrt(N)``, 2 times ``1/N`` (``N``: the product of the signal sizes). With that code a
transform is ``scale * F`` and its backward ``scale * F^H``: the transform in the other
direction with the same scale. NumPy's (or CuPy's) pocketfft computes; results are cast back so a
float32/complex64 input gives complex64 as in PyTorch.
"""
import numpy as np

from ember._backend import xp_of
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
              np.dtype(np.float64): np.dtype(np.complex128),
              np.dtype(np.complex64): np.dtype(np.complex64),
              np.dtype(np.complex128): np.dtype(np.complex128)}
REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32),
           np.dtype(np.complex128): np.dtype(np.float64),
           np.dtype(np.float32): np.dtype(np.float32),
           np.dtype(np.float64): np.dtype(np.float64)}

# NumPy's ``norm`` for a transform in one direction (forward: exp(-2 pi i ...)) with a scale code
_NP_NORM = {True: ("backward", "ortho", "forward"), False: ("forward", "ortho", "backward")}


def _fft_module(arr):
    return xp_of(arr).fft


def _needs_grad(x):
    return STATE.enabled and x._rg


# ---- zero-pad / trim (PyTorch's constant_pad_nd with positive or negative pads) --------------------
class ConstantPadNdBackward0(Node):
    def backward(self, g):
        return resize(g, self.dims, self.sizes)


def resize(x, dims, sizes):
    """``x`` with each of ``dims`` zero-padded or trimmed (at the end) to ``sizes``."""
    a = x._data
    if all(a.shape[d] == n for d, n in zip(dims, sizes)):
        return x
    shape = list(a.shape)
    for d, n in zip(dims, sizes):
        shape[d] = n
    r = xp_of(a).zeros(shape, a.dtype)
    idx = tuple(slice(0, min(a.shape[d], shape[d])) for d in range(a.ndim))
    r[idx] = a[idx]
    if _needs_grad(x):
        node = ConstantPadNdBackward0()
        node.dims, node.sizes = dims, tuple(a.shape[d] for d in dims)
        return track(r, node, (x,))
    return wrap(r)


# ---- complex to complex ----------------------------------------------------------------------------
class FftC2CBackward0(Node):
    def backward(self, g):
        return c2c(g, self.dims, self.norm, not self.forward)


def c2c(x, dims, norm, forward):
    """The complex DFT of ``x`` (a real ``x`` is taken as complex) over ``dims``; ``forward``
    picks the sign of the exponent (-1 for forward)."""
    a = x._data
    ct = COMPLEX_OF[a.dtype]
    if dims:
        f = _fft_module(a).fftn if forward else _fft_module(a).ifftn
        r = f(a, axes=dims, norm=_NP_NORM[forward][norm]).astype(ct, copy=False)
    else:
        r = a.astype(ct)
    if _needs_grad(x):
        node = FftC2CBackward0()
        node.dims, node.norm, node.forward = dims, norm, forward
        return track(r, node, (x,))
    return wrap(r)


# ---- real to complex -------------------------------------------------------------------------------
class FftR2CBackward0(Node):
    def backward(self, g):
        from ember._ops.complex_math import real
        if self.onesided:  # the discarded half of the spectrum had zero gradient
            g = resize(g, self.dims[-1:], (self.last_size,))
        return real(c2c(g, self.dims, self.norm, False))


def r2c(x, dims, norm, onesided):
    """The forward DFT of the real ``x`` over ``dims``; ``onesided`` keeps only the first
    ``n // 2 + 1`` bins of the last dim (the rest follow by Hermitian symmetry)."""
    a = x._data
    ct = COMPLEX_OF[a.dtype]
    fm = _fft_module(a)
    f = fm.rfftn if onesided else fm.fftn
    r = f(a, axes=dims, norm=_NP_NORM[True][norm]).astype(ct, copy=False)
    if _needs_grad(x):
        node = FftR2CBackward0()
        node.dims, node.norm, node.onesided = dims, norm, onesided
        node.last_size = a.shape[dims[-1]]
        return track(r, node, (x,))
    return wrap(r)


# ---- complex to real -------------------------------------------------------------------------------
class FftC2RBackward0(Node):
    def backward(self, g):
        # c2r fills the upper half of the spectrum by conjugate symmetry, so each bin that stands
        # for two (all but bin 0 and, for even n, bin n/2) gets the gradient twice
        gi = r2c(g, self.dims, self.norm, True)
        d = self.dims[-1]
        double = g.shape[d] - gi.shape[d]
        if double > 0:
            w = np.ones(gi.shape[d], REAL_OF[gi._data.dtype])
            w[1:1 + double] = 2
            shape = [1] * gi.ndim
            shape[d] = -1
            gi = gi * wrap(xp_of(gi._data).asarray(w.reshape(shape)))
        return gi


def c2r(x, dims, norm, last_size):
    """The inverse DFT over ``dims`` of a one-sided Hermitian spectrum ``x`` (its last dim holds
    ``last_size // 2 + 1`` bins): a real result whose last transformed dim has ``last_size``."""
    a = x._data
    ct = COMPLEX_OF[a.dtype]
    if a.dtype != ct:
        a = a.astype(ct)
    s = [a.shape[d] for d in dims[:-1]] + [last_size]
    r = _fft_module(a).irfftn(a, s=s, axes=dims, norm=_NP_NORM[False][norm])
    r = r.astype(REAL_OF[ct], copy=False)
    if _needs_grad(x):
        node = FftC2RBackward0()
        node.dims, node.norm = dims, norm
        return track(r, node, (x,))
    return wrap(r)

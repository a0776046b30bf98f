"""``ember.fft``: PyTorch's ``torch.fft`` namespace (discrete Fourier transforms), loaded on first use.

Each transform takes PyTorch's arguments (``n`` or ``s``, ``dim``, ``norm`` in ``None``,
``"backward"``, ``"ortho"``, ``"forward"``, ``out=``) and dtype rules: float32 and complex64 give
complex64, float64 and complex128 give complex128, integers and bools count as the default float
dtype. Gradients are PyTorch's (the primitives and their backward: ``ember._ops._fft``).

Example::

    >>> import ember
    >>> ember.fft.fft(ember.tensor([1., 0., 0., 0.]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
"""
import operator

from ember import _dtype
from ember._ops import _fft
from ember._ops._arith import _out
from ember._ops._fft_freq import fftfreq, fftshift, ifftshift, rfftfreq  # noqa: F401
from ember._ops.complex_math import _SCALAR_NAME, conj
from ember._tensor import _wrap_dim, wrap

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
          "complex128": "ComplexDouble"}


# ---- argument checks, as ATen's SpectralOps.cpp ------------------------------------------------------
def _norm(norm, forward):
    """ATen's normalization code (0 none, 1 by sqrt(n), 2 by n) for a transform's direction."""
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "forward":
        return 2 if forward else 0
    if norm == "ortho":
        return 1
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _prepare(input, name, real_only=False):
    """``input`` as a float or complex tensor (integers and bools: the default float dtype)."""
    a = input._data
    if a.dtype.kind in "biu":
        input = wrap(a.astype(_dtype.get_default_dtype().np))
    elif a.dtype not in _fft.COMPLEX_OF:
        raise RuntimeError(f"Unsupported dtype {_NAMES.get(a.dtype.name, a.dtype.name)}")
    if real_only and a.dtype.kind == "c":
        if name == "ihfftn":
            raise RuntimeError(f"Only supports floating-point dtypes, but found: {_NAMES[a.dtype.name]}")
        kind = "real-valued" if name == "rfftn" else "real"
        raise RuntimeError(f"{name} expects a {kind} input tensor, but got {_NAMES[a.dtype.name]}")
    return input


def _points(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(x, n, dim):
    """The wrapped dim and the signal size (``n``, or the input's size there)."""
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(operator.index(dim), x.ndim)
    if n is not None:
        n = operator.index(n)
        _points(n)
    return d, n


def _nd_dims(x, s, dim):
    """The wrapped dims (a tuple) and the sizes from ``s`` (None where unchanged)."""
    nd = x.ndim
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if nd == 0 and dims:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = tuple(_wrap_dim(operator.index(d), nd) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > nd:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {nd} "
                               "dimensions.")
        dims = tuple(range(nd - len(s), nd))
    else:
        dims = tuple(range(nd))
    sizes = [None] * len(dims)
    if s is not None:
        for i, n in enumerate(s):
            n = operator.index(n)
            if n != -1:
                _points(n)
                sizes[i] = n
    return dims, sizes


def _resized(x, dims, sizes):
    """Zero-pad or trim ``x`` to ``sizes`` (None: unchanged) and check no signal is empty."""
    sizes = [x.shape[d] if n is None else n for d, n in zip(dims, sizes)]
    x = _fft.resize(x, dims, sizes)
    for d in dims:
        _points(x.shape[d])
    return x


def _done(r, out, name):
    if out is not None:
        od = out._data.dtype
        if r._data.dtype.kind == "c" and od.kind != "c":
            raise RuntimeError(f"{name} expects a complex output tensor, but got "
                               f"{_SCALAR_NAME.get(od.name, od.name)}")
        if r._data.dtype.kind != "c" and od.kind != "f":
            raise RuntimeError(f"{name} expects a floating point output tensor, but got "
                               f"{_SCALAR_NAME.get(od.name, od.name)}")
    return _out(r, out)


# ---- one dimension ---------------------------------------------------------------------------------
def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-dimensional discrete Fourier transform.

    Args:
        input (Tensor): the input (real or complex).
        n (int, optional): the signal length: the input is zero-padded or trimmed to it.
        dim (int): the dimension to transform (default: the last).
        norm (str, optional): ``"backward"`` (default, no scaling), ``"ortho"`` (``1/sqrt(n)``)
            or ``"forward"`` (``1/n``).
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.fft(ember.tensor([0., 1., 0., 0.]))
        tensor([ 1.+0.j,  0.-1.j, -1.+0.j,  0.+1.j])
    """
    x = _prepare(input, "fft")
    d, n = _one_dim(x, n, dim)
    x = _resized(x, (d,), (n,))
    code = _norm(norm, True)
    if x._data.dtype.kind == "c":
        return _done(_fft.c2c(x, (d,), code, True), out, "fft")
    return _done(_fft.r2c(x, (d,), code, False), out, "fft")


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-dimensional inverse discrete Fourier transform (arguments as :func:`fft`;
    ``norm="backward"`` scales by ``1/n``).

    Example::

        >>> ember.fft.ifft(ember.tensor([1., 1., 1., 1.]))
        tensor([1.+0.j, 0.+0.j, 0.+0.j, 0.+0.j])
    """
    x = _prepare(input, "ifft")
    d, n = _one_dim(x, n, dim)
    x = _resized(x, (d,), (n,))
    return _done(_fft.c2c(x, (d,), _norm(norm, False), False), out, "ifft")


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The Fourier transform of a real signal: the ``n // 2 + 1`` non-negative frequencies.

    Args:
        input (Tensor): the real input.
        n (int, optional): the signal length (zero-padded or trimmed to it).
        dim (int): the dimension to transform.
        norm (str, optional): as in :func:`fft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.rfft(ember.tensor([1., 2., 3., 4.]))
        tensor([10.+0.j, -2.+2.j, -2.+0.j])
    """
    x = _prepare(input, "rfft", real_only=True)
    d, n = _one_dim(x, n, dim)
    x = _resized(x, (d,), (n,))
    return _done(_fft.r2c(x, (d,), _norm(norm, True), True), out, "rfft")


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of :func:`rfft`: a real signal of length ``n`` (default ``2 * (m - 1)`` for
    ``m`` input bins) from its one-sided spectrum.

    Args:
        input (Tensor): the one-sided spectrum (complex; a real one counts as complex).
        n (int, optional): the output length.
        dim (int): the dimension to transform.
        norm (str, optional): as in :func:`ifft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.irfft(ember.tensor([10 + 0j, -2 + 2j, -2 + 0j]))
        tensor([1., 2., 3., 4.])
    """
    return _c2r_1d(input, n, dim, _norm(norm, False), out, "irfft", conjugate=False)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The Fourier transform of a Hermitian-symmetric signal given by its first half: a real
    result of length ``n`` (default ``2 * (m - 1)``).

    Args:
        input (Tensor): the first half of the Hermitian signal.
        n (int, optional): the output length.
        dim (int): the dimension to transform.
        norm (str, optional): as in :func:`fft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.hfft(ember.tensor([1 + 0j, 0j, 0j]))
        tensor([1., 1., 1., 1.])
    """
    return _c2r_1d(input, n, dim, _norm(norm, True), out, "hfft", conjugate=True)


def _c2r_1d(input, n, dim, code, out, name, conjugate):
    x = _prepare(input, name)
    d, n = _one_dim(x, n, dim)
    last = 2 * (x.shape[d] - 1) if n is None else n
    _points(last)
    if conjugate:
        x = conj(x)
    x = _fft.resize(x, (d,), (last // 2 + 1,))
    return _done(_fft.c2r(x, (d,), code, last), out, name)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of :func:`hfft`: the one-sided spectrum (``n // 2 + 1`` bins) of a real
    signal, conjugated and scaled as an inverse transform.

    Args:
        input (Tensor): the real input.
        n (int, optional): the signal length.
        dim (int): the dimension to transform.
        norm (str, optional): as in :func:`ifft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.ihfft(ember.tensor([1., 1., 1., 1.]))
        tensor([1.-0.j, 0.-0.j, 0.-0.j])
    """
    x = _prepare(input, "ihfft", real_only=True)
    d, n = _one_dim(x, n, dim)
    x = _resized(x, (d,), (n,))
    return _done(conj(_fft.r2c(x, (d,), _norm(norm, False), True)), out, "ihfft")


# ---- several dimensions ----------------------------------------------------------------------------
def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-dimensional discrete Fourier transform.

    Args:
        input (Tensor): the input (real or complex).
        s (sequence of int, optional): the signal sizes (zero-padded or trimmed to; -1: unchanged).
        dim (sequence of int, optional): the dims to transform (default: the last ``len(s)``, or
            all).
        norm (str, optional): as in :func:`fft`, over the product of the signal sizes.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.fftn(ember.ones(2, 2))
        tensor([[4.+0.j, 0.+0.j],
                [0.+0.j, 0.+0.j]])
    """
    return _c2c_nd(input, s, dim, norm, out, "fftn", True)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-dimensional inverse discrete Fourier transform (arguments as :func:`fftn`).

    Example::

        >>> ember.fft.ifftn(ember.ones(2, 2))
        tensor([[1.+0.j, 0.+0.j],
                [0.+0.j, 0.+0.j]])
    """
    return _c2c_nd(input, s, dim, norm, out, "ifftn", False)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional discrete Fourier transform (:func:`fftn` over the last two dims).

    Example::

        >>> ember.fft.fft2(ember.ones(2, 2)).real
        tensor([[4., 0.],
                [0., 0.]])
    """
    return _c2c_nd(input, s, dim, norm, out, "fftn", True)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional inverse discrete Fourier transform (:func:`ifftn` over two dims).

    Example::

        >>> ember.fft.ifft2(ember.ones(2, 2)).real
        tensor([[1., 0.],
                [0., 0.]])
    """
    return _c2c_nd(input, s, dim, norm, out, "ifftn", False)


def _c2c_nd(input, s, dim, norm, out, name, forward):
    x = _prepare(input, name)
    dims, sizes = _nd_dims(x, s, dim)
    x = _resized(x, dims, sizes)
    # (PyTorch names fftn in the out= check of ifftn and ifft2 too)
    return _done(_fft.c2c(x, dims, _norm(norm, forward), forward), out, "fftn")


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-dimensional Fourier transform of a real signal; the last transformed dim keeps its
    ``n // 2 + 1`` non-negative frequencies.

    Args:
        input (Tensor): the real input.
        s (sequence of int, optional): the signal sizes.
        dim (sequence of int, optional): the dims to transform.
        norm (str, optional): as in :func:`fft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.rfftn(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return _r2c_nd(input, s, dim, norm, out, "rfftn")


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional Fourier transform of a real signal (:func:`rfftn` over two dims).

    Example::

        >>> ember.fft.rfft2(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return _r2c_nd(input, s, dim, norm, out, "rfftn")


def _r2c_nd(input, s, dim, norm, out, name):
    x = _prepare(input, name, real_only=True)
    dims, sizes = _nd_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    x = _resized(x, dims, sizes)
    return _done(_fft.r2c(x, dims, _norm(norm, True), True), out, name)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of :func:`rfftn`: a real signal from its one-sided N-dimensional spectrum; the
    last transformed dim gets ``s[-1]`` values (default ``2 * (m - 1)``).

    Args:
        input (Tensor): the one-sided spectrum.
        s (sequence of int, optional): the output signal sizes.
        dim (sequence of int, optional): the dims to transform.
        norm (str, optional): as in :func:`ifft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.irfftn(ember.fft.rfftn(ember.ones(2, 4))).shape
        ember.Size([2, 4])
    """
    return _c2r_nd(input, s, dim, norm, out, "irfftn")


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse of :func:`rfft2` (:func:`irfftn` over two dims).

    Example::

        >>> ember.fft.irfft2(ember.fft.rfft2(ember.ones(2, 4))).shape
        ember.Size([2, 4])
    """
    return _c2r_nd(input, s, dim, norm, out, "irfftn")


def _c2r_nd(input, s, dim, norm, out, name, forward=False):
    x = _prepare(input, name)
    dims, sizes = _nd_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    for d, n in zip(dims, sizes):  # (an empty input dim: PyTorch reports its size, 0)
        if n is None:
            _points(x.shape[d])
    last = 2 * (x.shape[dims[-1]] - 1) if sizes[-1] is None else sizes[-1]
    _points(last)
    sizes[-1] = last // 2 + 1
    x = _resized(x, dims, sizes)
    if forward:  # hfftn: the conjugate's inverse transform, scaled as a forward one
        x = conj(x)
    return _done(_fft.c2r(x, dims, _norm(norm, forward), last), out, name)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-dimensional Fourier transform of a Hermitian-symmetric signal given by its first
    half along the last transformed dim: a real result whose last transformed dim gets ``s[-1]``
    values (default ``2 * (m - 1)``).

    Args:
        input (Tensor): the one-sided Hermitian signal.
        s (sequence of int, optional): the output signal sizes.
        dim (sequence of int, optional): the dims to transform.
        norm (str, optional): as in :func:`fft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.hfftn(ember.ones(2, 3)).shape
        ember.Size([2, 4])
    """
    return _c2r_nd(input, s, dim, norm, out, "hfftn", forward=True)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional :func:`hfftn` (over the last two dims by default).

    Example::

        >>> ember.fft.hfft2(ember.ones(2, 3)).shape
        ember.Size([2, 4])
    """
    return _c2r_nd(input, s, dim, norm, out, "hfftn", forward=True)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of :func:`hfftn`: the one-sided spectrum (the last transformed dim keeps
    ``n // 2 + 1`` bins) of a real signal, conjugated and scaled as an inverse transform.

    Args:
        input (Tensor): the real input.
        s (sequence of int, optional): the signal sizes.
        dim (sequence of int, optional): the dims to transform.
        norm (str, optional): as in :func:`ifft`.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fft.ihfftn(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return _ihfft_nd(input, s, dim, norm, out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional :func:`ihfftn` (over the last two dims by default).

    Example::

        >>> ember.fft.ihfft2(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    return _ihfft_nd(input, s, dim, norm, out)


def _ihfft_nd(input, s, dim, norm, out):
    # as ATen: the conjugated one-sided transform of the last dim, then an inverse transform
    # of the others (``conj(rfftn(x))`` scaled as an inverse transform)
    dims, sizes = _nd_dims(input, s, dim)
    if not dims:
        raise RuntimeError("ihfftn must transform at least one axis")
    x = _prepare(input, "ihfftn", real_only=True)
    x = _resized(x, dims, sizes)
    code = _norm(norm, False)
    r = conj(_fft.r2c(x, dims[-1:], code, True))
    return _done(_fft.c2c(r, dims[:-1], code, False), out, "ihfftn")


# ---- frequencies and shifts ------------------------------------------------------------------------

"""``ember.fft`` against ``torch.fft``: values, dtypes and gradients (through real losses) of every
transform for real and complex inputs over dims, ``n``/``s`` and ``norm``; errors; frequencies;
shifts; a float64 gradcheck."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_close, check_raises, rand

F32, F64, C64, C128 = np.float32, np.float64, np.complex64, np.complex128
NORMS = [None, "backward", "ortho", "forward"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # NOTE: torch's FFT on two OpenMP threads takes ~30 ms for these tiny shapes (1000x one thread)
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def crand(*shape, dtype=C64):
    """A random complex (or real) array."""
    if np.dtype(dtype).kind != "c":
        return rand(*shape, dtype=dtype)
    real = np.dtype(dtype).type(0).real.dtype
    return (rand(*shape, dtype=real) + 1j * rand(*shape, dtype=real)).astype(dtype)


def _tensor(lib, a, grad=True):
    t = lib.from_numpy(a.copy())
    return t.requires_grad_(grad and a.dtype.kind in "fc")


def _losses(lib, out, w):
    """Three real losses of an output: weighted real/imag parts, |out| and the sum of squares."""
    out = out.resolve_conj()
    if out.is_complex():
        parts = lib.view_as_real(out)
        return [(parts * lib.from_numpy(w)).sum(), out.abs().sum(),
                parts.pow(2).sum()]
    return [(out * lib.from_numpy(w[..., 0])).sum(), out.abs().sum(), out.pow(2).sum()]


def run(fn, *arrays, rtol=None, atol=None):
    """``fn(lib, *tensors)`` on torch and on ember: output values and dtype, then the gradients
    of the inputs through each of three real losses of the output."""
    single = all(np.dtype(a.dtype) in (np.dtype(F32), np.dtype(C64)) for a in arrays)
    rtol = rtol or (2e-4 if single else 1e-9)
    atol = atol or (2e-4 if single else 1e-9)
    n_losses = 3
    for k in range(n_losses):
        t_in = [_tensor(torch, a) for a in arrays]
        e_in = [_tensor(ember, a) for a in arrays]
        t_out, e_out = fn(torch, *t_in), fn(ember, *e_in)
        if k == 0:
            assert_close(e_out, t_out.resolve_conj(), rtol, atol)
        w = rand(*t_out.shape, 2, dtype=F64)
        t_loss = _losses(torch, t_out, w)[k]
        e_loss = _losses(ember, e_out, w)[k]
        t_loss.backward()
        e_loss.backward()
        for i, (e, t) in enumerate(zip(e_in, t_in)):
            assert_close(e.grad, t.grad.resolve_conj(), rtol, atol,
                         what=f"grad of input {i}, loss {k}")


# ---- one dimension ---------------------------------------------------------------------------------
C2C_1D = ["fft", "ifft"]
R2C_1D = ["rfft", "ihfft"]
C2R_1D = ["irfft", "hfft"]


@pytest.mark.parametrize("name", C2C_1D + C2R_1D)
@pytest.mark.parametrize("dtype", [F32, F64, C64, C128])
@pytest.mark.parametrize("norm", NORMS)
def test_one_dim_real_and_complex_inputs(name, dtype, norm):
    for shape, n, dim in [((6,), None, -1), ((3, 5), None, 0), ((2, 5), 8, -1), ((4, 7), 4, 1),
                          ((2, 3, 4), 3, 1)]:
        run(lambda lib, x: getattr(lib.fft, name)(x, n=n, dim=dim, norm=norm),
            crand(*shape, dtype=dtype))


@pytest.mark.parametrize("name", R2C_1D)
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("norm", NORMS)
def test_real_to_complex_one_dim(name, dtype, norm):
    for shape, n, dim in [((6,), None, -1), ((5,), None, 0), ((3, 5), None, 0), ((2, 5), 8, -1),
                          ((4, 7), 4, 1), ((2, 3, 4), 3, 1)]:
        run(lambda lib, x: getattr(lib.fft, name)(x, n=n, dim=dim, norm=norm),
            crand(*shape, dtype=dtype))


@pytest.mark.parametrize("n", [None, 1, 2, 5, 6, 9])
def test_irfft_gradient_doubles_the_mirrored_bins(n):
    # odd and even output lengths, and lengths that trim or pad the input spectrum
    run(lambda lib, x: lib.fft.irfft(x, n=n), crand(2, 4, dtype=C128))
    run(lambda lib, x: lib.fft.hfft(x, n=n, norm="ortho"), crand(4, dtype=C128))


# ---- several dimensions ----------------------------------------------------------------------------
ND_CASES = [((3, 4), None, None), ((2, 3, 4), None, (0, 2)), ((2, 3, 4), (4, 2), None),
            ((2, 3, 5), (3, -1, 6), None), ((3, 4), (2, 6), (1, 0)), ((2, 3, 4), None, (-1,)),
            ((3, 5), (5,), (0,))]


@pytest.mark.parametrize("name", ["fftn", "ifftn", "irfftn"])
@pytest.mark.parametrize("dtype", [F32, F64, C64, C128])
@pytest.mark.parametrize("norm", NORMS)
def test_n_dims(name, dtype, norm):
    for shape, s, dim in ND_CASES:
        run(lambda lib, x: getattr(lib.fft, name)(x, s=s, dim=dim, norm=norm),
            crand(*shape, dtype=dtype))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("norm", NORMS)
def test_rfftn(dtype, norm):
    for shape, s, dim in ND_CASES:
        run(lambda lib, x: lib.fft.rfftn(x, s=s, dim=dim, norm=norm), crand(*shape, dtype=dtype))


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
@pytest.mark.parametrize("norm", NORMS)
def test_two_dims(name, norm):
    dtypes = [F64] if name == "rfft2" else [F64, C128]
    for dtype in dtypes:
        run(lambda lib, x: getattr(lib.fft, name)(x, norm=norm), crand(2, 3, 4, dtype=dtype))
        run(lambda lib, x: getattr(lib.fft, name)(x, s=(4, 6), dim=(0, 2), norm=norm),
            crand(3, 2, 5, dtype=dtype))


def test_round_trips_and_chains():
    run(lambda lib, x: lib.fft.irfft(lib.fft.rfft(x) * lib.fft.rfft(x).conj(), n=7),
        crand(3, 7, dtype=F64))
    run(lambda lib, x: lib.fft.ifftn(lib.fft.fftn(x, norm="ortho") * 2j, norm="ortho"),
        crand(2, 3, dtype=C128))
    run(lambda lib, x: lib.fft.irfft2(lib.fft.rfft2(x), s=x.shape[-2:]), crand(3, 4, 5, dtype=F32))


def test_dtypes_integer_inputs_and_float32_kept():
    for name in ["fft", "ifft", "rfft", "ihfft", "fftn", "rfftn"]:
        for dt in (np.int64, np.int32, np.bool_, np.float32, np.float64):
            a = rand(3, 4, dtype=dt, low=-3, high=3)
            t, e = getattr(torch.fft, name)(torch.from_numpy(a)), getattr(ember.fft, name)(
                ember.from_numpy(a))
            assert_close(e, t.resolve_conj(), 1e-5, 1e-5, what=f"{name} {np.dtype(dt)}")
    for name in ["irfft", "hfft", "irfftn"]:
        for dt in (np.int64, np.float32, np.float64, C64, C128):
            a = (rand(3, 4, dtype=dt, low=-3, high=3) if np.dtype(dt).kind != "c"
                 else crand(3, 4, dtype=dt))
            t, e = getattr(torch.fft, name)(torch.from_numpy(a)), getattr(ember.fft, name)(
                ember.from_numpy(a))
            assert_close(e, t.resolve_conj(), 1e-5, 1e-5, what=f"{name} {np.dtype(dt)}")
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        a = np.arange(4)
        assert_close(ember.fft.fft(ember.from_numpy(a)), torch.fft.fft(torch.from_numpy(a)),
                     1e-12, 1e-12)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_grad_fn_names_and_no_graph_without_grad():
    x = ember.randn(4, requires_grad=True)
    assert type(ember.fft.rfft(x).grad_fn).__name__ == "FftR2CBackward0"
    assert type(ember.fft.fft(x).grad_fn).__name__ == "FftR2CBackward0"
    assert type(ember.fft.irfft(ember.fft.rfft(x)).grad_fn).__name__ == "FftC2RBackward0"
    assert type(ember.fft.fft2(x.reshape(2, 2)).grad_fn).__name__ == "FftC2CBackward0"
    assert ember.fft.fft(x.detach()).grad_fn is None
    with ember.no_grad():
        assert not ember.fft.fft(x).requires_grad


def test_out_argument():
    a = rand(3, 4)
    for name in ["fft", "rfft", "fftn", "ifft2"]:
        t_out, e_out = torch.empty(0, dtype=torch.complex64), ember.empty(0, dtype=ember.complex64)
        t = getattr(torch.fft, name)(torch.from_numpy(a), out=t_out)
        e = getattr(ember.fft, name)(ember.from_numpy(a), out=e_out)
        assert_close(e_out, t_out, 1e-5, 1e-5)
        assert e is e_out and t is t_out
    t_out, e_out = torch.empty(0), ember.empty(0)
    torch.fft.irfft(torch.from_numpy(crand(3, 4)), out=t_out)
    ember.fft.irfft(ember.from_numpy(crand(3, 4)), out=e_out)
    assert tuple(e_out.shape) == tuple(t_out.shape) == (3, 6)
    check_raises(lambda lib, x: lib.fft.fft(x, out=lib.empty(2)), a,
                 match="fft expects a complex output tensor, but got Float")


@pytest.mark.parametrize("case", [
    lambda lib, x, z: lib.fft.fft(x, norm="bad"),
    lambda lib, x, z: lib.fft.rfft(x, norm="Ortho"),
    lambda lib, x, z: lib.fft.fft(x, n=0),
    lambda lib, x, z: lib.fft.irfft(z, n=-1),
    lambda lib, x, z: lib.fft.fft(x, dim=2),
    lambda lib, x, z: lib.fft.ifft(x, dim=-3),
    lambda lib, x, z: lib.fft.rfft(z),
    lambda lib, x, z: lib.fft.ihfft(z),
    lambda lib, x, z: lib.fft.rfftn(z),
    lambda lib, x, z: lib.fft.irfft(z[:, :1]),
    lambda lib, x, z: lib.fft.fftn(x, s=(2, 2), dim=(0,)),
    lambda lib, x, z: lib.fft.fftn(x, dim=(0, 0)),
    lambda lib, x, z: lib.fft.fftn(x, dim=(0, -2)),
    lambda lib, x, z: lib.fft.fftn(x, s=(0, 2)),
    lambda lib, x, z: lib.fft.fftn(x, s=(2, 2, 2)),
    lambda lib, x, z: lib.fft.fft(x.half()),
    lambda lib, x, z: lib.fft.rfftn(x, dim=()),
    lambda lib, x, z: lib.fft.irfftn(z, dim=()),
    lambda lib, x, z: lib.fft.fft(x.sum()),
    lambda lib, x, z: lib.fft.fft2(x[0]),
    lambda lib, x, z: lib.fft.fft(x[:0], dim=0),
    lambda lib, x, z: lib.fft.fftshift(x, dim=5),
    lambda lib, x, z: lib.fft.fftfreq(-1),
    lambda lib, x, z: lib.fft.rfftfreq(-4),
    lambda lib, x, z: lib.fft.fftshift(x, dim=()),
])
def test_errors(case):
    check_raises(case, rand(4, 5), crand(4, 5))


def test_error_messages():
    x = ember.ones(4, 5)
    with pytest.raises(RuntimeError, match='Invalid normalization mode: "bad"'):
        ember.fft.fft(x, norm="bad")
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        ember.fft.irfft(x[:, :1])
    with pytest.raises(RuntimeError, match="rfft expects a real input tensor, but got "
                                           "ComplexFloat"):
        ember.fft.rfft(ember.fft.fft(x))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        ember.fft.fft(x, dim=2)


# ---- frequencies and shifts ------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, -1, -2, -3])
@pytest.mark.parametrize("d", [1.0, 0.1, 3])
def test_frequencies(n, d):
    for name in ["fftfreq", "rfftfreq"] if n >= 0 else ["rfftfreq"]:
        for dtype in [None, "float64"]:
            kw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
            ekw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
            assert_close(getattr(ember.fft, name)(n, d, **ekw), getattr(torch.fft, name)(n, d, **kw),
                         1e-7, 1e-7)
    if n < 0:
        return
    f = ember.fft.fftfreq(n, d, requires_grad=True, device="cpu")
    assert f.requires_grad and f.device.type == "cpu"


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shifts(name):
    for shape, dim in [((5,), None), ((4, 5), None), ((4, 5), 0), ((2, 3, 5), (0, -1)),
                       ((4, 5), [1])]:
        run(lambda lib, x: getattr(lib.fft, name)(x, dim=dim), crand(*shape, dtype=F64))
        run(lambda lib, x: getattr(lib.fft, name)(x, dim=dim), crand(*shape, dtype=C128))
    a = np.arange(7)
    assert_close(getattr(ember.fft, name)(ember.from_numpy(a)),
                 getattr(torch.fft, name)(torch.from_numpy(a)), 0, 0)


# ---- gradcheck and double backward -----------------------------------------------------------------
def test_gradcheck_float64():
    gradcheck = ember.autograd.gradcheck
    x = ember.randn(3, 5, dtype=ember.float64, requires_grad=True)
    z = ember.randn(3, 4, 2, dtype=ember.float64, requires_grad=True)
    for norm in NORMS:
        assert gradcheck(lambda x: ember.view_as_real(ember.fft.rfft(x, norm=norm)), (x,))
        assert gradcheck(lambda x: ember.view_as_real(ember.fft.ihfft(x, n=6, norm=norm)), (x,))
        assert gradcheck(lambda x: ember.view_as_real(ember.fft.fftn(x, s=(4, 4), norm=norm)),
                         (x,))
        assert gradcheck(lambda x: ember.view_as_real(ember.fft.rfft2(x, norm=norm)), (x,))
        for n in (5, 6):
            assert gradcheck(lambda z: ember.fft.irfft(ember.view_as_complex(z), n=n, norm=norm),
                             (z,))
            assert gradcheck(lambda z: ember.fft.hfft(ember.view_as_complex(z), n=n, norm=norm),
                             (z,))
        assert gradcheck(lambda z: ember.fft.irfftn(ember.view_as_complex(z), s=(2, 5),
                                                    norm=norm), (z,))
        assert gradcheck(lambda z: ember.view_as_real(ember.fft.ifft2(ember.view_as_complex(z),
                                                                      norm=norm)), (z,))


def test_double_backward_matches_torch():
    a = rand(6, dtype=F64)
    grads = []
    for lib in (torch, ember):
        x = lib.from_numpy(a.copy()).requires_grad_()
        y = lib.fft.irfft(lib.fft.rfft(x) * lib.fft.rfft(x), n=6).pow(2).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.pow(2).sum(), x)
        grads.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-10, atol=1e-10)


def test_namespace_is_lazy_and_complete():
    import subprocess
    import sys
    code = "import ember, sys; assert 'ember.fft' not in sys.modules; ember.fft.fft; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
    for name in ember.fft.__all__:
        assert callable(getattr(ember.fft, name)) and hasattr(torch.fft, name), name


def test_namespace_has_every_torch_transform():
    names = [n for n in dir(torch.fft) if not n.startswith("_") and n != "Tensor"
             and callable(getattr(torch.fft, n))]
    missing = [n for n in names if not hasattr(ember.fft, n)]
    assert not missing, missing


@pytest.mark.parametrize("name", ["hfftn", "hfft2"])
@pytest.mark.parametrize("dtype", [F32, C64, C128])
@pytest.mark.parametrize("norm", NORMS)
def test_hermitian_n_dims(name, dtype, norm):
    cases = ND_CASES if name == "hfftn" else [((2, 3, 4), None, None), ((3, 2, 5), (4, 6), (0, 2))]
    for shape, s, dim in cases:
        kw = {} if dim is None else {"dim": dim}
        run(lambda lib, x: getattr(lib.fft, name)(x, s=s, norm=norm, **kw),
            crand(*shape, dtype=dtype))


@pytest.mark.parametrize("name", ["ihfftn", "ihfft2"])
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("norm", NORMS)
def test_inverse_hermitian_n_dims(name, dtype, norm):
    cases = ND_CASES if name == "ihfftn" else [((2, 3, 4), None, None), ((3, 2, 5), (4, 6), (0, 2))]
    for shape, s, dim in cases:
        kw = {} if dim is None else {"dim": dim}
        run(lambda lib, x: getattr(lib.fft, name)(x, s=s, norm=norm, **kw),
            crand(*shape, dtype=dtype))


@pytest.mark.parametrize("fn, message", [
    # a complex or integer out= for a real result (torch checks it in every c2r transform)
    (lambda L, x: L.fft.irfft(x, out=L.empty(0, dtype=L.complex64)),
     "irfft expects a floating point output tensor, but got ComplexFloat"),
    (lambda L, x: L.fft.hfft(x, out=L.empty(0, dtype=L.int64)),
     "hfft expects a floating point output tensor, but got Long"),
    (lambda L, x: L.fft.irfft2(x, out=L.empty(0, dtype=L.complex64)),
     "irfftn expects a floating point output tensor, but got ComplexFloat"),
    (lambda L, x: L.fft.hfftn(x, out=L.empty(0, dtype=L.complex64)),
     "hfftn expects a floating point output tensor, but got ComplexFloat"),
    (lambda L, x: L.fft.ihfft2(x, out=L.empty(0)),
     "ihfftn expects a complex output tensor, but got Float"),
    (lambda L, x: L.fft.fft(x, out=L.empty(0, dtype=L.int64)),
     "fft expects a complex output tensor, but got Long"),
    # torch's ifftn and ifft2 name fftn; fft2 too
    (lambda L, x: L.fft.ifft2(x, out=L.empty(0)), "fftn expects a complex output tensor"),
    (lambda L, x: L.fft.fft2(x, out=L.empty(0)), "fftn expects a complex output tensor"),
    (lambda L, x: L.fft.rfft2(x + 0j), "rfftn expects a real-valued input tensor, but got "
                                       "ComplexFloat"),
    (lambda L, x: L.fft.ihfftn(x + 0j), "Only supports floating-point dtypes, but found: "
                                        "ComplexFloat"),
    (lambda L, x: L.fft.ihfftn(x + 0j, s=(2,), dim=(0, 1)),
     "When given, dim and shape arguments must have the same length"),
    (lambda L, x: L.fft.irfftn(x[:, :0]), r"Invalid number of data points \(0\) specified"),
    (lambda L, x: L.fft.hfftn(x[:0]), r"Invalid number of data points \(0\) specified"),
    (lambda L, x: L.fft.fftfreq(4, dtype=L.int32),
     "fftfreq requires a floating point or complex dtype"),
    (lambda L, x: L.fft.rfftfreq(4, dtype=L.bool), "rfftfreq requires a floating point or "
                                                   "complex dtype"),
    (lambda L, x: L.fft.fftfreq(4, dtype=L.complex64), "not implemented for 'ComplexFloat'"),
    (lambda L, x: L.fft.fft2(x.sum()), "Dimension specified as -2 but tensor has no dimensions"),
    (lambda L, x: L.fft.hfft2(x.sum()), "Dimension specified as -2 but tensor has no dimensions"),
])
def test_more_error_messages(fn, message):
    a = rand(4, 5, dtype=F32)
    with pytest.raises(Exception, match=message) as t_exc:
        fn(torch, torch.from_numpy(a.copy()))
    with pytest.raises(type(t_exc.value), match=message):
        fn(ember, ember.from_numpy(a.copy()))

"""ember.stft / ember.istft against torch: values over the argument space, round trips, gradients
(through view_as_real of the output) with respect to the signal and the window, errors (type
and message) and warnings."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import compare, rand


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def _stft(lib, x, n_fft, window=None, complex_input=False, **kw):
    if complex_input:
        x = lib.view_as_complex(x)
    kw.setdefault("return_complex", True)
    r = lib.stft(x, n_fft, window=window, **kw)
    return lib.view_as_real(r) if r.is_complex() else r


STFT_CASES = [
    dict(n_fft=8),
    dict(n_fft=9),
    dict(n_fft=8, hop_length=3),
    dict(n_fft=7, hop_length=7),
    dict(n_fft=8, center=False),
    dict(n_fft=9, center=False, hop_length=4),
    dict(n_fft=8, pad_mode="constant"),
    dict(n_fft=8, pad_mode="replicate"),
    dict(n_fft=9, pad_mode="circular"),
    dict(n_fft=8, normalized=True),
    dict(n_fft=8, onesided=False),
    dict(n_fft=9, onesided=False, normalized=True, center=False),
    dict(n_fft=8, win_length=5),
    dict(n_fft=9, win_length=4, hop_length=2),
    dict(n_fft=8, win_length=6, center=False),
    dict(n_fft=8, return_complex=False),
]


def _ids(kw):
    return "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("kw", STFT_CASES, ids=_ids)
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("with_window", [False, True])
def test_stft_values_and_grads(kw, batched, with_window):
    kw = dict(kw)
    n_fft = kw.pop("n_fft")
    win = kw.get("win_length", n_fft)
    x = rand(2, 23, dtype=np.float64) if batched else rand(30, dtype=np.float64)
    if with_window:
        w = rand(win, dtype=np.float64, low=0.1, high=1.0)
        compare(lambda lib, x, w: _stft(lib, x, n_fft, w, **kw), x, w)
    else:
        compare(lambda lib, x: _stft(lib, x, n_fft, **kw), x)


@pytest.mark.parametrize("kw", [dict(), dict(center=False), dict(win_length=6),
                                dict(normalized=True, hop_length=3)])
def test_stft_float32(kw):
    compare(lambda lib, x, w: _stft(lib, x, 8, w, **kw), rand(2, 40),
            rand(kw.get("win_length", 8), low=0.1), atol=1e-4, grad_atol=1e-4)


def test_stft_window_dtype_promotes():
    compare(lambda lib, x, w: _stft(lib, x, 8, w), rand(30), rand(8, dtype=np.float64),
            atol=1e-5, grad_atol=1e-5)
    compare(lambda lib, x, w: _stft(lib, x, 8, w, win_length=6), rand(30, dtype=np.float64),
            rand(6), atol=1e-5, grad_atol=1e-5)


def test_stft_half_signal_with_float_window():
    # the window's float32 makes the frames float32 before the FFT; a half signal without a
    # float window (or with a half one) is refused, as PyTorch's MKL FFT refuses it
    compare(lambda lib, x, w: _stft(lib, x.half(), 8, w), rand(30), rand(8), grad=False,
            atol=1e-2, rtol=1e-2)
    _same_error(lambda lib: lib.stft(_x(lib, 20).half(), 8, return_complex=True))
    _same_error(lambda lib: lib.stft(_x(lib, 20).half(), 8, window=_x(lib, 8).half(),
                                     return_complex=True))


@pytest.mark.parametrize("kw", [dict(), dict(normalized=True, center=False), dict(win_length=5),
                                dict(return_complex=False), dict(pad_mode="constant")])
@pytest.mark.parametrize("batched", [False, True])
def test_stft_complex_input(kw, batched):
    x = rand(2, 20, 2, dtype=np.float64) if batched else rand(25, 2, dtype=np.float64)
    w = rand(kw.get("win_length", 8), dtype=np.float64, low=0.1)
    compare(lambda lib, x, w: _stft(lib, x, 8, w, complex_input=True, **kw), x, w)
    # a complex window makes the transform two-sided as well
    compare(lambda lib, x, w: _stft(lib, x, 8, lib.view_as_complex(w), return_complex=True),
            x[..., 0], rand(8, 2, dtype=np.float64))


def test_stft_align_to_window():
    # NOTE: odd n_fft - win_length makes torch read past the signal (an error); not compared
    for kw in [dict(win_length=4, hop_length=3), dict(win_length=6), dict(win_length=8)]:
        w = rand(kw["win_length"], dtype=np.float64)
        compare(lambda lib, x, w: _stft(lib, x, 8, w, center=False, align_to_window=True, **kw),
                rand(21, dtype=np.float64), w)
        compare(lambda lib, x, w: _stft(lib, x, 8, w, center=False, align_to_window=False,
                                        **kw), rand(21, dtype=np.float64), w)


def test_stft_method_and_defaults():
    x = rand(40)
    t = torch.from_numpy(x).stft(16, return_complex=True)
    e = ember.from_numpy(x).stft(16, return_complex=True)
    assert tuple(e.shape) == tuple(t.shape) == (9, 11) and e.dtype == ember.complex64
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-5)
    t, e = t.istft(16, length=40), e.istft(16, length=40)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-5)


def _spec(shape):
    """A random spectrum (real array with a last dim of 2 for view_as_complex)."""
    return rand(*shape, 2, dtype=np.float64)


def _istft(lib, s, n_fft, window=None, **kw):
    r = lib.istft(lib.view_as_complex(s), n_fft, window=window, **kw)
    return lib.view_as_real(r) if r.is_complex() else r


ISTFT_CASES = [
    dict(n_fft=8),
    dict(n_fft=9, hop_length=3),
    dict(n_fft=8, normalized=True),
    dict(n_fft=8, length=30),
    dict(n_fft=8, length=12),
    dict(n_fft=8, win_length=6),
    dict(n_fft=8, onesided=False),
    dict(n_fft=9, onesided=False, return_complex=True),
    dict(n_fft=8, center=False),
    dict(n_fft=8, center=False, length=20, hop_length=4),
]


@pytest.mark.parametrize("kw", ISTFT_CASES, ids=_ids)
@pytest.mark.parametrize("batched", [False, True])
def test_istft_against_torch(kw, batched):
    """istft of an arbitrary spectrum (not an stft's): values and the gradients of the
    spectrum and the window."""
    kw = dict(kw)
    n_fft = kw.pop("n_fft")
    freqs = n_fft if kw.get("onesided") is False else n_fft // 2 + 1
    s = _spec((3, freqs, 7) if batched else (freqs, 7))
    w = rand(kw.get("win_length", n_fft), dtype=np.float64, low=0.3, high=1.0)
    compare(lambda lib, s, w: _istft(lib, s, n_fft, w, **kw), s, w)
    if "win_length" not in kw and not kw.get("center") is False:
        compare(lambda lib, s: _istft(lib, s, n_fft, **kw), s)


def test_istft_float32_and_complex_window():
    compare(lambda lib, s, w: _istft(lib, s, 8, w), _spec((5, 9)).astype(np.float32),
            rand(8, low=0.3), atol=1e-4, grad_atol=1e-4)
    compare(lambda lib, s, w: _istft(lib, s, 8, lib.view_as_complex(w), onesided=False,
                                     return_complex=True),
            _spec((8, 9)), rand(8, 2, dtype=np.float64, low=0.3))


def test_istft_longer_length_pads_and_warns():
    compare(lambda lib, s, w: _istft(lib, s, 8, w, length=40), _spec((5, 6)),
            rand(8, dtype=np.float64, low=0.3))


@pytest.mark.parametrize("kw", [dict(n_fft=16), dict(n_fft=15, hop_length=5),
                                dict(n_fft=16, win_length=12, hop_length=3),
                                dict(n_fft=16, center=False), dict(n_fft=16, normalized=True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip(kw, dtype):
    x = ember.from_numpy(rand(2, 64, dtype=dtype))
    w = ember.hann_window(kw.get("win_length", kw["n_fft"]), dtype=x.dtype)
    if kw.get("center") is False:  # a periodic Hann window is zero at sample 0
        w = w + 0.1
    s = ember.stft(x, window=w, return_complex=True, **kw)
    y = ember.istft(s, window=w, length=64, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    if kw.get("center") is False:  # the last samples are in no frame
        n = (s.shape[-1] - 1) * kw.get("hop_length", kw["n_fft"] // 4) + kw["n_fft"]
        np.testing.assert_allclose(y.numpy()[:, :n], x.numpy()[:, :n], rtol=tol, atol=tol)
        assert not np.any(y.numpy()[:, n:])
    else:
        np.testing.assert_allclose(y.numpy(), x.numpy(), rtol=tol, atol=tol)
    # complex signals round trip through two-sided spectra
    z = ember.complex(x, x.flip(-1))
    y = ember.istft(ember.stft(z, window=w, **kw), window=w, length=64, return_complex=True,
                    **kw)
    if kw.get("center") is not False:
        np.testing.assert_allclose(y.numpy(), z.numpy(), rtol=tol, atol=tol)


def test_round_trip_grad_is_identity():
    x = ember.from_numpy(rand(50, dtype=np.float64)).requires_grad_()
    w = ember.hann_window(16, dtype=ember.float64)
    y = ember.istft(ember.stft(x, 16, window=w, return_complex=True), 16, window=w, length=50)
    g = ember.from_numpy(rand(50, dtype=np.float64))
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy(), atol=1e-12)


def _same_error(fn):
    """Both libraries raise the same exception type with the same message."""
    with pytest.raises(Exception) as t_exc:
        fn(torch)
    with pytest.raises(type(t_exc.value)) as e_exc:
        fn(ember)
    assert str(e_exc.value) == str(t_exc.value)


def _x(lib, *shape, dtype=None):
    return lib.from_numpy(rand(*shape)).to(dtype or lib.float32)


STFT_ERRORS = [
    lambda lib: lib.stft(_x(lib, 20), 8),  # return_complex is required for real inputs
    lambda lib: lib.stft(_x(lib, 20), 8, return_complex=True, align_to_window=True),
    lambda lib: lib.stft(_x(lib, 20).long(), 8, return_complex=True),
    lambda lib: lib.stft(_x(lib, 2, 2, 5), 4, return_complex=True),
    lambda lib: lib.stft(_x(lib, 2, 2, 5), 4, return_complex=True, center=False),
    lambda lib: lib.stft(_x(lib, 20), 21, return_complex=True, center=False),
    lambda lib: lib.stft(_x(lib, 20), 0, return_complex=True, center=False),
    lambda lib: lib.stft(_x(lib, 20), 8, hop_length=0, return_complex=True),
    lambda lib: lib.stft(_x(lib, 20), 8, hop_length=-2, return_complex=True, center=False),
    lambda lib: lib.stft(_x(lib, 20), 8, win_length=9, return_complex=True),
    lambda lib: lib.stft(_x(lib, 20), 8, win_length=0, return_complex=True),
    lambda lib: lib.stft(_x(lib, 20), 8, win_length=6, window=_x(lib, 5), return_complex=True),
    lambda lib: lib.stft(_x(lib, 20), 8, window=_x(lib, 2, 4), return_complex=True),
    lambda lib: lib.stft(_x(lib, 20), 8, window=_x(lib, 8).double(), onesided=None,
                         normalized=True, return_complex=False, center=False, win_length=7),
    lambda lib: lib.stft(_x(lib, 20, dtype=lib.complex64), 8, onesided=True),
    lambda lib: lib.stft(_x(lib, 20), 8, window=_x(lib, 8).to(lib.complex128), onesided=True),
    lambda lib: lib.stft(_x(lib, 20, dtype=lib.complex128), 2, center=False, hop_length=0),
    lambda lib: lib.stft(_x(lib, 3), 8, return_complex=True),  # reflect pad too large
]


@pytest.mark.parametrize("i", range(len(STFT_ERRORS)))
def test_stft_errors(i):
    _same_error(STFT_ERRORS[i])


def test_stft_bad_pad_mode():
    _same_error(lambda lib: lib.stft(_x(lib, 20), 8, return_complex=True, pad_mode="bogus"))


def _s(lib, *shape, dtype=None):
    return lib.view_as_complex(lib.from_numpy(_spec(shape))).to(dtype or lib.complex64)


ISTFT_ERRORS = [
    lambda lib: lib.istft(_s(lib, 5, 6).real, 8),
    lambda lib: lib.istft(_s(lib, 5, 6, dtype=lib.complex128), 8, hop_length=9),
    lambda lib: lib.istft(_s(lib, 1, 1, 5, 6), 8),
    lambda lib: lib.istft(_s(lib, 5, 6)[:, :0], 8),
    lambda lib: lib.istft(_s(lib, 5, 6), 7),
    lambda lib: lib.istft(_s(lib, 5, 6), 8, onesided=False),
    lambda lib: lib.istft(_s(lib, 8, 6), 8, onesided=True),
    lambda lib: lib.istft(_s(lib, 5, 6), 8, win_length=9),
    lambda lib: lib.istft(_s(lib, 5, 6), 8, hop_length=0),
    lambda lib: lib.istft(_s(lib, 5, 6), 8, window=lib.ones(7)),
    lambda lib: lib.istft(_s(lib, 5, 6), 8, return_complex=True),
    lambda lib: lib.istft(_s(lib, 8, 6), 8, window=lib.ones(8, dtype=lib.complex64)),
    lambda lib: lib.istft(_s(lib, 5, 6), 8, length=0),
    # NOLA: a periodic Hann window is zero at sample 0, which no other frame covers uncentred
    lambda lib: lib.istft(_s(lib, 5, 16), 8, center=False, window=lib.hann_window(8)),
    lambda lib: lib.istft(_s(lib, 5, 16), 8, window=lib.zeros(8, dtype=lib.float64),
                          normalized=True, length=30),
]


@pytest.mark.parametrize("i", range(len(ISTFT_ERRORS)))
def test_istft_errors(i):
    _same_error(ISTFT_ERRORS[i])


def test_warnings():
    from ember._ops import spectral_stft
    x = ember.randn(20)
    spectral_stft._WARNED.clear()
    with pytest.warns(UserWarning, match="A window was not provided. A rectangular window"):
        s = ember.stft(x, 8, return_complex=True)
    with pytest.warns(UserWarning, match="stft with return_complex=False is deprecated"):
        ember.stft(x, 8, window=ember.ones(8), return_complex=False)
    with pytest.warns(UserWarning, match="Please provide the same window used by stft"):
        ember.istft(s, 8)
    with pytest.warns(UserWarning, match="The length of signal is shorter than the length"):
        ember.istft(s, 8, window=ember.ones(8), length=30)
    with warnings.catch_warnings():  # each once per process, as TORCH_WARN_ONCE
        warnings.simplefilter("error")
        ember.istft(s, 8, length=30)
        ember.stft(x, 8, return_complex=False)

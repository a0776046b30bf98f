"""The short-time Fourier transform and its inverse: ``ember.stft`` and ``ember.istft``.

Both follow ATen's ``SpectralOps.cpp`` step by step and are compositions of differentiable ops, so
their gradients (with respect to the signal and the window) are PyTorch's: ``stft`` pads the
signal (``F.pad``), cuts it into frames (an ``unfold`` view), multiplies by the window and takes
``r2c``/``c2c`` transforms; ``istft`` takes ``c2r``/``c2c`` inverse transforms, multiplies by the
window, overlap-adds the frames (``index_add``) and divides by the overlap-added squared window.
"""
import warnings

import numpy as np

from ember._backend import xp_of
from ember._ops import _fft
from ember._ops.complex_math import view_as_real
from ember._ops.scatter import index_add
from ember._ops.structured import unfold
from ember._tensor import methods, wrap

__all__ = ["stft", "istft"]

_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "uint8": "Byte", "int16": "Short", "int32": "Int", "int64": "Long",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_WARNED = set()  # TORCH_WARN_ONCE: each warning once per process


def _warn_once(key, message):
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def _type_str(t):
    """``torch.FloatTensor`` and its kin, as ATen's ``toString`` (``CPUComplexFloatType`` for
    complex tensors)."""
    name = t._data.dtype.name
    if t._data.dtype.kind == "c":
        return f"CPU{_TYPE_NAMES[name]}Type"
    return f"torch.{_TYPE_NAMES.get(name, name)}Tensor"


def _sizes(t):
    return "[" + ", ".join(str(n) for n in t.shape) + "]"


def _opt(v):
    return "None" if v is None else str(int(v))


def _window_str(window):
    return "None" if window is None else f"{_type_str(window)}{{{_sizes(window)}}}"


def _padded_window(window, win_length, n_fft, like):
    """The window (ones when None) zero-padded on both sides to ``n_fft``, centred as ATen's;
    None when no window is given and none is needed."""
    from ember.nn._functional.pad import pad
    if win_length == n_fft:
        return window
    left = (n_fft - win_length) // 2
    if window is None:
        window = wrap(xp_of(like._data).ones(win_length, like._data.dtype))
    return pad(window, (left, n_fft - win_length - left))


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """The short-time Fourier transform: the DFT of overlapping windowed frames of a signal.

    Args:
        input (Tensor): the signal, 1-D ``(L,)`` or batched 2-D ``(B, L)``, real or complex.
        n_fft (int): the frame (and FFT) size.
        hop_length (int, optional): the distance between frames. Default: ``n_fft // 4``.
        win_length (int, optional): the window size (``<= n_fft``; the window is zero-padded on
            both sides to ``n_fft``). Default: ``n_fft``.
        window (Tensor, optional): a 1-D window of ``win_length`` values. Default: ones.
        center (bool): pad the signal by ``n_fft // 2`` on both sides, so frame ``t`` is
            centred at ``t * hop_length``.
        pad_mode (str): the padding mode when ``center``: ``"reflect"``, ``"constant"``,
            ``"replicate"`` or ``"circular"``.
        normalized (bool): scale by ``1 / sqrt(n_fft)``.
        onesided (bool, optional): keep only the ``n_fft // 2 + 1`` non-negative frequencies
            (default for real input and window; not allowed for complex ones).
        return_complex (bool): a complex result, or (False, deprecated) a real one with a last
            dim of size 2. Required for real inputs.
        align_to_window (bool, optional): with ``center=False``, start the frames at the
            window's start instead of the padded window's.

    Shape:
        ``(B?, N, T)`` with ``N`` frequencies and ``T = 1 + L // hop_length`` frames
        (``1 + (L - n_fft) // hop_length`` without ``center``).

    Example::

        >>> x = ember.randn(1000)
        >>> ember.stft(x, 64, window=ember.hann_window(64), return_complex=True).shape
        ember.Size([33, 63])
    """
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        from ember.nn._functional.pad import pad
        signal_dim = input.dim()
        shape = tuple(input.shape)
        amount = int(n_fft // 2)
        input = pad(input.reshape((1,) * (3 - signal_dim) + shape), (amount, amount), pad_mode)
        input = input.reshape(tuple(input.shape)[len(input.shape) - signal_dim:])
    if window is None:
        _warn_once("stft window", (
            "A window was not provided. A rectangular window will be applied,which is known to "
            "cause spectral leakage. Other windows such as torch.hann_window or "
            "torch.hamming_window are recommended to reduce spectral leakage.To suppress this "
            "warning and use a rectangular window, explicitly set "
            "`window=torch.ones(n_fft, device=<device>)`."))
    hop_length = n_fft >> 2 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length

    def fail(what):
        raise RuntimeError(
            f"stft({_type_str(input)}{_sizes(input)}, n_fft={n_fft}, hop_length={hop_length}, "
            f"win_length={win_length}, window={_window_str(window)}, "
            f"normalized={int(normalized)}, onesided={_opt(onesided)}, "
            f"return_complex={_opt(given_complex)}, align_to_window={_opt(align_to_window)}) "
            f": {what}")

    given_complex = return_complex
    kind = input._data.dtype.kind
    is_complex = kind == "c" or (window is not None and window._data.dtype.kind == "c")
    if return_complex is None:
        if not is_complex:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        return_complex = True
    if not return_complex:
        _warn_once("stft return_complex", (
            "stft with return_complex=False is deprecated. In a future pytorch release, stft "
            "will return complex tensors for all inputs, and return_complex=False will raise "
            "an error.\nNote: you can still call torch.view_as_real on the complex output to "
            "recover the old return format."))
    if kind not in "fc":
        fail("expected a tensor of floating point or complex values")
    if input.dim() not in (1, 2):
        fail("expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        fail(f"expected 0 < n_fft < {length}, but got n_fft={win_length}")
    if hop_length <= 0:
        fail(f"expected hop_length > 0, but got hop_length={hop_length}")
    if win_length <= 0 or win_length > n_fft:
        fail(f"expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        fail(f"expected a 1D window tensor of size equal to win_length={win_length}, but got "
             f"window with size {_sizes(window)}")
    full_window = _padded_window(window, win_length, n_fft, x)
    if align_to_window:
        # NOTE: frames start where the (unpadded) window starts: 1 + (L - win_length) // hop
        # frames, the signal zero-padded where the padded window's zeros stick out
        from ember.nn._functional.pad import pad
        left = (n_fft - win_length) // 2
        n_frames = 1 + (length - win_length) // hop_length
        x = pad(x, (left, left + 1))
    else:
        n_frames = 1 + (length - n_fft) // hop_length
    frames = unfold(x, 1, n_fft, hop_length)[:, :n_frames]  # (batch, frames, n_fft) view
    if full_window is not None:
        frames = frames * full_window  # NOTE: a float32 window makes a half signal's frames float32
    if frames._data.dtype == np.float16:
        raise RuntimeError("MKL FFT doesn't support tensors of type: Half")
    onesided = (frames._data.dtype.kind != "c") if onesided is None else onesided
    norm = 1 if normalized else 0
    if frames._data.dtype.kind == "c":
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = _fft.c2c(frames, (2,), norm, True)
    else:
        out = _fft.r2c(frames, (2,), norm, bool(onesided))
    out = out.transpose(1, 2)
    if input.dim() == 1:
        out = out.squeeze(0)
    return out if return_complex else view_as_real(out)


def _overlap_add(frames, hop_length, out_len):
    """Sum ``frames`` ``(batch, T, n_fft)`` into ``(batch, out_len)``, frame ``t`` starting at
    ``t * hop_length`` (ATen's ``unfold_backward``)."""
    b, t, n = frames.shape
    xp = xp_of(frames._data)
    pos = (xp.arange(t)[:, None] * hop_length + xp.arange(n)[None, :]).reshape(-1)
    base = wrap(xp.zeros((b, out_len), frames._data.dtype))
    return index_add(base, 1, wrap(pos.astype(np.int64)), frames.reshape(b, t * n))


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """The inverse short-time Fourier transform: the signal whose :func:`stft` is ``input``
    (least squares: inverse DFT of each frame, windowed, overlap-added and divided by the
    overlap-added squared window).

    Args:
        input (Tensor): a complex STFT ``(B?, N, T)`` as :func:`stft` returns it.
        n_fft, hop_length, win_length, window, center, normalized: as given to :func:`stft`.
        onesided (bool, optional): whether ``input`` holds only the non-negative
            frequencies. Default: ``N != n_fft``.
        length (int, optional): the output length (trimmed or zero-padded to it).
        return_complex (bool): a complex signal (needs ``onesided=False``).

    The squared window overlap-added must not be (near) zero anywhere in the output (the
    NOLA condition); otherwise a RuntimeError is raised.

    Example::

        >>> w = ember.hann_window(64)
        >>> x = ember.randn(1000)
        >>> s = ember.stft(x, 64, window=w, return_complex=True)
        >>> ember.allclose(ember.istft(s, 64, window=w, length=1000), x, atol=1e-5)
        True
    """
    if window is None:
        _warn_once("istft window", (
            "A window was not provided. A rectangular window will be applied.Please provide "
            "the same window used by stft to make the inversion lossless.To suppress this "
            "warning and use a rectangular window, explicitly set "
            "`window=torch.ones(n_fft, device=<device>)`."))
    hop_length = n_fft >> 2 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if input._data.dtype.kind != "c":
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    given_onesided = onesided

    def fail(what):
        raise RuntimeError(
            f"istft({_type_str(input)}{_sizes(input)}, n_fft={n_fft}, "
            f"hop_length={hop_length}, win_length={win_length}, window={_window_str(window)}, "
            f"center={int(center)}, normalized={int(normalized)}, "
            f"onesided={_opt(given_onesided)}, "
            f"length={'None' if length is None else length}, "
            f"return_complex={int(return_complex)}) {what}")

    if input.numel() == 0:
        fail(": input tensor cannot be empty.")
    if input.dim() not in (2, 3):
        fail(f": expected a tensor with 3 or 4 dimensions, but got {input.dim() + 1}")
    n_frames, fft_size = input.shape[-1], input.shape[-2]
    expected_len = n_fft + hop_length * (n_frames - 1)
    given_onesided, onesided = onesided, fft_size != n_fft if onesided is None else onesided
    if onesided and n_fft // 2 + 1 != fft_size:
        fail(": expected the frequency dimension (3rd to the last) of the input tensor to "
             f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    if not onesided and n_fft != fft_size:
        fail(": expected the frequency dimension (3rd to the last) of the input tensor to "
             f"match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop_length <= win_length:
        fail(": expected 0 < hop_length <= win_length")
    if not 0 < win_length <= n_fft:
        fail(": expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        fail(": Invalid window shape. window has to be 1D and length of `win_length`")
    real_dt = _fft.REAL_OF[input._data.dtype]
    w = window if window is not None else wrap(xp_of(input._data).ones(win_length, real_dt))
    w = _padded_window(w, win_length, n_fft, w)
    x = input.unsqueeze(0) if input.dim() == 2 else input
    x = x.transpose(1, 2)  # (batch, frames, fft_size)
    norm = 1 if normalized else 2
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = _fft.c2c(x, (2,), norm, False)
    else:
        if window is not None and window._data.dtype.kind == "c":
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            x = x[:, :, :n_fft // 2 + 1]
        frames = _fft.c2r(x, (2,), norm, n_fft)
    y = _overlap_add(frames * w, hop_length, expected_len)
    env = _overlap_add((w * w).expand(1, n_frames, n_fft), hop_length, expected_len)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = -(n_fft // 2) if center else expected_len
    y, env = y[:, start:end], env[:, start:end]
    if not env.numel():
        raise RuntimeError("min(): Expected reduction dim to be specified for input.numel() == "
                           "0. Specify the reduction dim with the 'dim' argument.")
    if float(xp_of(env._data).abs(env._data).min()) < 1e-11:
        fail("window overlap add min: 1\n[ CPUBoolType{} ]")
    y = y / env
    if input.dim() == 2:
        y = y.squeeze(0)
    if end > expected_len:
        _warn_once("istft length", (
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings."))
        from ember.nn._functional.pad import pad
        y = pad(y, (0, end - expected_len))
    return y


methods(stft=stft, istft=istft)

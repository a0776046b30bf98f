"""``ember.testing``: PyTorch's ``torch.testing.assert_close`` and ``make_tensor``, so that test
suites written for torch run on ember.

``assert_close`` compares tensors (and NumPy arrays, Python numbers, and sequences and mappings
of them, item by item) by ``|actual - expected| <= atol + rtol * |expected|``, with PyTorch's
default tolerances per dtype, its attribute checks (shape, dtype, device, strides) and its
messages.
"""
import cmath
import collections.abc
import math

import numpy as np

from ember import _dtype
from ember._tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype name, as torch.testing's defaults
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


class _Failure(Exception):
    """A mismatch, with the path of the item where it occurred."""

    def __init__(self, message, kind=AssertionError):
        super().__init__(message)
        self.message, self.kind, self.path = message, kind, []


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close.

    Args:
        actual, expected: tensors, NumPy arrays, Python numbers, or sequences / mappings of them.
        rtol, atol (float, optional): relative and absolute tolerance; give both or neither
            (default: by dtype, e.g. 1.3e-6 and 1e-5 for float32, 0 for integers).
        equal_nan (bool): whether NaN equals NaN.
        check_device, check_dtype, check_stride (bool): also compare these attributes.
        msg (str or callable, optional): the message to raise instead of the generated one.

    Example::

        >>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
    """
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    opts = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, opts)
    except _Failure as f:
        if f.kind is not AssertionError:
            raise f.kind(f.message) from None
        text = f.message
        if callable(msg):
            text = msg(text)
        elif msg is not None:
            text = msg
        elif f.path:
            text += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in f.path)
        raise AssertionError(text) from None


def _is_number(x):
    return isinstance(x, (bool, int, float, complex, np.number, np.bool_))


def _compare(a, e, opts):
    if a is None or e is None:
        if not (a is None and e is None):
            raise _Failure(f"None mismatch: {a} is not {e}")
        return
    if isinstance(a, (bool, np.bool_)) and isinstance(e, (bool, np.bool_)):
        if bool(a) is not bool(e):
            raise _Failure(f"Booleans mismatch: {bool(a)} is not {bool(e)}")
        return
    if isinstance(a, Tensor) and isinstance(e, Tensor) or (
            isinstance(a, np.ndarray) and isinstance(e, np.ndarray)):
        return _compare_arrays(a, e, opts)
    if _is_number(a) and _is_number(e):
        return _compare_numbers(a, e, opts)
    if (isinstance(a, collections.abc.Sequence) and isinstance(e, collections.abc.Sequence)
            and not isinstance(a, str) and not isinstance(e, str)):
        if len(a) != len(e):
            raise _Failure(f"The length of the sequences mismatch: {len(a)} != {len(e)}")
        for i, (x, y) in enumerate(zip(a, e)):
            _at(i, x, y, opts)
        return
    if isinstance(a, collections.abc.Mapping) and isinstance(e, collections.abc.Mapping):
        if set(a) != set(e):
            raise _Failure(f"The keys of the mappings do not match:\nMissing keys in the actual "
                           f"mapping: {sorted(set(e) - set(a), key=repr)}\nAdditional keys in "
                           f"the actual mapping: {sorted(set(a) - set(e), key=repr)}")
        for k in e:
            _at(k, a[k], e[k], opts)
        return
    raise _Failure(f"No comparison pair was able to handle inputs of type {_type(a)} and "
                   f"{_type(e)}.", TypeError)


# the dtype whose default tolerances a Python number gets, as torch.testing's NumberPair
_NUMBER_DTYPES = {int: "int64", float: "float64", complex: "complex128"}


def _compare_numbers(a, e, opts):
    """Python numbers (NumPy scalars as their Python values), compared in Python."""
    a, e = (v.item() if isinstance(v, np.generic) else v for v in (a, e))
    if opts["check_dtype"] and type(a) is not type(e):
        raise _Failure(f"The (d)types do not match: {type(a)} != {type(e)}.")
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:
        pairs = [_TOLERANCES.get(_NUMBER_DTYPES.get(type(v), ""), (0.0, 0.0)) for v in (a, e)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    if a == e or (opts["equal_nan"] and cmath.isnan(a) and cmath.isnan(e)):
        return
    diff = abs(a - e)
    if cmath.isfinite(diff) and diff <= atol + rtol * abs(e):
        return
    _scalar_failure(a, e, rtol, atol, exact=isinstance(a, int) and isinstance(e, int))


def _scalar_failure(a, e, rtol, atol, exact):
    """torch.testing's message for two scalars (differences in Python arithmetic)."""
    diff = abs(a - e)
    rel = float("inf") if e == 0 else diff / abs(e)
    word = "equal" if exact and rtol == 0 and atol == 0 else "close"
    tol_abs = "" if exact else f" (up to {atol} allowed)"
    tol_rel = "" if exact else f" (up to {rtol} allowed)"
    raise _Failure(f"Scalars are not {word}!\n\nExpected {e} but got {a}.\n"
                   f"Absolute difference: {diff}{tol_abs}\nRelative difference: {rel}{tol_rel}")


def _type(x):
    return "<class 'ember.Tensor'>" if isinstance(x, Tensor) else repr(type(x))


def _at(key, a, e, opts):
    try:
        _compare(a, e, opts)
    except _Failure as f:
        f.path.insert(0, key)
        raise


def _attribute(name, a, e):
    raise _Failure(f"The values for attribute '{name}' do not match: {a} != {e}.")


def _compare_arrays(a, e, opts, scalar=False):
    if isinstance(a, Tensor):
        if a.shape != e.shape:
            _attribute("shape", a.shape, e.shape)
        if opts["check_device"] and a.device != e.device:
            _attribute("device", a.device, e.device)
        if opts["check_dtype"] and a.dtype != e.dtype:
            _attribute("dtype", a.dtype, e.dtype)
        if opts["check_stride"] and a.stride() != e.stride():
            _attribute("stride()", a.stride(), e.stride())
        scalar = a.ndim == 0
        a, e = a.detach().cpu().numpy(), e.detach().cpu().numpy()
    else:
        if a.shape != e.shape:
            _attribute("shape", a.shape, e.shape)
        if opts["check_dtype"] and a.dtype != e.dtype:
            _attribute("dtype", _dtype.from_numpy_dtype(a.dtype), _dtype.from_numpy_dtype(e.dtype))
        scalar = a.ndim == 0
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:  # (of two dtypes, the looser tolerances)
        pairs = [_TOLERANCES.get(v.dtype.name, (0.0, 0.0)) for v in (a, e)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    if a.dtype != e.dtype:  # PyTorch's promotion (int64 and float32 meet in float32)
        common = _dtype.promote_types(_dtype.from_numpy_dtype(a.dtype),
                                      _dtype.from_numpy_dtype(e.dtype)).np
        a, e = a.astype(common), e.astype(common)
    _check_values(a, e, rtol, atol, opts["equal_nan"], scalar)


def _check_values(a, e, rtol, atol, equal_nan, scalar):
    exact = a.dtype.kind in "biu"
    if exact:
        ok = a == e
    else:
        # as torch.isclose: equal, or a finite difference within the tolerance (so a finite
        # value is never close to an infinite one, whose allowed error is infinite too)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(a - e)
            ok = (a == e) | (np.isfinite(diff) & (diff <= atol + rtol * np.abs(e)))
        if equal_nan:
            ok |= np.isnan(a) & np.isnan(e)
    if ok.all():
        return
    if scalar:
        av, ev = a.reshape(-1)[0].item(), e.reshape(-1)[0].item()
        _scalar_failure(av, ev, rtol, atol, exact)
    word = "equal" if exact and rtol == 0 and atol == 0 else "close"
    with np.errstate(all="ignore"):
        if exact:  # (in int64, as PyTorch, so that unsigned differences do not wrap)
            diff = np.abs(a.astype(np.int64) - e.astype(np.int64))
            rel = (diff / np.abs(e.astype(np.int64))).astype(np.float32)
        else:
            diff = np.abs(a - e)
            rel = diff / np.abs(e)
        diff = np.where(ok, 0, diff)
        rel = np.where(ok, 0, rel)
    tol_abs = "" if exact else f" (up to {atol} allowed)"
    tol_rel = "" if exact else f" (up to {rtol} allowed)"
    bad = int((~ok).sum())
    ia, ir = _argmax(diff), _argmax(rel)
    raise _Failure(f"Tensor-likes are not {word}!\n\nMismatched elements: {bad} / {ok.size} "
                   f"({bad / ok.size:.1%})\n"
                   f"Greatest absolute difference: {_num(diff[ia])} at index {ia}{tol_abs}\n"
                   f"Greatest relative difference: {_num(rel[ir])} at index {ir}{tol_rel}")


def _argmax(d):
    """The index of the largest difference (NaN counts as largest), as a tuple."""
    flat = d.reshape(-1)
    nan = np.flatnonzero(np.isnan(flat)) if flat.dtype.kind == "f" else ()
    i = int(nan[0]) if len(nan) else int(np.argmax(flat))
    return tuple(int(v) for v in np.unravel_index(i, d.shape))


def _num(v):
    v = v.item() if hasattr(v, "item") else v
    return v


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` filled with random values in ``[low, high)`` (default ``[-9, 9)``
    for signed types, ``[0, 10)`` for uint8; bool: random truth values), as
    ``torch.testing.make_tensor``.

    Example::

        >>> ember.testing.make_tensor(2, 3, dtype=ember.float32, low=0, high=1)
    """
    from ember._ops._generator import default_generator
    from ember._ops.creation import tensor
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dt = _dtype.as_dtype(dtype)
    rng = default_generator._rng.g  # (NumPy's Generator behind ember's, so manual_seed holds)
    kind = dt.np.kind
    if kind == "b":
        arr = rng.random(shape) < 0.5
    else:
        lo_default = 0 if kind == "u" else -9
        lo = lo_default if low is None else low
        hi = (10 if kind == "u" else 9) if high is None else high
        if lo > hi:
            raise ValueError(f"low must be less than or equal to high, but got {lo} and {hi}")
        if kind in "iu":
            arr = rng.integers(math.ceil(lo), max(math.ceil(hi), math.ceil(lo) + 1), shape)
        else:
            arr = rng.uniform(lo, hi, shape)
            if kind == "c":
                arr = arr + 1j * rng.uniform(lo, hi, shape)
        if exclude_zero:
            one = 1 if kind in "iu" else np.finfo(dt.np).tiny
            arr = np.where(arr == 0, one, arr)
    t = tensor(np.asarray(arr).astype(dt.np), device=device)
    if noncontiguous and t.numel() > 1:
        wide = tensor(np.repeat(t.numpy()[..., None], 2, -1).reshape(*t.shape[:-1], -1),
                      device=device)
        t = wide[..., ::2]
    elif memory_format is not None:
        t = t.contiguous(memory_format=memory_format)
    return t.requires_grad_() if requires_grad else t

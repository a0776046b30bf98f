"""Printing tensors exactly as PyTorch does: ``tensor([1., 2.], requires_grad=True)``.

A port of ``torch/_tensor_str.py``: one formatter per tensor picks integer, fixed or scientific
notation and a common width from the values shown; more than ``threshold`` elements are summarised
with ``...``, keeping ``edgeitems`` at each end of every dimension. The values are formatted from a
NumPy copy of only the elements shown (a GPU tensor is summarised on the device first).
"""
import contextlib
import dataclasses
import math

import numpy as np

from ember import _dtype

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def type_name(t):
    """PyTorch's legacy type string: 'ember.FloatTensor', 'ember.cuda.LongTensor'."""
    base = _TYPE_NAMES[t.dtype.name]
    return f"ember.cuda.{base}" if t.is_cuda else f"ember.{base}"


def dtype_of_type_name(name):
    short = name.rsplit(".", 1)[-1]
    for k, v in _TYPE_NAMES.items():
        if v == short:
            return _dtype.as_dtype(k)
    raise ValueError(f"invalid type: '{name}'")


# ---- options -------------------------------------------------------------------------------------
@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set options for printing tensors.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: more elements than this are summarised with ``...`` (default 1000).
        edgeitems: items kept at each end of each dimension when summarising (default 3).
        linewidth: characters per line (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'`` (never summarise); other arguments
            override it.
        sci_mode: True or False forces scientific notation on or off; None (default) chooses.

    Example::

        ember.set_printoptions(precision=2)
        ember.set_printoptions(profile='default')
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, 1000
            PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
        elif profile == "short":
            PRINT_OPTS.precision, PRINT_OPTS.threshold = 2, 1000
            PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 80
        elif profile == "full":
            PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, math.inf
            PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict (accepted by :func:`set_printoptions`)."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a ``with`` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---- formatting values ---------------------------------------------------------------------------
class _Formatter:
    """Chooses how to write every value of one tensor (or of its real or imaginary part)."""

    def __init__(self, a):
        self.floating_dtype = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = a.reshape(-1)
        if not self.floating_dtype:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        with np.errstate(invalid="ignore"):
            vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals).astype(np.float64)
        lo, hi = absv.min(), absv.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        p = PRINT_OPTS.precision
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                         if PRINT_OPTS.sci_mode is None else PRINT_OPTS.sci_mode)
        values = vals.tolist()
        if self.sci_mode:
            fmt = f"{{:.{p}e}}"
            width = max(len(fmt.format(v)) for v in values)
        elif self.int_mode:
            # a float that holds integers is written '3.'; the '.' counts in the width
            width = max(len(f"{v:.0f}") for v in values) + 1
        else:
            fmt = f"{{:.{p}f}}"
            width = max(len(fmt.format(v)) for v in values)
        self.max_width = max(self.max_width, width)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{{:{self.max_width}.{PRINT_OPTS.precision}e}}".format(value)
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{{:.{PRINT_OPTS.precision}f}}".format(value)
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _complex_str(val, f1, f2):
    real_str = f1.format(val.real)
    imag_str = (f2.format(val.imag) + "j").lstrip()
    # handles negative numbers, +0.0, -0.0
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _val_str(val, f1, f2):
    return f1.format(val) if f2 is None else _complex_str(val, f1, f2)


def _vector_str(a, n, indent, summarize, f1, f2):
    """One row; ``a`` holds the values shown, ``n`` is the row's real length."""
    element_length = f1.width() + 2
    if f2 is not None:
        element_length += f2.width() + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and n > 2 * e:
        data = ([_val_str(v, f1, f2) for v in a[:e].tolist()] + [" ..."]
                + [_val_str(v, f1, f2) for v in a[-e:].tolist()])
    else:
        data = [_val_str(v, f1, f2) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _str_with_formatter(a, shape, indent, summarize, f1, f2=None):
    """``a`` holds the values shown (already summarised), ``shape`` is the tensor's real shape."""
    dim = a.ndim
    if dim == 0:
        return _val_str(a.item(), f1, f2)
    if dim == 1:
        return _vector_str(a, shape[0], indent, summarize, f1, f2)
    e = PRINT_OPTS.edgeitems
    sub = shape[1:]
    if summarize and shape[0] > 2 * e:
        slices = ([_str_with_formatter(a[i], sub, indent + 1, summarize, f1, f2) for i in range(e)]
                  + ["..."]
                  + [_str_with_formatter(a[i], sub, indent + 1, summarize, f1, f2)
                     for i in range(a.shape[0] - e, a.shape[0])])
    else:
        slices = [_str_with_formatter(a[i], sub, indent + 1, summarize, f1, f2)
                  for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a, xp):
    """The elements a summarised print shows (PyTorch's ``get_summarized_data``)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # NOTE: a[-0:] is the whole row, as in PyTorch (edgeitems=0 prints '...' regardless)
        return xp.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return xp.empty((0,) * a.ndim, a.dtype)
    rows = (list(range(e)) + list(range(a.shape[0] - e, a.shape[0]))
            if a.shape[0] > 2 * e else range(a.shape[0]))
    return xp.stack([_summarized(a[i], xp) for i in rows])


def _tensor_str(arr, indent):
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    shown = arr
    if summarize:
        from ember._backend import xp_of
        shown = _summarized(arr, xp_of(arr))
    if type(shown) is not np.ndarray:
        shown = shown.get()
    if shown.dtype == np.float16:
        shown = shown.astype(np.float32)  # the same values; float32 formats them as PyTorch does
    if shown.dtype.kind == "c":
        f1, f2 = _Formatter(shown.real), _Formatter(shown.imag)
        return _str_with_formatter(shown, arr.shape, indent, summarize, f1, f2)
    return _str_with_formatter(shown, arr.shape, indent, summarize, _Formatter(shown))


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    tensor_strs = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def tensor_repr(t):
    """``repr(t)``: PyTorch's ``_str_intern`` for strided tensors."""
    from ember._tensor import Tensor
    cls = type(t)
    # NOTE: Parameter prints as a plain tensor here; its own __repr__ adds 'Parameter containing:'
    prefix = "tensor(" if cls is Tensor or cls.__name__ == "Parameter" else f"{cls.__name__}("
    indent = len(prefix)
    suffixes = []
    arr = t._data
    if t.is_cuda:
        suffixes.append(f"device='{t.device}'")
    dt = t.dtype
    default = _dtype.get_default_dtype()
    has_default_dtype = dt in (default, default.to_complex(), _dtype.int64, _dtype.bool_)
    if arr.size == 0:
        # an empty tensor shows its shape unless it is (0,), and its dtype unless it is the default
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if not has_default_dtype:
            suffixes.append(f"dtype={dt!r}")
        tensor_str = _tensor_str(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)

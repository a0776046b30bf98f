"""dtypes and PyTorch's type-promotion rules.

An ember dtype wraps a NumPy dtype. Promotion follows PyTorch, not NumPy: a Python scalar never upcasts
a tensor of the same category (``int32_tensor + 2.5`` is float32, not float64), an ``int`` mixed with a
float tensor takes the float tensor's type, and zero-dim tensors count for less than dimensioned ones.
"""
import numpy as np


class dtype:
    """A tensor element type, e.g. ``ember.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_cat")

    def __init__(self, name, np_dtype, cat):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._cat = cat  # 0 bool, 1 integer, 2 floating, 3 complex: the promotion category
        self.is_floating_point = cat == 2
        self.is_complex = cat == 3
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_complex(self):
        return {"float32": complex64, "float64": complex128}.get(self.name, complex64)

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
# PyTorch's aliases
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
           "long": int64, "bool": bool_, "cfloat": complex64, "cdouble": complex128}


def _by_name(name):
    return _BY_NAME[name]


_default = [float32]


def get_default_dtype():
    """The dtype of floating-point tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d):
    """Set the default floating-point dtype (``ember.float32`` or ``ember.float64`` or float16)."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def from_numpy_dtype(np_dtype):
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported "
                        "types are: float64, float32, float16, complex64, complex128, int64, int32, "
                        "int16, int8, uint8, and bool.") from None


def as_dtype(d):
    """Accept an ember dtype, a NumPy dtype, a Python type (float, int, bool) or a name."""
    if isinstance(d, dtype):
        return d
    if d is float:  # as in PyTorch, the Python type float means float64, whatever the default
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        d = d.removeprefix("torch.").removeprefix("ember.")
        if d in ALIASES:
            return ALIASES[d]
        if d in _BY_NAME:
            return _BY_NAME[d]
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype ember supports") from None


def promote_types(a, b):
    """PyTorch's ``promote_types`` for two ember dtypes."""
    if a is b:
        return a
    if a._cat != b._cat:
        hi, lo = (a, b) if a._cat > b._cat else (b, a)
        # complex keeps a float64's precision: float64 + complex64 -> complex128
        return complex128 if hi is complex64 and lo is float64 else hi
    # within a category NumPy's table agrees with PyTorch's (uint8 + int8 -> int16)
    return _FROM_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(x):
    """The dtype PyTorch gives a Python scalar (``full((2,), 2.5)`` is float32); NumPy scalars count
    as the Python number of their kind, as in PyTorch."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    # NOTE: PyTorch reads a NumPy bool scalar as a float (full((), np.True_) is float32)
    if isinstance(x, (float, np.floating, np.bool_)):
        return _default[0]
    if isinstance(x, (complex, np.complexfloating)):
        return complex64 if _default[0] is not float64 else complex128
    raise TypeError(f"expected a number, got {type(x).__name__}")


def _combine(higher, lower):
    """PyTorch's ``combine_categories``: ``higher`` is the operand class that wins ties (dimensioned
    tensors over zero-dim tensors over Python scalars); ``lower`` counts only from a higher category."""
    if higher is None:
        return lower
    if lower is None or higher._cat == 3:
        return higher
    if lower._cat == 3:
        if higher._cat == 2:  # a float operand keeps its precision: float64 + 1j -> complex128
            # NOTE: PyTorch gives complex32 for float16; ember has no complex32 and uses complex64
            return complex128 if higher is float64 else complex64
        return lower
    if higher._cat == 2:
        return higher
    if higher is bool_ or lower._cat == 2:
        return promote_types(higher, lower)
    return higher


def result_type(dim_dtypes, zero_dim_dtypes=(), scalars=()):
    """Combine operand dtypes the way PyTorch's TensorIterator does.

    Dimensioned tensors win; zero-dim tensors count only when their category is higher; Python scalars
    only when theirs is higher still, and then as the default dtype of their category.
    """
    res = None
    for d in dim_dtypes:
        res = d if res is None else promote_types(res, d)
    zres = None
    for d in zero_dim_dtypes:
        zres = d if zres is None else promote_types(zres, d)
    sres = None
    for s in scalars:
        sd = scalar_dtype(s)
        sres = sd if sres is None else promote_types(sres, sd)
    return _combine(res, _combine(zres, sres))

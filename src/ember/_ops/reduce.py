"""Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, all/any, count_nonzero.

``dim`` is an int or a tuple of ints (``None``: every dim), negative dims count from the end, and
``keepdim=True`` keeps the reduced dims with size 1. Result dtypes follow PyTorch: sums and products
of integers and bools are int64, ``all``/``any`` give bool, ``argmax`` gives int64. Variance, norms
and logsumexp live in ``stats.py``, cumulative ops in ``scan.py``.
"""
import numpy as np

from ember import _dtype
from ember._backend import xp_of as _xp
from ember._ops._select import put_along, return_types, track_pair, torch_kwargs
from ember._ops._util import dims_arg, wrap_dim
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "all", "any", "count_nonzero", "return_types"]


# ---- shared helpers ------------------------------------------------------------------------------
def axes_of(d, dim):
    """The sorted axes to reduce (None: all). A 0-d array accepts dim 0 / -1 and reduces nothing."""
    axes = dims_arg(dim, d.ndim)
    return None if d.ndim == 0 else axes


def kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient (or result) back over the reduced axes."""
    if not keepdim and len(shape):
        g = g.reshape(kept_shape(shape, axes))
    return g.expand(shape)


def count(shape, axes):
    """How many elements each output element reduces."""
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


def keep(arr, shape, axes, keepdim):
    """A reduced array computed with keepdims=True, reshaped to what ``keepdim`` asks for."""
    if keepdim or not len(shape):
        return arr
    return arr.reshape(tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes))


def check_nonempty(d, axes, name, what="dim"):
    """PyTorch refuses max-like reductions (no identity) over an empty dim."""
    if d.size:
        return
    if axes is None:
        msg = (f"{name}(): Expected reduction dim to be specified for input.numel() == 0." +
               (" Specify the reduction dim with the 'dim' argument." if what == "dim" else ""))
        raise (IndexError if what == "arg" else RuntimeError)(msg)
    for a in axes:
        if d.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
               "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
               "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def type_name(np_dtype):
    """PyTorch's name of a scalar type in error messages (``Long`` for int64)."""
    return _TYPE_NAMES.get(np_dtype.name, np_dtype.name)


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def cpp_name(np_dtype):
    """The C++ name of a scalar type, which some PyTorch messages use (``long int`` for int64)."""
    return _CPP_NAMES.get(np_dtype.name, np_dtype.name)


def _int_to_long(d, dtype):
    """The accumulation dtype: ``dtype`` when given, int64 for integers and bools (as PyTorch)."""
    if dtype is not None:
        return _dtype.as_dtype(dtype).np
    if d.dtype.kind in "biu":
        return np.dtype(np.int64)
    return None


def _needs_grad(input, r):
    return STATE.enabled and input._rg and r.dtype.kind in "fc"


# ---- sum / mean ----------------------------------------------------------------------------------
class SumBackward0(Node):
    def backward(self, g):
        return expand_back(g, self.shape, self.axes, self.keepdim)


class SumBackward1(SumBackward0):
    """sum over ``dim`` (PyTorch names the two overloads' nodes apart)."""


@torch_kwargs("sum")
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over ``dim`` (int or tuple of ints).

    Integer and bool tensors are summed as int64 unless ``dtype`` says otherwise.

    Example::

        ember.ones(2, 3).sum(1)    # tensor([3., 3.])
    """
    d = input._data
    axes = axes_of(d, dim)
    nd = _int_to_long(d, dtype)
    if d.dtype == np.float16 and nd is None:  # accumulate half in float, as PyTorch does
        r = d.sum(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
    else:
        r = d.sum(axis=axes, keepdims=keepdim, dtype=nd)
    if _needs_grad(input, r):
        node = SumBackward0() if dim is None else SumBackward1()
        node.shape, node.axes, node.keepdim = d.shape, axes, keepdim
        return track(r, node, (input,))
    return wrap(r)


def sum_to(g, shape):
    """Sum ``g`` down to ``shape`` (undo broadcasting). The engine's one unbroadcast."""
    gs = g._data.shape
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and gs[i + lead] != 1)
    if axes:
        g = sum(g, axes, keepdim=True)
    return g.reshape(shape) if g._data.shape != shape else g


class MeanBackward0(Node):
    def backward(self, g):
        return expand_back(g, self.shape, self.axes, self.keepdim) / self.count


class MeanBackward1(MeanBackward0):
    """mean over ``dim``."""


@torch_kwargs("mean")
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements, or over ``dim``. Needs a floating-point input (or ``dtype``)."""
    d = input._data
    if dtype is None and d.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           "floating point or complex dtype. Got: "
                           f"{_dtype.from_numpy_dtype(d.dtype)}")
    axes = axes_of(d, dim)
    out_dt = d.dtype if dtype is None else _dtype.as_dtype(dtype).np
    acc = np.float32 if out_dt == np.float16 else out_dt
    n = count(d.shape, axes)
    with np.errstate(invalid="ignore", divide="ignore"):  # the mean of nothing is nan, quietly
        r = d.sum(axis=axes, keepdims=keepdim, dtype=acc) / np.dtype(acc).type(n)
    r = r.astype(out_dt, copy=False)
    if _needs_grad(input, r):
        node = MeanBackward0() if dim is None else MeanBackward1()
        node.shape, node.axes, node.keepdim, node.count = d.shape, axes, keepdim, n
        return track(r, node, (input,))
    return wrap(r)


class NansumBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        ge = expand_back(g, self.shape, self.axes, self.keepdim)
        with np.errstate(invalid="ignore"):  # nanmean of all-NaN: inf * 0 is NaN, quietly
            return ge * wrap(~np.isnan(x._data))


@torch_kwargs("nansum")
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """:func:`sum` treating NaN as zero."""
    d = input._data
    if d.dtype.kind not in "fc":
        return sum(input, dim, keepdim, dtype=dtype)
    axes = axes_of(d, dim)
    nd = _int_to_long(d, dtype)
    clean = _xp(d).where(np.isnan(d), 0, d)
    if d.dtype == np.float16 and nd is None:
        r = clean.sum(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
    else:
        r = clean.sum(axis=axes, keepdims=keepdim, dtype=nd)
    if _needs_grad(input, r):
        node = NansumBackward0()
        node.shape, node.axes, node.keepdim = d.shape, axes, keepdim
        node.save_for_backward(input)
        return track(r, node, (input,))
    return wrap(r)


@torch_kwargs("nanmean")
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """:func:`mean` of the non-NaN elements (NaN where there are none)."""
    d = input._data
    if d.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but "
                           f"got {type_name(d.dtype)}")
    n = (~np.isnan(d)).sum(axis=axes_of(d, dim), keepdims=keepdim)
    # NOTE: a composite, as in PyTorch (grad_fn DivBackward0)
    return nansum(input, dim, keepdim, dtype=dtype) / wrap(n)


# ---- prod ----------------------------------------------------------------------------------------
class ProdBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        shape, axes, keepdim = self.shape, self.axes, self.keepdim
        ge = expand_back(g, shape, axes, keepdim)
        if not (x._data == 0).any():
            d = expand_back(self.saved_output(), shape, axes, keepdim) / x
        else:  # NOTE: with zeros, out / x is 0/0: the product of the other elements instead
            from ember._ops.scan import prod_others
            d = (prod_others(x.reshape(-1), 0).reshape(shape) if axes is None
                 else prod_others(x, axes[0]))
        if d._data.dtype.kind == "c":  # PyTorch's complex convention: times the conjugate
            from ember._ops.complex_math import conj
            d = conj(d)
        return ge * d


class ProdBackward1(ProdBackward0):
    """prod over ``dim``."""


def _prod(input, axes, keepdim, dtype, node_cls=ProdBackward0):
    d = input._data
    nd = _int_to_long(d, dtype)
    r = d.prod(axis=axes, keepdims=keepdim, dtype=nd)
    if _needs_grad(input, r):
        node = node_cls()
        node.shape, node.axes, node.keepdim = d.shape, axes, keepdim
        node.save_for_backward(input)
        return track(r, node, (input,), save_out=True)
    return wrap(r)


@torch_kwargs("prod")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or over one ``dim``. Integers and bools give int64.

    The gradient is right with zeros in the input (the product of the other elements).
    """
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    axes = axes_of(input._data, dim)
    return _prod(input, axes, keepdim, dtype, ProdBackward0 if dim is None else ProdBackward1)


# ---- max / min -----------------------------------------------------------------------------------
def _evenly(x, out, axes):
    """The gradient weights of a max-like reduction: split evenly among the elements equal to the
    result (NaN results select the NaNs), as PyTorch's evenly_distribute_backward."""
    mask = x == out
    if x.dtype.kind == "f":
        out_nan = np.isnan(out)
        if out_nan.any():
            mask = mask | (np.isnan(x) & out_nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mask / mask.sum(axis=axes, keepdims=True)


class MaxBackward1(Node):
    """max() of all elements: the gradient is shared among ties."""

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * wrap(_evenly(x._data, self._r, None).astype(x._data.dtype))


class MinBackward1(MaxBackward1):
    pass


class MaxBackward0(Node):
    """max(dim): the gradient goes to the index that was returned."""

    _n_out = 2  # (values, indices); indices carry no gradient

    def backward(self, g, _=None):
        if not self.keepdim:
            g = g.reshape(self.index.shape)
        return put_along(g, self.index, self.axis, self.shape)


class MinBackward0(MaxBackward0):
    pass


def _extreme(input, dim, keepdim, name):
    d = input._data
    if dim is None:
        check_nonempty(d, None, name)
        r = d.max() if name == "max" else d.min()
        r = wrap(r)._data
        if _needs_grad(input, r):
            node = MaxBackward1() if name == "max" else MinBackward1()
            node.save_for_backward(input)
            node._r = r
            return track(r, node, (input,))
        return wrap(r)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    axis = wrap_dim(dim, d.ndim)
    if d.ndim == 0:
        idx, vals = _xp(d).zeros((), np.int64), d.copy()
    else:
        if d.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
        idx = (d.argmax if name == "max" else d.argmin)(axis=axis, keepdims=True).astype(np.int64)
        vals = _xp(d).take_along_axis(d, idx, axis)
    index = idx
    if not keepdim and d.ndim:
        vals, idx = vals.squeeze(axis), idx.squeeze(axis)
    cls = getattr(return_types, name)
    if _needs_grad(input, vals):
        node = MaxBackward0() if name == "max" else MinBackward0()
        node.index, node.axis, node.keepdim, node.shape = index, axis, keepdim, d.shape
        return cls(track(vals, node, (input,)), wrap(idx))
    return cls(wrap(vals), wrap(idx))


@torch_kwargs("max")
def max(input, dim=None, keepdim=False, *, other=None):
    """The largest element; with ``dim``, ``(values, indices)`` of the largest along it; with a
    tensor as second argument, the elementwise :func:`maximum`.

    Example::

        v, i = ember.max(ember.tensor([[1., 5.], [7., 2.]]), dim=1)   # [5., 7.], [1, 0]
    """
    if other is not None or isinstance(dim, Tensor):
        from ember._ops.compare import maximum
        return maximum(input, dim if other is None else other)
    return _extreme(input, dim, keepdim, "max")


@torch_kwargs("min")
def min(input, dim=None, keepdim=False, *, other=None):
    """The smallest element; with ``dim``, ``(values, indices)``; with a tensor, :func:`minimum`."""
    if other is not None or isinstance(dim, Tensor):
        from ember._ops.compare import minimum
        return minimum(input, dim if other is None else other)
    return _extreme(input, dim, keepdim, "min")


class AmaxBackward0(Node):
    def backward(self, g):
        (x,) = self.saved_tensors
        ge = expand_back(g, self.shape, self.axes, self.keepdim)
        return ge * wrap(_evenly(x._data, self._r, self.axes).astype(x._data.dtype))


class AminBackward0(AmaxBackward0):
    pass


def _amax(input, dim, keepdim, name):
    d = input._data
    axes = dims_arg(dim, d.ndim) if dim is not None else None
    check_nonempty(d, axes, name)
    axes = None if d.ndim == 0 else axes
    rk = (d.max if name == "amax" else d.min)(axis=axes, keepdims=True)
    r = keep(rk, d.shape, axes, keepdim)
    if _needs_grad(input, r):
        node = AmaxBackward0() if name == "amax" else AminBackward0()
        node.shape, node.axes, node.keepdim, node._r = d.shape, axes, keepdim, rk
        node.save_for_backward(input)
        return track(r, node, (input,))
    return wrap(r)


@torch_kwargs("amax")
def amax(input, dim=(), keepdim=False):
    """The largest values over ``dim`` (default: all dims). Unlike max(dim), the gradient is split
    evenly among equal maxima."""
    return _amax(input, dim, keepdim, "amax")


@torch_kwargs("amin")
def amin(input, dim=(), keepdim=False):
    """The smallest values over ``dim`` (default: all dims); the gradient is split among ties."""
    return _amax(input, dim, keepdim, "amin")


class AminmaxBackward0(Node):
    def backward(self, gmin, gmax):
        (x,) = self.saved_tensors
        res = None
        for g, r in ((gmin, self._rmin), (gmax, self._rmax)):
            if g is not None:
                ge = expand_back(g, self.shape, self.axes, self.keepdim)
                part = ge * wrap(_evenly(x._data, r, self.axes).astype(x._data.dtype))
                res = part if res is None else res + part
        return res


@torch_kwargs("aminmax")
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (default all) in one pass, as ``return_types.aminmax``."""
    d = input._data
    if dim is None:
        if not d.size:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        axes = None
    else:
        axes = axes_of(d, dim)
        if axes is not None and d.shape[axes[0]] == 0:
            raise IndexError(f"aminmax(): Expected reduction dim {axes[0]} to have non-zero size.")
    lo, hi = d.min(axis=axes, keepdims=True), d.max(axis=axes, keepdims=True)
    rlo, rhi = keep(lo, d.shape, axes, keepdim), keep(hi, d.shape, axes, keepdim)
    if _needs_grad(input, rlo):
        node = AminmaxBackward0()
        node.shape, node.axes, node.keepdim, node._rmin, node._rmax = d.shape, axes, keepdim, lo, hi
        node.save_for_backward(input)
        return return_types.aminmax(*track_pair(rlo, rhi, node, (input,)))
    return return_types.aminmax(wrap(rlo), wrap(rhi))


def _arg(input, dim, keepdim, name):
    d = input._data
    if d.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    fn = d.argmax if name == "argmax" else d.argmin
    if dim is None:
        check_nonempty(d, None, name, "arg")
        r = fn()
        if keepdim:
            r = _xp(d).asarray(r).reshape((1,) * d.ndim)
        return wrap(_xp(d).asarray(r, dtype=np.int64))
    axis = wrap_dim(dim, d.ndim)
    if d.ndim == 0:
        return wrap(_xp(d).zeros((), np.int64))
    check_nonempty(d, (axis,), name, "arg")
    return wrap(fn(axis=axis, keepdims=keepdim).astype(np.int64))


@torch_kwargs("argmax")
def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor when ``dim`` is None), as int64."""
    return _arg(input, dim, keepdim, "argmax")


@torch_kwargs("argmin")
def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor when ``dim`` is None), as int64."""
    return _arg(input, dim, keepdim, "argmin")


# ---- logical reductions --------------------------------------------------------------------------
def _logical(input, dim, keepdim, name):
    d = input._data
    axes = axes_of(d, dim)
    r = (d.all if name == "all" else d.any)(axis=axes, keepdims=keepdim)
    r = wrap(r)._data
    # NOTE: PyTorch keeps uint8 for uint8 input (backward compatibility); everything else is bool
    return wrap(r.astype(np.uint8) if d.dtype == np.uint8 else r)


@torch_kwargs("all")
def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``) is nonzero; empty reductions give True."""
    return _logical(input, dim, keepdim, "all")


@torch_kwargs("any")
def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``) is nonzero; empty reductions give False."""
    return _logical(input, dim, keepdim, "any")


@torch_kwargs("count_nonzero", out=False)
def count_nonzero(input, dim=None):
    """Number of nonzero elements over ``dim`` (int or tuple; default all), as int64."""
    d = input._data
    axes = axes_of(d, dim)
    r = (d != 0).sum(axis=axes, dtype=np.int64)
    return wrap(r)


methods(sum=sum, mean=mean, nansum=nansum, nanmean=nanmean, prod=prod, max=max, min=min,
        amax=amax, amin=amin, aminmax=aminmax, argmax=argmax, argmin=argmin, all=all, any=any,
        count_nonzero=count_nonzero)

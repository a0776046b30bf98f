"""Complex numbers: ``real``, ``imag``, ``view_as_real``, ``view_as_complex``, ``complex``, ``polar``,
``conj``, ``angle`` and the ``Tensor.real`` / ``Tensor.imag`` properties.

Gradients follow PyTorch's convention for complex autograd: the gradient of a complex tensor is
``dL/d(re) + i dL/d(im)`` for a real loss ``L`` (the conjugate Wirtinger derivative, times two),
so ``real`` passes its (real) gradient back unchanged, ``imag`` passes ``i * g``, and the chain rule
through a holomorphic ``f`` multiplies by ``conj(f')``. A complex gradient reaching a real input
keeps its real part (the engine does that).

NOTE: PyTorch's ``conj`` sets a lazy conjugate bit; ember conjugates eagerly (``is_conj`` is always
False), which gives the same values and gradients.
"""
import math

import numpy as np

from ember._ops._arith import _out
from ember._tensor import Tensor, methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["real", "imag", "view_as_real", "view_as_complex", "complex", "polar", "conj",
           "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "angle"]

_REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_OF = {v: k for k, v in _REAL_OF.items()}
_SCALAR_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _name(arr):
    return _SCALAR_NAME.get(arr.dtype.name, arr.dtype.name)


def _is_complex(t):
    return t._data.dtype.kind == "c"


# ---- real / imag ---------------------------------------------------------------------------------
class RealBackward0(Node):
    def backward(self, g):
        return g  # the engine casts it to the input's complex dtype (imaginary part 0)


class ImagBackward0(Node):
    def backward(self, g):
        return g * 1j


def real(input):
    """The real part of a complex tensor, as a view (a real tensor is returned as it is).

    Args:
        input (Tensor): the input tensor.

    Example::

        >>> ember.real(ember.tensor([1 + 2j]))
        tensor([1.])
    """
    if not _is_complex(input):
        return input
    node = RealBackward0() if STATE.enabled and input._rg else None
    return view_of(input._data.real, input, node)


def imag(input):
    """The imaginary part of a complex tensor, as a view.

    Args:
        input (Tensor): the input tensor (complex).

    Example::

        >>> ember.imag(ember.tensor([1 + 2j]))
        tensor([2.])
    """
    if not _is_complex(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    node = ImagBackward0() if STATE.enabled and input._rg else None
    return view_of(input._data.imag, input, node)


# ---- view_as_real / view_as_complex ----------------------------------------------------------------
class ViewAsRealBackward0(Node):
    def backward(self, g):
        return view_as_complex(g.contiguous())


class ViewAsComplexBackward0(Node):
    def backward(self, g):
        return view_as_real(g)


def view_as_real(input):
    """A complex tensor seen as a real one with a last dimension of size 2 (real, imaginary).

    Args:
        input (Tensor): the input tensor (complex).

    Example::

        >>> ember.view_as_real(ember.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    x = input._data
    if x.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    try:
        arr = x[..., None].view(_REAL_OF[x.dtype])
    except ValueError:  # a last dimension of stride != 1: a copy (PyTorch gives a strided view)
        arr = np.stack([x.real, x.imag], -1)
    node = ViewAsRealBackward0() if STATE.enabled and input._rg else None
    return view_of(arr, input, node)


def view_as_complex(input):
    """A real tensor with a last dimension of size 2 seen as a complex tensor.

    Args:
        input (Tensor): the input tensor (float32 or float64), shape ``(..., 2)``.

    Example::

        >>> ember.view_as_complex(ember.tensor([[1., 2.]]))
        tensor([1.+2.j])
    """
    x = input._data
    if x.dtype not in _COMPLEX_OF:
        raise RuntimeError("view_as_complex is only supported for float and double tensors, but "
                           f"got a tensor of scalar type: {_name(x)}")
    if x.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if x.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if x.strides[-1] != x.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    try:
        arr = x.view(_COMPLEX_OF[x.dtype])[..., 0]
    except ValueError:  # (an odd stride elsewhere: a copy)
        arr = np.ascontiguousarray(x).view(_COMPLEX_OF[x.dtype])[..., 0]
    node = ViewAsComplexBackward0() if STATE.enabled and input._rg else None
    return view_of(arr, input, node)


# ---- complex / polar -------------------------------------------------------------------------------
class ComplexBackward0(Node):
    def backward(self, g):
        return (real(g) if self._next[0] is not None else None,
                imag(g) if self._next[1] is not None else None)


def complex(real, imag, *, out=None):
    """A complex tensor from its real and imaginary parts (broadcast together).

    Args:
        real (Tensor): the real part (float32 or float64).
        imag (Tensor): the imaginary part, of the same dtype.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.complex(ember.tensor([1.]), ember.tensor([2.]))
        tensor([1.+2.j])
    """
    a, b = real._data, imag._data
    if a.dtype not in _COMPLEX_OF or b.dtype not in _COMPLEX_OF:
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_name(a)} and {_name(b)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_name(a)} but got scalar type "
                           f"{_name(b)} for second argument")
    shape = np.broadcast_shapes(a.shape, b.shape)
    r = np.empty(shape, _COMPLEX_OF[a.dtype])
    r.real, r.imag = a, b
    if STATE.enabled and (real._rg or imag._rg):
        return _out(track(r, ComplexBackward0(), (real, imag)), out)
    return _out(wrap(r), out)


def polar(abs, angle, *, out=None):
    """The complex tensor ``abs * (cos(angle) + i sin(angle))``.

    Args:
        abs (Tensor): the magnitudes (float32 or float64).
        angle (Tensor): the angles, of the same dtype.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.polar(ember.tensor([2.]), ember.tensor([0.]))
        tensor([2.+0.j])
    """
    if abs._data.dtype not in _COMPLEX_OF or angle._data.dtype not in _COMPLEX_OF:
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_name(abs._data)} and {_name(angle._data)}")
    return complex(abs * angle.cos(), abs * angle.sin(), out=out)  # gradients by composition


# ---- conj ------------------------------------------------------------------------------------------
class ConjBackward0(Node):
    def backward(self, g):
        return conj(g)


class ConjPhysicalBackward0(ConjBackward0):
    pass


def _conj(input, node_cls):
    if not _is_complex(input):
        return input
    r = np.conj(input._data)
    if STATE.enabled and input._rg:
        return track(r, node_cls(), (input,))
    return wrap(r)


def conj(input):
    """The complex conjugate (a real tensor is returned as it is).

    Args:
        input (Tensor): the input tensor.

    Example::

        >>> ember.conj(ember.tensor([1 + 2j]))
        tensor([1.-2.j])
    """
    return _conj(input, ConjBackward0)


def conj_physical(input, *, out=None):
    """The complex conjugate, computed now (the same as :func:`conj` in ember).

    Args:
        input (Tensor): the input tensor.
        out (Tensor, optional): the output tensor.
    """
    return _out(_conj(input, ConjPhysicalBackward0), out)


def resolve_conj(input):
    """``input`` itself: ember never holds a lazy conjugate bit."""
    return input


def resolve_neg(input):
    """``input`` itself: ember never holds a lazy negative bit."""
    return input


def is_conj(input):
    """False: ember conjugates eagerly (PyTorch's lazy conjugate bit is never set)."""
    return False


# ---- angle -----------------------------------------------------------------------------------------
class AngleBackward0(Node):
    def backward(self, g):
        from ember._ops.compare import where
        (x,) = self.saved_tensors
        if not _is_complex(x):
            return g * 0
        # d angle = (x dy - y dx) / |z|^2: the gradient is g * i z / |z|^2 (0 at z = 0), built
        # from ops so that it has a gradient itself (double backward)
        a2 = real(x * conj(x))
        return where(wrap(x._data == 0), 0.0, g * x / a2 * 1j)


def angle(input, *, out=None):
    """The argument (phase) of each element, in radians: ``atan2(imag, real)`` for complex input;
    0 or pi for real input.

    Args:
        input (Tensor): the input tensor.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.angle(ember.tensor([1j, -1.]))
        tensor([1.5708, 3.1416])
    """
    x = input._data
    if x.dtype.kind == "c":
        r = np.angle(x)
    else:
        if x.dtype.kind not in "fc":
            from ember._dtype import get_default_dtype
            x = x.astype(get_default_dtype().np)
        r = np.where(x < 0, x.dtype.type(math.pi), np.where(np.isnan(x), x, 0)).astype(x.dtype)
    if STATE.enabled and input._rg:
        node = AngleBackward0()
        node.save_for_backward(input)
        return _out(track(r, node, (input,)), out)
    return _out(wrap(r), out)


Tensor.real = property(real, doc="The real part (a view); see :func:`ember.real`.")
Tensor.imag = property(imag, doc="The imaginary part (a view); see :func:`ember.imag`.")
methods(conj=conj, conj_physical=conj_physical, resolve_conj=resolve_conj,
        resolve_neg=resolve_neg, is_conj=is_conj, angle=angle)

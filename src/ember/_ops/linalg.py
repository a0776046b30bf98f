"""Matrix products: ``matmul`` (``@``), ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``, the fused
``addmm``/``addmv``/``baddbmm``, and ``einsum``.

PyTorch's matrix products do not promote dtypes: mixing float32 and float64 is an error, as here.
Backward formulas are matrix products themselves (``g @ b.mT``), so double backward works; gradients
over broadcast batch dimensions are summed back by the engine.
"""
import numpy as np

from ember._ops._arith import _out as _arith_out
from ember._tensor import Tensor, methods, track, view_of, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "baddbmm", "addbmm", "einsum", "tensordot"]

# PyTorch's names for dtypes in its error messages: ScalarType names and C++ type names
_SCALAR_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_CPP_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
             "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
             "bool": "bool", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}


def _sname(arr):
    return _SCALAR_NAME[arr.dtype.name]


def _check_tensor(x, fn, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _no_bool(arr, kernel):
    if arr.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


# ---- a private transpose of the last two dims (the backward formulas need it) --------------------
class TransposeBackward0(Node):
    def backward(self, g):
        return _mT(g)


def _mT(t):
    """``t.mT`` as a view, recorded for autograd: the backward formulas' transpose."""
    r = t._data.swapaxes(-1, -2)
    return view_of(r, t, TransposeBackward0() if STATE.enabled and t._rg else None)


def _unsqueeze(t, axis):
    s = t._data.shape
    axis = axis % (len(s) + 1)
    return t.reshape(s[:axis] + (1,) + s[axis:])


# ---- matmul --------------------------------------------------------------------------------------
class MmBackward0(Node):
    """Backward of every matmul shape case; ``kind`` says which: 'mm' (both >= 2-D), 'mv' (vector on
    the right), 'vm' (vector on the left), 'dot' (both 1-D)."""

    kind = "mm"

    def backward(self, g):
        a, b = self.saved_tensors
        if g._data.dtype.kind == "c":  # PyTorch's convention: g @ b^H and a^H @ g
            a, b = _conj_saved(a), _conj_saved(b)
        ga = gb = None
        kind = self.kind
        if kind == "mm":
            if self._next[0] is not None:
                ga = matmul(g, _mT(b))
            if self._next[1] is not None:
                gb = matmul(_mT(a), g)
        elif kind == "mv":       # (..., n, k) @ (k,) -> (..., n)
            if self._next[0] is not None:
                ga = _unsqueeze(g, -1) * b
            if self._next[1] is not None:
                gb = matmul(_unsqueeze(g, -2), a).reshape(g._data.shape[:-1] + b._data.shape)
        elif kind == "vm":       # (k,) @ (..., k, m) -> (..., m)
            if self._next[0] is not None:
                ga = matmul(b, _unsqueeze(g, -1)).reshape(g._data.shape[:-1] + a._data.shape)
            if self._next[1] is not None:
                gb = _unsqueeze(a, -1) * _unsqueeze(g, -2)
        else:                    # dot: g is 0-d
            if self._next[0] is not None:
                ga = g * b
            if self._next[1] is not None:
                gb = g * a
        return ga, gb


def _conj_saved(t):
    """The conjugate of a saved factor (None stays None)."""
    if t is None or t._data.dtype.kind != "c":
        return t
    from ember._ops.complex_math import conj
    return conj(t)


# PyTorch names the grad_fn after the kernel matmul dispatched to
class MvBackward0(MmBackward0):
    kind = "mv"


class DotBackward0(MmBackward0):
    kind = "dot"


class SqueezeBackward4(MmBackward0):
    kind = "vm"


class UnsafeViewBackward0(MmBackward0):
    kind = "mm"


class _UnsafeViewMv(MmBackward0):
    kind = "mv"

    def name(self):
        return "UnsafeViewBackward0"


class BmmBackward0(MmBackward0):
    kind = "mm"


def _mismatch_dtype(ad, bd, a1, b1):
    if a1 and b1:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_sname(ad)} and {_sname(bd)}")
    if b1:
        raise RuntimeError(f"expected scalar type {_sname(ad)} but found {_sname(bd)}")
    raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                       f"{_CPP_NAME[ad.dtype.name]} != {_CPP_NAME[bd.dtype.name]}")


def _matmul_shape_error(ad, bd):
    """Raise PyTorch's error for operands whose inner dimensions do not match."""
    sa, sb = ad.shape, bd.shape
    if ad.ndim == 1 and bd.ndim == 1:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] "
                           f"to have the same number of elements, but got {sa[0]} and {sb[0]} "
                           "elements respectively")
    if bd.ndim == 1:
        rows = int(np.prod(sa[:-1]))
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec "
                           f"({sb[0]})")
    if bd.ndim == 2:  # PyTorch folds the batch of a into rows and calls mm
        rows = int(np.prod(sa[:-1]))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and "
                           f"{sb[0]}x{sb[1]})")
    batch = np.broadcast_shapes(sa[:-2], sb[:-2]) if ad.ndim > 1 else sb[:-2]
    n = int(np.prod(batch))
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                       f"[{n}, {sa[-1]}] but got: [{n}, {sb[-2]}].")


def _broadcast_error(sa, sb):
    # the first (from the right) batch dimension that does not broadcast, as PyTorch reports it
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if sa[i] != sb[i] and sa[i] != 1 and sb[i] != 1:
            raise RuntimeError(f"The size of tensor a ({sa[i]}) must match the size of tensor b "
                               f"({sb[i]}) at non-singleton dimension {i}")


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's shape rules: 1-D x 1-D is a dot product, a 1-D operand is
    treated as a row (left) or column (right) vector and that dimension removed from the result,
    and batch dimensions broadcast.

    Args:
        input: tensor of at least one dimension.
        other: tensor of at least one dimension, of the same dtype.

    Example::

        ember.matmul(ember.ones(10, 2, 3), ember.ones(3, 4)).shape   # ember.Size([10, 2, 4])
    """
    return _matmul(input, other, out)


def _matmul(input, other, out, node_cls=None):
    try:
        ad = input._data
        bd = other._data
    except AttributeError:
        _check_tensor(input, "matmul", "input", 1)
        _check_tensor(other, "matmul", "other", 2)
        raise
    dt, sa, sb = ad.dtype, ad.shape, bd.shape
    na, nb = len(sa), len(sb)
    if (dt is bd.dtype or dt == bd.dtype) and na > 1 and nb > 1 and sa[-1] == sb[-2] \
            and dt.kind != "b":
        # the hot path (Linear layers): same dtype, matrices, matching inner dims
        try:
            r = ad @ bd
        except ValueError:
            _broadcast_error(sa[:-2], sb[:-2])
            raise
    else:
        r = _matmul_slow(ad, bd, na, nb)
    if STATE.enabled and (input._rg or other._rg):
        if node_cls is not None:
            node = node_cls()
        elif na == 2 and nb == 2:
            node = MmBackward0()
        elif na >= 2 and nb >= 2:
            node = UnsafeViewBackward0()
        elif na == 1 and nb == 1:
            node = DotBackward0()
        elif nb == 1:
            node = MvBackward0() if na == 2 else _UnsafeViewMv()
        else:
            node = SqueezeBackward4()
        node.save_for_backward(input if other._rg else None, other if input._rg else None)
        r = track(r, node, (input, other))
    else:
        r = wrap(r)
    return r if out is None else _out(r, out)


def _matmul_slow(ad, bd, na, nb):
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D "
                           f"and {nb}D")
    if ad.dtype != bd.dtype:
        _mismatch_dtype(ad, bd, na == 1, nb == 1)
    if na > 2 and nb > 2:
        _broadcast_error(ad.shape[:-2], bd.shape[:-2])
    if ad.shape[-1] != bd.shape[-2 if nb > 1 else -1]:
        _matmul_shape_error(ad, bd)
    if ad.dtype == np.bool_:
        _no_bool(ad, "dot" if na == 1 and nb == 1 else "addmv_impl_cpu" if nb == 1 else
                 "addmm_impl_cpu_")
    return np.matmul(ad, bd)


def _out(r, out):
    return _arith_out(r, out, exact=True)


def mm(input, mat2, *, out=None):
    """Product of two matrices: ``(n, k) @ (k, m) -> (n, m)``, without broadcasting."""
    _check_tensor(input, "mm", "input", 1)
    _check_tensor(mat2, "mm", "mat2", 2)
    ad, bd = input._data, mat2._data
    if ad.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if bd.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({ad.shape[0]}x{ad.shape[1]} and {bd.shape[0]}x{bd.shape[1]})")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched matrix product: ``(b, n, k) @ (b, k, m) -> (b, n, m)``, without broadcasting."""
    _check_tensor(input, "bmm", "input", 1)
    _check_tensor(mat2, "bmm", "mat2", 2)
    ad, bd = input._data, mat2._data
    if ad.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if bd.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if bd.shape[:2] != (ad.shape[0], ad.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{ad.shape[0]}, {ad.shape[2]}] but got: "
                           f"[{bd.shape[0]}, {bd.shape[1]}].")
    if ad.dtype != bd.dtype:
        raise RuntimeError(f"expected scalar type {_sname(ad)} but found {_sname(bd)}")
    _no_bool(ad, "bmm")
    return _matmul(input, mat2, out, BmmBackward0)


def mv(input, vec, *, out=None):
    """Matrix-vector product: ``(n, k) @ (k,) -> (n,)``."""
    _check_tensor(input, "mv", "input", 1)
    _check_tensor(vec, "mv", "vec", 2)
    ad, bd = input._data, vec._data
    if ad.ndim != 2 or bd.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {ad.ndim}, {bd.ndim}")
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({ad.shape[0]}), mat "
                           f"({ad.shape[0]}x{ad.shape[1]}), vec ({bd.shape[0]})")
    if ad.dtype != bd.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_sname(ad)}, "
                           f"{_sname(ad)}, and {_sname(bd)}")
    return matmul(input, vec, out=out)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    _check_tensor(input, "dot", "input", 1)
    _check_tensor(tensor, "dot", "tensor", 2)
    ad, bd = input._data, tensor._data
    if ad.ndim != 1 or bd.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {ad.ndim}D and {bd.ndim}D tensors")
    return matmul(input, tensor, out=out)


def vdot(input, other, *, out=None):
    """Like :func:`dot`, conjugating ``input`` first (the same for real tensors)."""
    if input.is_complex():
        input = input.conj()
    return dot(input, other, out=out)


def inner(input, other, *, out=None):
    """Sum of products over the last dimension of both inputs."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    if other.dim() == 1:
        return matmul(input, other, out=out)
    r = tensordot(input, other, ([-1], [-1]))
    return r if out is None else _out(r, out)


def outer(input, vec2, *, out=None):
    """Outer product of two 1-D tensors: ``input[i] * vec2[j]`` (dtypes promote)."""
    _check_tensor(input, "outer", "input", 1)
    _check_tensor(vec2, "outer", "vec2", 2)
    for name, t in (("vec1", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    r = input.reshape(input._data.shape[0], 1) * vec2
    return r if out is None else _out(r, out)


ger = outer


# ---- fused multiply-add: beta * input + alpha * (product) ----------------------------------------
class AddmmBackward0(Node):
    vec = False  # AddmvBackward0: the second factor is a vector

    def backward(self, g):
        m1, m2 = self.saved_tensors
        if g._data.dtype.kind == "c":  # (see MmBackward0)
            m1, m2 = _conj_saved(m1), _conj_saved(m2)
        gi = g1 = g2 = None
        if self._next[0] is not None:
            gi = g if self.beta == 1 else g * self.beta
        ga = g if self.alpha == 1 else g * self.alpha
        vec = self.vec
        if self._next[1] is not None:
            g1 = _unsqueeze(ga, -1) * m2 if vec else matmul(ga, _mT(m2))
        if self._next[2] is not None:
            g2 = matmul(_mT(m1), ga)
        return gi, g1, g2


class AddmvBackward0(AddmmBackward0):
    vec = True


class BaddbmmBackward0(AddmmBackward0):
    pass



def _expand_error(ishape, target):
    """PyTorch's error for an ``input`` that does not broadcast to the product's shape."""
    if len(ishape) > len(target):
        raise RuntimeError(f"expand({list(ishape)}, size={list(target)}): the number of sizes "
                           f"provided ({len(target)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(ishape)})")
    lead = len(target) - len(ishape)
    for i, n in enumerate(ishape):
        if n != 1 and n != target[i + lead]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i + lead]}) must match "
                               f"the existing size ({n}) at non-singleton dimension {i + lead}.  "
                               f"Target sizes: {list(target)}.  Tensor sizes: {list(ishape)}")


def _scaled(arr, c):
    # NOTE: PyTorch casts alpha and beta to the tensor's dtype (0.5 is 0 for an integer product);
    # a NumPy scalar of the array's dtype keeps float32 float32
    return arr * arr.dtype.type(c)


def _fused(input, prod, beta, alpha, node_cls, a, b, mname):
    """``beta * input + alpha * prod`` where ``prod = a @ b`` (arrays); ``beta == 0`` ignores input
    (NaNs in it included), as in PyTorch."""
    _check_tensor(input, mname, "input", 1)
    pd = prod if alpha == 1 else _scaled(prod, alpha)
    idata = input._data
    if idata.dtype != pd.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_sname(idata)} and "
                           f"{_sname(pd)}")
    if idata.shape != pd.shape:
        try:
            if np.broadcast_shapes(idata.shape, pd.shape) != pd.shape:
                raise ValueError
        except ValueError:
            _expand_error(idata.shape, pd.shape)
    r = pd if beta == 0 else pd + (idata if beta == 1 else _scaled(idata, beta))
    if STATE.enabled and (input._rg or a._rg or b._rg):
        node = node_cls()
        node.beta, node.alpha = beta, alpha
        node.save_for_backward(a if b._rg else None, b if a._rg else None)
        return track(r, node, (input, a, b))
    return wrap(r)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``, with ``input`` broadcast to the product's shape.

    Example::

        ember.addmm(bias, x, weight.t())   # what a Linear layer computes
    """
    with _no_record():
        prod = mm(mat1, mat2)._data
    r = _fused(input, prod, beta, alpha, AddmmBackward0, mat1, mat2, "addmm")
    return r if out is None else _out(r, out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    with _no_record():
        prod = mv(mat, vec)._data
    r = _fused(input, prod, beta, alpha, AddmvBackward0, mat, vec, "addmv")
    return r if out is None else _out(r, out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    with _no_record():
        prod = bmm(batch1, batch2)._data
    r = _fused(input, prod, beta, alpha, BaddbmmBackward0, batch1, batch2, "baddbmm")
    return r if out is None else _out(r, out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2).sum(0)``."""
    r = bmm(batch1, batch2).sum(0)
    r = r if alpha == 1 else r * alpha
    r = r + (input if beta == 1 else input * beta) if beta != 0 else r
    return r if out is None else _out(r, out)


class _no_record:
    """Compute a product without recording it (the fused op records itself)."""

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev


def tensordot(a, b, dims=2, out=None):
    """Sum of products over ``dims``: an int (the last ``dims`` of ``a`` with the first of ``b``) or
    two lists of dims."""
    na, nb = a.dim(), b.dim()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else [int(d) % max(na, 1) for d in da]
        db = [db] if isinstance(db, int) else [int(d) % max(nb, 1) for d in db]
        da, db = [d % max(na, 1) for d in da], [d % max(nb, 1) for d in db]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    keep = [s for i, s in enumerate(sa) if i not in da] + [s for j, s in enumerate(sb)
                                                           if j not in db]
    r = einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(keep)}", a, b)
    return r if out is None else _out(r, out)


def _dunder_matmul(self, other):
    if isinstance(other, Tensor):
        return _matmul(self, other, None)
    return NotImplemented


def _dunder_rmatmul(self, other):
    if isinstance(other, Tensor):
        return _matmul(other, self, None)
    return NotImplemented


from ember._ops.einsum import einsum  # noqa: E402

methods(
    matmul=matmul, mm=mm, bmm=bmm, mv=mv, dot=dot, vdot=vdot, inner=inner, outer=outer, ger=ger,
    addmm=addmm, addmv=addmv, baddbmm=baddbmm, addbmm=addbmm,
    __matmul__=_dunder_matmul, __rmatmul__=_dunder_rmatmul,
)

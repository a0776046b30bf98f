"""Convolutions: ``convolution``, ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``, and the im2col pair
behind ``F.unfold`` / ``F.fold``.

Convolution is one primitive (PyTorch's ``ConvolutionBackward0``), forward and backward, because a
composition of views, products and sums would materialise a copy per kernel offset and cost several
times the memory and time. The array work is in :mod:`ember._ops._im2col`: im2col on a strided view
plus one matrix product per group, a few images at a time (``_conv_chunks``); backward recomputes
the columns chunk by chunk instead of keeping them (they are ``prod(kernel)`` times the input and
recomputing them in cache is almost free), computes only the
gradients needed, and when recording (``create_graph=True``) builds the gradients from these same
primitives (a transposed convolution for the input, ``_weight_grad`` for the weight) so that
higher derivatives work.
"""
import builtins

import numpy as np

from ember._ops import _conv_chunks as C_
from ember._ops import _im2col as K_
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["convolution", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_SNAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
          "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
          "int32": "int"}


# ---- the primitives ------------------------------------------------------------------------------
class ConvolutionBackward0(Node):
    """Backward of :func:`_conv`. A convolution's input gradient is a transposed convolution of
    the output gradient and vice versa; both weight gradients are the same correlation."""

    def backward(self, gy):
        x, w = self.saved_tensors
        nx, nw, nb = (e is not None for e in self._next)
        g, groups = self.geom, self.groups
        if STATE.enabled:  # create_graph: differentiable compositions of the primitives
            gb = gy.sum((0,) + tuple(range(2, gy._data.ndim))) if nb else None
            gx = _conv(gy, w, None, g, groups, not self.transposed) if nx else None
            if nw:
                gw = (_weight_grad(gy, x, g, groups, self.wshape) if self.transposed
                      else _weight_grad(x, gy, g, groups, self.wshape))
            else:
                gw = None
            return gx, gw, gb
        gyd = gy._data
        gx = gw = gb = None
        if self.transposed:  # the roles of input and output swap
            if nx:
                gx = C_.forward(gyd, w._data, g, groups)
            if nw:
                gw = C_.backward(gyd, None, x._data, g, groups, False, True, self.wshape)[1]
        elif nw and C_.narrow(gyd, g, groups, self.wshape):  # (the bias gradient comes with it)
            gw, gb = C_.narrow_weight_grad(x._data, gyd, g, self.wshape, nb)
            if nx:
                gx = C_.backward(None, w._data, gyd, g, groups, True, False, self.wshape)[0]
        else:
            gx, gw = C_.backward(x._data if nw else None, w._data if nx else None, gyd, g, groups,
                                 nx, nw, self.wshape)
        if nb and gb is None:
            gb = _channel_sums(gyd)
        return tuple(None if a is None else wrap(a) for a in (gx, gw, gb))


def _channel_sums(gy):
    """``gy.sum((0, 2, ...))``, the bias gradient: for float32/64 NumPy arrays a product with a
    vector of ones over the positions, then a sum over the batch (0.14 against 0.44 ms for the
    MNIST network's second convolution: NumPy reduces over two strided axes slowly)."""
    if (type(gy) is not np.ndarray or gy.dtype.kind != "f" or gy.dtype.itemsize < 4 or gy.ndim < 3
            or not gy.size):
        return gy.sum((0,) + tuple(range(2, gy.ndim)))
    g3 = gy.reshape(gy.shape[0], gy.shape[1], -1)
    return (g3 @ np.ones(g3.shape[2], gy.dtype)).sum(0)


def _needs(*ts):
    return STATE.enabled and builtins.any(t is not None and t._rg for t in ts)


def _conv(input, weight, bias, g, groups, transposed):
    """The convolution primitive on checked arguments and a geometry ``g`` (see ``_im2col``):
    ``transposed=False`` maps ``(B, C, *g.S) -> (B, O, *g.L)``, ``True`` the other way."""
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    if not transposed:
        r = C_.forward(x, w, g, groups, b)
    else:
        r = C_.backward(None, w, x, g, groups, True, False)[0]
        if b is not None:
            r += b.reshape((-1,) + (1,) * len(g.S))
    if _needs(input, weight, bias):
        node = ConvolutionBackward0()
        node.geom, node.groups, node.transposed, node.wshape = g, groups, transposed, w.shape
        node.save_for_backward(input if weight._rg else None, weight if input._rg else None)
        return track(r, node, (input, weight, bias))
    return wrap(r)


class ConvolutionBackwardBackward0(Node):
    """Backward of :func:`_weight_grad` (double backward): bilinear in ``x`` and ``gy``."""

    def backward(self, ggw):
        x, gy = self.saved_tensors
        nx, ngy = (e is not None for e in self._next)
        g, groups = self.geom, self.groups
        gx = _conv(gy, ggw, None, g, groups, True) if nx else None
        ggy = _conv(x, ggw, None, g, groups, False) if ngy else None
        return gx, ggy


def _weight_grad(x, gy, g, groups, wshape):
    """The weight gradient of ``_conv(x, w, g)`` for output gradient ``gy``, as a differentiable
    op: ``sum_{b, l} gy[b, o, l] * x_padded[b, c, l * stride + k * dilation]``."""
    r = C_.backward(x._data, None, gy._data, g, groups, False, True, wshape)[1]
    if _needs(x, gy):
        node = ConvolutionBackwardBackward0()
        node.geom, node.groups = g, groups
        node.save_for_backward(x if gy._rg else None, gy if x._rg else None)
        return track(r, node, (x, gy))
    return wrap(r)


class Im2ColBackward0(Node):
    """Backward of :func:`unfold_`: fold (col2im) of the gradient."""

    def backward(self, g):
        return fold_(g, self.geom, self.K)


class Col2ImBackward0(Node):
    """Backward of :func:`fold_`: unfold (im2col) of the gradient."""

    def backward(self, g):
        return unfold_(g, self.geom, self.K)


def unfold_(input, g, K):
    """im2col: ``(B, C, *S) -> (B, C * prod(K), prod(L))`` on checked arguments."""
    x = input._data
    v = K_.windows(K_.padded(x, g, K), g, K)  # (B, C, *K, *L) view
    r = K_.xp_of(x).ascontiguousarray(v).reshape(x.shape[0], x.shape[1] * K_._prod(K),
                                                 K_._prod(g.L))
    if _needs(input):
        node = Im2ColBackward0()
        node.geom, node.K = g, K
        return track(r, node, (input,))
    return wrap(r)


def fold_(input, g, K):
    """col2im: ``(B, C * prod(K), prod(L)) -> (B, C, *S)``, overlapping values summed."""
    x = input._data
    B = x.shape[0]
    r = K_.col2im(x.reshape((B, x.shape[1] // K_._prod(K)) + tuple(K) + tuple(g.L)), g)
    if _needs(input):
        node = Col2ImBackward0()
        node.geom, node.K = g, K
        return track(r, node, (input,))
    return wrap(r)


# ---- argument checks, PyTorch's messages ---------------------------------------------------------
def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _int_list(v, n):
    """An int or a sequence of ints as a list (an int repeated ``n`` times); None when invalid."""
    if _is_int(v):
        return [int(v)] * n
    if isinstance(v, (tuple, list)) and builtins.all(_is_int(e) for e in v):
        return [int(e) for e in v]
    return None


def _tname(v):
    return "Tensor" if isinstance(v, Tensor) and type(v) is Tensor else type(v).__name__


def _invalid_args(fname, args, kwargs):
    got = ", ".join([_tname(a) for a in args] + [f"{k}={_tname(v)}" for k, v in kwargs.items()])
    head = ("Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, ")
    tail = "tuple of ints dilation = 1, int groups = 1)"
    raise TypeError(f"{fname}() received an invalid combination of arguments - got ({got}), but "
                    f"expected one of:\n * ({head}tuple of ints padding = 0, {tail}\n * ({head}str "
                    f"padding = \"valid\", {tail}\n")


def _expand(v, name, dim):
    if len(v) == 1:
        return v * dim
    if len(v) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} "
                           f"values to match the convolution dimensions, but got {name}={v}")
    return v


def _geometry(x, w, stride, padding, dilation, transposed, output_padding, same):
    """The :class:`_im2col.Geom` of a checked convolution (see that module)."""
    K = w.shape[2:]
    sp = x.shape[2:]
    if not transposed:
        if same:
            total = [d * (k - 1) for d, k in zip(dilation, K)]
            lo = [t // 2 for t in total]
        else:
            total = [2 * p for p in padding]
            lo = list(padding)
        L = tuple((s + t - d * (k - 1) - 1) // st + 1
                  for s, t, d, k, st in zip(sp, total, dilation, K, stride))
        return K_.Geom(tuple(sp), L, tuple(stride), tuple(dilation), tuple(lo))
    S = [(n - 1) * st - 2 * p + d * (k - 1) + op + 1
         for n, st, p, d, k, op in zip(sp, stride, padding, dilation, K, output_padding)]
    if builtins.any(s <= 0 for s in S):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, sp))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, S))}). "
                           "Output size is too small")
    return K_.Geom(tuple(S), tuple(sp), tuple(stride), tuple(dilation), tuple(padding))


def _check(x, w, b, stride, padding, dilation, transposed, output_padding, groups, same):
    """PyTorch's checks of ``convolution``, in its order and with its messages."""
    k, sizes = w.ndim, list(w.shape)
    if builtins.any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if builtins.any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if builtins.any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if builtins.any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if x.ndim != k:
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight {sizes}, "
                           f"but got {x.ndim}-dimensional input of size {list(x.shape)} instead")
    if sizes[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {sizes} instead")
    if sizes[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{sizes}] instead")
    if not transposed:
        if x.shape[1] != sizes[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {sizes}, expected "
                               f"input{list(x.shape)} to have {sizes[1] * groups} channels, but "
                               f"got {x.shape[1]} channels instead")
        if b is not None and (b.ndim != 1 or b.shape[0] != sizes[0]):
            raise RuntimeError(f"Given weight of size {sizes}, expected bias to be 1-dimensional "
                               f"with {sizes[0]} elements, but got bias of size {list(b.shape)} "
                               "instead")
        pad = [d * (kk - 1) for d, kk in zip(dilation, sizes[2:])] if same else \
            [2 * p for p in padding]
        ins = [s + p for s, p in zip(x.shape[2:], pad)]
        ks = [d * (kk - 1) + 1 for d, kk in zip(dilation, sizes[2:])]
        if builtins.any(i < kk for i, kk in zip(ins, ks)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, ins))}). Kernel size: "
                               f"({' x '.join(map(str, ks))}). Kernel size can't be greater than "
                               "actual input size")
    else:
        if x.shape[1] != sizes[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {sizes}, expected "
                               f"input{list(x.shape)} to have {sizes[0]} channels, but got "
                               f"{x.shape[1]} channels instead")
        if b is not None and (b.ndim != 1 or b.shape[0] != sizes[1] * groups):
            raise RuntimeError(f"Given transposed=1, weight of size {sizes}, expected bias to be "
                               f"1-dimensional with {sizes[1] * groups} elements, but got bias of "
                               f"size {list(b.shape)} instead")
    if 0 in dilation:
        d2 = [1] * (2 - len(dilation)) + list(dilation)  # (PyTorch runs 1-D as 2-D)
        if transposed:
            names = ("depth", "height", "width")[-len(d2):]
            raise RuntimeError("dilation should be greater than zero, but got " + ", ".join(
                f"dilation_{n}: {d}" for n, d in zip(names, d2)))
        raise RuntimeError(f"dilation should be greater than zero, but got {d2}")
    if transposed and builtins.any(op >= s and op >= d for op, s, d in
                                   zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")[-max(len(stride), 2):]
        op2, s2, d2 = ([1] * (2 - len(v)) + list(v) for v in (output_padding, stride, dilation))
        if len(output_padding) == 1:
            op2[0] = 0
        parts = [f"{what}_{n}: {v}" for what, vals in
                 (("output_padding", op2), ("stride", s2), ("dilation", d2))
                 for n, v in zip(names, vals)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    if x.shape[0] and x.shape[1] and 0 in x.shape[2:]:
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {list(x.shape)}")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {_SNAME.get(x.dtype.name, x.dtype.name)} but "
                           f"found {_SNAME.get(w.dtype.name, w.dtype.name)}")
    if b is not None and b.dtype != x.dtype and not transposed:
        raise RuntimeError(f"Input type ({_CNAME.get(x.dtype.name, x.dtype.name)}) and bias type "
                           f"({_CNAME.get(b.dtype.name, b.dtype.name)}) should be the same")


def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                 groups):
    """``convolution`` with ``padding`` also 'same' or 'valid' (batched input only)."""
    w = weight._data
    dim = w.ndim - 2
    if dim <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    same = padding == "same"
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        padding = [0] * dim
    stride = _expand(stride, "stride", dim)
    padding = _expand(padding, "padding", dim)
    dilation = _expand(dilation, "dilation", dim)
    output_padding = _expand(output_padding, "output_padding", dim)
    if same and builtins.any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    x = input._data
    b = None if bias is None else bias._data
    _check(x, w, b, stride, padding, dilation, transposed, output_padding, groups, same)
    if transposed and b is not None and b.dtype != x.dtype:
        bias = bias.to(input.dtype)
    g = _geometry(x, w, stride, padding, dilation, transposed, output_padding, same)
    return _conv(input, weight, bias, g, groups, transposed)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """PyTorch's ``torch.convolution``: every convolution, with per-dim lists of arguments.

    Args:
        input: ``(B, C_in, *spatial)``.
        weight: ``(C_out, C_in / groups, *kernel)``, or ``(C_in, C_out / groups, *kernel)`` when
            ``transposed``.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation, output_padding: lists of ints (one per spatial dim, or one).
        transposed (bool): a transposed convolution (the adjoint of the plain one).
        groups (int): split channels into this many independent convolutions.
    """
    return _convolution(input, weight, bias, stride, padding, dilation, transposed,
                        output_padding, groups)


def _conv_nd(fname, n, transposed, input, weight, bias, stride, padding, dilation, groups,
             output_padding=0, args=None):
    """Parse the arguments of ``conv{n}d`` / ``conv_transpose{n}d``, handle unbatched input."""
    st, dl, op = _int_list(stride, n), _int_list(dilation, n), _int_list(output_padding, n)
    pd = padding if isinstance(padding, str) and not transposed else _int_list(padding, n)
    bad = (not isinstance(input, Tensor) or not isinstance(weight, Tensor)
           or not (bias is None or isinstance(bias, Tensor)) or not _is_int(groups))
    if bad or st is None or dl is None or op is None or pd is None:
        if transposed:
            for name, v in (("stride", st), ("padding", pd), ("output_padding", op),
                            ("dilation", dl)):
                if v is None:
                    raise TypeError(f"{fname}(): argument '{name}' must be tuple of ints, not "
                                    f"{_tname(args[name])}")
            for pos, name in enumerate(("input", "weight", "bias")):
                v = args[name]
                if not isinstance(v, Tensor) and (name != "bias" or v is not None):
                    raise TypeError(f"{fname}(): argument '{name}' (position {pos + 1}) must be "
                                    f"Tensor, not {_tname(v)}")
            raise TypeError(f"{fname}(): argument 'groups' must be int, not "
                            f"{_tname(args['groups'])}")
        _invalid_args(fname, args["_pos"], args["_kw"])
    nd = input._data.ndim
    if nd not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {fname}, "
                           f"but got input of size: {list(input.shape)}")
    if nd == n + 1:  # unbatched: a batch of one, as PyTorch does (the output's grad_fn is a view)
        return _convolution(input.unsqueeze(0), weight, bias, st, pd, dl, transposed, op,
                            int(groups)).squeeze(0)
    return _convolution(input, weight, bias, st, pd, dl, transposed, op, int(groups))


def _make_conv(n):
    fname = f"conv{n}d"

    def conv(*args, **kwargs):
        names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
        defaults = {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1}
        a = _bind(fname, names, defaults, args, kwargs)
        return _conv_nd(fname, n, False, a["input"], a["weight"], a["bias"], a["stride"],
                        a["padding"], a["dilation"], a["groups"], args=a)

    conv.__name__ = conv.__qualname__ = fname
    conv.__doc__ = f"""{fname}(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)

    A {n}-D convolution (cross-correlation) over an input of several planes.

    Args:
        input: ``(B, C_in, {_SP[n]})`` or unbatched ``(C_in, {_SP[n]})``.
        weight: ``(C_out, C_in / groups, {_K[n]})``.
        bias: optional ``(C_out,)``.
        stride: int or tuple of {n} ints. Default: 1.
        padding: int, tuple of {n} ints, ``'valid'`` (none) or ``'same'`` (output size = input
            size; stride 1 only). Default: 0.
        dilation: spacing between kernel elements, int or tuple. Default: 1.
        groups: split the channels into this many independent convolutions. Default: 1.

    Shape:
        Output ``(B, C_out, {_SP[n].replace('_in', '_out')})`` with
        ``out = (in + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1``.

    Example::

        x, w = ember.randn(8, 3, {', '.join(['16'] * n)}), ember.randn(4, 3, {', '.join(['3'] * n)})
        F.{fname}(x, w, padding=1).shape    # ember.Size([8, 4, {', '.join(['16'] * n)}])
    """
    return conv


def _make_conv_transpose(n):
    fname = f"conv_transpose{n}d"

    def conv_transpose(*args, **kwargs):
        names = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups",
                 "dilation")
        defaults = {"bias": None, "stride": 1, "padding": 0, "output_padding": 0, "groups": 1,
                    "dilation": 1}
        a = _bind(fname, names, defaults, args, kwargs)
        return _conv_nd(fname, n, True, a["input"], a["weight"], a["bias"], a["stride"],
                        a["padding"], a["dilation"], a["groups"], a["output_padding"], args=a)

    conv_transpose.__name__ = conv_transpose.__qualname__ = fname
    conv_transpose.__doc__ = f"""{fname}(input, weight, bias=None, stride=1, padding=0, \
output_padding=0, groups=1, dilation=1)

    A {n}-D transposed convolution (the gradient of ``conv{n}d`` w.r.t. its input), sometimes
    called "deconvolution".

    Args:
        input: ``(B, C_in, {_SP[n]})`` or unbatched ``(C_in, {_SP[n]})``.
        weight: ``(C_in, C_out / groups, {_K[n]})``.
        bias: optional ``(C_out,)``.
        stride, padding, dilation: as for the convolution this is the transpose of.
        output_padding: extra size added to one side of each output dim (< stride or dilation).
        groups: split the channels into this many independent convolutions. Default: 1.

    Shape:
        Output ``(B, C_out, {_SP[n].replace('_in', '_out')})`` with ``out = (in - 1) * stride -
        2 * padding + dilation * (kernel - 1) + output_padding + 1``.

    Example::

        x, w = ember.randn(8, 4, {', '.join(['7'] * n)}), ember.randn(4, 3, {', '.join(['3'] * n)})
        F.{fname}(x, w, stride=2).shape    # ember.Size([8, 3, {', '.join(['15'] * n)}])
    """
    return conv_transpose


def _bind(fname, names, defaults, args, kwargs):
    if len(args) > len(names) or builtins.any(k not in names for k in kwargs):
        _invalid_args(fname, args, kwargs)
    a = dict(defaults)
    a.update(zip(names, args))
    for k, v in kwargs.items():
        if k in names[:len(args)]:
            _invalid_args(fname, args, kwargs)
        a[k] = v
    if "input" not in a or "weight" not in a:
        _invalid_args(fname, args, kwargs)
    a["_pos"], a["_kw"] = args, kwargs
    return a


_SP = {1: "L_in", 2: "H_in, W_in", 3: "D_in, H_in, W_in"}
_K = {1: "kL", 2: "kH, kW", 3: "kD, kH, kW"}
conv1d, conv2d, conv3d = _make_conv(1), _make_conv(2), _make_conv(3)
conv_transpose1d, conv_transpose2d, conv_transpose3d = (_make_conv_transpose(1),
                                                        _make_conv_transpose(2),
                                                        _make_conv_transpose(3))

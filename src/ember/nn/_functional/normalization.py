"""Normalization functions: ``batch_norm``, ``layer_norm``, ``group_norm`` (one fused primitive
each), ``rms_norm`` and ``local_response_norm`` (compositions, as in PyTorch's CPU code).

The three primitives share one kernel. Each views its input as an array in which the statistics
are taken over some axes and the affine parameters vary along others:

=============  ==================  ============  =============
op             view                stats keep    params keep
=============  ==================  ============  =============
batch_norm     (N, C, L)           (1,)          (1,)
layer_norm     (M, K)              (0,)          (1,)
group_norm     (N, G, C/G, L)      (0, 1)        (1, 2)
=============  ==================  ============  =============

Sums go through ``einsum``, which reduces several axes in one pass (several times faster than
``ndarray.sum`` over non-contiguous axes) and sums products without a temporary. The backward is
the closed form on raw arrays; when the backward itself is recorded (``create_graph=True``) it is
rewritten in Tensor ops so that double backward works.
"""
import math
import numbers

import numpy as np

from ember._backend import xp_of
from ember._ops.reduce import type_name
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node
from ember.nn._functional import _batch_norm_rows as _rows

__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]

_LETTERS = "abcdefgh"


# ---- the shared kernel ---------------------------------------------------------------------------
def _sum(a, keep, b=None):
    """The sum of ``a`` (or of ``a * b``) over the axes not in ``keep``, with kept dims."""
    xp = xp_of(a)
    s = _LETTERS[:a.ndim]
    out = "".join(s[i] for i in keep)
    r = xp.einsum(f"{s}->{out}", a) if b is None else xp.einsum(f"{s},{s}->{out}", a, b)
    return r.reshape(tuple(n if i in keep else 1 for i, n in enumerate(a.shape)))


def _compute(arr):
    """Half is computed in float32 (PyTorch's opmath type) and rounded at the end."""
    return arr.astype(np.float32) if arr.dtype == np.float16 else arr


def _param(t, pshape, dt):
    return None if t is None else t._data.reshape(pshape).astype(dt, copy=False)


def _small_sum(a, keep):
    """``a`` (a small array) summed over the axes not in ``keep``, with kept dims."""
    axes = tuple(i for i in range(a.ndim) if i not in keep)
    return a.sum(axis=axes, keepdims=True) if axes else a


def _moments(x, keep, n, eps):
    """``(x - mean, mean, biased var, 1 / sqrt(var + eps))``. Two passes: ``(x - mean)^2`` does
    not cancel catastrophically like ``E[x^2] - E[x]^2`` when the mean is large."""
    mean = _sum(x, keep) / n
    xc = x - mean
    var = _sum(xc, keep, xc) / n
    return xc, mean, var, 1 / np.sqrt(var + eps)


class _NormBackward(Node):
    """The gradient of ``y = (x - mean) * invstd * w + b`` with ``mean``/``invstd`` the batch's
    statistics over the view's non-``keep`` axes (or constants: batch norm in eval mode).

    With ``xhat = (x - mean) * invstd`` and ``a``, ``b`` the means of ``g * w`` and
    ``g * w * xhat`` over each statistic's group, ``dx = invstd * (g * w - a - xhat * b)``,
    ``dw = sum(g * xhat)``, ``db = sum(g)``.
    """

    def backward(self, g):
        x, w = self.saved_tensors[:2]  # (running stats are saved too: only for the version check)
        need = tuple(e is not None for e in self._next)
        if STATE.enabled:
            return self._recorded(g, x, w, *need)
        gd = _compute(g._data).reshape(self.view)
        xd = _compute(x._data).reshape(self.view)
        wd = _param(w, self.pshape, xd.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.cells is not None:
                dx, dw, db = self._by_cells(gd, xd, wd, *need)
            else:
                dx, dw, db = self._elementwise(gd, xd, wd, *need)
        return (None if dx is None else wrap(dx.reshape(x._data.shape)),
                None if dw is None else wrap(dw.reshape(self.wshape)),
                None if db is None else wrap(db.reshape(self.wshape)))

    def _by_cells(self, g, x, w, need_x, need_w, need_b):
        """Batch and group norm: ``w`` is constant over cells of several elements (a channel of
        a sample), so two sums per cell give every reduction, and ``dx`` is
        ``g * (w * invstd) - xc * (invstd^2 * b) - invstd * a``, with cell-sized factors."""
        cells, invstd, n = self.cells, self.invstd, self.n
        if self.rows and _rows.usable(x) and g.dtype == x.dtype:
            dx, dw, db = _rows.backward(g, x, self.mean.reshape(-1), invstd.reshape(-1),
                                        None if w is None else w.reshape(-1), need_x)
            return dx, dw if need_w else None, db if need_b else None
        xc = x - self.mean if need_w or (need_x and self.training) else None
        gs = _sum(g, cells) if need_b or (need_x and self.training) else None
        gx = None if xc is None else _sum(g, cells, xc) * invstd  # sum of g * xhat per cell
        dw = _small_sum(gx, self.pkeep) if need_w else None
        db = _small_sum(gs, self.pkeep) if need_b else None
        dx = None
        if need_x:
            dx = g * (invstd if w is None else invstd * w)
            if self.training:
                a = _small_sum(gs if w is None else gs * w, self.keep) / n
                b = _small_sum(gx if w is None else gx * w, self.keep) / n
                xc *= invstd * invstd * b
                xc += invstd * a
                dx -= xc
        return dx, dw, db

    def _elementwise(self, g, x, w, need_x, need_w, need_b):
        """Layer norm (and tiny cells): ``w`` varies along the normalized elements."""
        keep, pkeep, n, invstd = self.keep, self.pkeep, self.n, self.invstd
        xhat = x - self.mean
        xhat *= invstd
        dw = _sum(g, pkeep, xhat) if need_w else None
        db = _sum(g, pkeep) if need_b else None
        dx = None
        if need_x:
            gw = g if w is None else g * w
            a = _sum(gw, keep) / n
            xhat *= _sum(gw, keep, xhat) / n
            if gw is g:
                dx = g - xhat
            else:
                dx = gw
                dx -= xhat
            dx -= a
            dx *= invstd
        return dx, dw, db

    def _recorded(self, g, x, w, need_x, need_w, need_b):
        """The same formulas in Tensor ops, recomputing the statistics from ``x`` so that their
        dependence on ``x`` is differentiated too (double backward)."""
        axes = tuple(i for i in range(len(self.view)) if i not in self.keep)
        paxes = tuple(i for i in range(len(self.view)) if i not in self.pkeep)
        xv, gv = x.reshape(self.view), g.reshape(self.view)
        wv = None if w is None else w.reshape(self.pshape)
        if self.training:
            xc = xv - xv.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + self.eps).rsqrt()
        else:
            xc, invstd = xv - wrap(self.mean), wrap(self.invstd)
        xhat = xc * invstd
        gw = gv if wv is None else gv * wv
        dx = dw = db = None
        if need_x:
            if self.training:
                dx = (gw - gw.mean(axes, keepdim=True)
                      - xhat * (gw * xhat).mean(axes, keepdim=True)) * invstd
            else:
                dx = gw * invstd
            dx = dx.reshape(x.shape)
        if need_w:
            dw = (gv * xhat).sum(paxes, keepdim=True).reshape(self.wshape)
        if need_b:
            db = gv.sum(paxes, keepdim=True).reshape(self.wshape)
        live = tuple(t for t in (g, x, w) if t is not None and t._rg)
        # NOTE: PyTorch's double-backward node makes every gradient require grad when any of its
        # inputs does, even one that is constant in them (db, or dx in eval mode)
        return tuple(r if r is None or r._rg or not live else track(r._data, _Tied(), live)
                     for r in (dx, dw, db))


class _Tied(Node):
    """A gradient that does not depend on the tensors it is tied to (see ``_recorded``)."""

    def backward(self, g):
        return (None,) * len(self._next)


class NativeBatchNormBackward0(_NormBackward):
    pass


class NativeLayerNormBackward0(_NormBackward):
    pass


class NativeGroupNormBackward0(_NormBackward):
    pass


def _normalize(node_cls, input, weight, bias, view, keep, pkeep, eps, stats=None, saved=()):
    """The forward of the three primitives: ``stats`` are ``(mean, invstd)`` arrays in eval-mode
    batch norm, else the batch's are computed. Returns ``(output, mean, biased var)``."""
    d = input._data
    x = _compute(d).reshape(view)
    pshape = tuple(s if i in pkeep else 1 for i, s in enumerate(view))
    w, b = _param(weight, pshape, x.dtype), _param(bias, pshape, x.dtype)
    n = math.prod(s for i, s in enumerate(view) if i not in keep)
    # cells: the axes along which both the statistics and the parameters may vary; when that
    # leaves several elements per cell, the per-element work uses cell-sized factors
    cells = tuple(sorted(set(keep) | set(pkeep)))
    if 4 * math.prod(view[i] for i in cells) > x.size:
        cells = None
    var = None
    rows = node_cls is NativeBatchNormBackward0 and stats is None and _rows.usable(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rows:
            y, mean, var, invstd = _rows.forward(x, None if w is None else w.reshape(-1),
                                                 None if b is None else b.reshape(-1), eps)
            mean, var, invstd = (a.reshape(pshape) for a in (mean, var, invstd))
        elif stats is None:
            y, mean, var, invstd = _moments(x, keep, n, eps)
            if cells is not None and w is not None:
                y *= invstd * w
            else:
                y *= invstd
                if w is not None:
                    y *= w
            if b is not None:
                y += b
        else:  # y = x * (w * invstd) + (b - mean * w * invstd): one pass over x
            mean, invstd = stats
            scale = invstd if w is None else invstd * w
            y = x * scale
            y -= mean * scale if b is None else mean * scale - b
    r = y.reshape(d.shape).astype(d.dtype, copy=False)
    if STATE.enabled and (input._rg or (weight is not None and weight._rg)
                          or (bias is not None and bias._rg)):
        node = node_cls()
        node.view, node.keep, node.pkeep, node.pshape, node.n = view, keep, pkeep, pshape, n
        node.eps, node.mean, node.invstd, node.training = eps, mean, invstd, stats is None
        node.cells = cells if stats is None else (1,)  # (eval batch norm: channels)
        node.rows = rows
        src = weight if weight is not None else bias
        node.wshape = None if src is None else src._data.shape
        node.save_for_backward(input, weight, *saved)
        return track(r, node, (input, weight, bias)), mean, var
    return wrap(r), mean, var


# ---- argument checks -----------------------------------------------------------------------------
def _check_float(input, name):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")


def _check_dtypes(input, *params):
    """PyTorch's CPU rule: parameters share the input's dtype (float32 ones may serve half)."""
    dt = input._data.dtype
    for p in params:
        if p is None or p._data.dtype == dt:
            continue
        if dt == np.float16 and p._data.dtype == np.float32:
            continue
        if dt == np.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _verify_batch_size(size):
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def _normalized_shape(normalized_shape, name):
    if isinstance(normalized_shape, numbers.Integral):
        raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    shape = tuple(normalized_shape)
    for i, s in enumerate(shape):
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be tuple of "
                            f"ints, but found element of type {type(s).__name__} at pos {i}")
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    return tuple(int(s) for s in shape)


def _check_normalized(input, shape, weight, bias, star="*, "):
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t._data.shape)} and normalized_shape = "
                               f"{list(shape)}")
    ishape = input._data.shape
    if len(ishape) < len(shape) or tuple(ishape[len(ishape) - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[{star}{', '.join(map(str, shape))}], but got input of size"
                           f"{list(ishape)}")


# ---- batch_norm ----------------------------------------------------------------------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch Normalization for each channel across a batch of data.

    Normalizes over every dim but the channel dim 1, with the batch's statistics when
    ``training`` (and then updates ``running_mean``/``running_var`` in place:
    ``running = (1 - momentum) * running + momentum * batch_stat``, the variance unbiased) or with
    the running statistics otherwise.

    Args:
        input: ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` or None (then training must be True).
        weight, bias: ``(C,)`` affine parameters, or None.
        training (bool): use the batch's statistics. Default: ``False``.
        momentum (float): the running statistics' update factor. Default: 0.1.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        - Input: :math:`(N, C, *)`. Output: the same.

    Example::

        >>> x = ember.randn(8, 3, 4, 4)
        >>> y = F.batch_norm(x, ember.zeros(3), ember.ones(3), training=True)
    """
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if not isinstance(momentum, numbers.Real):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__}")
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be "
                         "None")
    c = input.size(1)
    _check_float(input, "batch_norm")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    _check_dtypes(input, weight, bias, running_mean, running_var)
    shape = input._data.shape
    view = (shape[0], c, math.prod(shape[2:]))
    if not training:
        dt = _compute(input._data).dtype
        rm = running_mean._data.reshape(1, c, 1).astype(dt)
        rv = running_var._data.reshape(1, c, 1).astype(dt)
        with np.errstate(divide="ignore", invalid="ignore"):
            invstd = 1 / np.sqrt(rv + eps)
        return _normalize(NativeBatchNormBackward0, input, weight, bias, view, (1,), (1,), eps,
                          (rm, invstd), (running_mean, running_var))[0]
    out, mean, var = _normalize(NativeBatchNormBackward0, input, weight, bias, view, (1,), (1,),
                                eps)
    n = view[0] * view[2]
    if running_mean is not None and n > 0:
        # NOTE: in float64 like PyTorch's accumulate type; C values only, so it costs nothing
        m = float(momentum)
        for t, stat in ((running_mean, mean), (running_var, var * (n / (n - 1)))):
            buf = t._data
            buf[...] = (m * stat.reshape(c).astype(np.float64)
                        + (1 - m) * buf.reshape(c).astype(np.float64)).reshape(buf.shape)
            t._vc[0] += 1
    return out


# ---- layer_norm / group_norm ---------------------------------------------------------------------
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer Normalization over the last ``len(normalized_shape)`` dims.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the (biased) statistics of each
    slice of shape ``normalized_shape``.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape (tuple or list of ints): the trailing shape to normalize over.
        weight, bias: elementwise affine parameters of shape ``normalized_shape``, or None.
        eps (float): added to the variance. Default: 1e-5.

    Example::

        >>> y = F.layer_norm(ember.randn(4, 10, 16), (16,))
    """
    shape = _normalized_shape(normalized_shape, "layer_norm")
    _check_normalized(input, shape, weight, bias)
    _check_float(input, "LayerNormKernelImpl")
    _check_dtypes(input, weight, bias)
    k = math.prod(shape)
    view = (input._data.size // k if k else math.prod(input._data.shape[:-len(shape)]), k)
    return _normalize(NativeLayerNormBackward0, input, weight, bias, view, (0,), (1,), eps)[0]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group Normalization: the channels are split into ``num_groups`` groups, each normalized
    with its own (biased) statistics, for each sample.

    Args:
        input: ``(N, C, *)`` with ``C`` divisible by ``num_groups``.
        num_groups (int): the number of groups.
        weight, bias: ``(C,)`` per-channel affine parameters, or None.
        eps (float): added to the variance. Default: 1e-5.

    Example::

        >>> y = F.group_norm(ember.randn(2, 6, 5), 3)
    """
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    shape = list(input._data.shape)
    n, c = shape[0], shape[1]
    _verify_batch_size([n * c // num_groups, num_groups] + shape[2:])
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {shape} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t._data.size != c):
            # NOTE: PyTorch prints the weight's shape in the bias message too ([0] when None)
            wshape = list(weight._data.shape) if weight is not None else [0]
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {wshape} and input "
                               f"of shape {shape}")
    _check_float(input, "GroupNormKernelImpl")
    _check_dtypes(input, weight, bias)
    view = (n, num_groups, c // num_groups, math.prod(shape[2:]))
    return _normalize(NativeGroupNormBackward0, input, weight, bias, view, (0, 1), (1, 2), eps)[0]


# ---- compositions --------------------------------------------------------------------------------
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root Mean Square Layer Normalization: ``x / sqrt(mean(x^2) + eps) * weight`` over the last
    ``len(normalized_shape)`` dims. A composition of Tensor ops, as PyTorch's CPU code.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape (tuple or list of ints): the trailing shape to normalize over.
        weight: elementwise scale of shape ``normalized_shape``, or None.
        eps (float, optional): added to the mean square; default the machine epsilon of the
            computation dtype (float32's for half and float32 inputs).

    Example::

        >>> y = F.rms_norm(ember.randn(4, 16), (16,))
    """
    shape = _normalized_shape(normalized_shape, "rms_norm")
    _check_normalized(input, shape, weight, None, star="*")
    _check_float(input, "rms_norm")
    x = input.float() if input._data.dtype == np.float16 else input
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(-len(shape), 0))
    r = (x * x.pow(2).mean(dims, keepdim=True).add(eps).rsqrt()).to(input.dtype)
    return r if weight is None else r * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalization across channels (dim 1):
    ``x / (k + alpha / size * sum of x^2 over size neighbouring channels)^beta``, the window
    zero-padded like PyTorch's (``size // 2`` before, ``(size - 1) // 2`` after).

    Example::

        >>> y = F.local_response_norm(ember.randn(2, 8, 5, 5), size=3)
    """
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from ember._ops.creation import zeros
    from ember._ops.join import cat
    sq = input.mul(input)
    rest = tuple(input.shape[2:])
    n, c = input.shape[0], input.shape[1]
    parts = [zeros((n, size // 2) + rest, dtype=input.dtype), sq,
             zeros((n, (size - 1) // 2) + rest, dtype=input.dtype)]
    padded = cat(parts, 1)
    div = padded[:, 0:c]
    for j in range(1, size):  # the window's sum in order, as avg_pool's
        div = div + padded[:, j:j + c]
    div = (div / size).mul(alpha).add(k).pow(beta)
    return input / div

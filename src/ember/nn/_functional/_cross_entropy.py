"""``cross_entropy`` and ``nll_loss``: fused primitives with hand-written backward nodes.

Cross-entropy is log-softmax and negative log-likelihood in one pass (PyTorch runs them as two
kernels): the row max is subtracted first, so logits of +-1e4 stay finite, and the backward is the
closed form ``softmax - onehot`` with the weights, ``ignore_index``, label smoothing and the
reduction folded into one per-row scale. It runs in every training step, so the default backward
works on the saved arrays; under ``create_graph=True`` it is rebuilt from Tensor ops
(``log_softmax``, ``exp``, ``*``), which is what makes double backward work.

Layout: the input is viewed as ``(M, C)`` (1-D and 2-D inputs) or ``(N, C, K)`` (``K`` the product
of the spatial dims); the class axis is always axis 1 and targets are ``(M,)`` or ``(N, K)``.

The loss of row ``i`` is ``-sum_c Q[i, c] * log_softmax(x)[i, c]`` where, for class indices,
``Q[i] = valid_i * ((1 - eps) * w[t_i] * onehot(t_i) + eps / C * w)`` and, for class
probabilities, ``Q[i] = w * ((1 - eps) * target[i] + eps / C)``; its gradient is
``softmax(x)[i] * sum_c Q[i, c] - Q[i]``.
"""
import numpy as np

from ember._backend import xp_of
from ember._ops import _parallel
from ember._ops._util import promote_arrays
from ember._ops.reduce import type_name
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node
from ember.nn import _reduction
from ember.nn._functional._pointwise_loss import no_grad_arg

__all__ = ["cross_entropy", "nll_loss"]

_NONE, _MEAN, _SUM = 0, 1, 2
_ERRSTATE = dict(invalid="ignore", divide="ignore", over="ignore")


def reduction_enum(size_average, reduce, reduction):
    """The reduction as 0 (none), 1 (mean), 2 (sum); the legacy pair wins when given."""
    if size_average is not None or reduce is not None:
        return _reduction.legacy_get_enum(size_average, reduce)
    return _reduction.get_enum(reduction)


# ---- argument checks (PyTorch's messages) --------------------------------------------------------
def _shape(s):
    return f"[{', '.join(map(str, s))}]"


def _check_index_target(xd, td, name):
    """The checks of PyTorch's ``nll_loss_nd`` on shapes and the target's dtype."""
    if xd.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(xd.dtype)}\'')
    if xd.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {xd.ndim})")
    if xd.ndim != 1 and td.ndim and xd.shape[0] != td.shape[0]:
        raise ValueError(f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
                         f"({td.shape[0]}).")
    if xd.ndim == 1:
        if td.ndim > 1 or td.ndim == 1 and td.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{td.shape[0] if td.ndim == 1 else td.size}")
    elif xd.ndim == 2:
        if td.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif xd.ndim == 4:
        if td.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {td.ndim}")
        if td.shape[1:] != xd.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {_shape(xd.shape)} , target: "
                               f"{_shape(td.shape)}")
    elif td.shape[1:] != xd.shape[2:] or td.ndim == 0:
        raise RuntimeError(f"Expected target size {_shape(xd.shape[:1] + xd.shape[2:])}, got "
                           f"{_shape(td.shape)}")
    if td.dtype != np.int64 and td.dtype != np.uint8:
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{type_name(td.dtype)}")


def _check_weight(weight, xd, c, prefix=""):
    if weight is None:
        return None
    wd = weight._data
    if wd.ndim != 1 or wd.shape[0] != c:
        if xd.ndim == 4 and not prefix:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {c} classes or "
                           f"no classes but got weight tensor of shape: {_shape(wd.shape)}")
    if not prefix and wd.dtype != xd.dtype:
        raise RuntimeError(f"expected scalar type {type_name(xd.dtype)} but found "
                           f"{type_name(wd.dtype)}")
    return wd


def _canonical(d, c):
    """``d`` as ``(M, C)`` (1-D and 2-D) or ``(N, C, K)``: class axis 1, spatial dims flattened."""
    if d.ndim == 2:
        return d
    if d.ndim == 1:
        return d.reshape(1, c)
    k = 1
    for s in d.shape[2:]:
        k *= s
    return d.reshape(d.shape[0], c, k)


def _row_axis(a):
    """Per-row values (``(M,)`` or ``(N, K)``) with the class axis put back, to broadcast."""
    return a[:, None] if a.ndim else a


def _row_sum(a, w):
    """``sum_c a[:, c] * w[c]`` along the class axis, kept as a size-1 axis. A matrix-vector
    product: BLAS is several times faster than NumPy's ``sum`` along a short contiguous axis."""
    if a.ndim == 2:
        return a @ w[:, None]
    return w[None, :] @ a


def _exp_shifted(x2):
    """``x - max`` along the class axis, and the max. Callers exponentiate the result in place:
    one buffer from logits to gradient (a fresh large array costs page faults)."""
    m = x2.max(axis=1, keepdims=True) if x2.size else x2.sum(axis=1, keepdims=True)
    e = x2 - m
    return e, m


# NOTE: rows whose sums of exp(x) stay in this range are exponentiated as they are; otherwise the
# row max is subtracted first (overflow above, lost precision in subnormals below)
_SAFE_SUMS = (1e-30, 1e30)


def _softmax_parts(x2, ones):
    """``(exp(x - shift), row sums of it, shift)`` of logits ``x2``: ``shift`` is None (no shift)
    when every row's sum of ``exp(x)`` is in ``_SAFE_SUMS`` (float32/64), else the row max
    (``_exp_shifted``). Why: a max pass and a shifted copy are a third of a big-vocabulary loss;
    softmax is the same either way, and :func:`_loss_of_target` needs no max. A large NumPy
    ``x2`` goes by spans of rows on threads, a block of rows at a time: exp and sum while the
    block is in cache (the logits are read from memory once)."""
    xp = xp_of(x2)
    if x2.dtype.itemsize < 4:  # float16: sums of exp(x) leave its range from x = 11
        e, m = _exp_shifted(x2)
        return e, _exp_rows(e, ones), m
    if x2.ndim != 2 or type(x2) is not np.ndarray or x2.size < 2 * _parallel.MIN_ELEMENTS:
        e = xp.exp(x2)
        se = _row_sum(e, ones)
    else:
        M, C = x2.shape
        e = np.empty_like(x2)
        se = np.empty((M, 1), x2.dtype)
        block = max(1, _BLOCK_BYTES // (C * x2.itemsize))

        def part(lo, hi):
            with np.errstate(**_ERRSTATE):  # (per thread: overflow here means a shifted redo)
                for a in range(lo, hi, block):
                    b = min(hi, a + block)
                    np.exp(x2[a:b], out=e[a:b])
                    np.matmul(e[a:b], ones[:, None], out=se[a:b])
        _parallel.each(part, M, x2.size)
    if not x2.size or bool(((se > _SAFE_SUMS[0]) & (se < _SAFE_SUMS[1])).all()):
        return e, se, None
    e, m = _exp_shifted(x2)
    return e, _exp_rows(e, ones), m


def _loss_of_target(et, xt, se, shift):
    """``-log softmax(x)[target]`` from the target's exponential ``et`` and logit ``xt`` and the
    row sums ``se`` of ``exp(x - shift)``. Unshifted, ``-log(et / se)``: a sum of non-negative
    terms never rounds below its largest, so ``p = et / se <= 1`` and the loss is never negative; a
    confident prediction's loss keeps its digits (``log(se) - xt`` would lose them to
    cancellation) and is 0 where ``1 - p`` is below float rounding, as PyTorch's. Where ``p``
    is too small for that (below 1e-30), the loss is large and ``log(se) - xt`` exact enough."""
    xp = xp_of(se)
    if shift is not None:
        return (shift - xt) + xp.log(se)  # m - x is exact near the max
    with np.errstate(divide="ignore"):
        p = et / se
        loss = -xp.log(p)
    loss += 0.0  # -0.0 (p = 1) to 0.0
    tiny = ~(p >= _SAFE_SUMS[0])
    if tiny.any():
        loss[tiny] = (xp.log(se) - xt)[tiny]
    return loss


# NOTE: rows of logits processed together by _softmax_parts: measured 4.8 ms at 1-4 MB on a
# 700 x 10,000 loss, 14 ms at 64 KB (two threads making many small NumPy calls contend for the GIL)
_BLOCK_BYTES = 2 << 20


def _exp_rows(e, ones):
    """``exp`` of ``e`` in place and its row sums (``_row_sum``); a large 2-D NumPy ``e`` by spans
    of rows on threads (the exponentials are most of a big-vocabulary loss)."""
    if e.ndim != 2 or type(e) is not np.ndarray or e.size < 2 * _parallel.MIN_ELEMENTS:
        np.exp(e, out=e)
        return _row_sum(e, ones)
    se = np.empty((e.shape[0], 1), e.dtype)

    def part(lo, hi):
        np.exp(e[lo:hi], out=e[lo:hi])
        np.matmul(e[lo:hi], ones[:, None], out=se[lo:hi])
    _parallel.each(part, e.shape[0], e.size)
    return se


def _scale_rows(grad, f):
    """``grad *= f`` (f: a factor per row, broadcast), by spans of rows for large 2-D arrays."""
    if grad.ndim != 2 or type(grad) is not np.ndarray or grad.size < 2 * _parallel.MIN_ELEMENTS:
        np.multiply(grad, f, out=grad)
        return
    _parallel.each(lambda lo, hi: np.multiply(grad[lo:hi], f[lo:hi] if f.shape[0] > 1 else f,
                                              out=grad[lo:hi]), grad.shape[0], grad.size)


# ---- class indices -------------------------------------------------------------------------------
class NllLossBackward0(Node):
    """Backward of ``nll_loss`` and of the fused ``cross_entropy`` with class-index targets (named
    after the top node of PyTorch's ``cross_entropy`` graph)."""

    def backward(self, g):
        if self._next[0] is None:
            return None, None
        if STATE.enabled:
            return self._graph_backward(g), None
        xp = xp_of(self.ts)
        a = self._row_scale(g._data, xp)
        coef = a if self.wt is None else a * self.wt  # the weight of each row's target
        if self.logits:
            eps = self.eps
            r = coef if not eps else (1 - eps) * coef + a * (eps * self.wsum / self.c)
            # NOTE: the saved exp(x - max) becomes the gradient in place; a second backward
            # (retain_graph=True) recomputes it from the saved input
            grad, self.e = self.e, None
            if grad is None:
                x2 = _canonical(self.saved_tensors[0]._data, self.c)
                grad = xp.exp(x2 if self.shift is None else x2 - self.shift)
            _scale_rows(grad, _row_axis(r) / self.se)
            if self.eps:
                grad -= _row_axis(a * (self.eps / self.c)) * self.wb
            grad[self.idx] -= (1 - self.eps) * coef if self.eps else coef
        else:
            grad = xp.zeros(self.shape2, self.dtype)
            grad[self.idx] = -coef
        return wrap(grad.reshape(self.shape)), None

    def _row_scale(self, g, xp):
        """The upstream gradient of each row (0-d when reduced), zero on ignored rows."""
        with np.errstate(**_ERRSTATE):
            s = g / self.denom if self.red == _MEAN else g
        if self.red == _NONE:
            s = s.reshape(self.ts.shape)
        return s if self.valid is None else xp.where(self.valid, s, 0).astype(self.dtype)

    def _graph_backward(self, g):
        """The same gradient from Tensor ops, so that it can be differentiated again."""
        (x,) = self.saved_tensors
        xp = xp_of(self.ts)
        q = xp.zeros(self.shape2, self.dtype)
        wt = xp.ones(self.ts.shape, self.dtype) if self.wt is None else self.wt
        q[self.idx] = (1 - self.eps) * wt
        if self.eps:
            q += (self.eps / self.c) * self.wb
        if self.valid is not None:
            q *= _row_axis(self.valid)
        q = wrap(q)
        s = g / float(self.denom) if self.red == _MEAN else g
        if self.red == _NONE:
            s = s.reshape(self.ts.shape).unsqueeze(1)
        if self.valid is not None:
            from ember._ops.compare import where
            s = where(wrap(_row_axis(self.valid)), s, 0.0)
        if self.logits:
            p = x.reshape(self.shape2).log_softmax(1).exp()
            grad = (p * q.sum(1, keepdim=True) - q) * s
        else:
            # NOTE: nll's gradient does not depend on x; ``+ x * 0`` keeps it connected to x, as
            # in PyTorch (a second derivative of zeros instead of an unused-input error)
            grad = x.reshape(self.shape2) * 0.0 - q * s
        return grad.reshape(self.shape)


def _targets(td, c, ignore_index, xp):
    """Safe target indices (ignored rows point at class 0), the mask of kept rows (None: all kept),
    after PyTorch's bounds check."""
    if not td.size:
        return td, None
    # NOTE: one reduction checks both bounds: as uint64, a negative int64 is huge
    if int(td.view(np.uint64).max()) < c and not 0 <= ignore_index < c:
        return td, None
    valid = td != ignore_index
    bad = valid & ((td < 0) | (td >= c))
    if bad.any():
        raise IndexError(f"Target {int(td[bad][0])} is out of bounds.")
    return xp.where(valid, td, 0), valid


def _nll(input, target, weight, red, ignore_index, eps, logits):
    """The loss on class indices; ``logits``: ``input`` holds logits (fused log-softmax)."""
    xd, td = input._data, target._data
    _check_index_target(xd, td, "log_softmax_lastdim_kernel_impl" if logits else
                        "nll_loss_out_frame")
    c = xd.shape[1] if xd.ndim > 1 else xd.shape[0]
    wd = _check_weight(weight, xd, c)
    no_grad_arg(weight, "weight", "nll_loss_forward")
    xp = xp_of(xd)
    x2 = _canonical(xd, c)
    t2 = td.reshape(x2.shape[:1] + x2.shape[2:])
    if t2.dtype != np.int64:
        t2 = t2.astype(np.int64)
    ts, valid = _targets(t2, c, ignore_index, xp)
    idx = ((xp.arange(x2.shape[0]), ts) if x2.ndim == 2 else
           (xp.arange(x2.shape[0])[:, None], ts, xp.arange(x2.shape[2])[None, :]))
    dt = xd.dtype
    with np.errstate(**_ERRSTATE):
        if logits:
            if eps:  # the class-weighted sum of x - max, before e is exponentiated in place
                e, m = _exp_shifted(x2)
                wshape = (1, c) + (1,) * (x2.ndim - 2)
                wb = xp.ones(wshape, dt) if wd is None else wd.reshape(wshape)
                wsum = c if wd is None else wd.sum()
                ws = _row_sum(e, xp.ones(c, dt) if wd is None else wd)[:, 0]
                se = _exp_rows(e, xp.ones(c, dt))
                lse = np.log(se)[:, 0]
            else:
                e, se, m = _softmax_parts(x2, xp.ones(c, dt))
            loss = _loss_of_target(e[idx], x2[idx], se[:, 0], None if m is None else m[:, 0])
        else:
            loss = -x2[idx]
        wt = None if wd is None else wd[ts]
        if wt is not None:
            loss = loss * wt
        if eps:
            loss = (1 - eps) * loss + (eps / c) * (wsum * lse - ws)
        if valid is not None:
            loss = xp.where(valid, loss, 0).astype(dt)
        denom = None
        if red == _NONE:
            out = loss.reshape(td.shape if xd.ndim > 1 else ())
        elif red == _SUM:
            out = loss.sum()
        else:
            if wt is None:
                denom = dt.type(ts.size if valid is None else int(valid.sum()))
            else:
                denom = wt.sum() if valid is None else xp.where(valid, wt, 0).sum()
            out = loss.sum() / denom
    if not (STATE.enabled and input._rg):
        return wrap(out)
    node = NllLossBackward0()
    node.logits, node.red, node.eps, node.c, node.dtype = logits, red, eps, c, dt
    node.shape, node.shape2, node.idx, node.ts, node.valid = xd.shape, x2.shape, idx, ts, valid
    node.wt, node.denom = wt, denom
    if logits:
        node.e, node.se, node.shift = e, se, m
    if eps:
        node.wb, node.wsum = wb, wsum
    node.save_for_backward(input)
    return track(out, node, (input, None))


# ---- class probabilities -------------------------------------------------------------------------
class CrossEntropyLossBackward0(Node):
    """Backward of ``cross_entropy`` with class-probability targets: gradients for the input, the
    target and the class weight (PyTorch composes this case, so all three are differentiable)."""

    def backward(self, g):
        need_x, need_t, need_w = (e is not None for e in self._next)
        if STATE.enabled:
            return self._graph_backward(g, need_x, need_t, need_w)
        with np.errstate(**_ERRSTATE):
            s = g._data / self.denom if self.red == _MEAN else g._data
        a = s.reshape(self.rows)[:, None] if self.red == _NONE else s
        logp, q = self.logp, self.q
        gx = gt = gw = None
        if need_x:
            ones = xp_of(q).ones(self.c, q.dtype)
            gx = wrap(((np.exp(logp) * _row_sum(q, ones) - q) * a).reshape(self.shape))
        if need_t:
            gt = wrap((logp * self.wb * (-(1 - self.eps) * a)).reshape(self.shape))
        if need_w:
            gw = wrap(-(self.pt * logp * a).sum(axis=self.other_axes))
        return gx, gt, gw

    def _graph_backward(self, g, need_x, need_t, need_w):
        x, t, w = self.saved_tensors
        eps, c = self.eps, self.c
        s = g / float(self.denom) if self.red == _MEAN else g
        a = s.reshape(self.rows).unsqueeze(1) if self.red == _NONE else s
        logp = x.reshape(self.shape2).log_softmax(1)
        pt = t.reshape(self.shape2)
        if eps:
            pt = pt * (1 - eps) + eps / c
        wb = wrap(self.wb) if w is None else w.reshape(self.wb.shape)
        gx = gt = gw = None
        if need_x:
            q = pt * wb
            gx = ((logp.exp() * q.sum(1, keepdim=True) - q) * a).reshape(self.shape)
        if need_t:
            gt = (logp * wb * (a * -(1 - eps))).reshape(self.shape)
        if need_w:
            gw = -(pt * logp * a).sum(self.other_axes)
        return gx, gt, gw


def _soft_cross_entropy(input, target, weight, red, eps):
    """Cross-entropy with class probabilities: ``-sum_c w_c p_c log_softmax(x)_c`` per sample,
    ``p`` the (smoothed) target; 'mean' divides by the number of samples."""
    xd, td = input._data, target._data
    if td.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{type_name(td.dtype)}")
    if xd.ndim == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    c = xd.shape[1] if xd.ndim > 1 else xd.shape[0]
    wd = _check_weight(weight, xd, c, "cross_entropy: ")
    if eps > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    eps = eps if eps > 0 else 0.0
    if xd.dtype.kind != "f":
        raise NotImplementedError("\"log_softmax_lastdim_kernel_impl\" not implemented for "
                                  f"'{type_name(xd.dtype)}'")
    xd, td = promote_arrays(xd, td)
    if wd is not None:
        xd, wd = promote_arrays(xd, wd)
        td = td.astype(xd.dtype, copy=False)
    xp = xp_of(xd)
    x2, t2 = _canonical(xd, c), _canonical(td, c)
    wshape = (1, c) + (1,) * (x2.ndim - 2)
    wb = xp.ones(wshape, xd.dtype) if wd is None else wd.reshape(wshape)
    with np.errstate(**_ERRSTATE):
        s = x2 - x2.max(axis=1, keepdims=True) if x2.size else x2
        ones = xp.ones(c, xd.dtype)
        logp = s - np.log(_row_sum(np.exp(s), ones))
        pt = t2 * (1 - eps) + eps / c if eps else t2
        q = pt if wd is None else pt * wb
        loss = -_row_sum(q * logp, ones)[:, 0]
        denom = None
        if red == _NONE:
            out = loss.reshape(xd.shape[:1] + xd.shape[2:] if xd.ndim > 1 else ())
        elif red == _SUM:
            out = loss.sum()
        else:
            denom = xd.dtype.type(xd.size // c if c else 0)
            out = loss.sum() / denom
    inputs = (input, target, weight)
    if not (STATE.enabled and any(t is not None and t._rg for t in inputs)):
        return wrap(out)
    node = CrossEntropyLossBackward0()
    node.red, node.eps, node.c, node.denom = red, eps, c, denom
    node.shape, node.shape2, node.logp, node.q, node.pt, node.wb = (xd.shape, x2.shape, logp, q,
                                                                    pt, wb)
    node.rows = x2.shape[:1] + x2.shape[2:]
    node.other_axes = (0,) + tuple(range(2, x2.ndim))
    node.save_for_backward(*inputs)
    return track(out, node, inputs)


# ---- public functions ----------------------------------------------------------------------------
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    r"""The cross-entropy between the softmax of ``input`` (logits) and ``target``.

    One fused, numerically stable primitive: log-softmax and the negative log-likelihood in a
    single pass, with a closed-form backward (``softmax - onehot``, scaled).

    Args:
        input (Tensor): unnormalised logits, ``(N, C)``, ``(C,)`` or ``(N, C, d1, ..., dk)``.
        target (Tensor): class indices (int64 or uint8) of shape ``(N,)``, ``()`` or
            ``(N, d1, ..., dk)``, each in ``[0, C)`` or equal to ``ignore_index``; or class
            probabilities, a float tensor shaped like ``input``.
        weight (Tensor, optional): a rescaling weight for each class, shape ``(C,)``.
        ignore_index (int): targets equal to it contribute nothing (class indices only).
            Default: -100.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. ``'mean'`` divides by the summed
            weight of the non-ignored targets (by the number of samples for probabilities).
            Default: ``'mean'``.
        label_smoothing (float): in ``[0.0, 1.0]``: mix the target with the uniform distribution,
            ``(1 - label_smoothing) * target + label_smoothing / C``. Default: 0.0.
        size_average, reduce: deprecated (see ``reduction``).

    Shape:
        - Output: a scalar, or the target's shape (``(N, d1, ...)``) with ``reduction='none'``.

    Example::

        >>> input = ember.randn(3, 5, requires_grad=True)
        >>> target = ember.tensor([1, 0, 4])
        >>> loss = F.cross_entropy(input, target)
        >>> loss.backward()
    """
    red = reduction_enum(size_average, reduce, reduction)
    if input._data.shape == target._data.shape:  # same shapes: class probabilities
        if ignore_index >= 0:
            td = target._data
            if td.dtype.kind != "f":
                raise RuntimeError("Expected floating point type for target with class "
                                   f"probabilities, got {type_name(td.dtype)}")
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _soft_cross_entropy(input, target, weight, red, float(label_smoothing))
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    eps = float(label_smoothing) if label_smoothing > 0 else 0.0
    return _nll(input, target, weight, red, ignore_index, eps, True)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    r"""The negative log-likelihood loss: ``-weight[t] * input[t]`` for each target class ``t``.

    ``input`` holds log-probabilities (e.g. from ``log_softmax``); ``cross_entropy`` fuses the two.

    Args:
        input (Tensor): ``(N, C)``, ``(C,)`` or ``(N, C, d1, ..., dk)`` log-probabilities.
        target (Tensor): class indices (int64 or uint8), ``(N,)``, ``()`` or ``(N, d1, ..., dk)``.
        weight (Tensor, optional): a weight for each class, shape ``(C,)``.
        ignore_index (int): targets equal to it contribute nothing. Default: -100.
        reduction (str): ``'none'`` | ``'mean'`` (divided by the summed weight of the kept
            targets) | ``'sum'``. Default: ``'mean'``.
        size_average, reduce: deprecated (see ``reduction``).

    Example::

        >>> logp = F.log_softmax(ember.randn(3, 5, requires_grad=True), dim=1)
        >>> F.nll_loss(logp, ember.tensor([1, 0, 4])).backward()
    """
    red = reduction_enum(size_average, reduce, reduction)
    return _nll(input, target, weight, red, ignore_index, 0.0, False)

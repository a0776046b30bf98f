"""Primitives of the pointwise losses: MSE, smooth L1, Huber, binary cross-entropy (on
probabilities and on logits) and the soft margin loss.

PyTorch computes each as one kernel with its own node (``MseLossBackward0`` ...); so does ember:
one node instead of a chain of small ops (the loss runs every step), the same ``grad_fn`` names,
and stable forms where a composition would overflow (log-sigmoid for the logits versions). The
reduction is part of the primitive. Backward formulas are Tensor ops, so double backward works.
"""
import numpy as np

from ember._ops._arith import shape_error
from ember._ops._util import binary_operands
from ember._ops.reduce import type_name
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

_NONE, _MEAN, _SUM = 0, 1, 2
_ERRSTATE = dict(invalid="ignore", divide="ignore", over="ignore")


def no_grad_arg(t, arg, fn):
    """PyTorch refuses (while recording) an argument its kernel cannot differentiate."""
    if t is not None and t._rg and STATE.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


def _operands(input, target, kernel):
    """The two arrays in PyTorch's result dtype, which must be floating point."""
    _, _, xd, td = binary_operands(input, target)
    if xd.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(xd.dtype)}\'')
    return xd, td


def _reduce(loss, red):
    """The reduced loss array and the count that 'mean' divides by."""
    if red == _NONE:
        return loss, 1
    if red == _SUM:
        return loss.sum(), 1
    with np.errstate(**_ERRSTATE):  # the mean of nothing is nan, quietly
        return loss.sum() / loss.dtype.type(loss.size), loss.size


def _finish(r, node, red, n, inputs, saved):
    """Wrap the result; record ``node`` when an input needs grad."""
    if not (STATE.enabled and any(t is not None and t._rg for t in inputs)):
        return wrap(r)
    node.red, node.n = red, n
    node.save_for_backward(*saved)
    return track(r, node, inputs)


class _LossNode(Node):
    red = _NONE
    n = 1

    def scale(self, g):
        """The upstream gradient of each element (the mean's division included)."""
        return g / self.n if self.red == _MEAN else g

    def both(self, gx):
        """``gx`` for the input and ``-gx`` for the target, as needed (losses of ``x - y``)."""
        nx, nt = self._next
        return (None if nx is None else gx), (None if nt is None else -gx)


def _diff(xd, td):
    try:
        return xd - td
    except ValueError:
        raise shape_error(xd, td) from None


# ---- regression ----------------------------------------------------------------------------------
class MseLossBackward0(_LossNode):
    def backward(self, g):
        x, t = self.saved_tensors
        return self.both((x - t) * (self.scale(g) * 2))


def mse(input, target, red):
    xd, td = _operands(input, target, "mse_cpu")
    d = _diff(xd, td)
    r, n = _reduce(d * d, red)
    return _finish(r, MseLossBackward0(), red, n, (input, target), (input, target))


class SmoothL1LossBackward0(_LossNode):
    def backward(self, g):
        x, t = self.saved_tensors
        return self.both(((x - t) / self.beta).clamp(-1, 1) * self.scale(g))


def smooth_l1(input, target, red, beta):
    xd, td = _operands(input, target, "smooth_l1_cpu")
    d = _diff(xd, td)
    ad = np.abs(d)
    loss = np.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta).astype(d.dtype, copy=False)
    r, n = _reduce(loss, red)
    node = SmoothL1LossBackward0()
    node.beta = beta
    return _finish(r, node, red, n, (input, target), (input, target))


class HuberLossBackward0(_LossNode):
    def backward(self, g):
        x, t = self.saved_tensors
        return self.both((x - t).clamp(-self.delta, self.delta) * self.scale(g))


def huber(input, target, red, delta):
    xd, td = _operands(input, target, "huber_cpu")
    d = _diff(xd, td)
    ad = np.abs(d)
    loss = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).astype(d.dtype,
                                                                                  copy=False)
    r, n = _reduce(loss, red)
    node = HuberLossBackward0()
    node.delta = delta
    return _finish(r, node, red, n, (input, target), (input, target))


# ---- binary classification -----------------------------------------------------------------------
class BinaryCrossEntropyBackward0(_LossNode):
    def backward(self, g):
        x, t, w = self.saved_tensors
        s = self.scale(g)
        if w is not None:
            s = s * w
        nx, nt = self._next
        gx = None if nx is None else s * (x - t) / ((1 - x) * x).clamp_min(1e-12)
        gt = None if nt is None else -(x / (1 - x)).log() * s  # -logit(x), unclamped
        return gx, gt


def binary_cross_entropy(input, target, weight, red):
    """``-(t log x + (1 - t) log(1 - x))`` with each log clamped at -100, as PyTorch."""
    xd, td = input._data, target._data
    if td.dtype != xd.dtype:
        raise RuntimeError(f"Found dtype {type_name(td.dtype)} but expected "
                           f"{type_name(xd.dtype)}")
    if xd.dtype.kind != "f":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for "
                                  f"'{type_name(xd.dtype)}'")
    if not ((xd >= 0) & (xd <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    no_grad_arg(weight, "weight", "binary_cross_entropy")
    with np.errstate(**_ERRSTATE):
        loss = ((td - 1) * np.maximum(np.log1p(-xd), -100)
                - td * np.maximum(np.log(xd), -100))
    if weight is not None:
        loss = loss * weight._data
    r, n = _reduce(loss, red)
    return _finish(r, BinaryCrossEntropyBackward0(), red, n, (input, target),
                   (input, target, weight))


def _log_sigmoid_array(x):
    """``log(sigmoid(x))`` without overflow: ``min(x, 0) - log1p(exp(-|x|))``."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x):
    """``log(sigmoid(x))`` from Tensor ops (for backward formulas), stable for large ``|x|``."""
    return x.clamp(max=0) - (-x.abs()).exp().log1p()


class BinaryCrossEntropyWithLogitsBackward0(_LossNode):
    def backward(self, g):
        x, t, w, pw = self.saved_tensors
        s = self.scale(g)
        if w is not None:
            s = s * w
        nx, nt = self._next
        gx = gt = None
        if nx is not None:
            if pw is None:
                gx = (x.sigmoid() - t) * s
            else:
                pt = pw * t
                gx = ((pt + 1 - t) * x.sigmoid() - pt) * s
        if nt is not None:
            if pw is None:
                gt = -x * s
            else:
                ls = log_sigmoid(x)
                gt = (ls - x - ls * pw) * s  # log_sigmoid(-x) - pos_weight * log_sigmoid(x)
        return gx, gt


def binary_cross_entropy_with_logits(input, target, weight, pos_weight, red):
    """``(1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x)``, times ``weight``."""
    no_grad_arg(weight, "weight", "binary_cross_entropy_with_logits")
    no_grad_arg(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
    xd, td = _operands(input, target, "log_sigmoid_cpu")
    if input._data.dtype.kind != "f":
        raise NotImplementedError("\"log_sigmoid_cpu\" not implemented for "
                                  f"'{type_name(input._data.dtype)}'")
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"result type {type_name(xd.dtype)} can't be cast to the desired "
                           f"output type {type_name(target._data.dtype)}")
    with np.errstate(**_ERRSTATE):
        ls = _log_sigmoid_array(xd)
        if pos_weight is not None:
            try:
                ls = ls * ((pos_weight._data - 1) * td + 1)
            except ValueError:
                raise shape_error(pos_weight._data, td) from None
        loss = (1 - td) * xd - ls
        if weight is not None:
            loss = loss * weight._data
    r, n = _reduce(loss.astype(xd.dtype, copy=False), red)
    return _finish(r, BinaryCrossEntropyWithLogitsBackward0(), red, n, (input, target),
                   (input, target, weight, pos_weight))


class SoftMarginLossBackward0(_LossNode):
    def backward(self, g):
        x, t = self.saved_tensors
        return -t * (-(t * x)).sigmoid() * self.scale(g), None


def soft_margin(input, target, red):
    """``log(1 + exp(-y x))``, computed as ``logaddexp(0, -y x)`` (finite for any ``y x``)."""
    no_grad_arg(target, "target", "soft_margin_loss")
    _, _, xd, td = binary_operands(input, target)
    if xd.dtype.kind != "f" or input._data.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{type_name(input._data.dtype)}")
    try:
        z = -(xd * td)
    except ValueError:
        raise shape_error(xd, td) from None
    r, n = _reduce(np.logaddexp(0, z).astype(z.dtype, copy=False), red)
    return _finish(r, SoftMarginLossBackward0(), red, n, (input, None), (input, target))

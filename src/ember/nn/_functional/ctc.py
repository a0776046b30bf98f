"""``ctc_loss``: the Connectionist Temporal Classification loss (Graves et al., 2006).

The per-sample negative log-likelihood is one primitive (``CtcLossBackward0``, PyTorch's
``_ctc_loss``): the alpha recursion runs in log space over time, each step vectorised over the batch
and the extended label sequence ``blank, l1, blank, l2, ..., blank``; backward runs the beta
recursion the same way. The rest (``zero_infinity``, the reductions) is composed of Tensor ops, as
in PyTorch (``aten/src/ATen/native/LossCTC.cpp``).

The recursions are loops of small steps, so they run with NumPy on the host whatever the device
(the result and the gradient go back to the input's device).

NOTE: like PyTorch's, the gradient assumes ``log_probs`` is a ``log_softmax`` output: it is
``exp(log_probs) - posterior occupancy`` (the gradient through the softmax folded in), not the
plain derivative of the loss with respect to ``log_probs``.
"""
import numpy as np

from ember import _backend
from ember._ops.compare import where
from ember._ops.reduce import type_name
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node
from ember.nn import _reduction

__all__ = ["ctc_loss"]

_NONE, _MEAN, _SUM = 0, 1, 2
_NEG_INF = -np.inf
_ERRSTATE = dict(invalid="ignore", divide="ignore", over="ignore")
_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(lengths, name):
    """An int64 array from a Tensor (integral, any shape) or a sequence of ints."""
    if isinstance(lengths, Tensor):
        if lengths._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return np.asarray(_backend.to_device(lengths._data, "cpu"), np.int64).reshape(-1)
    return np.asarray([int(n) for n in lengths], dtype=np.int64)


def _check(xd, td, il, tl, blank):
    """PyTorch's checks, with its messages; returns the labels as an (N, L) int64 array."""
    t_len, n, c = xd.shape
    if not (0 <= blank < c):
        raise RuntimeError("blank must be in label range")
    if il.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if not 1 <= td.ndim <= 2:
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {td.ndim}-dimensional tensor "
                           f"for argument #2 'targets'{_WHERE}")
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value "
                               f"{v}{_WHERE}")
    max_l = int(tl.max()) if n else 0
    if td.ndim == 1:  # concatenated targets
        if td.shape[0] != tl.sum():
            raise RuntimeError(f"Expected tensor to have size {tl.sum()} at dimension 0, but got "
                               f"size {td.shape[0]} for argument #2 'targets'{_WHERE}")
        offsets = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        idx = np.minimum(offsets[:, None] + np.arange(max_l), max(td.shape[0] - 1, 0))
        labels = td[idx] if td.shape[0] else np.zeros((n, max_l), np.int64)
    else:
        if td.shape[0] != n:
            raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size "
                               f"{td.shape[0]} for argument #2 'targets'{_WHERE}")
        if td.shape[1] < max_l:
            raise RuntimeError(f"Expected tensor to have size at least {max_l} at dimension 1, "
                               f"but got size {td.shape[1]} for argument #2 'targets'{_WHERE}")
        labels = td[:, :max_l]
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value "
                               f"{v}{_WHERE}")
        if v > t_len:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_len}, but got "
                               f"value {v}{_WHERE}")
    labels = np.where(np.arange(max_l) < tl[:, None], labels, blank).astype(np.int64)
    # NOTE: PyTorch reads out of bounds here (undefined values); ember refuses
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise IndexError(f"ctc_loss(): target label out of range [0, {c})")
    return labels


def _lse3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)) elementwise, -inf when all three are."""
    m = np.maximum(np.maximum(a, b), c)
    m[m == _NEG_INF] = 0
    return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


class _Lattice:
    """The extended label sequences of a batch and the log-probabilities along them."""

    def __init__(self, lp, labels, il, tl, blank):
        n, max_l = labels.shape
        s = 2 * max_l + 1
        self.ext = np.full((n, s), blank, np.int64)
        self.ext[:, 1::2] = labels
        self.valid = np.arange(s) < (2 * tl + 1)[:, None]
        # a step may skip the blank between two different labels (never between equal ones)
        self.skip = np.zeros((n, s), bool)
        self.skip[:, 2:] = self.ext[:, 2:] != self.ext[:, :-2]
        self.lpe = lp[:, np.arange(n)[:, None], self.ext]  # (T, N, S)
        self.il, self.tl = il, tl

    def alpha(self):
        lpe, valid, skip = self.lpe, self.valid, self.skip
        t_len, n, s = lpe.shape
        alpha = np.full((t_len, n, s), _NEG_INF, lpe.dtype)
        if t_len == 0:
            return alpha
        alpha[0, :, 0] = lpe[0, :, 0]
        if s > 1:
            alpha[0, :, 1] = np.where(self.tl > 0, lpe[0, :, 1], _NEG_INF)
        a2 = np.full((n, s), _NEG_INF, lpe.dtype)
        a3 = np.full((n, s), _NEG_INF, lpe.dtype)
        for t in range(1, t_len):
            a = alpha[t - 1]
            a2[:, 1:] = a[:, :-1]
            a3[:, 2:] = np.where(skip[:, 2:], a[:, :-2], _NEG_INF)
            alpha[t] = np.where(valid, _lse3(a, a2, a3) + lpe[t], _NEG_INF)
        return alpha

    def beta(self):
        lpe, valid, il = self.lpe, self.valid, self.il
        t_len, n, s = lpe.shape
        beta = np.full((t_len, n, s), _NEG_INF, lpe.dtype)
        pos = np.arange(s)
        last = (pos == 2 * self.tl[:, None]) | (pos == 2 * self.tl[:, None] - 1)
        skip_next = np.zeros((n, s), bool)
        skip_next[:, :-2] = self.skip[:, 2:]
        b2 = np.full((n, s), _NEG_INF, lpe.dtype)
        b3 = np.full((n, s), _NEG_INF, lpe.dtype)
        nxt = np.full((n, s), _NEG_INF, lpe.dtype)
        for t in range(t_len - 1, -1, -1):
            b2[:, :-1] = nxt[:, 1:]
            b3[:, :-2] = np.where(skip_next[:, :-2], nxt[:, 2:], _NEG_INF)
            rec = np.where(valid & (t < il - 1)[:, None], _lse3(nxt, b2, b3) + lpe[t], _NEG_INF)
            beta[t] = np.where(last & (t == il - 1)[:, None], lpe[t], rec)
            nxt = beta[t]
        return beta

    def nll(self, alpha):
        il, tl = self.il, self.tl
        n = il.shape[0]
        nll = np.where(tl == 0, 0.0, np.inf).astype(self.lpe.dtype)
        rows = np.flatnonzero(il > 0)
        if rows.size:
            a = alpha[il[rows] - 1, rows]
            l1 = a[np.arange(rows.size), 2 * tl[rows]]
            l2 = np.where(tl[rows] > 0, a[np.arange(rows.size), np.maximum(2 * tl[rows] - 1, 0)],
                          _NEG_INF)
            nll[rows] = -np.logaddexp(l1, l2)
        return nll.reshape(n)


class CtcLossBackward0(Node):
    def backward(self, g):
        (log_probs,) = self.saved_tensors
        lat, alpha, nll = self.lattice, self.alpha, self.nll
        lp = _backend.to_device(log_probs._data, "cpu").astype(lat.lpe.dtype, copy=False)
        t_len, n, c = lp.shape
        with np.errstate(**_ERRSTATE):
            ab = alpha + lat.beta()
            # log-sum of alpha * beta over the positions of each label, per (t, b)
            m = ab.max(axis=2, keepdims=True) if ab.size else np.zeros((t_len, n, 1))
            m[m == _NEG_INF] = 0
            flat = (np.arange(t_len * n).reshape(t_len, n, 1) * c + lat.ext[None]).ravel()
            occ = np.bincount(flat, np.exp(ab - m).ravel(), minlength=t_len * n * c)
            occ = np.log(occ.reshape(t_len, n, c)) + m
            grad = np.exp(lp) - np.exp(occ + nll[None, :, None] - lp)
        keep = np.arange(t_len)[:, None] < lat.il[None, :]
        if self.zero_infinity:
            keep &= ~np.isinf(nll)[None, :]
        grad = np.where(keep[:, :, None], grad, 0).astype(log_probs._data.dtype)
        return wrap(_backend.to_device(grad, log_probs.device)) * g.reshape(1, n, 1)

    def _free(self):
        super()._free()
        self.lattice = self.alpha = None  # the (T, N, S) arrays go with the saved tensors


def _ctc(log_probs, labels, il, tl, blank, zero_infinity):
    """The per-sample negative log-likelihood, shape (N,), as PyTorch's ``_ctc_loss``."""
    xd = _backend.to_device(log_probs._data, "cpu")
    # NOTE: float64 inside: the recursions add up T terms; the result is cast back
    lat = _Lattice(xd.astype(np.float64, copy=False), labels, il, tl, blank)
    with np.errstate(**_ERRSTATE):
        alpha = lat.alpha()
        nll = lat.nll(alpha)
    r = _backend.to_device(nll.astype(xd.dtype), log_probs.device)
    if not (STATE.enabled and log_probs._rg):
        return wrap(r)
    node = CtcLossBackward0()
    node.lattice, node.alpha, node.nll, node.zero_infinity = lat, alpha, nll, zero_infinity
    node.save_for_backward(log_probs)
    return track(r, node, (log_probs,))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    r"""The Connectionist Temporal Classification loss: the negative log-probability of all
    alignments of an input sequence to its (shorter) target sequence.

    Args:
        log_probs (Tensor): :math:`(T, N, C)` or :math:`(T, C)`, log-probabilities of the classes
            per time step (e.g. ``log_softmax(dim=2)`` of the network's outputs).
        targets (Tensor): :math:`(N, S)` padded targets or :math:`(\sum \text{target\_lengths})`
            concatenated ones; class indices other than ``blank``.
        input_lengths (Tensor or tuple of ints): :math:`(N)` or :math:`()`, each <= T.
        target_lengths (Tensor or tuple of ints): :math:`(N)` or :math:`()`; both lengths must be
            Tensors or both sequences.
        blank (int): the blank label. Default: 0.
        reduction (str): ``'none'`` | ``'mean'`` (each loss divided by its target length, then
            the batch mean) | ``'sum'``. Default: ``'mean'``.
        zero_infinity (bool): zero infinite losses (inputs too short for their targets) and their
            gradients. Default: ``False``.

    Example::

        >>> log_probs = ember.randn(50, 16, 20).log_softmax(2).detach().requires_grad_()
        >>> targets = ember.randint(1, 20, (16, 30))
        >>> loss = F.ctc_loss(log_probs, targets, (50,) * 16, (30,) * 16)
        >>> loss.backward()
    """
    red = _reduction.get_enum(reduction)
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor) or not all(
            isinstance(x, (Tensor, tuple, list)) for x in (input_lengths, target_lengths)):
        raise TypeError("ctc_loss() received an invalid combination of arguments: input_lengths "
                        "and target_lengths must be both Tensors or both tuples of ints")
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    xd = log_probs._data
    if xd.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{type_name(xd.dtype)}'")
    batched = xd.ndim == 3
    if xd.ndim not in (2, 3):
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {xd.ndim + 1}-dimensional "
                           f"tensor for argument #1 'log_probs'{_WHERE}")
    if not xd.size:
        raise RuntimeError("log_probs tensor must not be empty")
    x = log_probs if batched else log_probs.unsqueeze(1)
    td = _backend.to_device(targets._data, "cpu") if isinstance(targets, Tensor) else targets
    td = np.asarray(td).astype(np.int64)
    labels = _check(x._data, td, il, tl, blank)
    res = _ctc(x, labels, il, tl, blank, zero_infinity)
    if zero_infinity:
        res = where(res == float("inf"), 0.0, res)
    if red == _MEAN:
        div = wrap(_backend.to_device(np.maximum(tl, 1).astype(xd.dtype), log_probs.device))
        return (res / div).mean()
    if red == _SUM:
        return res.sum()
    return res if batched else res.squeeze(0)

"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
import functools

import numpy as np

from ember._backend import axpy
from ember._tensor import wrap
from ember.optim.optimizer import Optimizer, _grad_into, _hyper, _in_spans, _use_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's formulation:

    .. math::
        g_t = \nabla + \lambda\theta, \quad b_t = \mu b_{t-1} + (1-\tau) g_t \;(b_1 = g_1), \quad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        dampening (float): dampening for momentum :math:`\tau` (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        nesterov (bool): use Nesterov momentum (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted for compatibility; ember has one implementation
            (``differentiable=True`` is not supported).

    Example::

        opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        self._refuse_unsupported(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(nesterov=False, maximize=False, foreach=None, differentiable=False,
                             fused=False)

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _hyper(group["lr"])
            momentum = _hyper(group["momentum"])
            dampening = _hyper(group["dampening"])
            wd = _hyper(group["weight_decay"])
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d, g = p._data, p.grad._data
                buf, rule = None, dict(wd=wd, maximize=maximize, dampening=dampening)
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        # the first step starts the buffer at the gradient itself (no dampening),
                        # computed into a new array that becomes the buffer (work arrays of the
                        # parameter's size would be kept for the optimizer's lifetime)
                        g = (_grad_into(d, g, maximize, wd, np.empty_like(g), np.empty_like(g))
                             if maximize or wd else g.copy())
                        buf_t = state["momentum_buffer"] = wrap(g)
                        rule = dict(wd=0, maximize=False, dampening=None)
                    else:
                        buf_t._vc[0] += 1
                    buf = buf_t._data
                # NOTE: plain SGD is one axpy over the whole parameter, with BLAS's own threads:
                # 93 us on 2M elements, where spans on our threads took 260-390 us
                if buf is not None or maximize or wd or not axpy(-lr, g, d):
                    _in_spans(functools.partial(_sgd_update, lr=lr, momentum=momentum,
                                                nesterov=nesterov, **rule),
                              (d, g, buf), lambda d=d: (self._work(d, 0), self._work(d, 1)))
                p._vc[0] += 1
        return loss


def _sgd_update(d, g, buf, w0, w1, *, lr, wd, maximize, momentum, dampening, nesterov):
    """One SGD update of parameter ``d`` in place (PyTorch's order of operations). ``buf``: the
    momentum buffer (None without momentum); ``dampening=None`` when it was just started at the
    gradient (``g`` is then the final gradient already). ``w0``, ``w1``: work arrays."""
    g = _grad_into(d, g, maximize, wd, w0, w1)
    if buf is not None:
        if dampening is not None:
            np.multiply(buf, momentum, out=buf)
            if dampening == 0:
                np.add(buf, g, out=buf)
            else:
                np.multiply(g, 1 - dampening, out=w1)
                np.add(buf, w1, out=buf)
        if nesterov:
            np.multiply(buf, momentum, out=w1)
            np.add(g, w1, out=w0)  # w0 may be g itself: the sum is elementwise
            g = w0
        else:
            g = buf
    if not axpy(-lr, g, d):  # d += -lr * g in one pass, one rounding (torch's add_ with alpha)
        np.multiply(g, -lr, out=w1)
        np.add(d, w1, out=d)

"""RMSprop: divide the gradient by a running root mean square of its recent values."""
import numpy as np

from ember._tensor import Tensor
from ember.optim.optimizer import (Optimizer, _addcmul_sq_, _as_real, _hyper, _lerp_, _new_step,
                                   _steps_as_tensors, _use_grad, _zeros_like)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's formulation (``eps`` added after the square root):

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \tilde v_t = v_t - \bar g_t^2 \text{ if centered}, \quad
        \theta_t = \theta_{t-1} - \gamma\, g_t / (\sqrt{\tilde v_t} + \epsilon)

    With ``momentum`` > 0 the step :math:`g_t / (\sqrt{\tilde v_t} + \epsilon)` goes through a
    momentum buffer first.

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float): learning rate (default: 1e-2).
        alpha (float): smoothing constant (default: 0.99).
        eps (float): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        momentum (float): momentum factor (default: 0).
        centered (bool): normalize by an estimate of the gradient's variance (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        capturable, foreach, differentiable: accepted for compatibility.

    Example::

        opt = ember.optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)
        self._refuse_unsupported(differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(momentum=0, centered=False, foreach=None, maximize=False,
                             differentiable=False, capturable=False)
        _steps_as_tensors(self)

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = _hyper(group["lr"]), _hyper(group["alpha"]), _hyper(group["eps"])
            wd, momentum = _hyper(group["weight_decay"]), _hyper(group["momentum"])
            centered, maximize = group["centered"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                d = p._data
                step_t = state["step"]
                step_t._data += 1
                step_t._vc[0] += 1
                g = self._grad(d, p.grad._data, maximize, wd)
                v_t = state["square_avg"]
                v = v_t._data
                ga_t = state.get("grad_avg") if centered else None
                buf_t = state.get("momentum_buffer") if momentum > 0 else None
                ga = None if ga_t is None else ga_t._data
                buf = None if buf_t is None else buf_t._data
                if d.dtype.kind == "c":
                    d, g, v, ga, buf = _as_real(d, g, v, ga, buf)
                avg = self._work(d, 1)
                np.multiply(v, alpha, out=v)
                _addcmul_sq_(v, g, 1 - alpha, avg)
                v_t._vc[0] += 1
                if centered:
                    _lerp_(ga, g, 1 - alpha, avg)
                    ga_t._vc[0] += 1
                    # square_avg.addcmul(grad_avg, grad_avg, value=-1), in PyTorch's order
                    np.multiply(ga, -1, out=avg)
                    np.multiply(avg, ga, out=avg)
                    np.add(v, avg, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(v, out=avg)
                np.add(avg, eps, out=avg)
                if momentum > 0:
                    np.multiply(buf, momentum, out=buf)
                    np.divide(g, avg, out=avg)
                    np.add(buf, avg, out=buf)
                    buf_t._vc[0] += 1
                    np.multiply(buf, -lr, out=avg)
                    np.add(d, avg, out=d)
                else:
                    upd = self._work(d, 0)  # g is no longer needed after this
                    np.multiply(g, -lr, out=upd)
                    np.divide(upd, avg, out=upd)
                    np.add(d, upd, out=d)
                p._vc[0] += 1
        return loss

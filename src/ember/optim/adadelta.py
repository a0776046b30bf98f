"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
import numpy as np

from ember._tensor import Tensor
from ember.optim.optimizer import (Optimizer, _addcmul_sq_, _as_real, _hyper, _new_step,
                                   _steps_as_tensors, _use_grad, _zeros_like)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's formulation:

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t, \quad
        u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2, \quad \theta_t = \theta_{t-1} - \gamma \Delta_t

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float): coefficient that scales delta before it is applied (default: 1.0).
        rho (float): decay rate of the running averages (default: 0.9).
        eps (float): added inside the square roots for numerical stability (default: 1e-6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable: accepted for compatibility.

    Example::

        opt = ember.optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)
        self._refuse_unsupported(differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(foreach=None, maximize=False, differentiable=False, capturable=False)
        _steps_as_tensors(self)

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, rho, eps = _hyper(group["lr"]), _hyper(group["rho"]), _hyper(group["eps"])
            wd, maximize = _hyper(group["weight_decay"]), group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                d = p._data
                step_t = state["step"]
                step_t._data += 1
                step_t._vc[0] += 1
                g = self._grad(d, p.grad._data, maximize, wd)
                v_t, u_t = state["square_avg"], state["acc_delta"]
                v, u = v_t._data, u_t._data
                if d.dtype.kind == "c":
                    d, g, v, u = _as_real(d, g, v, u)
                std, delta = self._work(d, 1), self._work(d, 2)
                np.multiply(v, rho, out=v)
                _addcmul_sq_(v, g, 1 - rho, std)
                np.add(v, eps, out=std)
                np.sqrt(std, out=std)
                np.add(u, eps, out=delta)
                np.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                np.multiply(delta, g, out=delta)
                np.multiply(u, rho, out=u)
                _addcmul_sq_(u, delta, 1 - rho, std)
                np.multiply(delta, -lr, out=std)
                np.add(d, std, out=d)
                v_t._vc[0] += 1
                u_t._vc[0] += 1
                p._vc[0] += 1
        return loss

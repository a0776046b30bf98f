"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""
import numpy as np

from ember.optim._checks import bump, check_adam_args, scalars_as_tensors
from ember.optim.optimizer import (Optimizer, _as_real, _hyper, _lerp_, _new_step, _use_grad,
                                   _zeros_like)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, PyTorch's formulation:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma\, m_t}{(1-\beta_1^t)\, u_t}

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float, Tensor): learning rate (default: 2e-3).
        betas (Tuple[float, float]): decay rates of the first moment and of the infinity norm
            (default: (0.9, 0.999)).
        eps (float): added to the norm for numerical stability (default: 1e-8).
        weight_decay (float): L2 penalty, added to the gradient (default: 0).
        foreach (bool, optional): accepted for compatibility (ember has one implementation).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        differentiable (bool): not supported (True raises NotImplementedError).
        capturable (bool): accepted for compatibility.

    The state of each parameter holds ``step``, ``exp_avg`` and ``exp_inf``.

    Example::

        opt = ember.optim.Adamax(model.parameters(), lr=2e-3)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)
        self._refuse_unsupported(differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(foreach=None, maximize=False, differentiable=False, capturable=False)
        scalars_as_tensors(self, "step")

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = _hyper(group["lr"]), _hyper(group["eps"]), _hyper(group["weight_decay"])
            beta1, beta2 = (_hyper(b) for b in group["betas"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                step_t, m_t, u_t = state["step"], state["exp_avg"], state["exp_inf"]
                step_t._data += 1
                d = p._data
                g = self._grad(d, p.grad._data, group["maximize"], wd)
                m, u = m_t._data, u_t._data
                if d.dtype.kind == "c":
                    d, g, m, u = _as_real(d, g, m, u)
                tmp = self._work(d, 2)
                _lerp_(m, g, 1 - beta1, tmp)
                np.multiply(u, beta2, out=u)
                np.abs(g, out=tmp)
                np.add(tmp, eps, out=tmp)
                np.maximum(u, tmp, out=u)
                clr = lr / (1 - beta1 ** step_t._data.item())
                # addcdiv in PyTorch's order: p + (value * m) / u
                np.multiply(m, -clr, out=tmp)
                np.divide(tmp, u, out=tmp)
                np.add(d, tmp, out=d)
                bump(step_t, m_t, u_t, p)
        return loss

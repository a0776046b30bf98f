"""RAdam: Adam whose adaptive step is rectified while the second moment's estimate is noisy."""
import numpy as np

from ember.optim._checks import bump, check_adam_args, scalars_as_tensors
from ember.optim.optimizer import (Optimizer, _addcmul_sq_, _as_real, _hyper, _lerp_, _new_step,
                                   _use_grad, _zeros_like)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's formulation:

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \quad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \\
        \theta_t = \theta_{t-1} - \gamma \hat m_t\, r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}
            + \epsilon} \text{ if } \rho_t > 5 \text{ else } \theta_{t-1} - \gamma \hat m_t,
        \quad r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)
            \rho_t}}

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float, Tensor): learning rate (default: 1e-3).
        betas (Tuple[float, float]): decay rates of the moment averages (default: (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): weight decay coefficient (default: 0).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
        foreach, capturable: accepted for compatibility (ember has one implementation).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        differentiable (bool): not supported (True raises NotImplementedError).

    The state of each parameter holds ``step``, ``exp_avg`` and ``exp_avg_sq``.

    Example::

        opt = ember.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)
        self._refuse_unsupported(differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(foreach=None, maximize=False, differentiable=False,
                             decoupled_weight_decay=False, capturable=False)
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
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                step_t, m_t, v_t = state["step"], state["exp_avg"], state["exp_avg_sq"]
                step_t._data += 1
                step = step_t._data.item()
                d = p._data
                if wd != 0 and decoupled:
                    np.multiply(d, 1 - lr * wd, out=d)
                g = self._grad(d, p.grad._data, group["maximize"], 0 if decoupled else wd)
                m, v = m_t._data, v_t._data
                if d.dtype.kind == "c":
                    d, g, m, v = _as_real(d, g, m, v)
                upd, tmp = self._work(d, 2), self._work(d, 3)
                _lerp_(m, g, 1 - beta1, tmp)
                np.multiply(v, beta2, out=v)
                _addcmul_sq_(v, g, 1 - beta2, tmp)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                # in PyTorch's order: ((m / bc1) * lr) [* adaptive_lr * rect], then subtracted
                np.divide(m, bias_correction1, out=upd)
                np.multiply(upd, lr, out=upd)
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    np.sqrt(v, out=tmp)
                    np.add(tmp, eps, out=tmp)
                    np.divide(bias_correction2 ** 0.5, tmp, out=tmp)
                    np.multiply(upd, tmp, out=upd)
                    np.multiply(upd, rect, out=upd)
                np.subtract(d, upd, out=d)
                bump(step_t, m_t, v_t, p)
        return loss

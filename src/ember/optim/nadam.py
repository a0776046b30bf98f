"""NAdam: Adam with Nesterov momentum (Dozat's schedule of the momentum coefficient)."""
import numpy as np

from ember.optim._checks import bump, check_adam_args, scalar_state, scalars_as_tensors
from ember.optim.optimizer import (Optimizer, _addcmul_sq_, _as_real, _hyper, _lerp_, _new_step,
                                   _use_grad, _zeros_like)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's formulation:

    .. math::
        \mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t\psi}), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
        \\
        \theta_t = \theta_{t-1} - \gamma \Big(\frac{(1-\mu_t) g_t}{1-\prod_{i\le t}\mu_i}
            + \frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}\Big) \Big/
            \Big(\sqrt{v_t/(1-\beta_2^t)} + \epsilon\Big)

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float, Tensor): learning rate (default: 2e-3).
        betas (Tuple[float, float]): decay rates of the moment averages (default: (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): weight decay coefficient (default: 0).
        momentum_decay (float): :math:`\psi`, the momentum's decay (default: 4e-3).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW, instead of adding
            to the gradient (NAdamW) (default: False).
        foreach, capturable: accepted for compatibility (ember has one implementation).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        differentiable (bool): not supported (True raises NotImplementedError).

    The state of each parameter holds ``step``, ``mu_product`` (0-d tensors), ``exp_avg`` and
    ``exp_avg_sq``.

    Example::

        opt = ember.optim.NAdam(model.parameters(), lr=2e-3, momentum_decay=4e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)
        self._refuse_unsupported(differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(maximize=False, foreach=None, capturable=False, differentiable=False,
                             decoupled_weight_decay=False)
        scalars_as_tensors(self, "step", "mu_product")

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
            psi, decoupled = _hyper(group["momentum_decay"]), group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["mu_product"] = scalar_state(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                step_t, mp_t = state["step"], state["mu_product"]
                m_t, v_t = state["exp_avg"], state["exp_avg_sq"]
                step_t._data += 1
                step = step_t._data.item()
                d = p._data
                if wd != 0 and decoupled:
                    np.multiply(d, 1 - lr * wd, out=d)
                g = self._grad(d, p.grad._data, group["maximize"], 0 if decoupled else wd)
                m, v = m_t._data, v_t._data
                if d.dtype.kind == "c":
                    d, g, m, v = _as_real(d, g, m, v)
                bias_correction2 = 1 - beta2 ** step
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
                # NOTE: mu_product is a 0-d tensor in PyTorch's scalar dtype (float32): the
                # product rounds there, the coefficients below use its value as a Python float
                np.multiply(mp_t._data, mu, out=mp_t._data)
                mu_product = mp_t._data.item()
                mu_product_next = mu_product * mu_next
                tmp, denom = self._work(d, 2), self._work(d, 3)
                _lerp_(m, g, 1 - beta1, tmp)
                np.multiply(v, beta2, out=v)
                _addcmul_sq_(v, g, 1 - beta2, tmp)
                np.divide(v, bias_correction2, out=denom)
                np.sqrt(denom, out=denom)
                np.add(denom, eps, out=denom)
                # two addcdivs in PyTorch's order: p + (value * x) / denom
                np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product), out=tmp)
                np.divide(tmp, denom, out=tmp)
                np.add(d, tmp, out=d)
                np.multiply(m, (-lr * mu_next) / (1.0 - mu_product_next), out=tmp)
                np.divide(tmp, denom, out=tmp)
                np.add(d, tmp, out=d)
                bump(step_t, mp_t, m_t, v_t, p)
        return loss

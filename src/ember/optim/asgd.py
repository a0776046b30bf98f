"""ASGD: stochastic gradient descent with a decaying step and a running average of the iterates."""
import numpy as np

from ember import _dtype

from ember.optim._checks import bump, check_lr, scalar_state, scalars_as_tensors
from ember.optim.optimizer import Optimizer, _as_real, _hyper, _new_step, _use_grad, _zeros_like

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, PyTorch's formulation:

    .. math::
        \theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t, \quad
        a_t = a_{t-1} + \mu_{t-1}(\theta_t - a_{t-1}), \\
        \eta_t = \gamma / (1 + \lambda\gamma t)^\alpha, \quad \mu_t = 1 / \max(1, t - t_0)

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float, Tensor): learning rate :math:`\gamma` (default: 1e-2).
        lambd (float): decay term :math:`\lambda` (default: 1e-4).
        alpha (float): power for the step size's decay (default: 0.75).
        t0 (float): the step at which averaging starts (default: 1e6).
        weight_decay (float): L2 penalty (default: 0).
        foreach, capturable: accepted for compatibility (ember has one implementation).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        differentiable (bool): not supported (True raises NotImplementedError).

    The state of each parameter holds ``step``, ``eta``, ``mu`` (0-d tensors) and ``ax`` (the
    averaged parameter).

    Example::

        opt = ember.optim.ASGD(model.parameters(), lr=0.01, t0=100)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)
        self._refuse_unsupported(differentiable=differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(foreach=None, maximize=False, differentiable=False, capturable=False)
        scalars_as_tensors(self, "step", "eta", "mu")

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        dflt = _dtype.get_default_dtype().np
        for group in self.param_groups:
            lr, wd = _hyper(group["lr"]), _hyper(group["weight_decay"])
            lambd, alpha, t0 = _hyper(group["lambd"]), _hyper(group["alpha"]), group["t0"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["eta"] = scalar_state(lr)
                    state["mu"] = scalar_state(1.0)
                    state["ax"] = _zeros_like(p)
                step_t, eta_t, mu_t, ax_t = state["step"], state["eta"], state["mu"], state["ax"]
                step_t._data += 1
                d = p._data
                g = self._grad(d, p.grad._data, group["maximize"], wd)
                ax = ax_t._data
                if d.dtype.kind == "c":
                    d, g, ax = _as_real(d, g, ax)
                tmp = self._work(d, 2)
                # NOTE: eta and mu are 0-d tensors in PyTorch's scalar dtype (float32): their
                # values are rounded there before they scale the update
                eta = eta_t._data.item()
                np.multiply(d, 1 - lambd * eta, out=d)
                np.multiply(g, -eta, out=tmp)
                np.add(d, tmp, out=d)
                mu = mu_t._data.item()
                if mu != 1:
                    np.subtract(d, ax, out=tmp)
                    np.multiply(tmp, mu, out=tmp)
                    np.add(ax, tmp, out=ax)
                else:
                    np.copyto(ax, d)
                step = step_t._data.item()
                # NOTE: PyTorch makes the new values tensors of the default dtype before copying
                # them in, so they round there even where eta and mu are float64 (after a load)
                eta_t._data[...] = np.array(lr / ((1 + lambd * lr * step) ** alpha), dflt)
                mu_t._data[...] = np.array(1 / max(1, step - t0), dflt)
                bump(step_t, eta_t, mu_t, ax_t, p)
        return loss

"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
import numpy as np

from ember._tensor import Tensor
from ember.optim.optimizer import (Optimizer, _addcmul_sq_, _as_real, _hyper, _new_step,
                                   _steps_as_tensors, _use_grad, _zeros_like)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's formulation:

    .. math::
        \tilde\gamma_t = \frac{\gamma}{1 + (t-1)\eta}, \quad s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \tilde\gamma_t\, g_t / (\sqrt{s_t} + \epsilon)

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lr_decay (float): learning rate decay :math:`\eta` (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        initial_accumulator_value (float): starting value of the sums :math:`s` (default: 0).
        eps (float): added to the denominator for numerical stability (default: 1e-10).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted for compatibility.

    The state (``step`` and ``sum``) is created for every parameter at construction, as in PyTorch.

    Example::

        opt = ember.optim.Adagrad(model.parameters(), lr=0.1)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        self._refuse_unsupported(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_value):
        state = self.state[p]
        state["step"] = _new_step()
        state["sum"] = _zeros_like(p, complex(initial_value, initial_value)
                                   if p.is_complex() else initial_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(foreach=None, maximize=False, differentiable=False, fused=None)
        _steps_as_tensors(self)

    def share_memory(self):
        """Kept for PyTorch compatibility (multiprocessing shares nothing extra in ember)."""

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lr_decay = _hyper(group["lr"]), _hyper(group["lr_decay"])
            wd, eps, maximize = _hyper(group["weight_decay"]), _hyper(group["eps"]), group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    # a parameter added later by add_param_group: PyTorch reads the defaults here
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                d = p._data
                step_t = state["step"]
                s = step_t._data
                s += 1
                step_t._vc[0] += 1
                step = s.item()
                g = self._grad(d, p.grad._data, maximize, wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                sum_t = state["sum"]
                acc = sum_t._data
                if d.dtype.kind == "c":
                    d, g, acc = _as_real(d, g, acc)
                std = self._work(d, 1)
                _addcmul_sq_(acc, g, 1, std)
                sum_t._vc[0] += 1
                np.sqrt(acc, out=std)
                np.add(std, eps, out=std)
                upd = self._work(d, 0)  # g is no longer needed after this
                np.multiply(g, -clr, out=upd)
                np.divide(upd, std, out=upd)
                np.add(d, upd, out=d)
                p._vc[0] += 1
        return loss

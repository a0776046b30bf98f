"""Adam and AdamW (Adam with decoupled weight decay): one update, two sets of defaults."""
import functools

import numpy as np

from ember._tensor import Tensor
from ember.optim.optimizer import (Optimizer, _addcmul_sq_, _as_real, _grad_into, _hyper,
                                   _in_spans, _lerp_, _new_step,
                                   _steps_as_tensors, _use_grad, _zeros_like)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, PyTorch's formulation (bias-corrected moments; ``eps`` added after the square root):

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
                   \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float): learning rate (default: 1e-3).
        betas (Tuple[float, float]): decay rates of the moment averages (default: (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): L2 penalty, added to the gradient (default: 0).
        amsgrad (bool): use the maximum of past second moments (AMSGrad) (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
        foreach, capturable, differentiable, fused: accepted for compatibility; ember has one
            implementation (``differentiable=True`` is not supported).

    The state of each parameter holds ``step`` (a float32 0-d tensor), ``exp_avg``, ``exp_avg_sq``
    and, with amsgrad, ``max_exp_avg_sq``.

    Example::

        opt = ember.optim.Adam(model.parameters(), lr=1e-3)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)
                or isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.reshape(()) if isinstance(b, Tensor) and b.dim() else b for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        self._refuse_unsupported(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(amsgrad=False, maximize=False, foreach=None, capturable=False,
                             differentiable=False, decoupled_weight_decay=False, fused=None)
        _steps_as_tensors(self)

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
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                d = p._data
                step_t = state["step"]
                s = step_t._data
                s += 1
                step_t._vc[0] += 1
                step = s.item()
                g = p.grad._data
                m_t, v_t = state["exp_avg"], state["exp_avg_sq"]
                m, v = m_t._data, v_t._data
                mx_t = state["max_exp_avg_sq"] if amsgrad else None
                mx = None if mx_t is None else mx_t._data

                def work(d=d):  # (the complex case: seen as real, like the other arrays)
                    return _as_real(self._work(d, 0), self._work(d, 1))
                if d.dtype.kind == "c":
                    d, g, m, v, mx = _as_real(d, g, m, v, mx)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                _in_spans(functools.partial(
                    _adam_update, lr=lr, wd=wd, decoupled=decoupled, maximize=maximize,
                    beta1=beta1, beta2=beta2, eps=eps, step_size=lr / bias_correction1,
                    bc2_sqrt=bias_correction2 ** 0.5), (d, g, m, v, mx), work)
                m_t._vc[0] += 1
                v_t._vc[0] += 1
                if mx_t is not None:
                    mx_t._vc[0] += 1
                p._vc[0] += 1
        return loss


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay shrinks the weights directly,
    :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`, instead of adding to the gradient.

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float): learning rate (default: 1e-3).
        betas (Tuple[float, float]): decay rates of the moment averages (default: (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): decoupled weight decay coefficient :math:`\lambda` (default: 1e-2).
        amsgrad (bool): use the AMSGrad variant (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).

    Example::

        opt = ember.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _adam_update(d, g, m, v, mx, w0, w1, *, lr, wd, decoupled, maximize, beta1, beta2, eps,
                 step_size, bc2_sqrt):
    """One Adam(W) update of parameter ``d`` in place (PyTorch's order of operations), with the
    moments ``m``, ``v`` (and ``mx`` for AMSGrad) and the work arrays ``w0``, ``w1``."""
    if wd != 0 and decoupled:
        np.multiply(d, 1 - lr * wd, out=d)
    g = _grad_into(d, g, maximize, 0 if decoupled else wd, w0, w1)
    tmp = w1
    _lerp_(m, g, 1 - beta1, tmp)
    np.multiply(v, beta2, out=v)
    _addcmul_sq_(v, g, 1 - beta2, tmp)
    if mx is not None:
        np.maximum(mx, v, out=mx)
        v = mx
    denom = tmp
    np.sqrt(v, out=denom)
    np.divide(denom, bc2_sqrt, out=denom)
    np.add(denom, eps, out=denom)
    # addcdiv in PyTorch's order, p + (value * m) / denom; g is no longer needed, so work array 0
    # takes the quotient
    np.multiply(m, -step_size, out=w0)
    np.divide(w0, denom, out=w0)
    np.add(d, w0, out=d)

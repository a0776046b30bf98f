"""Adafactor: second moments kept as row and column factors (memory linear in the sides of a
matrix), with relative step sizes and update clipping. PyTorch's ``torch.optim.Adafactor``."""
import numpy as np

from ember._backend import xp_of
from ember._tensor import Tensor, wrap
from ember.optim._checks import bump, scalars_as_tensors
from ember.optim.optimizer import Optimizer, _hyper, _lerp_, _new_step, _use_grad, _zeros_like

__all__ = ["Adafactor"]


def _norm(a, axis=None):
    """The 2-norm (of all elements, or along ``axis`` keeping it)."""
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=axis is not None))


class Adafactor(Optimizer):
    r"""Adafactor, PyTorch's formulation (a matrix's second moment factored over its last two
    dimensions; vectors keep a full one):

    .. math::
        \hat\beta_{2,t} = 1 - t^{\tau}, \quad \rho_t = \min(\gamma, 1/\sqrt t), \quad
        \alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\,\rho_t, \\
        R_t = \hat\beta_{2,t} R_{t-1} + (1-\hat\beta_{2,t})\,\overline{G_t^2}^{\,\text{row}},\quad
        C_t = \hat\beta_{2,t} C_{t-1} + (1-\hat\beta_{2,t})\,\overline{G_t^2}^{\,\text{col}}, \quad
        \hat V_t = \frac{R_t C_t}{\max(\overline{R_t}, \epsilon_1)}, \\
        U_t = G_t / \sqrt{\max(\hat V_t, \epsilon_1^2)}, \quad
        \theta_t = \theta_{t-1}(1-\gamma\lambda) - \frac{\alpha_t}{\max(1, \mathrm{RMS}(U_t)/d)}U_t

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize (real only).
        lr (float, Tensor): the relative step size's bound :math:`\gamma` (default: 1e-2).
        beta2_decay (float): :math:`\tau`, the decay rate of the second moment's weight
            (default: -0.8).
        eps (Tuple[float | None, float]): :math:`\epsilon_1` (added to the second moment; None
            means the parameter dtype's machine epsilon) and :math:`\epsilon_2` (the smallest
            parameter scale) (default: (None, 1e-3)).
        d (float): the clipping threshold of the update's RMS (default: 1.0).
        weight_decay (float): decoupled weight decay coefficient :math:`\lambda` (default: 0).
        foreach (bool, optional): accepted for compatibility (ember has one implementation).
        maximize (bool): maximize the objective instead of minimizing (default: False).

    The state of each parameter holds ``step`` and ``row_var``/``col_var`` (parameters of 2 or
    more dimensions) or ``variance`` (vectors and scalars).

    Example::

        opt = ember.optim.Adafactor(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._group_defaults(foreach=None)
        scalars_as_tensors(self, "step")

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, wd, dclip = _hyper(group["lr"]), _hyper(group["weight_decay"]), group["d"]
            beta2_decay, (eps1, eps2) = group["beta2_decay"], group["eps"]
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:  # PyTorch checks all before updating any
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
            for p in params:
                state = self.state[p]
                g = p.grad._data
                if len(state) == 0:
                    state["step"] = _new_step()
                    if g.ndim > 1:
                        zeros = xp_of(g).zeros
                        state["row_var"] = wrap(zeros(g.shape[:-1] + (1,), g.dtype))
                        state["col_var"] = wrap(zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype))
                    else:
                        state["variance"] = _zeros_like(p.grad)
                if group["maximize"]:
                    g = -g
                if eps1 is None:
                    # NOTE: as in PyTorch, the first parameter's dtype sets it for the group
                    eps1 = float(np.finfo(p._data.dtype).eps)
                step_t = state["step"]
                step_t._data += 1
                step = step_t._data.item()
                one_minus_beta2_t = step ** beta2_decay
                rho_t = min(lr, 1 / (step ** 0.5))
                d = p._data
                alpha = max(eps2, _norm(d).item() / (d.size ** 0.5)) * rho_t
                if wd != 0:
                    np.multiply(d, 1 - lr * wd, out=d)
                if g.ndim > 1:
                    r_t, c_t = state["row_var"], state["col_var"]
                    r, c = r_t._data, c_t._data
                    row_mean = np.square(_norm(g, -1)) / g.shape[-1]
                    _lerp_(r, row_mean, one_minus_beta2_t, np.empty_like(r))
                    col_mean = np.square(_norm(g, -2)) / g.shape[-2]
                    _lerp_(c, col_mean, one_minus_beta2_t, np.empty_like(c))
                    var = np.matmul(r, c)
                    var /= np.maximum(r.mean(axis=-2, keepdims=True), eps1)
                    bump(r_t, c_t)
                else:
                    v_t = state["variance"]
                    v = v_t._data
                    _lerp_(v, g * g, one_minus_beta2_t, np.empty_like(v))
                    var = v.copy()
                    bump(v_t)
                update = 1 / np.sqrt(np.maximum(var, eps1 * eps1))
                update *= g
                denom = max(1.0, _norm(update).item() / ((update.size ** 0.5) * dclip))
                update *= -alpha / denom
                d += update
                bump(step_t, p)
        return loss

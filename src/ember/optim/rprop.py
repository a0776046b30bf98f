"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink when
it flips; only the gradient's sign is used."""
import numpy as np

from ember.optim._checks import bump, check_lr, scalars_as_tensors
from ember.optim.optimizer import Optimizer, _as_real, _hyper, _new_step, _use_grad, _zeros_like

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (resilient backpropagation), PyTorch's formulation:

    .. math::
        \eta_t = \mathrm{clamp}(\eta_{t-1} \cdot
            \{\eta_+ \text{ if } g_t g_{t-1} > 0;\ \eta_- \text{ if } < 0;\ 1\},
            \Gamma_{min}, \Gamma_{max}), \quad
        \theta_t = \theta_{t-1} - \eta_t \operatorname{sign}(g_t)

    where a gradient whose sign flipped is set to 0 (no move, and no sign change next step).

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize.
        lr (float, Tensor): initial step size (default: 1e-2).
        etas (Tuple[float, float]): the factors :math:`(\eta_-, \eta_+)` that shrink and grow the
            step sizes (default: (0.5, 1.2)).
        step_sizes (Tuple[float, float]): the bounds :math:`(\Gamma_{min}, \Gamma_{max})` of a
            step size (default: (1e-6, 50)).
        capturable, foreach: accepted for compatibility (ember has one implementation).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        differentiable (bool): not supported (True raises NotImplementedError).

    The state of each parameter holds ``step``, ``prev`` (the last gradient used) and
    ``step_size``.

    Example::

        opt = ember.optim.Rprop(model.parameters(), lr=0.01, etas=(0.5, 1.2))
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    lr = _hyper(group["lr"])
                    state["step"] = _new_step()
                    state["prev"] = _zeros_like(p)
                    # complex: real and imaginary parts are separate coordinates, both start at lr
                    state["step_size"] = _zeros_like(
                        p.grad, complex(lr, lr) if p.grad._data.dtype.kind == "c" else lr)
                step_t, prev_t, ss_t = state["step"], state["prev"], state["step_size"]
                step_t._data += 1
                d, g = p._data, p.grad._data
                prev, ss = prev_t._data, ss_t._data
                if d.dtype.kind == "c":
                    d, g, prev, ss = _as_real(d, g, prev, ss)
                grad, sign = self._work(d, 0), self._work(d, 1)
                if group["maximize"]:
                    np.negative(g, out=grad)
                else:
                    np.copyto(grad, g)
                np.multiply(grad, prev, out=sign)
                np.sign(sign, out=sign)
                # NOTE: the factors are written into the sign array (the parameter's dtype) and
                # compared there, as PyTorch's masked assignments do
                sign[sign > 0] = etaplus
                sign[sign < 0] = etaminus
                sign[sign == 0] = 1
                np.multiply(ss, sign, out=ss)
                np.clip(ss, step_size_min, step_size_max, out=ss)
                grad[sign == sign.dtype.type(etaminus)] = 0
                # param.addcmul_(grad.sign(), step_size, value=-1), in PyTorch's order
                np.sign(grad, out=sign)
                np.multiply(sign, -1, out=sign)
                np.multiply(sign, ss, out=sign)
                np.add(d, sign, out=d)
                np.copyto(prev, grad)
                bump(step_t, prev_t, ss_t, p)
        return loss

"""SparseAdam: Adam for sparse gradients (embedding tables), updating only the rows a gradient
touches. ember has no sparse tensors, so every gradient is dense and ``step`` refuses it as
PyTorch does; the class exists so that code constructing it, and its errors, carry over."""
from ember._tensor import Tensor
from ember.optim.optimizer import Optimizer, _use_grad

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""SparseAdam (PyTorch's arguments and checks). NOTE: ember has no sparse tensors, so
    ``step`` raises PyTorch's RuntimeError for the dense gradient of any parameter that has one;
    use :class:`~ember.optim.Adam` instead.

    Args:
        params (iterable): parameters or parameter groups (dicts) to optimize (dense, real).
        lr (float, Tensor): learning rate (default: 1e-3).
        betas (Tuple[float, float]): decay rates of the moment averages (default: (0.9, 0.999)).
        eps (float): added to the denominator for numerical stability (default: 1e-8).
        maximize (bool): maximize the objective instead of minimizing (default: False).

    Example::

        opt = ember.optim.SparseAdam(embedding.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step (always refused: ember's gradients are dense).

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and not p.grad.is_sparse:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
        return loss

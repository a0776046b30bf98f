"""Composable function transforms, as ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap`` and ``functional_call``.

Example::

    >>> from ember.func import functional_call, grad, vmap
    >>> model = ember.nn.Linear(3, 1)
    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> def loss(params, x, y):
    ...     out = functional_call(model, params, (x.unsqueeze(0),))
    ...     return ((out.squeeze(0) - y) ** 2).sum()
    >>> per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, ember.randn(8, 3),
    ...                                                     ember.randn(8, 1))
    >>> per_sample["weight"].shape
    ember.Size([8, 1, 3])
"""
from ember.func._autodiff import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ember.func._functional_call import functional_call
from ember.func._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]

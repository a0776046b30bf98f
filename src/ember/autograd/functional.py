"""Higher-level autograd, as ``torch.autograd.functional``: ``vjp``, ``jvp``, ``jacobian``,
``hessian``, ``vhp``, ``hvp``, all built on :func:`ember.autograd.grad` (reverse mode; ``jvp``
and ``hvp`` by the double-backward trick, as PyTorch does).

``inputs`` is a Tensor or a tuple of them, and results keep the same structure: a tuple where a
tuple was given (for ``jacobian``, a tuple over outputs of tuples over inputs).
"""
from ember._ops.creation import zeros_like
from ember._ops.join import stack
from ember._tensor import Tensor
from ember.autograd.engine import grad
from ember.autograd.grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, name, fn_name):
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            where = f"The {name}" if not is_tuple else f"Entry {i} in the {name}"
            raise TypeError(f"{where} given to {fn_name} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(t).__name__}.")
    return is_tuple, xs


def _prepare(inputs, create_graph):
    """Inputs the function runs on: leaves that require grad (views keeping the graph when a
    graph of the result is wanted), as PyTorch's ``_grad_preprocess``."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(True) for t in inputs)


def _check_outputs(outputs, strict, fn_name):
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require "
                                   "gradients. The outputs must be computed in a differentiable "
                                   "manner from the input when running in strict mode.")


def _fill(grads, like, strict, what):
    """Gradients with zeros where an input did not influence the outputs (an error in strict
    mode)."""
    out = []
    for i, (g, t) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} for input {i} is independent of the input and "
                                   "strict mode is enabled.")
            g = zeros_like(t)
        out.append(g)
    return tuple(out)


def _finish(xs, create_graph, is_tuple):
    xs = tuple(x if create_graph else x.detach() for x in xs)
    return xs if is_tuple else xs[0]


def _default_v(outputs, v, fn_name, what="v"):
    if v is not None:
        return _as_tuple(v, what, fn_name)[1]
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"The vector {what} can only be None if the user-provided function "
                           "returns a single Tensor with a single element.")
    return None


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    Example::

        >>> vjp(lambda x: x ** 2, ember.tensor([1., 2.]), ember.ones(2))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _prepare(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
        _check_outputs(outs, strict, "vjp")
        vs = _default_v(outs, v, "vjp") or (None,) * len(outs)
        pairs = [(o, w) for o, w in zip(outs, vs) if o.requires_grad]  # (others: no gradient)
        grads = (grad([o for o, _ in pairs], xs, [w for _, w in pairs], create_graph=create_graph,
                      allow_unused=True) if pairs else (None,) * len(xs))
        grads = _fill(grads, xs, strict, "output")
    return _finish(outs, create_graph, out_tuple), _finish(grads, create_graph, in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vjp with
    respect to its vector (the double-backward trick).

    Example::

        >>> jvp(lambda x: x ** 2, ember.tensor([1., 2.]), ember.ones(2))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
        xs = _prepare(xs, create_graph)
        if v is None and (len(xs) != 1 or xs[0].numel() != 1):
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        vs = (None,) * len(xs) if v is None else _as_tuple(v, "v", "jvp")[1]
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
        _check_outputs(outs, strict, "jvp")
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        g = grad(outs, xs, us, create_graph=True, allow_unused=True)
        pairs = [(gi, vi if vi is not None else zeros_like(x) + 1) for gi, vi, x in
                 zip(g, vs, xs) if gi is not None]
        if pairs:
            res = grad([p[0] for p in pairs], us, [p[1] for p in pairs],
                       create_graph=create_graph, allow_unused=True)
        else:
            res = (None,) * len(us)
        res = _fill(res, outs, strict, "jvp")
    return _finish(outs, create_graph, out_tuple), _finish(res, create_graph, out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for an output of shape ``O`` and an input of shape
    ``I``, a Tensor of shape ``O + I`` (reverse mode, one backward per output element).

    Example::

        >>> jacobian(lambda x: x ** 2, ember.tensor([1., 2.]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _prepare(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function",
                                    "jacobian")
        _check_outputs(outs, strict, "jacobian")
        jac = []
        for i, out in enumerate(outs):
            rows = [[] for _ in xs]
            flat = out.reshape(-1)
            for j in range(flat.numel()):
                g = (grad(flat[j], xs, retain_graph=True, create_graph=create_graph,
                          allow_unused=True) if out.requires_grad else (None,) * len(xs))
                for k, (gk, x) in enumerate(zip(g, xs)):
                    if gk is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {k}. This is not allowed "
                                               "in strict mode.")
                        gk = zeros_like(x)
                    rows[k].append(gk)
            per_input = []
            for k, x in enumerate(xs):
                r = stack(rows[k]) if rows[k] else zeros_like(x).reshape(0, *x.shape)
                per_input.append(r.reshape(tuple(out.shape) + tuple(x.shape)))
            jac.append(_finish(per_input, create_graph, in_tuple))
    return tuple(jac) if out_tuple else jac[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs`` (the Jacobian of its
    gradient): shape ``I + I`` for one input, a tuple of tuples for several.

    Example::

        >>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1., 2.]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def ensure_single_output(*inp):
        out = func(*inp)
        out_tuple, t = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if t[0].numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return t[0].squeeze()

    def jac_func(*inp):
        return jacobian(ensure_single_output, inp, create_graph=True, strict=strict)
    res = jacobian(jac_func, xs, create_graph=create_graph, strict=strict,
                   strategy=outer_jacobian_strategy)
    return res if in_tuple else res[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: a vjp of its gradient.

    Example::

        >>> vhp(lambda x: (x ** 3).sum(), ember.tensor([1., 2.]), ember.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
        xs = _prepare(xs, create_graph)
        vs = None if v is None else _as_tuple(v, "v", "vhp")[1]
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vhp")
        if out_tuple or outs[0].numel() != 1:
            raise RuntimeError("The function given to vhp should return a single Tensor with "
                               "a single element")
        _check_outputs(outs, strict, "vhp")
        g = grad(outs, xs, create_graph=True, allow_unused=True)
        g = _fill(g, xs, strict, "jacobian")
        if vs is None:
            if len(xs) != 1 or xs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (zeros_like(xs[0]) + 1,)
        res = grad(g, xs, vs, create_graph=create_graph, allow_unused=True)
        res = _fill(res, xs, strict, "hessian")
    return _finish(outs, create_graph, False), _finish(res, create_graph, in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``. The Hessian of a twice-differentiable
    function is symmetric, so this equals :func:`vhp`.

    Example::

        >>> hvp(lambda x: (x ** 3).sum(), ember.tensor([1., 2.]), ember.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    return vhp(func, inputs, v, create_graph, strict)

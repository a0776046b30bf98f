"""The autodiff transforms of ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``, ``jvp``,
``jacrev``, ``jacfwd`` and ``hessian``, built on :func:`ember.autograd.grad`.

How the levels of PyTorch's functorch map onto one autograd graph:

- Each call wraps the tensors it differentiates: a tensor that already requires grad (an outer
  transform's input, or the user's) becomes a ``view_as`` of itself, so the result stays connected
  to it; any other becomes a fresh leaf marked with the call's nesting level. Each wrapper is a
  separate node, so an inner transform never confuses its input with an outer one's.
- Gradients are computed with ``create_graph`` whenever grad mode is on where the transform is
  called: grad of grad, and grad of a function of closed-over tensors, then work.
- Results are returned detached unless their graph reaches a tensor from outside the call (the
  user's tensors that require grad, an enclosing call's leaves), as PyTorch unwraps them: so
  ``grad(f)(x).requires_grad`` is False for a plain ``x``, as in PyTorch.
"""
import functools
import threading

from ember._ops.creation import zeros, zeros_like
from ember._ops.join import stack
from ember._tensor import Tensor
from ember.autograd.engine import grad as _autograd_grad
from ember.autograd.grad_mode import enable_grad, is_grad_enabled
from ember.autograd.graph import AccumulateGrad, accumulator
from ember.func._pytree import spec_str, tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# ---- wrapping and unwrapping --------------------------------------------------------------------
class _Scope:
    """One transform call: the leaves it made, marked with its nesting level.

    A leaf made by this call or by a call nested in it (a higher level) is internal; anything
    else that requires grad (the user's tensors, an enclosing call's leaves) is outside. Use as a
    context manager around the call of the user's function."""

    _local = threading.local()

    def __init__(self):
        self.level = getattr(self._local, "depth", 0)
        self.leaves = []  # (tensor, its AccumulateGrad node): kept alive, so the mark stays

    def __enter__(self):
        self._local.depth = self.level + 1
        return self

    def __exit__(self, *exc):
        self._local.depth = self.level

    def leaf(self, t):
        """Mark ``t`` (a leaf that requires grad, made by this call) as internal."""
        node = accumulator(t)
        node._func_level = self.level
        self.leaves.append((t, node))
        return t

    def wrap(self, t):
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if t.requires_grad:
            return t.view_as(t)
        if not (t.is_floating_point() or t.is_complex()):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        return self.leaf(t.detach().requires_grad_(True))

    def reaches_outside(self, t):
        """Whether ``t``'s graph reaches a leaf that requires grad and is not internal."""
        seen, todo = set(), [t.grad_fn if t.grad_fn is not None else accumulator(t)]
        while todo:
            node = todo.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, AccumulateGrad):
                if getattr(node, "_func_level", -1) < self.level:
                    return True
                continue
            todo.extend(e[0] for e in node._next if e is not None)
        return False

    def unwrap(self, tree, keep_graph, aux=False):
        leaves, spec = tree_flatten(tree)
        if aux:
            for t in leaves:
                if not isinstance(t, Tensor):
                    raise RuntimeError(f"Expected tensors, got unsupported type {type(t)}")
        out = [t.detach() if isinstance(t, Tensor) and not (
            keep_graph and t.requires_grad and self.reaches_outside(t)) else t for t in leaves]
        return tree_unflatten(out, spec)


def _check_argnums(argnums, n):
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in argnums):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {argnums}")
        if len(set(a % n if n else a for a in argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        nums = argnums
    elif isinstance(argnums, int) and not isinstance(argnums, bool):
        nums = (argnums,)
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    return tuple(a % n for a in nums)


def _wrap_argnums(scope, args, argnums):
    """``(args, diff)``: the arguments with those at ``argnums`` wrapped, and the wrapped ones
    (one pytree for an int ``argnums``, a tuple of them for a tuple)."""
    nums = _check_argnums(argnums, len(args))
    args = list(args)
    for a in nums:
        leaves, spec = tree_flatten(args[a])
        args[a] = tree_unflatten([scope.wrap(t) for t in leaves], spec)
    diff = args[nums[0]] if isinstance(argnums, int) else tuple(args[a] for a in nums)
    return tuple(args), diff


def _split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def _grads(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad, zeros for unused inputs."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if pairs and inputs:
        gs = _autograd_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                            retain_graph=retain_graph, create_graph=create_graph,
                            allow_unused=True)
    else:
        gs = (None,) * len(inputs)
    return [zeros_like(x) if g is None else g for g, x in zip(gs, inputs)]


def _tensor_outputs(out, api):
    leaves, spec = tree_flatten(out)
    if not leaves or (len(leaves) == 1 and leaves[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got "
                           f"output = {leaves})")
    for t in leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(t)}")
    return leaves, spec


def _float_outputs(leaves):
    """PyTorch's vjp check: every output floating point or complex."""
    for t in leaves:
        if not (t.is_floating_point() or t.is_complex()):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                               f"Tensors, got Tensor with dtype {t.dtype}")


def _error_if_complex(api, tree, is_input):
    leaves, _ = tree_flatten(tree)
    for i, t in enumerate(leaves):
        if isinstance(t, Tensor) and t.is_complex():
            raise RuntimeError(f"{api}: Expected all {'inputs' if is_input else 'outputs'} to be "
                               f"real but received complex tensor at flattened input idx: {i}")


# ---- grad ---------------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """Like :func:`grad`, but the returned function gives ``(gradient, value)``, or
    ``(gradient, (value, aux))`` with ``has_aux``.

    Example::

        >>> g, v = ember.func.grad_and_value(lambda x: (x ** 2).sum())(ember.tensor([1., 2.]))
        >>> g, v
        (tensor([2., 4.]), tensor(5.))
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        keep = is_grad_enabled()
        with _Scope() as scope, enable_grad():
            args, diff = _wrap_argnums(scope, args, argnums)
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value(f)(*args)")
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.dim()} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
            if out.requires_grad and out.is_complex():
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            flat, spec = tree_flatten(diff)
            gs = _grads([out], flat, [None], create_graph=keep)
        gs = tree_unflatten(scope.unwrap(gs, keep), spec)
        value = scope.unwrap(out, keep)
        return (gs, (value, scope.unwrap(aux, keep, aux=True))) if has_aux else (gs, value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient transform: ``grad(func)`` is a function returning the gradient of the scalar
    ``func`` with respect to its argument(s) ``argnums``. Composes with itself (higher
    derivatives) and with :func:`vmap` (per-sample gradients).

    Args:
        func: a function returning a 0-d Tensor (and an auxiliary object with ``has_aux``).
        argnums: the positional argument to differentiate (an int), or several (a tuple); each
            may be a Tensor or a pytree (tuple/list/dict) of them.
        has_aux: ``func`` returns ``(output, aux)``; the function returns ``(gradient, aux)``.

    Example::

        >>> ember.func.grad(lambda x: x.sin().sum())(ember.tensor([0., 1.]))
        tensor([1.0000, 0.5403])
        >>> ember.func.grad(ember.func.grad(lambda x: x ** 3))(ember.tensor(2.))
        tensor(12.)
    """
    gav = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gav(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ---- vjp / jvp ----------------------------------------------------------------------------------
def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns the vector-Jacobian products,
    a tuple with one entry per primal.

    Args:
        func: a function of Tensors (or pytrees of them) returning Tensors (or a pytree).
        primals: the positional arguments of ``func``.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is returned third.

    Example::

        >>> out, vjp_fn = ember.func.vjp(ember.sin, ember.tensor([0., 1.]))
        >>> vjp_fn(ember.ones(2))
        (tensor([1.0000, 0.5403]),)
    """
    keep = is_grad_enabled()
    with _Scope() as scope, enable_grad():
        flat_p, pspec = tree_flatten(primals)
        wrapped = [scope.wrap(t) for t in flat_p]
        out, aux = _split_aux(func(*tree_unflatten(wrapped, pspec)), has_aux,
                              "vjp(f, *primals)")
        flat_o, ospec = _tensor_outputs(out, "vjp(f, *primals)")
        _float_outputs(flat_o)

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        cg = is_grad_enabled() if create_graph is None else create_graph
        flat_c, cspec = tree_flatten(cotangents)
        if cspec != ospec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               f"structure of outputs to the function. cotangents: "
                               f"{spec_str(cspec)}, primal output: {spec_str(ospec)}")
        for i, (c, o) in enumerate(zip(flat_c, flat_o)):
            if not isinstance(c, Tensor):
                raise RuntimeError(f"Expected cotangents to be Tensors, got {type(c)}")
            if c.shape != o.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{c.shape} and output[{i}] has a shape of {o.shape}.")
        with enable_grad():
            gs = _grads(flat_o, wrapped, flat_c, create_graph=cg, retain_graph=retain_graph or cg)
        return tree_unflatten(scope.unwrap(gs, cg), pspec)

    res = (scope.unwrap(out, keep), vjp_fn)
    return res + (scope.unwrap(aux, keep, aux=True),) if has_aux else res


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product, computed by the
    double-vjp trick (differentiating a vjp with respect to its cotangent).

    Args:
        func: a function of Tensors (or pytrees of them) returning Tensors (or a pytree).
        primals: a tuple of the arguments of ``func``.
        tangents: a tuple of the same structure and shapes.
        strict: raise RuntimeError when no output depends on the inputs.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is returned third.

    Example::

        >>> ember.func.jvp(lambda x: x ** 2, (ember.tensor([1., 2.]),), (ember.ones(2),))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    api = "jvp(f, primals, tangents)"
    for name, v in (("primals", primals), ("tangents", tangents)):
        if not isinstance(v, tuple):
            raise RuntimeError(f"{api}: Expected {name} to be a tuple. E.g. it should be valid "
                               "to call f(*primals).")
    flat_p, pspec = tree_flatten(primals)
    flat_t, tspec = tree_flatten(tangents)
    if pspec != tspec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python "
                           f"structure. For example, if primals is a tuple of 3 tensors, tangents "
                           f"also must be. Got primals with structure {spec_str(pspec)} and "
                           f"tangents with structure {spec_str(tspec)}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if not flat:
            raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
        for v in flat:
            if not isinstance(v, Tensor):
                raise RuntimeError(f"{api}: Expected {name} to only contain Tensors, got "
                                   f"{type(v)}")
    for p, t in zip(flat_p, flat_t):
        for name, v in (("primal", p), ("tangent", t)):
            if not (v.is_floating_point() or v.is_complex()):
                raise ValueError(f"Expected {name} to be floating point or complex, but got: "
                                 f"{v.dtype}")
        if p.shape != t.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than "
                               "that of the original Tensor, this is not supported. Tensor is of "
                               f"size {list(p.shape)} while the given forward gradient is of "
                               f"size {list(t.shape)}.")
    keep = is_grad_enabled()
    with _Scope() as scope, enable_grad():
        wrapped = [scope.wrap(t) for t in flat_p]
        out, aux = _split_aux(func(*tree_unflatten(wrapped, pspec)), has_aux, api)
        flat_o, ospec = _tensor_outputs(out, api)
        if strict and not all(o.requires_grad for o in flat_o):
            raise RuntimeError(f"{api[:-1]}, strict=True): The output of f is independent of "
                               "the inputs. This is not allowed with strict=True.")
        # NOTE: an output that does not require grad (one independent of the inputs, an integer
        # or boolean one) gets a tangent of zeros of its own dtype, as PyTorch's
        dep = [o for o in flat_o if o.requires_grad]
        us = [scope.leaf(zeros_like(o).requires_grad_(True)) for o in dep]
        g = _grads(dep, wrapped, us, create_graph=True)
        pairs = [(gi, ti) for gi, ti in zip(g, flat_t) if gi.requires_grad]
        it = iter(_grads([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=keep))
        res = [next(it) if o.requires_grad else zeros_like(o) for o in flat_o]
    out_t = tree_unflatten(scope.unwrap(res, keep), ospec)
    ret = (scope.unwrap(out, keep), out_t)
    return ret + (scope.unwrap(aux, keep, aux=True),) if has_aux else ret


# ---- Jacobians ----------------------------------------------------------------------------------
def _jacobian(func, argnums, has_aux, name):
    """``jacrev`` (``name``) or ``jacfwd``: the same reverse-mode rows; ``jacfwd`` checks and
    types as forward mode does (the Jacobian in each output's dtype, as its tangent is)."""
    forward = name == "jacfwd"
    api = "jvp(f, primals, tangents)" if forward else "vjp(f, *primals)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _error_if_complex(name, args, is_input=True)
        keep = is_grad_enabled()
        with _Scope() as scope, enable_grad():
            if forward:
                nums = _check_argnums(argnums, len(args))
                for t in tree_flatten([args[a] for a in nums])[0]:
                    if isinstance(t, Tensor) and not (t.is_floating_point() or t.is_complex()):
                        raise ValueError("Expected primal to be floating point or complex, but "
                                         f"got: {t.dtype}")
            args, diff = _wrap_argnums(scope, args, argnums)
            out, aux = _split_aux(func(*args, **kwargs), has_aux, api)
            flat_o, ospec = _tensor_outputs(out, api)
            if not forward:
                _float_outputs(flat_o)
            _error_if_complex(name, flat_o, is_input=False)
            flat_d, dspec = tree_flatten(diff)
            per_out = []
            for o in flat_o:
                n = o.numel()
                rows = [[] for _ in flat_d]
                for j in range(n if o.requires_grad else 0):
                    # NOTE: one backward per output element (a one-hot cotangent, made one at a
                    # time: an (n, n) identity would be quadratic in memory); PyTorch vmaps
                    # these, ember runs them one by one
                    basis = zeros(n, dtype=o.dtype, device=o.device)
                    basis[j] = 1
                    gs = _grads([o], flat_d, [basis.reshape(o.shape)], create_graph=keep,
                                retain_graph=True)
                    for r, gk in zip(rows, gs):
                        r.append(gk)
                jacs = [stack(r).reshape(tuple(o.shape) + tuple(d.shape)) if r else
                        zeros(tuple(o.shape) + tuple(d.shape), dtype=d.dtype, device=d.device)
                        for r, d in zip(rows, flat_d)]
                if forward:
                    jacs = [j.to(o.dtype) for j in jacs]
                per_out.append(tree_unflatten(scope.unwrap(jacs, keep), dspec))
        jac = tree_unflatten(per_out, ospec)
        return (jac, scope.unwrap(aux, keep, aux=True)) if has_aux else jac
    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to the argument(s) ``argnums``, by reverse mode.

    For an output of shape ``O`` and an input of shape ``I`` the Jacobian has shape ``O + I``;
    with several outputs or inputs (pytrees) the result nests as outputs, then ``argnums``.

    Args:
        func: a function returning a Tensor or a pytree of Tensors.
        argnums: the positional argument to differentiate (an int), or several (a tuple).
        has_aux: ``func`` returns ``(output, aux)``; the function returns ``(jacobian, aux)``.
        chunk_size: accepted for PyTorch's API (ember computes row by row anyway).

    Example::

        >>> ember.func.jacrev(ember.sin)(ember.tensor([0., 1.]))
        tensor([[1.0000, 0.0000],
                [0.0000, 0.5403]])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, "jacrev")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` with respect to ``argnums``, as :func:`jacrev` (PyTorch computes
    it by forward mode; ember by reverse mode, with the same values and structure).

    Args:
        func: a function returning a Tensor or a pytree of Tensors.
        argnums: the positional argument to differentiate (an int), or several (a tuple).
        has_aux: ``func`` returns ``(output, aux)``; the function returns ``(jacobian, aux)``.
        randomness: accepted for PyTorch's API (``'error'``, ``'different'`` or ``'same'``).

    Example::

        >>> ember.func.jacfwd(lambda x: x ** 2)(ember.tensor([1., 2.]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    return _jacobian(func, argnums, has_aux, "jacfwd")


def hessian(func, argnums=0):
    """The Hessian of the scalar ``func`` with respect to ``argnums``:
    ``jacfwd(jacrev(func, argnums), argnums)``.

    Example::

        >>> ember.func.hessian(lambda x: (x ** 3).sum())(ember.tensor([1., 2.]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)

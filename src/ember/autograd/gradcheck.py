"""Numerical checks of gradients: ``gradcheck`` and ``gradgradcheck``, as in PyTorch.

The numerical Jacobian comes from central differences, perturbing one input element at a time in
place; the analytical one from one ``autograd.grad`` call per output element (a row of the Jacobian
each), done twice to catch backward formulas that are not reentrant. Real inputs only (ember has no
Wirtinger calculus for complex ones) and no forward-mode checks (ember has no forward AD).
"""
import warnings

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "get_numerical_jacobian",
           "get_analytical_jacobian"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def _tensor_cls():
    from ember._tensor import Tensor
    return Tensor


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _host(arr):
    """A NumPy copy of an array (NumPy or CuPy)."""
    return np.array(arr.get() if hasattr(arr, "get") and not isinstance(arr, np.ndarray) else arr)


def _diff_inputs(inputs):
    Tensor = _tensor_cls()
    return [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._rg]


def _check_inputs(inputs):
    any_rg = False
    for idx, t in _diff_inputs(inputs):
        if t._data.dtype.kind == "c":
            raise NotImplementedError("ember.autograd.gradcheck does not support complex inputs")
        if t._data.dtype != np.float64:
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are not "
                          "of double precision floating point or complex. ", stacklevel=3)
        if any(st == 0 and sz > 1 for st, sz in zip(t._data.strides, t._data.shape)):
            raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck only "
                               "supports inputs that are non-overlapping to be able to compute the "
                               "numerical gradients correctly. You should call .contiguous on the "
                               "input before passing it to gradcheck.")
        any_rg = True
    if not any_rg:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none "
                         "of them have requires_grad=True.")


def _outputs_values(func, inputs):
    """Evaluate ``func`` and return a float64 NumPy copy of each Tensor output."""
    Tensor = _tensor_cls()
    return [_host(o._data).astype(np.float64) if isinstance(o, Tensor) else None
            for o in _as_tuple(func(*inputs))]


def get_numerical_jacobian(func, inputs, eps=1e-3):
    """Central-difference Jacobians: ``J[j][i]`` has shape ``(input_j.numel(), output_i.numel())``
    for each input ``j`` that requires grad and each output ``i``."""
    inputs = _as_tuple(inputs)
    base = _outputs_values(func, inputs)
    jacobians = []
    for _, t in _diff_inputs(inputs):
        arr = t._data
        per_out = [None if b is None else np.zeros((arr.size, b.size)) for b in base]
        for k in range(arr.size):
            idx = np.unravel_index(k, arr.shape)
            orig = arr[idx].item()
            arr[idx] = orig - eps
            minus = _outputs_values(func, inputs)
            arr[idx] = orig + eps
            plus = _outputs_values(func, inputs)
            arr[idx] = orig
            for jac, p, m in zip(per_out, plus, minus):
                if jac is not None:
                    if p.shape != m.shape or p.size != jac.shape[1]:
                        raise AssertionError("Expected `func` to return outputs with the same shape "
                                             f"when inputs are perturbed by {eps}, but got: shapes "
                                             f"{p.shape} and {m.shape}.")
                    jac[k] = ((p - m) / (2 * eps)).reshape(-1)
        jacobians.append(per_out)
    return jacobians


def get_analytical_jacobian(inputs, output, nondet_tol=0.0, check_grad_dtypes=False):
    """Jacobians of ``output`` w.r.t. each input that requires grad, from backward passes:
    ``J[j]`` has shape ``(input_j.numel(), output.numel())``."""
    from ember._tensor import wrap
    from ember.autograd.engine import grad
    diff = [t for _, t in _diff_inputs(_as_tuple(inputs))]

    def rows():
        jac = [np.zeros((t._data.size, output._data.size)) for t in diff]
        ok_types = ok_sizes = True
        flat = np.zeros(output._data.size, output._data.dtype)
        for m in range(output._data.size):
            flat[:] = 0
            flat[m] = 1
            g_out = wrap(flat.reshape(output._data.shape).copy())
            if output.is_cuda:
                g_out = g_out.to(output.device)
            grads = grad(output, diff, g_out, retain_graph=True, allow_unused=True)
            for j, (g, t) in enumerate(zip(grads, diff)):
                if g is None:
                    continue
                ok_types &= g._data.dtype == t._data.dtype
                ok_sizes &= g._data.shape == t._data.shape
                if g._data.size == t._data.size:
                    jac[j][:, m] = _host(g._data).reshape(-1)
        return jac, ok_types, ok_sizes

    jac1, ok_types, ok_sizes = rows()
    jac2, _, _ = rows()
    if not ok_types and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not ok_sizes:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not all(np.allclose(a, b, rtol=0, atol=nondet_tol) for a, b in zip(jac1, jac2)):
        raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and "
                             "grad_output multiple times gives different values, although analytical "
                             "gradient matches numerical gradient.The tolerance for nondeterminism was "
                             f"{nondet_tol}.")
    return jac1


def _show(arr):
    from ember._tensor import wrap
    return repr(wrap(arr))


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    from ember._tensor import wrap
    from ember.autograd.engine import grad
    Tensor = _tensor_cls()
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    out_idx = [i for i, o in enumerate(func_out) if isinstance(o, Tensor) and o._rg]
    numerical = get_numerical_jacobian(func, inputs, eps)
    if not out_idx:
        for per_out in numerical:
            for nj in per_out:
                if nj is not None and np.any(nj != 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    for n_i, i in enumerate(out_idx):
        analytical = get_analytical_jacobian(inputs, func_out[i], nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][i]
            if n.shape != a.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(f"Jacobian mismatch for output {n_i:d} with respect to input "
                                     f"{j:d},\nnumerical:{_show(n)}\nanalytical:{_show(a)}\n")
    # the gradients must scale with grad_output: zero in, zero out
    diff = [t for _, t in _diff_inputs(inputs)]
    outs = [func_out[i] for i in out_idx]
    zeros = [wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outs]
    if outs[0].is_cuda:
        zeros = [z.to(outs[0].device) for z in zeros]
    for g, t in zip(grad(outs, diff, zeros, allow_unused=True), diff):
        if g is None:
            continue
        if np.any(_host(g._data) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != t._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g._data.shape != t._data.shape:
            raise GradcheckError("grad is incorrect size")
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Compares, for every output and every input that requires grad, the Jacobian from backward with
    the one from central differences (``allclose`` with ``rtol`` and ``atol``). Use float64 inputs:
    float32 ones warn and will likely fail.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments (Tensors that require grad are checked).
        eps: the finite-difference step.
        atol, rtol: tolerances of the comparison.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).
        nondet_tol: how far two backward passes with the same input may differ.
        check_grad_dtypes: also require each gradient to have its input's dtype.
        check_undefined_grad, check_batched_grad, fast_mode, masked: accepted for compatibility;
            ember always runs the full (slow-mode) check.

    Returns:
        True when every Jacobian matches.

    Example::

        x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        ember.autograd.gradcheck(lambda t: (t * t).exp(), (x,))
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be "
                             "True")
    if check_forward_ad or check_batched_forward_grad:
        raise NotImplementedError("ember has no forward-mode AD: use check_forward_ad=False")
    try:
        return _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Check second derivatives: :func:`gradcheck` on the function ``(inputs, grad_outputs) ->
    autograd.grad(func(inputs), inputs, grad_outputs, create_graph=True)``.

    Args:
        func, inputs, eps, atol, rtol, raise_exception, nondet_tol: as in :func:`gradcheck`.
        grad_outputs: the gradients w.r.t. the outputs; random float64 ones (requiring grad) when
            omitted.

    Example::

        ember.autograd.gradgradcheck(lambda t: t * t * t, (x,))
    """
    from ember._tensor import wrap
    from ember.autograd.engine import grad
    if check_fwd_over_rev:
        raise NotImplementedError("ember has no forward-mode AD: use check_fwd_over_rev=False")
    Tensor = _tensor_cls()
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._rg]
        grad_outputs = []
        for o in outs:
            dt = o._data.dtype if o._data.dtype.kind in "fc" else np.float64
            g = wrap(rng.uniform(-1, 1, o._data.shape).astype(dt))
            if o.is_cuda:
                g = g.to(o.device)
            grad_outputs.append(g.requires_grad_())
        grad_outputs = tuple(grad_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg}

    def new_func(*args):
        in_args = args[:len(args) - n_out]
        outputs = [o for o in _as_tuple(func(*in_args)) if isinstance(o, Tensor) and o._rg]
        diff = [x for i, x in enumerate(in_args) if i in diff_in]
        grads = grad(outputs, diff, args[len(args) - n_out:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_grad_dtypes=check_grad_dtypes)

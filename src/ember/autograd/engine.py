"""The backward pass: an iterative walk of the graph in dependency order.

No recursion (a chain of 100,000 ops backpropagates), gradients of a node's inputs are summed back to
each input's shape and cast to its dtype here and nowhere else, and saved tensors are freed as soon as
their node has run (unless ``retain_graph``).
"""
import sys
import warnings

from ember.autograd.grad_mode import ANOMALY, STATE
from ember.autograd.graph import AccumulateGrad, accumulator

_getrefcount = sys.getrefcount


def _as_grad(t, g, i):
    """The gradient that starts backward at output ``t`` (PyTorch's ``_make_grads``)."""
    from ember._tensor import Tensor
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        from ember._ops.creation import ones_like
        return ones_like(t)
    if not isinstance(g, Tensor):
        raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    if g._data.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                           f"output[{i}] has a shape of {t.shape}.")
    if g._data.dtype != t._data.dtype:  # the engine casts a root gradient to its output's dtype
        g = g.to(t.dtype)
    return g


def _roots(tensors, grad_tensors):
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
        node = t.grad_fn if t.grad_fn is not None else accumulator(t)
        roots.append((node, t._oi, _as_grad(t, g, i)))
    return roots


def _target(t):
    if not t._rg:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return (t.grad_fn if t.grad_fn is not None else accumulator(t), t._oi)


def _tensors(x):
    """A tensor or a sequence of them as a tuple (None stays None)."""
    from ember._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    if x is None:
        return None
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulate into ``.grad`` the gradients of ``tensors`` w.r.t. the leaves of their graph.

    Args:
        tensors: tensor or sequence of tensors to differentiate.
        grad_tensors: the gradient w.r.t. each tensor (None for one-element tensors).
        retain_graph: keep the saved tensors so backward can run again (default: create_graph).
        create_graph: record the backward pass too, for higher-order derivatives.
        inputs: accumulate only into these tensors (leaves or not).

    Example::

        ember.autograd.backward([y1, y2], [ember.ones(3), None])
    """
    tensors = _tensors(tensors)
    grad_tensors = _tensors(grad_tensors if grad_tensors is not None else grad_variables)
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = _roots(tensors, grad_tensors)
    if create_graph:
        warnings.warn("Using backward() with create_graph=True will create a reference cycle between "
                      "the parameter and its gradient which can cause a memory leak. We recommend "
                      "using autograd.grad when creating the graph to avoid this. If you have to use "
                      "this function, make sure to reset the .grad fields of your parameters to None "
                      "after use to break the cycle and avoid the leak.", stacklevel=2)
    if inputs is None:
        _run(roots, retain_graph, create_graph)
        return
    inputs = _tensors(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    inputs = tuple({id(t): t for t in inputs}.values())  # each input accumulates once
    grads = _run(roots, retain_graph, create_graph, [_target(t) for t in inputs])
    del roots
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        for i, t in enumerate(inputs):
            g = grads[i]
            grads[i] = None  # so that _store_grad may steal g's memory (see its reference count)
            if g is not None:
                _store_grad(t, g, create_graph)
                if t._post_acc_hooks is not None:
                    _post_accumulate(t)
    finally:
        STATE.enabled = prev


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned instead of accumulated in ``.grad``.

    Args:
        outputs: tensor or sequence of tensors to differentiate.
        inputs: tensor or sequence of tensors to differentiate with respect to.
        grad_outputs: the gradient w.r.t. each output (may be omitted for one-element outputs).
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        create_graph: record the backward pass, so the result can be differentiated again.
        allow_unused: return None (instead of raising) for an input the outputs do not depend on.
        materialize_grads: return zeros instead of None for unused inputs.

    Example::

        x = ember.tensor(3.0, requires_grad=True)
        (dy,) = ember.autograd.grad(x * x * x, x, create_graph=True)   # 27
        (d2y,) = ember.autograd.grad(dy, x)                            # 18
    """
    if is_grads_batched:
        raise NotImplementedError("ember.autograd.grad: is_grads_batched=True needs vmap, which "
                                  "ember does not have")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         f"but got: allow_unused={allow_unused}.")
    outputs = _tensors(outputs)
    inputs = _tensors(inputs)
    grad_outputs = _tensors(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = _roots(outputs, grad_outputs)
    grads = _run(roots, retain_graph, create_graph, [_target(t) for t in inputs])
    result = []
    for i, (t, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if materialize_grads:
                from ember._ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


def _run(roots, retain_graph, create_graph, targets=None):
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        return _execute(roots, retain_graph, create_graph, targets)
    finally:
        STATE.enabled = prev


def _dependencies(roots, with_parents):
    """For every node reachable from the roots, how many edges lead into it (and, for
    ``autograd.grad``, which nodes lead to it)."""
    deps = {}
    parents = {} if with_parents else None
    stack = []
    for node, _, _ in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for e in node._next:
            if e is not None:
                child = e[0]
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    stack.append(child)
                if parents is not None:
                    parents.setdefault(child, []).append(node)
    return deps, parents


def _needed(targets, deps, parents):
    """The nodes that must run to reach the targets: their proper ancestors. A target's own node
    runs only when another target lies below it (PyTorch leaves the rest of the graph untouched)."""
    where = {}
    for k, (node, oi) in enumerate(targets):
        where.setdefault(node, []).append((oi, k))
    needed = set()
    stack = [n for n in where if n in deps]
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    return where, needed


def _execute(roots, retain_graph, create_graph, targets):
    from ember._ops.reduce import sum_to
    deps, parents = _dependencies(roots, targets is not None)
    captured = where = needed = None
    if targets is not None:
        captured = [None] * len(targets)
        where, needed = _needed(targets, deps, parents)

    buffers = {}  # node -> [gradient of each of its outputs], filled as gradients arrive
    for node, oi, g in roots:
        buf = buffers.get(node)
        if buf is None:
            buffers[node] = buf = [None] * node._n_out
        buf[oi] = g if buf[oi] is None else buf[oi] + g
    ready = [n for n in buffers if deps[n] == 0]
    buf = roots = None
    anomaly = ANOMALY.enabled
    outs = None
    while ready:
        node = ready.pop()
        grads = buffers.pop(node, None) or [None] * node._n_out
        if targets is not None and node not in needed and node not in where:
            continue
        if node._tensor_hooks is not None or node._retained is not None:
            _tensor_hooks(node, grads)
        if type(node) is AccumulateGrad:
            g = grads[0]
            grads[0] = None  # NOTE: drop every reference but ours, so _store_grad can steal g
            if g is None:
                continue
            leaf = node.variable
            if leaf._hooks is not None:
                g = _leaf_hooks(leaf, g)
            if node._pre_hooks is not None:
                g = _pre_hooks(node, [g])[0]
            if targets is None:
                _store_grad(leaf, g, create_graph)
                if leaf._post_acc_hooks is not None:
                    _post_accumulate(leaf)
            else:
                for oi, k in where[node]:
                    captured[k] = g
            g = None
            continue
        if targets is not None:
            w = where.get(node)
            if w is not None:
                for oi, k in w:
                    captured[k] = grads[oi]
                if node not in needed:
                    continue
        if node._pre_hooks is not None:
            grads = _pre_hooks(node, grads)
        nxt = node._next
        if grads.count(None) != len(grads):  # (list.count: no generator on the hot path)
            outs = node.backward(*grads) if anomaly is False else _checked(node, grads)
            if type(outs) is not tuple:
                outs = (outs,)
            if len(outs) != len(nxt):
                raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                                   f"(expected {len(nxt)}, got {len(outs)})")
        else:
            outs = (None,) * len(nxt)
        if node._hooks is not None:
            for hook in tuple(node._hooks.values()):
                r = hook(outs, tuple(grads))
                if r is not None:
                    outs = tuple(r)
            r = None
        if not retain_graph:
            node._free()
        for e, g in zip(nxt, outs):
            if e is None:
                continue
            child = e[0]
            if g is not None:
                if g._data.shape != e[2]:
                    g = _unbroadcast(g, e, node, outs, sum_to)
                if g._data.dtype != e[3]:
                    if g._data.dtype.kind == "c" and e[3].kind != "c":  # a real input: the real
                        g = g.real  # part, as PyTorch's (a complex gradient of a real tensor)
                    g = g.to(e[3])
                buf = buffers.get(child)
                if buf is None:
                    buffers[child] = buf = [None] * child._n_out
                oi = e[1]
                buf[oi] = g if buf[oi] is None else buf[oi] + g
            n = deps[child] - 1
            deps[child] = n
            if n == 0:
                ready.append(child)
        # NOTE: these locals would still hold the last gradients when the next node (often a
        # leaf's AccumulateGrad) runs, and make _store_grad's reference count copy needlessly
        outs = g = buf = None
    return captured


def _unbroadcast(g, e, node, outs, sum_to):
    """Sum a gradient back to its input's shape, or raise PyTorch's error when it cannot be."""
    gs, shape = g._data.shape, e[2]
    lead = len(gs) - len(shape)
    if lead < 0 or any(s != 1 and s != gs[i + lead] for i, s in enumerate(shape)):
        i = next(k for k, o in enumerate(outs) if o is g)
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                           f"{list(gs)} but expected shape compatible with {list(shape)}")
    return sum_to(g, shape)


def _tensor_hooks(node, grads):
    """Hooks registered on the node's output tensors, then ``retain_grad`` (always last)."""
    if node._tensor_hooks is not None:
        for oi, hooks in node._tensor_hooks.items():
            if grads[oi] is not None:
                for hook in tuple(hooks.values()):
                    r = hook(grads[oi])
                    if r is not None:
                        grads[oi] = r
    if node._retained is not None:
        for oi, ref in node._retained.items():
            t = ref()
            if t is not None and grads[oi] is not None:
                g = grads[oi]
                t._grad = g.detach().clone() if t._grad is None else t._grad + g.detach()


def _leaf_hooks(leaf, g):
    for hook in tuple(leaf._hooks.values()):
        r = hook(g)
        if r is not None:
            g = r
    return g


def _pre_hooks(node, grads):
    for hook in tuple(node._pre_hooks.values()):
        r = hook(tuple(grads))
        if r is not None:
            grads = list(r)
    return grads


def _sole_view(a):
    """Whether ``a`` owns its memory, or views memory that nothing else holds (a kernel's fresh
    result reshaped, say): NumPy points every view at the owner, so the owner's only references
    are then ``a.base``, this function's local and getrefcount's argument."""
    base = a.base
    return base is None or (type(base) is type(a) and base.base is None
                            and _getrefcount(base) <= 3)


def _store_grad(t, g, create_graph):
    """Add ``g`` into ``t.grad``, PyTorch-style: in place when possible, stealing ``g``'s memory when
    nothing else can see it (PyTorch's use_count test), a copy otherwise."""
    old = t._grad
    if create_graph:
        # recorded: a new tensor (a differentiable clone, as PyTorch's) that aliases nothing
        t._grad = g.clone() if old is None else old + g
        return
    if old is None:
        # NOTE: exactly three references to g (the caller's local, this parameter and getrefcount's
        # argument) and two to its array (g._data and the argument) mean nobody else can see the
        # memory: no user variable, hook, other buffer slot or view. Anything more forces a copy.
        if (_getrefcount(g) <= 3 and _getrefcount(g._data) <= 2 and _sole_view(g._data)
                and g.grad_fn is None and g._data.flags.c_contiguous and g._data.flags.writeable):
            t._grad = g
        else:
            t._grad = g.detach().clone()
    elif (old.grad_fn is None and old._data.shape == g._data.shape
          and old._data.flags.writeable):
        old._data += g._data
        old._vc[0] += 1
    else:
        t._grad = old + g


def _post_accumulate(t):
    """Run ``t``'s post-accumulate-grad hooks (``Tensor.register_post_accumulate_grad_hook``)."""
    for hook in tuple(t._post_acc_hooks.values()):
        r = hook(t)
        if r is not None:
            from ember._tensor import Tensor
            if not isinstance(r, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _checked(node, grads):
    """Run ``node.backward`` in anomaly mode: name the op (and show its forward call) on NaN."""
    import numpy as np
    try:
        outs = node.backward(*grads)
    except Exception:
        if node._trace:
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                          f"the error:\n{node._trace}")
        raise
    outs_t = outs if type(outs) is tuple else (outs,)
    for i, g in enumerate(outs_t):
        if (g is not None and ANOMALY.check_nan and g._data.dtype.kind in "fc"
                and bool(np.isnan(g._data).any())):
            if node._trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                              f"caused the error:\n{node._trace}")
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    return outs

"""The backward pass: an iterative walk of the graph in dependency order.

No recursion (a chain of 100,000 ops backpropagates), gradients of a node's inputs are summed back to
each input's shape and cast to its dtype here and nowhere else, and saved tensors are freed as soon as
their node has run (unless ``retain_graph``).
"""
import sys
import warnings

from ember.autograd.grad_mode import STATE
from ember.autograd.graph import AccumulateGrad, accumulator

_getrefcount = sys.getrefcount


def _as_grad(t, g, i):
    from ember._tensor import Tensor
    from ember._ops.creation import ones_like
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return ones_like(t)
    if not isinstance(g, Tensor):
        from ember._ops.creation import tensor
        g = tensor(g, dtype=t.dtype)
    if g._data.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                           f"output[{i}] has a shape of {t.shape}.")
    return g


def _roots(tensors, grad_tensors):
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs: got "
                           f"{len(grad_tensors)} gradients for {len(tensors)} tensors")
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


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into ``.grad`` the gradients of ``tensors`` w.r.t. the leaves of their graph
    (or only w.r.t. ``inputs`` when given)."""
    from ember._tensor import Tensor
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = _roots(tuple(tensors), grad_tensors)
    if inputs is None:
        _run(roots, retain_graph, create_graph)
        return
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    grads = _run(roots, retain_graph, create_graph, [_target(t) for t in inputs])
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        for t, g in zip(inputs, grads):
            if g is not None:
                _store_grad(t, g, create_graph)
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
        (dy,) = ember.autograd.grad(x ** 3, x, create_graph=True)   # 27
        (d2y,) = ember.autograd.grad(dy, x)                          # 18
    """
    from ember._tensor import Tensor
    single = isinstance(inputs, Tensor)
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if single else tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if allow_unused is None:
        allow_unused = materialize_grads
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = _roots(outputs, grad_outputs)
    grads = _run(roots, retain_graph, create_graph, [_target(t) for t in inputs])
    result = []
    for t, g in zip(inputs, grads):
        if g is None:
            if materialize_grads:
                from ember._ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired "
                                   "behavior.")
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _run(roots, retain_graph, create_graph, targets=None):
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        return _execute(roots, retain_graph, create_graph, targets)
    finally:
        STATE.enabled = prev


def _execute(roots, retain_graph, create_graph, targets):
    from ember._ops.reduce import sum_to
    # 1. count, for every node reachable from the roots, how many edges lead into it
    deps = {}
    parents = {} if targets is not None else None
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

    # 2. with targets (autograd.grad), run only the nodes that lead to one
    captured = None
    needed = None
    if targets is not None:
        captured = [None] * len(targets)
        where = {}
        for k, (node, oi) in enumerate(targets):
            where.setdefault(node, []).append((oi, k))
        needed = set()
        stack = [n for n in where if n in deps]
        needed.update(stack)
        while stack:
            for p in parents.get(stack.pop(), ()):
                if p not in needed:
                    needed.add(p)
                    stack.append(p)

    # 3. run each node once all the gradients flowing into it have arrived
    buffers = {}
    for node, oi, g in roots:
        buf = buffers.get(node)
        if buf is None:
            buffers[node] = buf = [None] * node._n_out
        buf[oi] = g if buf[oi] is None else buf[oi] + g
    ready = [n for n in buffers if deps[n] == 0]
    anomaly = STATE.anomaly
    while ready:
        node = ready.pop()
        grads = buffers.pop(node, None) or [None] * node._n_out
        if node._tensor_hooks is not None or node._retained is not None:
            _tensor_hooks(node, grads)
        if targets is not None:
            for oi, k in where.get(node, ()):
                captured[k] = grads[oi]
            if node not in needed or type(node) is AccumulateGrad:
                continue
        if type(node) is AccumulateGrad:
            if grads[0] is not None:
                _accumulate(node.variable, grads[0], create_graph)
            continue
        if node._pre_hooks is not None:
            for hook in tuple(node._pre_hooks.values()):
                r = hook(tuple(grads))
                if r is not None:
                    grads = list(r)
        nxt = node._next
        if any(g is not None for g in grads):
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
        if not retain_graph:
            node._free()
        for e, g in zip(nxt, outs):
            if e is None:
                continue
            child = e[0]
            if g is not None:
                d = g._data
                if d.shape != e[2]:
                    g = sum_to(g, e[2])
                if d.dtype != e[3]:
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
    return captured


def _tensor_hooks(node, grads):
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
                t.grad = g.detach().clone() if t.grad is None else t.grad + g.detach()


def _accumulate(leaf, g, create_graph):
    if leaf._hooks is not None:
        for hook in tuple(leaf._hooks.values()):
            r = hook(g)
            if r is not None:
                g = r
    _store_grad(leaf, g, create_graph)


def _store_grad(t, g, create_graph):
    """Add ``g`` into ``t.grad``, PyTorch-style: in place when possible, stealing ``g``'s memory when
    nothing else can see it (PyTorch's use_count test), a copy otherwise."""
    old = t.grad
    if create_graph:
        t.grad = g if old is None else old + g
        return
    if old is None:
        arr = g._data
        # NOTE: the counts are: the caller's and this frame's references to g, and getrefcount's own
        # argument; any other holder (the user, a second input slot of the same node) forces a copy.
        if (_getrefcount(arr) == 2 and _getrefcount(g) <= 4 and arr.base is None
                and arr.flags.c_contiguous and arr.flags.writeable and g.grad_fn is None):
            t.grad = g
        else:
            t.grad = g.detach().clone()
    elif old.grad_fn is None and old._data.shape == g._data.shape:
        old._data += g._data
        old._vc[0] += 1
    else:
        t.grad = old + g


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
        if g is not None and STATE.anomaly_nan and bool(np.isnan(g._data).any()):
            if node._trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                              f"caused the error:\n{node._trace}")
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    return outs

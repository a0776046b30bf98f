"""The recorded graph: nodes (``grad_fn``), edges to their inputs, saved tensors and hooks.

A node is made by an operation whose inputs require grad. It keeps one edge per input,
``(node, output_index, shape, dtype)`` of that input (or ``None`` when the input needs no grad): the
engine walks the edges and uses the shape and dtype to sum a gradient back to its input's shape and
type, the one place where broadcasting is undone. The node object is also the ``ctx`` of its op.
"""
import os
import traceback
import weakref

from ember.autograd.grad_mode import ANOMALY

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after "
          "they have already been freed). Saved intermediate values of the graph are freed when you call "
          ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
          "graph a second time or if you need to access saved tensors after calling backward.")


class RemovableHandle:
    """Returned by ``register_hook``; ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks_dict):
        # NOTE: a strong reference: plain dicts cannot be weakly referenced, and the dict holds
        # only the hooks (not the tensor or node), so the handle keeps nothing big alive.
        self._hooks = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A backward function. Subclasses define ``backward(self, *grad_outputs)`` returning one gradient
    (a Tensor or None) per input, in the order the inputs were given to :func:`track`."""

    _next = ()
    _saved = ()
    _versions = ()
    _out = None
    _n_out = 1
    _tensor_hooks = None    # {output_index: {id: hook}} for hooks on non-leaf outputs
    _hooks = None           # {id: hook(grad_inputs, grad_outputs)}
    _pre_hooks = None       # {id: hook(grad_outputs)}
    _retained = None        # {output_index: weakref to the tensor} for retain_grad()
    _trace = None           # forward stack, kept in anomaly mode

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        return tuple((None, 0) if e is None else (e[0], e[1]) for e in self._next)

    @property
    def needs_input_grad(self):
        return tuple(e is not None for e in self._next)

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    # ---- saved tensors -------------------------------------------------------------------------
    def save_for_backward(self, *tensors):
        """Keep tensors for backward; modifying one in place afterwards makes backward raise."""
        self._saved = tensors
        # Python scalars may be saved too; they have no version counter
        self._versions = tuple(None if (vc := getattr(t, "_vc", None)) is None else vc[0]
                               for t in tensors)

    save = save_for_backward

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED)
        for t, v in zip(saved, self._versions):
            if v is not None and t._vc[0] != v:
                _raise_modified(self, t, v, t._vc[0])
        return saved

    def saved_output(self):
        """The output saved by ``track(..., save_out=True)``. The node keeps the array, not the Tensor
        (which would be a reference cycle); the Tensor is rebuilt here with ``grad_fn=self``, connected
        to the graph when double backward records."""
        out = self._out
        if out is None:
            raise RuntimeError(_FREED)
        arr, vc, version = out
        if vc[0] != version:
            _raise_modified(self, _tensor_cls.for_backward(arr, None), version, vc[0], output=True)
        return _tensor_cls.for_backward(arr, self)

    def _free(self):
        self._saved = None
        self._out = None

    # ---- hooks -----------------------------------------------------------------------------------
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its gradients."""
        if self._hooks is None:
            self._hooks = {}
        h = RemovableHandle(self._hooks)
        self._hooks[h.id] = fn
        return h

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; it may return replacement gradients."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h

    def _add_tensor_hook(self, oi, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        d = self._tensor_hooks.setdefault(oi, {})
        h = RemovableHandle(d)
        d[h.id] = fn
        return h

    def backward(self, *grads):
        raise NotImplementedError(f"{self.name()} has no backward")

    def __call__(self, *grads):
        """``grad_fn(grad)`` runs this node's backward formula directly, as in PyTorch."""
        return self.backward(*grads)


def _raise_modified(node, t, expected, now, output=False):
    from ember._tensor_str import type_name
    what = f"[{type_name(t)} {list(t.shape)}]"
    if output:
        what += f", which is output 0 of {node.name()},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {now}; expected version {expected} instead. Hint: "
        f"the tensor was saved by {node.name()}; clone() it before modifying it in place, or do the "
        "in-place operation after backward (ember.autograd.set_detect_anomaly(True) shows where "
        "that node was made).")


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    def __init__(self, leaf):
        self.variable = leaf

    def backward(self, g):  # the engine accumulates; see engine._accumulate
        raise AssertionError("AccumulateGrad is handled by the engine")


# NOTE: in a leaf's accumulator slot: a view taken under no_grad of a tensor that requires grad.
# PyTorch reports requires_grad=True for it but gives it (and its base) no gradient, and refuses
# in-place changes to it in grad mode (``_ops/inplace.check_leaf``).
NO_GRAD_VIEW = "no_grad view"


def accumulator(t):
    """The node that accumulates leaf ``t``'s gradient (one per leaf; None for a view taken
    under no_grad, which gets none)."""
    ref = t._acc
    if ref is NO_GRAD_VIEW:
        return None
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._acc = weakref.ref(acc)
    return acc


def edge(t):
    """The edge from a node to input ``t`` (None when ``t`` needs no gradient)."""
    if not t._rg:
        return None
    vw = t._view
    if vw is not None and vw[1] != t._vc[0] and t.grad_fn is not None:
        refresh_view(t)  # its base was modified in place since this view's grad_fn was made
    fn = t.grad_fn
    if fn is None:
        fn = accumulator(t)
        if fn is None:
            return None
    d = t._data
    return (fn, t._oi, d.shape, d.dtype)


def connect(node, inputs):
    """Give ``node`` its edges to ``inputs`` (a tuple of Tensors; None for an argument that is not one)."""
    node._next = tuple(None if t is None else edge(t) for t in inputs)
    if ANOMALY.enabled:
        node._trace = forward_trace()
    return node


_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def forward_trace():
    """The caller's stack as text, without ember's own frames at the end (anomaly mode)."""
    frames = traceback.extract_stack()[:-1]
    while frames and os.path.abspath(frames[-1].filename).startswith(_EMBER_DIR):
        frames.pop()
    return "".join(traceback.format_list(frames))


_tensor_cls = None  # set by ember._tensor (the Tensor class), which imports this module
refresh_view = None  # set by ember._ops.inplace, which knows how to rebuild a view from its base

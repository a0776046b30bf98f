"""Custom differentiable operations: PyTorch's ``autograd.Function``.

A subclass defines ``forward`` and ``backward`` as static methods; ``MyFn.apply(*args)`` runs
``forward`` with recording off and, when an input needs a gradient, puts one node in the graph. The
``ctx`` both methods receive *is* that node: an instance of ``MyFnBackward``, a :class:`Node`
subclass made for each Function by :class:`FunctionMeta`, so ``y.grad_fn`` prints ``<MyFnBackward
...>`` as in PyTorch.
"""
import functools

from ember.autograd import graph as _graph
from ember.autograd.grad_mode import ANOMALY, STATE
from ember.autograd.graph import _FREED, Node, _raise_modified, connect, edge, forward_trace

__all__ = ["FunctionCtx", "BackwardCFunction", "FunctionMeta", "Function", "once_differentiable",
           "InplaceFunction"]


class FunctionCtx:
    """What ``forward`` / ``setup_context`` may call on ``ctx``."""

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for ``backward``, where ``ctx.saved_tensors`` returns them.
        Modifying one in place afterwards makes backward raise."""
        Tensor = _graph._tensor_cls
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of "
                                f"type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        """Declare the inputs that ``forward`` modified in place (they must also be returned)."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        """Declare outputs that get no gradient (indices, masks): they do not require grad, and
        ``backward`` receives zeros for them."""
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        """With ``False``, ``backward`` receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """The graph node (and ``ctx``) of one call of a custom Function."""

    to_save = ()
    dirty_tensors = ()
    non_differentiable = ()
    materialize_grads = True
    _needs = ()        # per forward argument: a Tensor that requires grad
    _is_tensor = ()    # per forward argument: a Tensor at all
    _out_meta = ()     # per forward output: (shape, dtype, array module) of a Tensor, else None

    @property
    def needs_input_grad(self):
        return self._needs

    def __repr__(self):
        return f"<ember.autograd.function.{self.name()} object at {hex(id(self))}>"

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, checked against in-place changes."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED)
        out = []
        for t, v in zip(saved, self._versions):
            if type(t) is _SavedOutput:
                t = t.unpack(self)
            if v is not None and t._vc[0] != v:
                _raise_modified(self, t, v, t._vc[0])
            out.append(t)
        return tuple(out)

    def backward(self, *grads):
        """Run the user's ``backward`` (the engine calls this) and check what it returns."""
        cls = self._forward_cls
        if self.materialize_grads and any(g is None for g in grads):
            grads = tuple(g if g is not None or m is None else _zeros(m)
                          for g, m in zip(grads, self._out_meta))
        user = cls.vjp if cls.vjp is not Function.vjp else cls.backward
        if user is Function.backward:
            raise NotImplementedError("You must implement either the backward or vjp method for your "
                                      "custom autograd.Function to use it with backward mode AD.")
        out = user(self, *grads)
        if type(out) is not tuple:
            out = (out,)
        n = len(self._needs)
        if len(out) > n and all(o is None for o in out[n:]):
            out = out[:n]  # PyTorch lets backward return extra Nones
        if len(out) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(out)})")
        for i, (o, is_t) in enumerate(zip(out, self._is_tensor)):
            if o is not None and not is_t:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None "
                                   f"at position {i + 1}, but the corresponding forward input was "
                                   "not a Variable")
        return tuple(o for o, is_t in zip(out, self._is_tensor) if is_t)


class _SavedOutput:
    """A saved output of the Function, kept without its ``grad_fn`` (the ctx itself), so that ctx
    and output do not form a reference cycle; rebuilt on access with ``grad_fn=ctx``, which double
    backward needs (PyTorch's SavedVariable does the same for outputs)."""

    __slots__ = ("data", "vc", "oi")

    def __init__(self, t):
        self.data, self.vc, self.oi = t._data, t._vc, t._oi

    def unpack(self, ctx):
        from ember._tensor import wrap
        t = wrap(self.data)
        t._vc, t._oi, t._rg, t.grad_fn = self.vc, self.oi, True, ctx
        return t


def _zeros(meta):
    from ember._tensor import wrap
    shape, dtype, xp = meta
    return wrap(xp.zeros(shape, dtype))


class FunctionMeta(type):
    """Makes, for each Function subclass ``Foo``, its node class ``FooBackward``."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom differentiable operations.

    Define ``forward(ctx, *args)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)``) and ``backward(ctx, *grad_outputs)`` as static methods, and call ``Fn.apply``.
    ``backward`` gets one gradient per output of ``forward`` and returns one per argument of
    ``forward`` (None for non-Tensors and inputs that need no gradient).

    Example::

        class Exp(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad_output):
                (y,) = ctx.saved_tensors
                return grad_output * y

        y = Exp.apply(x)          # y.grad_fn is <ExpBackward ...>
    """

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions "
                      "are all static, so you should invoke them on the class itself.",
                      DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method.")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("ember has no forward-mode AD: Function.jvp is never called.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record the call in the graph when an input needs grad."""
        Tensor = _graph._tensor_cls
        setup = cls.setup_context is not Function.setup_context
        if setup:  # the new style gets its defaults bound, so setup_context sees every input
            import inspect
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        ctx = cls._backward_cls()
        ctx._is_tensor = is_t = tuple(isinstance(a, Tensor) for a in args)
        ctx._needs = tuple(t and a._rg for t, a in zip(is_t, args))
        record = STATE.enabled and any(ctx._needs)
        if record:  # edges first: forward may modify an input in place (mark_dirty)
            # NOTE: one edge per Tensor argument only, as PyTorch's next_functions shows
            ctx._next = tuple(edge(a) for t, a in zip(is_t, args) if t)
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if setup:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev
        return _wrap_outputs(ctx, args, out, record)


def _wrap_outputs(ctx, args, out, record):
    """Attach the outputs to ``ctx`` (PyTorch's ``_wrap_outputs``): returned inputs become aliases,
    dirty inputs are rebased onto ``ctx``, non-differentiable ones stay out of the graph."""
    Tensor = _graph._tensor_cls
    from ember._backend import xp_of
    from ember._tensor import wrap
    is_tuple = type(out) is tuple
    outs = list(out) if is_tuple else [out]
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    dirty = {id(t) for t in ctx.dirty_tensors}
    for t in ctx.dirty_tensors:
        if id(t) not in inputs:
            import warnings
            warnings.warn("Only input Tensors should be given to ctx.mark_dirty(). If a Tensor is not "
                          "an input, there is no need to pass it to mark_dirty().")
        t._vc[0] += 1
    if dirty and not dirty <= {id(o) for o in outs}:
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned "
                           "as output. The inputs that are modified inplace must all be outputs of "
                           "the Function.")
    non_diff = {id(t) for t in ctx.non_differentiable}
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            meta.append(None)
            continue
        d = o._data
        meta.append((d.shape, d.dtype, xp_of(d)))
        oid = id(o)
        is_input = oid in inputs
        if oid in dirty:
            if record:
                if o.grad_fn is None and o._rg:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                       "in-place operation.")
                o.grad_fn, o._oi, o._rg = ctx, i, True
            continue
        if is_input:  # a returned input comes back as a new tensor viewing it
            o = outs[i] = _alias(o, wrap)
        if not record or oid in non_diff or d.dtype.kind not in "fc":
            if o._rg:  # e.g. an input marked non-differentiable: return a detached alias
                o = outs[i] = _alias(o, wrap)
            continue
        o.grad_fn, o._oi, o._rg = ctx, i, True
    if record:
        ctx._n_out = len(outs)
        ctx._out_meta = tuple(meta)
        if ANOMALY.enabled:
            ctx._trace = forward_trace()
        # versions are read now, after mark_dirty's bump, as PyTorch saves after wrapping outputs
        Node.save_for_backward(ctx, *ctx.to_save)
        if any(t is not None and t.grad_fn is ctx for t in ctx._saved):
            ctx._saved = tuple(_SavedOutput(t) if t is not None and t.grad_fn is ctx else t
                               for t in ctx._saved)
    # NOTE: drop the forward's bookkeeping: it holds outputs whose grad_fn is ctx (a reference cycle
    # that would outlive backward's freeing of the saved tensors)
    for name in ("to_save", "dirty_tensors", "non_differentiable"):
        ctx.__dict__.pop(name, None)
    return tuple(outs) if is_tuple else outs[0]


def _alias(t, wrap):
    a = wrap(t._data)
    a._vc = t._vc
    return a


class _DelayedError(Node):
    """Stands behind the gradients of a ``once_differentiable`` backward: differentiating them
    again raises."""

    def name(self):
        return "DelayedError"

    def backward(self, *grads):
        raise RuntimeError(self.msg)


def once_differentiable(fn):
    """Decorate a Function's ``backward`` that cannot itself be differentiated: it runs with
    recording off, and a double backward through its result raises a RuntimeError.

    Example::

        @staticmethod
        @once_differentiable
        def backward(ctx, grad_output): ...
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            STATE.enabled = prev
        if not prev:
            return outputs
        Tensor = _graph._tensor_cls
        if not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        err = _DelayedError()
        err.msg = "trying to differentiate twice a function that was marked with @once_differentiable"
        err._n_out = len(outs)
        sources = []
        for o in outs:
            if isinstance(o, Tensor):
                o = _alias(o, _wrap())
                o._rg = True  # a fake leaf, so the error node has an edge to follow
            sources.append(o)
        connect(err, tuple(s if isinstance(s, Tensor) else None for s in sources))
        res = []
        for i, s in enumerate(sources):
            if isinstance(s, Tensor):
                s = _alias(s, _wrap())
                s.grad_fn, s._oi, s._rg = err, i, True
            res.append(s)
        return tuple(res) if is_tuple else res[0]
    return wrapper


def _wrap():
    from ember._tensor import wrap
    return wrap


class InplaceFunction(Function):
    """Kept for PyTorch compatibility; use :class:`Function`."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

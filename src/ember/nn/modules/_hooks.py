"""Module hooks: removable handles, hooks bound to a module, the identity nodes that let full
backward hooks see the gradients w.r.t. a module's inputs and outputs (torch.utils.hooks), and
the Module methods that register hooks and run ``__call__`` (imported into Module's class body).
"""
import warnings
import weakref

from ember._tensor import Tensor, view_of
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node, connect


class RemovableHandle:
    """A handle that removes a hook: ``handle.remove()``, or use it as a context manager.

    ``extra_dict`` names other dicts (or a list of them) keyed by the same id, such as the set of
    hooks that take kwargs, so that removing the hook removes its flags too.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (extra_dict or ()))

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __getstate__(self):
        extra = tuple(r() for r in self.extra_dict_ref)
        return (self.hooks_dict_ref(), self.id, extra)

    def __setstate__(self, state):
        # NOTE: weakrefs cannot be pickled; a dead dict becomes a fresh empty one, as in torch
        from collections import OrderedDict
        self.hooks_dict_ref = weakref.ref(state[0] if state[0] is not None else OrderedDict())
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in state[2] if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _WrappedHook:
    """A hook that receives its module as first argument, holding the module weakly (no cycle)."""

    def __init__(self, hook, module=None):
        self.hook = hook
        self.with_module = module is not None
        if self.with_module:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)

    def __getstate__(self):
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state):
        self.hook, self.with_module = state["hook"], state["with_module"]
        if self.with_module:
            self.module = weakref.ref(state["module"])


class BackwardHookFunctionBackward(Node):
    """Identity over several tensors: the node on which a module's backward hooks are attached."""

    def backward(self, *grads):
        # NOTE: a missing gradient becomes zeros, as torch's autograd.Function materializes them:
        # the hooks see zeros for a tensor input that needs no grad
        from ember._ops.creation import zeros
        return tuple(zeros(shape, dtype=dtype, device=device) if g is None else g
                     for g, (shape, dtype, device) in zip(grads, self.metas))


def attach_hook(node, fn, pre=False):
    """Add ``fn`` to a graph node's hooks (``pre``: run before its backward, on its grad outputs).

    NOTE: writes the node's hook dict directly; ``Node.register_hook`` builds a handle holding a
    weakref to a plain dict, which Python refuses (reported; the hook is never removed anyway)."""
    attr = "_pre_hooks" if pre else "_hooks"
    hooks = getattr(node, attr) or {}
    hooks[object()] = fn  # a key no RemovableHandle id can collide with
    setattr(node, attr, hooks)


def _identity(tensors):
    """Pass ``tensors`` through one identity node; those that need no grad come back unchanged."""
    node = BackwardHookFunctionBackward()
    node._n_out = len(tensors)
    node.metas = [(t.shape, t.dtype, t.device) for t in tensors]
    connect(node, tensors)
    outs = []
    for i, t in enumerate(tensors):
        if t._rg:
            o = view_of(t._data, t)
            o._rg, o.grad_fn, o._oi = True, node, i
            t = o
        outs.append(t)
    return outs, node


class BackwardHook:
    """Runs a module's full backward (pre-)hooks: ``setup_input_hook`` wraps the inputs of forward
    and ``setup_output_hook`` its outputs in identity nodes, whose gradients are what the hooks see
    (``grad_input``, ``grad_output``) and may replace."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply_on_tensors(self, fn, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in idx]
        if not (STATE.enabled and any(t._rg for t in tensors)):
            return args, None
        new, node = _identity(tensors)
        fn(node)
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def setup_input_hook(self, args):
        def on_input_grads(grad_input, _):
            # grad_input: the gradients w.r.t. the module's tensor inputs
            if self.grad_outputs is None:
                return None
            res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for hook in self.user_hooks:
                out = hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in self.input_tensors_index)

        res, self.input_tensors_index = self._apply_on_tensors(
            lambda node: attach_hook(node, on_input_grads), args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        def on_output_grads(grad_output):
            self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                     self.n_outputs)
            for pre_hook in self.user_pre_hooks:
                out = pre_hook(self.module, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(self.grad_outputs):
                    raise RuntimeError("Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(out)}, but expected "
                                       f"{len(self.grad_outputs)}")
                self.grad_outputs = out
            local = self.grad_outputs
            if self.input_tensors_index is None:
                # no input needs grad: the hooks fire now, with grad_input all None
                warnings.warn("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs since no inputs require gradients.",
                              stacklevel=5)
                grad_inputs = (None,) * self.n_inputs
                for hook in self.user_hooks:
                    res = hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (isinstance(res, tuple)
                                                and all(r is None for r in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires "
                                           "gradient should always return None or None for all "
                                           "gradients.")
                self.grad_outputs = None
            return tuple(local[i] for i in self.output_tensors_index)

        single = not isinstance(result, tuple)
        args = (result,) if single else result
        res, self.output_tensors_index = self._apply_on_tensors(
            lambda node: attach_hook(node, on_output_grads, pre=True), args)
        self.n_outputs = len(args)
        return res[0] if single else res


# ---- Module methods (imported into the class body of Module) ------------------------------------
def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
    """Register ``hook(module, args)`` (or ``hook(module, args, kwargs)`` with ``with_kwargs``)
    to run before ``forward``; it may return new args (or ``(args, kwargs)``).

    Returns:
        a handle whose ``remove()`` unregisters the hook.
    """
    handle = RemovableHandle(self._forward_pre_hooks,
                             extra_dict=self._forward_pre_hooks_with_kwargs)
    self._forward_pre_hooks[handle.id] = hook
    if with_kwargs:
        self._forward_pre_hooks_with_kwargs[handle.id] = True
    if prepend:
        self._forward_pre_hooks.move_to_end(handle.id, last=False)
    return handle


def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
    """Register ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
    ``with_kwargs``) to run after ``forward``; it may return a new output. ``always_call``
    runs it even when forward raises.

    Returns:
        a handle whose ``remove()`` unregisters the hook.
    """
    handle = RemovableHandle(self._forward_hooks, extra_dict=[
        self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
    self._forward_hooks[handle.id] = hook
    if with_kwargs:
        self._forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        self._forward_hooks_always_called[handle.id] = True
    if prepend:
        self._forward_hooks.move_to_end(handle.id, last=False)
    return handle


def register_full_backward_pre_hook(self, hook, prepend=False):
    """Register ``hook(module, grad_output)``, run when the gradients w.r.t. the module's outputs
    are known; it may return a replacement ``grad_output``."""
    handle = RemovableHandle(self._backward_pre_hooks)
    self._backward_pre_hooks[handle.id] = hook
    if prepend:
        self._backward_pre_hooks.move_to_end(handle.id, last=False)
    return handle


def register_full_backward_hook(self, hook, prepend=False):
    """Register ``hook(module, grad_input, grad_output)``, run when the gradients w.r.t. the
    module's inputs are computed; it may return a replacement ``grad_input``."""
    if self._is_full_backward_hook is False:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a "
                           "single Module. Please use only one of them.")
    self._is_full_backward_hook = True
    handle = RemovableHandle(self._backward_hooks)
    self._backward_hooks[handle.id] = hook
    if prepend:
        self._backward_hooks.move_to_end(handle.id, last=False)
    return handle


def register_backward_hook(self, hook):
    """Deprecated: a hook on the ``grad_fn`` of the output; use
    :meth:`register_full_backward_hook`."""
    if self._is_full_backward_hook is True:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a "
                           "single Module. Please use only one of them.")
    self._is_full_backward_hook = False
    handle = RemovableHandle(self._backward_hooks)
    self._backward_hooks[handle.id] = hook
    return handle


def _call_impl(self, *args, **kwargs):
    """``module(*args)``: forward pre-hooks, ``forward``, forward hooks, with backward hooks wired
    around the inputs and outputs; without hooks, just ``forward``."""
    if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
            or self._backward_pre_hooks):
        return self.forward(*args, **kwargs)
    called_always = set()
    result = None
    try:
        for hook_id, hook in tuple(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                r = hook(self, args, kwargs)
                if r is not None:
                    if isinstance(r, tuple) and len(r) == 2:
                        args, kwargs = r
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {r}.")
            else:
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        full = self._is_full_backward_hook is True and list(self._backward_hooks.values())
        bw_hook = None
        if full or self._backward_pre_hooks:
            bw_hook = BackwardHook(self, full or [], list(self._backward_pre_hooks.values()))
            args = bw_hook.setup_input_hook(args)
        result = self.forward(*args, **kwargs)
        for hook_id, hook in tuple(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_always_called:
                called_always.add(hook_id)
            if hook_id in self._forward_hooks_with_kwargs:
                r = hook(self, args, kwargs, result)
            else:
                r = hook(self, args, result)
            if r is not None:
                result = r
        if bw_hook is not None:
            result = bw_hook.setup_output_hook(result)
        if self._is_full_backward_hook is False and self._backward_hooks:
            var = result
            while not isinstance(var, Tensor):
                var = next(v for v in var.values() if isinstance(v, Tensor)) \
                    if isinstance(var, dict) else var[0]
            if var.grad_fn is not None:
                for hook in self._backward_hooks.values():
                    attach_hook(var.grad_fn, _WrappedHook(hook, self))
        return result
    except Exception:
        for hook_id, hook in tuple(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_always_called and hook_id not in called_always:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        r = hook(self, args, kwargs, result)
                    else:
                        r = hook(self, args, result)
                    if r is not None:
                        result = r
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {e}", stacklevel=2)
        raise

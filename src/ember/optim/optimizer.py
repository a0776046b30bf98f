"""The optimizer base class: parameter groups, per-parameter state, ``state_dict`` and hooks.

Subclasses implement ``step``. Updates work on the raw arrays (``p._data``, ``p.grad._data``) with
NumPy ufuncs and ``out=`` (which CuPy arrays accept too), so a step allocates nothing once its state
exists: temporaries go to work arrays the optimizer keeps (:meth:`Optimizer._work`). Every
in-place write bumps the tensor's version counter, as PyTorch's in-place ops do.
"""
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import numpy as np

from ember import _backend, _dtype
from ember._ops import _parallel
from ember._tensor import Tensor, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_pre_hooks = OrderedDict()
_global_post_hooks = OrderedDict()


class _RequiredParameter:
    """Marks a hyper-parameter without a default (every group must give it)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``; it may return new
    ``(args, kwargs)``. Returns a handle with ``remove()``."""
    h = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    h = RemovableHandle(_global_post_hooks)
    _global_post_hooks[h.id] = hook
    return h


def _use_grad(step):
    """Run ``step`` with graph recording off (updates are not part of any graph)."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            return step(self, *args, **kwargs)
        finally:
            STATE.enabled = prev
    return wrapper


def _with_hooks(step):
    """Wrap a class's ``step`` so the step pre- and post-hooks run around it."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        pre = self._optimizer_step_pre_hooks
        if pre or _global_pre_hooks:
            for hook in chain(_global_pre_hooks.values(), pre.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {result}.")
                    args, kwargs = result
        out = step(self, *args, **kwargs)
        post = self._optimizer_step_post_hooks
        if post or _global_post_hooks:
            for hook in chain(post.values(), _global_post_hooks.values()):
                hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


def _scalar_dtype():
    # NOTE: PyTorch keeps ``step`` counters in float32, or float64 when that is the default dtype.
    return np.float64 if _dtype.get_default_dtype().np == np.float64 else np.float32


def _new_step():
    """The 0-d ``step`` counter PyTorch keeps in state (on the CPU whatever the parameter's device)."""
    return wrap(np.zeros((), _scalar_dtype()))


def _steps_as_tensors(opt):
    """Old checkpoints stored ``step`` as a number; PyTorch turns it back into a 0-d tensor."""
    for group in opt.param_groups:
        for p in group["params"]:
            st = opt.state.get(p, [])
            if len(st) != 0 and "step" in st and not isinstance(st["step"], Tensor):
                st["step"] = wrap(np.array(float(st["step"]), _scalar_dtype()))


def _zeros_like(p, value=0):
    arr = p._data
    out = _backend.xp_of(arr).empty(arr.shape, arr.dtype)
    out.fill(value)
    return wrap(out)


def _hyper(x):
    """A hyper-parameter as a Python number. NumPy 2 treats Python floats as weakly typed, so a
    float32 array times a Python float stays float32; a NumPy float64 scalar would upcast."""
    if isinstance(x, Tensor):
        return x.item()
    return float(x)


def _typename(obj):
    if isinstance(obj, Tensor):
        from ember._tensor_str import type_name
        return type_name(obj)
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): tensors to optimize, ``(name, tensor)`` pairs (``named_parameters()``),
            or dicts defining parameter groups, each with ``'params'`` and per-group options.
        defaults (dict): default values of the options, used where a group gives none.

    Example::

        opt = ember.optim.SGD([{'params': model.base.parameters()},
                               {'params': model.head.parameters(), 'lr': 1e-3}], lr=1e-2)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._work_arrays = {}
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _refuse_unsupported(self, fused=None, foreach=None, differentiable=False):
        """PyTorch's checks of its implementation flags; ember has one implementation of each
        update (in place, on the arrays), so ``foreach``/``fused`` change nothing."""
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        if differentiable:
            raise NotImplementedError("ember's optimizers do not support differentiable=True")

    def _group_defaults(self, **defaults):
        """Fill options missing from param groups (a state saved by an older version)."""
        for group in self.param_groups:
            for k, v in defaults.items():
                group.setdefault(k, v)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        if "_work_arrays" not in self.__dict__:
            self._work_arrays = {}
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def _patch_step_function(self):
        # like PyTorch: the most derived class's step runs the hooks, once per call
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_hooks(cls.step)

    # ---- parameter groups -----------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and options) to ``param_groups``,
        e.g. to train layers that were frozen so far."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a "
                            "list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set ``.grad`` to None instead of filling it with zeros (default:
                True). Optimizers skip parameters whose grad is None, but step with a zero grad.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._data.fill(0)
                    g._vc[0] += 1

    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        raise NotImplementedError

    def _closure(self, closure):
        """Run a step's closure with graph recording on, like PyTorch's ``enable_grad``."""
        if closure is None:
            return None
        prev = STATE.enabled
        STATE.enabled = True
        try:
            return closure()
        finally:
            STATE.enabled = prev

    def _work(self, like, i):
        """The ``i``-th work array shaped like the array ``like``: flat buffers per dtype and
        device, grown to the largest parameter asked for and reused, so steps allocate nothing
        (updates that :func:`_in_spans` cuts into spans use small arrays of each thread's own
        instead, and never ask)."""
        key = (i, like.dtype, None if type(like) is np.ndarray else like.device.id)
        buf = self._work_arrays.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = _backend.xp_of(like).empty(n, like.dtype)
            self._work_arrays[key] = buf
        return buf[:n].reshape(like.shape)

    def _grad(self, p, g, maximize, weight_decay):
        """The gradient an update uses: ``-g`` when maximizing, plus ``weight_decay * p``. PyTorch
        computes these out of place, so ``p.grad`` stays as it is; here they go to work array 0
        (work array 1 is a temporary)."""
        if not maximize and weight_decay == 0:
            return g
        return _grad_into(p, g, maximize, weight_decay, self._work(g, 0), self._work(g, 1))

    # ---- hooks ----------------------------------------------------------------------------------
    @staticmethod
    def _register(hooks, hook, prepend=False):
        h = RemovableHandle(hooks)
        hooks[h.id] = hook
        if prepend:
            hooks.move_to_end(h.id, last=False)
        return h

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` before ``step``."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` after ``step``."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` before :meth:`state_dict`."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None`` after :meth:`state_dict`."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None`` before :meth:`load_state_dict`."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` after :meth:`load_state_dict`."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state_dict -----------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict, PyTorch's layout: ``'state'`` maps a parameter's index
        (its position over all groups) to its state (``momentum_buffer``, ``exp_avg``, ``step``
        ...), ``'param_groups'`` lists each group's options with ``'params'`` as those indices.
        State tensors are the live ones, not copies (as in PyTorch)."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, sd)
            if result is not None:
                sd = result
        return sd

    def load_state_dict(self, state_dict):
        """Load a state from :meth:`state_dict`: parameters are matched by position, state tensors
        are cast to their parameter's dtype and device (``step`` is kept as it is).

        Args:
            state_dict (dict): the optimizer state, as returned by :meth:`state_dict`.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state,
                           "param_groups": [update_group(g, s) for g, s in zip(groups, saved_groups)]})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _grad_into(p, g, maximize, weight_decay, out, tmp):
    """:meth:`Optimizer._grad` on given work arrays ``out`` and ``tmp`` (spans of them, when the
    update runs in spans)."""
    if not maximize and weight_decay == 0:
        return g
    if maximize:
        np.negative(g, out=out)
        g = out
    if weight_decay != 0:
        np.multiply(p, weight_decay, out=tmp)
        np.add(g, tmp, out=out)
    return out


# NOTE: an update makes several passes over its arrays; those of over _BIG elements (4 MB each in
# float32, a handful of them: past the caches) go a block of _BLOCK elements at a time, so that
# the blocks stay in cache between passes (measured on ResNet-18's SGD: 128K beats 32K, whose
# many small calls contend for the GIL). Smaller ones take one call per span.
_BIG = 1 << 20
_BLOCK = 1 << 17


def _in_spans(update, arrays, work):
    """``update(*arrays, w0, w1)``, an elementwise update of same-shape arrays (None allowed) with
    two work arrays. Large NumPy C-contiguous arrays are cut into spans of their flattened
    elements run on threads (as torch's foreach kernels use its intra-op threads), very large ones
    by cache-sized blocks; each thread then works in block-sized work arrays of its own (slices of
    parameter-sized ones would be written through to memory). ``work()`` gives ``(w0, w1)`` shaped
    like the arrays for an update run whole: called only then, so that the optimizer keeps
    parameter-sized work arrays only as large as its largest parameter updated whole."""
    a0 = arrays[0]
    if (type(a0) is not np.ndarray or a0.size < 2 * _parallel.MIN_ELEMENTS and a0.size <= _BIG
            or not _parallel.flat(*arrays)):
        return update(*arrays, *work())
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    block = _BLOCK if a0.size > _BIG else a0.size

    def span(lo, hi):
        n = min(block, hi - lo)
        w0, w1 = np.empty(n, a0.dtype), np.empty(n, a0.dtype)
        for b in range(lo, hi, block):
            e = min(hi, b + block)
            update(*(None if f is None else f[b:e] for f in flat), w0[:e - b], w1[:e - b])
    _parallel.each(span, a0.size, a0.size)


def _lerp_(m, g, w, tmp):
    """``m.lerp_(g, w)`` in place with PyTorch's two-sided formula (better rounding near w = 1)."""
    np.subtract(g, m, out=tmp)
    if abs(w) < 0.5:
        np.multiply(tmp, w, out=tmp)
        np.add(m, tmp, out=m)
    else:
        # NOTE: PyTorch forms 1 - w in the tensor's precision, from w already rounded to it
        np.multiply(tmp, float(1 - m.dtype.type(w)), out=tmp)
        np.subtract(g, tmp, out=m)


def _addcmul_sq_(v, g, value, tmp):
    """``v.addcmul_(g, g, value=value)``, evaluated in PyTorch's order ``v + (value * g) * g``."""
    np.multiply(g, value, out=tmp)
    np.multiply(tmp, g, out=tmp)
    np.add(v, tmp, out=v)


def _as_real(*arrays):
    """Complex arrays seen as real ones with a trailing (re, im) axis, like PyTorch's
    ``view_as_real``: the adaptive optimizers treat the two parts as separate coordinates."""
    return [a if a is None or a.dtype.kind != "c" else a.view(a.real.dtype).reshape(a.shape + (2,))
            for a in arrays]

"""``functional_call``: run a module with its parameters and buffers swapped for given tensors
(``torch.func.functional_call``, after ``torch.nn.utils.stateless``)."""
from ember._tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _merge(dicts):
    if isinstance(dicts, dict):
        return dicts
    if isinstance(dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        seen, repeated = set(), []
        for d in dicts:
            for k in d:
                if k in seen and k not in repeated:
                    repeated.append(k)
                seen.add(k)
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        return {k: v for d in dicts for k, v in d.items()}
    raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                     f"dicts, but got {type(dicts)}")


def _named_tensors(module):
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untie(module, tensors):
    """Give every name tied to a given name (one Parameter under several names) the same value;
    PyTorch's ValueError when tied names are given different values."""
    by_tensor = {}
    for name, t in _named_tensors(module).items():
        by_tensor.setdefault(id(t), set()).add(name)
    tied = {n: names for names in by_tensor.values() if len(names) > 1 for n in names}
    given = [n for n in tensors if n in tied]
    for n in given:
        names = tied[n]
        if len([m for m in names if m in tensors]) > 1 and len(
                {id(tensors[m]) for m in names if m in tensors}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    out = dict(tensors)
    for n in given:
        for m in tied[n]:
            out[m] = tensors[n]
    return out


def _submodule(module, name):
    """The submodule at dotted ``name``, with the errors of torch's functional_call (a path
    through a tensor is a TypeError there, where ``Module.get_submodule`` says AttributeError)."""
    from ember.nn.modules.module import Module
    mod = module
    path = []
    for item in name.split(".") if name else ():
        path.append(item)
        try:
            sub = getattr(mod, item)
        except AttributeError:
            raise AttributeError(f"{mod._get_name()} has no attribute `{item}`") from None
        if not isinstance(sub, Module):
            raise TypeError(f"submodule `{'.'.join(path)}`: {sub} is not an instance of "
                            "torch.nn.Module")
        mod = sub
    return mod


def _swap(module, name, value):
    """Put ``value`` at dotted ``name`` of ``module`` (``_MISSING``: remove it); returns what was
    there (``_MISSING`` if nothing)."""
    prefix, _, attr = name.rpartition(".")
    mod = _submodule(module, prefix)
    if value is not _MISSING and value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of torch.Tensor")
    for reg in (mod._parameters, mod._buffers):
        if attr in reg:
            old = reg[attr]
            if value is _MISSING:
                del reg[attr]
            else:
                reg[attr] = value  # NOTE: bypasses __setattr__, which wants a Parameter here
            return old
    old = getattr(mod, attr, _MISSING)
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{attr}`: {old} is not an instance of torch.Tensor")
    if value is not _MISSING:
        setattr(mod, attr, value)
    elif hasattr(mod, attr):
        delattr(mod, attr)
    return old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Call ``module`` with its parameters and buffers replaced by the given tensors, restoring
    the originals afterwards (also when the call raises). Gradients flow to the given tensors,
    so a module can be used as a function of its parameters (with :func:`grad`, :func:`vmap`).

    Args:
        module: the ``nn.Module`` to call.
        parameter_and_buffer_dicts: a dict ``{name: tensor}`` with names as in
            ``named_parameters()`` / ``named_buffers()``, or a tuple/list of such dicts.
        args: the positional arguments (a tuple; anything else is passed as the one argument).
        kwargs: the keyword arguments.
        tie_weights: a tensor given for one of several tied names (one Parameter registered
            twice) is used for all of them.
        strict: every parameter and buffer must be given, and nothing else (RuntimeError).

    Example::

        >>> model = ember.nn.Linear(3, 2)
        >>> params = {k: v.detach() for k, v in model.named_parameters()}
        >>> ember.func.functional_call(model, params, (ember.randn(4, 3),)).shape
        ember.Size([4, 2])
    """
    tensors = _merge(parameter_and_buffer_dicts)
    new = _untie(module, tensors) if tie_weights else dict(tensors)
    if strict:
        valid = set(_named_tensors(module))
        missing, unexpected = sorted(valid - set(new)), sorted(set(new) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(msgs))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    originals = {}
    try:
        for name, value in new.items():
            originals[name] = _swap(module, name, value)
        return module(*args, **(kwargs or {}))
    finally:
        current = {name: _swap(module, name, old) for name, old in reversed(originals.items())}
        # NOTE: a module that reassigns a buffer during the call (``self.buf = new``): the new
        # tensor is written back into the caller's dict, as PyTorch does
        if isinstance(parameter_and_buffer_dicts, dict):
            parameter_and_buffer_dicts.update({k: current[k] for k in parameter_and_buffer_dicts
                                               if current.get(k, _MISSING) is not _MISSING})

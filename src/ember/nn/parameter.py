"""``Parameter``: a Tensor that a Module registers as one of its parameters; ``Buffer``: a Tensor
that a Module registers as a buffer when assigned as an attribute."""
from collections import OrderedDict

from ember._tensor import Tensor, _init, wrap

__all__ = ["Parameter", "Buffer"]

_new = object.__new__


def _empty():
    from ember._ops.creation import empty
    return empty(0)


class Parameter(Tensor):
    """A kind of Tensor that is to be considered a module parameter.

    Assigning a ``Parameter`` as an attribute of a :class:`~ember.nn.Module` adds it to the module's
    parameters (``module.parameters()``, ``state_dict()``); assigning a plain Tensor does not.
    The parameter shares ``data``'s memory and version counter.

    Args:
        data (Tensor): parameter tensor (default: an empty float tensor).
        requires_grad (bool): whether the parameter requires gradient, even inside ``no_grad``.
            Default: ``True``.

    Example::

        w = nn.Parameter(ember.zeros(3, 4))
        w.requires_grad    # True
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        if not isinstance(data, Tensor):
            raise TypeError("Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        t = _new(cls)
        _init(t, data._data)
        t._vc = data._vc  # NOTE: an alias of data, as torch's _make_subclass: one version counter
        try:
            t.requires_grad = requires_grad  # the setter refuses integer dtypes
        except RuntimeError:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients") from None
        return t

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__; Tensor.__init__ would reinterpret the arguments

    def __deepcopy__(self, memo):
        # like torch: a fresh Parameter with copied values; .grad is not copied
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(wrap(self._data.copy()), self._rg)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        # NOTE: as torch, the values travel as a plain Tensor (self.data), so a pickler that handles
        # Tensors specially (serialization's persistent ids) sees the storage once.
        state = dict(self.__dict__)
        return (_rebuild_parameter, (self.data, self._rg, OrderedDict(), state))


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    p = Parameter(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p


class _BufferMeta(type):
    # Buffer(...) returns a plain Tensor marked ``_is_buffer``; isinstance(t, Buffer) reads the mark
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A Tensor that a Module registers as a buffer (state that is not a parameter, such as
    BatchNorm's running mean) when assigned as an attribute.

    Args:
        data (Tensor): buffer tensor (default: an empty float tensor).
        persistent (bool): whether the buffer is part of the module's ``state_dict``.
            Default: ``True``.

    Example::

        self.running_mean = nn.Buffer(ember.zeros(4))
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t

"""``Parameter``: a Tensor that a Module registers as one of its parameters; ``Buffer``: a Tensor
that a Module registers as a buffer when assigned as an attribute; ``UninitializedParameter`` and
``UninitializedBuffer``: placeholders of the lazy modules, given a shape at the first forward."""
from collections import OrderedDict

from ember._tensor import Tensor, _init, wrap

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "is_lazy"]

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
        state.pop("_post_acc_hooks", None)  # hooks are not saved, as PyTorch's
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


_UNINIT_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                 "usually happens in `load_state_dict` when trying to load an uninitialized "
                 "parameter into an initialized one. Call `forward` to initialize the parameters "
                 "before accessing their attributes.")


# NOTE: the slot itself, through which a placeholder reaches its (empty) array; ops read
# ``_data``, which a placeholder turns into PyTorch's ValueError
_RAW = Tensor._data


def _raw(t):
    return wrap(_RAW.__get__(t))


def _allowed(name):
    def method(self, *args, **kwargs):
        return getattr(_raw(self), name)(*args, **kwargs)
    method.__name__ = name
    return method


class UninitializedTensorMixin:
    """What the uninitialized placeholders share: no shape until :meth:`materialize`, which
    gives them one and turns them into their ``cls_to_become``. Any op on them raises
    ValueError, as PyTorch's; the attributes and dtype/device moves that modules need work."""

    @property
    def _data(self):
        raise ValueError(f"Attempted to use an uninitialized parameter ({type(self).__name__}). "
                         "This error happens when you are using a `LazyModule` or explicitly "
                         "manipulating `ember.nn.parameter` placeholders. When using "
                         "LazyModules Call `forward` with a dummy batch to initialize the "
                         "parameters before calling ember functions")

    @_data.setter
    def _data(self, value):
        _RAW.__set__(self, value)

    dtype = property(lambda self: _raw(self).dtype)
    device = property(lambda self: _raw(self).device)
    is_cuda = property(lambda self: _raw(self).is_cuda)
    is_cpu = property(lambda self: _raw(self).is_cpu)
    data = property(_raw, Tensor.data.fset)

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        t = _raw(self)
        t.requires_grad = value  # (its checks)
        self._rg = t._rg

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor ``shape`` (uninitialized values) and turn it into ``cls_to_become``
        (``Parameter`` or ``Tensor``), keeping the object (modules and optimizers hold it).

        Args:
            shape (tuple): the shape of the materialized tensor.
            device, dtype: default to the placeholder's own.
        """
        from ember._ops.creation import empty
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_UNINIT_SHAPE)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


for _name in ("size", "is_floating_point", "is_complex", "get_device", "to", "cpu", "cuda", "half",
              "float", "double", "char", "short", "int", "long"):  # (PyTorch's allowed methods)
    setattr(UninitializedTensorMixin, _name, _allowed(_name))
del _name


def is_lazy(param):
    """Whether ``param`` is an :class:`UninitializedParameter` or :class:`UninitializedBuffer`."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter without a shape yet (the lazy modules' ``weight`` before the first forward);
    ``materialize(shape)`` turns it into a :class:`Parameter`.

    Args:
        requires_grad (bool): Default: ``True``.
        device, dtype: of the future parameter.

    Example::

        p = nn.parameter.UninitializedParameter()
        p.materialize((3, 4)); type(p)    # ember.nn.Parameter
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ember._ops.creation import empty
        t = Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)
        return t

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer without a shape yet (a lazy BatchNorm's ``running_mean``); ``materialize(shape)``
    turns it into a plain Tensor.

    Args:
        requires_grad (bool): Default: ``False``.
        device, dtype: of the future buffer.
        persistent (bool): whether the buffer goes into ``state_dict``. Default: ``True``.
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from ember._ops.creation import empty
        t = _new(cls)
        _init(t, empty(0, device=device, dtype=dtype)._data)
        t.requires_grad_(requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

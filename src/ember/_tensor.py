"""The Tensor: an array (NumPy or CuPy), its place in the autograd graph, and its version counter.

Operations live in ``ember._ops``; each family attaches its methods and operators to :class:`Tensor`
with :func:`methods`. This file holds what every op relies on: fast construction (:func:`wrap`,
:func:`track`), conversions, and the autograd entry points.
"""
import numpy as np

from ember import _backend, _dtype
from ember._dtype import from_numpy_dtype
from ember.autograd import graph as _graph
from ember.autograd.grad_mode import STATE

_new = object.__new__
_ndarray = np.ndarray
_generic = np.generic


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"ember.Size([{', '.join(map(str, self))}])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class Tensor:
    """An n-dimensional array that can record operations for automatic differentiation.

    ``Tensor(data)`` copies data into a float tensor, ``Tensor(2, 3)`` makes an uninitialised 2x3 float
    tensor, as in PyTorch; prefer :func:`ember.tensor`, :func:`ember.zeros` and friends.
    """

    # _data: the array; _rg: requires_grad; _oi: which output of grad_fn this is; _vc: version
    # counter, a one-item list shared with views; _acc: weakref to the leaf's AccumulateGrad;
    # _hooks: hooks on a leaf (a non-leaf's live on its grad_fn); _view: for a view, (root base,
    # the version at which its grad_fn was made), so in-place writes can rebase the root.
    __slots__ = ("_data", "_rg", "_grad", "grad_fn", "_oi", "_vc", "_acc", "_hooks", "_view",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # so that ndarray + Tensor gives a Tensor

    def __init__(self, *args, device=None, dtype=None):
        np_dtype = (_dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            src = args[0]
            arr = np.array(src._data if isinstance(src, Tensor) else src, dtype=np_dtype)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], Size) else (args or (0,))
            arr = np.empty(tuple(int(s) for s in shape), np_dtype)
        _init(self, _backend.to_device(arr, device) if device is not None else arr)

    # ---- construction used by ops ---------------------------------------------------------------
    @classmethod
    def for_backward(cls, arr, node):
        """A saved output rebuilt for a backward formula (see ``Node.saved_output``)."""
        if STATE.enabled:
            t = wrap(arr)
            t._rg = True
            t.grad_fn = node
            return t
        return wrap(arr)

    # ---- attributes -----------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _backend.device_of(self._data)

    @property
    def is_cuda(self):
        return type(self._data) is not _ndarray

    @property
    def is_cpu(self):
        return type(self._data) is _ndarray

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def data_ptr(self):
        if type(self._data) is _ndarray:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient that backward accumulates here (None until there is one). Assigning
        checks it as PyTorch does: a Tensor (or None) of this tensor's dtype, device and size."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            _check_grad(self, value)
        self._grad = value

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want "
                               "to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        value = bool(value)
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self.dtype})")
        self._rg = value

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (on a non-leaf only ``True`` is allowed: it already is)."""
        if self.grad_fn is not None and requires_grad:
            return self
        self.requires_grad = requires_grad
        return self

    @property
    def data(self):
        """This tensor's values as a new leaf that shares memory and needs no grad. Unlike
        ``detach()`` it has its own version counter: changes through it are hidden from autograd
        (PyTorch's escape hatch)."""
        return wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    # ---- conversions ----------------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        """The values as a NumPy array sharing this tensor's memory (on CPU)."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if type(self._data) is not _ndarray:
            if force:
                return self._data.get()
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data if type(self._data) is _ndarray else self._data.get()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} is ambiguous")
        return bool(self._data.item())

    def __float__(self):
        return self._python(float)

    def __int__(self):
        return self._python(int)

    def __complex__(self):
        return self._python(complex)

    def _python(self, kind):
        if self._data.size != 1:  # (PyTorch's ValueError here, its RuntimeError in item())
            raise ValueError("only one element tensors can be converted to Python scalars")
        return kind(self._data.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from ember._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:  # (a number, as PyTorch: f"{t}" of a 0-d tensor is "-1.0")
            return self._data.item().__format__(spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __reduce_ex__(self, protocol):
        # NOTE: pickling (DataLoader workers, copy.deepcopy) keeps the subclass, values and
        # requires_grad, never the graph, like PyTorch's.
        arr = self._data if type(self._data) is _ndarray else self._data.get()
        return (_rebuild, (type(self), arr, self._rg, str(self.device)))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        t = _new(type(self))
        _init(t, self._data.copy())
        t._rg = self._rg
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        # (hooks are not copied, as PyTorch's)
        t.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_post_acc_hooks"})
        memo[id(self)] = t
        return t

    # ---- autograd -------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. the graph leaves and accumulate it in ``.grad``.

        Args:
            gradient: the gradient of the final objective w.r.t. this tensor; may be omitted for a
                tensor of one element.
            retain_graph: keep the saved tensors so backward can run again (default: create_graph).
            create_graph: record the backward pass too, for higher-order derivatives.
            inputs: accumulate only into these tensors.
        """
        from ember.autograd.engine import backward
        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
                 inputs=inputs)

    def detach(self):
        """A new tensor sharing this one's memory, cut from the graph."""
        t = wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        if self.grad_fn is not None:
            self.grad_fn = None
            self._oi = 0
        self._rg = False
        return self

    def retain_grad(self):
        """Make this non-leaf tensor keep its ``.grad`` after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        node = self.grad_fn
        if node is None:
            return
        if node._retained is None:
            node._retained = {}
        import weakref
        node._retained[self._oi] = weakref.ref(self)

    @property
    def retains_grad(self):
        node = self.grad_fn
        return node is not None and node._retained is not None and self._oi in node._retained

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed; a returned
        tensor replaces the gradient. Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._oi, hook)
        if self._hooks is None:
            self._hooks = {}
        h = _graph.RemovableHandle(self._hooks)
        self._hooks[h.id] = hook
        return h

    _post_acc_hooks = None  # {id: hook(tensor)} of a leaf, kept in __dict__ when there are any

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor) -> None`` runs in backward right after this leaf's ``.grad`` has been
        accumulated (e.g. to step an optimizer per parameter, as soon as its gradient is ready).

        Args:
            hook (callable): called with this tensor; must return None.

        Returns:
            a handle whose ``remove()`` unregisters the hook.

        Example::

            w = ember.ones(3, requires_grad=True)
            w.register_post_accumulate_grad_hook(lambda t: print(t.grad))
            (2 * w).sum().backward()    # prints tensor([2., 2., 2.])
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        h = _graph.RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[h.id] = hook
        return h

    @property
    def output_nr(self):
        return self._oi

    @property
    def _version(self):
        return self._vc[0]

    def _bump(self):
        self._vc[0] += 1


def _tp_name(cls):
    """A type's name as CPython's ``tp_name`` has it (``numpy.ndarray``, ``list``, ``MyClass``),
    which PyTorch's messages show."""
    if cls.__module__ == "builtins" or cls.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def _check_grad(t, g):
    from ember._ops.reduce import cpp_name, type_name
    if not isinstance(g, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                        f"{_tp_name(type(g))}")
    if g._data.dtype != t._data.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{cpp_name(g._data.dtype)}' to a tensor "
            f"with grad_dtype '{type_name(t._data.dtype)}'. The gradient must match the tensor's "
            "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
            "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
            "caution. Diverging the dtypes of a tensor and its gradient may break downstream "
            "systems that assume they match.")
    gd, td = _backend.device_of(g._data), _backend.device_of(t._data)
    if gd != td:
        raise RuntimeError(f"attempting to assign a gradient located on device '{gd}' to a tensor "
                           f"located on device '{td}'. Please ensure that the gradient and the "
                           "tensor are on the same device")
    if g._data.shape != t._data.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(g._data.shape)}' to a "
                           f"tensor of size '{list(t._data.shape)}'. Please ensure that the "
                           "gradient and the tensor are the same size")


def _init(t, arr):
    t._data = arr
    t._rg = False
    t._grad = None
    t.grad_fn = None
    t._oi = 0
    t._vc = [0]
    t._acc = None
    t._hooks = None
    t._view = None


def _rebuild(cls, arr, requires_grad, device="cpu"):
    t = _new(cls)
    _init(t, arr if device == "cpu" else _backend.to_device(arr, device))
    t._rg = requires_grad
    return t


def wrap(arr):
    """A new leaf Tensor around ``arr`` (no copy). NumPy scalars become 0-d arrays."""
    if arr.__class__ is not _ndarray and isinstance(arr, _generic):
        arr = np.asarray(arr)
    t = _new(Tensor)
    t._data = arr
    t._rg = False
    t._grad = None
    t.grad_fn = None
    t._oi = 0
    t._vc = [0]
    t._acc = None
    t._hooks = None
    t._view = None
    return t


def track(arr, node, inputs, save_out=False):
    """The output of an op whose inputs may need grad: connect ``node`` to ``inputs`` and return the
    output tensor with ``grad_fn=node``. ``save_out`` keeps the output array for the backward
    formula (``node.saved_output()``)."""
    t = wrap(arr)
    _graph.connect(node, inputs)
    t._rg = True
    t.grad_fn = node
    if save_out:
        node._out = (t._data, t._vc, 0)
    return t


def view_of(arr, base, node=None):
    """Wrap ``arr``, a view of ``base``'s memory: it shares ``base``'s version counter. With a
    ``node`` (when ``base`` needs grad) the view is connected to the graph like :func:`track`."""
    t = wrap(arr)
    t._vc = base._vc
    root = base if base._view is None else base._view[0]
    if arr.dtype == root._data.dtype:  # (a reinterpreting view(dtype) cannot be rebased)
        t._view = (root, base._vc[0])
    if node is not None:
        _graph.connect(node, (base,))
        t._rg = True
        t.grad_fn = node
    elif base._rg and not STATE.enabled and arr.dtype.kind in "fc":
        t._rg, t._acc = True, _graph.NO_GRAD_VIEW  # (see there: PyTorch's no_grad views)
    return t


def _wrap_dim(dim, ndim):
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but "
                         f"got {dim})")
    return dim % n


def methods(**fns):
    """Attach functions to Tensor as methods (``Tensor.exp = exp``)."""
    for name, fn in fns.items():
        setattr(Tensor, name, fn)


_graph._tensor_cls = Tensor

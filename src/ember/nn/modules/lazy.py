"""Lazy modules: layers whose input size is read from the first input, as PyTorch's
``torch/nn/modules/lazy.py`` and the ``Lazy*`` classes of ``linear.py``, ``conv.py`` and
``batchnorm.py``.

A lazy layer starts with :class:`~ember.nn.parameter.UninitializedParameter` (and
``UninitializedBuffer``) placeholders. A forward pre-hook materializes them at the first call from
the input's shape, initialises them as the regular layer does, and turns the module into that
layer (``cls_to_become``: a ``LazyLinear`` becomes a ``Linear``). Loading a state_dict with
initialized tensors materializes them too.
"""
import itertools

import ember
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _NormBase
from ember.nn.modules.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
                                   ConvTranspose3d)
from ember.nn.modules.instancenorm import (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,
                                           _InstanceNorm)
from ember.nn.modules.linear import Linear
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """A mixin for modules whose parameters are inferred from the first input.

    A lazy module defines ``initialize_parameters(*inputs)``, which materializes its
    uninitialized parameters and buffers; it runs before the first forward, after which the
    module's class becomes ``cls_to_become`` (when set). Until then the module prints and saves
    its placeholders (``<UninitializedParameter>`` in ``state_dict``).

    Example::

        class LazyMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.LazyLinear(10)
                self.fc2 = nn.Linear(10, 1)

        m = LazyMLP(); m.fc1(ember.randn(4, 7)); m.fc1.weight.shape   # ember.Size([10, 7])
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # the placeholders themselves: detach() would turn them into empty plain tensors
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = (param if is_lazy(param) or keep_vars
                                              else param.detach())
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Materialize each placeholder that the state_dict holds an initialized tensor for, so
        that loading copies into it."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # NOTE: a placeholder loaded into a placeholder stays as it is (PyTorch skips its shape
        # check); hide such pairs from the generic loader, which compares shapes
        hidden = {}
        for reg in (self._parameters, self._buffers):
            for name, value in reg.items():
                key = prefix + name
                if is_lazy(value) and is_lazy(state_dict.get(key)):
                    hidden[key] = (reg, name, value, state_dict.pop(key))
                    reg[name] = None
        try:
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                          missing_keys, unexpected_keys, error_msgs)
        finally:
            for key, (reg, name, value, entry) in hidden.items():
                reg[name] = value
                state_dict[key] = entry

    def _apply(self, fn, recurse=True):
        # NOTE: Module._apply replaces buffers by fn(buf), a plain tensor; keep placeholders
        # (with fn's dtype and device) so the module stays lazy. Parameters keep their object.
        lazy = {k: b for k, b in self._buffers.items() if is_lazy(b)}
        super()._apply(fn, recurse)
        for k, b in lazy.items():
            r = self._buffers[k]
            self._buffers[k] = UninitializedBuffer(b.requires_grad, r.device, r.dtype)
        return self

    def initialize_parameters(self, *args, **kwargs):
        """Materialize the placeholders from the first inputs; lazy modules override it."""
        raise NotImplementedError("initialize_parameters is not implemented for "
                                  f"{self.__class__.__name__}")

    def has_uninitialized_params(self):
        """Whether any parameter or buffer is still a placeholder."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                       self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize the "
                           "modules")


# ---- Linear --------------------------------------------------------------------------------------
class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`~ember.nn.Linear` whose ``in_features`` is the last dimension of the first
    input; it becomes a ``Linear`` after the first forward.

    Args:
        out_features (int): size of each output sample.
        bias (bool): learn an additive bias. Default: ``True``.
        device, dtype: of the parameters.

    Example::

        >>> m = nn.LazyLinear(30)
        >>> m(ember.randn(128, 20)).shape, type(m).__name__
        (ember.Size([128, 30]), 'Linear')
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        # bias=False here: no tensor that the placeholder would replace at once
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(**factory_kwargs)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**factory_kwargs)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # materialized by load_state_dict: take in_features from it
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is "
                                     "not equal to in_features from self.weight: "
                                     f"{self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


# ---- convolutions --------------------------------------------------------------------------------
class _LazyConvXdMixin(LazyModuleMixin):
    _spatial = 2

    def _lazy_init(self, out_channels, bias, factory_kwargs):
        self.weight = UninitializedParameter(**factory_kwargs)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(**factory_kwargs)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize((*shape, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input):
        no_batch = self._spatial + 1
        if input.dim() not in (no_batch, no_batch + 1):
            raise RuntimeError(f"Expected {no_batch}D (unbatched) or {no_batch + 1}D (batched) "
                               f"input to {self.__class__.__name__}, but got input of size: "
                               f"{input.shape}")
        return input.shape[1] if input.dim() == no_batch + 1 else input.shape[0]

    def _get_num_spatial_dims(self):
        return self._spatial


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, **factory_kwargs)
        self._lazy_init(out_channels, bias, factory_kwargs)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, **factory_kwargs)
        self._lazy_init(out_channels, bias, factory_kwargs)


_CONV_DOC = """A :class:`~ember.nn.{base}` whose ``in_channels`` is read from the first input
    (``input.size(1)``, or ``size(0)`` unbatched); it becomes a ``{base}`` after the first
    forward.

    Args:
        out_channels (int): number of channels produced by the convolution.
        kernel_size, stride, padding, {extra}groups, bias, dilation, padding_mode, device,
        dtype: as :class:`~ember.nn.{base}`.

    Example::

        >>> m = nn.{name}(8, 3)
        >>> m(ember.randn({example})).shape[1]
        8
    """


class LazyConv1d(_LazyConv, Conv1d):
    __doc__ = _CONV_DOC.format(base="Conv1d", name="LazyConv1d", extra="", example="2, 4, 10")
    cls_to_become = Conv1d
    _spatial = 1


class LazyConv2d(_LazyConv, Conv2d):
    __doc__ = _CONV_DOC.format(base="Conv2d", name="LazyConv2d", extra="",
                               example="2, 4, 10, 10")
    cls_to_become = Conv2d
    _spatial = 2


class LazyConv3d(_LazyConv, Conv3d):
    __doc__ = _CONV_DOC.format(base="Conv3d", name="LazyConv3d", extra="",
                               example="2, 4, 5, 5, 5")
    cls_to_become = Conv3d
    _spatial = 3


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    __doc__ = _CONV_DOC.format(base="ConvTranspose1d", name="LazyConvTranspose1d",
                               extra="output_padding, ", example="2, 4, 10")
    cls_to_become = ConvTranspose1d
    _spatial = 1


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    __doc__ = _CONV_DOC.format(base="ConvTranspose2d", name="LazyConvTranspose2d",
                               extra="output_padding, ", example="2, 4, 10, 10")
    cls_to_become = ConvTranspose2d
    _spatial = 2


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    __doc__ = _CONV_DOC.format(base="ConvTranspose3d", name="LazyConvTranspose3d",
                               extra="output_padding, ", example="2, 4, 5, 5, 5")
    cls_to_become = ConvTranspose3d
    _spatial = 3


# ---- batch norm ----------------------------------------------------------------------------------
class _LazyNormBase(LazyModuleMixin, _NormBase):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__(0, eps, momentum, False, False, **factory_kwargs, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = UninitializedParameter(**factory_kwargs)
            if bias:
                self.bias = UninitializedParameter(**factory_kwargs)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(**factory_kwargs)
            self.running_var = UninitializedBuffer(**factory_kwargs)
            self.num_batches_tracked = ember.tensor(0, dtype=ember.long, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


_BN_DOC = """A :class:`~ember.nn.{base}` whose ``num_features`` is ``input.size(1)`` of the first
    input; it becomes a ``{base}`` after the first forward.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype, bias: as
        :class:`~ember.nn.{base}`.

    Example::

        >>> m = nn.{name}()
        >>> m(ember.randn({example})); m.running_mean.shape
        ember.Size([4])
    """


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    __doc__ = _BN_DOC.format(base="BatchNorm1d", name="LazyBatchNorm1d", example="8, 4")
    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    __doc__ = _BN_DOC.format(base="BatchNorm2d", name="LazyBatchNorm2d", example="8, 4, 3, 3")
    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    __doc__ = _BN_DOC.format(base="BatchNorm3d", name="LazyBatchNorm3d",
                             example="8, 4, 2, 3, 3")
    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


_IN_DOC = """An :class:`~ember.nn.{base}` whose ``num_features`` is ``input.size(1)`` of the first
    input; it becomes an ``{base}`` after the first forward.

    NOTE: as PyTorch's, the defaults are the lazy batch norms' (``affine=True``,
    ``track_running_stats=True``), not ``{base}``'s, and an unbatched input is read at
    ``size(1)`` too.

    Args:
        eps, momentum, affine, track_running_stats, device, dtype, bias: as
        :class:`~ember.nn.{base}`.

    Example::

        >>> m = nn.{name}()
        >>> m(ember.randn({example})); m.weight.shape
        ember.Size([4])
    """


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    __doc__ = _IN_DOC.format(base="InstanceNorm1d", name="LazyInstanceNorm1d",
                             example="8, 4, 5")
    cls_to_become = InstanceNorm1d
    _spatial = 1


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    __doc__ = _IN_DOC.format(base="InstanceNorm2d", name="LazyInstanceNorm2d",
                             example="8, 4, 3, 3")
    cls_to_become = InstanceNorm2d
    _spatial = 2


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    __doc__ = _IN_DOC.format(base="InstanceNorm3d", name="LazyInstanceNorm3d",
                             example="8, 4, 2, 3, 3")
    cls_to_become = InstanceNorm3d
    _spatial = 3

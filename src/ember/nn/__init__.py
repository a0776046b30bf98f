"""Neural networks: ``Module`` and its layers, ``Parameter``, ``init`` and ``utils``, with PyTorch's
names (``import ember.nn as nn``).

Layer families live in ``nn/modules/<family>.py`` and are exported by ``nn/modules/__init__.py``;
adding one needs no change here.
"""
from ember.nn.modules import *  # noqa: F401,F403
from ember.nn.modules import __all__ as _modules_all
from ember.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from ember.nn import functional, init, modules, parallel, utils  # noqa: F401

__all__ = list(_modules_all) + ["Buffer", "Parameter", "UninitializedBuffer",
                                 "UninitializedParameter", "functional", "init", "parallel",
                                 "utils"]

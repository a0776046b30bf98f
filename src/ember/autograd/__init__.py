"""Automatic differentiation: the engine (``backward``, ``grad``), grad modes, custom Functions,
``gradcheck`` and anomaly detection, with PyTorch's ``torch.autograd`` names."""
from ember.autograd import graph
from ember.autograd.anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,
                                         is_anomaly_enabled, set_anomaly_enabled,
                                         set_detect_anomaly)
from ember.autograd.engine import backward, grad
from ember.autograd.function import Function, once_differentiable
from ember.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                      is_inference_mode_enabled, no_grad, set_grad_enabled)
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ember.autograd.graph import Node

__all__ = ["backward", "grad", "Function", "once_differentiable", "gradcheck", "gradgradcheck",
           "GradcheckError", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "Node", "Variable", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "set_anomaly_enabled"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, graph._tensor_cls)


class Variable(metaclass=_VariableMeta):
    """Deprecated PyTorch wrapper: ``Variable(t)`` returns the Tensor ``t`` itself (with
    ``requires_grad`` set when asked), and every Tensor is an instance of it."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if requires_grad:
            data.requires_grad_(True)
        return data


def __getattr__(name):
    # NOTE: ``ember.autograd.functional`` loads on first use: this package is imported while
    # ember's Tensor type is being defined, before the ops that module builds on exist
    if name == "functional":
        import importlib
        return importlib.import_module("ember.autograd.functional")
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")

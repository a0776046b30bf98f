"""Automatic differentiation: the engine (``backward``, ``grad``), grad modes and custom Functions."""
from ember.autograd.engine import backward, grad
from ember.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                                      set_grad_enabled)
from ember.autograd.graph import Node

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "Node"]

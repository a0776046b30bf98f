"""ember: a readable deep-learning library with PyTorch's API, on NumPy (CPU) and CuPy (GPU).

    import ember as torch
"""
from ember import _ops  # noqa: F401  (attaches the operations to Tensor)
from ember._backend import device
from ember._dtype import (bool_ as bool, complex64, complex128, dtype, float16, float32, float64,
                          get_default_dtype, int8, int16, int32, int64, promote_types,
                          set_default_dtype, uint8)
from ember._ops.convert import clone
from ember._ops.creation import (as_tensor, empty, empty_like, from_numpy, full, full_like, ones,
                                 ones_like, tensor, zeros, zeros_like)
from ember._ops.elementwise import add, div, divide, exp, mul, multiply, neg, negative, sub, subtract
from ember._ops.reduce import mean, sum
from ember._ops.shape import expand, reshape
from ember._tensor import Size, Tensor
from ember import autograd
from ember.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

__version__ = "0.1.0"

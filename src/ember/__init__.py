"""ember: a readable deep-learning library with PyTorch's API, on NumPy (CPU) and CuPy (GPU).

    import ember as torch
"""
import os as _os
import sys as _sys

# NOTE: OpenBLAS's idle threads spin for about 0.1 s (2^28 cycles) after each threaded product,
# taking a core from ember's own threads (the chunked convolutions run two at once): 2^16 cycles
# still bridges back-to-back products. This reaches OpenBLAS only if NumPy is not loaded yet; a
# value set by the user is kept. Without it, ember leaves all threading to BLAS.
_short_spin = "OPENBLAS_THREAD_TIMEOUT" in _os.environ or "numpy" not in _sys.modules
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")

import warnings as _warnings  # noqa: E402

# NOTE: PyTorch computes IEEE results (inf, NaN) silently; NumPy warns when ember's kernels make
# them. Only warnings raised from ember's own code are ignored: the user's NumPy code still warns.
_warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero|underflow) encountered",
                         RuntimeWarning, r"ember(\.|$)")

from ember import _ops  # noqa: E402
from ember import _backend  # noqa: E402
from ember._backend import device  # noqa: E402
_backend.short_blas_spin = _short_spin
from ember._dtype import (bool_ as bool, complex64, complex128, dtype, float16, float32, float64,
                          get_default_dtype, int8, int16, int32, int64, promote_types,
                          set_default_dtype, uint8)
from ember._tensor import Size, Tensor
from ember import autograd
from ember.autograd import (enable_grad, inference_mode, is_anomaly_check_nan_enabled,
                            is_anomaly_enabled, is_grad_enabled, is_inference_mode_enabled, no_grad,
                            set_anomaly_enabled, set_grad_enabled)

# every op family's public functions (``ember.exp``, ``ember.cat``, ``ember.randn`` ...); the
# less common families' load on first use (``_ops.LAZY``), their Tensor methods through stubs
for _family in _ops.FAMILIES:
    globals().update({_name: getattr(_family, _name) for _name in _family.__all__})
_LAZY_OPS = {}
for _module, (_names, _methods) in _ops.LAZY.items():
    _LAZY_OPS.update(dict.fromkeys(_names.split(), "ember._ops." + _module))
    for _name in _methods.split():
        setattr(Tensor, _name, _ops.lazy_method(_module, _name))
del _family, _module, _names, _methods, _name
from ember._api import *  # noqa: E402,F401,F403  (is_tensor, finfo, ...)
from ember._globals import *  # noqa: E402,F401,F403  (pi, strided, channels_last, ...)
from ember import _tensor_props  # noqa: E402,F401  (layout, is_sparse, get_device, ...)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

random = _ops.random  # ``ember.random.manual_seed`` as ``torch.random.manual_seed``

# NOTE: the heavier subpackages load on first use (PEP 562), so ``import ember`` stays fast;
# ``ember.nn`` / ``import ember.nn as nn`` work as usual.
_LAZY = {"nn": "ember.nn", "optim": "ember.optim", "utils": "ember.utils", "vision": "ember.vision",
         "cuda": "ember.cuda", "serialization": "ember.serialization",
         "save": "ember.serialization", "load": "ember.serialization", "linalg": "ember.linalg",
         "special": "ember.special", "fft": "ember.fft",
         "distributions": "ember.distributions", "testing": "ember.testing",
         "backends": "ember.backends", "amp": "ember.amp", "autocast": "ember.amp"}
_LAZY.update(dict.fromkeys(("is_autocast_enabled", "get_autocast_dtype", "set_autocast_enabled",
                            "set_autocast_dtype", "is_autocast_available"),
                           "ember.amp.autocast_mode"))
_LAZY["multiprocessing"] = "ember.multiprocessing"
_LAZY.update(func="ember.func", vmap="ember.func")  # torch.func; torch.vmap
_LAZY["signal"] = "ember.signal"
# torch's top-level twins of activation functions that live in nn.functional
_LAZY.update(dict.fromkeys(("selu", "selu_", "celu", "celu_", "prelu", "rrelu", "rrelu_",
                            "threshold", "threshold_", "hardshrink"), "ember.nn.functional"))
_LAZY.update(_LAZY_OPS)


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(_LAZY[name])
        value = module if _LAZY[name] == "ember." + name else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__version__ = "0.1.0"

"""Utilities for training modules: gradient clipping, flattening parameters into a vector,
parametrizations (``parametrize``, ``parametrizations``) and the hook-based weight and spectral
normalizations."""
from ember.nn.utils import clip_grad, convert_parameters  # noqa: F401
from ember.nn.utils import rnn  # noqa: F401
from ember.nn.utils import parametrizations, parametrize, prune  # noqa: F401
from ember.nn.utils.clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_,
                                      clip_grads_with_norm_, get_total_norm)
from ember.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from ember.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from ember.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters", "remove_spectral_norm",
           "spectral_norm", "remove_weight_norm", "weight_norm"]
from ember.nn.utils.fusion import *  # noqa: F401,F403,E402
from ember.nn.utils.fusion import __all__ as _fusion_all  # noqa: E402
__all__ += _fusion_all

"""``ember.amp``: automatic mixed precision's API (``autocast``, ``GradScaler``), as
``torch.amp``.

NOTE: inside ``autocast`` ember still computes in the tensors' own dtypes (float32). NumPy has no
fast float16 or bfloat16 products (and ember no bfloat16), so lower precision would only be
slower; results are therefore float32 where PyTorch's autocast returns float16/bfloat16, and a
little more precise. ``GradScaler`` is complete: it scales the loss, unscales the gradients,
skips steps with inf/NaN gradients and adapts the scale exactly as PyTorch's.
"""
from ember.amp.autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from ember.amp.grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]

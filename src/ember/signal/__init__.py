"""``ember.signal``: PyTorch's ``torch.signal`` namespace (``ember.signal.windows``), loaded on
first use."""
from ember.signal import windows

__all__ = ["windows"]

"""``ember.linalg``: PyTorch's ``torch.linalg`` namespace (being written)."""
__all__ = []

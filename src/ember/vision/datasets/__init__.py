"""Data sets (``ember.vision.datasets``), like ``torchvision.datasets``."""
from ember.vision.datasets.digits import Digits

__all__ = ["Digits"]

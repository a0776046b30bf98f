"""Vision: the model zoo (``ember.vision.models``) and data sets (``ember.vision.datasets``), with
torchvision's names and structure."""
from ember.vision import datasets, models, transforms  # noqa: F401

"""Image transforms (``ember.vision.transforms``), like ``torchvision.transforms`` (v1), on ember
tensors of shape ``(..., C, H, W)``; ``functional`` is torchvision's ``F``.

Example::

    from ember.vision import transforms as T
    t = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
"""
from ember.vision.transforms import functional  # noqa: F401
from ember.vision.transforms._augment import (ColorJitter, GaussianBlur, Grayscale, RandomAffine,
                                              RandomErasing, RandomGrayscale, RandomRotation)
from ember.vision.transforms.transforms import (CenterCrop, Compose, ConvertImageDtype,
                                                InterpolationMode, Lambda, Normalize, Pad,
                                                PILToTensor, RandomApply, RandomChoice, RandomCrop,
                                                RandomHorizontalFlip, RandomOrder,
                                                RandomResizedCrop, RandomVerticalFlip, Resize,
                                                ToTensor)

__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "Normalize", "Lambda",
           "Resize", "CenterCrop", "Pad", "RandomCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomResizedCrop", "RandomApply", "RandomChoice", "RandomOrder",
           "InterpolationMode", "Grayscale", "RandomGrayscale", "ColorJitter", "GaussianBlur",
           "RandomRotation", "RandomAffine", "RandomErasing", "functional"]

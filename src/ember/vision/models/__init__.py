"""The model zoo (``ember.vision.models``), with torchvision's module names and state_dict keys."""
from ember.vision.models.alexnet import *  # noqa: F401,F403
from ember.vision.models.lenet import *  # noqa: F401,F403
from ember.vision.models.resnet import *  # noqa: F401,F403
from ember.vision.models.vgg import *  # noqa: F401,F403

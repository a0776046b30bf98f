"""AlexNet with torchvision's exact structure (module names, shapes, state_dict keys)."""
import ember
from ember import nn
from ember.vision.models._utils import no_pretrained

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet from "One weird trick..." as in torchvision (61,100,840 parameters for 1000 classes).

    Shape:
        Input (N, 3, H, W) with H, W >= 63 (224 typical); output (N, num_classes).
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet (``num_classes``, ``dropout`` as keyword arguments)."""
    no_pretrained(weights, "alexnet")
    return AlexNet(**kwargs)

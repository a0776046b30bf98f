"""LeNet-5, the small classic, for 1x28x28 (or 1x32x32) images."""
import ember
from ember import nn

__all__ = ["LeNet", "lenet"]


class LeNet(nn.Module):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max-pooling, as commonly written for MNIST.

    Args:
        num_classes: number of outputs.
        in_channels: image channels.

    Shape:
        Input (N, in_channels, 28, 28); output (N, num_classes).
    """

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(inplace=True),
            nn.Linear(120, 84), nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(ember.flatten(self.features(x), 1))


def lenet(**kwargs):
    return LeNet(**kwargs)

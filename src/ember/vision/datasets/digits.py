"""The UCI handwritten digits, shipped inside the package (45 kB): real data with no download."""
import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")
_N_TEST = 360  # a fixed 80/20 split, stratified by nothing but a fixed shuffle
_SPLIT_SEED = 20260101


def _load():
    with np.load(_PATH) as f:
        images, labels = f["images"], f["labels"]
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(labels))
    return images[order], labels[order]


def _dataset_base():
    try:
        from ember.utils.data import Dataset
        return Dataset
    except ImportError:  # NOTE: before ember.utils.data exists, a plain base keeps this importable
        return object


class Digits(_dataset_base()):
    """The 1,797 8x8 grey images of handwritten digits (UCI optical recognition data set).

    A fixed split: 1,437 training and 360 test images. Items are ``(image, label)``: ``image`` a
    float32 tensor of shape (1, 8, 8) with values in [0, 1], ``label`` an int in 0..9.

    Args:
        root: ignored (the data ships with ember); accepted for torchvision-style code.
        train: the training split (True) or the test split (False).
        transform: applied to each image tensor.
        target_transform: applied to each label.
        download: ignored; there is nothing to download.

    Example::

        train = ember.vision.datasets.Digits(train=True)
        image, label = train[0]        # (1, 8, 8) float32 tensor, int
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        images, labels = _load()
        sl = slice(_N_TEST, None) if train else slice(0, _N_TEST)
        self.data = (images[sl].astype(np.float32) / 16.0)[:, None]  # (N, 1, 8, 8)
        self.targets = labels[sl].astype(np.int64)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        from ember._tensor import wrap
        image, label = wrap(self.data[index]), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def tensors(self):
        """The whole split as two tensors ``(images (N, 1, 8, 8), labels (N,))``: fast full-batch
        access without a DataLoader."""
        from ember._tensor import wrap
        return wrap(self.data), wrap(self.targets)

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return f"Dataset Digits\n    Number of datapoints: {len(self)}\n    Split: {split}"

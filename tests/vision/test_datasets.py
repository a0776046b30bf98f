"""The digits data set shipped inside the package."""
import numpy as np

import ember
from ember.vision.datasets import Digits


def test_split_sizes_shapes_and_labels():
    train, test = Digits(train=True), Digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    image, label = train[0]
    assert isinstance(image, ember.Tensor) and image.shape == (1, 8, 8)
    assert image.dtype == ember.float32 and 0.0 <= image.min().item() <= image.max().item() <= 1.0
    assert isinstance(label, int) and 0 <= label <= 9
    assert sorted(set(train.targets.tolist())) == list(range(10))


def test_split_is_fixed_and_disjoint():
    a, b = Digits(train=True), Digits(train=True)
    np.testing.assert_array_equal(a.data, b.data)
    test = Digits(train=False)
    train_rows = {r.tobytes() for r in a.data.reshape(len(a), -1)}
    overlap = sum(r.tobytes() in train_rows for r in test.data.reshape(len(test), -1))
    assert overlap < 5  # only the few images that occur twice in the UCI file


def test_transforms_and_loader():
    ds = Digits(train=False, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    image, label = ds[3]
    assert image.max().item() <= 2.0 and label >= 100
    images, labels = next(iter(ember.utils.data.DataLoader(Digits(train=False), batch_size=16)))
    assert images.shape == (16, 1, 8, 8) and labels.dtype == ember.int64

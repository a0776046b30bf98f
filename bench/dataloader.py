"""DataLoader benchmark, ember and torch side by side in one run.

One epoch over a per-item Python dataset: 8,192 random 3x36x36 float32 images, each item a random
32x32 crop normalised per channel (the same dataset code, written against each library's Tensor),
batch 64, shuffle, with num_workers 0 and 2. The epoch includes starting the workers. Reported:
seconds per epoch (best of --repeat) and ember / torch. Goal: ember <= 1.0x torch for both.

A second dataset, "loader only", returns ready-made 3x36x36 tensors, so that its epoch measures
the loader itself (sampler, fetch, collate, worker transfer) without the per-item tensor ops.

Usage: python bench/dataloader.py [--repeat N] [--items N]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import ember  # noqa: E402
import torch  # noqa: E402


def make_dataset(lib, images, labels):
    """A map-style dataset of ``lib`` (torch or ember): random crop, then normalise."""

    class Crops(lib.utils.data.Dataset):
        def __init__(self):
            self.images = lib.from_numpy(images)
            self.labels = labels.tolist()
            self.mean = lib.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
            self.std = lib.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            top, left = lib.randint(0, 5, (2,)).tolist()
            crop = self.images[i, :, top:top + 32, left:left + 32]
            return (crop - self.mean) / self.std, self.labels[i]

    return Crops()


def make_plain_dataset(lib, images):
    """The loader's own cost: items are ready-made tensors (views of one array)."""
    items = list(lib.from_numpy(images).unbind(0))

    class Plain(lib.utils.data.Dataset):
        def __len__(self):
            return len(items)

        def __getitem__(self, i):
            return items[i], 0

    return Plain()


def epoch(lib, dataset, num_workers):
    loader = lib.utils.data.DataLoader(dataset, batch_size=64, shuffle=True,
                                       num_workers=num_workers)
    t = time.perf_counter()
    n = 0
    for x, y in loader:
        n += x.shape[0]
    elapsed = time.perf_counter() - t
    assert n == len(dataset), (n, len(dataset))
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--items", type=int, default=8192)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    images = rng.random((args.items, 3, 36, 36), dtype=np.float32)
    labels = rng.integers(0, 10, args.items)
    print(f"one epoch: {args.items} items of 3x36x36, batch 64, shuffle; best of {args.repeat}")
    for name, make in (("crop+normalise", lambda lib: make_dataset(lib, images, labels)),
                       ("loader only", lambda lib: make_plain_dataset(lib, images))):
        datasets = {lib: make(lib) for lib in (torch, ember)}
        for num_workers in (0, 2):
            best = {torch: float("inf"), ember: float("inf")}
            for _ in range(args.repeat):
                for lib in (torch, ember):  # interleaved, so both see the same machine load
                    best[lib] = min(best[lib], epoch(lib, datasets[lib], num_workers))
            print(f"{name:15s} num_workers={num_workers}: torch {best[torch]:.3f} s   "
                  f"ember {best[ember]:.3f} s   ember/torch {best[ember] / best[torch]:.2f}x")


if __name__ == "__main__":
    main()

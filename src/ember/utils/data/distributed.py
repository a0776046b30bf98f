"""DistributedSampler: each of ``num_replicas`` processes reads its own share of a dataset, as in
``torch.utils.data.distributed``."""
import math

import ember
from ember.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of replica ``rank``: every ``num_replicas``-th index of one shared order, padded
    (by repeating from the start) or cut so that every replica gets the same number.

    Args:
        dataset: a sized dataset.
        num_replicas: the number of processes (ember has no process groups: pass it).
        rank: this process's rank in ``[0, num_replicas - 1]``.
        shuffle: shuffle the shared order, the same way on every replica (default ``True``).
        seed: the seed of the shuffle (the same on every replica); each epoch uses
            ``seed + epoch``.
        drop_last: cut the tail instead of padding.

    Example::

        sampler = DistributedSampler(ds, num_replicas=4, rank=rank)
        loader = DataLoader(ds, sampler=sampler)
        for epoch in range(10):
            sampler.set_epoch(epoch)   # a new order each epoch
            for batch in loader: ...
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            # NOTE: ember has no torch.distributed; PyTorch raises this where it is unavailable
            raise RuntimeError("Requires distributed package to be available")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # the largest length that every replica can have without padding
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas)
                                         / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            g = ember.Generator().manual_seed(self.seed + self.epoch)
            indices = ember.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match total_size "
                                 f"({self.total_size})")
        indices = indices[self.rank:self.total_size:self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(indices)}) does not match "
                                 f"num_samples ({self.num_samples})")
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, so that with ``shuffle=True`` each epoch has its own order.

        Args:
            epoch: the epoch number.
        """
        self.epoch = epoch

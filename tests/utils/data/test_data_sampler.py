"""Samplers against torch's: exact orders where they are deterministic, statistics where they are
random (the numbers are ember's own, not torch's)."""
import numpy as np
import pytest
import torch
from conftest import both, same_error

import ember

S = ember.utils.data


def test_sequential_and_batch_samplers_like_torch():
    def run(lib):
        u = lib.utils.data
        seq = u.SequentialSampler(range(10))
        return [list(seq), len(seq), list(u.BatchSampler(seq, 3, False)),
                list(u.BatchSampler(seq, 3, True)), len(u.BatchSampler(seq, 3, False)),
                len(u.BatchSampler(seq, 3, True)), list(u.BatchSampler([5, 1, 2], 2, False))]
    t, e = both(run)
    assert e == t


@pytest.mark.parametrize("args", [(0, False), (2.0, False), (2, 1), (True, False)])
def test_batch_sampler_errors_like_torch(args):
    same_error(lambda lib: lib.utils.data.BatchSampler(range(3), *args))


@pytest.mark.parametrize("kw", [dict(replacement=1), dict(num_samples=0), dict(num_samples=1.5)])
def test_random_sampler_errors_like_torch(kw):
    same_error(lambda lib: lib.utils.data.RandomSampler(range(3), **kw))


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0], 2, 1),
                                  ([[1.0, 2.0]], 2)])
def test_weighted_sampler_errors_like_torch(args):
    same_error(lambda lib: lib.utils.data.WeightedRandomSampler(*args))


def test_random_sampler_is_a_permutation_and_reproducible():
    s = S.RandomSampler(range(50), generator=ember.Generator().manual_seed(0))
    a = list(s)
    assert sorted(a) == list(range(50)) and a != list(range(50))
    assert a == list(S.RandomSampler(range(50), generator=ember.Generator().manual_seed(0)))
    assert list(s) != a  # the generator moves on
    ember.manual_seed(2)
    b = list(S.RandomSampler(range(50)))
    ember.manual_seed(2)
    assert b == list(S.RandomSampler(range(50))) and sorted(b) == list(range(50))


def test_random_sampler_num_samples_without_replacement_like_torch():
    t, e = both(lambda lib: [len(list(lib.utils.data.RandomSampler(range(5), num_samples=12))),
                             len(lib.utils.data.RandomSampler(range(5), num_samples=12))])
    assert e == t
    draws = list(S.RandomSampler(range(5), num_samples=12))
    assert sorted(draws[:5]) == sorted(draws[5:10]) == list(range(5))  # whole permutations


def test_random_sampler_with_replacement_statistics():
    draws = np.array(list(S.RandomSampler(range(10), replacement=True, num_samples=20000)))
    assert len(draws) == 20000 and draws.min() == 0 and draws.max() == 9
    freq = np.bincount(draws, minlength=10) / 20000
    np.testing.assert_allclose(freq, 0.1, atol=0.015)
    assert len(set(draws[:20].tolist())) < 20  # repeats happen


def test_subset_random_sampler():
    s = S.SubsetRandomSampler([10, 20, 30, 40], generator=ember.Generator().manual_seed(0))
    assert sorted(s) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_random_sampler_frequencies():
    w = [1.0, 2.0, 0.0, 7.0]
    draws = np.array(list(S.WeightedRandomSampler(w, 20000)))
    freq = np.bincount(draws, minlength=4) / 20000
    np.testing.assert_allclose(freq, np.array(w) / 10, atol=0.015)
    assert freq[2] == 0
    once = list(S.WeightedRandomSampler(w, 3, replacement=False))
    assert sorted(once) == [0, 1, 3]
    assert len(S.WeightedRandomSampler(w, 5)) == 5


@pytest.mark.parametrize("n", [10, 11, 3])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_unshuffled_like_torch(n, replicas, drop_last):
    def run(lib):
        out = []
        for rank in range(replicas):
            s = lib.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                  drop_last=drop_last)
            out.append((list(s), len(s), s.num_samples, s.total_size))
        return out
    t, e = both(run)
    assert e == t


@pytest.mark.parametrize("n, replicas", [(10, 3), (7, 2), (12, 4)])
def test_distributed_sampler_shuffled_partitions(n, replicas):
    parts = [list(S.DistributedSampler(range(n), replicas, r, seed=5)) for r in range(replicas)]
    tparts = [list(torch.utils.data.DistributedSampler(range(n), replicas, r, seed=5))
              for r in range(replicas)]
    assert [len(p) for p in parts] == [len(p) for p in tparts]
    flat = sum(parts, [])
    assert set(flat) == set(range(n))  # everything, padded by repeats only
    assert len(flat) - len(set(flat)) == len(flat) - n
    again = [list(S.DistributedSampler(range(n), replicas, r, seed=5)) for r in range(replicas)]
    assert again == parts
    s = S.DistributedSampler(range(n), replicas, 0, seed=5)
    s.set_epoch(1)
    assert list(s) != parts[0] or n < 4


def test_distributed_sampler_errors_like_torch():
    same_error(lambda lib: lib.utils.data.DistributedSampler(range(4), 2, 2))
    same_error(lambda lib: lib.utils.data.DistributedSampler(range(4), 2, -1))
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        S.DistributedSampler(range(4))


def test_sampler_base():
    with pytest.raises(NotImplementedError):
        iter(S.Sampler())
    same_error(lambda lib: lib.utils.data.Sampler(range(3)))

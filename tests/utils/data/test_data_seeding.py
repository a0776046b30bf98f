"""Worker seeding: every worker's ``random``, NumPy and ember generators are seeded from the
loader's base seed + worker id; different workers and epochs differ, ``ember.manual_seed``
repeats them."""
import random

import numpy as np
import pytest
from data_helpers import Draws

import ember
from ember.utils.data import DataLoader


def _epoch(loader):
    return [tuple(item) for item in loader]


def _loader(**kw):
    return DataLoader(Draws(8), batch_size=None, num_workers=2, **kw)


def test_workers_draw_different_numbers():
    items = _epoch(_loader())
    by_worker = {w: [it[1:4] for it in items if it[0] == w] for w in (0, 1)}
    assert len(by_worker[0]) == len(by_worker[1]) == 4
    for k in range(3):  # random, NumPy, ember
        a = {v[k] for v in by_worker[0]}
        b = {v[k] for v in by_worker[1]}
        assert not a & b


def test_seed_is_base_seed_plus_worker_id_for_every_generator():
    items = _epoch(_loader())
    seeds = {it[0]: it[4] for it in items}
    assert seeds[1] == seeds[0] + 1
    for w, seed in seeds.items():
        first = next(it for it in items if it[0] == w)
        random.seed(seed)
        np.random.seed(np.random.SeedSequence(seed).generate_state(4))
        ember.manual_seed(seed)
        assert first[1:4] == (random.random(), float(np.random.rand()), ember.rand(()).item())


def test_manual_seed_repeats_the_stream_and_epochs_differ():
    loader = _loader()
    ember.manual_seed(5)
    a1, a2 = _epoch(loader), _epoch(loader)
    ember.manual_seed(5)
    b1, b2 = _epoch(loader), _epoch(loader)
    assert a1 == b1 and a2 == b2
    assert [it[1:4] for it in a1] != [it[1:4] for it in a2]


def test_generator_argument_sets_the_base_seed():
    a = _epoch(_loader(generator=ember.Generator().manual_seed(3)))
    ember.manual_seed(123)  # the default generator plays no part
    b = _epoch(_loader(generator=ember.Generator().manual_seed(3)))
    assert a == b


def test_persistent_workers_are_reseeded_every_epoch():
    ember.manual_seed(7)
    fresh = [_epoch(_loader()) for _ in range(2)]
    ember.manual_seed(7)
    loader = _loader(persistent_workers=True)
    persistent = [_epoch(loader) for _ in range(2)]
    assert persistent == fresh


@pytest.mark.parametrize("num_workers", [0, 2])
def test_shuffle_is_reproducible_and_a_permutation(num_workers):
    ds = ember.utils.data.TensorDataset(ember.arange(20))
    loader = DataLoader(ds, batch_size=5, shuffle=True, num_workers=num_workers)
    ember.manual_seed(1)
    a = [x for b in loader for x in b[0].tolist()]
    ember.manual_seed(1)
    b = [x for b in loader for x in b[0].tolist()]
    c = [x for b in loader for x in b[0].tolist()]
    assert a == b != c
    assert sorted(a) == sorted(c) == list(range(20))

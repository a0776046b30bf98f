"""Datasets and random_split against torch's."""
import warnings

import numpy as np
import pytest
from conftest import both, same_error

import ember


def ds(lib, n=10):
    return lib.utils.data.TensorDataset(lib.arange(n), lib.arange(n) * 2)


def test_tensor_dataset_like_torch():
    t, e = both(lambda lib: [ds(lib)[3], ds(lib)[-1], len(ds(lib))])
    assert e == t
    same_error(lambda lib: lib.utils.data.TensorDataset(lib.zeros(3), lib.zeros(4)))


def test_concat_dataset_like_torch():
    def run(lib):
        c = ds(lib, 3) + ds(lib, 4)
        return [len(c), c.cumulative_sizes, [c[i] for i in range(-7, 7)]]
    t, e = both(run)
    assert e == t
    same_error(lambda lib: (ds(lib, 3) + ds(lib, 4))[-8])
    same_error(lambda lib: lib.utils.data.ConcatDataset([]))
    same_error(lambda lib: lib.utils.data.ConcatDataset([_stream(lib, 2)]))


def _stream(lib, n):
    class S(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n
    return S()


def test_chain_dataset_like_torch():
    t, e = both(lambda lib: [list(_stream(lib, 2) + _stream(lib, 3)),
                             len(lib.utils.data.ChainDataset([_stream(lib, 2), _stream(lib, 3)]))])
    assert e == t
    same_error(lambda lib: list(lib.utils.data.ChainDataset([ds(lib)])))


def test_subset_and_stack_dataset_like_torch():
    def run(lib):
        sub = lib.utils.data.Subset(ds(lib), [4, 1, 7])
        st = lib.utils.data.StackDataset(ds(lib), ds(lib))
        sd = lib.utils.data.StackDataset(a=ds(lib), b=list(range(10)))
        return [len(sub), sub[1], sub.__getitems__([0, 2]), st[2], len(st), st.__getitems__([1]),
                sd[3], sd.__getitems__([0, 9])]
    t, e = both(run)
    assert e == t
    same_error(lambda lib: lib.utils.data.StackDataset(ds(lib, 3), ds(lib, 4)))
    same_error(lambda lib: lib.utils.data.StackDataset())
    same_error(lambda lib: lib.utils.data.StackDataset(ds(lib), a=ds(lib)))


def test_subset_overriding_getitem_only_like_torch():
    def make(lib):
        class Mine(lib.utils.data.Subset):
            def __getitem__(self, i):
                return 0
        return Mine(ds(lib), [0])
    same_error(make)


def test_dataset_base_like_torch():
    same_error(lambda lib: lib.utils.data.Dataset()[0])
    assert isinstance(ds(ember) + ds(ember), ember.utils.data.ConcatDataset)


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.3, 0.7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1] * 10),
    (5, [1.0]), (3, [0.0, 1.0]),
])
def test_random_split_lengths_like_torch(n, lengths):
    def run(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            parts = lib.utils.data.random_split(range(n), lengths,
                                                generator=lib.Generator().manual_seed(0))
        return [len(p) for p in parts], [str(x.message) for x in w]
    t, e = both(run)
    assert e == t


def test_random_split_partitions_and_is_reproducible():
    parts = ember.utils.data.random_split(range(20), [0.25, 0.75],
                                          generator=ember.Generator().manual_seed(1))
    again = ember.utils.data.random_split(range(20), [0.25, 0.75],
                                          generator=ember.Generator().manual_seed(1))
    items = [list(p) for p in parts]
    assert items == [list(p) for p in again]
    assert sorted(items[0] + items[1]) == list(range(20))
    ember.manual_seed(3)
    a = [list(p) for p in ember.utils.data.random_split(range(20), [10, 10])]
    ember.manual_seed(3)
    assert a == [list(p) for p in ember.utils.data.random_split(range(20), [10, 10])]


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [-0.5, 1.5], [0.4, 0.4]])
def test_random_split_errors_like_torch(lengths):
    same_error(lambda lib: lib.utils.data.random_split(range(10), lengths))


def test_random_split_of_numpy_rows():
    parts = ember.utils.data.random_split(np.arange(12).reshape(6, 2), [2, 4])
    assert [len(p) for p in parts] == [2, 4]

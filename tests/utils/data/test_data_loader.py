"""DataLoader in the main process, against torch's: batches, collation, lengths, argument errors
and warnings."""
import collections
import re
import warnings

import numpy as np
import pytest
import torch
from conftest import both, same_error

import ember

Point = collections.namedtuple("Point", ["x", "y"])


def samples(n=7):
    return [{"x": np.full(3, i, np.float32), "y": i, "z": i / 2, "s": f"s{i}", "b": b"b",
             "t": (i, np.int64(i)), "p": Point(i, [np.float64(i), True])} for i in range(n)]


def loader(lib, data=None, **kw):
    return lib.utils.data.DataLoader(samples() if data is None else data, **kw)


@pytest.mark.parametrize("kw", [
    dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
    dict(batch_size=2, sampler=[5, 0, 3, 3]), dict(batch_sampler=[[0, 1], [4], [2, 3, 5]]),
    dict(batch_size=4, collate_fn=lambda b: len(b)),
])
def test_batches_like_torch(kw):
    t, e = both(lambda lib: list(loader(lib, **kw)))
    assert e == t
    t, e = both(lambda lib: len(loader(lib, **kw)))
    assert e == t


def test_tensor_dataset_like_torch():
    x, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)

    def run(lib):
        ds = lib.utils.data.TensorDataset(lib.from_numpy(x.copy()), lib.from_numpy(y.copy()))
        return list(lib.utils.data.DataLoader(ds, batch_size=4))
    t, e = both(run)
    assert e == t


def _iterable(lib, n, length=None):
    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __repr__(self):
            return "Stream"

    if length is not None:
        Stream.__len__ = lambda self: length
    return Stream()


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=None)])
def test_iterable_dataset_like_torch(kw):
    t, e = both(lambda lib: list(lib.utils.data.DataLoader(_iterable(lib, 8), **kw)))
    assert e == t
    t, e = both(lambda lib: len(lib.utils.data.DataLoader(_iterable(lib, 8, length=8), **kw)))
    assert e == t


def test_iterable_dataset_length_warning_like_torch():
    messages = []
    for lib in (torch, ember):
        dl = lib.utils.data.DataLoader(_iterable(lib, 5, length=3))
        assert len(dl) == 3
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            list(dl)
        messages.append([str(x.message) for x in w])
    assert messages[1] == messages[0] and len(messages[0]) == 2
    assert messages[0][0].startswith("Length of IterableDataset Stream was reported to be 3")


def test_len_without_dataset_len_raises_like_torch():
    same_error(lambda lib: len(lib.utils.data.DataLoader(_iterable(lib, 3))),
               normalize=lambda s: re.sub(r"'\w+'", "", s))


class _Items:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i


@pytest.mark.parametrize("kw", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True), dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="nope"),
    dict(num_workers=1, multiprocessing_context=3), dict(batch_size=0),
    dict(batch_size=2, drop_last=1),
])
def test_argument_errors_like_torch(kw):
    same_error(lambda lib: lib.utils.data.DataLoader(_Items(), **kw))


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_argument_errors_like_torch(kw):
    same_error(lambda lib: lib.utils.data.DataLoader(_iterable(lib, 3), **kw))


@pytest.mark.parametrize("attr", ["batch_size", "sampler", "dataset", "drop_last"])
def test_attributes_fixed_after_init_like_torch(attr):
    def set_attr(lib):
        setattr(lib.utils.data.DataLoader(_Items()), attr, None)
    same_error(set_attr)
    dl = ember.utils.data.DataLoader(_Items())
    dl.num_workers = 0  # others may change


def test_timeout_without_workers_like_torch():
    same_error(lambda lib: iter(lib.utils.data.DataLoader(_Items(), timeout=1)))


def test_pin_memory_warns_without_a_gpu_like_torch():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    messages = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            batches = [b.tolist() for b in lib.utils.data.DataLoader(_Items(), batch_size=2,
                                                                      pin_memory=True)]
        messages.append([str(x.message) for x in w])
        assert batches == [[0, 1], [2, 3]]
    assert messages[1] == messages[0] and len(messages[0]) == 1


def test_too_many_workers_warning_like_torch():
    messages = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.utils.data.DataLoader(_Items(), num_workers=512)
        messages.append([str(x.message) for x in w])
    assert messages[1] == messages[0] and len(messages[0]) == 1


def test_multiprocessing_context_is_a_context():
    import multiprocessing
    dl = ember.utils.data.DataLoader(_Items(), num_workers=1, multiprocessing_context="spawn")
    assert isinstance(dl.multiprocessing_context, multiprocessing.context.BaseContext)
    assert dl.multiprocessing_context.get_start_method() == "spawn"


def test_module_paths():
    from ember.utils.data import get_worker_info  # noqa: F401
    from ember.utils.data._utils.collate import default_collate_fn_map
    from ember.utils.data.dataloader import default_collate
    from ember.utils.data.distributed import DistributedSampler  # noqa: F401
    assert default_collate_fn_map[ember.Tensor] is not None
    assert default_collate is ember.utils.data.default_collate
    assert set(torch.utils.data.__all__) >= set(ember.utils.data.__all__)

"""default_collate and default_convert against torch's: nested structures, dtypes, errors."""
import collections

import numpy as np
import pytest
from conftest import both, same_error

import ember

Point = collections.namedtuple("Point", ["x", "y"])


class Record(collections.abc.Mapping):
    """An immutable mapping built from a dict (collation rebuilds its type)."""

    def __init__(self, d):
        self.d = dict(d)

    def __getitem__(self, k):
        return self.d[k]

    def __iter__(self):
        return iter(self.d)

    def __len__(self):
        return len(self.d)


def t(lib, values, dtype=None):
    return lib.tensor(values, dtype=None if dtype is None else getattr(lib, dtype))


BATCHES = {
    "ints": lambda lib: [0, 1, 2],
    "floats": lambda lib: [0.5, 1.5],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "b"],
    "bytes": lambda lib: [b"a", b"b"],
    "tensors": lambda lib: [t(lib, [1.0, 2.0]), t(lib, [3.0, 4.0])],
    "int_tensors": lambda lib: [t(lib, 1), t(lib, 2)],
    "arrays": lambda lib: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
    "numpy_scalars": lambda lib: [np.float32(1), np.float32(2)],
    "numpy_ints": lambda lib: [np.int32(1), np.int32(2)],
    "numpy_bools": lambda lib: [np.bool_(True), np.bool_(False)],
    "tuples": lambda lib: [(0, "a", 1.0), (1, "b", 2.0)],
    "lists": lambda lib: [[0, 1], [2, 3]],
    "dicts": lambda lib: [{"a": 0, "b": t(lib, [1])}, {"a": 1, "b": t(lib, [2])}],
    "namedtuples": lambda lib: [Point(0, np.float64(1)), Point(1, np.float64(2))],
    "mapping": lambda lib: [Record({"a": 1}), Record({"a": 2})],
    "nested": lambda lib: [
        {"img": t(lib, [[1.0]]), "meta": {"id": 1, "tags": ("x", "y")}, "pts": [Point(1, 2)]},
        {"img": t(lib, [[2.0]]), "meta": {"id": 2, "tags": ("z", "w")}, "pts": [Point(3, 4)]}],
    "deque": lambda lib: [collections.deque([1, 2]), collections.deque([3, 4])],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_like_torch(name):
    tr, er = both(lambda lib: lib.utils.data.default_collate(BATCHES[name](lib)))
    assert er == tr


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_convert_like_torch(name):
    tr, er = both(lambda lib: lib.utils.data.default_convert(BATCHES[name](lib)))
    assert er == tr


def test_collated_mapping_keeps_its_type():
    out = ember.utils.data.default_collate(BATCHES["mapping"](ember))
    assert isinstance(out, Record)
    assert isinstance(ember.utils.data.default_collate(BATCHES["namedtuples"](ember)), Point)


@pytest.mark.parametrize("batch", [
    lambda lib: [[1, 2], [3]],
    lambda lib: [t(lib, [1.0, 2.0, 3.0]), t(lib, [1.0, 2.0, 3.0, 4.0])],
    lambda lib: [object(), object()],
    lambda lib: [np.array(["a"]), np.array(["b"])],
    lambda lib: [None, None],
])
def test_collate_errors_like_torch(batch):
    same_error(lambda lib: lib.utils.data.default_collate(batch(lib)),
               normalize=lambda s: s.replace("torch", "ember"))


def test_ragged_messages():
    with pytest.raises(RuntimeError, match="^each element in list of batch should be of equal "
                                           "size$"):
        ember.utils.data.default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match=r"^stack expects each tensor to be equal size, but got "
                                           r"\[3\] at entry 0 and \[4\] at entry 1$"):
        ember.utils.data.default_collate([ember.zeros(3), ember.zeros(4)])


def test_collate_fn_map_extends_collation():
    from ember.utils.data._utils.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    def collate_box(batch, *, collate_fn_map=None):
        return sum(b.v for b in batch)

    out = collate([(Box(1), 2), (Box(3), 4)], collate_fn_map={**default_collate_fn_map,
                                                              Box: collate_box})
    assert out[0] == 4 and out[1].tolist() == [2, 4]


def test_collate_keeps_grad_and_mixed_dtypes_go_through_stack():
    a = ember.ones(2, requires_grad=True)
    out = ember.utils.data.default_collate([a, ember.zeros(2)])
    assert out.requires_grad and out.shape == (2, 2)
    tr, er = both(lambda lib: lib.utils.data.default_collate([t(lib, [1, 2]), t(lib, [0.5, 1.0])]))
    assert er == tr


@pytest.mark.parametrize("batch", [
    lambda lib: [lib.from_numpy(np.arange(12.0).reshape(3, 4)[:, k:k + 2]) for k in range(3)],
    lambda lib: [lib.tensor([[1, 2]], dtype=lib.uint8), lib.tensor([[3, 4]], dtype=lib.uint8)],
    lambda lib: [lib.zeros(0, 2), lib.zeros(0, 2)],
    lambda lib: [lib.tensor([True]), lib.tensor([False])],
    lambda lib: [2 ** 62, -3], lambda lib: [0.25, 1e300],
    lambda lib: [lib.ones(2), lib.ones(2, dtype=lib.float64)],   # promoted, not cast down
])
def test_stacking_fast_paths_like_torch(batch):
    tr, er = both(lambda lib: lib.utils.data.default_collate(batch(lib)))
    assert er == tr
    items = [ember.ones(2, 3), ember.ones(2, 3)]
    out = ember.utils.data.default_collate(items)
    out.fill_(2.0)           # a new tensor, not a view of an item
    assert items[0].sum().item() == 6.0 and items[0]._version == 0


@pytest.mark.parametrize("batch", [
    lambda lib: [lib.zeros(3, 3), lib.zeros(2, 3), lib.zeros(4, 3)],  # 9 rows, as 3 x 3 would be
    lambda lib: [lib.zeros(2, 3), lib.zeros(2, 4)],
    lambda lib: [lib.zeros(2, 3), lib.zeros(3, 2)],
    lambda lib: [lib.zeros(6), lib.zeros(2, 3)],
    lambda lib: [2 ** 63, 1],
])
def test_stacking_fast_paths_errors_like_torch(batch):
    same_error(lambda lib: lib.utils.data.default_collate(batch(lib)))

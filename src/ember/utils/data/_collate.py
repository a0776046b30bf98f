"""Collation: turning a list of samples into a batch (:func:`default_collate`) and converting
NumPy arrays to tensors without batching (:func:`default_convert`), as
``torch.utils.data._utils.collate``. Extend it per type through :data:`default_collate_fn_map`."""
import collections
import copy
import operator
import re

import numpy as np

import ember
from ember._tensor import Tensor, wrap

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def default_convert(data):
    """Convert every NumPy array (and NumPy scalar) inside ``data`` to a tensor, keeping the
    structure (mappings, namedtuples, sequences; a tuple becomes a list, as in PyTorch).

    Args:
        data: one sample.

    Example::

        default_convert([np.array([0, 1]), 2])   # [tensor([0, 1]), 2]
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if (elem_type.__name__ == "ndarray"
                and np_str_obj_array_pattern.search(data.dtype.str) is not None):
            return data
        return ember.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:  # the mapping type cannot be built from a dict
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def _collate_each(elem, batch, collate_fn_map):
    """The mapping case: collate each key over the batch, keeping the mapping's type."""
    values = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
              for key in elem}
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples of one structure) into one batched structure.

    Args:
        batch: the samples.
        collate_fn_map: ``{type or tuple of types: fn(batch, *, collate_fn_map)}``; the exact type
            of the first sample is looked up first, then each key with ``isinstance`` in order.

    Example::

        def collate_tensor_fn(batch, *, collate_fn_map):
            return ember.stack(batch, 0)
        collate([ember.zeros(2), ember.ones(2)], collate_fn_map={ember.Tensor: collate_tensor_fn})
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _collate_each(elem, batch, collate_fn_map)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        if isinstance(elem, tuple):
            return columns  # a tuple becomes a list, as in PyTorch
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, c in enumerate(columns):
                    clone[i] = c
                return clone
            return elem_type(columns)
        except TypeError:
            return columns
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack tensors along a new first dimension."""
    r = _stack_plain(batch)
    return ember.stack(batch, 0) if r is None else r


_DATA, _RG = operator.attrgetter("_data"), operator.attrgetter("_rg")


def _stack_plain(batch):
    """The stack of plain CPU tensors of one shape and dtype that need no grad, or None.

    NOTE: the loader's hot path: the checks run in C (``map``), and one ``np.concatenate`` copies
    into the result (``np.stack`` makes a Python-level view of each item first, ~0.5 us apiece).
    ``concatenate`` itself checks the ndim and the trailing dims, ``casting="no"`` the dtype, and
    ``len`` the first dim, so a ragged batch cannot fill the result by accident."""
    if {*map(type, batch)} != {Tensor} or any(map(_RG, batch)):
        return None
    arrs = [*map(_DATA, batch)]
    first = arrs[0]
    if not first.ndim or {*map(type, arrs)} != {np.ndarray} or len({*map(len, arrs)}) != 1:
        return None
    out = np.empty((len(arrs),) + first.shape, first.dtype)
    try:
        np.concatenate(arrs, out=out.reshape((-1,) + first.shape[1:]), casting="no")
    except (ValueError, TypeError):
        return None  # ember.stack raises PyTorch's error, or promotes
    return wrap(out)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays become tensors, then stack (arrays of strings or objects cannot)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([ember.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return ember.as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    if {*map(type, batch)} == {float}:  # NOTE: per batch of labels: skip tensor()'s inference
        return wrap(np.array(batch, np.float64))
    return ember.tensor(batch, dtype=ember.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    if {*map(type, batch)} == {int}:
        try:
            return wrap(np.array(batch, np.int64))
        except OverflowError:
            pass  # tensor() raises PyTorch's error
    return ember.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {Tensor: collate_tensor_fn,
                          np.ndarray: collate_numpy_array_fn,
                          (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
                          float: collate_float_fn,
                          int: collate_int_fn,
                          str: collate_str_fn,
                          bytes: collate_str_fn}


def default_collate(batch):
    """Put a list of samples together into a batch with a new first dimension.

    Tensors, NumPy arrays and NumPy scalars are stacked (into a tensor), Python floats become a
    float64 tensor and ints an int64 tensor, strings and bytes stay a list; mappings, namedtuples
    and sequences are collated field by field (tuples become lists, as in PyTorch).

    Args:
        batch: the samples (all of the same structure).

    Example::

        default_collate([(0, 'a'), (1, 'b')])   # [tensor([0, 1]), ['a', 'b']]
        default_collate([{"x": 0.5}, {"x": 1.5}])   # {'x': tensor([0.5, 1.5], dtype=ember.float64)}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)

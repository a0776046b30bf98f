"""Variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``: the
:class:`PackedSequence` that every RNN module accepts, packing and padding.

A packed sequence stores the steps of a batch of sequences sorted by decreasing length, time step
after time step: step ``t`` holds the ``batch_sizes[t]`` sequences still running. Every function
here is differentiable in the sequence data (one gather each, so one autograd node).
"""
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ember._backend import xp_of
from ember._ops.creation import full
from ember._ops.join import cat
from ember._tensor import Tensor, wrap

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """Holds the data and the list of ``batch_sizes`` of a packed sequence; made by
    :func:`pack_padded_sequence` and :func:`pack_sequence`, accepted by every RNN module.

    Attributes:
        data (Tensor): the packed steps, ``(sum of lengths, *)``.
        batch_sizes (Tensor): int64 on the CPU, the number of sequences running at each step.
        sorted_indices (Tensor, optional): how the batch was sorted by decreasing length.
        unsorted_indices (Tensor, optional): its inverse, to restore the original order.

    Example::

        >>> packed = pack_sequence([ember.tensor([1, 2, 3]), ember.tensor([4, 5])])
        >>> packed.data, packed.batch_sizes
        (tensor([1, 4, 2, 5, 3]), tensor([2, 2, 1]))
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                                unsorted_indices))

    def pin_memory(self):
        return self

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` moved/cast as ``Tensor.to``; the indices follow its
        device, ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def call_to(t):
            return t.to(data.device)
        return type(self)(data, self.batch_sizes, bind(self.sorted_indices, call_to),
                          bind(self.unsorted_indices, call_to))

    def cuda(self, *args, **kwargs):
        return type(self)(self.data.cuda(*args, **kwargs), self.batch_sizes,
                          bind(self.sorted_indices, lambda t: t.cuda(*args, **kwargs)),
                          bind(self.unsorted_indices, lambda t: t.cuda(*args, **kwargs)))

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_dt("float64"))

    def float(self):
        return self.to(dtype=_dt("float32"))

    def half(self):
        return self.to(dtype=_dt("float16"))

    def long(self):
        return self.to(dtype=_dt("int64"))

    def int(self):
        return self.to(dtype=_dt("int32"))

    def short(self):
        return self.to(dtype=_dt("int16"))

    def char(self):
        return self.to(dtype=_dt("int8"))

    def byte(self):
        return self.to(dtype=_dt("uint8"))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _dt(name):
    from ember import _dtype
    return _dtype.as_dtype(name)


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                "created manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation):
    """The inverse of a permutation of ``0..n-1`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    out = xp_of(p).empty_like(p)
    out[p] = xp_of(p).arange(p.size, dtype=p.dtype)
    return wrap(out)


def _host_ints(t):
    """A list of Python ints from a Tensor, NumPy array or sequence (on the host)."""
    if isinstance(t, Tensor):
        t = t._data if type(t._data) is np.ndarray else t._data.get()
    return [int(v) for v in np.asarray(t).reshape(-1)]


def _gather(src, idx):
    """``src[idx]`` along dim 0 (one differentiable node); ``idx`` a NumPy int array."""
    return src.index_select(0, wrap(xp_of(src._data).asarray(idx)))


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of variable-length sequences.

    Args:
        input (Tensor): ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths (Tensor or list of int): the length of each sequence (on the CPU).
        batch_first (bool): whether ``input`` is batch-major. Default: ``False``.
        enforce_sorted (bool): require ``lengths`` in decreasing order; ``False`` sorts the batch
            and records the permutation. Default: ``True``.

    Returns:
        a :class:`PackedSequence`.

    Example::

        >>> x = ember.tensor([[1, 2, 0], [3, 0, 0]])
        >>> pack_padded_sequence(x, [2, 1], batch_first=True).data
        tensor([1, 3, 2])
    """
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.dim()}D cpu Long tensor")
    lens = np.asarray(_host_ints(lengths), np.int64)
    sorted_indices = None
    if not enforce_sorted:
        sorted_indices = np.argsort(-lens, kind="stable")
        lens = lens[sorted_indices]
    elif np.any(lens[1:] > lens[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
            "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
            "sidestep this requirement if you do not need ONNX exportability.")
    d = input._data
    T, B = (d.shape[1], d.shape[0]) if batch_first else d.shape[:2]
    if lens.size != B:
        raise RuntimeError("Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={B})")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if lens.size and lens.max() > T:
        raise RuntimeError(f"Length of a sample ({lens.max()}) is larger than the padded length "
                           f"({T})")
    steps = np.arange(int(lens[0]) if lens.size else 0)
    batch_sizes = (lens[None, :] > steps[:, None]).sum(1)
    cols = np.arange(B) if sorted_indices is None else sorted_indices
    t_idx = np.concatenate([np.full(b, t) for t, b in enumerate(batch_sizes)])
    b_idx = np.concatenate([cols[:b] for b in batch_sizes])
    flat = b_idx * T + t_idx if batch_first else t_idx * B + b_idx
    data = _gather(input.reshape((T * B,) + d.shape[2:]), flat)
    si = None
    if sorted_indices is not None:
        si = wrap(xp_of(d).asarray(sorted_indices.astype(np.int64)))
    return PackedSequence(data, wrap(batch_sizes.astype(np.int64)), si, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a :class:`PackedSequence` into a padded batch (the inverse of
    :func:`pack_padded_sequence`), in the batch's original order.

    Args:
        sequence (PackedSequence): the batch to pad.
        batch_first (bool): return ``(B, T, *)`` instead of ``(T, B, *)``. Default: ``False``.
        padding_value (float): the value of the padded elements. Default: 0.
        total_length (int, optional): pad to this length (at least the longest sequence).

    Returns:
        ``(padded, lengths)``: the padded batch and an int64 tensor of the sequences' lengths.

    Example::

        >>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
    """
    bs = _host_ints(sequence.batch_sizes)
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    data = sequence.data
    B = bs[0]
    lens = np.array([sum(1 for b in bs if b > j) for j in range(B)], np.int64)
    offs = np.concatenate([[0], np.cumsum(bs)])
    N = int(offs[-1])
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                   device=data.device)
    ext = cat([data, pad_row])
    cols = np.arange(B)
    if sequence.unsorted_indices is not None:
        cols = np.asarray(_host_ints(sequence.unsorted_indices))
    t = np.arange(T)[:, None]
    src = np.where(t < lens[cols][None, :], offs[np.minimum(t, len(bs))] + cols[None, :], N)
    if batch_first:
        src = src.T
    out = _gather(ext, src.reshape(-1)).reshape(src.shape + tuple(data.shape[1:]))
    return out, wrap(lens[cols])


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of different lengths ``(L_i, *)`` into one padded tensor.

    Args:
        sequences (list of Tensor): the sequences.
        batch_first (bool): return ``(B, max L, *)`` instead of ``(max L, B, *)``.
        padding_value (float): the value of the padded elements. Default: 0.
        padding_side (str): pad on the ``'right'`` (default) or on the ``'left'``.

    Example::

        >>> pad_sequence([ember.ones(2), ember.ones(3)], batch_first=True)
        tensor([[1., 1., 0.],
                [1., 1., 1.]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    first = sequences[0]
    rest = tuple(first.shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != rest:
            raise RuntimeError(f"The size of tensor a ({rest[-1] if rest else 0}) must match the "
                               f"size of tensor b ({s.shape[-1]}) at non-singleton dimension "
                               f"{len(rest)}")
    dt = first.dtype
    lens = np.array([s.shape[0] for s in sequences], np.int64)
    T = int(lens.max())
    starts = np.concatenate([[0], np.cumsum(lens)])
    pad_row = full((1,) + rest, padding_value, dtype=dt, device=first.device)
    ext = cat([s if s.dtype == dt else s.to(dt) for s in sequences] + [pad_row])
    t = np.arange(T)[:, None]
    shift = 0 if padding_side == "right" else (T - lens)[None, :]
    pos = t - shift
    src = np.where((pos >= 0) & (pos < lens[None, :]), starts[:-1][None, :] + pos, starts[-1])
    if batch_first:
        src = src.T
    return _gather(ext, src.reshape(-1)).reshape(src.shape + rest)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch (the inverse of :func:`pad_sequence`).

    NOTE: PyTorch transposes a time-major ``padded_sequences`` in place as a side effect; ember
    leaves its argument unchanged.

    Example::

        >>> unpad_sequence(pad_sequence(seqs), ember.tensor([len(s) for s in seqs]))
    """
    return [(padded_sequences[b, :n] if batch_first else padded_sequences[:n, b])
            for b, n in enumerate(_host_ints(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length sequences ``(L_i, *)``: ``pad_sequence`` then
    ``pack_padded_sequence``.

    Example::

        >>> pack_sequence([ember.tensor([1, 2, 3]), ember.tensor([4, 5]), ember.tensor([6])])
        PackedSequence(data=tensor([1, 4, 6, 2, 5, 3]), batch_sizes=tensor([3, 2, 1]), ...)
    """
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a :class:`PackedSequence` (the inverse of :func:`pack_sequence`)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

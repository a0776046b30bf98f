"""Lookup tables: ``Embedding`` and ``EmbeddingBag``."""
from ember._ops.creation import empty
from ember.autograd.grad_mode import no_grad
from ember.nn import init
from ember.nn._functional.sparse import embedding, embedding_bag
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Embedding", "EmbeddingBag"]


def _check_padding_idx(padding_idx, num_embeddings):
    """``padding_idx`` made non-negative, or PyTorch's AssertionError when it is out of range."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num_embeddings + padding_idx
    return padding_idx


class Embedding(Module):
    r"""A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    Args:
        num_embeddings: size of the dictionary of embeddings.
        embedding_dim: the size of each embedding vector.
        padding_idx: the entry at this index gets no gradient (and starts at zeros): a "pad"
            token. Negative values count from the end.
        max_norm: each looked-up vector with a norm larger than ``max_norm`` is renormalised to
            norm ``max_norm``, in place in ``weight``.
        norm_type: the p of the p-norm for ``max_norm``. Default: 2.
        scale_grad_by_freq: scale gradients by the inverse frequency of the words in the
            mini-batch. Default: ``False``.
        sparse: accepted for compatibility; ember's gradient of ``weight`` is always dense.
        _weight, _freeze: an initial table (used by :meth:`from_pretrained`) and whether it is
            frozen.
        device, dtype: where and in which dtype to create the table.

    Shape:
        - Input: :math:`(*)`, an ``int64`` or ``int32`` tensor of any shape.
        - Output: :math:`(*, H)`, where :math:`H = \text{embedding\_dim}`.

    Attributes:
        weight: :math:`(\text{num\_embeddings}, \text{embedding\_dim})`, initialised from
            :math:`\mathcal{N}(0, 1)` (the ``padding_idx`` row zero).

    Example::

        emb = nn.Embedding(10, 3, padding_idx=0)
        emb(ember.tensor([[0, 2, 0, 5]])).shape    # ember.Size([1, 4, 3])
    """

    __constants__ = ["num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                     "scale_grad_by_freq", "sparse"]

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _check_padding_idx(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), **factory_kwargs),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self):
        """Re-draw the table from N(0, 1), with the ``padding_idx`` row zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = "{num_embeddings}, {embedding_dim}"
        if self.padding_idx is not None:
            s += ", padding_idx={padding_idx}"
        if self.max_norm is not None:
            s += ", max_norm={max_norm}"
        if self.norm_type != 2:
            s += ", norm_type={norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq={scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s.format(**self.__dict__)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An ``Embedding`` whose table is ``embeddings`` (shared, not copied).

        Args:
            embeddings: a 2-D tensor, ``(num_embeddings, embedding_dim)``.
            freeze: if ``True`` (default) the table is not trained (``requires_grad=False``).
            padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse: as in the constructor.

        Example::

            emb = nn.Embedding.from_pretrained(ember.tensor([[1., 2.3, 3.], [4., 5.1, 6.3]]))
            emb(ember.tensor([1]))    # tensor([[4.0000, 5.1000, 6.3000]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    r"""Sums, averages or takes the maximum of "bags" of embeddings, without instantiating the
    intermediate embeddings (see :func:`~ember.nn.functional.embedding_bag`).

    Args:
        num_embeddings, embedding_dim: the table's size.
        max_norm, norm_type, scale_grad_by_freq, sparse: as in :class:`Embedding`.
        mode: ``'sum'``, ``'mean'`` (default) or ``'max'``: how a bag is reduced.
        _weight: an initial table (used by :meth:`from_pretrained`).
        include_last_offset: ``offsets`` has one more entry, the end of the last bag.
        padding_idx: entries with this index are left out of their bag; its row starts at zero
            and gets no gradient.
        device, dtype: where and in which dtype to create the table.

    Shape:
        - Input: ``(B, N)`` (B bags of N indices), or 1-D with ``offsets`` (B,) where bags start.
        - Output: :math:`(B, \text{embedding\_dim})`.

    Example::

        bag = nn.EmbeddingBag(10, 3, mode='sum')
        bag(ember.tensor([1, 2, 4, 5, 4, 3, 2, 9]), ember.tensor([0, 4])).shape   # (2, 3)
    """

    __constants__ = ["num_embeddings", "embedding_dim", "max_norm", "norm_type",
                     "scale_grad_by_freq", "mode", "sparse", "include_last_offset", "padding_idx"]

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), **factory_kwargs))
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    reset_parameters = Embedding.reset_parameters
    _fill_padding_idx_with_zero = Embedding._fill_padding_idx_with_zero

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
                             self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = "{num_embeddings}, {embedding_dim}"
        if self.max_norm is not None:
            s += ", max_norm={max_norm}"
        if self.norm_type != 2:
            s += ", norm_type={norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq={scale_grad_by_freq}"
        s += ", mode={mode}"
        if self.padding_idx is not None:
            s += ", padding_idx={padding_idx}"
        return s.format(**{k: repr(v) for k, v in self.__dict__.items()})

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An ``EmbeddingBag`` whose table is ``embeddings`` (shared, not copied); ``freeze``
        (default ``True``) turns its gradient off. Other arguments as in the constructor.

        Example::

            bag = nn.EmbeddingBag.from_pretrained(ember.tensor([[1., 2.3, 3.], [4., 5.1, 6.3]]))
            bag(ember.tensor([[1, 0]]))    # tensor([[2.5000, 3.7000, 4.6500]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, max_norm=max_norm,
                  norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, mode=mode,
                  sparse=sparse, include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

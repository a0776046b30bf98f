"""``F.embedding``: a lookup table as one primitive.

The forward is a row gather (``take``); the backward scatters the output gradient back into a
zero table, repeated indices accumulating. On NumPy the scatter is ``np.add.at`` on the *flattened*
table with one index per element: NumPy's fast path for 1-D ``ufunc.at`` makes that several times
quicker than ``np.add.at`` on rows.
"""
from ember._backend import xp_of
from ember._tensor import Tensor, track, wrap
from ember.autograd.grad_mode import STATE, no_grad
from ember.autograd.graph import Node

__all__ = ["embedding"]


def _scatter_rows(table, idx, rows):
    """``table[idx] += rows`` with repeated indices accumulating (``idx`` 1-D, ``rows`` 2-D)."""
    xp = xp_of(table)
    if xp.__name__ == "numpy":
        d = table.shape[1]
        flat = (idx[:, None] * d + xp.arange(d)).ravel()
        xp.add.at(table.reshape(-1), flat, rows.reshape(-1))
    else:
        import cupyx
        cupyx.scatter_add(table, idx, rows)


class EmbeddingBackward0(Node):
    """``padding_idx`` (or -1): the row whose gradient stays zero; ``scale``: whether each index's
    gradient is divided by its count in the batch (``scale_grad_by_freq``)."""

    def backward(self, g):
        (idx_t,) = self.saved_tensors
        n, d = self.w_shape
        idx = idx_t._data.reshape(-1)
        if STATE.enabled:
            return None, self._recorded(g, idx_t, n, d)
        xp = xp_of(g._data)
        rows = g._data.reshape(-1, d)
        if self.scale:
            counts = xp.bincount(idx, minlength=n)
            rows = rows / counts[idx][:, None].astype(rows.dtype)
        gw = xp.zeros((n, d), g._data.dtype)
        _scatter_rows(gw, idx, rows)
        if self.padding_idx >= 0:
            gw[self.padding_idx] = 0
        return None, wrap(gw)

    def _recorded(self, g, idx_t, n, d):
        # the same scatter with Tensor ops, so that create_graph records it
        from ember._ops.creation import zeros
        idx = idx_t.reshape(-1)
        rows = g.reshape(-1, d)
        xp = xp_of(g._data)
        if self.scale:
            counts = xp.bincount(idx._data, minlength=n)
            rows = rows / wrap(counts[idx._data][:, None].astype(g._data.dtype))
        if self.padding_idx >= 0:
            rows = rows * wrap((idx._data != self.padding_idx)[:, None].astype(g._data.dtype))
        return zeros((n, d), dtype=g.dtype, device=g.device).index_add(0, idx, rows)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    r"""Look up rows of ``weight``: ``weight[input]``.

    Args:
        input: integer tensor (``int64`` or ``int32``) of indices into the rows of ``weight``.
        weight: :math:`(V, D)` table, one row per index.
        padding_idx: a row that gets no gradient (negative counts from the end).
        max_norm: rows looked up whose ``norm_type``-norm exceeds ``max_norm`` are scaled down
            to it, **in place** in ``weight`` (without recording autograd), before the lookup.
        norm_type: the p of the norm for ``max_norm``. Default: 2.
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in
            ``input``.
        sparse: accepted for compatibility: ember has no sparse tensors, the gradient of
            ``weight`` is dense.

    Shape:
        - Input: :math:`(*)`, any shape; Output: :math:`(*, D)`.

    Example::

        w = ember.randn(10, 3)
        F.embedding(ember.tensor([[1, 2, 4, 5], [4, 3, 2, 9]]), w).shape   # ember.Size([2, 4, 3])
    """
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        bad, name, pos = (input, "input", 1) if not isinstance(input, Tensor) else (weight,
                                                                                     "weight", 2)
        raise TypeError(f"embedding(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(bad).__name__}")
    n = weight._data.shape[0] if weight._data.ndim else 0
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    idx = _indices(input, weight)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    wd = weight._data
    r = wd.take(idx, axis=0)
    if STATE.enabled and weight._rg:
        node = EmbeddingBackward0()
        node.save_for_backward(input)
        node.w_shape, node.padding_idx, node.scale = wd.shape, padding_idx, bool(scale_grad_by_freq)
        return track(r, node, (None, weight))
    return wrap(r)


def _indices(input, weight):
    """The index array, checked like PyTorch: integer dtype, 2-D weight, every index in range."""
    idx = input._data
    if idx.dtype.name not in ("int64", "int32"):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.type()} instead (while "
                           "checking arguments for embedding)")
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= weight._data.shape[0]):
        raise IndexError("index out of range in self")
    return idx


def _renorm_(weight, idx, max_norm, norm_type):
    """PyTorch's ``embedding_renorm_``: rows of ``weight`` named in ``idx`` whose norm exceeds
    ``max_norm`` are scaled to ``max_norm / (norm + 1e-7)`` of themselves, in place."""
    wd = weight._data
    xp = xp_of(wd)
    rows = xp.unique(idx.reshape(-1))
    with no_grad():
        sub = wd[rows]
        norms = xp.linalg.norm(sub, ord=norm_type, axis=1)
        over = norms > max_norm
        if bool(over.any()):
            scale = (max_norm / (norms[over] + 1e-7)).astype(wd.dtype)
            wd[rows[over]] = sub[over] * scale[:, None]
            weight._vc[0] += 1  # an in-place write: a saved copy of weight is now stale

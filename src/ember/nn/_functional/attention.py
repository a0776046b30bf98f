"""``F.scaled_dot_product_attention``: ``softmax(q k^T * scale + mask) v``, composed of Tensor ops
as PyTorch's reference implementation (so gradients, including second ones, come for free)."""
import math

from ember._ops.compare import isnan, where
from ember._ops.counting import repeat_interleave
from ember._ops.creation import ones
from ember._ops.softmax import softmax
from ember._tensor import Tensor

__all__ = ["scaled_dot_product_attention"]

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """Attention of ``query`` over ``key``/``value``: ``softmax(query @ key^T * scale + mask)
    @ value``.

    Args:
        query (Tensor): ``(..., L, E)``.
        key, value (Tensor): ``(..., S, E)`` and ``(..., S, Ev)``.
        attn_mask (Tensor, optional): boolean (True: may attend) or added to the scores;
            broadcast to ``(..., L, S)``.
        dropout_p (float): dropout on the attention weights.
        is_causal (bool): position ``i`` attends to positions ``<= i`` only.
        scale (float, optional): default ``1 / sqrt(E)``.
        enable_gqa (bool): grouped-query attention: ``key``/``value`` heads (dim -3) are shared
            by groups of ``query`` heads.

    Returns:
        ``(..., L, Ev)``. A row that may attend to nothing gives zeros, as PyTorch's CPU kernel.

    Example::

        >>> q = k = v = ember.randn(2, 4, 5, 8)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        ember.Size([2, 4, 5, 8])
    """
    if not query.dtype == key.dtype == value.dtype:
        n = [_C_NAMES.get(t.dtype.name, t.dtype.name) for t in (query, key, value)]
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {n[0]} key.dtype: {n[1]} and value.dtype: {n[2]} "
                           "instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa and query.dim() >= 3:
        key = repeat_interleave(key, query.shape[-3] // key.shape[-3], -3)
        value = repeat_interleave(value, query.shape[-3] // value.shape[-3], -3)
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal:
        causal = ones(L, S, dtype=bool, device=query.device).tril()
        scores = scores.masked_fill(causal.logical_not(), -math.inf)
    if isinstance(attn_mask, Tensor):
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if attn_mask is not None or is_causal:  # rows with nothing to attend to: zeros, not NaN
        weights = where(isnan(weights), 0.0, weights)
    if dropout_p > 0.0:
        from ember.nn._functional.dropout import dropout
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)

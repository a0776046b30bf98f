"""``F.scaled_dot_product_attention``: ``softmax(q k^T * scale + mask) v``, composed of Tensor ops
as PyTorch's reference implementation (so gradients, including second ones, come for free)."""
import math

from ember._ops.compare import where
from ember._ops.counting import repeat_interleave
from ember._ops.creation import ones
from ember._ops.softmax import softmax
from ember._tensor import Tensor, wrap

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "int64": "long int", "int32": "int"}


def _c_name(t):
    return _C_NAMES.get(t.dtype.name, t.dtype.name)


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
        n = [_c_name(t) for t in (query, key, value)]
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {n[0]} key.dtype: {n[1]} and value.dtype: {n[2]} "
                           "instead.")
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but "
                           f"got query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: "
                           f"{value.dim()} instead.")
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
        if attn_mask.dtype.name != "bool" and not attn_mask.dtype.is_floating_point \
                and attn_mask.dtype != query.dtype:
            raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                               f"dtype, but got attn_mask.dtype: {_c_name(attn_mask)} and  "
                               f"query.dtype: {_c_name(query)} instead.")
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    dead = None
    if attn_mask is not None or is_causal:
        # rows with nothing to attend to give zeros, as PyTorch's CPU kernel: a constant before
        # the softmax and 0 after it, so that no NaN reaches the forward or the backward
        dead = wrap((scores._data == -math.inf).all(-1, keepdims=True))
        if dead._data.any():
            scores = where(dead, 0.0, scores)
        else:
            dead = None
    weights = softmax(scores, -1)
    if dead is not None:
        weights = where(dead, 0.0, weights)
    if dropout_p > 0.0:
        from ember.nn._functional.dropout import dropout
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _canonical_mask(mask, name, dtype):
    """A boolean mask (True: masked out) as an additive float mask of ``dtype``; float masks
    pass as they are (PyTorch's ``_canonical_mask``)."""
    if mask is None:
        return None
    if mask.dtype.name != "bool" and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if mask.dtype.is_floating_point:
        return mask
    from ember._ops.creation import zeros_like
    return zeros_like(mask, dtype=dtype).masked_fill_(mask, -math.inf)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The computation of ``nn.MultiheadAttention`` (sequence-first ``(L, N, E)`` inputs, or
    unbatched ``(L, E)``), as PyTorch's function of the same name. Returns ``(output, weights)``
    (``weights`` None unless ``need_weights``). In boolean masks True means *masked out*."""
    from ember._ops.join import cat
    from ember._ops.creation import zeros
    from ember.nn._functional.dropout import dropout
    from ember.nn._functional.linear import linear
    from ember.nn._functional.pad import pad
    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone: SDPA masks causally (the mask gets no gradient)
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {E}")
    hd = E // num_heads
    if hd * num_heads != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    wq, wk, wv = ((q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight
                  else in_proj_weight.chunk(3))
    bq, bk, bv = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    S = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (L, S):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(L, S)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (N * num_heads, L, S):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(N * num_heads, L, S)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key.")
        k = cat([k, bias_k.repeat(1, N, 1)])
        v = cat([v, bias_v.repeat(1, N, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    q = q.reshape(L, N * num_heads, hd).transpose(0, 1)
    k, v = (s if s is not None else t.reshape(t.shape[0], N * num_heads, hd).transpose(0, 1)
            for s, t in ((static_k, k), (static_v, v)))
    for s, name in ((static_k, "static_k"), (static_v, "static_v")):
        if s is not None and (s.shape[0] != N * num_heads or s.shape[2] != hd):
            raise AssertionError(f"expecting {name} of shape ({N * num_heads}, *, {hd}), but got "
                                 f"{tuple(s.shape)}")
    if add_zero_attn:
        zero = zeros((N * num_heads, 1, hd), dtype=k.dtype, device=k.device)
        k, v = cat([k, zero], 1), cat([v, zero], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    S = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (N, S):
            raise AssertionError(f"expecting key_padding_mask shape of {(N, S)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.view(N, 1, 1, S).expand(-1, num_heads, -1, -1).reshape(
            N * num_heads, 1, S)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / float(hd))).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        out = weights.matmul(v).transpose(0, 1).reshape(L * N, E)
        out = linear(out, out_proj_weight, out_proj_bias).view(L, N, E)
        weights = weights.view(N, num_heads, L, S)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.view(N, num_heads, -1, S))
    out = scaled_dot_product_attention(q.view(N, num_heads, L, hd), k.view(N, num_heads, S, hd),
                                       v.view(N, num_heads, S, hd), attn_mask, dropout_p,
                                       is_causal=is_causal and attn_mask is None)
    out = out.permute(2, 0, 1, 3).reshape(N * L, E)
    out = linear(out, out_proj_weight, out_proj_bias).view(L, N, E)
    return (out if batched else out.squeeze(1)), None

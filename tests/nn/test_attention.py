"""F.scaled_dot_product_attention against torch: shapes, boolean and additive masks, causal
attention, scale, grouped-query attention, rows with nothing to attend to, gradients, errors."""
import numpy as np
import pytest

import ember
from helpers import check_raises, compare, rand

SDPA = "scaled_dot_product_attention"


def sdpa(**kw):
    return lambda lib, q, k, v, *m: getattr(lib.nn.functional, SDPA)(
        q, k, v, *(m and (m[0],)), **kw)


@pytest.mark.parametrize("shapes", [((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)),
                                    ((4, 8), (5, 8), (5, 6)), ((2, 3, 4, 8), (2, 1, 5, 8),
                                                               (2, 1, 5, 6))])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_plain_attention(shapes, scale):
    q, k, v = (rand(*s) for s in shapes)
    compare(sdpa(scale=scale), q, k, v)
    compare(sdpa(scale=scale), *(x.astype(np.float64) for x in (q, k, v)))


def test_masks_and_causal():
    q, k, v = rand(2, 3, 4, 8), rand(2, 3, 5, 8), rand(2, 3, 5, 6)
    keep = np.random.default_rng(0).random((4, 5)) > 0.3
    keep[1] = False  # a row that may attend to nothing: zeros
    compare(sdpa(), q, k, v, keep)
    compare(sdpa(), q, k, v, rand(3, 4, 5))  # additive, broadcast over the batch
    compare(sdpa(is_causal=True), q, rand(2, 3, 4, 8), rand(2, 3, 4, 6))
    compare(sdpa(is_causal=True), q, k, v)  # L < S: the top-left triangle


def test_grouped_query_attention_and_dropout():
    compare(sdpa(enable_gqa=True), rand(2, 4, 3, 8), rand(2, 2, 5, 8), rand(2, 2, 5, 6))
    compare(sdpa(dropout_p=1.0), rand(2, 3, 8), rand(2, 5, 8), rand(2, 5, 6))  # all dropped


def test_errors():
    q = rand(2, 4, 8)
    check_raises(sdpa(is_causal=True), q, q, q, np.ones((4, 4), bool), match="is_causal=True")
    check_raises(sdpa(), q, q, q.astype(np.float64), match="same dtype")


# ---- nn.MultiheadAttention ------------------------------------------------------------------
def mha(state, kw, **call):
    """``fn(lib, q, k, v, *masks)`` running the same MultiheadAttention (torch's initial state)
    in either library."""
    def fn(lib, q, k, v, *masks):
        m = lib.nn.MultiheadAttention(8, 2, **kw)
        m.load_state_dict({n: lib.tensor(a) for n, a in state.items()})
        names = [n for n in ("attn_mask", "key_padding_mask") if n in call]
        return m(q, k, v, **{n: x for n, x in zip(names, masks)},
                 **{n: c for n, c in call.items() if n not in names})
    return fn


def torch_state(kw):
    import torch
    torch.manual_seed(0)
    m = torch.nn.MultiheadAttention(8, 2, **kw)
    return {n: t.detach().numpy().copy() for n, t in m.state_dict().items()}


CONFIGS = [dict(), dict(bias=False), dict(kdim=4, vdim=6), dict(add_bias_kv=True),
           dict(add_zero_attn=True), dict(batch_first=True)]


@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention(kw, need_weights):
    state = torch_state(kw)
    bf = kw.get("batch_first", False)
    shape = (lambda n, s, e: (n, s, e)) if bf else (lambda n, s, e: (s, n, e))
    q, k, v = rand(*shape(2, 5, 8)), rand(*shape(2, 3, kw.get("kdim", 8))), rand(
        *shape(2, 3, kw.get("vdim", 8)))
    compare(mha(state, kw, need_weights=need_weights), q, k, v)
    compare(mha(state, kw, need_weights=need_weights, average_attn_weights=False), q, k, v)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_masks(need_weights):
    state = torch_state({})
    q, k, v = rand(5, 2, 8), rand(3, 2, 8), rand(3, 2, 8)
    rng = np.random.default_rng(1)
    bool2d = rng.random((5, 3)) > 0.7
    pad = np.array([[False, False, True], [False, True, True]])
    call = dict(need_weights=need_weights)
    compare(mha(state, {}, attn_mask=None, **call), q, k, v, bool2d)
    compare(mha(state, {}, attn_mask=None, **call), q, k, v, rand(4, 5, 3))  # (N*H, L, S)
    compare(mha(state, {}, key_padding_mask=None, **call), q, k, v, pad)
    compare(mha(state, {}, attn_mask=None, key_padding_mask=None, **call), q, k, v,
            rand(5, 3), pad.astype(np.float32) * -1e4)
    causal = np.triu(np.ones((5, 5), bool), 1)  # True: masked out
    compare(mha(state, {}, attn_mask=None, is_causal=True, **call), q, q, q, causal)
    compare(mha(state, {}, **call), rand(5, 8), rand(3, 8), rand(3, 8))  # unbatched


def test_multihead_attention_module_and_errors():
    import torch
    for kw in CONFIGS:
        e, t = ember.nn.MultiheadAttention(8, 2, **kw), torch.nn.MultiheadAttention(8, 2, **kw)
        assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
        for n, p in t.named_parameters():
            assert tuple(dict(e.named_parameters())[n].shape) == tuple(p.shape)
    with pytest.raises(AssertionError, match="divisible"):
        ember.nn.MultiheadAttention(8, 3)
    m = ember.nn.MultiheadAttention(8, 2)
    x = ember.randn(5, 2, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask"):
        m(x, x, x, attn_mask=ember.zeros(4, 4))


def test_rows_masked_whole_by_a_float_mask_have_finite_gradients():
    """A row that may attend to nothing gives zeros and zero gradients (a NaN there would spread
    into every gradient); a NaN in the inputs still propagates, as in torch."""
    m = np.zeros((4, 4), np.float32)
    m[0] = -np.inf
    compare(sdpa(), rand(4, 8), rand(4, 8), rand(4, 6), m)
    q = rand(4, 8)
    q[2, 0] = np.nan
    compare(sdpa(), q, rand(4, 8), rand(4, 6), np.ones((4, 4), bool), grad=False)


def test_padded_causal_attention_through_multihead_attention():
    state = torch_state({})
    pad = np.array([[False] * 4, [True, True, False, False]])  # left-padded
    causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    compare(mha(state, {}, attn_mask=None, key_padding_mask=None, need_weights=False),
            rand(4, 2, 8), rand(4, 2, 8), rand(4, 2, 8), causal, pad)


def test_mask_dtype_and_static_keys():
    q = rand(2, 4, 8)
    check_raises(sdpa(), q, q, q, np.ones((4, 4), np.int64), match="Expected attn_mask dtype")

    def with_static(lib, x, sk, sv):
        import torch
        torch.manual_seed(0)
        state = {n: t.detach().numpy() for n, t in
                 torch.nn.MultiheadAttention(8, 2).state_dict().items()}
        w = {n: lib.tensor(a) for n, a in state.items()}
        return lib.nn.functional.multi_head_attention_forward(
            x, x, x, 8, 2, w["in_proj_weight"], w["in_proj_bias"], None, None, False, 0.0,
            w["out_proj.weight"], w["out_proj.bias"], static_k=sk, static_v=sv)
    compare(with_static, rand(3, 2, 8), rand(4, 5, 4), rand(4, 5, 4))


@pytest.mark.parametrize("shapes", [((3,), (3,), (3,)), ((2, 3), (3,), (2, 3))])
def test_sdpa_refuses_one_dimensional_inputs(shapes):
    check_raises(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v),
                 *(rand(*s) for s in shapes), match="at least 2 dimensional")

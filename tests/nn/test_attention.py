"""F.scaled_dot_product_attention against torch: shapes, boolean and additive masks, causal
attention, scale, grouped-query attention, rows with nothing to attend to, gradients, errors."""
import numpy as np
import pytest

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

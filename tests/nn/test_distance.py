"""nn.PairwiseDistance, nn.CosineSimilarity and F.pairwise_distance against torch."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_raises, compare, rand


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((5,), (5,)), ((3, 4), (4,))])
def test_pairwise_distance(p, keepdim, shapes):
    a, b = rand(*shapes[0]), rand(*shapes[1])
    compare(lambda lib, x, y: lib.nn.functional.pairwise_distance(x, y, p, keepdim=keepdim), a, b)
    compare(lambda lib, x, y: lib.nn.PairwiseDistance(p=p, eps=1e-3, keepdim=keepdim)(x, y), a, b)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_module(dim):
    compare(lambda lib, x, y: lib.nn.CosineSimilarity(dim=dim, eps=1e-6)(x, y), rand(3, 4),
            rand(3, 4, dtype=np.float32))
    assert repr(ember.nn.CosineSimilarity(dim)) == repr(torch.nn.CosineSimilarity(dim))
    assert repr(ember.nn.PairwiseDistance(keepdim=True)) == repr(
        torch.nn.PairwiseDistance(keepdim=True))


def test_cosine_similarity_refuses_negative_eps():
    check_raises(lambda lib, a: lib.nn.functional.cosine_similarity(a, a, eps=-1.0),
                 rand(2, 3), match="eps must be non-negative, got: -1")

"""Most autograd tests run twice, once on real PyTorch and once on ember (the ``lib`` fixture):
the same assertions must hold for both, which checks the test against the reference too."""
import pytest
import torch

import ember


@pytest.fixture(params=["torch", "ember"])
def lib(request):
    return torch if request.param == "torch" else ember


def values(t):
    """A tensor of either library as a nested list (no grad tracking)."""
    return t.detach().tolist()

"""The same small module trees built with torch and with ember, for side-by-side tests."""
from collections import OrderedDict

import numpy as np
import torch

import ember
import ember.nn  # noqa: F401  (until ember/__init__ imports nn)


def values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def make_classes(lib):
    nn = lib.nn

    class Leaf(nn.Module):
        """A hand-made affine layer with a persistent and a non-persistent buffer."""

        def __init__(self, n_out, n_in, seed):
            super().__init__()
            self.weight = nn.Parameter(lib.tensor(values((n_out, n_in), seed)))
            self.bias = nn.Parameter(lib.tensor(values((n_out,), seed + 100)))
            self.register_buffer("count", lib.zeros((), dtype=lib.int64))
            self.register_buffer("scratch", lib.zeros(n_out), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in={self.weight.shape[1]}, out={self.weight.shape[0]}"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(OrderedDict([("flat", nn.Flatten()), ("fc", Leaf(4, 6, 0))]))
            shared = Leaf(4, 4, 1)
            self.blocks = nn.ModuleList([shared, Leaf(4, 4, 2), shared])
            self.heads = nn.ModuleDict({"b": Leaf(2, 4, 3), "a": nn.Identity()})
            self.scale = nn.Parameter(lib.ones(1))
            self.register_parameter("absent", None)
            self.register_buffer("none_buf", None)
            self.register_buffer("stats", lib.tensor(values((3,), 7)))
            self.tied = self.blocks[1].bias  # the same Parameter under a second name

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x).tanh()
            return self.heads["b"](self.heads["a"](x)) * self.scale

    return Leaf, Net


T_LEAF, T_NET = make_classes(torch)
E_LEAF, E_NET = make_classes(ember)


def nets():
    return T_NET(), E_NET()


def build(lib):
    return T_NET() if lib is torch else E_NET()


def same_repr(e, t):
    assert str(e) == str(t).replace("torch.", "ember.")


def assert_same_tensor(e, t, rtol=1e-6, atol=1e-6):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)

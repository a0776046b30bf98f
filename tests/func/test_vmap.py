"""vmap against torch.vmap: in_dims/out_dims, pytrees, nesting, randomness and errors."""
import pytest

import ember
from helpers import rand

from ._oracle import check, check_raises


def test_vmap_in_dims_out_dims():
    check(lambda lib, x, y: lib.vmap(lib.dot)(x, y), rand(4, 3), rand(4, 3))
    check(lambda lib, x, y: lib.vmap(lambda a, b: a * b, in_dims=(1, None))(x, y),
          rand(3, 4), rand(3))
    check(lambda lib, x: lib.vmap(lambda a: a.sum(0), in_dims=-1, out_dims=0)(x), rand(2, 3, 5))
    check(lambda lib, x: lib.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(x), rand(4, 2))
    check(lambda lib, x: lib.vmap(lambda a: a.t(), out_dims=-1)(x), rand(4, 2, 3))
    check(lambda lib, x: lib.vmap(lambda a: (a, lib.ones(2)), out_dims=(0, None))(x), rand(3))
    check(lambda lib, x, y: lib.vmap(lambda a, b, scale=1.0: a @ b * scale,
                                     in_dims=(0, None))(x, y, scale=3.0), rand(5, 2), rand(2, 4))


def test_vmap_pytrees():
    check(lambda lib, d: lib.vmap(lambda p: {"s": p["a"] + p["b"], "t": (p["a"],)},
                                  in_dims=({"a": 0, "b": None},))(d),
          {"a": rand(2, 3), "b": rand(3)})
    check(lambda lib, xs: lib.vmap(lambda t: t[0] * t[1][0])(xs), (rand(3, 2), [rand(3, 2)]))


def test_vmap_nested_and_empty_batch():
    check(lambda lib, x, y: lib.vmap(lib.vmap(lib.dot, in_dims=(0, None)),
                                     in_dims=(None, 0))(x, y), rand(3, 4), rand(5, 4))
    check(lambda lib, x: lib.vmap(lambda a: a * 2)(x), rand(0, 2))


def test_vmap_gradients_flow_to_inputs():
    def fn(lib, x, w):
        out = lib.vmap(lambda a: (a * w).sin().sum())(x)
        out.sum().backward()
        return out, x.grad, w.grad
    check(fn, rand(4, 3), rand(3), requires_grad=True)


def test_vmap_randomness():
    check_raises(lambda lib, x: lib.vmap(lambda a: a + lib.rand(()))(x), rand(3))
    check_raises(lambda lib, x: lib.vmap(lambda a: a, randomness="foo")(x), rand(3))
    x = ember.zeros(4)
    same = ember.vmap(lambda a: a + ember.rand(()), randomness="same")(x)
    assert len(set(same.tolist())) == 1
    different = ember.vmap(lambda a: a + ember.rand(()), randomness="different")(x)
    assert len(set(different.tolist())) == 4


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.vmap(lambda a, b: a + b)(x, x[:2]),                # batch sizes differ
    lambda lib, x: lib.vmap(lambda a: a, in_dims=None)(x),
    lambda lib, x: lib.vmap(lambda a: a, in_dims=(None,))(x),             # nothing mapped
    lambda lib, x: lib.vmap(lambda a: a, in_dims=(0, 0))(x),              # structure
    lambda lib, x: lib.vmap(lambda a: a, in_dims=1)(x),                   # dim out of range
    lambda lib, x: lib.vmap(lambda a, b: a, in_dims=(0, 0))(x, 3.0),      # mapped non-Tensor
    lambda lib, x: lib.vmap(lambda a: 3)(x),                              # non-Tensor output
    lambda lib, x: lib.vmap(lambda a: a, out_dims=2)(x),                  # out_dim range
    lambda lib, x: lib.vmap(lambda a: a, out_dims=(0, 1))(x),
    lambda lib, x: lib.vmap(lambda a: a, out_dims=None)(x),               # batched, None
    lambda lib, x: lib.vmap(lambda a: a, chunk_size=0)(x),
    lambda lib, x: lib.vmap(lambda a: a, in_dims=1.0)(x),
    lambda lib, x: lib.vmap(lambda: x)(),
])
def test_vmap_errors(case):
    check_raises(case, rand(3))


def test_vmap_is_lazy_and_aliased():
    import subprocess
    import sys
    code = ("import sys, ember; assert 'ember.func' not in sys.modules; "
            "assert ember.vmap is ember.func.vmap")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_vmap_out_dims_none_and_pytrees():
    # out_dims=None for outputs that do not depend on the mapped inputs; dict out_dims; a
    # 1-tuple for a single Tensor output
    check(lambda lib, x: lib.vmap(lambda a: lib.ones(2), out_dims=None)(x), rand(3, 2))
    check(lambda lib, x: lib.vmap(lambda a: (lib.ones(2), lib.zeros(3)), out_dims=None)(x),
          rand(3, 2))
    check(lambda lib, x: lib.vmap(lambda a: {"k": a * 2}, out_dims={"k": 1})(x), rand(3, 2))
    check(lambda lib, x: lib.vmap(lambda a: a * 2, out_dims=(1,))(x), rand(3, 2))
    check_raises(lambda lib, x: lib.vmap(lambda a: a, out_dims=[1])(x), rand(3, 2),
                 match="out_dims is not compatible")
    for bad in ("x", 1.5, (0, "x")):
        check_raises(lambda lib, x: lib.vmap(lambda a: (a, a), out_dims=bad)(x), rand(3, 2),
                     match="`out_dims` must be an int, None or a python collection of ints")
    # out_dims is checked before the inputs
    check_raises(lambda lib: lib.vmap(lambda: 1, out_dims="x")(),
                 match="`out_dims` must be an int")

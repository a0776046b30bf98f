"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian against torch.func."""
import numpy as np
import pytest
import torch

import ember
from helpers import rand

from ._oracle import check, check_raises


def f2(lib, x, y):
    return (lib.sin(x) * y + x ** 2).sum()


def vec(lib, x):
    return lib.tanh(x) * x.sum()


# ---- grad ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1,)])
def test_grad_argnums(argnums):
    check(lambda lib, x, y: lib.func.grad(lambda a, b: f2(lib, a, b), argnums)(x, y),
          rand(3, 2), rand(3, 2))


def test_grad_and_value_float64():
    check(lambda lib, x, y: lib.func.grad_and_value(lambda a, b: f2(lib, a, b), (0, 1))(x, y),
          rand(4, dtype=np.float64), rand(4, dtype=np.float64))


def test_grad_has_aux_and_kwargs():
    def fn(lib, x, s):
        def loss(a, scale=1.0):
            out = (a ** 3).sum() * scale
            return out, {"out": out, "sq": a ** 2}
        return lib.func.grad(loss, has_aux=True)(x, scale=s)
    check(fn, rand(5), 2.0)
    check(lambda lib, x: lib.func.grad_and_value(
        lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(x), rand(3))


def test_grad_pytree_inputs():
    def fn(lib, p, x):
        def loss(params, x):
            return (lib.tanh(x @ params["w"] + params["b"][0]) ** 2).sum() + params["b"][1].sum()
        return lib.func.grad(loss)(p, x)
    check(fn, {"w": rand(3, 2), "b": (rand(2), rand(1))}, rand(4, 3))


def test_grad_unused_input_is_zero():
    check(lambda lib, x, y: lib.func.grad(lambda a, b: (b * 2).sum(), argnums=(0, 1))(x, y),
          rand(3), rand(2))


def test_grad_of_grad():
    check(lambda lib, x: lib.func.grad(lib.func.grad(lambda a: a.sin() * a ** 3))(x), rand())
    # third derivative, and a gradient w.r.t. a tensor the inner function closes over
    check(lambda lib, x: lib.func.grad(lib.func.grad(lib.func.grad(lambda a: a.exp() * a)))(x),
          np.array(rand(), dtype=np.float64))

    def closure(lib, x, w):
        return lib.func.grad(lambda w: lib.func.grad(lambda x: (x * w).sin().sum())(x).sum())(w)
    check(closure, rand(3), rand(3))


def test_grad_results_follow_outer_requires_grad():
    """Results stay connected to the user's tensors that require grad (so ``backward`` through a
    transform works) and are plain tensors otherwise."""
    def fn(lib, x, w):
        g = lib.func.grad(lambda a: (a * w * a).sum())(x)   # 2 * x * w, w requires grad
        g.sum().backward()
        return g, w.grad
    x_t, w_t = torch.tensor([1.0, 2.0]), torch.tensor([3.0, -1.0], requires_grad=True)
    x_e, w_e = ember.tensor([1.0, 2.0]), ember.tensor([3.0, -1.0], requires_grad=True)
    te, ee = fn(torch, x_t, w_t), fn(ember, x_e, w_e)
    for a, b in zip(ee, te):
        assert a.tolist() == b.tolist()
    assert ember.func.grad(lambda a: (a * a).sum())(x_e).requires_grad is False
    # an input that requires grad: the gradient is a differentiable function of it
    check(lambda lib, x: lib.func.grad_and_value(lambda a: (a ** 3).sum())(x), rand(3),
          requires_grad=True)
    with ember.no_grad():   # the transform enables grad inside, like torch.func's
        assert ember.func.grad(lambda a: (a * a).sum())(x_e).tolist() == [2.0, 4.0]


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.func.grad(lambda a: a * 2)(x),                    # not a scalar
    lambda lib, x: lib.func.grad(lambda a: 2.0)(x),                      # not a Tensor
    lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=2)(x),       # argnums out of range
    lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=1.5)(x),
    lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=())(x),
    lambda lib, x: lib.func.grad(lambda a: a.sum(), has_aux=True)(x),    # no (out, aux) pair
    lambda lib, x: lib.func.grad(lambda a: a.sum())(3.0),                # not a Tensor input
    lambda lib, x: lib.func.grad(lambda a: a.sum().float())(lib.arange(3)),  # integer input
    lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=(0, 0))(x, x),
    lambda lib, x: lib.func.grad(lambda a: (a.sum(), 3), has_aux=True)(x),  # aux not Tensors
    lambda lib, x: lib.func.jacrev(lambda a: 3)(x),
    lambda lib, x: lib.func.jacfwd(lambda a: (a, [a, 1]), has_aux=True)(x),
    lambda lib, x: lib.func.vjp(lambda a: (a, 3), x, has_aux=True),
    lambda lib, x: lib.func.jvp(lambda a: (a, 3), (x,), (x,), has_aux=True),
])
def test_grad_errors(case):
    check_raises(case, rand(3))


# ---- vjp / jvp -----------------------------------------------------------------------------------
def test_vjp():
    def fn(lib, x, y, u, v):
        out, vjp_fn = lib.func.vjp(lambda a, b: (a * b, lib.sin(a)), x, y)
        return out, vjp_fn((u, v)), vjp_fn((v, u))   # vjp_fn may be called again
    check(fn, rand(3), rand(3), rand(3), rand(3))


def test_vjp_pytree_and_aux():
    def fn(lib, p, u):
        out, vjp_fn, aux = lib.func.vjp(lambda d: ({"y": d["a"] * d["b"].sum()}, d["a"].max()),
                                        p, has_aux=True)
        return out, vjp_fn({"y": u}), aux
    check(fn, {"a": rand(4), "b": rand(2)}, rand(4))


def test_vjp_errors():
    check_raises(lambda lib, x: lib.func.vjp(lib.sin, x)[1]((x,)), rand(3))
    check_raises(lambda lib, x: lib.func.vjp(lib.sin, x)[1](x[:2]), rand(3))


def test_vmap_of_vjp_and_jacrev():
    def fn(lib, x, u):
        return lib.vmap(lambda a, b: lib.func.vjp(lib.tanh, a)[1](b))(x, u)
    check(fn, rand(4, 3), rand(4, 3))
    check(lambda lib, x: lib.vmap(lib.func.jacrev(lambda a: a.sin() * a.sum()))(x), rand(2, 3))


def test_jvp():
    check(lambda lib, x, y, tx, ty: lib.func.jvp(lambda a, b: (a * b.sum(), lib.exp(a)),
                                                 (x, y), (tx, ty)),
          rand(3), rand(2), rand(3), rand(2))
    check(lambda lib, x, t: lib.func.jvp(lambda a: (a ** 2, a.sum()), (x,), (t,), has_aux=True),
          rand(2, 2), rand(2, 2))
    check(lambda lib, p, t: lib.func.jvp(lambda d: d["a"] * d["b"], (p,), (t,)),
          {"a": rand(3), "b": rand(3)}, {"a": rand(3), "b": rand(3)})
    # an output that does not depend on the input has a zero tangent
    check(lambda lib, x, t: lib.func.jvp(lambda a: lib.ones(2), (x,), (t,)), rand(3), rand(3))


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.func.jvp(lib.sin, x, x),                     # primals not a tuple
    lambda lib, x: lib.func.jvp(lib.sin, (x,), (x, x)),             # structures differ
    lambda lib, x: lib.func.jvp(lib.sin, (x,), (x[:2],)),           # shapes differ
    lambda lib, x: lib.func.jvp(lambda a: lib.ones(2), (x,), (x,), strict=True),
])
def test_jvp_errors(case):
    check_raises(case, rand(3))


# ---- Jacobians -----------------------------------------------------------------------------------
@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobian(jac):
    check(lambda lib, x: getattr(lib.func, jac)(lambda a: vec(lib, a))(x), rand(3))
    check(lambda lib, x, y: getattr(lib.func, jac)(lambda a, b: (a * b, (a @ b).sum()),
                                                   argnums=(0, 1))(x, y), rand(3), rand(3))
    check(lambda lib, x: getattr(lib.func, jac)(lambda a: (a.sum(), {"m": a * 2}),
                                                has_aux=True)(x), rand(2, 2))


def test_jacobian_pytree_input_and_scalar_output():
    check(lambda lib, p: lib.func.jacrev(lambda d: d["w"] * d["b"])(p),
          {"w": rand(2, 3), "b": rand(3)})
    check(lambda lib, x: lib.func.jacfwd(lambda a: a.sum())(x), rand(4))
    check(lambda lib, x: lib.func.jacrev(lambda a: a * 2)(x), rand(0))


def test_jacrev_of_jacrev_and_hessian():
    check(lambda lib, x: lib.func.jacrev(lib.func.jacrev(lambda a: vec(lib, a)))(x), rand(3))
    check(lambda lib, x: lib.func.hessian(lambda a: (a.sin() * a.sum()).sum())(x),
          rand(3, dtype=np.float64))
    check(lambda lib, x, y: lib.func.hessian(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(x, y),
          rand(2), rand(2))
    check(lambda lib, x: lib.func.jacfwd(lib.func.grad(lambda a: (a ** 4).sum()))(x), rand(3))


# ---- dtypes and errors, as PyTorch's (review fixes) ----------------------------------------------
def test_grad_integer_input_message():
    err = check_raises(lambda lib, x: lib.func.grad(lambda a: a.sum())(x), np.arange(3))
    assert str(err) == "only Tensors of floating point dtype can require gradients"


def test_grad_complex_output_raises():
    check_raises(lambda lib, x: lib.func.grad(lambda a: a.sum())(x.to(lib.complex64)), rand(3),
                 match="grad can be implicitly created only for real scalar outputs but got "
                       "ember.complex64")


def test_vjp_and_jacrev_refuse_integer_outputs():
    msg = "All outputs of f must be floating-point or complex Tensors, got Tensor with dtype"
    check_raises(lambda lib, x: lib.func.vjp(lambda a: a > 0, x), rand(3), match=msg)
    check_raises(lambda lib, x: lib.func.jacrev(lambda a: a.long())(x), rand(3), match=msg)
    check_raises(lambda lib, x: lib.func.vjp(lambda a: None, x),
                 rand(3), match="Expected f to be a function that has non-empty output")


def test_jvp_integer_outputs_and_dtype_checks():
    # an integer or boolean output has a zero tangent of its own dtype
    check(lambda lib, x, t: lib.func.jvp(lambda a: (a > 0, a.long(), a * 2), (x,), (t,)),
          rand(3), rand(3))
    check_raises(lambda lib, x, t: lib.func.jvp(lambda a: a * 2, (x,), (t,)),
                 rand(3), np.arange(3), match="Expected tangent to be floating point")
    check_raises(lambda lib, x, t: lib.func.jvp(lambda a: a * 2, (x,), (t,)),
                 np.arange(3), rand(3), match="Expected primal to be floating point")
    check_raises(lambda lib, x: lib.func.jvp(lambda a: a * 2, (x,), (3.0,)),
                 rand(3), match="Expected tangents to only contain Tensors")
    check_raises(lambda lib: lib.func.jvp(lambda: lib.ones(2), (), ()),
                 match="Expected primals to contain at least one Tensor")
    # strict: any output independent of the inputs
    check_raises(lambda lib, x: lib.func.jvp(lambda a: (a * 2, lib.ones(2)), (x,), (x,),
                                             strict=True), rand(2), match="strict=True")


def test_jacfwd_dtype_follows_outputs():
    check(lambda lib, x: lib.func.jacfwd(lambda a: a.long())(x), rand(3))
    check(lambda lib, x: lib.func.jacfwd(lambda a: a.double() * 2)(x), rand(3))
    check(lambda lib, x: lib.func.jacfwd(lambda a: a.float() * 2)(x), rand(3, dtype=np.float64))
    check(lambda lib, x: lib.func.jacrev(lambda a: a.double() * 2)(x), rand(3))
    check_raises(lambda lib, x: lib.func.jacfwd(lambda a: a * 2)(x), np.arange(3),
                 match="Expected primal to be floating point or complex")
    check_raises(lambda lib, x: lib.func.jacfwd(lambda a: 3)(x), rand(3),
                 match=r"^jvp\(f, primals, tangents\): expected f")
    check_raises(lambda lib, x: lib.func.jacfwd(lambda a: a, has_aux=True)(x), rand(3),
                 match=r"^jvp\(f, primals, tangents\): output of function f should be a tuple")


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_refuse_complex(name):
    check_raises(lambda lib, x: getattr(lib.func, name)(lambda a: a * 2)(x.to(lib.complex64)),
                 rand(3), match=f"{name}: Expected all inputs to be real")
    check_raises(lambda lib, x, y: getattr(lib.func, name)(lambda a, b: a * b)(x,
                                                                          y.to(lib.complex64)),
                 rand(3), rand(3), match="complex tensor at flattened input idx: 1")
    check_raises(lambda lib, x: getattr(lib.func, name)(lambda a: (a * 2).to(lib.complex64))(x),
                 rand(3), match=f"{name}: Expected all outputs to be real")


def test_jacrev_large_output_memory():
    # the one-hot cotangents are made one at a time, not as an (n, n) identity
    import tracemalloc
    x = ember.randn(1500)
    tracemalloc.start()
    jac = ember.func.jacrev(lambda a: a.sum(0, keepdim=True).expand(1500))(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert jac.shape == (1500, 1500)
    assert peak < 1500 * 1500 * 4 * 1.5  # the Jacobian itself (9 MB), no identity on top

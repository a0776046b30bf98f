"""Complex tensors under autograd against torch: ``real``/``imag``, ``view_as_real``/``view_as_complex``,
``complex``, ``polar``, ``conj``, ``angle`` and the gradients of the elementwise ops an FFT user
needs (PyTorch's convention: the gradient of a complex tensor is dL/d(re) + i dL/d(im))."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_close, check_raises, rand

C64, C128 = np.complex64, np.complex128


def crand(*shape, dtype=C64):
    real = np.float32 if dtype == C64 else np.float64
    return (rand(*shape, dtype=real) + 1j * rand(*shape, dtype=real)).astype(dtype)


# name -> fn(lib, a, b, c): a, b complex, c real positive; a real loss
CASES = {
    "real": lambda L, a, b, c: L.real(a).sum(),
    "real_property": lambda L, a, b, c: (a.real * c).sum(),
    "imag": lambda L, a, b, c: (L.imag(a) * c).sum(),
    "imag_property": lambda L, a, b, c: a.imag.pow(2).sum(),
    "abs": lambda L, a, b, c: a.abs().sum(),
    "sgn": lambda L, a, b, c: L.view_as_real(a.sgn() * b).pow(3).sum(),
    "add": lambda L, a, b, c: (a + b).abs().sum(),
    "add_real": lambda L, a, b, c: (a + c).abs().sum(),
    "sub": lambda L, a, b, c: (a - b).abs().sum(),
    "rsub_real": lambda L, a, b, c: (c - a).abs().sum(),
    "mul": lambda L, a, b, c: (a * b).abs().sum(),
    "mul_real": lambda L, a, b, c: (a * c).abs().sum(),
    "mul_number": lambda L, a, b, c: (a * 2.0).abs().sum(),
    "mul_complex_number": lambda L, a, b, c: ((1 + 2j) * a).abs().sum(),
    "real_times_complex_number": lambda L, a, b, c: (c * (2 - 1j)).imag.sum(),
    "div": lambda L, a, b, c: (a / b).abs().sum(),
    "div_real": lambda L, a, b, c: (a / c).abs().sum(),
    "real_div_complex": lambda L, a, b, c: (c / a).abs().sum(),
    "div_complex_number": lambda L, a, b, c: L.real(a / (1 - 2j)).sum(),
    "number_div": lambda L, a, b, c: L.div(2 + 1j, a).abs().sum(),
    "conj": lambda L, a, b, c: L.imag(a.conj() * b).sum(),
    "conj_physical": lambda L, a, b, c: L.imag(L.conj_physical(a) * b).sum(),
    "angle": lambda L, a, b, c: a.angle().sum(),
    "angle_real": lambda L, a, b, c: (L.angle(c - 1) + c).sum(),
    "view_as_real": lambda L, a, b, c: (L.view_as_real(a)
                                        * L.arange(8.0).reshape(4, 2)).sum(),
    "view_as_real_pow": lambda L, a, b, c: L.view_as_real(a).pow(2).sum(),
    "view_as_complex": lambda L, a, b, c: L.view_as_complex(
        L.stack([c, c * c], -1)).mul(b).abs().sum(),
    "complex": lambda L, a, b, c: L.complex(c, c * 2).mul(b).abs().sum(),
    "polar": lambda L, a, b, c: L.polar(c, c * 3).mul(b).imag.sum(),
    "pow_2": lambda L, a, b, c: L.real(a.pow(2) * b).sum(),
    "pow_half": lambda L, a, b, c: L.imag(a ** 0.5).sum(),
    "pow_neg": lambda L, a, b, c: (a ** -1.5).abs().sum(),
    "abs_squared": lambda L, a, b, c: (a.abs() ** 2).sum(),
    "sum": lambda L, a, b, c: L.imag(a.sum() * b[0]),
    "sum_dim": lambda L, a, b, c: L.view_as_real(a.reshape(2, 2).sum(0) * b[:2]).sum(),
    "mean": lambda L, a, b, c: L.real(a.mean() * b[0]),
    "exp": lambda L, a, b, c: L.real(a.exp() * b).sum(),
    "neg": lambda L, a, b, c: L.real(-a * b).sum(),
    "index_reshape": lambda L, a, b, c: L.real(a.reshape(2, 2)[0] * b[:2]).sum(),
    # powers with a tensor exponent (PowBackward1/2) conjugate their derivatives too
    "pow_tensor": lambda L, a, b, c: L.view_as_real((a + 2) ** b).sum(),
    "pow_real_base_complex_exponent": lambda L, a, b, c: L.view_as_real((c - 1) ** a).sum(),
    "number_pow": lambda L, a, b, c: L.view_as_real(2.0 ** a).sum(),
    "negative_number_pow": lambda L, a, b, c: L.view_as_real((-2.0) ** a).sum(),
    "complex_number_pow": lambda L, a, b, c: L.view_as_real((1 + 2j) ** a).sum(),
    "complex_number_pow_real": lambda L, a, b, c: L.view_as_real((1 + 2j) ** c).sum(),
    # the holomorphic unary ops: g * conj(f'(x))
    **{f"unary_{op}": (lambda op: lambda L, a, b, c: L.view_as_real(getattr(a, op)() * b).sum())(op)
       for op in ("reciprocal", "sqrt", "rsqrt", "log", "log2", "log10", "log1p", "expm1",
                  "exp2", "sin", "cos", "tan", "sinh", "cosh", "tanh", "sigmoid", "asin", "acos",
                  "atan", "asinh", "acosh", "atanh")},
    "number_div_tensor": lambda L, a, b, c: L.view_as_real(2.0 / a).sum(),
    "matmul_mm": lambda L, a, b, c: L.view_as_real(
        a.reshape(2, 2) @ b.reshape(2, 2)).pow(2).sum(),
    "matmul_mv": lambda L, a, b, c: L.view_as_real(a.reshape(2, 2) @ b[:2]).pow(2).sum(),
    "matmul_vm": lambda L, a, b, c: L.view_as_real(a[:2] @ b.reshape(2, 2)).pow(2).sum(),
    "matmul_dot": lambda L, a, b, c: (a @ b).abs(),
    "bmm": lambda L, a, b, c: L.view_as_real(
        L.bmm(a.reshape(1, 2, 2), b.reshape(1, 2, 2))).pow(2).sum(),
    "addmm": lambda L, a, b, c: L.view_as_real(L.addmm(
        b.reshape(2, 2), a.reshape(2, 2), b.reshape(2, 2), beta=0.5, alpha=2)).pow(2).sum(),
    "prod": lambda L, a, b, c: L.view_as_real(a.prod() * b[0]).sum(),
    "prod_dim": lambda L, a, b, c: L.view_as_real(a.reshape(2, 2).prod(1)).pow(2).sum(),
    "prod_with_zero": lambda L, a, b, c: L.view_as_real(
        (a * L.tensor([0.0, 1, 1, 1], dtype=c.dtype)).prod()).sum(),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [C64, C128])
def test_gradients_match_torch(name, dtype):
    za, zb = crand(4, dtype=dtype), crand(4, dtype=dtype)
    r = (np.abs(rand(4)) + 0.5).astype(np.float32 if dtype == C64 else np.float64)
    tol = 1e-5 if dtype == C64 else 1e-10
    res = {}
    for lib in (torch, ember):
        ins = [lib.from_numpy(x.copy()).requires_grad_() for x in (za, zb, r)]
        loss = CASES[name](lib, *ins)
        loss.backward()
        res[lib] = (loss, [t.grad for t in ins])
    assert_close(res[ember][0], res[torch][0], tol, tol, what="loss")
    for i, (e, t) in enumerate(zip(res[ember][1], res[torch][1])):
        if t is None:
            assert e is None or not np.any(e.numpy()), f"input {i}: torch's grad is None"
        else:
            assert e is not None, f"input {i}: no gradient"
            assert_close(e, t.resolve_conj(), tol, tol, what=f"grad of input {i}")


def test_values_and_views():
    z = crand(3, 2)
    for lib in (torch, ember):
        x = lib.from_numpy(z.copy())
        assert x.real.dtype == lib.float32 and x.imag.dtype == lib.float32
    e, t = ember.from_numpy(z.copy()), torch.from_numpy(z.copy())
    for fn in (lambda L, x: L.real(x), lambda L, x: L.imag(x), lambda L, x: L.view_as_real(x),
               lambda L, x: L.angle(x), lambda L, x: x.conj().resolve_conj(),
               lambda L, x: L.view_as_complex(L.view_as_real(x)),
               lambda L, x: L.view_as_real(x[:, 1]), lambda L, x: L.view_as_real(x[0, 0])):
        assert_close(fn(ember, e), fn(torch, t), 1e-6, 1e-6)
    # real, imag and view_as_real are views: writes show through
    e.real.mul_(0)
    ember.view_as_real(e)[..., 1].add_(1)
    np.testing.assert_allclose(e.numpy(), 1j * (z.imag + 1), rtol=1e-6)
    r = ember.ones(3)
    assert ember.real(r) is r and r.real is r and ember.conj(r) is r
    assert not ember.is_conj(e) and not e.conj().is_conj()


def test_angle_of_real_and_integer_inputs():
    a = np.array([-2.0, -0.0, 0.0, 3.0, np.nan, -np.inf], np.float32)
    assert_close(ember.angle(ember.from_numpy(a)), torch.angle(torch.from_numpy(a)), 0, 0)
    i = np.array([-2, 0, 5])
    assert_close(ember.angle(ember.from_numpy(i)), torch.angle(torch.from_numpy(i)), 0, 0)


def test_complex_and_polar_values_broadcast():
    a, b = rand(3, 1, dtype=np.float64), rand(4, dtype=np.float64)
    for fn in (lambda L, x, y: L.complex(x, y), lambda L, x, y: L.polar(x.abs(), y)):
        assert_close(fn(ember, ember.from_numpy(a), ember.from_numpy(b)),
                     fn(torch, torch.from_numpy(a), torch.from_numpy(b)), 1e-12, 1e-12)


@pytest.mark.parametrize("case", [
    lambda L, x, z: L.imag(x),
    lambda L, x, z: L.view_as_real(x),
    lambda L, x, z: L.view_as_complex(x),
    lambda L, x, z: L.view_as_complex(x[:, :2].long()),
    lambda L, x, z: L.view_as_complex(x.sum()),
    lambda L, x, z: L.view_as_complex(x[:, :2].t().contiguous().t()),
    lambda L, x, z: L.complex(x.long(), x.long()),
    lambda L, x, z: L.complex(x, x.double()),
    lambda L, x, z: L.polar(z, z),
])
def test_errors(case):
    check_raises(case, rand(4, 3), crand(4, 3))


def test_real_leaf_gets_the_real_part_without_warning():
    import warnings
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * (1 + 2j)).abs().sum().backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    (t * (1 + 2j)).abs().sum().backward()
    assert_close(x.grad, t.grad, 1e-6, 1e-6)


def test_double_backward_through_complex_ops():
    z = crand(3, dtype=C128)
    out = []
    for lib in (torch, ember):
        x = lib.from_numpy(z.copy()).requires_grad_()
        y = ((x * x.conj() * x).abs().sum() + lib.view_as_real(x.exp()).pow(2).sum()
             + lib.imag(x.sgn() * (1 + 2j)).sum())
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(lib.view_as_real(g).pow(2).sum(), x)
        out.append((g.detach().resolve_conj().numpy(), gg.resolve_conj().numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-10)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-10)


def test_complex_number_with_a_real_tensor_promotes_as_torch():
    # (not float16: torch gives complex32, which NumPy has not)
    for dt in ("float32", "float64", "int64", "bool"):
        for default in ("float32", "float64"):
            try:
                ember.set_default_dtype(getattr(ember, default))
                torch.set_default_dtype(getattr(torch, default))
                e = ember.ones(2, dtype=getattr(ember, dt)) * (1 + 2j)
                t = torch.ones(2, dtype=getattr(torch, dt)) * (1 + 2j)
                assert_close(e, t, 0, 0, what=f"{dt} * complex, default {default}")
            finally:
                ember.set_default_dtype(ember.float32)
                torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("op", ["angle", "log", "sqrt", "tanh", "reciprocal", "pow_tensor"])
def test_double_backward_of_complex_gradients(op):
    # angle's backward was built from arrays (no second derivative); the others check the
    # conjugated derivative is differentiable
    z, w = crand(4, dtype=C128), crand(4, dtype=C128)
    fns = {"angle": lambda L, x: x.angle(), "log": lambda L, x: L.view_as_real(x.log()),
           "sqrt": lambda L, x: L.view_as_real(x.sqrt()),
           "tanh": lambda L, x: L.view_as_real(x.tanh()),
           "reciprocal": lambda L, x: L.view_as_real(x.reciprocal()),
           "pow_tensor": lambda L, x: L.view_as_real((x + 2) ** (x + 1))}
    out = []
    for lib in (torch, ember):
        x = lib.from_numpy(z.copy()).requires_grad_()
        wt = lib.from_numpy(w.copy())
        y = (fns[op](lib, x) * lib.view_as_real(wt)[..., 0].reshape(
            (4,) + (1,) * (op != "angle"))).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(lib.view_as_real(g).pow(2).sum(), x)
        out.append((g.detach().resolve_conj().numpy(), gg.resolve_conj().numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-9, atol=1e-12)

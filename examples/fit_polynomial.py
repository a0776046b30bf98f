"""Fit a cubic polynomial to sin(x) with ember's tensors and autograd, the classic PyTorch warm-up.

    python examples/fit_polynomial.py
"""
import math

import ember as torch

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

a, b, c, d = (torch.randn((), requires_grad=True) for _ in range(4))
lr = 1e-6
for step in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if step % 400 == 399:
        print(f"step {step + 1:4d}  loss {loss.item():10.4f}")
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= lr * p.grad
            p.grad = None

print(f"Result: y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")

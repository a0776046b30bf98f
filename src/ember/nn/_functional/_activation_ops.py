"""The elementwise activation primitives behind ``nn.functional``: the machinery they share, and the
piecewise-linear (hardtanh, leaky_relu, threshold, shrinks ...) and ELU-family activations.

Each activation ``f`` is one primitive rather than a composition of Tensor ops (a composition would
make several passes over the data and several graph nodes): its forward runs on arrays, and its
node computes ``g * f'(x)``, where ``f'(x)`` is itself a primitive (:func:`_derivative`) whose node
applies ``f''`` written with Tensor ops. So first-order backward is a few array passes, and double
backward (``create_graph=True``) records a graph like any other op.

An activation is declared by three functions of its parameters: ``fwd(x, *params)`` and
``d1(x, *params)`` on arrays, ``d2(x, *params)`` on a Tensor (or ``None`` for a piecewise-linear
``f``, whose second derivative is zero). Conditions follow PyTorch's kernels exactly (``x <= 0``
or ``x > 0`` matters at the kinks).
"""
import numpy as np

from ember._ops.compare import where
from ember._ops.reduce import type_name
from ember._ops.unary import _not_for
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

# NOTE: PyTorch's hardsigmoid backward multiplies by the float constant 1.0f / 6 in every dtype, so
# its float64 gradient is 1/6 rounded to float32
_ONE_SIXTH_F = float(np.float32(1.0 / 6.0))
_errstate = np.errstate


# ---- the machinery -------------------------------------------------------------------------------
class _ActivationBackward(Node):
    """``g * f'(x)`` for an elementwise activation; subclasses set ``d1`` and ``d2``."""

    d2 = None

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * _derivative(self, x)


class _DerivativeBackward(Node):
    """The backward of ``f'(x)`` (double backward): ``g * f''(x)``, from Tensor ops."""

    def name(self):
        # PyTorch's name for it, e.g. EluBackwardBackward0
        return self.act_name.replace("Backward", "BackwardBackward", 1)

    def backward(self, g):
        (x,) = self.saved_tensors
        if self.d2 is None:  # piecewise linear: f'' = 0
            return g * wrap(np.zeros_like(x._data))
        return g * self.d2(x, *self.params)


def _run(fn, d, params):
    """``fn(d, *params)`` in d's dtype. float16 is computed in float32 (as PyTorch's CPU kernels
    do); a 0-d array is computed as 1-d, since NumPy ufuncs turn 0-d results into scalars, which
    the kernels' ``out=`` arguments refuse."""
    x = d.astype(np.float32) if d.dtype == np.float16 else d
    if x.ndim == 0:
        x = x.reshape(1)
    with _errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = fn(x, *params)
    if r.dtype != d.dtype:
        r = r.astype(d.dtype)
    return r.reshape(()) if d.ndim == 0 else r


def _derivative(act, x):
    """``f'(x)`` as a tensor, recorded (with ``f''`` as backward) when ``x`` needs grad."""
    r = _run(act.d1, x._data, act.params)
    if STATE.enabled and x._rg:
        node = _DerivativeBackward()
        node.act_name, node.d2, node.params = act.name(), act.d2, act.params
        node.save_for_backward(x)
        return track(r, node, (x,))
    return wrap(r)


def _pointwise(input, node_cls, params, kernel):
    """Apply the activation of ``node_cls`` to a floating-point ``input``; ``kernel`` names it in
    PyTorch's error for other dtypes."""
    d = input._data
    if d.dtype.kind != "f":
        _not_for(input, kernel)
    r = _run(node_cls.fwd, d, params)
    if STATE.enabled and input._rg:
        node = node_cls()
        node.params = params
        node.save_for_backward(input)
        return track(r, node, (input,))
    return wrap(r)


def _activation(name, fwd, d1, d2=None):
    """A Node class called ``name`` (PyTorch's grad_fn name) for the activation ``fwd``."""
    return type(name, (_ActivationBackward,), {
        "fwd": staticmethod(fwd), "d1": staticmethod(d1),
        "d2": None if d2 is None else staticmethod(d2),
        "__doc__": f"Backward of the activation ``{fwd.__name__.strip('_')}``."})


def _pick(mask, a, b, dt):
    """``a`` where ``mask`` else ``b``, each an array or a number, as an array of dtype ``dt``
    (numbers as ``dt`` scalars, so NumPy does not promote them to float64).

    NOTE: ``np.where`` branches per element: fast when the mask is nearly all one value, ~5x
    slower than arithmetic on a mixed mask, where ``a * mask + b * ~mask`` gives the same values
    as long as both are finite (``v * 0`` is +-0)."""
    if not hasattr(a, "dtype"):
        a = dt.type(a)
    if not hasattr(b, "dtype"):
        b = dt.type(b)
    n, size = int(np.count_nonzero(mask)), mask.size
    if 16 * min(n, size - n) > size and np.isfinite(a).all() and np.isfinite(b).all():
        r = np.multiply(a, mask, dtype=dt)
        r += np.multiply(b, ~mask, dtype=dt)
        return r
    return np.where(mask, a, b)


def _sigmoid(x):
    """The logistic function on an array; ``exp(-x)`` overflowing to inf gives exactly 0."""
    s = np.negative(x)
    np.exp(s, out=s)
    s += 1.0
    return np.reciprocal(s, out=s)


# ---- piecewise linear --------------------------------------------------------------------------
def _hardtanh(x, lo, hi):
    return np.clip(x, lo, hi)


def _hardtanh_d1(x, lo, hi):
    return (~((x <= lo) | (x >= hi))).astype(x.dtype)


HardtanhBackward0 = _activation("HardtanhBackward0", _hardtanh, _hardtanh_d1)


def hardtanh(input, lo, hi):
    """``clamp(input, lo, hi)`` with a zero gradient at the bounds (``relu6`` is ``(0, 6)``)."""
    d = input._data
    if d.dtype == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if d.dtype.kind in "iu":  # integers stay integers (no gradient is possible)
        if d.dtype.kind == "u" and (lo < 0 or hi < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        return wrap(np.clip(d, lo, hi).astype(d.dtype, copy=False))
    return _pointwise(input, HardtanhBackward0, (lo, hi), "hardtanh")


def _leaky_relu(x, slope):
    r = np.minimum(x, 0)  # max(x, 0) + slope * min(x, 0): one term is 0 (faster than a select)
    r *= slope
    r += np.maximum(x, 0)
    return r


def _leaky_relu_d1(x, slope):
    return _pick(x > 0, 1, slope, x.dtype)


LeakyReluBackward0 = _activation("LeakyReluBackward0", _leaky_relu, _leaky_relu_d1)


class LeakyReluBackward1(LeakyReluBackward0):
    """Backward of ``leaky_relu_`` (in place), which PyTorch refuses for a negative slope."""

    def backward(self, g):
        if self.params[0] < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a negative slope which "
                "is not supported. This is caused by calling in-place forward function with a "
                "negative slope, please call out-of-place version instead. File an issue at "
                "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
                "backward calculation with negative slope")
        return LeakyReluBackward0.backward(self, g)


def leaky_relu(input, negative_slope, _inplace=False):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    node = LeakyReluBackward1 if _inplace else LeakyReluBackward0
    return _pointwise(input, node, (negative_slope,), "leaky_relu_cpu")


def _rrelu(x, noise):
    return x * noise


def _rrelu_d1(x, noise):
    return noise if noise.shape == x.shape else np.broadcast_to(noise, x.shape)


RreluWithNoiseBackward0 = _activation("RreluWithNoiseBackward0", _rrelu, _rrelu_d1)
RreluWithNoiseBackward1 = _activation("RreluWithNoiseBackward1", _rrelu, _rrelu_d1)
_RreluEvalBackward = {False: _activation("RreluWithNoiseBackward0", _leaky_relu, _leaky_relu_d1),
                      True: _activation("RreluWithNoiseBackward1", _leaky_relu, _leaky_relu_d1)}


def rrelu(input, lower, upper, training, _inplace=False):
    """Leaky ReLU with a random slope in ``[lower, upper)`` per element at ``x <= 0`` when
    training, else the fixed slope ``(lower + upper) / 2``."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    d = input._data
    if d.dtype.kind != "f":
        _not_for(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    if not training:
        return _pointwise(input, _RreluEvalBackward[_inplace], ((lower + upper) / 2,),
                          "leaky_relu_cpu")
    from ember._ops.random import _rng_for
    u = _rng_for(None, input.device).random(d.shape, d.dtype if d.itemsize >= 4 else "float32")
    u *= upper - lower
    u += lower
    noise = _pick(d <= 0, u.astype(d.dtype, copy=False), 1, d.dtype)  # (1 where x > 0)
    node = RreluWithNoiseBackward1 if _inplace else RreluWithNoiseBackward0
    return _pointwise(input, node, (noise,), "")


def _threshold(x, th, value):
    return _pick(x <= th, value, x, x.dtype)


def _threshold_d1(x, th, value):
    return (~(x <= th)).astype(x.dtype)


ThresholdBackward0 = _activation("ThresholdBackward0", _threshold, _threshold_d1)
ThresholdBackward1 = _activation("ThresholdBackward1", _threshold, _threshold_d1)


def threshold(input, th, value, _inplace=False):
    """``value`` where ``input <= th``, else ``input``."""
    d = input._data
    if d.dtype.kind in "iu":
        return wrap(_threshold(d, th, value))
    return _pointwise(input, ThresholdBackward1 if _inplace else ThresholdBackward0, (th, value),
                      "threshold_cpu")


def _hardshrink(x, lambd):
    return _pick((x >= -lambd) & (x <= lambd), 0, x, x.dtype)


def _shrink_d1(x, lambd):
    return (~((x >= -lambd) & (x <= lambd))).astype(x.dtype)


def _softshrink(x, lambd):
    # x - clamp(x, -l, l) is x - l above l, x + l below -l, 0 between, NaN for NaN
    return x - np.clip(x, -lambd, lambd)


HardshrinkBackward0 = _activation("HardshrinkBackward0", _hardshrink, _shrink_d1)
SoftshrinkBackward0 = _activation("SoftshrinkBackward0", _softshrink, _shrink_d1)


def hardshrink(input, lambd):
    """``0`` where ``|input| <= lambd``, else ``input``."""
    return _pointwise(input, HardshrinkBackward0, (lambd,), "hardshrink_cpu")


def softshrink(input, lambd):
    """``input`` moved ``lambd`` towards 0, and 0 where ``|input| <= lambd``."""
    d = input._data
    if d.dtype.kind != "f":
        _not_for(input, "softshrink_check")
    if not 0 <= lambd <= np.finfo(d.dtype).max:
        raise RuntimeError(f"lambda must be in range [0, {float(np.finfo(d.dtype).max):g}] for "
                           f"input dtype {type_name(d.dtype)}, but found {lambd:g}")
    return _pointwise(input, SoftshrinkBackward0, (lambd,), "softshrink_check")


def _hardsigmoid(x):
    r = x + 3
    np.clip(r, 0, 6, out=r)
    r /= 6
    return r


def _hardsigmoid_d1(x):
    r = ((x > -3) & (x < 3)).astype(x.dtype)
    r *= _ONE_SIXTH_F
    return r


def _hardswish(x):
    r = x + 3
    np.clip(r, 0, 6, out=r)
    r *= x
    r /= 6
    return r


def _hardswish_d1(x):
    # x / 3 + 1/2 inside (-3, 3), 0 at -3 and below, 1 at 3 and above
    d = np.clip(x, -3, 3)
    d /= 3
    d += 0.5  # 1.5 at 3 and above, -0.5 at -3 and below: move those to 1 and 0 (exactly)
    d += np.multiply(x <= -3, 0.5, dtype=x.dtype)
    d -= np.multiply(x >= 3, 0.5, dtype=x.dtype)
    return d


def _hardswish_d2(x):
    d = x._data
    return wrap(((d > -3) & (d < 3)).astype(d.dtype) / 3)


HardsigmoidBackward0 = _activation("HardsigmoidBackward0", _hardsigmoid, _hardsigmoid_d1)
HardswishBackward0 = _activation("HardswishBackward0", _hardswish, _hardswish_d1, _hardswish_d2)


def hardsigmoid(input):
    """``clamp(input / 6 + 1/2, 0, 1)``."""
    return _pointwise(input, HardsigmoidBackward0, (), "hardsigmoid_cpu")


def hardswish(input):
    """``input * hardsigmoid(input)``."""
    return _pointwise(input, HardswishBackward0, (), "hardswish_cpu")


# ---- exponential linear units --------------------------------------------------------------------
def _elu(x, alpha, scale, input_scale):
    # NOTE: each branch on its half of the line (min(x, 0), max(x, 0)) and added: one of them is
    # 0, and expm1 never overflows (faster than a select)
    r = np.minimum(x, 0)
    r *= input_scale
    np.expm1(r, out=r)
    r *= alpha * scale
    pos = np.maximum(x, 0)
    pos *= scale
    r += pos
    return r


def _elu_d1(x, alpha, scale, input_scale):
    neg = np.minimum(x, 0)
    neg *= input_scale
    np.exp(neg, out=neg)
    neg *= alpha * scale * input_scale
    return _pick(x <= 0, neg, scale, x.dtype)


def _elu_d2(x, alpha, scale, input_scale):
    # NOTE: exp of min(x, 0): exp(x) of a large positive x would be inf in the unused branch, and
    # where's zero gradient times inf is NaN in the next derivative
    neg = (x.clamp_max(0) * input_scale).exp() * (alpha * scale * input_scale * input_scale)
    return where(x <= 0, neg, 0.0)


class EluBackward0(_ActivationBackward):
    """Backward of ``elu`` and ``selu`` (``alpha``, ``scale`` and ``input_scale`` as PyTorch's)."""

    fwd, d1, d2 = staticmethod(_elu), staticmethod(_elu_d1), staticmethod(_elu_d2)


class EluBackward1(EluBackward0):
    """Backward of ``elu_`` (in place), which PyTorch refuses for a negative alpha."""

    def backward(self, g):
        if self.params[0] < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative slope which is not "
                "supported. This is caused by calling in-place forward function with a negative "
                "slope, please call out-of-place version instead.")
        return EluBackward0.backward(self, g)


class CeluBackward0(EluBackward0):
    pass


class CeluBackward1(EluBackward1):
    pass


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_ELU_NODES = {("elu", False): EluBackward0, ("elu", True): EluBackward1,
              ("celu", False): CeluBackward0, ("celu", True): CeluBackward1}


def elu(input, alpha, scale=1.0, input_scale=1.0, _kind="elu", _inplace=False):
    """``scale * x`` where ``x > 0``, else ``alpha * scale * (exp(input_scale * x) - 1)``."""
    return _pointwise(input, _ELU_NODES[_kind, _inplace], (alpha, scale, input_scale), "elu_cpu")


def selu(input, _inplace=False):
    """ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, _inplace=_inplace)


def celu(input, alpha, _inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return elu(input, alpha, 1.0, 1.0 / alpha, _kind="celu", _inplace=_inplace)

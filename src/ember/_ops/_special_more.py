"""The rest of ``ember.special`` that has no top-level twin: ``erfcx``, ``ndtri``, ``log_ndtr``,
``entr``, Hurwitz ``zeta``, ``bessel_j0``/``bessel_j1``, with PyTorch's gradients.

Kernels are NumPy ports of ATen's ``native/Math.h`` (Cephes, 3-clause BSD, Copyright (c) 2018
Steven Moshier; ``erfcx`` after S. G. Johnson's Faddeeva package, MIT): float64 inside, rounded
back to the input's dtype.
"""
import math

import numpy as np

from ember._ops import _special_kernels as K
from ember._ops._arith import _float_data, _out
from ember._ops._num_math import broadcast_operands, result_dtype, type_name
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

_J0_PP = (0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
          8.74716500199817, 5.303240382353949, 1.0)
_J0_PQ = (0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
          8.761908832370695, 5.306052882353947, 1.0)
_J0_QP = (-0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
          -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285)
_J0_QQ = (64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525,
          5930.727011873169, 2062.0933166032783, 242.0057402402914)
_J0_RP = (-4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0)
_J0_RQ = (499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683,
          2112775201154.892, 310518229857422.56, 3.1812195594320496e+16, 1.7108629408104315e+18)
_J1_PP = (0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
          8.424045901417724, 5.214515986823615, 1.0)
_J1_PQ = (0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
          8.399855543276042, 5.209828486823619, 1.0)
_J1_QP = (0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508,
          710.8563049989261, 597.4896124006136, 211.68875710057213, 25.207020585802372)
_J1_QQ = (74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562,
          7997.041604473507, 2826.1927851763908, 336.0936078106983)
_J1_RP = (-899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0)
_J1_RQ = (620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925,
          4749141220799.914, 784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18)
_NDTRI_P0 = (-59.96335010141079, 98.00107541859997, -56.67628574690703, 13.931260938727968,
             -1.2391658386738125)
_NDTRI_Q0 = (1.0, 1.9544885833814176, 4.676279128988815, 86.36024213908905, -225.46268785411937,
             200.26021238006066, -82.03722561683334, 15.90562251262117, -1.1833162112133)
_NDTRI_P1 = (4.0554489230596245, 31.525109459989388, 57.16281922464213, 44.08050738932008,
             14.684956192885803, 2.1866330685079025, -0.1402560791713545, -0.03504246268278482,
             -0.0008574567851546854)
_NDTRI_Q1 = (1.0, 15.779988325646675, 45.39076351288792, 41.3172038254672, 15.04253856929075,
             2.504649462083094, -0.14218292285478779, -0.03808064076915783,
             -0.0009332594808954574)
_NDTRI_P2 = (3.2377489177694603, 6.915228890689842, 3.9388102529247444, 1.3330346081580755,
             0.20148538954917908, 0.012371663481782003, 0.00030158155350823543,
             2.6580697468673755e-06, 6.239745391849833e-09)
_NDTRI_Q2 = (1.0, 6.02427039364742, 3.6798356385616087, 1.3770209948908132, 0.21623699359449663,
             0.013420400608854318, 0.00032801446468212774, 2.8924786474538068e-06,
             6.790194080099813e-09)


def _ndtri(y0):
    """The inverse of the standard normal CDF (Cephes ndtri), float64."""
    def poly(z, c):
        return K._poly(z, c)

    with np.errstate(all="ignore"):
        flip = y0 > 1 - 0.13533528323661269189
        y = np.where(flip, 1 - y0, y0)
        central = y > 0.13533528323661269189
        yc = y - 0.5
        y2 = yc * yc
        xc = (yc + yc * (y2 * poly(y2, _NDTRI_P0) / poly(y2, _NDTRI_Q0))) * 2.50662827463100050242
        x = np.sqrt(-2.0 * np.log(y))
        x0 = x - np.log(x) / x
        z = 1 / x
        x1 = np.where(x < 8, z * poly(z, _NDTRI_P1) / poly(z, _NDTRI_Q1),
                      z * poly(z, _NDTRI_P2) / poly(z, _NDTRI_Q2))
        xt = x0 - x1
        xt = np.where(flip, xt, -xt)
        r = np.where(central, xc, xt)
        r = np.where(y0 == 0, -np.inf, np.where(y0 == 1, np.inf, r))
        return np.where((y0 < 0) | (y0 > 1), np.nan, r)


def _bessel_j(x, order):
    """J0 / J1 (Cephes, as ATen's ``bessel_j0_forward``/``bessel_j1_forward``), float64."""
    PP, PQ, QP, QQ, RP, RQ = (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ, _J0_RP, _J0_RQ) if order == 0 else \
        (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ, _J1_RP, _J1_RQ)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        z = a * a
        if order == 0:
            near = (z - 5.78318596294678452118e+00) * (z - 3.04712623436620863991e+01) * \
                K._poly(z, RP) / K._poly(z, RQ)
            near = np.where(a < 1e-5, 1.0 - z / 4.0, near)
            w = 25.0 / z
            shift = 0.785398163397448309615660845819875721
        else:
            near = K._poly(z, RP) / K._poly(z, RQ) * a * (z - 1.46819706421238932572e+01) * \
                (z - 4.92184563216946036703e+01)
            w = 5.0 / a * (5.0 / a)
            shift = 2.356194490192344928846982537459627163
        far = (K._poly(w, PP) / K._poly(w, PQ) * np.cos(a - shift)
               - 5.0 / a * (K._poly(w, QP) / K._poly(w, QQ)) * np.sin(a - shift)) \
            * 0.797884560802865355879892119868763737 / np.sqrt(a)
        r = np.where(a <= 5, near, far)
    return np.where(x < 0, -r, r) if order else r


def _float_in(input, name, half=False):
    """The input as float64 and its float dtype; PyTorch has no half-precision kernel of most of
    these (``half``: it has one)."""
    x = _float_data(input)
    if x.dtype.kind != "f" or (x.dtype.itemsize < 4 and not half):
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{type_name(x.dtype)}\'')
    return x.astype(np.float64, copy=False), x.dtype


def _unary(input, name, kernel, node_cls, out, save_out=False, half=False):
    """``node_cls`` None: not differentiable (the result takes no part in autograd)."""
    x, dt = _float_in(input, name, half)
    with np.errstate(over="ignore"):  # float32 results past its range are inf, as in torch
        r = np.asarray(kernel(x)).astype(dt, copy=False)
    if STATE.enabled and input._rg and node_cls is not None:
        node = node_cls()
        node.save_for_backward(input)
        return _out(track(r, node, (input,), save_out=save_out), out)
    return _out(wrap(r), out)


class SpecialErfcxBackward0(Node):
    def backward(self, g):  # erfcx' = 2 x erfcx - 2 / sqrt(pi)
        x = self.saved_tensors[0]
        return g * (2 * x * self.saved_output() - _TWO_OVER_SQRT_PI)


class SpecialNdtriBackward0(Node):
    def backward(self, g):  # 1 / pdf(ndtri(p))
        y = self.saved_output()
        return g * (_SQRT_2PI * (y * y * 0.5).exp())


class SpecialLogNdtrBackward0(Node):
    def backward(self, g):  # pdf(x) / ndtr(x) = exp(-(log_ndtr + x^2/2)) / sqrt(2 pi)
        x = self.saved_tensors[0]
        return g / _SQRT_2PI * (-(self.saved_output() + x * x * 0.5)).exp()


class SpecialEntrBackward0(Node):
    def backward(self, g):
        return g * -(1 + self.saved_tensors[0].log())


def _log_ndtr(x):
    t = x * math.sqrt(0.5)
    with np.errstate(all="ignore"):
        return np.where(x < -1, np.log(K.erfcx(-t) / 2) - t * t, np.log1p(-K.erfc(t) / 2))


def _entr(x):
    with np.errstate(all="ignore"):
        r = np.where(x > 0, -x * np.log(x), np.where(x == 0, 0.0, -np.inf))
    return np.where(np.isnan(x), x, r)


def erfcx(input, *, out=None):
    """The scaled complementary error function ``exp(x^2) * erfc(x)`` (no overflow)."""
    return _unary(input, "erfcx", K.erfcx, SpecialErfcxBackward0, out, save_out=True)


def ndtri(input, *, out=None):
    """The inverse of :func:`ndtr`: the standard normal quantile of a probability."""
    return _unary(input, "ndtri", _ndtri, SpecialNdtriBackward0, out, save_out=True)


def log_ndtr(input, *, out=None):
    """``log(ndtr(input))``, accurate far into the left tail."""
    return _unary(input, "log_ndtr", _log_ndtr, SpecialLogNdtrBackward0, out, save_out=True)


def entr(input, *, out=None):
    """The elementwise entropy ``-x log(x)`` (0 at 0, -inf for negative x)."""
    return _unary(input, "entr", _entr, SpecialEntrBackward0, out, half=True)


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind of order 0 (not differentiable, as in PyTorch)."""
    return _unary(input, "bessel_j0", lambda x: _bessel_j(x, 0), None, out)


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind of order 1 (not differentiable, as in PyTorch)."""
    return _unary(input, "bessel_j1", lambda x: _bessel_j(x, 1), None, out)


class SpecialZetaBackward0(Node):
    def backward(self, g):
        if self._next[0] is not None:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = self.saved_tensors
        return None, g * -x * zeta(x + 1.0, q)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function ``sum_{k>=0} (k + other) ** -input`` (differentiable in
    ``other`` only, as PyTorch).

    Example::

        >>> ember.special.zeta(ember.tensor([2.]), 1.)   # pi^2 / 6
        tensor([1.6449])
    """
    ta, tb, ad, bd = broadcast_operands(input, other, "zeta")
    dt = result_dtype(ta, tb, ad, bd)
    if dt.itemsize < 4:
        raise NotImplementedError(f"\"zeta_cpu\" not implemented for '{type_name(dt)}'")
    r = K.zeta(ad, bd).astype(dt)
    if STATE.enabled and (ta is not None and ta._rg or tb is not None and tb._rg):
        node = SpecialZetaBackward0()
        node.save_for_backward(ta if ta is not None else wrap(ad.astype(dt)),
                               tb if tb is not None else wrap(bd.astype(dt)))
        return _out(track(r, node, (ta, tb)), out)
    return _out(wrap(r), out)

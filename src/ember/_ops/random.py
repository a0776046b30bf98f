"""Random sampling: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
``multinomial`` and the in-place samplers (``uniform_`` ...); generators and seeding live in
``_generator.py`` and are exported from here.

Every function takes ``generator=`` (default: the default generator of the output's device). Floats are drawn in their own dtype (``rng.random(size,
dtype=np.float32)``), never as float64 then cast. ``manual_seed`` makes every result reproducible
but the numbers are not PyTorch's.
"""
import operator

import numpy as np

from ember import _backend, _dtype
from ember._ops._generator import (Generator, cuda_generator, default_generator,  # noqa: F401
                                   fork_rng, get_rng_state, initial_seed, manual_seed, seed,
                                   set_rng_state)
from ember._ops.creation import size_arg
from ember._tensor import Tensor, methods, track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["manual_seed", "seed", "initial_seed", "Generator", "default_generator",
           "get_rng_state", "set_rng_state", "rand", "randn", "randint", "randperm", "normal",
           "bernoulli", "multinomial", "poisson", "rand_like", "randn_like", "randint_like"]


# ---- helpers -------------------------------------------------------------------------------------
def _rng_for(generator, device):
    """The sampling primitives of ``generator`` (checked against ``device``) or the default one."""
    dev = _backend.as_device(device)
    if generator is None:
        return default_generator._rng if dev.type == "cpu" else cuda_generator(dev.index or 0)._rng
    if generator.device.type != dev.type:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator._rng


def _float_draw(rng, kind, shape, nd):
    """Uniform or normal samples drawn directly in ``nd`` (float16 by way of float32)."""
    dt = nd if nd in (np.float32, np.float64) else np.dtype(np.float32)
    r = rng.random(shape, dt) if kind == "u" else rng.normal(shape, dt)
    return r if r.dtype == nd else r.astype(nd)


def _size(size, kw):
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    if "size" in kw:
        size = (kw.pop("size"),)
    if kw:
        raise TypeError(f"got unexpected keyword arguments {sorted(kw)}")
    return size_arg(size)


def _title(nd):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(np.dtype(nd).name, np.dtype(nd).name)


def _need_float(nd, kernel):
    if np.dtype(nd).kind not in "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_title(nd)}\'')


def _finish(arr, out, requires_grad):
    if out is not None:
        out._data = arr
        out._vc[0] += 1
        return out
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dt(dtype, out):
    if dtype is not None:
        return _dtype.as_dtype(dtype).np
    return out._data.dtype if out is not None else _dtype.get_default_dtype().np


# ---- sampling functions --------------------------------------------------------------------------
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw):
    """Uniform samples from ``[0, 1)`` of the given shape (default float dtype).

    Example::

        ember.rand(2, 3); ember.rand((2, 3), generator=g)
    """
    shape = _size(size, kw)
    nd = _dt(dtype, out)
    _need_float(nd, "check_uniform_bounds")
    arr = _float_draw(_rng_for(generator, device), "u", shape, nd)
    return _finish(arr, out, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kw):
    """Standard normal samples of the given shape."""
    shape = _size(size, kw)
    nd = _dt(dtype, out)
    _need_float(nd, "normal_kernel_cpu")
    arr = _float_draw(_rng_for(generator, device), "n", shape, nd)
    return _finish(arr, out, requires_grad)


_INT_BOUNDS = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max)
               for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}
_INT_BOUNDS[np.dtype(np.bool_)] = (0, 1)
_CPP = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
        "int64": "long", "bool": "bool"}


def _int_sample(rng, low, high, shape, nd, fn="random_"):
    """Integers in ``[low, high)`` drawn as int64 and stored as ``nd`` (any dtype)."""
    if low >= high:
        raise RuntimeError(f"{fn} expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    b = _INT_BOUNDS.get(np.dtype(nd))
    if b is not None:
        if not b[0] <= low <= b[1]:
            raise RuntimeError(f"from is out of bounds for {_CPP[np.dtype(nd).name]}")
        if not b[0] <= high - 1 <= b[1]:
            raise RuntimeError(f"to - 1 is out of bounds for {_CPP[np.dtype(nd).name]}")
    return rng.integers(low, high, shape).astype(nd, copy=False)


_I64_MIN, _I64_END = -(1 << 63), 1 << 63


def _plain_shape(size):
    """Whether ``size`` is a tuple of non-negative Python ints (NOTE: ``randint``'s fast path, for
    data augmentation's per-item ``randint(0, 5, (2,))``: no argument parsing, int64 drawn as is)."""
    if size.__class__ is not tuple:
        return False
    for s in size:
        if s.__class__ is not int or s < 0:
            return False
    return True


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """Integers drawn uniformly from ``[low, high)``; ``randint(high, size)`` starts at 0.

    Example::

        ember.randint(10, (3,)); ember.randint(3, 10, (2, 2))
    """
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if (generator is out is dtype is device is None and requires_grad is False
            and low.__class__ is high.__class__ is int and _I64_MIN <= low < high < _I64_END
            and _plain_shape(size)):
        return wrap(default_generator._rng.integers(low, high, size))
    if size is None or high is None:
        raise TypeError("randint() received an invalid combination of arguments: expected "
                        "(int high, tuple of ints size) or (int low, int high, tuple of ints size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape = size_arg((size,))
    nd = _dtype.as_dtype(dtype).np if dtype is not None else (
        out._data.dtype if out is not None else np.dtype(np.int64))
    low, high = operator.index(low), operator.index(high)
    if not (_I64_MIN <= low < _I64_END and _I64_MIN <= high < _I64_END):
        raise ValueError("Overflow when unpacking long long")  # PyTorch's bounds are int64s
    arr = _int_sample(_rng_for(generator, device), low, high, shape, nd)
    return _finish(arr, out, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of ``0 .. n-1`` (int64 by default)."""
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    nd = np.dtype(np.int64) if dtype is None else _dtype.as_dtype(dtype).np
    arr = _rng_for(generator, device).permutation(n).astype(nd, copy=False)
    return _finish(arr, out, requires_grad)


class _ZeroGrad(Node):
    """Sampling is not differentiated: PyTorch's formulas for these nodes are zeros."""

    def backward(self, g):
        z = g * 0
        return tuple(None if e is None else z for e in self._next)


class NormalBackward1(_ZeroGrad):
    pass


class NormalBackward2(_ZeroGrad):
    pass


class NormalBackward3(_ZeroGrad):
    pass


class BernoulliBackward0(_ZeroGrad):
    pass


def _zero_tracked(arr, node_cls, inputs):
    if STATE.enabled and any(t is not None and t._rg for t in inputs):
        return track(arr, node_cls(), inputs)
    return wrap(arr)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """Normal samples with the given ``mean`` and ``std`` (tensors broadcast together, or numbers
    with a ``size``).

    Example::

        ember.normal(ember.zeros(3), 1.0); ember.normal(0.0, 1.0, size=(2, 3))
    """
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: two numbers "
                            "need a size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        r = randn(size, generator=generator, dtype=dtype, device=device)
        arr = r._data * r._data.dtype.type(std) + r._data.dtype.type(mean)
        return _finish(arr, out, requires_grad)
    like = mean if mt else std
    dev = like.device
    if mt and st:
        from ember._ops._util import promote_arrays
        md, sd = promote_arrays(mean._data, std._data)
        try:
            shape = np.broadcast_shapes(md.shape, sd.shape)
        except ValueError:
            from ember._ops.linalg import _broadcast_error
            _broadcast_error(md.shape, sd.shape)
            raise
    else:
        md = mean._data if mt else mean
        sd = std._data if st else std
        shape = like._data.shape
    nd = (md if mt else sd).dtype
    _need_float(nd, "normal_kernel_cpu")
    if st and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = _float_draw(_rng_for(generator, dev), "n", shape, nd)
    arr = z * (sd if st else nd.type(sd)) + (md if mt else nd.type(md))
    node = NormalBackward3 if mt and st else NormalBackward1 if mt else NormalBackward2
    r = _zero_tracked(arr.astype(nd, copy=False), node, (mean if mt else None, std if st else None)
                      if mt and st else ((mean,) if mt else (std,)))
    return r if out is None else _finish(r._data, out, False)


def _check_probs(d):
    if d.size and (bool((d < 0).any()) or bool((d > 1).any()) or bool(np.isnan(d).any())):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples, 1 with probability ``input`` (elementwise), or ``p`` when given; the result has
    ``input``'s shape and dtype."""
    d = input._data
    rng = _rng_for(generator, input.device)
    if p is None:
        _need_float(d.dtype, "bernoulli_tensor_cpu_p_")
        _check_probs(d)
        probs = d
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        probs = p
    u = _float_draw(rng, "u", d.shape, d.dtype if d.dtype.kind == "f" else np.dtype(np.float64))
    arr = (u < probs).astype(d.dtype)
    r = _zero_tracked(arr, BernoulliBackward0, (input,))
    return r if out is None else _finish(r._data, out, False)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the categorical distributions in the last dim of ``input`` (weights,
    need not sum to 1); one row of ``num_samples`` indices per distribution, int64.

    Without replacement each index appears at most once per row.
    """
    d = input._data
    if d.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_title(d.dtype)}")
    if d.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n_cat = d.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if n_cat > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    xp = _backend.xp_of(d)
    p = d.reshape(-1, n_cat).astype(np.float64)
    if not bool(xp.isfinite(p).all()) or bool((p < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool((p.sum(1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = p.shape[0]
    rng = _rng_for(generator, input.device)
    if replacement:
        # inverse CDF, all rows in one searchsorted: row r's CDF is shifted into [r, r + 1]
        cdf = xp.cumsum(p, 1)
        cdf /= cdf[:, -1:]
        shift = xp.arange(rows, dtype=np.float64)[:, None]
        u = rng.random((rows, num_samples), np.float64)
        idx = xp.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="right")
        idx = idx.reshape(rows, num_samples) - (shift * n_cat).astype(np.int64)
        idx = xp.minimum(idx, n_cat - 1)
    else:
        # NOTE: once the nonzero categories are used up, PyTorch goes on with the zero ones
        # Efraimidis-Spirakis: the num_samples largest u ** (1 / p) are a draw without replacement
        u = rng.random(p.shape, np.float64)
        with np.errstate(divide="ignore"):
            keys = xp.log(u) / p
        idx = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    arr = idx.astype(np.int64, copy=False).reshape(d.shape[:-1] + (num_samples,))
    return _finish(arr, out, False)


def poisson(input, generator=None):
    """Poisson samples with rates ``input`` (same shape and dtype)."""
    d = input._data
    _need_float(d.dtype, "poisson_cpu")
    if generator is not None or input.is_cuda:
        rng = _rng_for(generator, input.device)
        src = getattr(rng.g, "poisson")
    else:
        src = default_generator._rng.g.poisson
    # NOTE: with size given, NumPy returns an array also for a 0-d input (else a Python int)
    return wrap(src(d.astype(np.float64), size=d.shape).astype(d.dtype))


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):
    """Uniform ``[0, 1)`` samples with the shape (and dtype, device) of ``input``."""
    return rand(input._data.shape, generator=generator,
                dtype=input.dtype if dtype is None else dtype,
                device=input.device if device is None else device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):
    """Standard normal samples with the shape (and dtype, device) of ``input``."""
    return randn(input._data.shape, generator=generator,
                 dtype=input.dtype if dtype is None else dtype,
                 device=input.device if device is None else device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    """Integers from ``[low, high)`` with the shape (and dtype, device) of ``input``;
    ``randint_like(x, high)`` starts at 0."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator,
                   dtype=input.dtype if dtype is None else dtype,
                   device=input.device if device is None else device, requires_grad=requires_grad)


# ---- in-place sampling methods -------------------------------------------------------------------
def _fill(self, arr):
    from ember._ops.inplace import apply_inplace
    return apply_inplace(self, lambda s: wrap(arr))


def _self_rng(self, generator):
    return _rng_for(generator, self.device)


def uniform_(self, from_=0, to=1, *, generator=None, **kw):
    """Fill with uniform samples from ``[from, to)``."""
    from_ = kw.pop("from", from_)
    d = self._data
    _need_float(d.dtype, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} "
                           f"> to={to}")
    u = _float_draw(_self_rng(self, generator), "u", d.shape, d.dtype)
    t = d.dtype.type
    return _fill(self, u * t(to - from_) + t(from_))


def normal_(self, mean=0, std=1, *, generator=None):
    """Fill with normal samples."""
    d = self._data
    _need_float(d.dtype, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = _float_draw(_self_rng(self, generator), "n", d.shape, d.dtype)
    t = d.dtype.type
    return _fill(self, z * t(std) + t(mean))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a tensor of probabilities)."""
    d = self._data
    if isinstance(p, Tensor):
        _check_probs(p._data)
        probs = p._data
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        probs = p
    u = _float_draw(_self_rng(self, generator), "u", d.shape,
                    d.dtype if d.dtype.kind == "f" else np.dtype(np.float64))
    return _fill(self, (u < probs).astype(d.dtype))


_FLOAT_SPAN = {"float16": 1 << 11, "float32": 1 << 24, "float64": 1 << 53}


def random_(self, from_=0, to=None, *, generator=None, **kw):
    """Fill with integers from ``[from, to)``; without ``to`` up to ``2**mantissa`` (floats) or
    the dtype's maximum, inclusive."""
    from_ = kw.pop("from", from_)
    d = self._data
    if to is None:
        hi = _FLOAT_SPAN.get(d.dtype.name)
        to = (hi if hi is not None else _INT_BOUNDS[d.dtype][1]) + 1
    return _fill(self, _int_sample(_self_rng(self, generator), operator.index(from_),
                                   operator.index(to), d.shape, d.dtype))


def _random_method(self, *args, generator=None, **kw):
    # Tensor.random_(to) means [0, to); random_(from, to) means [from, to)
    if len(args) == 1:
        return random_(self, 0, args[0], generator=generator)
    return random_(self, *args, generator=generator, **kw)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with exponential samples of rate ``lambd``."""
    d = self._data
    _need_float(d.dtype, "exponential_cpu")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _float_draw(_self_rng(self, generator), "u", d.shape, d.dtype)
    return _fill(self, -np.log1p(-u) / d.dtype.type(lambd))


def geometric_(self, p, *, generator=None):
    """Fill with geometric samples: the number of trials up to the first success (>= 1)."""
    d = self._data
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _self_rng(self, generator).random(d.shape, np.float64)
    k = np.floor(np.log1p(-u) / np.log1p(-p)) + 1
    return _fill(self, k.astype(d.dtype))


def log_normal_(self, mean=1, std=2, *, generator=None):
    """Fill with samples whose logarithm is normal(mean, std)."""
    d = self._data
    _need_float(d.dtype, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = _float_draw(_self_rng(self, generator), "n", d.shape, d.dtype)
    t = d.dtype.type
    return _fill(self, np.exp(z * t(std) + t(mean)))


def cauchy_(self, median=0, sigma=1, *, generator=None):
    """Fill with Cauchy samples."""
    d = self._data
    _need_float(d.dtype, "cauchy_cpu")
    u = _float_draw(_self_rng(self, generator), "u", d.shape, d.dtype)
    t = d.dtype.type
    return _fill(self, t(median) + t(sigma) * np.tan(t(np.pi) * (u - t(0.5))))


methods(
    uniform_=uniform_, normal_=normal_, bernoulli_=bernoulli_, random_=_random_method,
    exponential_=exponential_, geometric_=geometric_, log_normal_=log_normal_, cauchy_=cauchy_,
    bernoulli=bernoulli, multinomial=multinomial,
)

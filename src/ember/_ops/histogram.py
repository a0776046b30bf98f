"""Order statistics and histograms: ``quantile``, ``nanquantile``, ``nanmedian``, ``mode``,
``histc``, ``histogram``, ``cov``, ``corrcoef``.

``quantile`` is PyTorch's composition (sort, gather below and above the rank, interpolate), so its
gradient goes to the sorted positions it read. ``nanmedian`` and ``mode`` select values like
``median``; ``cov`` and ``corrcoef`` are PyTorch's compositions of differentiable ops. The
histograms have no gradient, as in PyTorch.
"""
import math
import warnings

import numpy as np

from ember._backend import xp_of
from ember._ops._arith import _out
from ember._ops._select import _structseq, return_types, take_along, torch_kwargs
from ember._ops.compare import where
from ember._ops.creation import _linspace
from ember._ops.reduce import check_nonempty, type_name
from ember._ops.sort import MedianBackward0, SortBackward0, _order, _selected, sort
from ember._tensor import Tensor, _wrap_dim, methods, track, wrap
from ember.autograd.grad_mode import STATE

__all__ = ["quantile", "nanquantile", "nanmedian", "mode", "histc", "histogram", "cov",
           "corrcoef"]

_structseq("nanmedian")
_structseq("histogram", ("hist", "bin_edges"))

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ---- quantile ----------------------------------------------------------------------------------
def _quantile_q(q, d, name):
    """``q`` as an array in ``d``'s dtype, and whether it was a scalar."""
    if isinstance(q, Tensor):
        qd = q._data
        if qd.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if qd.dtype != d.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if qd.size and not ((qd >= 0) & (qd <= 1)).all():
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        return qd.reshape(-1), qd.ndim == 0
    if not 0 <= q <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    return xp_of(d).asarray([q], dtype=d.dtype), True


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    d = input._data
    if d.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    qv, scalar = _quantile_q(q, d, name)
    if not d.size:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    xp = xp_of(d)
    if dim is None:
        x, axis = input.reshape(-1), 0
    else:
        axis = _wrap_dim(dim, d.ndim)
        x = input.reshape(1) if d.ndim == 0 else input
    s = sort(x, axis).values.movedim(axis, -1).unsqueeze(-2)  # (..., 1, n)
    sd = s._data
    last = sd.shape[-1] - 1
    nan = xp.isnan(sd)
    # NOTE: ranks are computed in the input's dtype, as PyTorch does (it decides floor/ceil)
    if ignore_nan:
        factor = (~nan).sum(-1, keepdims=True).astype(d.dtype) - 1
        ranks = qv[:, None] * factor
        fixed = ranks < 0
        ranks = xp.where(fixed, d.dtype.type(0), ranks)  # all-NaN lanes read their first NaN
    else:
        factor = xp.full(sd.shape[:-1] + (1,), last, d.dtype)
        ranks = qv[:, None] * factor
        fixed = nan.any(-1, keepdims=True) | xp.zeros(ranks.shape, bool)
        ranks = xp.where(fixed, d.dtype.type(last), ranks)  # NaN lanes read their (last) NaN
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)  # half to even, as PyTorch's round
    shape = ranks.shape
    s = s.expand(shape[:-1] + (sd.shape[-1],))
    below = ranks.astype(np.int64)
    r = take_along(s, below, -1)
    if interpolation in ("linear", "midpoint"):
        above = take_along(s, xp.ceil(ranks).astype(np.int64), -1)
        w = (ranks - below if interpolation == "linear"
             else xp.full(shape, 0.5, d.dtype)).astype(d.dtype)
        wt = wrap(w)
        if interpolation == "linear" and isinstance(q, Tensor) and q._rg and STATE.enabled:
            # the weight depends on q: PyTorch differentiates the result with respect to q too
            rt = where(wrap(fixed), wrap(ranks), q.reshape(-1, 1) * wrap(factor))
            wt = rt - wrap(below.astype(d.dtype))
        # PyTorch's lerp: from the nearer end, so w = 0 and w = 1 are exact
        r = where(wrap(w < 0.5), r + wt * (above - r), above - (above - r) * (1 - wt))
    r = r.squeeze(-1)  # (..., k)
    if keepdim:
        if dim is None:
            r = r.reshape((1,) * d.ndim + (r.shape[-1],))
        elif d.ndim:
            r = r.unsqueeze(axis)
    return r.squeeze(-1) if scalar else r.movedim(-1, 0)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The ``q``-quantiles of ``input`` along ``dim`` (all elements when ``None``). A lane that
    holds a NaN gives NaN.

    Args:
        input (Tensor): float32 or float64, non-empty.
        q (float or Tensor): in ``[0, 1]``; a 1-D tensor puts its quantiles in a new first dim.
        dim (int, optional): the dim to reduce.
        keepdim (bool): keep the reduced dim(s) with size 1.
        interpolation (str): between two data points ``i < j``: ``'linear'``, ``'lower'``
            (``i``), ``'higher'`` (``j``), ``'midpoint'`` or ``'nearest'``.

    Example::

        >>> ember.quantile(ember.tensor([1., 2., 3., 4.]), 0.5)
        tensor(2.5000)
    """
    return _out(_quantile(input, q, dim, keepdim, interpolation, False, "quantile"), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """:func:`quantile` ignoring NaNs (a lane of only NaNs gives NaN).

    Example::

        >>> ember.nanquantile(ember.tensor([1., float('nan'), 3.]), 0.5)
        tensor(2.)
    """
    return _out(_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"), out)


# ---- nanmedian, mode ----------------------------------------------------------------------------
class NanmedianBackward0(MedianBackward0):
    pass


class NanmedianBackward1(SortBackward0):
    pass


class ModeBackward0(SortBackward0):
    pass


@torch_kwargs("nanmedian")
def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` ignoring NaNs: the lower median of the other values (NaN when there are
    none). With ``dim``: ``(values, indices)`` along it.

    Example::

        >>> ember.nanmedian(ember.tensor([1., float('nan'), 4., 2.]))
        tensor(2.)
    """
    d = input._data
    if d.dtype == np.bool_:
        raise NotImplementedError('"median_cpu" not implemented for \'Bool\'')
    xp = xp_of(d)
    if dim is None:
        flat = d.reshape(-1)
        valid = flat[~xp.isnan(flat)] if d.dtype.kind == "f" else flat
        if not valid.size:
            fill = np.nan if d.dtype.kind in "fc" else np.iinfo(d.dtype).min
            r = xp.full((), fill, d.dtype)
        else:
            r = xp.sort(valid)[(valid.size - 1) // 2].reshape(())
        if STATE.enabled and input._rg and d.dtype.kind in "fc":
            node = NanmedianBackward0()
            node.save_for_backward(input)
            node._r = r
            return track(r, node, (input,))
        return wrap(r)
    axis = _wrap_dim(dim, d.ndim)
    index = None
    if d.ndim:
        check_nonempty(d, (axis,), "nanmedian")
        order = _order(d, axis, False)  # stable, NaNs last
        valid = d.shape[axis]
        if d.dtype.kind == "f":
            valid = (~xp.isnan(d)).sum(axis=axis, keepdims=True)
        # NOTE: PyTorch's (valid - 1) / 2 truncates towards 0, so an all-NaN lane reads position 0
        k = xp.maximum((xp.asarray(valid) - 1) // 2, 0).astype(np.int64)
        k = xp.broadcast_to(k, d.shape[:axis] + (1,) + d.shape[axis + 1:])
        index = xp.take_along_axis(order, k, axis)
    return _selected(input, index, axis, keepdim, NanmedianBackward1, return_types.nanmedian)


@torch_kwargs("mode")
def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence.

    Example::

        >>> ember.mode(ember.tensor([3, 1, 3, 1, 2]))
        torch.return_types.mode(values=tensor(1), indices=tensor(3))
    """
    d = input._data
    xp = xp_of(d)
    axis = _wrap_dim(dim, d.ndim)
    if not d.ndim:
        return _selected(input, None, axis, keepdim, ModeBackward0, return_types.mode)
    n = d.shape[axis]
    check_nonempty(d, (axis,), "mode")
    order = xp.moveaxis(_order(d, axis, False), axis, -1)
    sv = xp.take_along_axis(xp.moveaxis(d, axis, -1), order, -1)
    pos = xp.arange(n)
    starts = xp.concatenate([xp.ones(sv.shape[:-1] + (1,), bool), sv[..., 1:] != sv[..., :-1]],
                            -1)
    ends = xp.concatenate([starts[..., 1:], xp.ones(sv.shape[:-1] + (1,), bool)], -1)
    first = xp.maximum.accumulate(xp.where(starts, pos, 0), axis=-1)
    count = xp.where(ends, pos - first + 1, 0)
    best = count.argmax(-1)[..., None]  # the first (smallest) of the most frequent runs
    index = xp.moveaxis(xp.take_along_axis(order, best, -1), -1, axis)
    return _selected(input, index, axis, keepdim, ModeBackward0, return_types.mode)


# ---- histograms ---------------------------------------------------------------------------------
def _hist_float(d, name):
    if d.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(d.dtype)}\'')


def _linear_bins(x, lo, hi, bins, edges, local_search):
    """Bin of each element for ``bins`` equal bins over ``[lo, hi]`` (-1 outside, NaN too), by
    PyTorch's division; ``local_search`` corrects it against ``edges`` as ``histogram`` does."""
    xp = xp_of(x)
    dt = x.dtype.type
    inside = (x >= lo) & (x <= hi)
    with np.errstate(invalid="ignore"):
        pos = ((xp.where(inside, x, lo) - dt(lo)) * dt(bins) / (dt(hi) - dt(lo))).astype(np.int64)
    if local_search:
        pos = xp.clip(pos, 0, bins)
        pos = pos - (x < edges[pos]) + (x >= edges[xp.minimum(pos + 1, bins)]) * (pos < bins)
    pos = xp.minimum(pos, bins - 1)
    return xp.where(inside, pos, -1)


def _count(pos, w, bins, dtype):
    xp = xp_of(pos)
    keep = pos >= 0
    wk = None if w is None else w[keep]
    return xp.bincount(pos[keep], weights=wk, minlength=bins).astype(dtype)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Counts of the elements of ``input`` in ``bins`` equal-width bins over ``[min, max]``
    (``min == max``: the data's range); elements outside are ignored. Float input, no gradient.

    Example::

        >>> ember.histc(ember.tensor([1., 2., 1.]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    d = input._data
    _hist_float(d, "histogram_cpu")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(d.min()), float(d.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    edges = _linspace(lo, hi, bins + 1, d.dtype)
    x = d.reshape(-1)
    pos = _linear_bins(x, edges[0], edges[-1], bins, edges, False)
    return _out(wrap(_count(pos, None, bins, d.dtype)), out)


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """A histogram of ``input``: ``(hist, bin_edges)``.

    Args:
        input (Tensor): float values (flattened).
        bins (int or Tensor): the number of equal bins over ``range`` (default the data's
            range), or the increasing bin edges. The last bin includes its right edge.
        range (tuple, optional): ``(min, max)`` for integer ``bins``.
        weight (Tensor, optional): a weight per element (shaped like ``input``).
        density (bool): normalise so the histogram integrates to 1.

    Example::

        >>> ember.histogram(ember.tensor([1., 2., 1.]), bins=2, range=(0., 2.))
        torch.return_types.histogram(hist=tensor([0., 3.]), bin_edges=tensor([0., 1., 2.]))
    """
    d = input._data
    xp = xp_of(d)
    _hist_float(d, "histogram_cpu" if isinstance(bins, Tensor) else "histogramdd")
    if d.dtype == np.float16 and not isinstance(bins, Tensor):  # (PyTorch's histogramdd kernel)
        raise NotImplementedError("\"histogramdd\" not implemented for 'Half'")
    w = None
    if weight is not None:
        w = weight._data
        if w.shape != d.shape:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have "
                               "the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape {list(d.shape) + [1]} and "
                               f"weight with shape {list(w.shape)}")
        w = w.reshape(-1)
    x = d.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins._data
        if edges.ndim != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but "
                               f"got {edges.ndim} dimensions in the bins tensor for dimension 0")
        if edges.dtype != d.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the "
                               f"same dtype, but got input with dtype {d.dtype.name[:-2]} and "
                               f"bins for dimension 0 with dtype {edges.dtype.name[:-2]}")
        if edges.shape[0] == 0:
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, "
                               "but got 0 elements in the bins tensor for dimension 0")
        n = edges.shape[0] - 1
        if n == 0:
            raise RuntimeError("torch.histogram(): bins must be > 0, but got 0 for dimension 0")
        inside = (x >= edges[0]) & (x <= edges[-1])
        pos = xp.minimum(xp.searchsorted(edges, xp.where(inside, x, edges[0]), "right") - 1,
                         n - 1)
        pos = xp.where(inside, pos, -1)
    else:
        n = int(bins)
        if n <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for "
                               "dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif x.size:
            lo, hi = float(x.min()), float(x.max())
        else:
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not "
                               "finite")
        if lo > hi:
            raise RuntimeError("torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension 0")
        if lo == hi:  # NumPy's widening, which avoids dividing by a zero width
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.asarray(_linspace(lo, hi, n + 1, d.dtype))
        pos = _linear_bins(x, edges[0], edges[-1], n, edges, True)
    hist = _count(pos, w, n, d.dtype)
    if density:
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = (hist / hist.sum() / xp.diff(edges)).astype(d.dtype)
    res = return_types.histogram(wrap(hist), wrap(edges.copy()))
    if out is not None:
        for r, o in zip(res, out):
            _out(r, o)
        return return_types.histogram(*out)
    return res


# ---- covariance ---------------------------------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns); a 1-D input is one variable (the result is then 0-D).

    Args:
        input (Tensor): ``(variables, observations)`` or ``(observations,)``.
        correction (int): subtracted from the number of observations (1: unbiased).
        fweights (Tensor, optional): integer frequency of each observation.
        aweights (Tensor, optional): float importance weight of each observation.

    Example::

        >>> ember.cov(ember.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.], [-1.,  1.]])
    """
    if input.dim() > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        f = fweights._data
        if f.ndim > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but got "
                               f"fweights with {f.ndim} dimensions")
        if f.dtype.kind not in "iu":
            raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights "
                               f"with {type_name(f.dtype)} dtype")
        if f.size != n:
            raise RuntimeError("cov(): expected fweights to have the same numel as there are "
                               f"observations in the input but got {f.size} != {n}")
        if n and f.min() < 0:
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        a = aweights._data
        if a.ndim > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but got "
                               f"aweights with {a.ndim} dimensions")
        if a.dtype.kind != "f":
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {type_name(a.dtype)} dtype")
        if a.size != n:
            raise RuntimeError("cov(): expected aweights to have the same numel as there are "
                               f"observations in the input but got {a.size} != {n}")
        if n and a.min() < 0:
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is not None:
        w_sum = w.sum()
        if not w_sum._data.item():
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    else:
        w_sum = wrap(xp_of(x._data).asarray(n, dtype=np.int64))
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if norm._data.item() <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    x = x - avg.unsqueeze(1)
    c = x.matmul((x if w is None else x * w).t())  # (real inputs only: no conj)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c / norm).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input`` (see
    :func:`cov`), clipped to ``[-1, 1]``.

    Example::

        >>> ember.corrcoef(ember.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.], [-1.,  1.]])
    """
    if input.dim() > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.dim()} dimensions")
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.dim() == 0:  # NaN for a zero, infinite or NaN variance, else 1
            return c / c
        sd = c.diagonal().sqrt()
        c = c / sd.reshape(-1, 1)
        c = c / sd.reshape(1, -1)
    return c.clip(-1, 1)


methods(quantile=quantile, nanquantile=nanquantile, nanmedian=nanmedian, mode=mode, histc=histc,
        histogram=histogram, cov=cov, corrcoef=corrcoef)

"""``affine_grid`` and ``grid_sample``, as PyTorch's ``AffineGridGenerator.cpp`` and
``GridSampler.cpp`` / ``GridSampler.h``.

``affine_grid`` is a composition (a base grid times ``theta``), so its gradient is free.
``grid_sample`` is a primitive: its gradient with respect to the grid goes through the floor and
the padding's clipping and reflection, which a composition of Tensor ops would not express as
PyTorch does. Every output pixel is computed at once with NumPy (no loop over pixels): the taps
(4 for bilinear, 16 for bicubic) are gathered from the flattened planes, and the input's gradient
is one ``bincount`` over all taps. The backward is not itself differentiable (PyTorch's isn't
either).
"""
import warnings

import numpy as np

from ember._backend import xp_of
from ember._ops.reduce import type_name
from ember._tensor import track, wrap
from ember.autograd.grad_mode import STATE
from ember.autograd.graph import Node

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                  "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.")
_A = -0.75  # the bicubic convolution's constant, as PyTorch's


# ---- affine_grid ---------------------------------------------------------------------------------

def _linspace_from_neg_one(theta, num_steps, align_corners):
    from ember._ops.creation import linspace
    if num_steps <= 1:
        return theta.new_zeros(())
    r = linspace(-1, 1, num_steps, dtype=theta.dtype, device=theta.device)
    if not align_corners:
        r = r * (num_steps - 1) / num_steps
    return r


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine transforms, for :func:`grid_sample`: each output
    location's normalized coordinates ``(x, y[, z], 1)`` (in [-1, 1]) times ``theta``'s transpose.

    Args:
        theta (Tensor): ``(N, 2, 3)`` (2-D) or ``(N, 3, 4)`` (3-D) affine matrices.
        size (sequence of int): the output image size, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        align_corners (bool, optional): ``-1`` and ``1`` are the corner pixels' centers (True) or
            the image's corners (False). Default: False (with a warning when not given).

    Shape:
        Output: ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``.

    Example::

        >>> theta = ember.tensor([[[1., 0., 0.], [0., 1., 0.]]])
        >>> F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)  # the messages show the size as given, as PyTorch's
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError("Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{given}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError("Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{given}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {given}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    n = size[0]
    if theta.shape[0] != n:
        k = theta.shape[-1]
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {k}] but got: [{theta.shape[0]}, {k}].")
    from ember._ops.join import stack
    # base[..., i] is the i-th coordinate (x = width first) of each output location, then 1
    lins = [_linspace_from_neg_one(theta, s, align_corners) for s in reversed(spatial)]
    nd = len(spatial)
    axes = []
    for i, lin in enumerate(lins):  # lins[i] runs along spatial dim nd - 1 - i
        shape = [1] * nd
        if lin.dim():
            shape[nd - 1 - i] = lin.shape[0]
        axes.append(lin.reshape(shape).expand(spatial))
    axes.append(theta.new_ones(spatial))
    base = stack(axes, -1).reshape(1, -1, nd + 1)
    grid = base.matmul(theta.transpose(1, 2))  # (N, prod(spatial), nd)
    return grid.reshape([n] + list(spatial) + [nd])


# ---- grid_sample: coordinates ---------------------------------------------------------------------

def _unnormalize(coord, size, align):
    """Pixel coordinates of normalized ones, and d(pixel)/d(normalized)."""
    if align:
        return (coord + 1) / 2 * (size - 1), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2


def _clip(xp, coord, size):
    """``coord`` clipped to [0, size - 1] and its derivative (0 where clipped, as PyTorch's)."""
    grad = ((coord > 0) & (coord < size - 1)).astype(coord.dtype)
    return xp.minimum(xp.maximum(coord, 0), size - 1), grad


def _reflect(xp, coord, twice_low, twice_high):
    """``coord`` reflected into [low, high] and its derivative (+-1)."""
    if twice_low == twice_high:
        return xp.zeros_like(coord), xp.zeros_like(coord)
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    d = coord - lo
    sign = xp.where(d < 0, -1, 1).astype(coord.dtype)
    d = xp.abs(d)
    extra = xp.fmod(d, span)
    even = (xp.floor(d / span) % 2) == 0
    return xp.where(even, extra + lo, span - extra + lo), xp.where(even, sign, -sign)


def _pad_coords(xp, coord, size, padding, align):
    """PyTorch's ``compute_coordinates``: the padding's mapping of pixel coordinates, and its
    derivative."""
    if padding == "border":
        return _clip(xp, coord, size)
    if padding == "reflection":
        c, g = (_reflect(xp, coord, 0, 2 * (size - 1)) if align
                else _reflect(xp, coord, -1, 2 * size - 1))
        c, g2 = _clip(xp, c, size)
        return c, g * g2
    return coord, None


def _source_index(xp, coord, size, padding, align):
    """PyTorch's ``grid_sampler_compute_source_index``, with its derivative."""
    c, mult = _unnormalize(coord, size, align)
    c, g = _pad_coords(xp, c, size, padding, align)
    return c, (mult if g is None else g * mult)


# ---- grid_sample: gathering and scattering taps ---------------------------------------------------

class _Taps:
    """Reads and accumulates the input at integer pixel positions ``(iy, ix)`` of shape
    ``(N, P)``; positions out of the image read 0 and receive nothing."""

    def __init__(self, x, h, w):
        self.xp = xp_of(x)
        self.n, self.c = x.shape[:2]
        self.h, self.w = h, w
        self.flat = x.reshape(self.n, self.c, h * w)
        self.dtype = x.dtype
        self.idx, self.vals = [], []

    def where(self, iy, ix):
        ok = (iy >= 0) & (iy < self.h) & (ix >= 0) & (ix < self.w)
        pos = self.xp.where(ok, iy * self.w + ix, 0).astype(np.int64)
        return pos, ok

    def read(self, iy, ix):
        """``(N, C, P)`` values at the positions."""
        pos, ok = self.where(iy, ix)
        v = self.xp.take_along_axis(self.flat, pos[:, None, :], 2)
        return v * ok[:, None, :].astype(self.dtype)

    def add(self, iy, ix, vals):
        """Accumulate ``vals`` ``(N, C, P)`` into the positions (see :meth:`total`)."""
        pos, ok = self.where(iy, ix)
        xp = self.xp
        base = (xp.arange(self.n * self.c, dtype=np.int64) * (self.h * self.w)).reshape(
            self.n, self.c, 1)
        self.idx.append((base + pos[:, None, :]).ravel())
        self.vals.append((vals * ok[:, None, :]).ravel())

    def total(self):
        xp, size = self.xp, self.n * self.c * self.h * self.w
        if not self.idx:
            return xp.zeros((self.n, self.c, self.h, self.w), self.dtype)
        r = xp.bincount(xp.concatenate(self.idx), xp.concatenate(self.vals), minlength=size)
        return r.astype(self.dtype).reshape(self.n, self.c, self.h, self.w)


def _cubic_coeffs(t):
    """The 4 bicubic convolution weights at fractional offset ``t`` (PyTorch's
    ``get_cubic_upsample_coefficients``)."""
    a = _A

    def c1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def c2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]


def _cubic_coeffs_grad(t):
    """PyTorch's ``get_cubic_coefficients_grad``: derivatives of the weights (its sign
    convention: the caller subtracts)."""
    a = _A
    x0, x1, x2, x3 = -1 - t, -t, 1 - t, 2 - t
    return [(-3 * a * x0 - 10 * a) * x0 - 8 * a,
            (-3 * (a + 2) * x1 - 2 * (a + 3)) * x1,
            (3 * (a + 2) * x2 - 2 * (a + 3)) * x2,
            (3 * a * x3 - 10 * a) * x3 + 8 * a]


def _sample(x, grid, mode, padding, align, g=None, need_input=False, need_grid=False):
    """The forward (``g is None``: returns ``(N, C, P)``) or the backward (returns the input's and
    the grid's gradients) of 2-D grid sampling; ``grid`` is ``(N, P, 2)``."""
    xp = xp_of(x)
    h, w = x.shape[2:]
    taps = _Taps(x, h, w)
    gx, gy = grid[..., 0], grid[..., 1]
    fwd = g is None
    out = gix = giy = None
    if mode == "bicubic":
        ix, mx = _unnormalize(gx, w, align)
        iy, my = _unnormalize(gy, h, align)
        x0, y0 = xp.floor(ix), xp.floor(iy)
        tx, ty = ix - x0, iy - y0
        cx, cy = _cubic_coeffs(tx), _cubic_coeffs(ty)
        if need_grid:
            dx, dy = _cubic_coeffs_grad(tx), _cubic_coeffs_grad(ty)
            gix, giy = xp.zeros_like(ix), xp.zeros_like(iy)
        cols = [_pad_coords(xp, x0 - 1 + i, w, padding, align)[0].astype(np.int64)
                for i in range(4)]
        rows = [_pad_coords(xp, y0 - 1 + j, h, padding, align)[0].astype(np.int64)
                for j in range(4)]
        if fwd:
            out = 0
        for j in range(4):
            for i in range(4):
                if fwd or need_grid:
                    v = taps.read(rows[j], cols[i])
                if fwd:
                    out = out + v * (cx[i] * cy[j])[:, None, :]
                    continue
                if need_input:
                    taps.add(rows[j], cols[i], g * (cx[i] * cy[j])[:, None, :])
                if need_grid:
                    vg = (v * g).sum(1)
                    gix -= vg * dx[i] * cy[j]
                    giy -= vg * dy[j] * cx[i]
        if need_grid:
            gix, giy = gix * mx, giy * my
    else:
        ix, mx = _source_index(xp, gx, w, padding, align)
        iy, my = _source_index(xp, gy, h, padding, align)
        if mode == "nearest":
            rx, ry = xp.rint(ix).astype(np.int64), xp.rint(iy).astype(np.int64)
            if fwd:
                return taps.read(ry, rx)
            if need_input:
                taps.add(ry, rx, g)
            gix = giy = xp.zeros_like(ix) if need_grid else None
        else:
            fx, fy = xp.floor(ix), xp.floor(iy)
            x0, y0 = fx.astype(np.int64), fy.astype(np.int64)
            wx, wy = ix - fx, iy - fy  # weights of the east and south taps
            corners = [(y0, x0, (1 - wx) * (1 - wy)), (y0, x0 + 1, wx * (1 - wy)),
                       (y0 + 1, x0, (1 - wx) * wy), (y0 + 1, x0 + 1, wx * wy)]
            # d(weight)/dx and d(weight)/dy of each corner
            dws = [(-(1 - wy), -(1 - wx)), (1 - wy, -wx), (-wy, 1 - wx), (wy, wx)]
            if fwd:
                out = 0
            elif need_grid:
                gix, giy = xp.zeros_like(ix), xp.zeros_like(iy)
            for (r, c, wt), (dwx, dwy) in zip(corners, dws):
                if fwd:
                    out = out + taps.read(r, c) * wt[:, None, :]
                    continue
                if need_input:
                    taps.add(r, c, g * wt[:, None, :])
                if need_grid:
                    vg = (taps.read(r, c) * g).sum(1)
                    gix += vg * dwx
                    giy += vg * dwy
        if need_grid:
            gix, giy = gix * mx, giy * my
    if fwd:
        return out
    gi = taps.total() if need_input else None
    gg = xp.stack([gix, giy], -1).astype(grid.dtype) if need_grid else None
    return gi, gg


class GridSampler2DBackward0(Node):
    def backward(self, g):
        x, grid = self.saved_tensors
        need_input, need_grid = self._next[0] is not None, self._next[1] is not None
        n, c = x.shape[:2]
        ho, wo = grid.shape[1:3]
        gd = g._data.reshape(n, c, ho * wo).astype(self.compute)
        gi, gg = _sample(x._data.astype(self.compute), grid._data.reshape(n, ho * wo, 2).astype(
            self.compute), self.mode, self.padding, self.align, gd, need_input, need_grid)
        return (wrap(gi.astype(x._data.dtype)) if need_input else None,
                wrap(gg.reshape(grid.shape).astype(grid._data.dtype)) if need_grid else None)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples ``input`` at the normalized locations of ``grid`` (``(-1, -1)`` the top-left,
    ``(1, 1)`` the bottom-right of the image), interpolating with ``mode``; locations outside the
    image read 0 (``'zeros'``), the nearest border pixel (``'border'``) or the image reflected at
    its border (``'reflection'``).

    Args:
        input (Tensor): ``(N, C, H_in, W_in)``.
        grid (Tensor): ``(N, H_out, W_out, 2)``, ``grid[..., 0]`` the x (width) coordinate.
        mode (str): ``'bilinear'`` | ``'nearest'`` | ``'bicubic'``. Default: ``'bilinear'``.
        padding_mode (str): ``'zeros'`` | ``'border'`` | ``'reflection'``. Default: ``'zeros'``.
        align_corners (bool, optional): ``-1`` and ``1`` are the corner pixels' centers (True) or
            the image's corners (False). Default: False (with a warning when not given).

    Shape:
        Output: ``(N, C, H_out, W_out)``.

    Example::

        >>> grid = F.affine_grid(ember.eye(2, 3)[None], (1, 1, 4, 4), align_corners=False)
        >>> F.grid_sample(ember.randn(1, 1, 4, 4), grid, align_corners=False).shape
        ember.Size([1, 1, 4, 4])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    xd, gd = input._data, grid._data
    sizes = f"input with sizes {list(xd.shape)} and grid with sizes {list(gd.shape)}"
    if xd.ndim and gd.ndim:
        if xd.shape[0] != gd.shape[0]:
            raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                               f"but got {sizes}")
    if gd.shape[-1] != xd.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {xd.ndim - 2} in last "
                           f"dimension, but got grid with sizes {list(gd.shape)}")
    for i in range(2, xd.ndim):
        if xd.shape[i] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(xd.shape)} with dimension "
                               f"{i} being empty")
    if xd.ndim == 5 and gd.ndim == 5:
        if mode == "bicubic":
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
        raise NotImplementedError("grid_sample: 5-D (volumetric) input is not supported by ember")
    if xd.ndim != 4 or gd.ndim != 4:
        # PyTorch takes any input that is not 4-D to its volumetric sampler
        raise RuntimeError(f"grid_sampler(): expected {'4D' if xd.ndim == 4 else '5D'} input and "
                           f"grid with same number of dimensions, but got {sizes}")
    if xd.dtype.kind != "f":
        raise NotImplementedError("\"grid_sampler_2d_cpu_kernel_impl\" not implemented for "
                                  f"'{type_name(xd.dtype)}'")
    if xd.dtype != gd.dtype:
        raise RuntimeError(f"expected scalar type {type_name(xd.dtype)} but found "
                           f"{type_name(gd.dtype)}")
    # NOTE: half precision is computed in float32 (PyTorch's CPU kernel accumulates in float too)
    compute = np.float32 if xd.dtype == np.float16 else xd.dtype
    n, c, _, _ = xd.shape
    ho, wo = gd.shape[1:3]
    out = _sample(xd.astype(compute, copy=False), gd.reshape(n, ho * wo, 2).astype(compute),
                  mode, padding_mode, bool(align_corners))
    r = out.reshape(n, c, ho, wo).astype(xd.dtype, copy=False)
    if STATE.enabled and (input._rg or grid._rg):
        node = GridSampler2DBackward0()
        node.mode, node.padding, node.align, node.compute = (mode, padding_mode,
                                                             bool(align_corners), compute)
        node.save_for_backward(input, grid)
        return track(r, node, (input, grid))
    return wrap(r)

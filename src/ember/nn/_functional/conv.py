"""Convolutions in ``ember.nn.functional``: ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d`` (the
primitives of ``ember._ops.conv``, as ``torch.nn.functional.conv2d is torch.conv2d``), and
``unfold`` / ``fold`` (im2col / col2im, each the other's gradient)."""
from ember._ops import _im2col
from ember._ops.conv import (_is_int, conv1d, conv2d, conv3d, conv_transpose1d,  # noqa: F401
                             conv_transpose2d, conv_transpose3d, fold_, unfold_)
from ember.nn._functional.pad import pad  # noqa: F401  (exported from here: one line in F)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold", "pad"]


def _pair(v, name):
    if _is_int(v):
        return (int(v), int(v))
    v = tuple(v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return tuple(int(e) for e in v)


def _hw(prefix, v):
    return f"{prefix}_height: {v[0]} {prefix}_width: {v[1]}"


def _check_args(k, d, p, s, order):
    checks = {
        "k": (any(e <= 0 for e in k), "kernel size should be greater than zero, but got "
              + _hw("kernel", k)),
        "d": (any(e <= 0 for e in d), "dilation should be greater than zero, but got "
              + _hw("dilation", d)),
        "p": (any(e < 0 for e in p), "padding should be non-negative, but got "
              + _hw("pad", p)),
        "s": (any(e <= 0 for e in s), "stride should be greater than zero, but got "
              + _hw("stride", s)),
    }
    for key in order:
        bad, msg = checks[key]
        if bad:
            raise RuntimeError(msg)


def _blocks(S, k, d, p, s):
    """How many block positions fit along each dim."""
    return tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                 for n, pp, dd, kk, ss in zip(S, p, d, k, s))


def _float_only(x, kernel):
    if x.dtype.kind != "f":
        from ember._ops.conv import _SNAME
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_SNAME.get(x.dtype.name, x.dtype.name)}'")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract the sliding blocks of a batched 2-D input as columns (im2col).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, dilation, padding, stride: int or pair of ints.

    Shape:
        Output ``(N, C * kH * kW, L)`` (``(C * kH * kW, L)`` unbatched) where ``L`` is the number
        of block positions, the product over both dims of
        ``(size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1``.

    Example::

        F.unfold(ember.randn(2, 3, 5, 5), kernel_size=2).shape    # ember.Size([2, 12, 16])
    """
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    x = input._data
    if x.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got 2)")
    _check_args(k, d, p, s, "kdps")
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(x.shape)}")
    S = x.shape[-2:]
    L = _blocks(S, k, d, p, s)
    if any(n < 1 for n in L):
        raise RuntimeError(f"Given input with spatial size {tuple(S)}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding "
                           f"blocks as {L}, but its components must be at least one.")
    _float_only(x, "im2col_out_cpu")
    g = _im2col.Geom(tuple(S), L, s, d, p)
    if x.ndim == 3:
        return unfold_(input.unsqueeze(0), g, k).squeeze(0)
    return unfold_(input, g, k)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine an array of sliding blocks into a batched 2-D tensor, summing overlaps (col2im);
    the adjoint of :func:`unfold`.

    Args:
        input: ``(N, C * kH * kW, L)`` or unbatched ``(C * kH * kW, L)``.
        output_size: the spatial size ``(H, W)`` of the result (int or pair).
        kernel_size, dilation, padding, stride: int or pair of ints, as for :func:`unfold`.

    Shape:
        Output ``(N, C, H, W)`` (``(C, H, W)`` unbatched).

    Example::

        x = ember.randn(2, 3, 5, 5)
        F.fold(F.unfold(x, 2), (5, 5), 2)    # x times how many blocks cover each pixel
    """
    o = _pair(output_size, "output_size")
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    x = input._data
    _check_args(k, d, p, s, "ksdp")
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: {list(x.shape)}")
    kk = k[0] * k[1]
    c = x.shape[-2]
    if c % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={c} and kernel_size={k}.")
    L = _blocks(o, k, d, p, s)
    if x.shape[-1] != L[0] * L[1]:
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {L[0]} * {L[1]} = {L[0] * L[1]}, "
                           f"but got input.size(2)={x.shape[-1]}.")
    if any(n < 1 for n in L):
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, calculated shape of the array of sliding blocks as {L}, "
                           "which is too small (non-positive)")
    _float_only(x, "col2im_out_cpu")
    g = _im2col.Geom(o, L, s, d, p)
    if x.ndim == 2:
        return fold_(input.unsqueeze(0), g, k).squeeze(0)
    return fold_(input, g, k)


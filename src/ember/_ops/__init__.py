"""Primitive operations by family. Importing this package attaches every family's methods to Tensor;
each module's ``__all__`` is what ``ember`` exports from it."""
from ember._ops import (binary_math, compare, complex_math, conv, convert,  # noqa: F401
                        counting, creation, elementwise, index, inplace, join, linalg, mask,
                        pixel_shuffle, pool_api, random, rearrange, reduce, scan, scatter, shape,
                        slicing, softmax, sort, stats, unary)

FAMILIES = (binary_math, compare, complex_math, conv, convert, counting, creation, elementwise,
            index, inplace, join, linalg, mask, pixel_shuffle, pool_api, random, rearrange, reduce,
            scan, scatter, shape, slicing, softmax, sort, stats, unary)


# NOTE: families of less common functions load on first use, so ``import ember`` stays fast: per
# module, the names ``ember`` exports from it and the Tensor methods it attaches (until then
# stubs that load it), space-separated; tests/test_import.py checks this table against the modules
LAZY = {
    "decomp": (
        "det logdet slogdet inverse cholesky matrix_power pinverse chain_matmul qr svd "
        "matrix_exp lu lu_unpack lu_solve cholesky_solve cholesky_inverse triangular_solve "
        "geqrf orgqr ormqr",
        "cholesky cholesky_inverse cholesky_solve det geqrf inverse logdet lu lu_solve "
        "matrix_exp matrix_power orgqr ormqr pinverse qr slogdet svd triangular_solve"),
    "distance": (
        "cdist pdist dist renorm",
        "dist renorm renorm_"),
    "histogram": (
        "quantile nanquantile nanmedian mode histc histogram cov corrcoef",
        "corrcoef cov histc histogram mode nanmedian nanquantile quantile"),
    "special_math": (
        "lgamma digamma polygamma mvlgamma erfinv i0 i0_ sinc sinc_ logit logit_ xlogy xlogy_ "
        "copysign nextafter frexp ldexp ldexp_ heaviside signbit gcd gcd_ lcm lcm_ deg2rad "
        "deg2rad_ rad2deg rad2deg_ logcumsumexp",
        "copysign copysign_ deg2rad deg2rad_ digamma digamma_ erfinv erfinv_ float_power_ frexp "
        "gcd gcd_ heaviside heaviside_ i0 i0_ lcm lcm_ ldexp ldexp_ lgamma lgamma_ logcumsumexp "
        "logit logit_ mvlgamma mvlgamma_ nextafter nextafter_ polygamma polygamma_ rad2deg "
        "rad2deg_ signbit sinc sinc_ xlogy xlogy_"),
    "structured": (
        "tril_indices triu_indices vander diagflat hsplit vsplit dsplit narrow_copy "
        "scatter_reduce",
        "diagflat dsplit fill_diagonal_ hsplit narrow_copy scatter_reduce scatter_reduce_ "
        "squeeze_ swapaxes_ swapdims_ t_ transpose_ unfold unsqueeze_ vsplit"),
    "windows": (
        "hann_window hamming_window bartlett_window blackman_window kaiser_window",
        ""),
    "spectral_stft": ("stft istft", "istft stft"),
    "extras": (
        "unique_consecutive unravel_index trapezoid trapz cumulative_trapezoid combinations "
        "scalar_tensor empty_strided split_with_sizes addr bitwise_left_shift "
        "bitwise_right_shift",
        "addbmm_ addmm_ addmv_ addr addr_ baddbmm_ bitwise_left_shift bitwise_left_shift_ "
        "bitwise_right_shift bitwise_right_shift_ split_with_sizes unique_consecutive "
        "__lshift__ __rshift__ __rlshift__ __rrshift__ __ilshift__ __irshift__"),
}


def lazy_method(module, name):
    """A Tensor method that loads ``module`` (whose ``methods(...)`` replaces it) and calls the
    real method."""
    import importlib

    def method(self, *args, **kwargs):
        from ember._tensor import Tensor
        importlib.import_module("ember._ops." + module)
        real = Tensor.__dict__.get(name)
        if real is method:
            raise AttributeError(f"'Tensor' object has no attribute '{name}'")
        return real(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    return method

"""``ember.backends``: PyTorch's switches for its compute libraries (``torch.backends.cudnn``,
``cuda``, ``mps``, ``mkldnn``, ``openmp``), so that training scripts that set them run.

Ember computes with NumPy/OpenBLAS (and CuPy on a GPU), not cuDNN, oneDNN or MPS: the flags are
kept as set, and the ``is_available()`` queries report what ember can use (cuDNN and MPS: no).

Example::

    ember.backends.cudnn.benchmark = True     # accepted; ember's convolutions pick no algorithm
"""
import types

__all__ = ["cudnn", "cuda", "mps", "mkldnn", "openmp", "mkl"]


def _no():
    return False


cudnn = types.SimpleNamespace(
    enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
    benchmark_limit=10, is_available=_no, version=lambda: None,
    is_acceptable=lambda tensor: False,
    __doc__="cuDNN's flags (kept as set); ember does not use cuDNN.")

cuda = types.SimpleNamespace(
    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                 allow_bf16_reduced_precision_reduction=True),
    is_built=lambda: _cupy_present(),
    __doc__="CUDA's matmul flags (kept as set); ember's GPU products are CuPy's.")

mps = types.SimpleNamespace(is_available=_no, is_built=_no,
                            __doc__="Apple's Metal: not available to ember.")
mkldnn = types.SimpleNamespace(enabled=True, is_available=_no,
                               __doc__="oneDNN: not used by ember (its CPU kernels are NumPy's).")
mkl = types.SimpleNamespace(is_available=_no, __doc__="MKL: not used by ember (OpenBLAS is).")
openmp = types.SimpleNamespace(is_available=_no,
                               __doc__="OpenMP: not used by ember (its threads are its own).")


def _cupy_present():
    import importlib.util
    return importlib.util.find_spec("cupy") is not None

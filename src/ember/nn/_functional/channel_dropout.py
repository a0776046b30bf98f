"""Channel dropout for images and volumes: ``F.dropout2d`` and ``F.dropout3d`` (``F.dropout1d``
lives with the other dropouts in ``dropout.py``).

Whole channels are zeroed: one keep/drop draw per ``(n, c)`` (per ``c`` for an unbatched
input), broadcast over the spatial dims, the kept ones scaled by ``1 / (1 - p)``. The primitive is
``dropout.py``'s ``_dropout_impl`` (PyTorch's ``feature_dropout``) with ember's generator, so
``ember.manual_seed`` makes the masks reproducible. Input ranks follow PyTorch, warnings included.
"""
import warnings

from ember.nn._functional.dropout import _check_p, _dropout_impl

__all__ = ["dropout2d", "dropout3d"]


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a ``(N, C, H, W)`` input with probability ``p`` and scale the rest by
    ``1 / (1 - p)``; the identity when ``training`` is False.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        training: apply dropout if ``True``. Default: ``True``.
        inplace: overwrite ``input`` with the result. Default: ``False``.

    NOTE: as in PyTorch, a 3-D input is taken as ``(N, C, L)`` (1-d channel dropout, with a
    warning), not as an unbatched ``(C, H, W)``.

    Example::

        F.dropout2d(ember.ones(2, 3, 4, 4), 0.5)    # each 4x4 map is all 0 or all 2
    """
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if inp_dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape (C, H, "
                      "W). To maintain the 1D channel-wise dropout behavior, please switch to "
                      "using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, lead=2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability
    ``p`` and scale the rest by ``1 / (1 - p)`` (see :func:`dropout2d`).

    Example::

        F.dropout3d(ember.ones(2, 3, 2, 4, 4), 0.5)    # each 2x4x4 volume is all 0 or all 2
    """
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout3d "
                      "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    # PyTorch unsqueezes an unbatched input to one sample: one draw per channel (dim 0), or per
    # element of a 1-d input
    lead = 2 if inp_dim == 5 else (1 if inp_dim >= 2 else 0)
    return _dropout_impl(input, p, training, inplace, lead=lead)

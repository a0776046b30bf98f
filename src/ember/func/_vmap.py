"""``vmap``: map a function over a dimension of its inputs.

NOTE: PyTorch runs ``func`` once on batched tensors; ember runs it once per slice along the mapped
dimensions and stacks the outputs. The values, gradients and nesting are the same; the cost is
one call per sample, and a ``func`` that calls ``.item()`` or branches on values works here where
PyTorch refuses it.
"""
import functools

from ember._ops._generator import default_generator
from ember._ops.creation import zeros
from ember._ops.join import stack
from ember._tensor import Tensor
from ember.func._pytree import broadcast_prefix, spec_str, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the randomness "
                 "operation out of vmap")


def _name(func):
    return getattr(func, "__name__", repr(func))


def _rng_state():
    # NOTE: the CPU default generator's state, read to see whether ``func`` drew random numbers;
    # draws from an explicit ``generator=`` or on a GPU are not seen
    return default_generator._rng.get_state()


def _flat_in_dims(func, in_dims, args):
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected "
                         "`in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. The "
                         "latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    dims = broadcast_prefix(in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args),
                            spec)
    if dims is None:
        _, dspec = tree_flatten(in_dims)
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{spec_str(dspec)} but inputs has structure {spec_str(spec)}.")
    out = []
    for x, d in zip(flat_args, dims):
        if d is None:
            out.append(None)
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims "
                             f"must be int or None, got {d!r}")
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for an input but the input is of type {type(x)}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the "
                             "respective in_dim")
        n = x.dim()
        if not -n <= d < n:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for some input, but that input is a Tensor of "
                             f"dimensionality {n} so expected in_dim to satisfy "
                             f"-{n} <= in_dim < {n}.")
        out.append(d % n)
    return flat_args, spec, out


def _batch_size(flat_args, dims):
    sizes = [x.shape[d] for x, d in zip(flat_args, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _slice(x, d, i):
    if d is None:
        return x
    if i is None:  # an empty batch: a stand-in sample of zeros, to learn the output's shape
        shape = tuple(x.shape[:d]) + tuple(x.shape[d + 1:])
        return zeros(shape, dtype=x.dtype, device=x.device)
    return x.select(d, i)


def _combine(func, results, out_dims, empty):
    """Stack the per-sample outputs along ``out_dims``."""
    flats = [tree_flatten(r) for r in results]
    leaves0, spec = flats[0]
    for leaves, s in flats[1:]:
        if s != spec:
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` returned outputs of "
                             "different structures for different samples")
    if spec.kind is None and isinstance(leaves0[0], Tensor):
        # NOTE: one Tensor output takes an int, None or a 1-tuple, as PyTorch's edge case
        if out_dims is None or isinstance(out_dims, int):
            dims = [out_dims]
        elif isinstance(out_dims, tuple) and len(out_dims) == 1:
            dims = list(out_dims)
        else:
            dims = None
    else:
        dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        _, dspec = tree_flatten(out_dims)
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is "
                         "not compatible with the structure of `outputs`. out_dims has structure "
                         f"{spec_str(dspec)} but outputs has structure {spec_str(spec)}.")
    out = []
    for k, d in enumerate(dims):
        column = [f[0][k] for f in flats]
        if d is None:
            # NOTE: PyTorch refuses an output that depends on the mapped inputs here; ember can
            # only see that when the samples' outputs differ
            first = column[0]
            if isinstance(first, Tensor) and any(
                    not isinstance(c, Tensor) or c.shape != first.shape
                    or not bool((c == first).all()) for c in column[1:]):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a "
                                 "BatchedTensor when out_dim is None")
            out.append(first)
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(column[0])}. Did you mean to set "
                             "out_dims= to None for output?")
        r = stack(column, dim=d)
        out.append(r.narrow(d % r.dim(), 0, 0) if empty else r)
    return tree_unflatten(out, spec)


def _check_out_dims(func, out_dims):
    """PyTorch's check, made before ``func`` runs: ``out_dims`` is an int, None or a pytree of
    them."""
    if all(d is None or isinstance(d, int) for d in tree_flatten(out_dims)[0]):
        return
    raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                     "None or a python collection of ints representing where in the outputs the "
                     "vmapped dimension should appear.")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorizing map: ``vmap(func)`` runs ``func`` over a dimension of its inputs, as if on each
    sample, and stacks the results. Nests (``vmap(vmap(f))``) and composes with :func:`grad`
    (per-sample gradients: ``vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)``).

    Args:
        func: a function of Tensors (or pytrees of them) returning Tensors (or a pytree).
        in_dims: the dimension of each input to map over: an int for all inputs, or a tuple with
            one entry per positional argument (an int, None for an input not mapped, or a pytree
            matching the argument). Keyword arguments are never mapped.
        out_dims: where the mapped dimension goes in each output (an int, or a pytree matching
            the outputs; None for an output that does not depend on the mapped inputs).
        randomness: ``'error'`` (default: a random draw inside ``func`` raises), ``'different'``
            (each sample draws its own numbers) or ``'same'`` (all samples get the same numbers).
        chunk_size: accepted for PyTorch's API (ember runs sample by sample anyway).

    Example::

        >>> x = ember.randn(5, 3)
        >>> ember.vmap(ember.dot)(x, x).shape      # a batched dot product
        ember.Size([5])
        >>> ember.vmap(lambda a, b: a * b, in_dims=(0, None))(x, ember.ones(3)).shape
        ember.Size([5, 3])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        flat_args, spec, dims = _flat_in_dims(func, in_dims, args)
        n = _batch_size(flat_args, dims)
        start = _rng_state() if randomness != "different" else None
        results = []
        for i in range(n) if n else [None]:
            if randomness == "same" and i:
                default_generator._rng.set_state(start)
            sample = tree_unflatten([_slice(x, d, i) for x, d in zip(flat_args, dims)], spec)
            results.append(func(*sample, **kwargs))
            if randomness == "error" and _rng_state() != start:
                raise RuntimeError(_RANDOM_ERROR)
        return _combine(func, results, out_dims, empty=n == 0)
    return wrapped

"""Primitive operations by family. Importing this package attaches every family's methods to Tensor;
each module's ``__all__`` is what ``ember`` exports from it."""
from ember._ops import (compare, convert, creation, elementwise, index, inplace, join,  # noqa: F401
                        linalg, mask, random, rearrange, reduce, scan, scatter, shape, slicing,
                        softmax, sort, stats, unary)

FAMILIES = (compare, convert, creation, elementwise, index, inplace, join, linalg, mask, random,
            rearrange, reduce, scan, scatter, shape, slicing, softmax, sort, stats, unary)

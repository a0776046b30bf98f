"""Primitive operations by family. Importing this package attaches every family's methods to Tensor;
each module's ``__all__`` is what ``ember`` exports from it."""
from ember._ops import (compare, convert, creation, elementwise, index, inplace, join,  # noqa: F401
                        linalg, random, reduce, scan, scatter, shape, softmax, sort, stats, unary)

FAMILIES = (compare, convert, creation, elementwise, index, inplace, join, linalg, random, reduce,
            scan, scatter, shape, softmax, sort, stats, unary)
